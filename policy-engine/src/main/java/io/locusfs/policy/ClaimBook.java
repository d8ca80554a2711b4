package io.locusfs.policy;

import io.locusfs.xattr.Location;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Where each user is, from the claims in the policy's claims directory ({@code USER.claim}, see
 * {@link Claim}). A claim that is expired, not yet valid, unsigned, malformed, signed by an
 * authority the policy does not trust, forged, or about another user is ignored, and why is
 * reported once per file version. Without a valid claim the caller is where the node is (or
 * nowhere, when the policy says {@code caller_default = "none"}). Files are re-read only when they
 * change. Thread-safe.
 */
public final class ClaimBook {
    private record Cached(FileTime time, Claim claim, String problem) {
    }

    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();
    private final Consumer<String> warn;

    /** {@code warn} receives one message per claim ignored (the mount logs it). */
    public ClaimBook(Consumer<String> warn) {
        this.warn = warn;
    }

    /** Where {@code user} is at {@code now} under {@code policy}, given that this node is at {@code node}. */
    public Optional<Location> locate(String user, Location node, Instant now, Policy policy) {
        Policy.Claims claims = policy.claims();
        Optional<Location> fallback = claims.callerDefault() == Policy.CallerDefault.NODE ? Optional.of(node) : Optional.empty();
        Found found = find(user, now, policy);
        return found.claim() != null && found.problem() == null ? Optional.of(found.claim().location()) : fallback;
    }

    /**
     * Where the claims put each of {@code people} (user → their system groups) at {@code now}:
     * one {@link PolicyEngine.Presence} per person with a claim file, valid or not (the invalid
     * ones say why), for the rules over groups of people. No claim, no presence: the node's
     * location is never a person's for these rules.
     */
    public List<PolicyEngine.Presence> presence(Map<String, Set<String>> people, Instant now, Policy policy) {
        List<PolicyEngine.Presence> present = new ArrayList<>();
        for (Map.Entry<String, Set<String>> person : people.entrySet()) {
            Found f = find(person.getKey(), now, policy);
            if (f.claim() == null && f.problem() == null) {
                continue;
            }
            present.add(f.problem() != null
                    ? new PolicyEngine.Presence(person.getKey(), person.getValue(), Optional.empty(), null, "claim ignored: " + f.problem())
                    : new PolicyEngine.Presence(person.getKey(), person.getValue(), Optional.of(f.claim().location()),
                    "claim by authority " + f.claim().authority() + " until " + f.claim().expires(), null));
        }
        return present;
    }

    /** A user's claim and why it does not count (null: it does); both null when the user has no claim file. */
    private record Found(Claim claim, String problem) {
    }

    private Found find(String user, Instant now, Policy policy) {
        Policy.Claims claims = policy.claims();
        if (claims.directory().isEmpty() || user.contains("/") || user.startsWith(".")) {
            return new Found(null, null);
        }
        Path file = claims.directory().get().resolve(user + ".claim");
        Cached entry;
        try {
            FileTime time = Files.getLastModifiedTime(file);
            entry = cache.get(user);
            if (entry == null || !entry.time().equals(time)) {
                entry = read(file, time, user);
                cache.put(user, entry);
            }
        } catch (NoSuchFileException e) {
            cache.remove(user);
            return new Found(null, null);
        } catch (IOException e) {
            warn.accept("cannot read the claim " + file + ": " + e.getMessage());
            return new Found(null, "cannot read " + file);
        }
        if (entry.claim() == null) {
            return new Found(null, entry.problem());
        }
        String problem = entry.claim().problem(claims.authorities(), now);
        if (problem != null) {
            if (!problem.equals(entry.problem())) {
                warn.accept("ignoring the claim " + file + ": " + problem);
                cache.put(user, new Cached(entry.time(), entry.claim(), problem));
            }
            return new Found(entry.claim(), problem);
        }
        return new Found(entry.claim(), null);
    }

    private Cached read(Path file, FileTime time, String user) throws IOException {
        try {
            Claim claim = Claim.parse(Files.readString(file));
            if (!claim.user().equals(user)) {
                warn.accept("ignoring the claim " + file + ": it is about user " + claim.user() + ", not " + user);
                return new Cached(time, null, "it is about user " + claim.user() + ", not " + user);
            }
            return new Cached(time, claim, null);
        } catch (IllegalArgumentException e) {
            warn.accept("ignoring the claim " + file + ": " + e.getMessage());
            return new Cached(time, null, e.getMessage());
        }
    }
}
