package io.locusfs.replicate;

import io.locusfs.tree.SnapshotTree;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The records inside a RECORDS frame (STREAM.md): REMOVE a path, RENAME one (with what it
 * holds), NODE (a file's metadata, its placement constraint and provenance), CHANGED (a NODE
 * whose data continues from the base snapshot: only what was written since follows), DATA (bytes
 * of a file at an offset), TIMES (a directory's times, set once everything below it is in).
 */
final class Records {
    static final int REMOVE = 1;
    static final int NODE = 2;
    static final int DATA = 3;
    static final int TIMES = 4;
    static final int RENAME = 5;
    static final int CHANGED = 6;
    /** Names under the root where renamed paths wait between the two halves of a stream's renames. */
    static final String STAGING_PREFIX = ".locusfs-moving-";

    /** The staging name of the {@code index}-th rename of stream {@code stream}. */
    static String staging(String stream, int index) {
        return STAGING_PREFIX + stream + "-" + index;
    }
    /** Longest string a record may hold (paths, link targets, constraints, provenance). */
    private static final int MAX_STRING = 1 << 20;

    private Records() {
    }

    /** A file as the stream describes it: its node, the placement rules covering it, and where it came from. */
    /** {@code continues}: a CHANGED record, the file keeps its data from the base snapshot, cut or extended to its size. */
    record NodeRecord(SnapshotTree.Node node, String constraint, String provenance, boolean continues) {
    }

    record Data(String path, long offset, byte[] bytes) {
    }

    record Times(String path, long atimeNanos, long mtimeNanos) {
    }

    /** Collects records until a frame's worth is ready. */
    static final class Buffer {
        private final Bytes bytes = new Bytes();
        private final DataOutputStream out = new DataOutputStream(bytes);
        private long records;

        /** A byte buffer whose array is lent to the frame writer: a frame's payload is not copied out. */
        private static final class Bytes extends ByteArrayOutputStream {
            Bytes() {
                super(1 << 20);
            }

            byte[] array() {
                return buf;
            }
        }

        int size() {
            return bytes.size();
        }

        long records() {
            return records;
        }

        /** The records written since the last {@link #clear}: the first {@link #size} bytes, valid until the next write. */
        byte[] array() {
            return bytes.array();
        }

        void clear() {
            bytes.reset();
        }

        void remove(String path) throws IOException {
            out.writeByte(REMOVE);
            string(path);
            records++;
        }

        void node(SnapshotTree.Node n, String constraint, String provenance, boolean continues) throws IOException {
            out.writeByte(continues ? CHANGED : NODE);
            writeNode(out, n, constraint, provenance);
            records++;
        }

        void rename(String from, String to) throws IOException {
            out.writeByte(RENAME);
            string(from);
            string(to);
            records++;
        }

        void data(String path, long offset, byte[] data, int length) throws IOException {
            out.writeByte(DATA);
            string(path);
            out.writeLong(offset);
            out.writeInt(length);
            out.write(data, 0, length);
            records++;
        }

        void times(String path, long atimeNanos, long mtimeNanos) throws IOException {
            out.writeByte(TIMES);
            string(path);
            out.writeLong(atimeNanos);
            out.writeLong(mtimeNanos);
            records++;
        }

        private void string(String text) throws IOException {
            writeString(out, text);
        }
    }

    /**
     * The fields of a NODE or CHANGED record after its type byte (STREAM.md); a bucket's tree
     * layers (BUCKET.md) store each node the same way.
     */
    static void writeNode(DataOutputStream out, SnapshotTree.Node n, String constraint, String provenance) throws IOException {
        writeString(out, n.path());
        out.writeByte(n.kind().ordinal());
        out.writeInt(n.permissions());
        out.writeInt(n.uid());
        out.writeInt(n.gid());
        out.writeLong(n.atimeNanos());
        out.writeLong(n.mtimeNanos());
        out.writeLong(n.ctimeNanos());
        out.writeLong(n.size());
        out.writeLong(n.rdev());
        writeOptional(out, n.symlinkTarget());
        writeOptional(out, n.hardLinkOf());
        out.writeInt(n.xattrs().size());
        for (var x : n.xattrs().entrySet()) {
            writeString(out, x.getKey());
            out.writeInt(x.getValue().length);
            out.write(x.getValue());
        }
        writeString(out, constraint);
        writeString(out, provenance);
    }

    static void writeString(DataOutputStream out, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    static void writeOptional(DataOutputStream out, String text) throws IOException {
        out.writeBoolean(text != null);
        if (text != null) {
            writeString(out, text);
        }
    }

    /** Receives the records of a frame. */
    interface Visitor {
        void remove(String path) throws IOException;

        void node(NodeRecord record) throws IOException;

        void rename(String from, String to) throws IOException;

        void data(Data data) throws IOException;

        void times(Times times) throws IOException;
    }

    /** Decodes every record of {@code payload}; anything malformed is a StreamException. */
    static void read(byte[] payload, long frame, Visitor visitor) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload));
        try {
            while (in.available() > 0) {
                int type = in.readUnsignedByte();
                switch (type) {
                    case REMOVE -> visitor.remove(path(in));
                    case NODE -> visitor.node(node(in, false));
                    case CHANGED -> visitor.node(node(in, true));
                    case DATA -> {
                        String path = path(in);
                        long offset = in.readLong();
                        int length = in.readInt();
                        if (offset < 0 || length < 0 || length > in.available()) {
                            throw new StreamException("a DATA record of '" + path + "' has a bad offset or length");
                        }
                        visitor.data(new Data(path, offset, bytes(in, length)));
                    }
                    case TIMES -> visitor.times(new Times(path(in), in.readLong(), in.readLong()));
                    case RENAME -> visitor.rename(path(in), path(in));
                    default -> throw new StreamException("unknown record type " + type);
                }
            }
        } catch (EOFException | IllegalArgumentException e) {
            throw new StreamException("frame " + frame + " holds a malformed record: " + e.getMessage());
        }
    }

    /** Reads what {@link #writeNode} wrote; anything malformed is a StreamException. */
    static Records.NodeRecord node(DataInputStream in, boolean continues) throws IOException {
        String path = path(in);
        int kind = in.readUnsignedByte();
        if (kind >= SnapshotTree.Kind.values().length) {
            throw new StreamException("'" + path + "' has an unknown kind " + kind);
        }
        int permissions = in.readInt();
        int uid = in.readInt();
        int gid = in.readInt();
        long atime = in.readLong();
        long mtime = in.readLong();
        long ctime = in.readLong();
        long size = in.readLong();
        long rdev = in.readLong();
        String symlink = in.readBoolean() ? string(in) : null;
        String hardLinkOf = in.readBoolean() ? path(in) : null;
        int count = in.readInt();
        if (count < 0 || count > 65536) {
            throw new StreamException("'" + path + "' declares " + count + " xattrs");
        }
        Map<String, byte[]> xattrs = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String name = string(in);
            int length = in.readInt();
            if (length < 0 || length > in.available()) {
                throw new StreamException("xattr " + name + " of '" + path + "' has a bad length");
            }
            xattrs.put(name, bytes(in, length));
        }
        String constraint = string(in);
        String provenance = string(in);
        SnapshotTree.Node node = new SnapshotTree.Node(path, SnapshotTree.Kind.values()[kind], permissions & 07777, uid, gid,
                atime, mtime, ctime, size, symlink, rdev, xattrs, null, null, hardLinkOf, null);
        if (continues && node.kind() != SnapshotTree.Kind.FILE) {
            throw new StreamException("a CHANGED record of '" + node.path() + "', which is not a regular file");
        }
        return new NodeRecord(node, constraint, provenance, continues);
    }

    /** A path: relative, no empty, "." or ".." component (a hostile stream must not climb out). */
    private static String path(DataInputStream in) throws IOException {
        String path = string(in);
        if (path.startsWith("/") || path.contains("\0")) {
            throw new StreamException("path '" + path + "' is not a relative path");
        }
        if (!path.isEmpty()) {
            for (String c : path.split("/", -1)) {
                if (c.isEmpty() || c.equals(".") || c.equals("..")) {
                    throw new StreamException("path '" + path + "' has an empty, '.' or '..' component");
                }
            }
        }
        return path;
    }

    static String string(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_STRING || length > in.available()) {
            throw new StreamException("a string of " + length + " bytes does not fit its frame");
        }
        return new String(bytes(in, length), StandardCharsets.UTF_8);
    }

    /** Exactly {@code length} bytes (InputStream.readNBytes would copy them through 8 KiB chunks). */
    private static byte[] bytes(DataInputStream in, int length) throws IOException {
        byte[] b = new byte[length];
        in.readFully(b);
        return b;
    }
}
