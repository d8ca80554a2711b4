package io.locusfs.policy;

import io.locusfs.xattr.Coordinates;
import io.locusfs.xattr.Location;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Decides an access rule's {@link Policy.Together} condition: is there a set of at least
 * {@code atLeast} members of the group, the caller among them, whose valid claims put every two
 * of them within {@code withinMetres} of each other? Only claims count (never the node's location
 * a caller without one defaults to), and only claims with coordinates. The answer names the claims
 * that made it, or why each person who could have counted did not.
 */
final class Together {
    /** Candidates looked at beyond the caller: groups are small; this bounds the search if one is not. */
    private static final int MAX_CANDIDATES = 64;

    record Outcome(boolean met, String why) {
    }

    private Together() {
    }

    static Outcome check(Policy.Together t, PolicyEngine.Request request, Policy policy) {
        Set<String> defined = policy.groups().getOrDefault(t.group(), Set.of());
        PolicyEngine.Presence caller = request.present().stream().filter(p -> p.user().equals(request.user())).findFirst().orElse(null);
        String need = t.atLeast() + " of group " + t.group() + " within " + metres(t.withinMetres()) + " of each other";
        if (caller == null || !caller.valid()) {
            return new Outcome(false, "user " + request.user() + " holds no valid claim"
                    + (caller == null || caller.problem() == null ? "" : " (" + caller.problem() + ")") + ", and " + need
                    + " counts only people with valid claims");
        }
        Optional<Coordinates> at = caller.location().flatMap(Location::coordinates);
        if (at.isEmpty()) {
            return new Outcome(false, "the claim of " + request.user() + " has no coordinates, which " + need + " needs");
        }
        boolean callerMember = defined.contains(request.user()) || request.groups().contains(t.group());
        int needed = t.atLeast() - (callerMember ? 1 : 0);
        List<PolicyEngine.Presence> near = new ArrayList<>();
        List<String> notCounted = new ArrayList<>();
        for (PolicyEngine.Presence p : request.present()) {
            if (p.user().equals(request.user()) || !(defined.contains(p.user()) || p.groups().contains(t.group()))) {
                continue;
            }
            if (!p.valid()) {
                notCounted.add(p.user() + " (" + (p.problem() == null ? "no claim" : p.problem()) + ")");
                continue;
            }
            Optional<Coordinates> c = p.location().flatMap(Location::coordinates);
            if (c.isEmpty()) {
                notCounted.add(p.user() + " (the claim has no coordinates)");
            } else if (metresBetween(at.get(), c.get()) > t.withinMetres()) {
                notCounted.add(p.user() + " (" + metres(metresBetween(at.get(), c.get())) + " away)");
            } else {
                near.add(p);
            }
        }
        near.sort(Comparator.comparingDouble(p -> metresBetween(at.get(), p.location().get().coordinates().get())));
        List<PolicyEngine.Presence> candidates = near.subList(0, Math.min(near.size(), MAX_CANDIDATES));
        List<PolicyEngine.Presence> chosen = new ArrayList<>();
        if (needed <= 0 || clique(candidates, 0, needed, chosen, t.withinMetres())) {
            StringBuilder why = new StringBuilder("together: " + request.user() + " at " + caller.location().get().zone() + " (" + caller.claim() + ")");
            for (PolicyEngine.Presence p : chosen) {
                why.append(", ").append(p.user()).append(' ').append(metres(metresBetween(at.get(), p.location().get().coordinates().get())))
                        .append(" away (").append(p.claim()).append(')');
            }
            return new Outcome(true, why.toString());
        }
        int have = (callerMember ? 1 : 0) + near.size();
        return new Outcome(false, need + " are needed; " + (near.isEmpty() ? "no one else" : "only " + names(near))
                + " within " + metres(t.withinMetres()) + " of " + request.user() + (near.size() >= needed ? " (but not all within it of each other)" : "")
                + " (" + have + " counted)" + (notCounted.isEmpty() ? "" : "; not counted: " + String.join(", ", notCounted)));
    }

    /** Picks {@code needed} of {@code candidates} (from {@code from}) pairwise within {@code metres}, into {@code chosen}. */
    private static boolean clique(List<PolicyEngine.Presence> candidates, int from, int needed, List<PolicyEngine.Presence> chosen,
                                  double metres) {
        if (chosen.size() == needed) {
            return true;
        }
        for (int i = from; i <= candidates.size() - (needed - chosen.size()); i++) {
            Coordinates c = candidates.get(i).location().get().coordinates().get();
            boolean fits = chosen.stream().allMatch(p -> metresBetween(p.location().get().coordinates().get(), c) <= metres);
            if (fits) {
                chosen.add(candidates.get(i));
                if (clique(candidates, i + 1, needed, chosen, metres)) {
                    return true;
                }
                chosen.remove(chosen.size() - 1);
            }
        }
        return false;
    }

    private static double metresBetween(Coordinates a, Coordinates b) {
        return a.distanceKm(b) * 1000;
    }

    private static String metres(double m) {
        return m >= 10_000 ? String.format(Locale.ROOT, "%.0f km", m / 1000) : String.format(Locale.ROOT, "%.0f m", m);
    }

    private static String names(List<PolicyEngine.Presence> people) {
        return String.join(", ", people.stream().map(PolicyEngine.Presence::user).toList());
    }
}
