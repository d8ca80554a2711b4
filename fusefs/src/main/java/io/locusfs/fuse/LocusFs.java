package io.locusfs.fuse;

import io.locusfs.policy.Policy;
import io.locusfs.store.FileData;
import io.locusfs.store.Inode;
import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import io.locusfs.store.Tree;
import io.locusfs.xattr.ReservedAttributes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.util.List;
import java.util.function.IntSupplier;
import jnr.ffi.Pointer;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The mounted filesystem: POSIX operations of the FUSE high-level API over a {@link Store}.
 * Paths are resolved component by component from the root; open files are addressed by their
 * inode number (the FUSE file handle), so a descriptor keeps working after its name is unlinked
 * or renamed. Permission checks on mode bits are left to the kernel ({@code default_permissions});
 * ownership of new nodes and setgid directories are handled here. Called by many FUSE threads
 * at once.
 */
public final class LocusFs extends FuseStubFS {
    private static final Logger log = LoggerFactory.getLogger(LocusFs.class);
    private static final long UTIME_NOW = (1L << 30) - 1;
    private static final long UTIME_OMIT = (1L << 30) - 2;
    private static final int STAT_BLOCK = 512;
    private static final int O_TRUNC = 01000;

    private final Store store;
    private final Tree tree;
    private final FileData data;
    private final OpenFiles openFiles;
    private final Locations locations;
    private final SnapshotDirectory snapshotDir;
    private final PolicyGate gate;

    public LocusFs(Store store, Locations locations, PolicyGate gate) {
        this.gate = gate;
        this.store = store;
        this.locations = locations;
        this.tree = store.tree();
        this.data = store.data();
        this.openFiles = new OpenFiles(data, tree::inode);
        this.snapshotDir = new SnapshotDirectory(store.snapshots());
        enableOperationFlags();
    }

    /**
     * Sets two bits of libfuse's {@code fuse_operations} that jnr-fuse leaves clear (they sit in
     * one C bitfield word, low bit first): {@code flag_nullpath_ok}, so reads and writes on a
     * descriptor whose file was unlinked reach us by handle instead of failing with ENOENT, and
     * {@code flag_utime_omit_ok}, so setting only one of atime and mtime (touch -m) is passed on
     * with UTIME_OMIT instead of silently dropped.
     */
    private void enableOperationFlags() {
        int nullpathOk = 1;
        int utimeOmitOk = 1 << 2;
        try {
            // offset() is public but declared in a package-private jnr class, hence reflection.
            Object flags = fuseOperations.flag_nullpath_ok;
            java.lang.reflect.Method offset = flags.getClass().getMethod("offset");
            offset.setAccessible(true);
            long flagsOffset = (Long) offset.invoke(flags);
            jnr.ffi.Struct.getMemory(fuseOperations).putInt(flagsOffset, nullpathOk | utimeOmitOk);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this jnr-fuse does not expose fuse_operations flags", e);
        }
    }

    /** The libfuse operation table that dispatches to this file system. */
    ru.serce.jnrfuse.struct.FuseOperations operations() {
        return fuseOperations;
    }

    /** Where {@code mkdir} and {@code rmdir} in {@code .snapshots/} take and delete snapshots; unset, they are refused (EROFS). */
    private volatile SnapshotService snapshots;

    /** Lets root take and delete snapshots with {@code mkdir}/{@code rmdir .snapshots/NAME}, through {@code service}. */
    void takeSnapshotsThrough(SnapshotService service) {
        this.snapshots = service;
    }

    /**
     * The service for a snapshot made or deleted through {@code .snapshots/}, for root only (the
     * kernel already keeps others out of the read-only directory; this holds without
     * {@code default_permissions} too).
     */
    private SnapshotService snapshotService(String operation, String path) {
        SnapshotService service = snapshots;
        if (service == null) {
            throw new StoreException(StoreException.Kind.READ_ONLY, operation + " in .snapshots is not offered by this mount");
        }
        if (getContext().uid.get() != 0) {
            throw new StoreException(StoreException.Kind.NOT_PERMITTED, operation + " in .snapshots is for root only");
        }
        return service;
    }

    /** Commits every buffered write and syncs the store; the daemon calls it once the FUSE loop has ended. */
    public void flushAll() {
        openFiles.commitAll();
        store.sync();
    }

    /** Commits every buffered write, so that a snapshot taken next holds everything written so far. */
    public void commitAll() {
        openFiles.commitAll();
    }

    /** How many files have a descriptor open for writing (a rollback refuses to run under them). */
    /** True while some process has inode {@code ino} open here (so its data must outlive an unlink). */
    public boolean isOpen(long ino) {
        return openFiles.isOpen(ino);
    }

    public int filesOpenForWriting() {
        return openFiles.openForWriting();
    }

    /** After a rollback changed the tree under open files, they read their inodes again. */
    public void reloadOpenFiles() {
        openFiles.reloadAll(ino -> tree.live().inodeOrNull(ino));
    }

    @Override
    public int getattr(String path, FileStat stat) {
        return run("getattr", path, () -> fill(stat, node(path)));
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        return run("fgetattr", path, () -> {
            long handle = fi.fh.get();
            if (SnapshotDirectory.isSnapshotHandle(handle)) {
                return fill(stat, snapshotDir.opened(handle));
            }
            return fill(stat, new SnapshotDirectory.Node(tree.live(), handle, null));
        });
    }

    @Override
    public int readlink(String path, Pointer buf, @size_t long size) {
        return run("readlink", path, () -> {
            Inode inode = inodeOf(node(path));
            if (!inode.isSymlink()) {
                return -ErrorCodes.EINVAL();
            }
            int n = (int) Math.min(inode.symlinkTarget.length, size - 1);
            buf.put(0, inode.symlinkTarget, 0, n);
            buf.putByte(n, (byte) 0);
            return 0;
        });
    }

    @Override
    public int mknod(String path, @mode_t long mode, long rdev) {
        return run("mknod", path, () -> {
            atTheDoor("mknod", path);
            createNode(path, (int) mode, rdev, null);
            return 0;
        });
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return run("mkdir", path, () -> {
            String snapshot = snapshotDir.nameOfSnapshot(path);
            if (snapshot != null) {
                try {
                    snapshotService("mkdir", path).createOnRequest(snapshot);
                } catch (IOException e) {
                    // The pre-snapshot hook said no: the operator's veto, not an I/O failure.
                    log.warn("mkdir {}: {}", path, e.getMessage());
                    throw new StoreException(StoreException.Kind.NOT_PERMITTED, e.getMessage(), e);
                }
                return 0;
            }
            atTheDoor("mkdir", path);
            createNode(path, Inode.S_IFDIR | ((int) mode & 07777), 0, null);
            return 0;
        });
    }

    @Override
    public int symlink(String target, String path) {
        return run("symlink", path, () -> {
            atTheDoor("symlink", path);
            createNode(path, Inode.S_IFLNK | 0777, 0, Names.bytes(target));
            return 0;
        });
    }

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        return run("create", path, () -> {
            atTheDoor("create", path);
            Inode inode = createNode(path, Inode.S_IFREG | ((int) mode & 07777), 0, null);
            openFiles.acquire(inode.ino, true);
            fi.fh.set(inode.ino);
            return 0;
        });
    }

    @Override
    public int unlink(String path) {
        return run("unlink", path, () -> {
            SnapshotDirectory.refuseWrite(path);
            Names.Split split = Names.split(path);
            tree.unlink(resolve(split.parent()), split.name(), openFiles::isOpen);
            return 0;
        });
    }

    @Override
    public int rmdir(String path) {
        return run("rmdir", path, () -> {
            String snapshot = snapshotDir.nameOfSnapshot(path);
            if (snapshot != null) {
                SnapshotService service = snapshotService("rmdir", path);
                snapshotDir.refuseIfOpen(snapshot);
                service.deleteOnRequest(snapshot);
                return 0;
            }
            SnapshotDirectory.refuseWrite(path);
            Names.Split split = Names.split(path);
            tree.rmdir(resolve(split.parent()), split.name());
            return 0;
        });
    }

    @Override
    public int rename(String from, String to) {
        return run("rename", from, () -> {
            guardNewName("rename", from, to);
            Names.Split source = Names.split(from);
            Names.Split target = Names.split(to);
            tree.rename(resolve(source.parent()), source.name(), resolve(target.parent()), target.name(),
                    openFiles::isOpen);
            return 0;
        });
    }

    @Override
    public int link(String existing, String path) {
        return run("link", path, () -> {
            long linked = guardNewName("link", existing, path);
            Names.Split split = Names.split(path);
            tree.link(linked, resolve(split.parent()), split.name());
            return 0;
        });
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        return run("chmod", path, () -> {
            tree.update(resolve(path), inode -> inode.mode = (inode.mode & Inode.S_IFMT) | ((int) mode & 07777));
            return 0;
        });
    }

    @Override
    public int chown(String path, long uid, long gid) {
        return run("chown", path, () -> {
            tree.update(resolve(path), inode -> {
                if ((int) uid != -1) {
                    inode.uid = (int) uid;
                }
                if ((int) gid != -1) {
                    inode.gid = (int) gid;
                }
                if (!inode.isDirectory() && ((int) uid != -1 || (int) gid != -1)) {
                    // chown(2) clears set-user-ID and set-group-ID on files it changes.
                    inode.mode &= ~(Inode.S_ISUID | ((inode.mode & 010) != 0 ? Inode.S_ISGID : 0));
                }
            });
            return 0;
        });
    }

    @Override
    public int truncate(String path, @off_t long size) {
        return run("truncate", path, () -> {
            // Through the open-file table, so that an open racing with this truncate sees its result.
            long ino = resolve(path);
            gate.access("truncate", path, ino, Policy.Operation.WRITE, caller());
            OpenFile open = openFiles.acquire(ino, true);
            try {
                open.truncate(size);
            } finally {
                openFiles.release(ino, true);
            }
            return 0;
        });
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return run("ftruncate", path, () -> {
            openFile(fi).truncate(size);
            return 0;
        });
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        return run("utimens", path, () -> {
            long now = Names.nowNanos();
            long ino = resolve(path);
            OpenFile open = openFiles.get(ino);
            if (open != null) {
                open.commit(); // Its buffered mtime must not overwrite the one set here.
            }
            tree.update(ino, inode -> {
                Long atime = time(timespec[0], now);
                Long mtime = time(timespec[1], now);
                if (atime != null) {
                    inode.atimeNanos = atime;
                }
                if (mtime != null) {
                    inode.mtimeNanos = mtime;
                }
            });
            if (open != null) {
                open.reloadTimes(tree.inode(ino));
            }
            return 0;
        });
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        return run("open", path, () -> {
            SnapshotDirectory.Node node = node(path);
            Inode inode = inodeOf(node);
            if (inode.isDirectory()) {
                return -ErrorCodes.EISDIR();
            }
            // A snapshot's copy is guarded by the rules of the path it has in the tree.
            String guarded = node.inSnapshot() ? innerPath(path) : path;
            boolean writes = writable(fi) || (fi.flags.get() & O_TRUNC) != 0;
            gate.access("open", guarded, inode.ino, writes ? Policy.Operation.WRITE : Policy.Operation.READ, caller());
            if (node.inSnapshot()) {
                if (writable(fi)) {
                    return -ErrorCodes.EROFS();
                }
                fi.fh.set(snapshotDir.open(node));
                return 0;
            }
            openFiles.acquire(inode.ino, writable(fi));
            fi.fh.set(inode.ino);
            return 0;
        });
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return run("read", path, () -> {
            long handle = fi.fh.get();
            if (SnapshotDirectory.isSnapshotHandle(handle)) {
                SnapshotDirectory.Node node = snapshotDir.opened(handle);
                Inode inode = node.view().inode(node.ino());
                return OpenFile.copyOut(buf, offset, (int) size, inode.size, data.blockSize(), new byte[data.blockSize()],
                        index -> null, (index, block) -> node.view().readBlockInto(node.ino(), index, block));
            }
            return openFile(fi).read(buf, offset, (int) size);
        });
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return run("write", path, () -> openFile(fi).write(buf, offset, (int) size, Names.nowNanos()));
    }

    @Override
    public int statfs(String path, Statvfs stat) {
        return run("statfs", path, () -> {
            FileStore disk;
            try {
                disk = Files.getFileStore(store.path());
                int unit = 4096;
                stat.f_bsize.set(unit);
                stat.f_frsize.set(unit);
                stat.f_blocks.set(disk.getTotalSpace() / unit);
                stat.f_bfree.set(disk.getUnallocatedSpace() / unit);
                stat.f_bavail.set(disk.getUsableSpace() / unit);
            } catch (IOException e) {
                throw new StoreException(StoreException.Kind.IO, "statfs of " + store.path() + ": " + e.getMessage(), e);
            }
            long freeInodes = Integer.MAX_VALUE;
            stat.f_files.set(tree.inodesAllocated() + freeInodes);
            stat.f_ffree.set(freeInodes);
            stat.f_favail.set(freeInodes);
            stat.f_namemax.set(Tree.NAME_MAX);
            return 0;
        });
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        return run("flush", path, () -> {
            if (SnapshotDirectory.isSnapshotHandle(fi.fh.get())) {
                return 0;
            }
            OpenFile open = openFiles.get(fi.fh.get());
            if (open != null) {
                open.commit();
            }
            return 0;
        });
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        return run("release", path, () -> {
            long ino = fi.fh.get();
            if (SnapshotDirectory.isSnapshotHandle(ino)) {
                snapshotDir.release(ino);
                return 0;
            }
            if (openFiles.release(ino, writable(fi))) {
                Inode inode = tree.inode(ino);
                if (inode.nlink == 0) {
                    tree.releaseOrphan(ino);
                }
            }
            return 0;
        });
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return run("fsync", path, () -> {
            if (SnapshotDirectory.isSnapshotHandle(fi.fh.get())) {
                return 0;
            }
            openFile(fi).commit();
            store.sync();
            return 0;
        });
    }

    @Override
    public int fsyncdir(String path, FuseFileInfo fi) {
        return run("fsyncdir", path, () -> {
            store.sync();
            return 0;
        });
    }

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        return run("setxattr", path, () -> {
            byte[] attribute = Names.bytes(name);
            checkXattrNamespace(name);
            byte[] bytes = new byte[(int) size];
            value.get(0, bytes, 0, bytes.length);
            SnapshotDirectory.refuseWrite(path);
            long ino = resolve(path);
            if (ReservedAttributes.isReserved(name)) {
                // Copies (cp -a, tar --xattrs) write back what they read: the identical value is a no-op.
                if (ReservedAttributes.SHOWN.contains(name) && java.util.Arrays.equals(bytes, locations.reservedValue(ino, name))) {
                    return 0;
                }
                log.warn("refused setxattr {} on {}: only the filesystem writes location attributes", name, path);
                return -ErrorCodes.EPERM();
            }
            tree.setXattr(ino, attribute, bytes, flags);
            return 0;
        });
    }

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        return run("getxattr", path, () -> {
            SnapshotDirectory.Node node = node(path);
            if (name.startsWith("system.") || node.isDirectoryOfSnapshots()) {
                return -ErrorCodes.ENODATA();
            }
            byte[] bytes = ReservedAttributes.isReserved(name) ? reservedValue(node, name)
                    : node.view().getXattr(node.ino(), Names.bytes(name));
            return copyOut(bytes, value, size);
        });
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        return run("listxattr", path, () -> {
            List<byte[]> names = new java.util.ArrayList<>();
            SnapshotDirectory.Node node = node(path);
            if (node.isDirectoryOfSnapshots()) {
                return copyOut(new byte[0], list, size);
            }
            for (String reserved : ReservedAttributes.SHOWN) {
                names.add(Names.bytes(reserved));
            }
            for (byte[] stored : node.view().listXattrs(node.ino())) {
                if (!ReservedAttributes.isReserved(new String(stored, java.nio.charset.StandardCharsets.ISO_8859_1))) {
                    names.add(stored);
                }
            }
            ByteBuffer all = ByteBuffer.allocate(names.stream().mapToInt(n -> n.length + 1).sum());
            for (byte[] n : names) {
                all.put(n).put((byte) 0);
            }
            return copyOut(all.array(), list, size);
        });
    }

    @Override
    public int removexattr(String path, String name) {
        return run("removexattr", path, () -> {
            SnapshotDirectory.refuseWrite(path);
            checkXattrNamespace(name);
            if (ReservedAttributes.isReserved(name)) {
                resolve(path);
                log.warn("refused removexattr {} on {}: only the filesystem writes location attributes", name, path);
                return -ErrorCodes.EPERM();
            }
            tree.removeXattr(resolve(path), Names.bytes(name));
            return 0;
        });
    }

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        return run("opendir", path, () -> {
            Inode inode = inodeOf(node(path));
            return inode.isDirectory() ? 0 : -ErrorCodes.ENOTDIR();
        });
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        return run("readdir", path, () -> {
            SnapshotDirectory.Node node = node(path);
            filler.apply(buf, Names.cString(Names.DOT), null, 0);
            filler.apply(buf, Names.cString(Names.DOT_DOT), null, 0);
            if (node.isDirectoryOfSnapshots()) {
                for (String name : snapshotDir.names()) {
                    filler.apply(buf, Names.cString(Names.bytes(name)), null, 0);
                }
                return 0;
            }
            node.view().list(node.ino(), entry -> filler.apply(buf, Names.cString(entry.name()), null, 0) == 0);
            return 0;
        });
    }

    @Override
    public int access(String path, int mask) {
        return run("access", path, () -> {
            SnapshotDirectory.Node node = node(path);
            Inode inode = inodeOf(node);
            if (node.inSnapshot() && (mask & 2) != 0) {
                return -ErrorCodes.EROFS(); // W_OK in a read-only snapshot.
            }
            FuseContext context = getContext();
            return Permissions.allows(inode, (int) context.uid.get(), (int) context.gid.get(),
                    (int) context.pid.get(), mask) ? 0 : -ErrorCodes.EACCES();
        });
    }

    private Inode createNode(String path, int mode, long rdev, byte[] symlinkTarget) {
        SnapshotDirectory.refuseWrite(path);
        Names.Split split = Names.split(path);
        FuseContext context = getContext();
        return tree.create(resolve(split.parent()), split.name(), mode,
                (int) context.uid.get(), (int) context.gid.get(), rdev, symlinkTarget);
    }

    private OpenFile openFile(FuseFileInfo fi) {
        OpenFile open = openFiles.get(fi.fh.get());
        if (open == null) {
            throw new StoreException(StoreException.Kind.INVALID, "file handle " + fi.fh.get() + " is not open");
        }
        return open;
    }

    /**
     * What {@code path} names for reading: a node of the live tree, of a snapshot under
     * {@code .snapshots/}, or that directory itself.
     */
    private SnapshotDirectory.Node node(String path) {
        List<byte[]> parts = Names.components(path);
        if (!parts.isEmpty() && java.util.Arrays.equals(parts.get(0), SnapshotDirectory.NAME)) {
            return snapshotDir.resolve(parts);
        }
        return new SnapshotDirectory.Node(tree.live(), SnapshotDirectory.walk(tree.live(), parts), null);
    }

    /** The inode of a node; {@code .snapshots} itself shows as a read-only directory like the root. */
    private Inode inodeOf(SnapshotDirectory.Node node) {
        if (node.isDirectoryOfSnapshots()) {
            Inode root = tree.inode(Store.ROOT_INO);
            Inode dir = new Inode(SnapshotDirectory.DIRECTORY_INO);
            dir.mode = Inode.S_IFDIR | 0555;
            dir.nlink = 2;
            dir.uid = root.uid;
            dir.gid = root.gid;
            dir.parent = Store.ROOT_INO;
            dir.atimeNanos = dir.mtimeNanos = dir.ctimeNanos = snapshotDir.mtimeNanos();
            return dir;
        }
        return node.view().inode(node.ino());
    }

    private byte[] reservedValue(SnapshotDirectory.Node node, String name) {
        if (!node.inSnapshot()) {
            return locations.reservedValue(node.ino(), name);
        }
        return locations.reservedValue(node.view(), node.ino(), name, node.snapshot().locationRecord());
    }

    /**
     * Checks a rename or link of {@code existing} to {@code path}: neither in a snapshot, the
     * caller may write the file under both names, and its data may be placed at {@code path}.
     *
     * @return the inode of {@code existing}
     */
    private long guardNewName(String operation, String existing, String path) {
        SnapshotDirectory.refuseWrite(path);
        long ino = resolve(existing);
        gate.access(operation, existing, ino, Policy.Operation.WRITE, caller());
        gate.access(operation, path, ino, Policy.Operation.WRITE, caller());
        gate.placement(operation, path, caller());
        return ino;
    }

    /** Checks access (write) and placement for a node about to be created at {@code path}. */
    private void atTheDoor(String operation, String path) {
        SnapshotDirectory.refuseWrite(path);
        gate.access(operation, path, 0, Policy.Operation.WRITE, caller());
        gate.placement(operation, path, caller());
    }

    private PolicyGate.Caller caller() {
        FuseContext context = getContext();
        return new PolicyGate.Caller(context.uid.get(), context.gid.get(), context.pid.get());
    }

    /** {@code /.snapshots/NAME/rest} → {@code /rest}. */
    private static String innerPath(String path) {
        List<byte[]> parts = Names.components(path);
        StringBuilder inner = new StringBuilder();
        for (int i = 2; i < parts.size(); i++) {
            inner.append('/').append(Names.display(parts.get(i)));
        }
        return inner.length() == 0 ? "/" : inner.toString();
    }

    private static boolean writable(FuseFileInfo fi) {
        return (fi.flags.get() & 3) != 0; // O_ACCMODE: O_WRONLY or O_RDWR.
    }

    /** The inode number of {@code path} in the live tree, for a change: never inside {@code .snapshots}. */
    private long resolve(String path) {
        SnapshotDirectory.refuseWrite(path);
        return SnapshotDirectory.walk(tree.live(), Names.components(path));
    }

    private int fill(FileStat stat, SnapshotDirectory.Node node) {
        Inode inode = inodeOf(node);
        long size = inode.size;
        long mtime = inode.mtimeNanos;
        OpenFile open = inode.isRegular() && !node.inSnapshot() ? openFiles.get(inode.ino) : null;
        if (open != null) {
            size = open.size();
            mtime = open.mtimeNanos();
        }
        stat.st_ino.set(node.shownIno());
        stat.st_mode.set(inode.mode);
        stat.st_nlink.set(inode.nlink);
        stat.st_uid.set(inode.uid);
        stat.st_gid.set(inode.gid);
        stat.st_rdev.set(inode.rdev);
        stat.st_size.set(size);
        stat.st_blksize.set(data.blockSize());
        long storedBytes = inode.isRegular()
                ? Math.min(size, (inode.storedBlocks + (open != null && open.isDirty() ? 1 : 0)) * data.blockSize())
                : (inode.isSymlink() ? 0 : 4096);
        stat.st_blocks.set((storedBytes + STAT_BLOCK - 1) / STAT_BLOCK);
        setTime(stat.st_atim, inode.atimeNanos);
        setTime(stat.st_mtim, mtime);
        setTime(stat.st_ctim, Math.max(inode.ctimeNanos, mtime));
        return 0;
    }

    private static void setTime(Timespec t, long nanos) {
        t.tv_sec.set(Math.floorDiv(nanos, 1_000_000_000L));
        t.tv_nsec.set(Math.floorMod(nanos, 1_000_000_000L));
    }

    private static Long time(Timespec t, long now) {
        long nsec = t.tv_nsec.longValue();
        if (nsec == UTIME_OMIT) {
            return null;
        }
        if (nsec == UTIME_NOW) {
            return now;
        }
        return t.tv_sec.get() * 1_000_000_000L + nsec;
    }

    private static void checkXattrNamespace(String name) {
        if (name.startsWith("system.")) {
            throw new StoreException(StoreException.Kind.UNSUPPORTED, "attribute namespace of '" + name + "' is not supported");
        }
    }

    private static int copyOut(byte[] bytes, Pointer target, long size) {
        if (size == 0) {
            return bytes.length;
        }
        if (size < bytes.length) {
            return -ErrorCodes.ERANGE();
        }
        target.put(0, bytes, 0, bytes.length);
        return bytes.length;
    }

    private static int run(String operation, String path, IntSupplier body) {
        try {
            return body.getAsInt();
        } catch (Throwable failure) {
            return Errno.of(failure, operation, path);
        }
    }
}
