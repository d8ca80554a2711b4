package io.locusfs.tree;

import io.locusfs.store.FileData;
import io.locusfs.store.Inode;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import io.locusfs.store.Tree;
import io.locusfs.xattr.ReservedAttributes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongPredicate;

/**
 * Builds an imported tree in the live tree of a store, below one directory, then takes a
 * snapshot of it. All-zero blocks become holes. Directory times are set last, since adding what
 * a directory holds changes them. Not thread-safe: one import per builder.
 */
public final class StoreTreeBuilder implements TreeBuilder {
    /** Blocks written per batch: bounds the memory one file's import holds. */
    private static final int BLOCKS_PER_COMMIT = 64;

    private final Store store;
    private final Tree tree;
    private final FileData data;
    private final long rootIno;
    private final LongPredicate isOpen;
    private final List<Inode> directoryTimes = new ArrayList<>();
    private final String snapshotName;
    private SnapshotTree.Header described;
    private long files;
    private long bytes;

    /**
     * A builder writing below {@code into} (created if missing) in {@code store}'s live tree;
     * {@code isOpen} tells which inodes a mount has open, so that removing one keeps its data;
     * {@link #finish} takes snapshot {@code snapshotName}, or when null the one the input names.
     *
     * @throws TreeException when snapshot {@code snapshotName} exists already
     */
    public StoreTreeBuilder(Store store, String into, LongPredicate isOpen, String snapshotName) throws TreeException {
        if (snapshotName != null && store.snapshots().find(snapshotName).isPresent()) {
            throw new TreeException("snapshot '" + snapshotName + "' exists already in " + store.path());
        }
        this.snapshotName = snapshotName;
        this.store = store;
        this.tree = store.tree();
        this.data = store.data();
        this.isOpen = isOpen;
        long ino = Store.ROOT_INO;
        for (String component : into.split("/")) {
            if (component.isEmpty()) {
                continue;
            }
            byte[] name = bytes(component);
            long next = tree.lookup(ino, name);
            if (next == 0) {
                next = tree.create(ino, name, Inode.S_IFDIR | 0755, 0, 0, 0, null).ino;
            } else if (!tree.inode(next).isDirectory()) {
                throw new TreeException("'" + into + "' is not a directory in the store");
            }
            ino = next;
        }
        this.rootIno = ino;
    }

    @Override
    public void requireBase(String since) throws TreeException {
        if (store.snapshots().find(since).isEmpty()) {
            throw new TreeException("this is an incremental export since snapshot '" + since
                    + "', which " + store.path() + " does not have: import that one first");
        }
    }

    @Override
    public void describe(SnapshotTree.Header header) throws TreeException {
        if (snapshotName == null && store.snapshots().find(header.snapshot()).isPresent()) {
            throw new TreeException("the input is snapshot '" + header.snapshot() + "', which " + store.path()
                    + " has already; give another name with --snapshot");
        }
        described = header;
    }

    /** What the input said about itself, or null. */
    public SnapshotTree.Header described() {
        return described;
    }

    public long files() {
        return files;
    }

    public long bytes() {
        return bytes;
    }

    @Override
    public void remove(String path) throws TreeException {
        Located at = locate(path, false);
        if (at == null || at.ino() == 0) {
            return;
        }
        if (at.found == null) {
            throw new TreeException("the import's root cannot be removed");
        }
        if (exclusive && !at.isDirectory()) {
            tree.unlink(at.found, isOpen); // the entry as found, not read again
        } else {
            removeEntry(at.parent(), at.name(), at.ino(), at.isDirectory());
        }
    }

    private void removeEntry(long parent, byte[] name, long ino, boolean directory) {
        if (directory) {
            forgetDirectories();
            List<Tree.Entry> entries = new ArrayList<>();
            tree.list(ino, entries::add);
            for (Tree.Entry entry : entries) {
                removeEntry(ino, entry.name(), entry.ino(), entry.isDirectory());
            }
            tree.rmdir(parent, name);
        } else {
            tree.unlink(parent, name, isOpen);
        }
    }

    @Override
    public void add(SnapshotTree.Node node, InputStream content) throws IOException {
        addNode(node, content);
    }

    /**
     * Adds {@code node} as {@link #add} does, a regular file with the node's size but no data
     * yet (it reads as zeros until {@link #writeAt} fills it), and returns its inode number.
     */
    public long create(SnapshotTree.Node node) throws IOException {
        return addNode(node, null);
    }

    private long addNode(SnapshotTree.Node node, InputStream content) throws IOException {
        Located at = locate(node.path(), true);
        if (at.found == null) {
            attributes(rootIno, node);
            return rootIno;
        }
        Tree.Found found = at.found;
        if (at.ino() != 0) {
            boolean bothDirectories = node.kind() == SnapshotTree.Kind.DIRECTORY && at.isDirectory();
            if (bothDirectories) {
                attributes(at.ino(), node);
                return at.ino();
            }
            if (!exclusive || at.isDirectory() || node.hardLinkOf() != null) {
                removeEntry(at.parent(), at.name(), at.ino(), at.isDirectory());
                found = Tree.Found.absent(at.parent(), at.name()); // removed just now
            } // else the create below replaces the file in the same write
        }
        Inode inode;
        try {
            if (node.hardLinkOf() != null) {
                Located target = locate(node.hardLinkOf(), false);
                if (target == null || target.ino() == 0) {
                    throw new TreeException("'" + node.path() + "' is a hard link to '" + node.hardLinkOf()
                            + "', which the import does not have");
                }
                tree.link(target.ino(), at.parent(), at.name());
                files++;
                return target.ino();
            }
            int type = switch (node.kind()) {
                case DIRECTORY -> Inode.S_IFDIR;
                case FILE -> Inode.S_IFREG;
                case SYMLINK -> Inode.S_IFLNK;
                case FIFO -> Inode.S_IFIFO;
                case CHAR_DEVICE -> Inode.S_IFCHR;
                case BLOCK_DEVICE -> Inode.S_IFBLK;
                case SOCKET -> Inode.S_IFSOCK;
            };
            // One batch: the inode with the input's owner, mode and times, and its xattrs. A file
            // without content given here takes its size now (it reads as zeros until writeAt).
            Map<byte[], byte[]> xattrs = new LinkedHashMap<>();
            for (var xattr : node.xattrs().entrySet()) {
                xattrs.put(bytes(xattr.getKey()), xattr.getValue());
            }
            Consumer<Inode> init = created -> {
                created.mode = (created.mode & Inode.S_IFMT) | node.permissions();
                created.uid = node.uid();
                created.gid = node.gid();
                created.atimeNanos = node.atimeNanos();
                created.mtimeNanos = node.mtimeNanos();
                if (node.kind() == SnapshotTree.Kind.FILE && content == null) {
                    created.size = node.size();
                }
            };
            byte[] symlinkTarget = node.symlinkTarget() == null ? null : bytes(node.symlinkTarget());
            // With the store to itself, what was found is still there: replaced (or made) in one
            // write, without reading the entry again; else removed above, and made if still absent.
            inode = exclusive
                    ? tree.replace(found, type | node.permissions(), node.uid(), node.gid(), node.rdev(), symlinkTarget, init, xattrs, isOpen)
                    : tree.create(at.parent(), at.name(), type | node.permissions(), node.uid(), node.gid(), node.rdev(),
                            symlinkTarget, init, xattrs);
            if (node.kind() == SnapshotTree.Kind.FILE && content != null) {
                write(inode.ino, content, node.mtimeNanos());
            }
        } catch (StoreException e) {
            throw new TreeException("'" + node.path() + "': " + e.getMessage(), e);
        }
        if (inode.isDirectory()) {
            directoryTimes.add(inode);
        }
        files++;
        createdIno = inode.ino;
        return inode.ino;
    }

    /**
     * Brings the regular file at {@code node}'s path, which this store holds as it was in the base
     * snapshot of an incremental input, to the node's metadata and size while keeping its data:
     * what was written since follows through {@link #writeAt}.
     *
     * @return its inode
     * @throws TreeException when the path holds no regular file here
     */
    public long update(SnapshotTree.Node node) throws IOException {
        Located at = locate(node.path(), false);
        Inode inode = at == null || at.ino() == 0 ? null : tree.inode(at.ino());
        if (inode == null || !inode.isRegular()) {
            throw new TreeException("the input changes '" + node.path() + "' in place, but this store does not have it as a "
                    + "file (placement kept it back from here?): it needs a full stream");
        }
        try {
            if (inode.size != node.size()) {
                data.truncate(inode.ino, node.size());
            }
        } catch (StoreException e) {
            throw new TreeException("'" + node.path() + "': " + e.getMessage(), e);
        }
        attributes(inode.ino, node); // after the truncate, which sets the times it is about to set
        writingIno = 0; // its stored blocks are read again at the first write
        files++;
        return inode.ino;
    }

    /** The inode the last {@link #add}/{@link #create} made (not one it kept in place). */
    private long createdIno;
    /** The file {@link #writeAt} wrote last, and which of its blocks hold data. */
    private long writingIno;
    private BitSet writingStored;

    /**
     * Writes {@code length} bytes of {@code bytes} at {@code offset} of regular file {@code ino}
     * (made by {@link #create}), keeping its size and mtime; blocks only partly covered are
     * read, merged and written back, so any offset works whatever this store's block size.
     */
    public void writeAt(long ino, long offset, byte[] bytes, int length) {
        int blockSize = data.blockSize();
        if (ino != writingIno) {
            writingIno = ino;
            writingStored = ino == createdIno ? new BitSet() : data.storedBlocks(ino); // a file just made has no blocks
        }
        Inode inode = tree.inode(ino);
        List<FileData.BlockWrite> writes = new ArrayList<>();
        for (int done = 0; done < length; ) {
            long at = offset + done;
            long index = at / blockSize;
            int within = (int) (at % blockSize);
            int n = Math.min(blockSize - within, length - done);
            if (within == 0 && (n == blockSize || at + n >= inode.size)) {
                // The data handed over whole (a small file's one block) needs no copy: commit writes it before returning.
                byte[] block = done == 0 && n == bytes.length ? bytes : Arrays.copyOfRange(bytes, done, done + n);
                writes.add(new FileData.BlockWrite(index, block, n));
            } else {
                byte[] block = new byte[blockSize];
                byte[] old = writingStored.get((int) index) ? data.readBlock(ino, index) : null;
                int oldLength = old == null ? 0 : old.length;
                if (old != null) {
                    System.arraycopy(old, 0, block, 0, oldLength);
                }
                System.arraycopy(bytes, done, block, within, n);
                long blockEnd = Math.min(inode.size - index * blockSize, blockSize);
                writes.add(new FileData.BlockWrite(index, block, (int) Math.max(Math.max(oldLength, within + n), blockEnd)));
            }
            done += n;
            this.bytes += n;
        }
        data.commit(ino, writes, Math.max(inode.size, offset + length), inode.mtimeNanos, writingStored);
    }

    /** Sets the times of directory {@code path} (one that exists), as a stream's TIMES record says. */
    public void setTimes(String path, long atimeNanos, long mtimeNanos) throws TreeException {
        Located at = locate(path, false);
        if (at == null || at.ino() == 0) {
            throw new TreeException("'" + path + "' does not exist, so its times cannot be set");
        }
        tree.update(at.ino(), inode -> {
            inode.atimeNanos = atimeNanos;
            inode.mtimeNanos = mtimeNanos;
        });
    }

    /**
     * Moves {@code from} (with what it holds) to {@code to}, replacing what is there as rename(2)
     * does; missing directories on the way to {@code to} are created. Applying it twice is
     * harmless: when {@code from} is gone and {@code to} exists, it was done already.
     *
     * @return false when neither exists (the move cannot be made)
     */
    public boolean rename(String from, String to) throws TreeException {
        Located source = locate(from, false);
        Located target = locate(to, true);
        if ((source != null && source.found == null) || target.found == null) {
            throw new TreeException("the import's root cannot be moved or replaced");
        }
        if (source == null || source.ino() == 0) {
            return target.ino() != 0;
        }
        if (target.ino() != 0 || source.isDirectory()) {
            forgetDirectories(); // a directory moved, or something replaced (perhaps one)
        }
        try {
            tree.rename(source.parent(), source.name(), target.parent(), target.name(), isOpen);
        } catch (StoreException e) {
            throw new TreeException("moving '" + from + "' to '" + to + "': " + e.getMessage(), e);
        }
        return true;
    }

    /** The inode at {@code path} below the import's root, or 0. */
    public long inoOf(String path) throws TreeException {
        Located at = locate(path, false);
        return at == null ? 0 : at.ino();
    }

    /** Removes everything below the import's root: a full stream replaces what was there. */
    public void clear() {
        forgetDirectories();
        List<Tree.Entry> entries = new ArrayList<>();
        tree.list(rootIno, entries::add);
        for (Tree.Entry entry : entries) {
            removeEntry(rootIno, entry.name(), entry.ino(), entry.isDirectory());
        }
    }

    private void write(long ino, InputStream content, long mtimeNanos) throws IOException {
        int blockSize = data.blockSize();
        BitSet stored = new BitSet();
        List<FileData.BlockWrite> pending = new ArrayList<>();
        long size = 0;
        while (true) {
            byte[] block = content.readNBytes(blockSize);
            if (block.length > 0) {
                pending.add(new FileData.BlockWrite(size / blockSize, block, block.length));
                size += block.length;
                bytes += block.length;
            }
            if (pending.size() == BLOCKS_PER_COMMIT || (block.length < blockSize && !pending.isEmpty())) {
                data.commit(ino, pending, size, mtimeNanos, stored);
                pending = new ArrayList<>();
            }
            if (block.length < blockSize) {
                return;
            }
        }
    }

    private void attributes(long ino, SnapshotTree.Node node) throws TreeException {
        try {
            // A directory kept in place may hold xattrs the input no longer has.
            for (byte[] name : tree.listXattrs(ino)) {
                String text = new String(name, StandardCharsets.UTF_8);
                if (!node.xattrs().containsKey(text) && !ReservedAttributes.isReserved(text)) {
                    tree.removeXattr(ino, name);
                }
            }
            for (var xattr : node.xattrs().entrySet()) {
                tree.setXattr(ino, bytes(xattr.getKey()), xattr.getValue(), 0);
            }
            Inode stored = tree.update(ino, inode -> {
                inode.mode = (inode.mode & Inode.S_IFMT) | node.permissions();
                inode.uid = node.uid();
                inode.gid = node.gid();
                inode.atimeNanos = node.atimeNanos();
                inode.mtimeNanos = node.mtimeNanos();
            });
            if (stored.isDirectory()) {
                directoryTimes.add(stored);
            }
        } catch (StoreException e) {
            throw new TreeException("'" + node.path() + "': " + e.getMessage(), e);
        }
    }

    /**
     * Sets the directories' times as the input gave them, now that nothing more is added below
     * them, and takes the snapshot: the one named at construction, else the one the input
     * described (dated as the input says), else none.
     *
     * @return the snapshot taken, or null
     */
    public Snapshots.Snapshot finish() {
        applyDirectoryTimes();
        store.sync();
        String name = snapshotName != null ? snapshotName : described == null ? null : described.snapshot();
        if (name == null) {
            return null;
        }
        Instant created = snapshotName == null ? described.created() : Instant.now();
        return store.snapshots().create(name, created.getEpochSecond() * 1_000_000_000L + created.getNano(), true);
    }

    /** Gives the directories made or kept the times the input gave them (adding entries changed them); not synced. */
    public void applyDirectoryTimes() {
        for (int i = directoryTimes.size() - 1; i >= 0; i--) {
            Inode wanted = directoryTimes.get(i);
            tree.update(wanted.ino, inode -> {
                inode.atimeNanos = wanted.atimeNanos;
                inode.mtimeNanos = wanted.mtimeNanos;
            });
        }
        directoryTimes.clear();
    }

    /**
     * A path as found: its directory entry with when it was born, or none (the path's name is
     * not there); for the import's root, {@code found} is null.
     */
    private record Located(Tree.Found found, long rootIno) {
        long parent() {
            return found.parent();
        }

        byte[] name() {
            return found.name();
        }

        /** The inode, 0 when the name is not there. */
        long ino() {
            return found == null ? rootIno : found.entry() == null ? 0 : found.entry().ino();
        }

        boolean isDirectory() {
            return found == null || (found.entry() != null && found.entry().isDirectory());
        }
    }

    /**
     * Finds {@code path} below the import's root; with {@code makeParents}, missing directories on
     * the way are created (mode 0755, owned by root), else a missing one gives null.
     */
    private Located locate(String path, boolean makeParents) throws TreeException {
        String[] components = path.isEmpty() ? new String[0] : path.split("/");
        if (components.length == 0) {
            return new Located(null, rootIno);
        }
        int slash = path.lastIndexOf('/');
        Long cached = directories == null || slash < 0 ? null : directories.get(path.substring(0, slash));
        long dir = cached != null ? cached : rootIno;
        for (int i = 0; cached == null && i < components.length - 1; i++) {
            byte[] name = bytes(components[i]);
            long next = tree.lookup(dir, name);
            if (next == 0) {
                if (!makeParents) {
                    return null;
                }
                next = tree.create(dir, name, Inode.S_IFDIR | 0755, 0, 0, 0, null).ino;
            } else if (!tree.inode(next).isDirectory()) {
                throw new TreeException("'" + path + "': '" + components[i] + "' is not a directory");
            }
            dir = next;
        }
        if (directories != null && cached == null && slash >= 0) {
            directories.put(path.substring(0, slash), dir);
        }
        return new Located(tree.find(dir, bytes(components[components.length - 1])), rootIno);
    }

    /**
     * Directories by path, when the caller has the store to itself ({@link #exclusive}): a stream
     * names many files in few directories, each otherwise found again from the root. Emptied
     * whenever a directory is removed or moved.
     */
    private Map<String, Long> directories;
    /** Whether the caller has the store to itself: what a path was found to hold is still there when it is replaced. */
    private boolean exclusive;

    /**
     * For a store nothing else changes meanwhile (a receive): directories found by path are
     * remembered, and a file is replaced (or removed) in one write, its entry not read again.
     */
    public StoreTreeBuilder exclusive() {
        directories = new HashMap<>();
        exclusive = true;
        return this;
    }

    private void forgetDirectories() {
        if (directories != null) {
            directories.clear();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
