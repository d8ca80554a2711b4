package io.locusfs.policy;

import io.locusfs.xattr.Location;
import io.locusfs.xattr.ZonePath;
import io.locusfs.xattr.ZonePattern;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The decisions, as pure functions of their inputs: no store, no mount, no clock.
 *
 * <p>Access (deny overrides): the rules whose paths match the file are its rules. With none, the
 * policy has nothing to say and the request is allowed (file permissions still apply). Otherwise
 * a matching {@code deny} rule whose conditions all hold refuses; failing that, the first
 * {@code allow} rule (in file order) whose conditions all hold allows; failing that, the request
 * is refused: a path the policy speaks about is closed unless a rule opens it. A rule's
 * conditions: the operation (read, write), the user (by name or group), the caller's zone, the
 * file's zone, and the distance between the caller's and the file's coordinates. A condition
 * that needs a location (or coordinates) the caller or the file lacks does not hold.
 *
 * <p>Placement: every placement rule matching the path must allow the zone: a {@code deny}
 * pattern matching it refuses, and a rule with {@code allow} patterns refuses a zone matching
 * none of them.
 */
public final class PolicyEngine {
    private PolicyEngine() {
    }

    /**
     * Who asks, for what, from where, about a file that lives where; and, for rules over groups of
     * people, who else is where ({@code present}: the claims of the people those rules name).
     */
    public record Request(Policy.Operation operation, String path, String user, Set<String> groups,
                          Optional<Location> caller, Optional<Location> file, List<Presence> present) {
        public Request(Policy.Operation operation, String path, String user, Set<String> groups,
                       Optional<Location> caller, Optional<Location> file) {
            this(operation, path, user, groups, caller, file, List.of());
        }
    }

    /**
     * Where a claim puts a person ({@code groups}: the system groups they belong to):
     * {@code location} and {@code claim} (in words: who signed it, until when) when it is valid
     * now; otherwise {@code problem} says why it was not counted.
     */
    public record Presence(String user, Set<String> groups, Optional<Location> location, String claim, String problem) {
        public boolean valid() {
            return problem == null && location.isPresent();
        }
    }

    /** The outcome: allowed or not, the rule that decided ("-" when none did), and why, in words. */
    public record Decision(boolean allowed, String rule, String reason) {
    }

    /** Decides an access request. */
    public static Decision decide(Request request, Policy policy) {
        return decide(request, policy, policy.accessRulesFor(PathPattern.split(request.path())));
    }

    /**
     * Decides an access request whose matching rules the caller has already looked up
     * ({@link Policy#accessRulesFor} of the request's path), so the door looks them up once.
     */
    public static Decision decide(Request request, Policy policy, List<Policy.AccessRule> rules) {
        if (rules.isEmpty()) {
            return new Decision(true, "-", "no access rule covers " + request.path());
        }
        for (Policy.AccessRule rule : rules) {
            if (rule.effect() == Policy.Effect.DENY && unmet(rule, request, policy) == null) {
                return new Decision(false, rule.name(), "deny rule '" + rule.name() + "' (line " + rule.line() + ") matches");
            }
        }
        String firstFailure = null;
        for (Policy.AccessRule rule : rules) {
            if (rule.effect() != Policy.Effect.ALLOW) {
                continue;
            }
            String unmet = unmet(rule, request, policy);
            if (unmet == null) {
                String by = rule.together().map(t -> "; " + Together.check(t, request, policy).why()).orElse("");
                return new Decision(true, rule.name(), "allow rule '" + rule.name() + "' (line " + rule.line() + ") matches" + by);
            }
            if (firstFailure == null) {
                firstFailure = "allow rule '" + rule.name() + "' (line " + rule.line() + ") does not: " + unmet;
            }
        }
        Policy.AccessRule first = rules.get(0);
        return new Decision(false, first.name(), "no allow rule matches " + request.path()
                + (firstFailure == null ? " (its rules only deny)" : "; " + firstFailure));
    }

    /** Why {@code rule}'s conditions do not all hold for {@code request}, or null when they do. */
    private static String unmet(Policy.AccessRule rule, Request request, Policy policy) {
        if (!rule.access().covers(request.operation())) {
            return "it is about " + rule.access().name().toLowerCase().replace('_', '-') + ", not "
                    + request.operation().name().toLowerCase();
        }
        if (!rule.users().isEmpty() || !rule.groups().isEmpty()) {
            boolean named = rule.users().contains("*") || rule.users().contains(request.user());
            boolean inGroup = rule.groups().stream().anyMatch(g -> request.groups().contains(g)
                    || policy.groups().getOrDefault(g, Set.of()).contains(request.user()));
            if (!named && !inGroup) {
                return "user " + request.user() + " is not among " + describe(rule.users(), rule.groups());
            }
        }
        if (!rule.callerIn().isEmpty()) {
            if (request.caller().isEmpty()) {
                return "the caller's location is unknown";
            }
            if (!matchesAny(rule.callerIn(), request.caller().get().zone())) {
                return "the caller is in " + request.caller().get().zone() + ", not in " + patterns(rule.callerIn());
            }
        }
        if (!rule.fileIn().isEmpty()) {
            if (request.file().isEmpty()) {
                return "the file's location is unknown";
            }
            if (!matchesAny(rule.fileIn(), request.file().get().zone())) {
                return "the file is in " + request.file().get().zone() + ", not in " + patterns(rule.fileIn());
            }
        }
        if (rule.withinKm().isPresent()) {
            var from = request.caller().flatMap(Location::coordinates);
            var to = request.file().flatMap(Location::coordinates);
            if (from.isEmpty() || to.isEmpty()) {
                return (from.isEmpty() ? "the caller" : "the file") + " has no coordinates for the distance condition";
            }
            double km = from.get().distanceKm(to.get());
            if (km > rule.withinKm().getAsDouble()) {
                return String.format(Locale.ROOT, "the caller is %.3f km from the file, more than %s km", km,
                        rule.withinKm().getAsDouble());
            }
        }
        if (rule.together().isPresent()) {
            Together.Outcome together = Together.check(rule.together().get(), request, policy);
            if (!together.met()) {
                return together.why();
            }
        }
        return null;
    }

    /** Whether data at {@code path} may be stored in {@code zone}. */
    public static Decision placement(String path, ZonePath zone, Policy policy) {
        return placement(path, zone, policy.placementRulesFor(PathPattern.split(path)));
    }

    /** Whether data at {@code path} may be stored in {@code zone}, by {@code rules}: the placement rules that cover it. */
    public static Decision placement(String path, ZonePath zone, List<Policy.PlacementRule> rules) {
        for (Policy.PlacementRule rule : rules) {
            for (ZonePattern deny : rule.deny()) {
                if (deny.matches(zone)) {
                    return new Decision(false, rule.name(), "placement rule '" + rule.name() + "' (line " + rule.line()
                            + ") denies " + zone + " (" + deny + ")");
                }
            }
            if (!rule.allow().isEmpty() && !matchesAny(rule.allow(), zone)) {
                return new Decision(false, rule.name(), "placement rule '" + rule.name() + "' (line " + rule.line()
                        + ") allows only " + patterns(rule.allow()) + ", not " + zone);
            }
        }
        return rules.isEmpty() ? new Decision(true, "-", "no placement rule covers " + path)
                : new Decision(true, rules.get(0).name(), "placement rule '" + rules.get(0).name() + "' allows " + zone);
    }

    /** How many copies of {@code path}'s data are wanted: the largest {@code replicas} of its placement rules, 1 without. */
    public static int replicasWanted(String path, Policy policy) {
        return policy.placementRulesFor(PathPattern.split(path)).stream().mapToInt(Policy.PlacementRule::replicas)
                .max().orElse(1);
    }

    private static boolean matchesAny(List<ZonePattern> patterns, ZonePath zone) {
        for (ZonePattern p : patterns) {
            if (p.matches(zone)) {
                return true;
            }
        }
        return false;
    }

    private static String patterns(List<ZonePattern> patterns) {
        return patterns.stream().map(ZonePattern::toString).collect(Collectors.joining(", "));
    }

    private static String describe(Set<String> users, Set<String> groups) {
        String u = users.isEmpty() ? "" : "users " + String.join(", ", users.stream().sorted().toList());
        String g = groups.isEmpty() ? "" : "groups " + String.join(", ", groups.stream().sorted().toList());
        return u.isEmpty() ? g : g.isEmpty() ? u : u + " and " + g;
    }
}
