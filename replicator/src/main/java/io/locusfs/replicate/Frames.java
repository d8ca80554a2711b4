package io.locusfs.replicate;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.function.LongFunction;
import java.util.zip.CRC32C;

/**
 * The framing layer of a replication stream (STREAM.md): a preamble, then frames, each
 * compressed on its own and checked with CRC32C, all chained into one SHA-256 digest that the
 * last frame carries. The chain value after each frame is what a resume token records, so a
 * stream resumed at frame N is still checked end to end.
 */
public final class Frames {
    static final byte[] MAGIC = "LOCUSSTM".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    /** Largest payload a frame may declare, compressed or not: bounds what a hostile stream makes us allocate. */
    static final int MAX_PAYLOAD = 8 << 20;

    /** Frame types. */
    public static final int HEADER = 1;
    public static final int RECORDS = 2;
    public static final int END = 3;

    private Frames() {
    }

    /** A fresh digest chain: 32 zero bytes. */
    static byte[] chainStart() {
        return new byte[32];
    }

    /** The chain value after a frame of {@code type} with raw payload {@code payload}. */
    static byte[] chain(byte[] previous, int type, byte[] payload, int length) {
        MessageDigest sha = Crypto.sha256();
        sha.update(previous);
        sha.update((byte) type);
        sha.update(payload, 0, length);
        return sha.digest();
    }

    /** One frame as read: its position in the stream, type and raw (decompressed) payload. */
    public record Frame(long index, int type, byte[] payload) {
    }

    /** Writes frames. Frames before {@code firstSent} count in the digest but are not written (a resumed send). */
    public static final class Writer {
        private final DataOutputStream out;
        private final Codec codec;
        private final long firstSent;
        /** Frames after an incompressible one that are sent without trying to compress them. */
        private static final int SKIP_AFTER_INCOMPRESSIBLE = 8;
        /** Frames smaller than this do not count as a sample of the data's compressibility. */
        private static final int SAMPLE_BYTES = 64 * 1024;
        private byte[] chain = chainStart();
        private long index;
        private long bytesWritten;
        private int incompressibleRun;

        public Writer(OutputStream out, Codec codec, long firstSent) throws IOException {
            this.out = new DataOutputStream(out);
            this.codec = codec;
            this.firstSent = firstSent;
            this.out.write(MAGIC);
            this.out.writeShort(VERSION);
            this.out.writeLong(firstSent);
            bytesWritten = MAGIC.length + 10;
        }

        /** Writes a frame (or, before the resume point, only counts it). */
        public void frame(int type, byte[] payload, int length) throws IOException {
            if (type != END) {
                chain = chain(chain, type, payload, length);
            }
            if (index++ < firstSent) {
                return;
            }
            Codec used = codec;
            byte[] stored = codec == Codec.NONE || incompressibleRun > 0 ? null : codec.compress(payload, length);
            int storedLength;
            if (stored == null || stored.length >= length) {
                // Incompressible (already compressed data): stored as it is, and the next frames are
                // not even tried until a later one is sampled again.
                // (A small frame, such as the header, says nothing about the data that follows.)
                incompressibleRun = incompressibleRun > 0 ? incompressibleRun - 1
                        : stored == null || length < SAMPLE_BYTES ? 0 : SKIP_AFTER_INCOMPRESSIBLE;
                used = Codec.NONE;
                stored = payload;
                storedLength = length;
            } else {
                storedLength = stored.length;
            }
            byte[] head = new byte[10];
            head[0] = (byte) type;
            head[1] = (byte) used.id;
            putInt(head, 2, length);
            putInt(head, 6, storedLength);
            CRC32C crc = new CRC32C();
            crc.update(head);
            crc.update(stored, 0, storedLength);
            out.write(head);
            out.write(stored, 0, storedLength);
            out.writeInt((int) crc.getValue());
            bytesWritten += head.length + storedLength + 4;
        }

        /** The digest over every frame so far. */
        public byte[] digest() {
            return chain.clone();
        }

        /** Frames so far, sent or skipped. */
        public long frames() {
            return index;
        }

        /** Bytes written to the output, preamble included. */
        public long bytesWritten() {
            return bytesWritten;
        }

        public void flush() throws IOException {
            out.flush();
        }
    }

    /** Reads and checks frames. */
    public static final class Reader {
        private final DataInputStream in;
        private final long firstIndex;
        private byte[] chain;
        private long index;
        private long bytesRead;

        /**
         * Reads the preamble. A stream that starts after frame 0 (a resumed send) continues the
         * chain from {@code resumeChain}, which must then be given.
         */
        public Reader(InputStream in, LongFunction<byte[]> resumeChain) throws IOException {
            this.in = new DataInputStream(in);
            byte[] magic = new byte[MAGIC.length];
            try {
                this.in.readFully(magic);
                if (!Arrays.equals(magic, MAGIC)) {
                    throw new StreamException("not a LocusFS replication stream (no LOCUSSTM preamble)");
                }
                int version = this.in.readUnsignedShort();
                if (version != VERSION) {
                    throw new StreamException("stream version " + version + " is not supported (this locusfs reads " + VERSION + ")");
                }
                firstIndex = this.in.readLong();
            } catch (EOFException e) {
                throw new StreamException("the stream is empty or cut short in its preamble");
            }
            bytesRead = MAGIC.length + 10;
            if (firstIndex < 0) {
                throw new StreamException("the stream's first frame index is negative");
            }
            chain = firstIndex == 0 ? chainStart() : resumeChain.apply(firstIndex);
            if (chain == null) {
                throw new StreamException("the stream continues at frame " + firstIndex + ", but this store has no matching resume token");
            }
            index = firstIndex;
        }

        /** The index of the first frame in this stream (0 unless it is a resumed send). */
        public long firstIndex() {
            return firstIndex;
        }

        /** The next frame, checked; END frames do not enter the chain. */
        public Frame next() throws IOException {
            byte[] head = new byte[10];
            try {
                in.readFully(head);
            } catch (EOFException e) {
                throw StreamException.stopped("the stream ends after frame " + (index - 1) + " without its END frame (cut short)", e);
            } catch (IOException e) {
                throw StreamException.stopped("the stream broke off after frame " + (index - 1) + ": " + e.getMessage(), e);
            }
            int type = head[0];
            Codec codec = Codec.ofId(head[1]);
            int raw = getInt(head, 2);
            int stored = getInt(head, 6);
            if (raw < 0 || raw > MAX_PAYLOAD || stored < 0 || stored > MAX_PAYLOAD + 65536) {
                throw new StreamException("frame " + index + " declares an impossible size (" + raw + "/" + stored + " bytes)");
            }
            byte[] payload = new byte[stored];
            int check;
            try {
                in.readFully(payload);
                check = in.readInt();
            } catch (EOFException e) {
                throw StreamException.stopped("the stream is cut short inside frame " + index, e);
            } catch (IOException e) {
                throw StreamException.stopped("the stream broke off inside frame " + index + ": " + e.getMessage(), e);
            }
            CRC32C crc = new CRC32C();
            crc.update(head);
            crc.update(payload);
            if ((int) crc.getValue() != check) {
                throw new StreamException("frame " + index + " fails its CRC32C check (corrupt stream)");
            }
            bytesRead += head.length + stored + 4;
            byte[] plain = codec.decompress(payload, raw);
            if (type != END) {
                chain = chain(chain, type, plain, plain.length);
            }
            return new Frame(index++, type, plain);
        }

        /** The index of the next frame: every frame before it has been read and checked. */
        public long framesRead() {
            return index;
        }

        /** The digest chain over every frame read so far. */
        public byte[] digest() {
            return chain.clone();
        }

        public long bytesRead() {
            return bytesRead;
        }
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    private static int getInt(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }
}
