package io.locusfs.replicate;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.locusfs.wire.JsonLines;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The HEADER frame of a stream (JSON, STREAM.md): what it holds and who sent it.
 *
 * @param stream       the stream's id: the same sender, snapshots and destination zone give the same id, so a resume can tell it is the same stream
 * @param sender       the sending store's id
 * @param senderKey    the sender node's Ed25519 public key (X.509, base64); the END frame is signed with it
 * @param senderRecord the sending store's signed location record
 * @param snapshot     the snapshot the stream brings
 * @param since        the snapshot it continues from, null for a full stream
 * @param createdNanos when {@code snapshot} was taken
 * @param toZone       the zone the stream was made for (files placement forbids there are left out), null for any
 * @param files        nodes in the stream, for progress
 * @param bytes        bytes of file content in the stream, for progress
 * @param syncPoint    the snapshot is a sync point (taken at an fsync for a synchronous mirror): the receiver
 *                     keeps it as one, so that it is dropped once a newer snapshot arrives
 */
public record StreamHeader(String stream, String sender, String senderKey, String senderRecord, String snapshot, String since,
                           long createdNanos, String toZone, long files, long bytes, boolean syncPoint) {
    static final ObjectMapper JSON = JsonLines.MAPPER;

    byte[] encode() throws IOException {
        return JSON.writeValueAsBytes(this);
    }

    static StreamHeader decode(byte[] payload) throws StreamException {
        try {
            StreamHeader h = JSON.readValue(payload, StreamHeader.class);
            if (h.stream == null || h.sender == null || h.senderKey == null || h.snapshot == null) {
                throw new StreamException("the stream's header lacks its id, sender, key or snapshot");
            }
            return h;
        } catch (IOException e) {
            throw e instanceof StreamException s ? s : new StreamException("the stream's header is not readable: " + e.getMessage());
        }
    }

    /** The sender's public key. */
    PublicKey publicKey() throws StreamException {
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(senderKey)));
        } catch (Exception e) {
            throw new StreamException("the stream's sender key is not an Ed25519 key");
        }
    }

    /** The message the END frame's signature covers. */
    static byte[] signedMessage(String stream, byte[] digest) {
        return ("locusfs-stream 1\n" + stream + "\n" + HexFormat.of().formatHex(digest))
                .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The END frame (JSON): frames before it, records, content bytes, the digest chain over every
     * frame before it (hex) and the sender's Ed25519 signature of {@link #signedMessage} (base64).
     */
    record End(long frames, long records, long bytes, String digest, String signature) {
        byte[] encode() throws IOException {
            return JSON.writeValueAsBytes(this);
        }

        static End decode(byte[] payload) throws StreamException {
            try {
                return JSON.readValue(payload, End.class);
            } catch (IOException e) {
                throw new StreamException("the stream's END frame is not readable: " + e.getMessage());
            }
        }
    }
}
