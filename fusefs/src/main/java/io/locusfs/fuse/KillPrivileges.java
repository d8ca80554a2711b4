package io.locusfs.fuse;

import static io.locusfs.fuse.Fuse3.FUSE;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Out;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes over from the kernel the clearing of set-user-ID and set-group-ID bits when a file is
 * written or truncated (FUSE_HANDLE_KILLPRIV_V2), so that the kernel stops asking, before each
 * write(2) to a file, whether it has a {@code security.capability} attribute: without the flag
 * that is a GETXATTR round trip per write call (1.2 ms of each round of 32 random 4 KiB writes
 * and an fsync, measured with the kernel's FUSE tracepoints). With it the kernel asks once per
 * inode, marks the inode S_NOSEC when nothing is there, and sets a kill flag in the WRITE, SETATTR
 * (truncate) and OPEN (O_TRUNC) requests of a caller without CAP_FSETID, for the file system to
 * act on. A {@code security.capability} attribute it finds is still removed by the kernel (a
 * REMOVEXATTR); chown clears the bits in {@link LocusFs#setattr} as before.
 *
 * <p>libfuse 3.14 (Debian 12) neither asks for the flag (3.17 does) nor passes the kill flags on
 * to the operations, so this class adds the flag to libfuse's INIT reply on its way to the kernel
 * and reads the kill flags from a request's header before libfuse decodes it. Layouts are those of
 * {@code linux/fuse.h} (protocol 7.33 and later; the kernel offers the flag only from there).
 */
final class KillPrivileges {
    private static final Logger log = LoggerFactory.getLogger(KillPrivileges.class);

    private KillPrivileges() {
    }

    /** {@code FUSE_HANDLE_KILLPRIV_V2}, a bit of {@code fuse_init_in.flags} and {@code fuse_init_out.flags}. */
    static final int HANDLE_KILLPRIV_V2 = 1 << 28;

    /** {@code fuse_init_in.flags}, after major, minor and max_readahead. */
    private static final int INIT_IN_FLAGS = Fuse3.IN_HEADER + 12;
    /** {@code struct fuse_out_header} (len, error, unique), then {@code fuse_init_out.flags} after major, minor, max_readahead. */
    private static final int INIT_OUT_FLAGS = 16 + 12;
    /** {@code fuse_setattr_in.valid} and its {@code FATTR_KILL_SUIDGID}. */
    private static final int SETATTR_VALID = Fuse3.IN_HEADER;
    private static final int FATTR_KILL_SUIDGID = 1 << 11;
    /** {@code fuse_open_in.open_flags} and its {@code FUSE_OPEN_KILL_SUIDGID}. */
    private static final int OPEN_OPEN_FLAGS = Fuse3.IN_HEADER + 4;
    private static final int FUSE_OPEN_KILL_SUIDGID = 1;
    /** {@code fuse_write_in.write_flags} (after fh, offset, size) and its {@code FUSE_WRITE_KILL_SUIDGID}. */
    private static final int WRITE_WRITE_FLAGS = Fuse3.IN_HEADER + 20;
    private static final int FUSE_WRITE_KILL_SUIDGID = 1 << 2;

    /** Whether the request being processed on this thread asks for the set-ID bits to be cleared. */
    private static final ThreadLocal<boolean[]> REQUESTED = ThreadLocal.withInitial(() -> new boolean[1]);

    /** Notes whether the request received into {@code buf} (a {@code struct fuse_buf}) asks for the set-ID bits to be cleared. */
    static void note(Pointer buf) {
        REQUESTED.get()[0] = asks(buf);
    }

    /** Whether the request this thread is processing asks the file system to clear the file's set-ID bits. */
    static boolean requested() {
        return REQUESTED.get()[0];
    }

    private static boolean asks(Pointer buf) {
        Pointer in = Fuse3.receivedRequest(buf);
        if (in == null) {
            return false;
        }
        long length = buf.getLong(0);
        switch (in.getInt(Fuse3.IN_OPCODE)) {
            case Fuse3.OPCODE_WRITE:
                return length >= WRITE_WRITE_FLAGS + 4 && (in.getInt(WRITE_WRITE_FLAGS) & FUSE_WRITE_KILL_SUIDGID) != 0;
            case Fuse3.OPCODE_SETATTR:
                return length >= SETATTR_VALID + 4 && (in.getInt(SETATTR_VALID) & FATTR_KILL_SUIDGID) != 0;
            case Fuse3.OPCODE_OPEN:
                return length >= OPEN_OPEN_FLAGS + 4 && (in.getInt(OPEN_OPEN_FLAGS) & FUSE_OPEN_KILL_SUIDGID) != 0;
            default:
                return false;
        }
    }

    /** The C library calls that catch libfuse's INIT reply. */
    public interface Libc {
        int dup(int fd);

        int dup2(int from, int to);

        int pipe(@Out int[] fds);

        long read(int fd, Pointer buf, long count);

        long write(int fd, Pointer buf, long count);

        int close(int fd);
    }

    private static final Libc LIBC = LibraryLoader.create(Libc.class).failImmediately().load("c");
    private static final int INIT_REPLY_MAX = 4096;

    /**
     * Processes the session's first request, received into {@code buf}: when it is INIT and the
     * kernel offers FUSE_HANDLE_KILLPRIV_V2, libfuse's reply is written into a pipe put in place
     * of the session's descriptor, given the flag, and sent on to the kernel. It must run before
     * any worker reads the descriptor (nothing else may use it meanwhile). Returns whether the
     * kernel was told that the file system clears the set-ID bits.
     */
    static boolean processInit(Pointer session, Pointer buf) {
        Pointer in = Fuse3.receivedRequest(buf);
        boolean offered = in != null && buf.getLong(0) >= INIT_IN_FLAGS + 4
                && in.getInt(Fuse3.IN_OPCODE) == Fuse3.OPCODE_INIT && (in.getInt(INIT_IN_FLAGS) & HANDLE_KILLPRIV_V2) != 0;
        if (!offered) {
            FUSE.fuse_session_process_buf(session, buf);
            return false;
        }
        int fd = FUSE.fuse_session_fd(session);
        int saved = LIBC.dup(fd);
        int[] pipe = new int[2];
        if (saved < 0 || LIBC.pipe(pipe) != 0) {
            if (saved >= 0) {
                LIBC.close(saved);
            }
            FUSE.fuse_session_process_buf(session, buf);
            return false;
        }
        Pointer reply = Memory.allocateDirect(Runtime.getSystemRuntime(), INIT_REPLY_MAX, true);
        long length;
        try {
            LIBC.dup2(pipe[1], fd);
            FUSE.fuse_session_process_buf(session, buf);
        } finally {
            LIBC.dup2(saved, fd);
            LIBC.close(saved);
            LIBC.close(pipe[1]);
        }
        try {
            length = LIBC.read(pipe[0], reply, INIT_REPLY_MAX);
        } finally {
            LIBC.close(pipe[0]);
        }
        // A successful INIT reply (error 0) long enough to hold the flags gets the flag.
        boolean patched = length >= INIT_OUT_FLAGS + 4 && reply.getInt(4) == 0;
        if (patched) {
            reply.putInt(INIT_OUT_FLAGS, reply.getInt(INIT_OUT_FLAGS) | HANDLE_KILLPRIV_V2);
        }
        if (length > 0 && LIBC.write(fd, reply, length) != length) {
            log.warn("could not answer the kernel's INIT request: the mount will not work");
            return false;
        }
        return patched;
    }
}
