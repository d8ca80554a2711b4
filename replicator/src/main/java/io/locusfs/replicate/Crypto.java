package io.locusfs.replicate;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Provider;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import org.conscrypt.Conscrypt;

/**
 * The hashes and ciphers that run over every byte replicated (SHA-256 of stream frames and
 * packs, HMAC-SHA256 block ids, AES-GCM of a bucket's objects), from Conscrypt (BoringSSL, with
 * the CPU's AES, CLMUL and SHA instructions) when its native library loads, else from the JDK.
 * The JDK's own run as plain Java under the C1-only JIT the launcher uses (about 20 MB/s for
 * AES-GCM on this machine's cores: a restore from a bucket spent 85% of its CPU there).
 */
final class Crypto {
    private static final Provider NATIVE = Conscrypt.isAvailable() ? Conscrypt.newProvider() : null;

    private Crypto() {
    }

    static MessageDigest sha256() {
        try {
            return NATIVE != null ? MessageDigest.getInstance("SHA-256", NATIVE) : MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no SHA-256", e);
        }
    }

    static Mac hmacSha256() {
        try {
            return NATIVE != null ? Mac.getInstance("HmacSHA256", NATIVE) : Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no HMAC-SHA256", e);
        }
    }

    static Cipher aesGcm() {
        try {
            return NATIVE != null ? Cipher.getInstance("AES/GCM/NoPadding", NATIVE) : Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no AES-GCM", e);
        }
    }
}
