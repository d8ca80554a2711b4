package io.locusfs.translate;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Reads GNU tar's sparse files (pax format 1.0, what GNU tar, bsdtar and our export write)
 * ourselves. commons-compress 1.28 reads {@code GNU.sparse.realsize} as a 32-bit int and fails
 * on any sparse file of 2 GiB or more ("Unable to parse int from string value"). So the archive
 * reaches it through {@link #hidingSparseKeys}, which renames the four {@code GNU.sparse.*} pax
 * keys to same-length private ones (no length, size or checksum changes): commons-compress then
 * sees a plain file {@code DIR/GNUSparseFile.0/NAME} whose data is the sparse map and the data
 * segments, and {@link #expand} turns that back into the file, 64-bit throughout.
 */
final class GnuSparse {
    private static final int BLOCK = 512;
    /** Pax header blocks larger than this are refused rather than held in memory (a hostile archive). */
    private static final int MAX_PAX_HEADER = 16 << 20;
    private static final String[][] RENAMES = {
        {"GNU.sparse.major", "LOCUSFS.sp.major"},
        {"GNU.sparse.minor", "LOCUSFS.sp.minor"},
        {"GNU.sparse.name", "LOCUSFS.sp.name"},
        {"GNU.sparse.realsize", "LOCUSFS.sp.realsize"},
    };

    private GnuSparse() {
    }

    /** True when {@code entry} is a GNU 1.0 sparse file whose keys {@link #hidingSparseKeys} renamed. */
    static boolean isSparse(TarArchiveEntry entry) {
        return "1".equals(entry.getExtraPaxHeader("LOCUSFS.sp.major")) && "0".equals(entry.getExtraPaxHeader("LOCUSFS.sp.minor"));
    }

    /** The sparse file's own path (not {@code GNUSparseFile.0/...}). */
    static String name(TarArchiveEntry entry) {
        String name = entry.getExtraPaxHeader("LOCUSFS.sp.name");
        return name != null ? name : entry.getName();
    }

    /** The sparse file's size, holes included. */
    static long realSize(TarArchiveEntry entry, String archive) throws TranslationException {
        String size = entry.getExtraPaxHeader("LOCUSFS.sp.realsize");
        try {
            long value = Long.parseLong(size);
            if (value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new TranslationException(archive + ": '" + name(entry) + "' has no valid sparse file size ('" + size + "')");
        }
    }

    /**
     * The content of a sparse entry: reads its map from {@code raw} (the entry's stored data),
     * then yields data segments where the map puts them and zeros in between, up to {@code size}.
     *
     * @throws TranslationException for a map that is malformed, unordered or beyond the size
     */
    static InputStream expand(InputStream raw, long size, long stored, String what) throws IOException {
        int[] consumed = {0};
        long count = mapNumber(raw, consumed, what);
        if (count < 0 || count > stored / 2 + 1) {
            throw new TranslationException(what + ": a sparse map of " + count + " segments does not fit the entry");
        }
        List<long[]> segments = new ArrayList<>();
        long end = 0;
        long data = 0;
        for (long i = 0; i < count; i++) {
            long offset = mapNumber(raw, consumed, what);
            long length = mapNumber(raw, consumed, what);
            if (offset < end || length < 0 || offset > size - length) {
                throw new TranslationException(what + ": its sparse map is out of order or beyond its size of " + size);
            }
            segments.add(new long[] {offset, length});
            end = offset + length;
            data += length;
        }
        raw.skipNBytes((BLOCK - consumed[0] % BLOCK) % BLOCK); // the map is padded to a block
        if ((consumed[0] + BLOCK - 1) / BLOCK * (long) BLOCK + data != stored) {
            throw new TranslationException(what + ": its sparse map describes " + data + " bytes of data, the entry holds "
                    + (stored - (consumed[0] + BLOCK - 1) / BLOCK * (long) BLOCK));
        }
        return new Expanded(raw, segments, size);
    }

    /** One decimal number of the map, ended by a newline. */
    private static long mapNumber(InputStream raw, int[] consumed, String what) throws IOException {
        long value = 0;
        int digits = 0;
        while (true) {
            int c = raw.read();
            consumed[0]++;
            if (c == '\n' && digits > 0) {
                return value;
            }
            if (c < '0' || c > '9' || digits >= 19) {
                throw new TranslationException(what + ": its sparse map is malformed");
            }
            value = value * 10 + (c - '0');
            digits++;
        }
    }

    /** A stream read in arrays; a single byte is read as an array of one. */
    private abstract static class ArrayReads extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }
    }

    /** A sparse file's bytes: its segments from the archive, zeros between and after them. */
    private static final class Expanded extends ArrayReads {
        private final InputStream raw;
        private final List<long[]> segments;
        private final long size;
        private long position;
        private int next;

        Expanded(InputStream raw, List<long[]> segments, long size) {
            this.raw = raw;
            this.segments = segments;
            this.size = size;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (position >= size) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            while (next < segments.size() && position >= segments.get(next)[0] + segments.get(next)[1]) {
                next++;
            }
            if (next < segments.size() && position >= segments.get(next)[0]) {
                long[] s = segments.get(next);
                int n = raw.read(b, off, (int) Math.min(len, s[0] + s[1] - position));
                if (n < 0) {
                    throw new EOFException("the archive ends inside a sparse file's data");
                }
                position += n;
                return n;
            }
            long holeEnd = next < segments.size() ? segments.get(next)[0] : size;
            int n = (int) Math.min(len, holeEnd - position);
            Arrays.fill(b, off, off + n, (byte) 0);
            position += n;
            return n;
        }
    }

    /**
     * {@code in} with the {@code GNU.sparse.*} keys of every pax header renamed (see the class
     * comment). Walks the archive's blocks: each header's size says how much data follows; only
     * pax header data ({@code x}) is read whole, and rewritten in place.
     */
    static InputStream hidingSparseKeys(InputStream in) {
        return new ArrayReads() {
            private byte[] pending = new byte[0];
            private int pendingAt;
            /** Data bytes of the current entry still to pass through unchanged. */
            private long passThrough;
            private boolean done;

            @Override
            public void close() throws IOException {
                in.close();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (pendingAt < pending.length) {
                    int n = Math.min(len, pending.length - pendingAt);
                    System.arraycopy(pending, pendingAt, b, off, n);
                    pendingAt += n;
                    return n;
                }
                if (done || passThrough > 0) {
                    int n = in.read(b, off, done ? len : (int) Math.min(len, passThrough));
                    if (n > 0 && !done) {
                        passThrough -= n;
                    }
                    return n;
                }
                byte[] header = in.readNBytes(BLOCK);
                if (header.length < BLOCK) {
                    done = true;
                    return emit(header, b, off, len);
                }
                long size = size(header);
                long padded = size < 0 ? -1 : (size + BLOCK - 1) / BLOCK * BLOCK;
                byte type = header[156];
                if (padded < 0 || isZero(header)) {
                    done = true; // the end of the archive, or something commons-compress will judge
                } else if ((type == 'x' || type == 'X') && padded <= MAX_PAX_HEADER) {
                    byte[] records = in.readNBytes((int) padded);
                    rename(records, (int) Math.min(size, records.length));
                    byte[] both = Arrays.copyOf(header, BLOCK + records.length);
                    System.arraycopy(records, 0, both, BLOCK, records.length);
                    return emit(both, b, off, len);
                } else {
                    passThrough = padded;
                }
                return emit(header, b, off, len);
            }

            private int emit(byte[] bytes, byte[] b, int off, int len) {
                if (bytes.length == 0) {
                    return -1;
                }
                pending = bytes;
                int n = Math.min(len, bytes.length);
                System.arraycopy(bytes, 0, b, off, n);
                pendingAt = n;
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                byte[] sink = new byte[(int) Math.min(n, 8192)];
                int read = read(sink, 0, sink.length);
                return Math.max(read, 0);
            }

            @Override
            public int available() {
                return pending.length - pendingAt;
            }

            @Override
            public boolean markSupported() {
                return false;
            }
        };
    }

    /** An entry's data size from its header: octal, or base-256 when the first byte's high bit is set; -1 if unreadable. */
    static long size(byte[] header) {
        if ((header[124] & 0x80) != 0) {
            long value = 0;
            for (int i = 125; i < 136; i++) { // the first byte holds only the marker (and sign) here
                value = (value << 8) | (header[i] & 0xff);
            }
            return (header[124] & 0x40) != 0 || value < 0 ? -1 : value;
        }
        long value = 0;
        boolean digits = false;
        for (int i = 124; i < 136; i++) {
            byte c = header[i];
            if (c == 0 || c == ' ') {
                if (digits) {
                    break;
                }
                continue;
            }
            if (c < '0' || c > '7') {
                return -1;
            }
            value = value * 8 + (c - '0');
            digits = true;
        }
        return value;
    }

    private static boolean isZero(byte[] block) {
        for (byte x : block) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** Renames, in place, the sparse keys of the pax records in {@code records[0, length)} ("LEN key=value\n" each). */
    static void rename(byte[] records, int length) {
        int at = 0;
        while (at < length) {
            int space = at;
            int recordLength = 0;
            while (space < length && records[space] >= '0' && records[space] <= '9') {
                recordLength = recordLength * 10 + (records[space] - '0');
                space++;
                if (recordLength > length) {
                    return;
                }
            }
            if (space >= length || records[space] != ' ' || recordLength <= space - at || at + recordLength > length) {
                return; // malformed: commons-compress will say so
            }
            int keyStart = space + 1;
            for (String[] rename : RENAMES) {
                byte[] from = rename[0].getBytes(StandardCharsets.US_ASCII);
                if (keyStart + from.length < at + recordLength && records[keyStart + from.length] == '='
                        && Arrays.equals(records, keyStart, keyStart + from.length, from, 0, from.length)) {
                    byte[] to = rename[1].getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(to, 0, records, keyStart, to.length);
                }
            }
            at += recordLength;
        }
    }
}
