package io.locusfs.policy;

import io.locusfs.xattr.Location;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Optional;
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
        if (claims.directory().isEmpty() || user.contains("/") || user.startsWith(".")) {
            return fallback;
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
            return fallback;
        } catch (IOException e) {
            warn.accept("cannot read the claim " + file + ": " + e.getMessage());
            return fallback;
        }
        if (entry.claim() == null) {
            return fallback;
        }
        String problem = entry.claim().problem(claims.authorities(), now);
        if (problem != null) {
            if (!problem.equals(entry.problem())) {
                warn.accept("ignoring the claim " + file + ": " + problem);
                cache.put(user, new Cached(entry.time(), entry.claim(), problem));
            }
            return fallback;
        }
        return Optional.of(entry.claim().location());
    }

    private Cached read(Path file, FileTime time, String user) throws IOException {
        try {
            Claim claim = Claim.parse(Files.readString(file));
            if (!claim.user().equals(user)) {
                warn.accept("ignoring the claim " + file + ": it is about user " + claim.user() + ", not " + user);
                return new Cached(time, null, "wrong user");
            }
            return new Cached(time, claim, null);
        } catch (IllegalArgumentException e) {
            warn.accept("ignoring the claim " + file + ": " + e.getMessage());
            return new Cached(time, null, e.getMessage());
        }
    }
}
