package io.locusfs.policy;

import io.locusfs.xattr.Coordinates;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.SignedText;
import io.locusfs.xattr.ZonePath;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * A signed assertion by a location authority that a user is, for a while, in a zone: what lets
 * a policy judge where a caller is. Text format (UTF-8, one {@code key=value} per line, the
 * signature over every line before {@code sig=}):
 *
 * <pre>
 * locusfs-claim 1
 * user=alice
 * zone=eu/gb/london/office-1
 * coords=51.507400,-0.127800        (may be empty)
 * issued=2026-11-24T08:00:00Z
 * expires=2026-11-24T16:00:00Z
 * authority=3f9c0a1b2c3d4e5f        (the signing key's id: 16 hex digits of its SHA-256)
 * sig=BASE64                        (Ed25519)
 * </pre>
 */
public record Claim(String user, Location location, Instant issued, Instant expires, String authority, byte[] signature) {
    static final String HEADER = "locusfs-claim 1";

    /** Makes and signs a claim with the authority's key pair. */
    public static Claim sign(NodeIdentity authority, String user, Location location, Instant issued, Instant expires) {
        Claim unsigned = new Claim(user, location, issued, expires, authority.nodeId(), new byte[0]);
        return new Claim(user, location, issued, expires, authority.nodeId(),
                authority.sign(unsigned.signedPart().getBytes(StandardCharsets.UTF_8)));
    }

    private String signedPart() {
        return HEADER + "\nuser=" + user + "\nzone=" + location.zone() + "\ncoords="
                + location.coordinates().map(Coordinates::toString).orElse("") + "\nissued=" + issued
                + "\nexpires=" + expires + "\nauthority=" + authority + "\n";
    }

    public String encode() {
        return signedPart() + "sig=" + Base64.getEncoder().encodeToString(signature) + "\n";
    }

    /** Why this claim cannot be trusted at {@code now} given the trusted {@code authorities}, or null when it can. */
    public String problem(Map<String, PublicKey> authorities, Instant now) {
        PublicKey key = authorities.get(authority);
        if (key == null) {
            return "signed by authority " + authority + ", which the policy does not trust";
        }
        if (!NodeIdentity.verify(key, signedPart().getBytes(StandardCharsets.UTF_8), signature)) {
            return "its signature does not match its contents (forged or altered)";
        }
        if (now.isBefore(issued)) {
            return "it is not valid before " + issued;
        }
        if (!now.isBefore(expires)) {
            return "it expired at " + expires;
        }
        return null;
    }

    /**
     * Parses what {@link #encode} wrote.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static Claim parse(String text) {
        // A claim without its sig line is unsigned (or truncated): the missing key says so.
        Map<String, String> f = SignedText.fields(text, HEADER, "location claim",
                "user", "zone", "coords", "issued", "expires", "authority", "sig");
        try {
            Location location = new Location(ZonePath.parse(f.get("zone")),
                    f.get("coords").isEmpty() ? Optional.empty() : Optional.of(Coordinates.parse(f.get("coords"))), Optional.empty());
            return new Claim(f.get("user"), location, Instant.parse(f.get("issued")), Instant.parse(f.get("expires")),
                    f.get("authority"), Base64.getDecoder().decode(f.get("sig")));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the claim is malformed: " + e.getMessage(), e);
        }
    }
}
