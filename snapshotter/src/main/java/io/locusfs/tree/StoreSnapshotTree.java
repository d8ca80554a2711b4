package io.locusfs.tree;

import io.locusfs.store.BlockSpans;
import io.locusfs.store.Diff;
import io.locusfs.store.Inode;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.store.Tree;
import io.locusfs.store.View;
import io.locusfs.xattr.LocationRecord;
import io.locusfs.xattr.ReservedAttributes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.LongPredicate;
import java.util.function.Supplier;

/**
 * A snapshot of a store as a {@link SnapshotTree}: the whole snapshot (or one subtree of it), or
 * what changed since an older snapshot, found with the snapshot diff so that an incremental
 * export costs time proportional to the change.
 */
public final class StoreSnapshotTree implements SnapshotTree {
    private static final byte[] RECORD_NAME = ReservedAttributes.RECORD.getBytes(StandardCharsets.UTF_8);
    /** Sorts paths component by component, so a directory comes right before what it holds. */
    private static final Comparator<String> PATH_ORDER = Comparator.comparing(p -> p.replace('/', '\0'));

    private final View view;
    private final int blockSize;
    /** A block-sized buffer per reading thread: files are read block by block, without a 128 KiB allocation each. */
    private final ThreadLocal<byte[]> scratch;
    private final Header header;
    private final LocationRecord storeRecord;
    private final String storeRecordText;
    private final long rootIno;
    /** For an incremental tree, the paths to visit (each with what it holds when it was added or renamed). */
    private final TreeSet<String> changedPaths;
    private final List<String> removed = new ArrayList<>();
    private final List<Rename> renames = new ArrayList<>();
    private long files = -1;
    private long bytes;
    /** For an incremental tree, the older snapshot's view and epoch: what a file changed in place is compared with. */
    private View baseView;
    private long baseEpoch;
    /** Files taken whole even when changed in place: their receiver may not have them (placement kept them back). */
    private LongPredicate takeWhole = ino -> false;

    private StoreSnapshotTree(Store store, Snapshots.Snapshot snapshot, String since, long rootIno) {
        this(store, snapshot, since, rootIno, since != null);
    }

    private StoreSnapshotTree(Store store, Snapshots.Snapshot snapshot, String since, long rootIno, boolean listed) {
        this.view = store.snapshots().view(snapshot);
        this.blockSize = store.blockSize();
        this.scratch = ThreadLocal.withInitial(() -> new byte[blockSize]);
        String recordThen = snapshot.locationRecord();
        this.storeRecord = recordThen.isEmpty() ? store.locationRecord().orElseThrow() : LocationRecord.parse(recordThen);
        this.storeRecordText = storeRecord.encode();
        this.header = new Header(snapshot.name(), since, Instant.ofEpochSecond(0, snapshot.createdNanos()),
                store.storeId(), storeRecord.zone().toString());
        this.rootIno = rootIno;
        this.changedPaths = listed ? new TreeSet<>(PATH_ORDER) : null;
    }

    /**
     * Snapshot {@code name} of {@code store}, from {@code subtree} down ("/" or "" for all of it).
     *
     * @throws TreeException for an unknown snapshot or a subtree that does not exist in it
     */
    public static StoreSnapshotTree full(Store store, String name, String subtree) throws TreeException {
        Snapshots.Snapshot snapshot = find(store, name);
        View view = store.snapshots().view(snapshot);
        long ino = Store.ROOT_INO;
        for (String component : subtree.split("/")) {
            if (component.isEmpty()) {
                continue;
            }
            ino = view.lookup(ino, component.getBytes(StandardCharsets.UTF_8));
            if (ino == 0) {
                throw new TreeException("'" + subtree + "' does not exist in snapshot '" + name + "'");
            }
        }
        return new StoreSnapshotTree(store, snapshot, null, ino);
    }

    /**
     * Snapshot {@code name} of {@code store} with only {@code path} kept, at its own path: the
     * directories that lead to it (their attributes, not their other entries), then it and, for a
     * directory, everything below it. A restore of one file or one tree ships this.
     *
     * @throws TreeException for an unknown snapshot or a path that does not exist in it
     */
    public static StoreSnapshotTree only(Store store, String name, String path) throws TreeException {
        String relative = path.replaceAll("^/+|/+$", "");
        if (relative.isEmpty()) {
            return full(store, name, "/");
        }
        StoreSnapshotTree tree = new StoreSnapshotTree(store, find(store, name), null, Store.ROOT_INO, true);
        if (tree.resolve(relative) == 0) {
            throw new TreeException("'/" + relative + "' does not exist in snapshot '" + name + "'");
        }
        for (String ancestor = parentOf(relative); ; ancestor = parentOf(ancestor)) {
            tree.changedPaths.add(ancestor);
            if (ancestor.isEmpty()) {
                break;
            }
        }
        tree.addSubtree(relative);
        return tree;
    }

    /**
     * What changed in {@code store} from snapshot {@code since} to snapshot {@code name}.
     *
     * @throws TreeException for an unknown snapshot, or {@code since} not older than {@code name}
     */
    /** Makes the files whose inodes {@code inodes} accepts come whole from {@link FileContent#changedSince}. */
    public void takeWhole(LongPredicate inodes) {
        this.takeWhole = inodes;
    }

    public static StoreSnapshotTree since(Store store, String name, String since) throws TreeException {
        return since(store, name, since, null);
    }

    /** Decides whether a rename may travel as a rename; {@code below} lists the paths under {@code to}, relative to it. */
    public interface RenameFilter {
        boolean movable(String from, String to, Supplier<List<String>> below);
    }

    /**
     * As {@link #since(Store, String, String)}, but a rename {@code renames} accepts is kept as a
     * rename ({@link #renamed()}): nothing below it is walked unless it changed itself, so moving
     * a directory costs one record, not its content. Null keeps none.
     */
    public static StoreSnapshotTree since(Store store, String name, String since, RenameFilter renames) throws TreeException {
        Snapshots.Snapshot newer = find(store, name);
        Snapshots.Snapshot older = find(store, since);
        if (older.epoch() >= newer.epoch()) {
            throw new TreeException("snapshot '" + since + "' is not older than '" + name + "'");
        }
        StoreSnapshotTree tree = new StoreSnapshotTree(store, newer, since, Store.ROOT_INO);
        tree.baseView = store.snapshots().view(older);
        tree.baseEpoch = older.epoch();
        for (Diff.Change change : store.snapshots().diff(since, name)) {
            String path = relative(change.path());
            switch (change.kind()) {
                case REMOVED -> tree.removed.add(path);
                case MODIFIED -> tree.changedPaths.add(path);
                case ADDED -> tree.addSubtree(path);
                case RENAMED -> {
                    String to = relative(change.to());
                    if (renames != null && renames.movable(path, to, () -> tree.pathsBelow(to))) {
                        tree.renames.add(new Rename(path, to));
                        tree.changedPaths.add(parentOf(path));
                        tree.changedPaths.add(parentOf(to));
                        if (change.modified()) {
                            tree.changedPaths.add(to);
                        }
                    } else {
                        tree.removed.add(path);
                        tree.addSubtree(to);
                    }
                }
            }
        }
        // The directory of a changed or removed path is listed too, so that its times come out as in the snapshot.
        for (String path : List.copyOf(tree.changedPaths)) {
            tree.changedPaths.add(parentOf(path));
        }
        for (String path : tree.removed) {
            tree.changedPaths.add(parentOf(path));
        }
        return tree;
    }

    private static Snapshots.Snapshot find(Store store, String name) throws TreeException {
        return store.snapshots().find(name).orElseThrow(
                () -> new TreeException("no snapshot '" + name + "' in " + store.path()));
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    private static String relative(byte[] path) {
        String text = new String(path, StandardCharsets.UTF_8);
        return text.startsWith("/") ? text.substring(1) : text;
    }

    @Override
    public List<Rename> renamed() {
        return renames;
    }

    /** The paths below {@code path} in the newer snapshot, relative to it. */
    private List<String> pathsBelow(String path) {
        List<String> below = new ArrayList<>();
        long ino = resolve(path);
        if (ino != 0 && view.inode(ino).isDirectory()) {
            descend(ino, "", (child, childPath) -> below.add(childPath));
        }
        return below;
    }

    private void addSubtree(String path) {
        changedPaths.add(path);
        long ino = resolve(path);
        if (ino != 0 && view.inode(ino).isDirectory()) {
            descend(ino, path, (child, childPath) -> changedPaths.add(childPath));
        }
    }

    /**
     * Reads up to {@code length} bytes at {@code offset} of the regular file at {@code path}
     * (relative to the tree's root) into {@code buffer}; holes read as zeros. A far read of a
     * file served from this snapshot.
     *
     * @return the bytes read: fewer at the end of the file, 0 at or past it
     * @throws TreeException when there is no regular file at {@code path}
     */
    public int readFile(String path, long offset, byte[] buffer, int length) throws TreeException {
        long ino = resolve(path);
        Inode inode = ino == 0 ? null : view.inodeOrNull(ino);
        if (inode == null || !inode.isRegular()) {
            throw new TreeException("'/" + path + "' is not a file in snapshot '" + header.snapshot() + "'");
        }
        if (offset < 0 || offset >= inode.size) {
            return 0;
        }
        int n = (int) Math.min(length, inode.size - offset);
        new StoreContent(ino, inode.size, path).read(offset, buffer, n);
        return n;
    }

    /** The inode at {@code path} (relative to the tree's root) in the snapshot, or 0. */
    public long inodeOf(String path) {
        return resolve(path);
    }

    private long resolve(String path) {
        if (path.isEmpty()) {
            return rootIno;
        }
        Long known = resolved.get(path);
        if (known != null) {
            return known;
        }
        // The parent first (from the cache, mostly: a change touches many files of few directories).
        int slash = path.lastIndexOf('/');
        long dir = slash < 0 ? rootIno : resolve(path.substring(0, slash));
        long ino = dir == 0 ? 0 : view.lookup(dir, path.substring(slash + 1).getBytes(StandardCharsets.UTF_8));
        if (resolved.size() >= MAX_RESOLVED) {
            resolved.clear(); // a huge change: bounded memory rather than every path kept
        }
        resolved.put(path, ino);
        return ino;
    }

    /**
     * Paths resolved so far (0: absent): a snapshot never changes, and an incremental tree
     * resolves each changed path three times (the diff, the totals, the walk) and its
     * directories once per file in them.
     */
    private final Map<String, Long> resolved = new HashMap<>();
    private static final int MAX_RESOLVED = 1 << 18;

    private interface PathVisitor {
        void visit(long ino, String path) throws IOException;
    }

    /** Visits what directory {@code dir} holds, recursively, in name order, each directory before its contents. */
    private void descend(long dir, String path, PathVisitor visitor) {
        List<Tree.Entry> entries = new ArrayList<>();
        view.list(dir, entries::add);
        for (Tree.Entry entry : entries) {
            String childPath = (path.isEmpty() ? "" : path + "/") + new String(entry.name(), StandardCharsets.UTF_8);
            try {
                visitor.visit(entry.ino(), childPath);
            } catch (IOException e) {
                throw new WalkFailure(e);
            }
            if (entry.isDirectory()) {
                descend(entry.ino(), childPath, visitor);
            }
        }
    }

    /** Carries a visitor's IOException out of the store's scan callbacks. */
    private static final class WalkFailure extends RuntimeException {
        WalkFailure(IOException cause) {
            super(cause);
        }
    }

    @Override
    public Header header() {
        return header;
    }

    @Override
    public Node root() {
        return node(rootIno, "", new HashMap<>());
    }

    @Override
    public List<String> removed() {
        return List.copyOf(removed);
    }

    @Override
    public long files() {
        count();
        return files;
    }

    @Override
    public long bytes() {
        count();
        return bytes;
    }

    private void count() {
        if (files >= 0) {
            return;
        }
        long[] totals = new long[2];
        try {
            paths((ino, path) -> {
                if (path.isEmpty()) {
                    return; // The root is the export's top, not one of its files: imports do not count it either.
                }
                totals[0]++;
                Inode inode = view.inode(ino);
                if (inode.isRegular()) {
                    // The data there is to read, holes not counted (a 10 GiB sparse file is a few blocks).
                    totals[1] += Math.min(inode.size, inode.storedBlocks * blockSize);
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        files = totals[0];
        bytes = totals[1];
    }

    /** Visits the paths of this tree in path order. */
    private void paths(PathVisitor visitor) throws IOException {
        try {
            if (changedPaths == null) {
                visitor.visit(rootIno, "");
                if (view.inode(rootIno).isDirectory()) {
                    descend(rootIno, "", visitor);
                }
                return;
            }
            for (String path : changedPaths) {
                long ino = resolve(path);
                if (ino != 0) {
                    visitor.visit(ino, path);
                }
            }
        } catch (WalkFailure e) {
            throw (IOException) e.getCause();
        }
    }

    @Override
    public void walk(Visitor visitor) throws IOException {
        Map<Long, String> firstPaths = new HashMap<>();
        paths((ino, path) -> visitor.visit(node(ino, path, firstPaths)));
    }

    private Node node(long ino, String path, Map<Long, String> firstPaths) {
        Inode inode = view.inode(ino);
        String linkOf = null;
        if (!inode.isDirectory() && inode.nlink > 1) {
            linkOf = firstPaths.get(ino);
            if (linkOf == null) {
                firstPaths.put(ino, path);
                if (incremental()) {
                    linkOf = existingPath(inode, path);
                }
            }
        }
        Map<String, byte[]> xattrs = new LinkedHashMap<>();
        boolean ownRecord = false;
        for (byte[] name : view.listXattrs(ino)) {
            String text = new String(name, StandardCharsets.UTF_8);
            if (!ReservedAttributes.isReserved(text) || text.equals(ReservedAttributes.ORIGINS)) {
                xattrs.put(text, view.getXattr(ino, name));
            }
            ownRecord |= Arrays.equals(name, RECORD_NAME);
        }
        // Most files have no record of their own: the store's, encoded once, saves a read and a signature's text per file.
        LocationRecord record = ownRecord ? view.locationRecord(ino, storeRecord) : storeRecord;
        Kind kind = Kind.of(inode.mode);
        return new Node(path, kind, inode.mode & 07777, inode.uid, inode.gid, inode.atimeNanos, inode.mtimeNanos,
                inode.ctimeNanos, kind == Kind.DIRECTORY ? 0 : inode.size,
                inode.isSymlink() ? new String(inode.symlinkTarget, StandardCharsets.UTF_8) : null, inode.rdev,
                xattrs, record.zone().toString(), record == storeRecord ? storeRecordText : record.encode(), linkOf,
                inode.isRegular() && linkOf == null ? new StoreContent(ino, inode.size, path) : null);
    }

    /**
     * In an incremental tree, another path the hard-linked file {@code inode} had in the newer
     * snapshot that is not itself in the export (found through the inode's name hint), so the
     * import links to it instead of storing a second copy; null when there is none.
     */
    private String existingPath(Inode inode, String path) {
        if (inode.parent == 0 || view.lookup(inode.parent, inode.name) != inode.ino) {
            return null;
        }
        List<String> names = new ArrayList<>();
        names.add(new String(inode.name, StandardCharsets.UTF_8));
        long dir = inode.parent;
        while (dir != Store.ROOT_INO) {
            Inode d = view.inodeOrNull(dir);
            if (d == null || d.parent == 0 || view.lookup(d.parent, d.name) != dir) {
                return null;
            }
            names.add(0, new String(d.name, StandardCharsets.UTF_8));
            dir = d.parent;
        }
        String candidate = String.join("/", names);
        return candidate.equals(path) || changedPaths.contains(candidate) ? null : candidate;
    }

    /** A file's data read from the snapshot block by block; holes are the blocks never stored. */
    private final class StoreContent implements FileContent {
        private final long ino;
        private final long size;
        /** A file of one block, read whole when its extents are asked for and kept: one read instead of two. */
        private byte[] singleBlock;

        private final String path;

        StoreContent(long ino, long size, String path) {
            this.ino = ino;
            this.size = size;
            this.path = path;
        }

        @Override
        public List<Extent> changedSince() {
            if (baseView == null || takeWhole.test(ino) || !sameFileInBase()) {
                return null;
            }
            return extentsOf(view.blocksChangedAfter(ino, baseEpoch));
        }

        /** True when the older snapshot has this very inode, a regular file, at this path. */
        private boolean sameFileInBase() {
            Inode old = baseView.inodeOrNull(ino);
            if (old == null || !old.isRegular()) {
                return false;
            }
            long at = rootIno;
            for (String component : path.split("/")) {
                if (component.isEmpty()) {
                    continue;
                }
                at = baseView.lookup(at, component.getBytes(StandardCharsets.UTF_8));
                if (at == 0) {
                    return false;
                }
            }
            return at == ino;
        }

        @Override
        public List<Extent> extents() {
            if (size <= blockSize) {
                byte[] block = scratch.get();
                int length = view.readBlockInto(ino, 0, block);
                singleBlock = Arrays.copyOf(block, length); // the size of the data, not of a block
                return length == 0 || size == 0 ? List.of() : List.of(new Extent(0, size));
            }
            return extentsOf(view.storedBlocks(ino));
        }

        /** The byte ranges of the runs of {@code blocks}, cut at the file's size. */
        private List<Extent> extentsOf(BitSet blocks) {
            List<Extent> extents = new ArrayList<>();
            for (int start = blocks.nextSetBit(0); start >= 0; ) {
                int end = blocks.nextClearBit(start);
                long offset = (long) start * blockSize;
                long limit = Math.min(size, (long) end * blockSize);
                if (offset < limit) {
                    extents.add(new Extent(offset, limit - offset));
                }
                start = blocks.nextSetBit(end);
            }
            return extents;
        }

        @Override
        public void read(long offset, byte[] buffer, int length) {
            if (singleBlock != null && offset + length <= blockSize) {
                int copy = (int) Math.max(0, Math.min(length, singleBlock.length - offset));
                System.arraycopy(singleBlock, (int) offset, buffer, 0, copy);
                Arrays.fill(buffer, copy, length, (byte) 0);
                return;
            }
            byte[] block = scratch.get();
            BlockSpans.forEach(offset, length, blockSize, (index, within, done, n) -> {
                int stored = view.readBlockInto(ino, index, block);
                int copy = Math.max(0, Math.min(n, stored - within));
                System.arraycopy(block, within, buffer, done, copy);
                Arrays.fill(buffer, done + copy, done + n, (byte) 0);
            });
        }

        @Override
        public InputStream open() {
            return new InputStream() {
                private long position;

                @Override
                public int read() {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] target, int off, int len) {
                    if (position >= size) {
                        return -1;
                    }
                    int n = (int) Math.min(len, size - position);
                    byte[] chunk = off == 0 ? target : new byte[n];
                    StoreContent.this.read(position, chunk, n);
                    if (chunk != target) {
                        System.arraycopy(chunk, 0, target, off, n);
                    }
                    position += n;
                    return n;
                }
            };
        }
    }
}
