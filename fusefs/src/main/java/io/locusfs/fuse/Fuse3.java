package io.locusfs.fuse;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.Delegate;

/**
 * The parts of libfuse 3's low-level API (Debian's {@code libfuse3-3}, 3.14) that LocusFS uses,
 * bound with jnr-ffi, and the layouts of the C structures it reads and writes (x86-64 and arm64
 * Linux, LP64). The operation table is a plain array of function pointers in the order of
 * {@code struct fuse_lowlevel_ops}; each callback type below is one slot's signature.
 */
final class Fuse3 {
    private Fuse3() {
    }

    /** libfuse 3's functions; the reply functions answer one request each. */
    public interface Native {
        Pointer fuse_session_new(Pointer args, Pointer ops, long opSize, Pointer userData);

        int fuse_session_mount(Pointer session, String mountPoint);

        int fuse_session_receive_buf(Pointer session, Pointer buf);

        int fuse_session_fd(Pointer session);

        void fuse_session_process_buf(Pointer session, Pointer buf);

        int fuse_session_exited(Pointer session);

        void fuse_session_exit(Pointer session);

        void fuse_session_unmount(Pointer session);

        void fuse_session_destroy(Pointer session);

        Pointer fuse_req_ctx(Pointer req);

        int fuse_reply_err(Pointer req, int errno);

        void fuse_reply_none(Pointer req);

        int fuse_reply_entry(Pointer req, Pointer entry);

        int fuse_reply_create(Pointer req, Pointer entry, Pointer fileInfo);

        int fuse_reply_attr(Pointer req, Pointer stat, double attrTimeout);

        int fuse_reply_readlink(Pointer req, Pointer link);

        int fuse_reply_open(Pointer req, Pointer fileInfo);

        int fuse_reply_write(Pointer req, long count);

        int fuse_reply_buf(Pointer req, Pointer buf, long size);

        int fuse_reply_statfs(Pointer req, Pointer statvfs);

        int fuse_reply_xattr(Pointer req, long count);

        int fuse_reply_lseek(Pointer req, long offset);

        long fuse_add_direntry(Pointer req, Pointer buf, long bufSize, Pointer name, Pointer stat, long offset);

        long fuse_add_direntry_plus(Pointer req, Pointer buf, long bufSize, Pointer name, Pointer entry, long offset);

        int fuse_lowlevel_notify_inval_inode(Pointer session, long ino, long offset, long length);

        int fuse_lowlevel_notify_inval_entry(Pointer session, long parent, Pointer name, long nameLength);

        int fuse_lowlevel_notify_store(Pointer session, long ino, long offset, Pointer bufv, int copyFlags);
    }

    static final Native FUSE = LibraryLoader.create(Native.class).failImmediately().load("fuse3");

    /** Slots of {@code struct fuse_lowlevel_ops}, in order; the table holds {@link #OPS_COUNT} pointers. */
    enum Op {
        INIT, DESTROY, LOOKUP, FORGET, GETATTR, SETATTR, READLINK, MKNOD, MKDIR, UNLINK, RMDIR, SYMLINK, RENAME,
        LINK, OPEN, READ, WRITE, FLUSH, RELEASE, FSYNC, OPENDIR, READDIR, RELEASEDIR, FSYNCDIR, STATFS, SETXATTR,
        GETXATTR, LISTXATTR, REMOVEXATTR, ACCESS, CREATE, GETLK, SETLK, BMAP, IOCTL, POLL, WRITE_BUF,
        RETRIEVE_REPLY, FORGET_MULTI, FLOCK, FALLOCATE, READDIRPLUS, COPY_FILE_RANGE, LSEEK
    }

    static final int OPS_COUNT = Op.values().length;

    /** {@code struct fuse_file_info}: flags, a bitfield word, fh. */
    static final int FI_FLAGS = 0;
    static final int FI_BITS = 4;
    static final int FI_FH = 16;
    static final int FI_SIZE = 40;
    static final int FI_DIRECT_IO = 1 << 1;
    static final int FI_KEEP_CACHE = 1 << 2;
    static final int FI_CACHE_READDIR = 1 << 6;

    /** {@code struct stat} on LP64 Linux. */
    static final int STAT_INO = 8;
    static final int STAT_NLINK = 16;
    static final int STAT_MODE = 24;
    static final int STAT_UID = 28;
    static final int STAT_GID = 32;
    static final int STAT_RDEV = 40;
    static final int STAT_SIZE = 48;
    static final int STAT_BLKSIZE = 56;
    static final int STAT_BLOCKS = 64;
    static final int STAT_ATIME = 72;
    static final int STAT_MTIME = 88;
    static final int STAT_CTIME = 104;
    static final int STAT_SIZEOF = 144;

    /** {@code struct fuse_entry_param}: ino, generation, attr, attr_timeout, entry_timeout. */
    static final int ENTRY_INO = 0;
    static final int ENTRY_ATTR = 16;
    static final int ENTRY_ATTR_TIMEOUT = ENTRY_ATTR + STAT_SIZEOF;
    static final int ENTRY_TIMEOUT = ENTRY_ATTR_TIMEOUT + 8;
    static final int ENTRY_SIZEOF = ENTRY_TIMEOUT + 8;

    /** {@code struct statvfs} on LP64 Linux. */
    static final int STATVFS_SIZEOF = 112;

    /** {@code struct fuse_conn_info}. */
    static final int CONN_MAX_WRITE = 8;
    static final int CONN_MAX_READAHEAD = 16;
    static final int CONN_CAPABLE = 20;
    static final int CONN_WANT = 24;
    static final int CONN_TIME_GRAN = 36;

    static final int CAP_ATOMIC_O_TRUNC = 1 << 3;
    static final int CAP_AUTO_INVAL_DATA = 1 << 12;
    static final int CAP_READDIRPLUS = 1 << 13;
    static final int CAP_READDIRPLUS_AUTO = 1 << 14;
    static final int CAP_WRITEBACK_CACHE = 1 << 16;
    static final int CAP_PARALLEL_DIROPS = 1 << 18;
    static final int CAP_CACHE_SYMLINKS = 1 << 23;

    /** {@code struct fuse_buf} (3.14): size, flags, mem, fd, pos. */
    static final int BUF_SIZEOF = 40;
    static final int BUF_FLAGS = 8;
    static final int BUF_MEM = 16;
    private static final int BUF_IS_FD = 1 << 1;

    /** {@code struct fuse_in_header}: len, opcode, unique, nodeid, uid, gid, pid, extension length, padding. */
    static final int IN_HEADER = 40;
    static final int IN_OPCODE = 4;
    static final int IN_NODEID = 16;

    /** Opcodes of {@code struct fuse_in_header} that the daemon reads before libfuse decodes a request. */
    static final int OPCODE_SETATTR = 4;
    static final int OPCODE_MKDIR = 9;
    static final int OPCODE_RMDIR = 11;
    static final int OPCODE_OPEN = 14;
    static final int OPCODE_READ = 15;
    static final int OPCODE_WRITE = 16;
    static final int OPCODE_INIT = 26;

    /**
     * The request received into {@code buf} (a {@code struct fuse_buf}), from its
     * {@code fuse_in_header}; null when it was spliced into a pipe (LocusFS has no write_buf
     * operation, so libfuse does not) or there is none.
     */
    static Pointer receivedRequest(Pointer buf) {
        Pointer in = buf.getPointer(BUF_MEM);
        return in == null || (buf.getInt(BUF_FLAGS) & BUF_IS_FD) != 0 ? null : in;
    }

    /** {@code struct fuse_bufvec} of one buffer: count, idx, off, then the {@code fuse_buf}. */
    static final int BUFVEC_COUNT = 0;
    static final int BUFVEC_BUF = 24;
    static final int BUFVEC_SIZEOF = BUFVEC_BUF + BUF_SIZEOF;

    /** {@code to_set} bits of setattr. */
    static final int SET_MODE = 1;
    static final int SET_UID = 1 << 1;
    static final int SET_GID = 1 << 2;
    static final int SET_SIZE = 1 << 3;
    static final int SET_ATIME = 1 << 4;
    static final int SET_MTIME = 1 << 5;
    static final int SET_ATIME_NOW = 1 << 7;
    static final int SET_MTIME_NOW = 1 << 8;

    public interface Init {
        @Delegate
        void call(Pointer userData, Pointer conn);
    }

    public interface Destroy {
        @Delegate
        void call(Pointer userData);
    }

    /** lookup, unlink, rmdir, removexattr: (req, ino, name). */
    public interface InoName {
        @Delegate
        void call(Pointer req, long ino, Pointer name);
    }

    /** forget: (req, ino, nlookup). */
    public interface Forget {
        @Delegate
        void call(Pointer req, long ino, long nlookup);
    }

    public interface ForgetMulti {
        @Delegate
        void call(Pointer req, long count, Pointer forgets);
    }

    /** getattr, open, flush, release, opendir, releasedir: (req, ino, fi). */
    public interface InoFile {
        @Delegate
        void call(Pointer req, long ino, Pointer fi);
    }

    public interface SetAttr {
        @Delegate
        void call(Pointer req, long ino, Pointer stat, int toSet, Pointer fi);
    }

    /** readlink, statfs: (req, ino). */
    public interface Ino {
        @Delegate
        void call(Pointer req, long ino);
    }

    public interface Mknod {
        @Delegate
        void call(Pointer req, long parent, Pointer name, int mode, long rdev);
    }

    public interface Mkdir {
        @Delegate
        void call(Pointer req, long parent, Pointer name, int mode);
    }

    public interface Symlink {
        @Delegate
        void call(Pointer req, Pointer target, long parent, Pointer name);
    }

    public interface Rename {
        @Delegate
        void call(Pointer req, long parent, Pointer name, long newParent, Pointer newName, int flags);
    }

    public interface Link {
        @Delegate
        void call(Pointer req, long ino, long newParent, Pointer newName);
    }

    /** read, readdir, readdirplus: (req, ino, size, off, fi). */
    public interface ReadOp {
        @Delegate
        void call(Pointer req, long ino, long size, long offset, Pointer fi);
    }

    public interface Write {
        @Delegate
        void call(Pointer req, long ino, Pointer buf, long size, long offset, Pointer fi);
    }

    /** fsync, fsyncdir: (req, ino, datasync, fi). */
    public interface Fsync {
        @Delegate
        void call(Pointer req, long ino, int datasync, Pointer fi);
    }

    public interface SetXattr {
        @Delegate
        void call(Pointer req, long ino, Pointer name, Pointer value, long size, int flags);
    }

    public interface GetXattr {
        @Delegate
        void call(Pointer req, long ino, Pointer name, long size);
    }

    public interface ListXattr {
        @Delegate
        void call(Pointer req, long ino, long size);
    }

    public interface Access {
        @Delegate
        void call(Pointer req, long ino, int mask);
    }

    public interface Create {
        @Delegate
        void call(Pointer req, long parent, Pointer name, int mode, Pointer fi);
    }

    public interface Fallocate {
        @Delegate
        void call(Pointer req, long ino, int mode, long offset, long length, Pointer fi);
    }

    public interface Lseek {
        @Delegate
        void call(Pointer req, long ino, long offset, int whence, Pointer fi);
    }
}
