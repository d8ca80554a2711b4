package io.locusfs.replicate;

import io.locusfs.xattr.NodeIdentity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * A snapshot in an object-store mirror (BUCKET.md, "Manifests"): its name and time, the origin
 * that sent it (store id, node key, the store's signed location record), the bucket's zone, and
 * the keys its layers and blocks are encrypted with (all must be held to read it), the bucket's
 * location record (signed by the origin when it sent the snapshot: what a restored
 * file's provenance ends with), and the tree layers that make its files, oldest first, each named by the SHA-256 of its content.
 * Signed by the origin's node key over the manifest without its signature, and stored encrypted
 * under {@code snapshots/NAME}: written last, so a snapshot the bucket lists is whole.
 */
record BucketManifest(int format, String snapshot, long createdNanos, String since, String source, String sourceKey,
                      String sourceRecord, String zone, String record, List<Layer> layers, List<String> keys, long files,
                      String signature) {
    static final int FORMAT = 1;

    /** A tree layer: its id (SHA-256 of its content, hex), its size as stored, whether it is the whole tree, its key. */
    record Layer(String id, long bytes, boolean whole, String key) {
    }

    static BucketManifest sign(NodeIdentity identity, StreamHeader header, String zone, String record, List<Layer> layers,
                               List<String> keys, long files) {
        BucketManifest unsigned = new BucketManifest(FORMAT, header.snapshot(), header.createdNanos(), header.since(), header.sender(),
                header.senderKey(), header.senderRecord(), zone, record, List.copyOf(layers), List.copyOf(keys), files, null);
        return unsigned.withSignature(Base64.getEncoder().encodeToString(identity.sign(unsigned.body())));
    }

    private BucketManifest withSignature(String signature) {
        return new BucketManifest(format, snapshot, createdNanos, since, source, sourceKey, sourceRecord, zone, record, layers, keys, files,
                signature);
    }

    /** The JSON the signature covers: the manifest without it. */
    private byte[] body() {
        try {
            return StreamHeader.JSON.writeValueAsBytes(withSignature(null));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stored as the signature's line, then the exact bytes it covers, encrypted. */
    byte[] seal(BucketKeys keys) {
        byte[] body = body();
        byte[] line = (signature + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] plain = new byte[line.length + body.length];
        System.arraycopy(line, 0, plain, 0, line.length);
        System.arraycopy(body, 0, plain, line.length, body.length);
        return keys.seal(plain, 0, plain.length, BucketLink.SNAPSHOTS + snapshot);
    }

    /**
     * Decrypts and checks the manifest stored at {@code key}: its format, its name (the object's),
     * and its signature by {@code trustedKey} (the origin the bucket holds snapshots of; null
     * before the bucket names one: then by the key it names itself).
     */
    static BucketManifest open(BucketKeys keys, String key, byte[] sealed, String trustedKey) throws IOException {
        byte[] plain = keys.open(sealed, key);
        int newline = 0;
        while (newline < plain.length && plain[newline] != '\n') {
            newline++;
        }
        if (newline == plain.length) {
            throw new StreamException(key + ": not a manifest (no signature line)");
        }
        String signature = new String(plain, 0, newline, StandardCharsets.US_ASCII);
        byte[] body = Arrays.copyOfRange(plain, newline + 1, plain.length);
        BucketManifest m;
        try {
            m = StreamHeader.JSON.readValue(body, BucketManifest.class).withSignature(signature);
        } catch (IOException e) {
            throw new StreamException(key + ": not a readable manifest: " + e.getMessage());
        }
        if (m.format != FORMAT) {
            throw new StreamException(key + ": a manifest of format " + m.format + " (this locusfs reads " + FORMAT + ")");
        }
        if (!key.equals(BucketLink.SNAPSHOTS + m.snapshot) || m.layers == null || m.layers.isEmpty() || m.sourceKey == null || m.keys == null) {
            throw new StreamException(key + ": the manifest is incomplete or names another snapshot");
        }
        if (trustedKey != null && !trustedKey.equals(m.sourceKey)) {
            throw new StreamException(key + ": signed by another node than the one the bucket holds snapshots of");
        }
        for (String needed : m.keys) {
            if (!keys.ids().contains(needed)) {
                throw new StreamException(key + ": part of it is encrypted with key " + needed + ", which " + keys.file()
                        + " does not hold (revoked?)");
            }
        }
        StreamHeader probe = new StreamHeader("-", m.source, m.sourceKey, "", m.snapshot, null, 0, null, 0, 0, false);
        boolean valid;
        try {
            valid = NodeIdentity.verify(probe.publicKey(), body, Base64.getDecoder().decode(signature));
        } catch (IllegalArgumentException e) {
            valid = false;
        }
        if (!valid) {
            throw new StreamException(key + ": the manifest's signature does not verify (changed, or forged)");
        }
        return m;
    }
}
