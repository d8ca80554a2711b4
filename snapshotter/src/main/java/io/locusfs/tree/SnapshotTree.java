package io.locusfs.tree;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What an export writes: the files of one snapshot, or of the part of it that changed since an
 * older snapshot. Paths are relative to the exported root ("" is the root itself), '/'-separated,
 * UTF-8. Read-only; a walk may run while the store is in use, since a snapshot never changes.
 */
public interface SnapshotTree {

    /** Which snapshot this is and where it came from. {@code since} is null for a full export. */
    record Header(String snapshot, String since, Instant created, String storeId, String zone) {
    }

    Header header();

    /** True when only what changed since {@code header().since()} is walked. */
    default boolean incremental() {
        return header().since() != null;
    }

    /** For an incremental tree, the paths that no longer exist (remove them before adding); else empty. */
    List<String> removed();

    /** A path moved, with everything below it, from {@code from} (in the older snapshot) to {@code to}. */
    record Rename(String from, String to) {
    }

    /**
     * For an incremental tree made to keep renames (replication streams), the paths moved as a
     * whole, to apply after {@link #removed} and before the walk's nodes; else empty, and a moved
     * path shows as removed and added again.
     */
    default List<Rename> renamed() {
        return List.of();
    }

    /** The exported root ("" path): its attributes, whether or not {@link #walk} visits it. */
    Node root();

    /** The number of nodes and bytes of file data (holes not counted) {@link #walk} visits, for progress. */
    long files();

    long bytes();

    /** Receives the nodes of a walk. */
    interface Visitor {
        void visit(Node node) throws IOException;
    }

    /**
     * Visits every node in path order, each directory before what it holds; the first path of a
     * hard-linked file comes before its other links.
     */
    void walk(Visitor visitor) throws IOException;

    /** The kinds of file a tree holds. */
    enum Kind {
        DIRECTORY, FILE, SYMLINK, FIFO, CHAR_DEVICE, BLOCK_DEVICE, SOCKET;

        /** The kind a POSIX {@code st_mode} says (its {@code S_IFMT} bits). */
        public static Kind of(int mode) {
            return switch (mode & 0170000) {
                case 0040000 -> DIRECTORY;
                case 0120000 -> SYMLINK;
                case 0010000 -> FIFO;
                case 0020000 -> CHAR_DEVICE;
                case 0060000 -> BLOCK_DEVICE;
                case 0140000 -> SOCKET;
                default -> FILE;
            };
        }
    }

    /**
     * One file, directory or other node.
     *
     * @param permissions    the mode's permission and set-id bits ({@code mode & 07777})
     * @param symlinkTarget  the target of a symlink, else null
     * @param xattrs         extended attributes by full name ({@code user.x}), the filesystem's
     *                       reserved {@code user.location*} names left out
     * @param zone           where the data lived ({@code user.location})
     * @param locationRecord the signed record saying so ({@code user.location.record})
     * @param hardLinkOf     for the second and later paths of one file, the path visited first
     *                       (or, in an incremental tree, a path the file already had); else null
     * @param content        the data of a regular file, else null
     */
    record Node(String path, Kind kind, int permissions, int uid, int gid, long atimeNanos, long mtimeNanos,
                long ctimeNanos, long size, String symlinkTarget, long rdev, Map<String, byte[]> xattrs,
                String zone, String locationRecord, String hardLinkOf, FileContent content) {
    }

    /** A byte range of a file that holds data; everything outside the extents reads as zeros. */
    record Extent(long offset, long length) {
    }

    /** The data of one regular file. */
    interface FileContent {
        /** The ranges that hold data, in order; a file without holes has one extent of its whole size. */
        List<Extent> extents();

        /** Reads {@code length} bytes at {@code offset} into {@code buffer}; holes read as zeros. */
        void read(long offset, byte[] buffer, int length) throws IOException;

        /** The whole content, holes as zeros. */
        InputStream open();

        /**
         * In a tree of the changes since an older snapshot, for a file that is the same file at
         * the same path in that snapshot: the ranges written (or made holes) since, which with
         * the file's new size turn the older content into this one; null when the file must be
         * taken whole (new, replaced, moved, or a tree that is not incremental). Holes in the
         * ranges read as zeros.
         */
        default List<Extent> changedSince() {
            return null;
        }
    }

    /** The bytes of data a node's file holds, holes not counted: what an export reads of it. */
    static long dataBytes(Node node) {
        return node.content() == null ? 0 : node.content().extents().stream().mapToLong(Extent::length).sum();
    }

    /** The shorthand for a node's xattrs when it has none. */
    Map<String, byte[]> NO_XATTRS = Map.of();
}
