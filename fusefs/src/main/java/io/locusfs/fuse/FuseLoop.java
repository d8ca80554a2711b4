package io.locusfs.fuse;

import static io.locusfs.fuse.Fuse3.FUSE;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    private FuseLoop() {
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
        onMounted.run();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(() -> work(session), "locusfs-fuse-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        adapter.attach(null, null);
        FUSE.fuse_session_unmount(session);
        FUSE.fuse_session_destroy(session);
    }

    private static void work(Pointer session) {
        // A zeroed fuse_buf: libfuse allocates its memory on the first receive and reuses it.
        Pointer buf = Memory.allocateDirect(RUNTIME, Fuse3.BUF_SIZEOF, true);
        while (FUSE.fuse_session_exited(session) == 0) {
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
            FUSE.fuse_session_process_buf(session, buf);
        }
    }

    /** A {@code struct fuse_args} (argc, argv, allocated) over copies of {@code args}. */
    private static Pointer fuseArgs(List<String> args) {
        int address = RUNTIME.addressSize();
        Pointer argv = Memory.allocateDirect(RUNTIME, (args.size() + 1) * address, true);
        for (int i = 0; i < args.size(); i++) {
            byte[] bytes = args.get(i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
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
