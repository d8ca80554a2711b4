package io.locusfs.xattr;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A node's identity: an Ed25519 key pair (the JDK's) and the node id derived from the public
 * key (the first 16 hex digits of its SHA-256). The private key signs location records; anyone
 * holding the public key can check them. Files: {@code node.key} (PKCS#8, PEM, mode 0600) and
 * {@code node.pub} (X.509 SubjectPublicKeyInfo, PEM). Immutable and thread-safe.
 */
public final class NodeIdentity {
    public static final String PRIVATE_KEY_FILE = "node.key";
    public static final String PUBLIC_KEY_FILE = "node.pub";
    private static final String ALGORITHM = "Ed25519";

    private final PublicKey publicKey;
    private final PrivateKey privateKey;
    private final String nodeId;

    private NodeIdentity(PublicKey publicKey, PrivateKey privateKey) {
        this.publicKey = publicKey;
        this.privateKey = privateKey;
        this.nodeId = nodeIdOf(publicKey);
    }

    /** Makes a new key pair and writes it into {@code dir}, the private key readable by its owner only. */
    public static NodeIdentity create(Path dir) throws IOException {
        return create(dir.resolve(PRIVATE_KEY_FILE), dir.resolve(PUBLIC_KEY_FILE));
    }

    /**
     * A key pair held in memory only, for what one process vouches for to itself (a stream an
     * object-store link makes from manifests it has checked, for a restore in the same process).
     */
    public static NodeIdentity ephemeral() {
        try {
            KeyPair pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
            return new NodeIdentity(pair.getPublic(), pair.getPrivate());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make Ed25519 keys", e);
        }
    }

    /** Makes a new key pair and writes it to {@code privateFile} (mode 0600) and {@code publicFile}. */
    public static NodeIdentity create(Path privateFile, Path publicFile) throws IOException {
        try {
            KeyPair pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
            Files.createFile(privateFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(privateFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
            Files.writeString(publicFile, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
            return new NodeIdentity(pair.getPublic(), pair.getPrivate());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make Ed25519 keys", e);
        }
    }

    /**
     * Loads the key pair from {@code dir}.
     *
     * @throws IOException when a key file is missing or unreadable (the message names it)
     */
    public static NodeIdentity load(Path dir) throws IOException {
        return load(dir.resolve(PRIVATE_KEY_FILE), dir.resolve(PUBLIC_KEY_FILE));
    }

    /** Loads the key pair written by {@link #create(Path, Path)}. */
    public static NodeIdentity load(Path privateFile, Path publicFile) throws IOException {
        try {
            KeyFactory factory = KeyFactory.getInstance(ALGORITHM);
            PrivateKey privateKey = factory.generatePrivate(new PKCS8EncodedKeySpec(unpem(privateFile)));
            return new NodeIdentity(loadPublicKey(publicFile), privateKey);
        } catch (GeneralSecurityException e) {
            throw new IOException(privateFile + " is not an Ed25519 private key: " + e.getMessage(), e);
        }
    }

    /** Reads a public key written by {@link #create} (or any PEM Ed25519 public key). */
    public static PublicKey loadPublicKey(Path file) throws IOException {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(unpem(file)));
        } catch (GeneralSecurityException e) {
            throw new IOException(file + " is not an Ed25519 public key: " + e.getMessage(), e);
        }
    }

    /** The node id of a public key: 16 hex digits of its SHA-256. */
    public static String nodeIdOf(PublicKey key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    public String nodeId() {
        return nodeId;
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    /** The Ed25519 signature of {@code message}. */
    public byte[] sign(byte[] message) {
        try {
            Signature signer = Signature.getInstance(ALGORITHM);
            signer.initSign(privateKey);
            signer.update(message);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing failed", e);
        }
    }

    /** True when {@code signature} is {@code key}'s signature of {@code message}. */
    public static boolean verify(PublicKey key, byte[] message, byte[] signature) {
        try {
            Signature verifier = Signature.getInstance(ALGORITHM);
            verifier.initVerify(key);
            verifier.update(message);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static byte[] unpem(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        String body = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        try {
            return Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not a PEM file", e);
        }
    }
}
