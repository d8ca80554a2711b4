package io.locusfs.policy;

import io.locusfs.xattr.Location;
import io.locusfs.xattr.Proximity;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which copy of a file a reader is served from. Each copy (the local store, each mirror that
 * holds it) is judged as if the file lived where that copy lives: the access rules for a read by
 * this reader from where they are, and the placement rules for that zone. The copies come back
 * ranked: permitted before refused, answering before silent, then nearest first
 * ({@link Proximity}). The first one, if permitted, is the one to read from; a refused copy is
 * never chosen, however near.
 */
public final class NearestCopy {
    private NearestCopy() {
    }

    /** A copy: a name for people ("here", a mirror's name), where it lives, and whether its holder answers. */
    public record Candidate(String name, Location location, boolean answering) {
    }

    /** A copy as judged for one reader. */
    public record Ranked(Candidate copy, Proximity proximity, PolicyEngine.Decision decision) {
        public boolean permitted() {
            return decision.allowed();
        }
    }

    /** Who reads: a user (empty for the file system itself, which access rules do not name), their groups and location. */
    public record Reader(Optional<String> user, Set<String> groups, Location location) {
    }

    /**
     * Ranks {@code copies} of the file at {@code path} for {@code reader} under {@code policy}
     * (null: no policy, every copy permitted).
     */
    public static List<Ranked> rank(String path, Reader reader, List<Candidate> copies, Policy policy) {
        List<Ranked> ranked = new ArrayList<>();
        for (Candidate c : copies) {
            ranked.add(new Ranked(c, Proximity.between(reader.location(), c.location()), judge(path, reader, c, policy)));
        }
        ranked.sort(Comparator.comparing((Ranked r) -> !r.permitted()).thenComparing(r -> !r.copy().answering())
                .thenComparing(Ranked::proximity));
        return ranked;
    }

    private static PolicyEngine.Decision judge(String path, Reader reader, Candidate copy, Policy policy) {
        if (policy == null) {
            return new PolicyEngine.Decision(true, "-", "no policy");
        }
        PolicyEngine.Decision placed = PolicyEngine.placement(path, copy.location().zone(), policy);
        if (!placed.allowed()) {
            return placed;
        }
        if (reader.user().isEmpty()) {
            return placed;
        }
        return PolicyEngine.decide(new PolicyEngine.Request(Policy.Operation.READ, path, reader.user().get(), reader.groups(),
                Optional.of(reader.location()), Optional.of(copy.location())), policy);
    }
}
