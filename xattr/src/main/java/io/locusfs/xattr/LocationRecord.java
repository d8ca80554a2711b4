package io.locusfs.xattr;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * A signed statement of where data lives: zone, coordinates, the node that wrote it, the file
 * (or {@code *} for every file of a store), the time, and the node where the data originated.
 * The format is documented in {@code xattr/FORMAT.md}; {@link #encode()} is its canonical text and
 * the signature covers exactly the lines before {@code sig=}. Immutable.
 *
 * @param file   what the record covers: {@code *} (all files of the store {@code store}) or a file id
 * @param store  the id of the store the record belongs to (a random UUID chosen at init)
 */
public record LocationRecord(ZonePath zone, Optional<Coordinates> coordinates, String node, String store,
                             String file, Instant time, String origin, byte[] signature) {
    static final String HEADER = "locusfs-location 1";
    /** The {@code file} value of the record that covers every file of a store. */
    public static final String EVERY_FILE = "*";

    /** Makes and signs a record with {@code identity}. */
    public static LocationRecord sign(NodeIdentity identity, Location location, String store, String file,
                                      Instant time, String origin) {
        LocationRecord unsigned = new LocationRecord(location.zone(), location.coordinates(), identity.nodeId(),
                store, file, time, origin, new byte[0]);
        return new LocationRecord(location.zone(), location.coordinates(), identity.nodeId(), store, file, time,
                origin, identity.sign(unsigned.signedPart().getBytes(StandardCharsets.UTF_8)));
    }

    /** The text the signature covers. */
    private String signedPart() {
        return HEADER + "\nzone=" + zone + "\ncoords=" + coordinates.map(Coordinates::toString).orElse("")
                + "\nnode=" + node + "\nstore=" + store + "\nfile=" + file + "\ntime=" + time
                + "\norigin=" + origin + "\n";
    }

    /** The canonical text: the signed part, then {@code sig=} and the base64 Ed25519 signature. */
    public String encode() {
        return signedPart() + "sig=" + Base64.getEncoder().encodeToString(signature) + "\n";
    }

    /** True when {@code key} signed this record and its node id is that key's. */
    public boolean verify(PublicKey key) {
        return node.equals(NodeIdentity.nodeIdOf(key))
                && NodeIdentity.verify(key, signedPart().getBytes(StandardCharsets.UTF_8), signature);
    }

    /**
     * Parses what {@link #encode()} wrote.
     *
     * @throws IllegalArgumentException naming the line that is wrong
     */
    public static LocationRecord parse(String text) {
        Map<String, String> fields = SignedText.fields(text, HEADER, "location record",
                "zone", "coords", "node", "store", "file", "time", "origin", "sig");
        try {
            String coords = fields.get("coords");
            return new LocationRecord(ZonePath.parse(fields.get("zone")),
                    coords.isEmpty() ? Optional.empty() : Optional.of(Coordinates.parse(coords)),
                    fields.get("node"), fields.get("store"), fields.get("file"), Instant.parse(fields.get("time")),
                    fields.get("origin"), Base64.getDecoder().decode(fields.get("sig")));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bad location record: " + e.getMessage(), e);
        }
    }

    /** The location this record states. */
    public Location location() {
        return new Location(zone, coordinates, Optional.empty());
    }
}
