package io.locusfs.translate;

import io.locusfs.tree.SnapshotTree;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a POSIX pax archive (IEEE 1003.1-2001 {@code pax} format), one entry at a time: an
 * extended header ('x') with the exact values (path, times with nanoseconds, large ids and
 * sizes, xattrs as {@code SCHILY.xattr.*}, a {@code comment}) and a ustar header after it.
 * Sparse files use the PAX 1.0 sparse layout GNU tar and bsdtar read
 * ({@code GNU.sparse.major=1}). Written here rather than with a library because the one we
 * read with (commons-compress) writes neither sparse entries nor xattr values that are not text;
 * the layout is in {@code replicator/FORMATS.md}. Not thread-safe.
 */
final class PaxWriter implements AutoCloseable {
    static final int BLOCK = 512;
    static final char REGULAR = '0';
    static final char HARD_LINK = '1';
    static final char SYMLINK = '2';
    static final char CHAR_DEVICE = '3';
    static final char BLOCK_DEVICE = '4';
    static final char DIRECTORY = '5';
    static final char FIFO = '6';
    private static final long MAX_OCTAL_7 = 07777777L;
    private static final long MAX_OCTAL_11 = 077777777777L;

    private final OutputStream out;
    private long written;
    private long dataLeft;

    PaxWriter(OutputStream out) {
        this.out = out;
    }

    /** One entry's header fields. {@code records} are extra pax records (xattrs, comment, sparse). */
    record Header(String path, char type, int permissions, long uid, long gid, long size, long atimeNanos,
                  long mtimeNanos, long ctimeNanos, String linkPath, long devMajor, long devMinor,
                  Map<String, byte[]> records) {
    }

    /** Starts an entry; then exactly {@code header.size()} bytes of data must be written with {@link #data}. */
    void entry(Header header) throws IOException {
        if (dataLeft != 0) {
            throw new IllegalStateException("the previous entry is missing " + dataLeft + " bytes");
        }
        Map<String, byte[]> records = new LinkedHashMap<>();
        if (!header.records().containsKey("GNU.sparse.name")) {
            records.put("path", utf8(header.path()));
        }
        records.put("mtime", utf8(time(header.mtimeNanos())));
        records.put("atime", utf8(time(header.atimeNanos())));
        records.put("ctime", utf8(time(header.ctimeNanos())));
        if (header.uid() > MAX_OCTAL_7) {
            records.put("uid", utf8(Long.toString(header.uid())));
        }
        if (header.gid() > MAX_OCTAL_7) {
            records.put("gid", utf8(Long.toString(header.gid())));
        }
        if (header.size() > MAX_OCTAL_11) {
            records.put("size", utf8(Long.toString(header.size())));
        }
        if (header.linkPath() != null) {
            records.put("linkpath", utf8(header.linkPath()));
        }
        records.putAll(header.records());
        byte[] body = encode(records);
        String shortName = ascii(header.path(), 100);
        writeUstar("PaxHeaders/" + ascii(baseName(header.path()), 80), 'x', 0644, 0, 0, body.length, 0, null, 0, 0);
        writePadded(body);
        writeUstar(shortName, header.type(), header.permissions(), header.uid(), header.gid(), header.size(),
                Math.floorDiv(header.mtimeNanos(), 1_000_000_000L), header.linkPath(), header.devMajor(), header.devMinor());
        dataLeft = header.size();
    }

    /** Writes data of the current entry. */
    void data(byte[] bytes, int length) throws IOException {
        if (length > dataLeft) {
            throw new IllegalStateException("more data than the entry's size");
        }
        out.write(bytes, 0, length);
        written += length;
        dataLeft -= length;
        if (dataLeft == 0) {
            pad();
        }
    }

    /**
     * The data block that starts a PAX 1.0 sparse entry: the number of extents, then each
     * extent's offset and length, one decimal number per line, padded to a whole block.
     */
    static byte[] sparseMap(List<SnapshotTree.Extent> extents) {
        StringBuilder map = new StringBuilder().append(extents.size()).append('\n');
        for (SnapshotTree.Extent e : extents) {
            map.append(e.offset()).append('\n').append(e.length()).append('\n');
        }
        byte[] text = utf8(map.toString());
        byte[] block = new byte[(text.length + BLOCK - 1) / BLOCK * BLOCK];
        System.arraycopy(text, 0, block, 0, text.length);
        return block;
    }

    /** Ends the archive with two zero blocks. */
    @Override
    public void close() throws IOException {
        out.write(new byte[2 * BLOCK]);
        out.flush();
    }

    private void writePadded(byte[] body) throws IOException {
        out.write(body);
        written += body.length;
        pad();
    }

    private void pad() throws IOException {
        int rest = (int) (written % BLOCK);
        if (rest != 0) {
            out.write(new byte[BLOCK - rest]);
            written += BLOCK - rest;
        }
    }

    private void writeUstar(String name, char type, int permissions, long uid, long gid, long size, long mtime,
                            String linkPath, long devMajor, long devMinor) throws IOException {
        byte[] h = new byte[BLOCK];
        put(h, 0, 100, utf8(name));
        octal(h, 100, 8, permissions);
        octal(h, 108, 8, uid <= MAX_OCTAL_7 ? uid : 0);
        octal(h, 116, 8, gid <= MAX_OCTAL_7 ? gid : 0);
        octal(h, 124, 12, size <= MAX_OCTAL_11 ? size : 0);
        octal(h, 136, 12, Math.max(0, Math.min(mtime, MAX_OCTAL_11)));
        h[156] = (byte) type;
        if (linkPath != null) {
            put(h, 157, 100, utf8(ascii(linkPath, 100)));
        }
        put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        octal(h, 329, 8, Math.min(devMajor, MAX_OCTAL_7));
        octal(h, 337, 8, Math.min(devMinor, MAX_OCTAL_7));
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        byte[] check = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(check, 0, h, 148, 8);
        out.write(h);
        written += BLOCK;
    }

    /** Encodes pax records: "LENGTH KEY=VALUE\n", LENGTH counting the whole record in bytes. */
    static byte[] encode(Map<String, byte[]> records) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (var record : records.entrySet()) {
            byte[] key = utf8(record.getKey());
            int rest = key.length + record.getValue().length + 3;
            int length = rest + Integer.toString(rest).length();
            if (Integer.toString(length).length() != Integer.toString(rest).length()) {
                length++;
            }
            body.writeBytes(utf8(length + " "));
            body.writeBytes(key);
            body.write('=');
            body.writeBytes(record.getValue());
            body.write('\n');
        }
        return body.toByteArray();
    }

    /** Seconds since the epoch with nanoseconds, as pax writes times ("1700000000.123456789"). */
    static String time(long nanos) {
        return BigDecimal.valueOf(nanos, 9).toPlainString();
    }

    private static void octal(byte[] h, int offset, int length, long value) {
        String digits = Long.toOctalString(value);
        String field = "0".repeat(Math.max(0, length - 1 - digits.length())) + digits;
        put(h, offset, length - 1, field.getBytes(StandardCharsets.US_ASCII));
    }

    private static void put(byte[] h, int offset, int length, byte[] value) {
        System.arraycopy(value, 0, h, offset, Math.min(length, value.length));
    }

    /** The name as it fits a ustar field: non-ASCII bytes replaced, cut to {@code max} bytes (the pax path is exact). */
    private static String ascii(String name, int max) {
        StringBuilder s = new StringBuilder();
        for (char c : name.toCharArray()) {
            s.append(c < 0x80 ? c : '_');
        }
        return s.length() <= max ? s.toString() : s.substring(0, max);
    }

    private static String baseName(String path) {
        String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return trimmed.substring(trimmed.lastIndexOf('/') + 1);
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
