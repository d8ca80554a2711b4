package io.locusfs.policy;

import io.locusfs.xattr.ZonePath;
import io.locusfs.xattr.ZonePattern;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The placement rules that cover one file, as text that travels with it (a replication stream
 * carries one per file, signed with the stream): a receiver checks its own zone against it
 * without the sender's policy. Text: rules separated by {@code ;}, each
 * {@code NAME|LINE|ALLOW,...|DENY,...} (zone patterns; an empty list is empty); the empty text
 * means no rule covers the file. Stateless.
 */
public final class PlacementConstraint {
    private PlacementConstraint() {
    }

    /** The constraint of {@code path} under {@code policy}. */
    public static String of(String path, Policy policy) {
        return policy.placementRulesFor(PathPattern.split(path)).stream()
                .map(r -> r.name() + "|" + r.line() + "|" + join(r.allow()) + "|" + join(r.deny()))
                .collect(Collectors.joining(";"));
    }

    /**
     * Whether {@code constraint} lets {@code path}'s data live in {@code zone}.
     *
     * @throws IllegalArgumentException when the text is not a constraint
     */
    public static PolicyEngine.Decision check(String path, String constraint, ZonePath zone) {
        List<Policy.PlacementRule> rules = new ArrayList<>();
        if (!constraint.isEmpty()) {
            for (String rule : constraint.split(";")) {
                String[] f = rule.split("\\|", -1);
                if (f.length != 4) {
                    throw new IllegalArgumentException("not a placement constraint: '" + rule + "'");
                }
                rules.add(new Policy.PlacementRule(f[0], rules.size(), Integer.parseInt(f[1]), List.of(), patterns(f[2]),
                        patterns(f[3]), 1));
            }
        }
        return PolicyEngine.placement(path, zone, rules);
    }

    private static String join(List<ZonePattern> patterns) {
        return patterns.stream().map(ZonePattern::toString).collect(Collectors.joining(","));
    }

    private static List<ZonePattern> patterns(String text) {
        List<ZonePattern> out = new ArrayList<>();
        for (String p : text.split(",")) {
            if (!p.isEmpty()) {
                out.add(ZonePattern.parse(p));
            }
        }
        return out;
    }
}
