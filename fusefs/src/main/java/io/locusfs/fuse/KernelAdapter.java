package io.locusfs.fuse;

import static io.locusfs.fuse.Fuse3.FUSE;

import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import io.locusfs.store.Tree;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.LoggerFactory;

/**
 * The kernel adapter: libfuse 3's low-level operation table, each slot decoding the request's C
 * arguments, calling {@link LocusFs}, and encoding the reply. Nothing is decided here but what
 * the kernel may cache and for how long: names and attributes for {@code timeouts} (the daemon
 * is the only writer of its store, and tells the kernel to forget what changes behind its back
 * through {@link #forgetNode} and {@link #forgetName}), the pages of a file across opens, and
 * writes gathered in its page cache (writeback), and the rest of a block a small read fetched
 * ({@link PageCacheFill}). Failures become errno values in {@link Errno}.
 */
final class KernelAdapter implements LocusFs.KernelCache {
    private static final Runtime RUNTIME = Runtime.getSystemRuntime();
    /** The largest request the kernel sends (max_write, max_pages): 1 MiB, libfuse 3's ceiling. */
    static final int MAX_REQUEST = 1 << 20;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;

    /** How long the kernel may keep names and attributes, in seconds. */
    record Timeouts(double entry, double attr) {
    }

    private final LocusFs fs;
    private final Timeouts timeouts;
    private final Pointer table;
    /** The callbacks' Java objects: referenced here so the collector never frees a slot's code. */
    private final List<Object> callbacks = new ArrayList<>();
    private volatile Pointer session;
    private volatile String mountPoint;
    private final PageCacheFill pageCacheFill;

    private final ThreadLocal<Pointer> statBuffer = ThreadLocal.withInitial(() -> direct(Fuse3.STAT_SIZEOF));
    private final ThreadLocal<Pointer> entryBuffer = ThreadLocal.withInitial(() -> direct(Fuse3.ENTRY_SIZEOF));
    private final ThreadLocal<Pointer> fileInfoBuffer = ThreadLocal.withInitial(() -> direct(Fuse3.FI_SIZE));
    private final ThreadLocal<Pointer> nameBuffer = ThreadLocal.withInitial(() -> direct(Tree.NAME_MAX + 1));
    private final ThreadLocal<Pointer> dataBuffer = ThreadLocal.withInitial(() -> direct(MAX_REQUEST));

    KernelAdapter(LocusFs fs, Timeouts timeouts) {
        this.fs = fs;
        this.timeouts = timeouts;
        this.table = direct(Fuse3.OPS_COUNT * RUNTIME.addressSize());
        this.pageCacheFill = new PageCacheFill(fs.blockSize());
        fill();
    }

    /** The {@code struct fuse_lowlevel_ops} to hand to {@code fuse_session_new}. */
    Pointer table() {
        return table;
    }

    long tableSize() {
        return (long) Fuse3.OPS_COUNT * RUNTIME.addressSize();
    }

    /** The session the invalidations go to, and where it is mounted; null once unmounted. */
    void attach(Pointer session, String mountPoint) {
        this.mountPoint = mountPoint;
        this.session = session;
        if (session == null) {
            pageCacheFill.close();
        } else {
            pageCacheFill.attach(session);
        }
    }

    @Override
    public void forgetNode(long node) {
        pageCacheFill.invalidated(); // before the kernel forgets, so a fill racing with it is undone
        Pointer se = session;
        if (se != null) {
            FUSE.fuse_lowlevel_notify_inval_inode(se, node, 0, 0);
        }
    }

    /**
     * Clears the file's set-ID bits when the request asks for it (see {@link KillPrivileges}), and
     * makes the kernel forget the mode it cached: after a WRITE or an O_TRUNC OPEN it keeps it.
     * Forgetting attributes only (no pages) is safe inside a request on the same file.
     */
    private void clearSetIdBitsIfAsked(Pointer req, long ino) {
        Pointer se = session;
        if (KillPrivileges.requested() && fs.clearSetIdBits(caller(req), ino) && se != null) {
            FUSE.fuse_lowlevel_notify_inval_inode(se, ino, -1, 0);
        }
    }

    @Override
    public void forgetName(long parent, byte[] name) {
        Pointer se = session;
        if (se != null) {
            Pointer cName = direct(name.length + 1);
            cName.put(0, name, 0, name.length);
            cName.putByte(name.length, (byte) 0);
            FUSE.fuse_lowlevel_notify_inval_entry(se, parent, cName, name.length);
        }
    }

    /** The C library calls that make the kernel write back a mount's dirty pages. */
    public interface Libc {
        int open(String path, int flags);

        int syncfs(int fd);

        int fsync(int fd);

        int close(int fd);
    }

    private static final Libc LIBC = LibraryLoader.create(Libc.class).failImmediately().load("c");
    private static final int O_RDONLY_DIRECTORY = 0200000;
    private static final int O_RDONLY_NOFOLLOW_NONBLOCK = 0400000 | 04000;

    /**
     * Has the kernel send what it holds in its page cache: syncfs(2) on the mount for every file,
     * then fsync(2) on each file open for writing, which also waits until the kernel's WRITE
     * requests for it have been answered (syncfs does not wait for those). The other workers
     * serve the requests. Each file is opened for the call only, so it never keeps the mount busy;
     * one that cannot be opened (renamed since, refused by the policy) is logged and left to syncfs.
     */
    @Override
    public void writeBack(List<String> openForWriting) {
        String root = mountPoint;
        if (session == null || root == null) {
            return;
        }
        int fd = LIBC.open(root, O_RDONLY_DIRECTORY);
        if (fd < 0) {
            throw new StoreException(StoreException.Kind.IO, "cannot open " + root + " to write back its cached writes");
        }
        try {
            LIBC.syncfs(fd);
        } finally {
            LIBC.close(fd);
        }
        for (String path : openForWriting) {
            int file = LIBC.open(root + path, O_RDONLY_NOFOLLOW_NONBLOCK);
            if (file < 0) {
                LoggerFactory.getLogger(KernelAdapter.class).warn(
                        "could not open {} to write back what the kernel caches of it", path);
                continue;
            }
            try {
                if (LIBC.fsync(file) != 0) {
                    throw new StoreException(StoreException.Kind.IO, "writing back the cached writes of " + path + " failed");
                }
            } finally {
                LIBC.close(file);
            }
        }
    }

    private void fill() {
        set(Fuse3.Op.INIT, (Fuse3.Init) (userData, conn) -> init(conn));
        set(Fuse3.Op.LOOKUP, (Fuse3.InoName) (req, parent, name) ->
                run(req, "lookup", parent, () -> replyEntry(req, fs.lookup(parent, bytes(name)))));
        set(Fuse3.Op.FORGET, (Fuse3.Forget) (req, ino, count) -> {
            fs.forget(ino, count);
            FUSE.fuse_reply_none(req);
        });
        set(Fuse3.Op.FORGET_MULTI, (Fuse3.ForgetMulti) (req, count, forgets) -> {
            for (long i = 0; i < count; i++) {
                fs.forget(forgets.getLong(i * 16), forgets.getLong(i * 16 + 8));
            }
            FUSE.fuse_reply_none(req);
        });
        set(Fuse3.Op.GETATTR, (Fuse3.InoFile) (req, ino, fi) -> run(req, "getattr", ino, () -> replyAttr(req, fs.getattr(ino))));
        set(Fuse3.Op.SETATTR, (Fuse3.SetAttr) this::setattr);
        set(Fuse3.Op.READLINK, (Fuse3.Ino) (req, ino) -> run(req, "readlink", ino, () -> {
            byte[] target = fs.readlink(ino);
            Pointer text = dataBuffer.get();
            text.put(0, target, 0, target.length);
            text.putByte(target.length, (byte) 0);
            FUSE.fuse_reply_readlink(req, text);
        }));
        set(Fuse3.Op.MKNOD, (Fuse3.Mknod) (req, parent, name, mode, rdev) -> run(req, "mknod", parent, () ->
                replyEntry(req, fs.mknod(caller(req), parent, bytes(name), mode, rdev))));
        set(Fuse3.Op.MKDIR, (Fuse3.Mkdir) (req, parent, name, mode) -> run(req, "mkdir", parent, () ->
                replyEntry(req, fs.mkdir(caller(req), parent, bytes(name), mode))));
        set(Fuse3.Op.UNLINK, (Fuse3.InoName) (req, parent, name) -> run(req, "unlink", parent, () -> {
            fs.unlink(parent, bytes(name));
            FUSE.fuse_reply_err(req, 0);
        }));
        set(Fuse3.Op.RMDIR, (Fuse3.InoName) (req, parent, name) -> run(req, "rmdir", parent, () -> {
            fs.rmdir(caller(req), parent, bytes(name));
            FUSE.fuse_reply_err(req, 0);
        }));
        set(Fuse3.Op.SYMLINK, (Fuse3.Symlink) (req, target, parent, name) -> run(req, "symlink", parent, () ->
                replyEntry(req, fs.symlink(caller(req), bytes(target), parent, bytes(name)))));
        set(Fuse3.Op.RENAME, (Fuse3.Rename) (req, parent, name, newParent, newName, flags) -> run(req, "rename", parent, () -> {
            fs.rename(caller(req), parent, bytes(name), newParent, bytes(newName), flags);
            FUSE.fuse_reply_err(req, 0);
        }));
        set(Fuse3.Op.LINK, (Fuse3.Link) (req, ino, newParent, newName) -> run(req, "link", ino, () ->
                replyEntry(req, fs.link(caller(req), ino, newParent, bytes(newName)))));
        set(Fuse3.Op.OPEN, (Fuse3.InoFile) (req, ino, fi) -> run(req, "open", ino, () -> {
            clearSetIdBitsIfAsked(req, ino); // An O_TRUNC open by a caller without CAP_FSETID.
            LocusFs.Opened opened = fs.open(caller(req), ino, fi.getInt(Fuse3.FI_FLAGS));
            setHandle(fi, opened.handle(), opened.keepCache());
            FUSE.fuse_reply_open(req, fi);
        }));
        set(Fuse3.Op.READ, (Fuse3.ReadOp) (req, ino, size, offset, fi) -> run(req, "read", ino, () -> {
            Pointer buffer = dataBuffer.get();
            PageCacheFill.Offer offer = pageCacheFill.offerFor(ino);
            int n = fs.read(handle(fi), buffer, offset, (int) Math.min(size, MAX_REQUEST), offer);
            FUSE.fuse_reply_buf(req, buffer, n);
            offer.send();
        }));
        set(Fuse3.Op.WRITE, (Fuse3.Write) (req, ino, buf, size, offset, fi) -> run(req, "write", ino, () -> {
            clearSetIdBitsIfAsked(req, ino);
            FUSE.fuse_reply_write(req, fs.write(handle(fi), buf, offset, (int) size));
        }));
        set(Fuse3.Op.FLUSH, (Fuse3.InoFile) (req, ino, fi) -> run(req, "flush", ino, () -> {
            fs.flush(handle(fi));
            FUSE.fuse_reply_err(req, 0);
        }));
        set(Fuse3.Op.RELEASE, (Fuse3.InoFile) (req, ino, fi) -> run(req, "release", ino, () -> {
            fs.release(handle(fi), fi.getInt(Fuse3.FI_FLAGS));
            FUSE.fuse_reply_err(req, 0);
        }));
        set(Fuse3.Op.FSYNC, (Fuse3.Fsync) (req, ino, datasync, fi) -> run(req, "fsync", ino, () -> {
            fs.fsync(handle(fi));
            FUSE.fuse_reply_err(req, 0);
        }));
        set(Fuse3.Op.OPENDIR, (Fuse3.InoFile) (req, ino, fi) -> run(req, "opendir", ino, () -> {
            setHandle(fi, fs.opendir(ino), false);
            if (ino != SnapshotDirectory.DIRECTORY_INO) {
                // The kernel may keep the listing: it drops it itself when a name changes through it,
                // and forgetNode drops it when one changes behind it. .snapshots changes behind it always.
                fi.putInt(Fuse3.FI_BITS, fi.getInt(Fuse3.FI_BITS) | Fuse3.FI_CACHE_READDIR | Fuse3.FI_KEEP_CACHE);
            }
            FUSE.fuse_reply_open(req, fi);
        }));
        set(Fuse3.Op.READDIR, (Fuse3.ReadOp) (req, ino, size, offset, fi) ->
                run(req, "readdir", ino, () -> readdir(req, ino, size, offset, fi, false)));
        set(Fuse3.Op.READDIRPLUS, (Fuse3.ReadOp) (req, ino, size, offset, fi) ->
                run(req, "readdirplus", ino, () -> readdir(req, ino, size, offset, fi, true)));
        set(Fuse3.Op.RELEASEDIR, (Fuse3.InoFile) (req, ino, fi) -> run(req, "releasedir", ino, () -> {
            fs.releasedir(handle(fi));
            FUSE.fuse_reply_err(req, 0);
        }));
        set(Fuse3.Op.FSYNCDIR, (Fuse3.Fsync) (req, ino, datasync, fi) -> run(req, "fsyncdir", ino, () -> {
            fs.fsyncdir();
            FUSE.fuse_reply_err(req, 0);
        }));
        set(Fuse3.Op.STATFS, (Fuse3.Ino) (req, ino) -> run(req, "statfs", ino, () -> replyStatfs(req, fs.statfs())));
        set(Fuse3.Op.SETXATTR, (Fuse3.SetXattr) (req, ino, name, value, size, flags) -> run(req, "setxattr", ino, () -> {
            byte[] bytes = new byte[(int) size];
            if (size > 0) {
                value.get(0, bytes, 0, bytes.length);
            }
            fs.setxattr(ino, text(name), bytes, flags);
            FUSE.fuse_reply_err(req, 0);
        }));
        set(Fuse3.Op.GETXATTR, (Fuse3.GetXattr) (req, ino, name, size) ->
                run(req, "getxattr", ino, () -> replyXattr(req, fs.getxattr(ino, text(name)), size)));
        set(Fuse3.Op.LISTXATTR, (Fuse3.ListXattr) (req, ino, size) ->
                run(req, "listxattr", ino, () -> replyXattr(req, fs.listxattr(ino), size)));
        set(Fuse3.Op.REMOVEXATTR, (Fuse3.InoName) (req, ino, name) -> run(req, "removexattr", ino, () -> {
            fs.removexattr(ino, text(name));
            FUSE.fuse_reply_err(req, 0);
        }));
        set(Fuse3.Op.ACCESS, (Fuse3.Access) (req, ino, mask) -> run(req, "access", ino, () -> {
            fs.access(caller(req), ino, mask);
            FUSE.fuse_reply_err(req, 0);
        }));
        set(Fuse3.Op.CREATE, (Fuse3.Create) (req, parent, name, mode, fi) -> run(req, "create", parent, () -> {
            long[] handle = new long[1];
            LocusFs.Entry entry = fs.create(caller(req), parent, bytes(name), mode, fi.getInt(Fuse3.FI_FLAGS), handle);
            setHandle(fi, handle[0], true);
            FUSE.fuse_reply_create(req, entryParam(entry), fi);
        }));
        set(Fuse3.Op.FALLOCATE, (Fuse3.Fallocate) (req, ino, mode, offset, length, fi) -> run(req, "fallocate", ino, () -> {
            fs.fallocate(handle(fi), mode, offset, length);
            FUSE.fuse_reply_err(req, 0);
        }));
        set(Fuse3.Op.LSEEK, (Fuse3.Lseek) (req, ino, offset, whence, fi) -> run(req, "lseek", ino, () -> {
            if (whence != SEEK_DATA && whence != SEEK_HOLE) {
                FUSE.fuse_reply_err(req, Errno.EINVAL);
                return;
            }
            FUSE.fuse_reply_lseek(req, fs.seek(handle(fi), offset, whence));
        }));
    }

    /** Asks for what the kernel can give: writeback caching, 1 MiB requests, readdirplus, parallel directory operations. */
    private void init(Pointer conn) {
        int capable = conn.getInt(Fuse3.CONN_CAPABLE);
        int wanted = Fuse3.CAP_WRITEBACK_CACHE | Fuse3.CAP_PARALLEL_DIROPS | Fuse3.CAP_READDIRPLUS
                | Fuse3.CAP_READDIRPLUS_AUTO | Fuse3.CAP_CACHE_SYMLINKS | Fuse3.CAP_ATOMIC_O_TRUNC;
        conn.putInt(Fuse3.CONN_WANT, conn.getInt(Fuse3.CONN_WANT) | (wanted & capable));
        conn.putInt(Fuse3.CONN_MAX_WRITE, MAX_REQUEST);
        conn.putInt(Fuse3.CONN_MAX_READAHEAD, MAX_REQUEST);
        conn.putInt(Fuse3.CONN_TIME_GRAN, 1);
    }

    private void setattr(Pointer req, long ino, Pointer stat, int toSet, Pointer fi) {
        run(req, "setattr", ino, () -> {
            clearSetIdBitsIfAsked(req, ino); // A truncate by a caller without CAP_FSETID.
            long now = Names.nowNanos();
            Integer mode = (toSet & Fuse3.SET_MODE) != 0 ? stat.getInt(Fuse3.STAT_MODE) : null;
            Integer uid = (toSet & Fuse3.SET_UID) != 0 ? stat.getInt(Fuse3.STAT_UID) : null;
            Integer gid = (toSet & Fuse3.SET_GID) != 0 ? stat.getInt(Fuse3.STAT_GID) : null;
            Long size = (toSet & Fuse3.SET_SIZE) != 0 ? stat.getLong(Fuse3.STAT_SIZE) : null;
            Long atime = time(stat, Fuse3.STAT_ATIME, toSet, Fuse3.SET_ATIME, Fuse3.SET_ATIME_NOW, now);
            Long mtime = time(stat, Fuse3.STAT_MTIME, toSet, Fuse3.SET_MTIME, Fuse3.SET_MTIME_NOW, now);
            replyAttr(req, fs.setattr(caller(req), ino, mode, uid, gid, size, atime, mtime, fi == null ? 0 : handle(fi)));
        });
    }

    private static Long time(Pointer stat, int offset, int toSet, int setBit, int nowBit, long now) {
        if ((toSet & nowBit) != 0) {
            return now;
        }
        if ((toSet & setBit) == 0) {
            return null;
        }
        return stat.getLong(offset) * 1_000_000_000L + stat.getLong(offset + 8);
    }

    /**
     * One page of a listing: as many entries from {@code offset} as fit in {@code size} bytes.
     * With {@code plus}, each carries its attributes and counts as a lookup the kernel keeps.
     */
    private void readdir(Pointer req, long dir, long size, long offset, Pointer fi, boolean plus) {
        List<Tree.Entry> entries = fs.readdir(dir, handle(fi), offset);
        Pointer buffer = dataBuffer.get();
        long capacity = Math.min(size, MAX_REQUEST);
        long used = 0;
        long position = offset;
        Pointer stat = statBuffer.get();
        for (Tree.Entry listed : entries) {
            position++;
            byte[] name = listed.name();
            Pointer cName = nameBuffer.get();
            cName.put(0, name, 0, name.length);
            cName.putByte(name.length, (byte) 0);
            long node = dotOrDotDot(name) ? (name.length == 1 ? dir : Store.ROOT_INO) : fs.numberOf(dir, listed);
            long needed;
            LocusFs.Entry kept = null;
            if (plus) {
                Pointer param = entryBuffer.get();
                if (dotOrDotDot(name)) {
                    param.setMemory(0, Fuse3.ENTRY_SIZEOF, (byte) 0);
                    param.putLong(Fuse3.ENTRY_ATTR + Fuse3.STAT_INO, node);
                    param.putInt(Fuse3.ENTRY_ATTR + Fuse3.STAT_MODE, listed.type() << 12);
                } else {
                    try {
                        kept = fs.entryOf(dir, listed);
                    } catch (StoreException gone) {
                        continue; // Removed since the directory was opened.
                    }
                    fillEntry(param, kept);
                }
                needed = FUSE.fuse_add_direntry_plus(req, buffer.slice(used), capacity - used, cName, param, position);
            } else {
                stat.setMemory(0, Fuse3.STAT_SIZEOF, (byte) 0);
                stat.putLong(Fuse3.STAT_INO, node);
                stat.putInt(Fuse3.STAT_MODE, listed.type() << 12);
                needed = FUSE.fuse_add_direntry(req, buffer.slice(used), capacity - used, cName, stat, position);
            }
            if (needed > capacity - used) {
                break;
            }
            used += needed;
            if (kept != null) {
                fs.listedAndKept(dir, kept, name);
            }
        }
        FUSE.fuse_reply_buf(req, buffer, used);
    }

    private static boolean dotOrDotDot(byte[] name) {
        return (name.length == 1 && name[0] == '.') || (name.length == 2 && name[0] == '.' && name[1] == '.');
    }

    private void replyEntry(Pointer req, LocusFs.Entry entry) {
        FUSE.fuse_reply_entry(req, entryParam(entry));
    }

    private Pointer entryParam(LocusFs.Entry entry) {
        Pointer param = entryBuffer.get();
        fillEntry(param, entry);
        return param;
    }

    private void fillEntry(Pointer param, LocusFs.Entry entry) {
        param.setMemory(0, Fuse3.ENTRY_SIZEOF, (byte) 0);
        param.putLong(Fuse3.ENTRY_INO, entry.node());
        fillStat(param.slice(Fuse3.ENTRY_ATTR), entry.attributes());
        param.putDouble(Fuse3.ENTRY_ATTR_TIMEOUT, entry.lasting() ? timeouts.attr() : 0);
        param.putDouble(Fuse3.ENTRY_TIMEOUT, entry.lasting() ? timeouts.entry() : 0);
    }

    private void replyAttr(Pointer req, LocusFs.Attributes attributes) {
        Pointer stat = statBuffer.get();
        fillStat(stat, attributes);
        boolean lasting = attributes.ino() != SnapshotDirectory.DIRECTORY_INO;
        FUSE.fuse_reply_attr(req, stat, lasting ? timeouts.attr() : 0);
    }

    private static void fillStat(Pointer stat, LocusFs.Attributes a) {
        stat.setMemory(0, Fuse3.STAT_SIZEOF, (byte) 0);
        stat.putLong(Fuse3.STAT_INO, a.ino());
        stat.putLong(Fuse3.STAT_NLINK, a.nlink());
        stat.putInt(Fuse3.STAT_MODE, a.mode());
        stat.putInt(Fuse3.STAT_UID, a.uid());
        stat.putInt(Fuse3.STAT_GID, a.gid());
        stat.putLong(Fuse3.STAT_RDEV, a.rdev());
        stat.putLong(Fuse3.STAT_SIZE, a.size());
        stat.putLong(Fuse3.STAT_BLKSIZE, a.blockSize());
        stat.putLong(Fuse3.STAT_BLOCKS, a.blocks());
        putTime(stat, Fuse3.STAT_ATIME, a.atimeNanos());
        putTime(stat, Fuse3.STAT_MTIME, a.mtimeNanos());
        putTime(stat, Fuse3.STAT_CTIME, a.ctimeNanos());
    }

    private static void putTime(Pointer stat, int offset, long nanos) {
        stat.putLong(offset, Math.floorDiv(nanos, 1_000_000_000L));
        stat.putLong(offset + 8, Math.floorMod(nanos, 1_000_000_000L));
    }

    private void replyStatfs(Pointer req, LocusFs.Space space) {
        Pointer st = direct(Fuse3.STATVFS_SIZEOF);
        st.putLong(0, space.blockSize());
        st.putLong(8, space.blockSize());
        st.putLong(16, space.blocks());
        st.putLong(24, space.free());
        st.putLong(32, space.available());
        st.putLong(40, space.files());
        st.putLong(48, space.freeFiles());
        st.putLong(56, space.freeFiles());
        st.putLong(80, space.nameMax());
        FUSE.fuse_reply_statfs(req, st);
    }

    /** getxattr/listxattr's protocol: size 0 asks for the length; a smaller buffer is ERANGE. */
    private void replyXattr(Pointer req, byte[] value, long size) {
        if (size == 0) {
            FUSE.fuse_reply_xattr(req, value.length);
        } else if (size < value.length) {
            FUSE.fuse_reply_err(req, Errno.ERANGE);
        } else {
            Pointer buffer = dataBuffer.get();
            buffer.put(0, value, 0, value.length);
            FUSE.fuse_reply_buf(req, buffer, value.length);
        }
    }

    private static LocusFs.Caller caller(Pointer req) {
        Pointer ctx = FUSE.fuse_req_ctx(req);
        return new LocusFs.Caller(ctx.getInt(0) & 0xffffffffL, ctx.getInt(4) & 0xffffffffL, ctx.getInt(8));
    }

    private static long handle(Pointer fi) {
        return fi.getLong(Fuse3.FI_FH);
    }

    private static void setHandle(Pointer fi, long handle, boolean keepCache) {
        fi.putLong(Fuse3.FI_FH, handle);
        int bits = fi.getInt(Fuse3.FI_BITS) & ~(Fuse3.FI_KEEP_CACHE | Fuse3.FI_DIRECT_IO);
        fi.putInt(Fuse3.FI_BITS, bits | (keepCache ? Fuse3.FI_KEEP_CACHE : 0));
    }

    /** A C string's bytes: a name is any bytes but '/' and NUL, not necessarily UTF-8. */
    private static byte[] bytes(Pointer cString) {
        int length = cString.indexOf(0, (byte) 0);
        byte[] bytes = new byte[length];
        cString.get(0, bytes, 0, length);
        return bytes;
    }

    private static String text(Pointer cString) {
        return new String(bytes(cString), StandardCharsets.ISO_8859_1);
    }

    private static Pointer direct(int size) {
        return Memory.allocateDirect(RUNTIME, size, true);
    }

    private void set(Fuse3.Op slot, Object callback) {
        callbacks.add(callback);
        Class<?> type = callback.getClass().getInterfaces()[0];
        @SuppressWarnings({"unchecked", "rawtypes"})
        Pointer code = RUNTIME.getClosureManager().getClosurePointer((Class) type, callback);
        table.putPointer((long) slot.ordinal() * RUNTIME.addressSize(), code);
    }

    /** Runs one request's handler; a failure is answered with its errno, so every request gets one reply. */
    private void run(Pointer req, String operation, long node, Runnable handler) {
        try {
            handler.run();
        } catch (Throwable failure) {
            FUSE.fuse_reply_err(req, Errno.of(failure, operation, fs.path(node)));
        }
    }
}
