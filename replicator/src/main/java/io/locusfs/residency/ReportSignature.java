package io.locusfs.residency;

import io.locusfs.xattr.NodeIdentity;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/**
 * The last line of a signed report: {@code #locusfs-signature node=ID sha256=HEX ed25519=BASE64},
 * where HEX is the SHA-256 of every byte before the line and the Ed25519 signature covers
 * {@code "locusfs-residency 1\n" + ID + "\n" + HEX}. Hashing first lets a report of any size be
 * signed and checked as a stream.
 */
record ReportSignature(String node, String sha256, byte[] signature) {
    static final String PREFIX = "#locusfs-signature ";

    static String line(NodeIdentity identity, String hex) {
        byte[] sig = identity.sign(signed(identity.nodeId(), hex));
        return PREFIX + "node=" + identity.nodeId() + " sha256=" + hex + " ed25519=" + Base64.getEncoder().encodeToString(sig) + "\n";
    }

    private static byte[] signed(String node, String hex) {
        return (ResidencyReport.FORMAT + "\n" + node + "\n" + hex).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Parses a signature line (without its newline).
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    static ReportSignature parse(String line) {
        if (!line.startsWith(PREFIX)) {
            throw new IllegalArgumentException("the report has no signature line (its last line must start with '" + PREFIX.strip() + "')");
        }
        String[] fields = line.substring(PREFIX.length()).split(" ");
        if (fields.length != 3 || !fields[0].startsWith("node=") || !fields[1].startsWith("sha256=") || !fields[2].startsWith("ed25519=")) {
            throw new IllegalArgumentException("the signature line is malformed (want node=, sha256= and ed25519=)");
        }
        try {
            return new ReportSignature(fields[0].substring(5), fields[1].substring(7), Base64.getDecoder().decode(fields[2].substring(8)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the signature line's ed25519= is not base64");
        }
    }

    /** Why this signature does not vouch for a body whose SHA-256 is {@code actualHex}, or null when it does. */
    String problem(String actualHex, Map<String, PublicKey> trusted) {
        PublicKey key = trusted.get(node);
        if (key == null) {
            return "the report is signed by node " + node + ", which is not among the trusted keys";
        }
        if (!sha256.equals(actualHex)) {
            return "the report's contents changed after it was signed (its SHA-256 is " + actualHex + ", the signature covers " + sha256 + ")";
        }
        if (!NodeIdentity.verify(key, signed(node, sha256), signature)) {
            return "the report's signature does not match (forged, or signed by another key)";
        }
        return null;
    }

    static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
