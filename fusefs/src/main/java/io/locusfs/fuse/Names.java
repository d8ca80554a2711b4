package io.locusfs.fuse;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Names and paths as strings of raw name bytes, one char per byte (ISO-8859-1): a file name is
 * any bytes but '/' and NUL, not necessarily UTF-8, and the bytes come back unchanged.
 */
final class Names {
    static final byte[] DOT = {'.'};
    static final byte[] DOT_DOT = {'.', '.'};
    private static final Charset PATH_CHARSET = StandardCharsets.ISO_8859_1;

    private Names() {
    }

    static byte[] bytes(String s) {
        return s.getBytes(PATH_CHARSET);
    }

    /** A name as the path strings jnr-fuse gives us spell it (for messages). */
    static String display(byte[] name) {
        return new String(name, PATH_CHARSET);
    }

    /** A path as streams and mirrors name it: its names' bytes read as UTF-8. */
    static String utf8(String path) {
        return new String(bytes(path), StandardCharsets.UTF_8);
    }

    static List<byte[]> components(String path) {
        List<byte[]> names = new ArrayList<>();
        for (String part : path.split("/")) {
            if (!part.isEmpty()) {
                names.add(bytes(part));
            }
        }
        return names;
    }

    static long nowNanos() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
