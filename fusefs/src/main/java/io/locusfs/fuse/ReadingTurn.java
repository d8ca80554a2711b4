package io.locusfs.fuse;

import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Which worker reads the next request from {@code /dev/fuse}: one at a time (a leader/followers
 * pool). The reader answers a request itself and keeps reading, unless the request may wait (a
 * sync, a lock, a snapshot that writes the kernel's pages back), copies for long (a READ or WRITE
 * of 32 KiB or more), or is another data request while others are already queued: then it first
 * passes the turn to a follower, so the queue never waits behind it. Small WRITEs are answered
 * in turn. A worker that comes to wait in the middle of a request (for a mirror, for the
 * page cache) passes it then ({@link #pass}).
 *
 * <p>Why: with every worker blocked in {@code read(2)} on the device, each request that arrives
 * while one worker is busy wakes another, a context switch per request, about a third of the
 * daemon's CPU on git's parallel {@code lstat}s. Passing the turn before every data request
 * instead costs a wake-up per request for a client that sends one at a time ({@code tar x}).
 * Measured in docs/PERFORMANCE.md ("One reader at a time").
 */
final class ReadingTurn {
    /** What a request does with the turn. */
    enum Kind {
        /** Reads metadata and never waits on the disk, another thread or another request: answered in turn. */
        QUICK,
        /** Data and metadata changes: answered in turn unless other requests are queued. */
        DATA,
        /** May wait for long or for another request: always passes the turn first. */
        WAITS
    }

    /** {@code fuse_read_in.size} and {@code fuse_write_in.size}, after the header, fh and offset. */
    private static final int IN_IO_SIZE = Fuse3.IN_HEADER + 16;
    /**
     * A READ or WRITE this large copies for long (a sequential stream's readahead and writeback,
     * several at once): always passed on, so they run in parallel.
     */
    static final int LONG_IO = 32 * 1024;
    private static final Kind[] KINDS = new Kind[64];

    static {
        java.util.Arrays.fill(KINDS, Kind.WAITS); // FSYNC, FSYNCDIR, locks, FALLOCATE, COPY_FILE_RANGE, …
        int[] quick = {
            1, // LOOKUP
            2, // FORGET (no reply)
            3, // GETATTR
            5, // READLINK
            17, // STATFS
            22, // GETXATTR
            23, // LISTXATTR
            27, // OPENDIR
            28, // READDIR
            29, // RELEASEDIR
            34, // ACCESS
            36, // INTERRUPT
            42, // BATCH_FORGET
            44, // READDIRPLUS
        };
        int[] data = {
            4, // SETATTR
            6, // SYMLINK
            8, // MKNOD
            9, // MKDIR (but in .snapshots, see kindOf)
            10, // UNLINK
            11, // RMDIR (but in .snapshots)
            12, // RENAME
            13, // LINK
            14, // OPEN
            15, // READ
            16, // WRITE
            18, // RELEASE
            21, // SETXATTR
            24, // REMOVEXATTR
            25, // FLUSH
            35, // CREATE
            45, // RENAME2
            46, // LSEEK
        };
        for (int opcode : quick) {
            KINDS[opcode] = Kind.QUICK;
        }
        for (int opcode : data) {
            KINDS[opcode] = Kind.DATA;
        }
    }

    private final Semaphore turn = new Semaphore(1);
    /** Whether the worker on this thread holds the turn. */
    private final ThreadLocal<boolean[]> holding = ThreadLocal.withInitial(() -> new boolean[1]);
    /** Whether another request is queued in the kernel; asked only by the worker holding the turn. */
    private volatile BooleanSupplier queued = () -> true;

    /** From now on, whether requests are queued is asked of {@code queued}. */
    void askQueuedOf(BooleanSupplier queued) {
        this.queued = queued;
    }

    /** Waits for the turn to read, unless this thread holds it already. */
    void take() {
        boolean[] held = holding.get();
        if (!held[0]) {
            turn.acquireUninterruptibly();
            held[0] = true;
        }
    }

    /** Passes the turn on, if this thread holds it: before a wait, or when the worker stops. */
    void pass() {
        boolean[] held = holding.get();
        if (held[0]) {
            held[0] = false;
            turn.release();
        }
    }

    /** Before processing the request received into {@code buf}: passes the turn on unless it is to be answered in turn. */
    void beforeProcessing(Pointer buf) {
        Kind kind = kindOf(buf);
        if (kind == Kind.WAITS || (kind == Kind.DATA && queued.getAsBoolean())) {
            pass();
        }
    }

    static Kind kindOf(Pointer buf) {
        Pointer in = Fuse3.receivedRequest(buf);
        if (in == null) {
            return Kind.WAITS;
        }
        int opcode = in.getInt(Fuse3.IN_OPCODE);
        if ((opcode == Fuse3.OPCODE_MKDIR || opcode == Fuse3.OPCODE_RMDIR)
                && in.getLong(Fuse3.IN_NODEID) == SnapshotDirectory.DIRECTORY_INO) {
            return Kind.WAITS; // a snapshot taken writes the kernel's dirty pages back first: WRITE requests
        }
        if ((opcode == Fuse3.OPCODE_READ || opcode == Fuse3.OPCODE_WRITE) && buf.getLong(0) >= IN_IO_SIZE + 4) {
            if (Integer.toUnsignedLong(in.getInt(IN_IO_SIZE)) >= LONG_IO) {
                return Kind.WAITS;
            }
            if (opcode == Fuse3.OPCODE_WRITE) {
                // A small WRITE is a copy into the file's buffer, shorter than a hand-over; the
                // writeback's bursts of them are for one file, whose buffer takes one at a time anyway.
                // Where it waits (for the commit before), it passes the turn (OpenFile).
                return Kind.QUICK;
            }
        }
        return opcode >= 0 && opcode < KINDS.length ? KINDS[opcode] : Kind.WAITS;
    }

    /** Whether the FUSE device {@code fd} has a request queued: a poll(2) that does not wait. */
    static BooleanSupplier queuedOn(int fd) {
        // One struct pollfd (fd, events, revents), used only by the worker holding the turn.
        Pointer pollfd = Memory.allocateDirect(Runtime.getSystemRuntime(), 8, true);
        return () -> {
            pollfd.putInt(0, fd);
            pollfd.putShort(4, POLLIN);
            pollfd.putShort(6, (short) 0);
            int ready = LIBC.poll(pollfd, 1, 0);
            return ready != 0; // on an error, pass: never keep the turn by mistake
        };
    }

    private static final short POLLIN = 1;

    /** The C library's poll(2). */
    public interface Libc {
        int poll(Pointer fds, long count, int timeoutMillis);
    }

    private static final Libc LIBC = LibraryLoader.create(Libc.class).failImmediately().load("c");
}
