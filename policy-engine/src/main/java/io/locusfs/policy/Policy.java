package io.locusfs.policy;

import io.locusfs.xattr.ZonePattern;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * A parsed, compiled policy: access rules, placement rules, user groups, and where trusted
 * location claims come from. Rules keep their order in the file and are indexed by the first
 * literal segment of their path patterns, so a request looks at the few rules that can match,
 * not all of them. Immutable and thread-safe; made by {@link PolicyParser}.
 */
public final class Policy {
    /** What a request does to a file. */
    public enum Operation { READ, WRITE }

    /** Which operations an access rule speaks about. */
    public enum Access {
        READ, WRITE, READ_WRITE;

        boolean covers(Operation op) {
            return this == READ_WRITE || (this == READ) == (op == Operation.READ);
        }
    }

    /** What an access rule does when its conditions hold. */
    public enum Effect { ALLOW, DENY }

    /** Where the caller is when a user has no valid claim. */
    public enum CallerDefault { NODE, NONE }

    /**
     * One access rule. Empty {@code users} and {@code groups} mean anyone; an empty zone list
     * means any zone; {@code withinKm} empty means no distance condition.
     */
    public record AccessRule(String name, int order, int line, List<PathPattern> paths, Set<String> users,
                             Set<String> groups, Access access, Effect effect, List<ZonePattern> callerIn,
                             List<ZonePattern> fileIn, OptionalDouble withinKm, Optional<Together> together) implements Indexed {
    }

    /**
     * A condition over a group of people: at least {@code atLeast} members of {@code group}, the
     * caller among them, hold valid claims that put them all within {@code withinMetres} of each
     * other (an access rule's {@code together}).
     */
    public record Together(String group, int atLeast, double withinMetres) {
    }

    /** One placement rule: where data matching {@code paths} and its replicas may be stored. */
    public record PlacementRule(String name, int order, int line, List<PathPattern> paths, List<ZonePattern> allow,
                                List<ZonePattern> deny, int replicas) implements Indexed {
    }

    /** Where claims are read from and whose signatures make them trusted. */
    public record Claims(Optional<Path> directory, Map<String, PublicKey> authorities, CallerDefault callerDefault) {
    }

    interface Indexed {
        int order();

        List<PathPattern> paths();
    }

    private final Path source;
    private final List<AccessRule> access;
    private final List<PlacementRule> placement;
    private final Map<String, Set<String>> groups;
    private final Claims claims;
    private final RuleIndex<AccessRule> accessIndex;
    private final RuleIndex<PlacementRule> placementIndex;

    Policy(Path source, List<AccessRule> access, List<PlacementRule> placement, Map<String, Set<String>> groups, Claims claims) {
        this.source = source;
        this.access = List.copyOf(access);
        this.placement = List.copyOf(placement);
        this.groups = Map.copyOf(groups);
        this.claims = claims;
        this.accessIndex = new RuleIndex<>(this.access);
        this.placementIndex = new RuleIndex<>(this.placement);
    }

    /** A policy with no rules: everything is allowed, placed anywhere. */
    public static Policy empty() {
        return new Policy(null, List.of(), List.of(), Map.of(), new Claims(Optional.empty(), Map.of(), CallerDefault.NODE));
    }

    public Path source() {
        return source;
    }

    public List<AccessRule> accessRules() {
        return access;
    }

    public List<PlacementRule> placementRules() {
        return placement;
    }

    /** The policy's own groups: name → user names. */
    public Map<String, Set<String>> groups() {
        return groups;
    }

    public Claims claims() {
        return claims;
    }

    /** The access rules whose paths match {@code path}, in file order. */
    public List<AccessRule> accessRulesFor(List<String> path) {
        return accessIndex.matching(path);
    }

    /** The placement rules whose paths match {@code path}, in file order. */
    public List<PlacementRule> placementRulesFor(List<String> path) {
        return placementIndex.matching(path);
    }

    /** Rules by the first literal segment of their patterns; rules starting with a wildcard are always looked at. */
    private static final class RuleIndex<R extends Indexed> {
        private final Map<String, List<R>> byHead = new HashMap<>();
        private final List<R> always = new ArrayList<>();

        RuleIndex(List<R> rules) {
            for (R rule : rules) {
                boolean wild = rule.paths().stream().anyMatch(p -> p.literalHead() == null);
                if (wild) {
                    always.add(rule);
                    continue;
                }
                for (String head : rule.paths().stream().map(PathPattern::literalHead).distinct().toList()) {
                    byHead.computeIfAbsent(head, k -> new ArrayList<>()).add(rule);
                }
            }
        }

        List<R> matching(List<String> path) {
            List<R> found = new ArrayList<>();
            collect(always, path, found);
            collect(byHead.getOrDefault(path.isEmpty() ? "" : path.get(0), List.of()), path, found);
            if (!path.isEmpty()) {
                collect(byHead.getOrDefault("", List.of()), path, found); // "/" itself, or "/**".
            }
            found.sort(Comparator.comparingInt(Indexed::order));
            return found;
        }

        private static <R extends Indexed> void collect(List<R> rules, List<String> path, List<R> found) {
            for (R rule : rules) {
                if (!found.contains(rule) && rule.paths().stream().anyMatch(p -> p.matches(path))) {
                    found.add(rule);
                }
            }
        }
    }
}
