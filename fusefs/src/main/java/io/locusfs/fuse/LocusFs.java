package io.locusfs.fuse;

import io.locusfs.policy.Policy;
import io.locusfs.store.BlockRepair;
import io.locusfs.store.FarData;
import io.locusfs.store.FileData;
import io.locusfs.store.Inode;
import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import io.locusfs.store.SyncMirrors;
import io.locusfs.store.Tree;
import io.locusfs.xattr.ReservedAttributes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file-system layer between the kernel adapter and the store, addressed the way the kernel
 * addresses it: by node number and name. Knows nothing of FUSE: each operation takes the caller
 * and node numbers, returns attributes or data, and throws {@link StoreException} for a refusal
 * ({@link Errno} turns it into an errno in one place). Node numbers are the store's inode numbers
 * for the live tree; {@code .snapshots} and the nodes inside each snapshot get numbers of their
 * own ({@link Nodes}). The kernel's lookup counts are kept per node ({@link NodeTable}), which
 * also remembers each node's name so that policy rules, written for paths, can be checked on
 * nodes. Thread-safe: called by many FUSE workers at once.
 */
public final class LocusFs {
    private static final Logger log = LoggerFactory.getLogger(LocusFs.class);
    private static final int STAT_BLOCK = 512;
    static final int O_TRUNC = 01000;
    static final int RENAME_NOREPLACE = 1;
    static final int RENAME_EXCHANGE = 2;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;

    private final Store store;
    private final Tree tree;
    private final FileData data;
    private final OpenFiles openFiles;
    private final Locations locations;
    private final SnapshotDirectory snapshotDir;
    private final Nodes nodes;
    private final NodeTable table = new NodeTable();
    private final PolicyGate gate;
    private final ThreadLocal<byte[]> readScratch;
    private final ConcurrentHashMap<Long, List<Tree.Entry>> directoryHandles = new ConcurrentHashMap<>();
    private final AtomicLong nextDirectoryHandle = new AtomicLong(1);
    /** Where forgetting what the kernel cached goes; none until mounted. */
    private volatile KernelCache kernel = KernelCache.NONE;

    /** What a node looks like to {@code stat}. Times in nanoseconds since the Unix epoch. */
    public record Attributes(long ino, int mode, long nlink, int uid, int gid, long rdev, long size, int blockSize,
                             long blocks, long atimeNanos, long mtimeNanos, long ctimeNanos) {
    }

    /**
     * A name resolved to a node: its number and attributes; {@code lasting} is false where the
     * name may change behind the kernel's back without an invalidation (inside {@code .snapshots}
     * itself, whose names come and go with snapshots).
     */
    public record Entry(long node, Attributes attributes, boolean lasting) {
    }

    /** An open file: its handle, and whether the kernel may keep the pages it cached of it. */
    public record Opened(long handle, boolean keepCache) {
    }

    /** Tells the kernel to forget what it cached of a node or of a name; the adapter implements it. */
    public interface KernelCache {
        KernelCache NONE = new KernelCache() {
            @Override
            public void forgetNode(long node) {
            }

            @Override
            public void forgetName(long parent, byte[] name) {
            }

            @Override
            public void writeBack(List<String> openForWriting) {
            }
        };

        /** Forget the attributes and pages of {@code node}. */
        void forgetNode(long node);

        /** Forget the name {@code name} in directory {@code parent}. */
        void forgetName(long parent, byte[] name);

        /**
         * Send every write held in the kernel's page cache, and return once they have arrived:
         * those of the files at {@code openForWriting} (paths in the mount) for certain.
         */
        void writeBack(List<String> openForWriting);
    }

    /** Who asks: the uid, gid and pid of the calling process. */
    public record Caller(long uid, long gid, long pid) {
        PolicyGate.Caller forPolicy() {
            return new PolicyGate.Caller(uid, gid, pid);
        }
    }

    public LocusFs(Store store, Locations locations, PolicyGate gate) {
        this.gate = gate;
        this.store = store;
        this.locations = locations;
        this.tree = store.tree();
        this.data = store.data();
        this.openFiles = new OpenFiles(data, tree::inode);
        this.snapshotDir = new SnapshotDirectory(store.snapshots());
        this.nodes = new Nodes(tree, snapshotDir);
        int blockSize = data.blockSize();
        this.readScratch = ThreadLocal.withInitial(() -> new byte[blockSize]);
    }

    /** Where {@code mkdir} and {@code rmdir} in {@code .snapshots/} take and delete snapshots; unset, they are refused (EROFS). */
    private volatile SnapshotRequests snapshots;

    /** Lets root take and delete snapshots with {@code mkdir}/{@code rmdir .snapshots/NAME}, through {@code service}. */
    public void takeSnapshotsThrough(SnapshotRequests service) {
        this.snapshots = service;
    }

    /** Sends invalidations to {@code cache} (the mounted kernel) from now on. */
    void invalidateThrough(KernelCache cache) {
        this.kernel = cache;
    }

    /**
     * Makes the kernel forget everything it cached of this file system: every node it knows and
     * every name it looked up. For changes made behind its back (a rollback, an import).
     */
    public void forgetAllCached() {
        departed.clear(); // a rollback may bring their numbers back to life
        KernelCache cache = kernel;
        Set<Long> forgotten = new HashSet<>();
        table.forEach((node, parent, name) -> {
            if (forgotten.add(node)) {
                cache.forgetNode(node); // Once per node, however many names it has.
            }
            cache.forgetName(parent, name);
        });
    }

    /** Commits every buffered write and syncs the store; the daemon calls it once the FUSE loop has ended. */
    public void flushAll() {
        openFiles.commitAll();
        store.sync();
    }

    /**
     * Commits every write so far, so that a snapshot taken next holds it: first what the kernel
     * still holds in its page cache (writeback caching), then what the open files buffer.
     */
    public void commitAll() {
        List<String> open = new ArrayList<>();
        for (long ino : openFiles.writableInodes()) {
            String path = table.path(ino);
            if (!path.contains("/#")) { // A file without a name (unlinked) is in no snapshot.
                open.add(path);
            }
        }
        kernel.writeBack(open);
        openFiles.commitAll();
    }

    /** True while some process has inode {@code ino} open here (so its data must outlive an unlink). */
    public boolean isOpen(long ino) {
        return openFiles.isOpen(ino);
    }

    /**
     * The files with a descriptor open for writing, each as "PATH (pid N, COMMAND)" naming the
     * process that last opened it so, for a refusal to run under them (a rollback).
     */
    public List<String> filesOpenForWriting() {
        List<String> files = new ArrayList<>();
        for (long ino : openFiles.writableInodes()) {
            OpenFile open = openFiles.get(ino);
            long pid = open == null ? 0 : open.writerPid;
            files.add(SystemAccounts.openedBy(table.path(ino), pid));
        }
        return files;
    }

    /** The files open in snapshot {@code name} (under {@code .snapshots/NAME}), each as "PATH (pid N, COMMAND)". */
    public List<String> filesOpenInSnapshot(String name) {
        return snapshotDir.openIn(name);
    }

    /** After a rollback changed the tree under open files, they read their inodes again, and the kernel forgets what it cached. */
    public void reloadOpenFiles() {
        openFiles.reloadAll(ino -> tree.live().inodeOrNull(ino));
        forgetAllCached();
    }

    /** The block size files are stored in: the unit of st_blksize. */
    int blockSize() {
        return data.blockSize();
    }

    public Entry lookup(long parent, byte[] name) {
        Tree.checkName(name);
        Nodes.Node node = nodes.child(parent, name);
        table.remember(node.number(), parent, name);
        return entry(node);
    }

    /** The kernel dropped {@code count} lookups of {@code node}. */
    public void forget(long node, long count) {
        if (table.forget(node, count)) {
            departed.remove(node);
        }
    }

    public Attributes getattr(long node) {
        Inode gone = departed.get(node);
        if (gone != null) {
            return departedAttributes(node, gone);
        }
        return attributes(nodes.node(node));
    }

    /**
     * Files whose last name went, and their data with it, while the kernel still knew them: their
     * last attributes until it forgets them. The kernel may yet write back such a file's times
     * (syncfs does), and on a native disk that succeeds; without this it would fail with ENOENT.
     */
    private final ConcurrentHashMap<Long, Inode> departed = new ConcurrentHashMap<>();

    /** {@code inode} lost its last name: kept as departed if freed while the kernel knows it. */
    private void departedIfKnown(Inode inode) {
        if (inode != null && inode.nlink == 0 && !inode.isDirectory() && !openFiles.isOpen(inode.ino) && table.isKnown(inode.ino)) {
            departed.put(inode.ino, inode);
        }
    }

    private Attributes departedAttributes(long node, Inode inode) {
        return new Attributes(node, inode.mode, 0, inode.uid, inode.gid, inode.rdev, inode.size, data.blockSize(), 0,
                inode.atimeNanos, inode.mtimeNanos, inode.ctimeNanos);
    }

    /**
     * Changes what {@code set} selects: mode, owner, size (through {@code handle} when the
     * kernel names one, else as a truncate of the path), times ({@code null} leaves one alone).
     */
    public Attributes setattr(Caller caller, long node, Integer mode, Integer uid, Integer gid, Long size,
                              Long atimeNanos, Long mtimeNanos, long handle) {
        Inode gone = departed.get(node);
        if (gone != null) { // what a native disk does to a deleted file's inode: changes it, for no one to see
            synchronized (gone) {
                gone.mode = mode == null ? gone.mode : (gone.mode & Inode.S_IFMT) | (mode & 07777);
                gone.uid = uid == null ? gone.uid : uid;
                gone.gid = gid == null ? gone.gid : gid;
                gone.size = size == null ? gone.size : size;
                gone.atimeNanos = atimeNanos == null ? gone.atimeNanos : atimeNanos;
                gone.mtimeNanos = mtimeNanos == null ? gone.mtimeNanos : mtimeNanos;
                return departedAttributes(node, gone);
            }
        }
        long ino = live(node);
        if (size != null) {
            OpenFile open = handle != 0 && !SnapshotDirectory.isSnapshotHandle(handle) ? openFiles.get(handle) : null;
            if (open != null) {
                open.truncate(size);
            } else {
                gate.access("truncate", path(node), ino, Policy.Operation.WRITE, caller.forPolicy());
                OpenFile acquired = openFiles.acquire(ino, true);
                try {
                    acquired.truncate(size);
                } finally {
                    openFiles.release(ino, true);
                }
            }
        }
        if (mode != null || uid != null || gid != null) {
            tree.update(ino, inode -> {
                if (!inode.isDirectory() && mode == null && (uid != null || gid != null)) {
                    // chown(2) clears set-user-ID and set-group-ID on files it changes.
                    inode.mode &= ~setIdBitsToClear(inode, caller, caller.uid() == 0);
                }
                if (mode != null) {
                    inode.mode = (inode.mode & Inode.S_IFMT) | (mode & 07777);
                }
                if (uid != null) {
                    inode.uid = uid;
                }
                if (gid != null) {
                    inode.gid = gid;
                }
            });
        }
        if (atimeNanos != null || mtimeNanos != null) {
            OpenFile open = openFiles.get(ino);
            if (open != null) {
                open.commit(); // Its buffered mtime must not overwrite the one set here.
            }
            tree.update(ino, inode -> {
                if (atimeNanos != null) {
                    inode.atimeNanos = atimeNanos;
                }
                if (mtimeNanos != null) {
                    inode.mtimeNanos = mtimeNanos;
                }
            });
            if (open != null) {
                open.reloadTimes(tree.inode(ino));
            }
        }
        return getattr(node);
    }

    public byte[] readlink(long node) {
        Nodes.Node n = nodes.node(node);
        Inode inode = n.inode();
        if (!inode.isSymlink()) {
            throw new StoreException(StoreException.Kind.INVALID, "not a symbolic link");
        }
        return inode.symlinkTarget;
    }

    public Entry mknod(Caller caller, long parent, byte[] name, int mode, long rdev) {
        return created(caller, "mknod", parent, name, mode, rdev, null);
    }

    public Entry mkdir(Caller caller, long parent, byte[] name, int mode) {
        if (parent == SnapshotDirectory.DIRECTORY_INO) {
            String snapshot = new String(name, StandardCharsets.ISO_8859_1);
            try {
                snapshotService(caller, "mkdir").createOnRequest(snapshot);
            } catch (IOException e) {
                // The pre-snapshot hook said no: the operator's veto, not an I/O failure.
                log.warn("mkdir .snapshots/{}: {}", snapshot, e.getMessage());
                throw new StoreException(StoreException.Kind.NOT_PERMITTED, e.getMessage(), e);
            }
            return lookup(parent, name);
        }
        return created(caller, "mkdir", parent, name, Inode.S_IFDIR | (mode & 07777), 0, null);
    }

    public Entry symlink(Caller caller, byte[] target, long parent, byte[] name) {
        return created(caller, "symlink", parent, name, Inode.S_IFLNK | 0777, 0, target);
    }

    /** Creates and opens a regular file. */
    public Entry create(Caller caller, long parent, byte[] name, int mode, int flags, long[] handle) {
        Entry entry = created(caller, "create", parent, name, Inode.S_IFREG | (mode & 07777), 0, null);
        OpenFile created = openFiles.acquire(entry.node(), writable(flags));
        if (writable(flags)) {
            created.writerPid = caller.pid();
        }
        handle[0] = entry.node();
        return entry;
    }

    public void unlink(long parent, byte[] name) {
        Tree.checkName(name);
        Inode gone = tree.unlink(live(parent), name, openFiles::isOpen);
        if (gone != null) {
            table.unlinked(gone.ino, parent, name);
            departedIfKnown(gone);
        }
    }

    public void rmdir(Caller caller, long parent, byte[] name) {
        Tree.checkName(name);
        if (parent == SnapshotDirectory.DIRECTORY_INO) {
            String snapshot = new String(name, StandardCharsets.ISO_8859_1);
            snapshotService(caller, "rmdir").deleteOnRequest(snapshot); // refused while files are open in it
            return;
        }
        tree.rmdir(live(parent), name);
    }

    public void rename(Caller caller, long parent, byte[] name, long newParent, byte[] newName, int flags) {
        Tree.checkName(name);
        Tree.checkName(newName);
        if ((flags & RENAME_EXCHANGE) != 0) {
            throw new StoreException(StoreException.Kind.INVALID, "exchanging two names is not supported");
        }
        long from = live(parent);
        long to = live(newParent);
        long ino = tree.lookup(from, name);
        if (ino == 0) {
            throw new StoreException(StoreException.Kind.NOT_FOUND, Names.display(name) + " does not exist");
        }
        if ((flags & RENAME_NOREPLACE) != 0 && tree.lookup(to, newName) != 0) {
            throw new StoreException(StoreException.Kind.EXISTS, Names.display(newName) + " exists");
        }
        guardNewName(caller, "rename", path(parent, name), ino, path(newParent, newName));
        Inode replaced = tree.rename(from, name, to, newName, openFiles::isOpen);
        table.renamed(ino, parent, name, newParent, newName);
        if (replaced != null && !replaced.isDirectory() && replaced.nlink == 0) {
            departedIfKnown(replaced);
        }
    }

    public Entry link(Caller caller, long node, long newParent, byte[] newName) {
        Tree.checkName(newName);
        long ino = live(node);
        guardNewName(caller, "link", path(node), ino, path(newParent, newName));
        tree.link(ino, live(newParent), newName);
        table.remember(ino, newParent, newName);
        return entry(nodes.node(ino));
    }

    /** Opens a file: checks the policy at the door, and truncates for O_TRUNC. */
    public Opened open(Caller caller, long node, int flags) {
        Nodes.Node n = nodes.node(node);
        Inode inode = n.inode();
        if (inode.isDirectory()) {
            throw new StoreException(StoreException.Kind.IS_DIRECTORY, "is a directory");
        }
        boolean truncates = (flags & O_TRUNC) != 0;
        boolean writes = writable(flags) || truncates;
        // A snapshot's copy is guarded by the rules of the path it has in the tree.
        String guarded = n.inSnapshot() ? NodeTable.innerPath(path(node)) : path(node);
        gate.access("open", guarded, inode.ino, writes ? Policy.Operation.WRITE : Policy.Operation.READ, caller.forPolicy());
        if (n.inSnapshot()) {
            if (writes) {
                throw new StoreException(StoreException.Kind.READ_ONLY, "a snapshot is read-only");
            }
            return new Opened(snapshotDir.open(n.asSnapshotNode(), path(node), caller.pid()), true);
        }
        OpenFile open = openFiles.acquire(inode.ino, writable(flags));
        if (writable(flags)) {
            open.writerPid = caller.pid();
        }
        if (truncates && writable(flags)) {
            open.truncate(0);
        }
        return new Opened(inode.ino, true);
    }

    /** Where the data of a store holding only metadata is read from (a snapshot mounted from a mirror); null for none. */
    private volatile FarData far;

    /** Reads the blocks this store does not hold yet through {@code farData} (see {@link FarData}). */
    public void readFarDataThrough(FarData farData) {
        this.far = farData;
    }

    /** Reads into {@code target}; returns the bytes read, 0 at the end. */
    public int read(long handle, Pointer target, long offset, int size) {
        if (SnapshotDirectory.isSnapshotHandle(handle)) {
            SnapshotDirectory.Node node = snapshotDir.opened(handle);
            Inode inode = node.view().inode(node.ino());
            return OpenFile.copyOut(target, offset, size, inode.size, data.blockSize(), readScratch.get(),
                    (index, block) -> node.view().readBlockInto(node.ino(), index, block));
        }
        try (FarData.Use use = useFar(handle)) {
            fetchFar(handle, offset, size);
            return healing(handle, offset, size, () -> openFile(handle).read(target, offset, size));
        }
    }

    /**
     * Reads as {@link #read(long, Pointer, long, int)} does, and offers {@code offer} the whole
     * block a smaller read of a live file had to fetch, when the kernel may cache it (see
     * {@link OpenFile#read(Pointer, long, int, OpenFile.BlockOffer)}).
     */
    int read(long handle, Pointer target, long offset, int size, OpenFile.BlockOffer offer) {
        if (SnapshotDirectory.isSnapshotHandle(handle)) {
            return read(handle, target, offset, size);
        }
        try (FarData.Use use = useFar(handle)) {
            fetchFar(handle, offset, size);
            return healing(handle, offset, size, () -> openFile(handle).read(target, offset, size, offer));
        }
    }

    /** Where a live file's blocks that fail to read here are read again and mended (self-heal); null for nowhere. */
    private volatile BlockRepair repair;

    public void repairBlocksThrough(BlockRepair blockRepair) {
        this.repair = blockRepair;
    }

    /** Runs a read of a live file; when the store's copy of its blocks is corrupt, repairs them and reads again. */
    private int healing(long handle, long offset, int size, IntSupplier read) {
        try {
            return read.getAsInt();
        } catch (StoreException e) {
            BlockRepair blockRepair = repair;
            if (blockRepair == null || e.kind() != StoreException.Kind.CORRUPT) {
                throw e;
            }
            blockRepair.repair(handle, Names.utf8(path(handle)), offset, size, e);
            return read.getAsInt();
        }
    }

    /** Makes what a read of a live file needs local, when its data is far (a live handle is the file's inode). */
    private void fetchFar(long handle, long offset, int size) {
        FarData farData = far;
        if (farData != null) {
            FuseLoop.aboutToWait(); // the data may come over the network
            farData.ensure(handle, Names.utf8(path(handle)), offset, size);
        }
    }

    /** Keeps a far file's fetched data in the store while a read or seek uses it (a bounded cache drops others). */
    private FarData.Use useFar(long handle) {
        FarData farData = far;
        return farData == null ? FarData.Use.NONE : farData.use(handle);
    }

    /**
     * Clears a regular file's set-ID bits as a write or truncate by {@code caller}, who lacks
     * CAP_FSETID, does (the kernel leaves it to the file system, see {@link KillPrivileges}).
     * Returns whether the mode changed.
     */
    public boolean clearSetIdBits(Caller caller, long node) {
        Nodes.Node n = nodes.node(node);
        if (n.inSnapshot()) {
            return false;
        }
        Inode inode = n.inode();
        int clear = inode.isRegular() ? setIdBitsToClear(inode, caller, false) : 0;
        if (clear == 0) {
            return false;
        }
        tree.update(inode.ino, i -> i.mode &= ~clear);
        return true;
    }

    /**
     * The set-ID bits of {@code inode} that a change of owner or contents by {@code caller}
     * clears, as the kernel's {@code setattr_should_drop_sgid} decides: set-user-ID, and
     * set-group-ID when the group may execute the file or the caller is neither privileged nor in
     * its group. The group membership (a read of /proc) is looked up only when it decides.
     */
    private static int setIdBitsToClear(Inode inode, Caller caller, boolean privileged) {
        int clear = inode.mode & Inode.S_ISUID;
        if ((inode.mode & Inode.S_ISGID) != 0
                && ((inode.mode & 010) != 0 || !(privileged || Permissions.member(caller, inode.gid)))) {
            clear |= Inode.S_ISGID;
        }
        return clear;
    }

    public int write(long handle, Pointer source, long offset, int size) {
        return openFile(handle).write(source, offset, size, Names.nowNanos());
    }

    public void flush(long handle) {
        if (SnapshotDirectory.isSnapshotHandle(handle)) {
            return;
        }
        OpenFile open = openFiles.get(handle);
        if (open != null) {
            open.commit();
        }
    }

    public void release(long handle, int flags) {
        if (SnapshotDirectory.isSnapshotHandle(handle)) {
            snapshotDir.release(handle);
            return;
        }
        if (openFiles.release(handle, writable(flags))) {
            Inode inode = tree.inode(handle);
            if (inode.nlink == 0) {
                tree.releaseOrphan(handle);
            }
        }
    }

    /**
     * Makes the file's data durable: its buffered writes, then one sync of the store's log, then
     * (with synchronous mirrors) their acknowledgement of the same state.
     */
    public void fsync(long handle) {
        if (SnapshotDirectory.isSnapshotHandle(handle)) {
            return;
        }
        openFile(handle).commit();
        store.sync();
        syncMirrors.await();
    }

    public void fsyncdir() {
        store.sync();
        syncMirrors.await();
    }

    private volatile SyncMirrors syncMirrors = SyncMirrors.NONE;

    /** From now on an fsync returns only once {@code mirrors} hold what it made durable. */
    public void waitForSyncMirrors(SyncMirrors mirrors) {
        this.syncMirrors = mirrors;
    }

    /**
     * The position of the next data ({@code SEEK_DATA}) or hole ({@code SEEK_HOLE}) at or after
     * {@code offset}, by the blocks the file stores.
     *
     * @throws StoreException NO_SUCH_POSITION (ENXIO) at or past the end, or for data when only holes follow
     */
    public long seek(long handle, long offset, int whence) {
        long ino;
        BitSet stored;
        long size;
        if (SnapshotDirectory.isSnapshotHandle(handle)) {
            SnapshotDirectory.Node node = snapshotDir.opened(handle);
            ino = node.ino();
            stored = node.view().storedBlocks(ino);
            size = node.view().inode(ino).size;
        } else {
            OpenFile open = openFile(handle);
            open.commit();
            ino = handle;
            size = open.size();
            FarData farData = far;
            try (FarData.Use use = useFar(handle)) {
                if (farData != null && !farData.complete(ino, size)) {
                    stored = new BitSet(); // what is not here yet may be data: none of it is reported as a hole
                    stored.set(0, (int) Math.min(Integer.MAX_VALUE, (size + data.blockSize() - 1) / data.blockSize()));
                } else {
                    stored = data.storedBlocks(ino);
                }
            }
        }
        if (offset >= size) {
            throw new StoreException(StoreException.Kind.NO_SUCH_POSITION, "offset " + offset + " is at or past the end");
        }
        int blockSize = data.blockSize();
        int index = (int) (offset / blockSize);
        if (whence == SEEK_DATA) {
            int next = stored.nextSetBit(index);
            if (next < 0 || (long) next * blockSize >= size) {
                throw new StoreException(StoreException.Kind.NO_SUCH_POSITION, "no data after offset " + offset);
            }
            return Math.max(offset, (long) next * blockSize);
        }
        long hole = (long) stored.nextClearBit(index) * blockSize;
        return Math.min(size, Math.max(offset, hole));
    }

    /** Reserves space: mode 0 extends the file to {@code offset + length}; keep-size is accepted; others are unsupported. */
    public void fallocate(long handle, int mode, long offset, long length) {
        int keepSize = 1;
        if ((mode & ~keepSize) != 0) {
            throw new StoreException(StoreException.Kind.UNSUPPORTED, "fallocate mode " + mode + " is not supported");
        }
        OpenFile open = openFile(handle);
        if ((mode & keepSize) == 0 && offset + length > open.size()) {
            open.truncate(offset + length);
        }
    }

    /** The store's disk, as statfs shows it. */
    public record Space(long blockSize, long blocks, long free, long available, long files, long freeFiles, int nameMax) {
    }

    public Space statfs() {
        FileStore disk;
        try {
            disk = Files.getFileStore(store.path());
            int unit = 4096;
            long freeInodes = Integer.MAX_VALUE;
            return new Space(unit, disk.getTotalSpace() / unit, disk.getUnallocatedSpace() / unit,
                    disk.getUsableSpace() / unit, tree.inodesAllocated() + freeInodes, freeInodes, Tree.NAME_MAX);
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.IO, "statfs of " + store.path() + ": " + e.getMessage(), e);
        }
    }

    public void setxattr(long node, String name, byte[] value, int flags) {
        checkXattrNamespace(name);
        long ino = live(node);
        if (ReservedAttributes.isReserved(name)) {
            // Copies (cp -a, tar --xattrs) write back what they read: the identical value is a no-op.
            if (ReservedAttributes.SHOWN.contains(name) && Arrays.equals(value, locations.reservedValue(ino, name))) {
                return;
            }
            log.warn("refused setxattr {} on {}: only the filesystem writes location attributes", name, path(node));
            throw new StoreException(StoreException.Kind.NOT_PERMITTED, "only the filesystem writes " + name);
        }
        tree.setXattr(ino, Names.bytes(name), value, flags);
    }

    public byte[] getxattr(long node, String name) {
        Nodes.Node n = nodes.node(node);
        if (name.startsWith("system.") || n.isDirectoryOfSnapshots()) {
            throw new StoreException(StoreException.Kind.NO_ATTRIBUTE, "no attribute '" + name + "'");
        }
        if (ReservedAttributes.isReserved(name)) {
            return n.inSnapshot() ? locations.reservedValue(n.view(), n.ino(), name, n.snapshot().locationRecord())
                    : locations.reservedValue(n.ino(), name);
        }
        return n.view().getXattr(n.ino(), Names.bytes(name));
    }

    /** The attribute names of {@code node}, each followed by a NUL, as listxattr(2) returns them. */
    public byte[] listxattr(long node) {
        Nodes.Node n = nodes.node(node);
        if (n.isDirectoryOfSnapshots()) {
            return new byte[0];
        }
        List<byte[]> names = new ArrayList<>();
        for (String reserved : ReservedAttributes.SHOWN) {
            names.add(Names.bytes(reserved));
        }
        for (byte[] stored : n.view().listXattrs(n.ino())) {
            if (!ReservedAttributes.isReserved(new String(stored, StandardCharsets.ISO_8859_1))) {
                names.add(stored);
            }
        }
        ByteBuffer all = ByteBuffer.allocate(names.stream().mapToInt(x -> x.length + 1).sum());
        for (byte[] x : names) {
            all.put(x).put((byte) 0);
        }
        return all.array();
    }

    public void removexattr(long node, String name) {
        checkXattrNamespace(name);
        long ino = live(node);
        if (ReservedAttributes.isReserved(name)) {
            log.warn("refused removexattr {} on {}: only the filesystem writes location attributes", name, path(node));
            throw new StoreException(StoreException.Kind.NOT_PERMITTED, "only the filesystem writes " + name);
        }
        tree.removeXattr(ino, Names.bytes(name));
    }

    /** Opens a directory for listing: its entries are read now, so later pages of the listing cost no seek. */
    public long opendir(long node) {
        Nodes.Node n = nodes.node(node);
        if (!n.inode().isDirectory()) {
            throw new StoreException(StoreException.Kind.NOT_DIRECTORY, "not a directory");
        }
        long handle = nextDirectoryHandle.getAndIncrement();
        directoryHandles.put(handle, listing(n));
        return handle;
    }

    /** The entries of an open directory from position {@code offset}, "." and ".." first; re-read at 0 (rewinddir). */
    public List<Tree.Entry> readdir(long node, long handle, long offset) {
        List<Tree.Entry> entries = directoryHandles.get(handle);
        if (entries == null) {
            throw new StoreException(StoreException.Kind.INVALID, "directory handle " + handle + " is not open");
        }
        if (offset == 0) {
            entries = listing(nodes.node(node));
            directoryHandles.put(handle, entries);
        }
        return offset >= entries.size() ? List.of() : entries.subList((int) offset, entries.size());
    }

    /** For readdirplus: an entry of directory {@code parent} as a lookup would return it (counted as one). */
    public Entry entryOf(long parent, Tree.Entry listed) {
        Nodes.Node node = nodes.listed(parent, listed);
        return entry(node);
    }

    /** The kernel will hold {@code entry} from a readdirplus page: count it as a lookup. */
    public void listedAndKept(long parent, Entry entry, byte[] name) {
        table.remember(entry.node(), parent, name);
    }

    public void releasedir(long handle) {
        directoryHandles.remove(handle);
    }

    /** The node number a listed entry shows as. */
    public long numberOf(long parent, Tree.Entry listed) {
        return nodes.numberOf(parent, listed.ino());
    }

    public void access(Caller caller, long node, int mask) {
        Nodes.Node n = nodes.node(node);
        Inode inode = n.inode();
        if (n.inSnapshot() && (mask & 2) != 0) {
            throw new StoreException(StoreException.Kind.READ_ONLY, "a snapshot is read-only"); // W_OK
        }
        if (!Permissions.allows(inode, (int) caller.uid(), (int) caller.gid(), (int) caller.pid(), mask)) {
            throw new StoreException(StoreException.Kind.ACCESS_DENIED, "permission denied");
        }
    }

    /** A path for messages and policy: the names the kernel last used for {@code node}. */
    String path(long node) {
        return table.path(node);
    }

    private String path(long parent, byte[] name) {
        String dir = table.path(parent);
        return (dir.equals("/") ? "" : dir) + "/" + Names.display(name);
    }

    private List<Tree.Entry> listing(Nodes.Node dir) {
        List<Tree.Entry> entries = new ArrayList<>();
        entries.add(new Tree.Entry(Names.DOT, dir.number(), Inode.S_IFDIR >>> 12));
        entries.add(new Tree.Entry(Names.DOT_DOT, 0, Inode.S_IFDIR >>> 12));
        if (dir.isDirectoryOfSnapshots()) {
            for (var snapshot : snapshotDir.list()) {
                entries.add(new Tree.Entry(Names.bytes(snapshot.name()), nodes.rootOf(snapshot), Inode.S_IFDIR >>> 12));
            }
        } else {
            dir.view().list(dir.ino(), e -> entries.add(e));
        }
        return entries;
    }

    private Entry created(Caller caller, String operation, long parent, byte[] name, int mode, long rdev, byte[] target) {
        Tree.checkName(name);
        long dir = live(parent);
        String path = path(parent, name);
        gate.access(operation, path, 0, Policy.Operation.WRITE, caller.forPolicy());
        gate.placement(operation, path, caller.forPolicy());
        Inode inode = tree.create(dir, name, mode, (int) caller.uid(), (int) caller.gid(), rdev, target);
        table.remember(inode.ino, parent, name);
        return entry(nodes.node(inode.ino));
    }

    private Entry entry(Nodes.Node node) {
        return new Entry(node.number(), attributes(node), node.lasting());
    }

    private OpenFile openFile(long handle) {
        OpenFile open = SnapshotDirectory.isSnapshotHandle(handle) ? null : openFiles.get(handle);
        if (open == null) {
            throw new StoreException(StoreException.Kind.INVALID, "file handle " + handle + " is not open for this");
        }
        return open;
    }

    /** The live inode a change applies to: never in {@code .snapshots}. */
    private long live(long node) {
        if (!Nodes.isLive(node)) {
            throw new StoreException(StoreException.Kind.READ_ONLY, "snapshots are read-only");
        }
        return node;
    }

    /**
     * The service for a snapshot made or deleted through {@code .snapshots/}, for root only (the
     * kernel already keeps others out of the read-only directory; this holds without
     * {@code default_permissions} too).
     */
    private SnapshotRequests snapshotService(Caller caller, String operation) {
        SnapshotRequests service = snapshots;
        if (service == null) {
            throw new StoreException(StoreException.Kind.READ_ONLY, operation + " in .snapshots is not offered by this mount");
        }
        if (caller.uid() != 0) {
            throw new StoreException(StoreException.Kind.NOT_PERMITTED, operation + " in .snapshots is for root only");
        }
        return service;
    }

    /** Checks a rename or link: the caller may write the file under both names, and its data may be placed at the new one. */
    private void guardNewName(Caller caller, String operation, String existing, long ino, String path) {
        gate.access(operation, existing, ino, Policy.Operation.WRITE, caller.forPolicy());
        gate.access(operation, path, ino, Policy.Operation.WRITE, caller.forPolicy());
        gate.placement(operation, path, caller.forPolicy());
    }

    private Attributes attributes(Nodes.Node node) {
        Inode inode = node.inode();
        long size = inode.size;
        long mtime = inode.mtimeNanos;
        OpenFile open = inode.isRegular() && !node.inSnapshot() && !node.isDirectoryOfSnapshots() ? openFiles.get(inode.ino) : null;
        if (open != null) {
            size = open.size();
            mtime = open.mtimeNanos();
        }
        long storedBytes = inode.isRegular() && far != null && !node.inSnapshot() ? size // counted as if here: tools take few blocks for holes
                : inode.isRegular()
                ? Math.min(size, (inode.storedBlocks + (open != null && open.isDirty() ? 1 : 0)) * data.blockSize())
                : (inode.isSymlink() ? 0 : 4096);
        return new Attributes(node.number(), inode.mode, inode.nlink, inode.uid, inode.gid, inode.rdev, size,
                data.blockSize(), (storedBytes + STAT_BLOCK - 1) / STAT_BLOCK, inode.atimeNanos, mtime,
                Math.max(inode.ctimeNanos, mtime));
    }

    private static boolean writable(int flags) {
        return (flags & 3) != 0; // O_ACCMODE: O_WRONLY or O_RDWR.
    }

    private static void checkXattrNamespace(String name) {
        if (name.startsWith("system.")) {
            throw new StoreException(StoreException.Kind.UNSUPPORTED, "attribute namespace of '" + name + "' is not supported");
        }
    }
}
