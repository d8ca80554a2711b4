package io.locusfs.replicate;

import com.github.luben.zstd.Zstd;
import java.util.Arrays;
import java.util.Locale;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;

/**
 * How a frame's payload is compressed (STREAM.md). Each frame is compressed on its own, so a
 * resumed stream can start at any frame. Decompression never trusts the stored length: a frame
 * that does not decompress to exactly its declared size is refused. Stateless.
 */
public enum Codec {
    NONE(0), ZSTD(1), LZ4(2);

    /** zstd level 3: fast enough to keep up with a gigabit link on one core, and a third smaller than lz4. */
    private static final int ZSTD_LEVEL = 3;
    private static final LZ4Factory LZ4_FACTORY = LZ4Factory.fastestJavaInstance();

    final int id;

    Codec(int id) {
        this.id = id;
    }

    static Codec ofId(int id) throws StreamException {
        for (Codec c : values()) {
            if (c.id == id) {
                return c;
            }
        }
        throw new StreamException("unknown compression " + id);
    }

    /** The codec named {@code name} ("zstd", "lz4", "none"), for the command line and config. */
    public static Codec named(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown compression '" + name + "' (zstd, lz4 or none)");
        }
    }

    /** The first {@code length} bytes of {@code raw}, compressed. */
    byte[] compress(byte[] raw, int length) {
        switch (this) {
            case ZSTD -> {
                byte[] out = new byte[(int) Zstd.compressBound(length)];
                long n = Zstd.compressByteArray(out, 0, out.length, raw, 0, length, ZSTD_LEVEL);
                if (Zstd.isError(n)) {
                    throw new IllegalStateException("zstd: " + Zstd.getErrorName(n));
                }
                return Arrays.copyOf(out, (int) n);
            }
            case LZ4 -> {
                var compressor = LZ4_FACTORY.fastCompressor();
                byte[] out = new byte[compressor.maxCompressedLength(length)];
                int n = compressor.compress(raw, 0, length, out, 0, out.length);
                return Arrays.copyOf(out, n);
            }
            default -> {
                return Arrays.copyOf(raw, length);
            }
        }
    }

    /** Decompresses {@code stored} into exactly {@code rawLength} bytes, or refuses it. */
    byte[] decompress(byte[] stored, int rawLength) throws StreamException {
        byte[] out = new byte[rawLength];
        switch (this) {
            case ZSTD -> {
                long n = Zstd.decompressByteArray(out, 0, rawLength, stored, 0, stored.length);
                if (Zstd.isError(n) || n != rawLength) {
                    throw new StreamException("a frame does not decompress (zstd" + (Zstd.isError(n) ? ": " + Zstd.getErrorName(n) : "") + ")");
                }
            }
            case LZ4 -> {
                try {
                    int n = LZ4_FACTORY.safeDecompressor().decompress(stored, 0, stored.length, out, 0, rawLength);
                    if (n != rawLength) {
                        throw new StreamException("a frame does not decompress (lz4: " + n + " bytes, not " + rawLength + ")");
                    }
                } catch (LZ4Exception e) {
                    throw new StreamException("a frame does not decompress (lz4: " + e.getMessage() + ")");
                }
            }
            default -> {
                if (stored.length != rawLength) {
                    throw new StreamException("an uncompressed frame holds " + stored.length + " bytes, not " + rawLength);
                }
                return stored;
            }
        }
        return out;
    }
}
