package io.locusfs.fuse;

import static io.locusfs.fuse.Fuse3.FUSE;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a mount with worker threads that the JVM owns, on libfuse 3's session API: each worker
 * is a Java thread that receives a request and processes it (as libfuse's {@code fuse_loop_mt}
 * does), so callbacks arrive on an attached thread instead of attaching a native one each time.
 * libfuse 3 installs no signal handlers unless asked: SIGTERM, SIGINT and SIGHUP reach the JVM,
 * whose shutdown hook unmounts, which ends the loop.
 */
final class FuseLoop {
    private static final Logger log = LoggerFactory.getLogger(FuseLoop.class);
    private static final int EINTR = 4;
    private static final Runtime RUNTIME = Runtime.getSystemRuntime();

    /** The session being served, for spare workers; null when none is. */
    private static volatile Pointer serving;
    /** The request buffers of spare workers that have stopped, for the next spare (libfuse allocates their memory once). */
    private static final ConcurrentLinkedQueue<Pointer> SPARE_BUFFERS =
            new ConcurrentLinkedQueue<>();

    /** Which worker reads the next request. */
    private static final ReadingTurn TURN = new ReadingTurn();

    private FuseLoop() {
    }

    /** Something a worker waits for that may take another request being answered first. */
    interface Wait {
        void await() throws InterruptedException;
    }

    /**
     * Before a worker waits in the middle of a request (for a commit, a mirror over the network)
     * or starts a long write to the store: another worker reads the requests that come meanwhile.
     */
    static void aboutToWait() {
        TURN.pass();
    }

    /**
     * Runs {@code wait} on a worker while a spare worker takes requests in its place (as
     * ForkJoinPool's managed blocking does), so that what it waits for, which may need a request
     * still queued in the kernel to be answered (a page fill waiting for the page lock a queued
     * READ holds), cannot wait for this worker in turn. The spare stops after its next request
     * once the wait is over. Outside a mount (unit tests) it only waits.
     */
    static void whileBlocked(Wait wait) throws InterruptedException {
        Pointer session = serving;
        if (session == null) {
            wait.await();
            return;
        }
        TURN.pass(); // A quick request may wait too (on a lock a waiting request holds): another worker reads meanwhile.
        AtomicBoolean over = new AtomicBoolean();
        Thread spare = new Thread(() -> {
            Pointer buf = SPARE_BUFFERS.poll();
            if (buf == null) {
                buf = Memory.allocateDirect(RUNTIME, Fuse3.BUF_SIZEOF, true);
            }
            try {
                work(session, buf, () -> !over.get());
            } finally {
                SPARE_BUFFERS.add(buf);
            }
        }, "locusfs-fuse-spare");
        spare.setDaemon(true);
        spare.start();
        try {
            wait.await();
        } finally {
            over.set(true);
        }
    }

    /**
     * Mounts {@code adapter}'s operations at {@code mountPoint} with libfuse arguments
     * {@code options} and serves requests on {@code workers} threads until the file system is
     * unmounted; {@code onMounted} runs once the kernel has the mount.
     *
     * @throws IllegalStateException when libfuse cannot mount (its reason is on stderr)
     */
    static void serve(KernelAdapter adapter, Path mountPoint, List<String> options, int workers, Runnable onMounted)
            throws InterruptedException {
        List<String> args = new ArrayList<>(List.of("locusfs"));
        args.addAll(options);
        Pointer fuseArgs = fuseArgs(args);
        Pointer session = FUSE.fuse_session_new(fuseArgs, adapter.table(), adapter.tableSize(), null);
        if (session == null) {
            throw new IllegalStateException("libfuse refused the options " + String.join(" ", options) + " (see the message above)");
        }
        if (FUSE.fuse_session_mount(session, mountPoint.toAbsolutePath().toString()) != 0) {
            FUSE.fuse_session_destroy(session);
            throw new IllegalStateException("libfuse could not mount " + mountPoint + " (see the messages above)");
        }
        adapter.attach(session, mountPoint.toAbsolutePath().toString());
        TURN.askQueuedOf(ReadingTurn.queuedOn(FUSE.fuse_session_fd(session)));
        // A zeroed fuse_buf: libfuse allocates its memory on the first receive and reuses it.
        Pointer first = Memory.allocateDirect(RUNTIME, Fuse3.BUF_SIZEOF, true);
        answerInit(session, first);
        serving = session;
        onMounted.run();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            Pointer buf = i == 0 ? first : Memory.allocateDirect(RUNTIME, Fuse3.BUF_SIZEOF, true);
            Thread t = new Thread(() -> work(session, buf, () -> true), "locusfs-fuse-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        serving = null;
        adapter.attach(null, null);
        FUSE.fuse_session_unmount(session);
        FUSE.fuse_session_destroy(session);
    }

    /** Receives the kernel's first request, INIT, and answers it alone (see {@link KillPrivileges#processInit}). */
    private static void answerInit(Pointer session, Pointer buf) {
        int received;
        do {
            received = FUSE.fuse_session_receive_buf(session, buf);
        } while (received == -EINTR);
        if (received > 0) {
            boolean killPrivileges = KillPrivileges.processInit(session, buf);
            log.debug("kernel clears set-ID bits itself: {}", !killPrivileges);
        }
    }

    /**
     * Receives and processes requests into {@code buf} while {@code more} holds and the session
     * lasts, reading when it has the turn ({@link ReadingTurn}).
     */
    private static void work(Pointer session, Pointer buf, BooleanSupplier more) {
        try {
            while (true) {
                TURN.take();
                if (FUSE.fuse_session_exited(session) != 0 || !more.getAsBoolean()) {
                    break;
                }
                int received = FUSE.fuse_session_receive_buf(session, buf);
                if (received == -EINTR) {
                    continue;
                }
                if (received <= 0) {
                    if (received < 0) {
                        log.debug("reading /dev/fuse ended with errno {}", -received);
                    }
                    FUSE.fuse_session_exit(session); // Unmounted: let every worker stop.
                    break;
                }
                TURN.beforeProcessing(buf);
                KillPrivileges.note(buf);
                FUSE.fuse_session_process_buf(session, buf);
            }
        } finally {
            TURN.pass();
        }
    }

    /** A {@code struct fuse_args} (argc, argv, allocated) over copies of {@code args}. */
    private static Pointer fuseArgs(List<String> args) {
        int address = RUNTIME.addressSize();
        Pointer argv = Memory.allocateDirect(RUNTIME, (args.size() + 1) * address, true);
        for (int i = 0; i < args.size(); i++) {
            byte[] bytes = args.get(i).getBytes(StandardCharsets.UTF_8);
            Pointer arg = Memory.allocateDirect(RUNTIME, bytes.length + 1, true);
            arg.put(0, bytes, 0, bytes.length);
            argv.putPointer((long) i * address, arg);
            KEEP.add(arg);
        }
        KEEP.add(argv);
        Pointer fuseArgs = Memory.allocateDirect(RUNTIME, 24, true);
        fuseArgs.putInt(0, args.size());
        fuseArgs.putPointer(8, argv);
        fuseArgs.putInt(16, 0);
        KEEP.add(fuseArgs);
        return fuseArgs;
    }

    /** The argument strings libfuse may keep pointers to (fsname, subtype) for the mount's lifetime. */
    private static final List<Pointer> KEEP = new ArrayList<>();
}
