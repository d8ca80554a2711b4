package io.locusfs.replicate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys an object-store mirror's objects are encrypted with (BUCKET.md, "Encryption"): a
 * text file of one key per line, {@code locusfs-bucket-key 1 ID BASE64}, the first line the key
 * that encrypts; the others still decrypt what they encrypted. Rotating adds a new first line;
 * revoking deletes a line, after which what only that key protected cannot be read by anyone
 * (the keys are never stored in the bucket). Immutable; {@link #load} again to see a change.
 */
public final class BucketKeys {
    private static final String HEADER = "locusfs-bucket-key 1";
    private static final int KEY_BYTES = 32;
    private static final int ID_BYTES = 8;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path file;
    private final Map<String, SecretKeySpec> keys; // by id (hex), the encrypting one first
    private final String active;
    private final SecretKeySpec blockIds;

    private BucketKeys(Path file, Map<String, SecretKeySpec> keys) {
        this.file = file;
        this.keys = keys;
        this.active = keys.keySet().iterator().next();
        try {
            // Block ids are keyed hashes, so the bucket cannot tell which content a block holds.
            Mac mac = Crypto.hmacSha256();
            mac.init(keys.get(active));
            blockIds = new SecretKeySpec(mac.doFinal("locusfs block ids".getBytes(StandardCharsets.US_ASCII)), "HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no HMAC-SHA256", e);
        }
    }

    /**
     * Reads the key file.
     *
     * @throws IOException naming the file and line when it is missing, empty or malformed
     */
    public static BucketKeys load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such key file (make one with 'locusfs mirror key " + file + "')");
        }
        Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+");
            byte[] key = null;
            try {
                key = parts.length == 4 ? Base64.getDecoder().decode(parts[3]) : null;
            } catch (IllegalArgumentException e) {
                // reported below
            }
            if (parts.length != 4 || !(parts[0] + " " + parts[1]).equals(HEADER) || !parts[2].matches("[0-9a-f]{16}")
                    || key == null || key.length != KEY_BYTES) {
                throw new IOException(file + ":" + (i + 1) + ": not a key line ('" + HEADER + " ID BASE64', as 'locusfs mirror key' writes)");
            }
            keys.put(parts[2], new SecretKeySpec(key, "AES"));
        }
        if (keys.isEmpty()) {
            throw new IOException(file + ": holds no key (make one with 'locusfs mirror key " + file + "')");
        }
        return new BucketKeys(file, keys);
    }

    /**
     * Adds a new key to {@code file} (made, mode 0600, if it does not exist) as the one that
     * encrypts from now on; the keys already there stay for reading.
     *
     * @return the new key's id
     */
    public static String addKey(Path file) throws IOException {
        byte[] key = new byte[KEY_BYTES];
        byte[] id = new byte[ID_BYTES];
        RANDOM.nextBytes(key);
        RANDOM.nextBytes(id);
        String hex = HexFormat.of().formatHex(id);
        String line = HEADER + " " + hex + " " + Base64.getEncoder().encodeToString(key) + "\n";
        String before = Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, ".key-", ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(temp, line + before, StandardCharsets.UTF_8);
            try {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        return hex;
    }

    public Path file() {
        return file;
    }

    /** The id of the key that encrypts. */
    public String active() {
        return active;
    }

    /** The ids of every key held, the encrypting one first. */
    public List<String> ids() {
        return new ArrayList<>(keys.keySet());
    }

    /** The id of a block of {@code length} bytes of {@code data}: a keyed hash of its content (hex). */
    public String blockId(byte[] data, int offset, int length) {
        try {
            Mac mac = Crypto.hmacSha256();
            mac.init(blockIds);
            mac.update(data, offset, length);
            return HexFormat.of().formatHex(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code plain} encrypted with the active key: key id, nonce, AES-GCM ciphertext and tag; {@code context} is bound to it. */
    public byte[] seal(byte[] plain, int offset, int length, String context) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = Crypto.aesGcm();
            cipher.init(Cipher.ENCRYPT_MODE, keys.get(active), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = new byte[ID_BYTES + NONCE_BYTES + cipher.getOutputSize(length)];
            ByteBuffer.wrap(sealed).put(HexFormat.of().parseHex(active)).put(nonce);
            cipher.doFinal(plain, offset, length, sealed, ID_BYTES + NONCE_BYTES);
            return sealed;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
    }

    /** The key id {@code sealed} names. */
    public static String keyOf(byte[] sealed) {
        return sealed.length < ID_BYTES ? "" : HexFormat.of().formatHex(sealed, 0, ID_BYTES);
    }

    /**
     * Decrypts what {@link #seal} made with the same {@code context}.
     *
     * @throws StreamException when the key it names is not held (revoked) or it fails authentication (changed, or another object's)
     */
    public byte[] open(byte[] sealed, String context) throws StreamException {
        if (sealed.length < ID_BYTES + NONCE_BYTES + TAG_BITS / 8) {
            throw new StreamException(context + ": too short to be an encrypted object (corrupt)");
        }
        String id = keyOf(sealed);
        SecretKeySpec key = keys.get(id);
        if (key == null) {
            throw new StreamException(context + ": encrypted with key " + id + ", which " + file + " does not hold (revoked?)");
        }
        try {
            Cipher cipher = Crypto.aesGcm();
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, ID_BYTES, NONCE_BYTES));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return cipher.doFinal(sealed, ID_BYTES + NONCE_BYTES, sealed.length - ID_BYTES - NONCE_BYTES);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new StreamException(context + ": fails its authentication tag (changed in the bucket, or not this object)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
    }
}
