package io.locusfs.fuse;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.PointerByReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.struct.FuseOperations;

/**
 * Serves a mount with worker threads that the JVM owns, instead of libfuse's own multi-threaded
 * loop. libfuse's workers are native threads, so every callback into Java attached and detached
 * the thread (a new java.lang.Thread each time): that halved write and read throughput and
 * doubled the cost of small-file operations, as measured with {@code bench/run.sh}. Here each
 * worker is a Java thread that calls libfuse's session API itself (receive a request, process
 * it), so callbacks arrive on an attached thread. This is the same loop libfuse's
 * {@code fuse_loop_mt} runs, with a fixed number of workers.
 *
 * <p>libfuse's signal handlers are removed: SIGTERM, SIGINT and SIGHUP reach the JVM, whose
 * shutdown hook unmounts, which ends the loop.
 */
final class FuseLoop {
    private static final Logger log = LoggerFactory.getLogger(FuseLoop.class);
    /** sizeof(struct fuse_buf) on 64-bit Linux: size_t size; int flags; void *mem; int fd; off_t pos. */
    private static final int FUSE_BUF_SIZE = 40;
    private static final int FUSE_BUF_FLAGS = 8;
    private static final int FUSE_BUF_MEM = 16;
    private static final int EINTR = 4;

    /** The parts of libfuse 2.9's session API the loop needs. */
    public interface Native {
        Pointer fuse_setup(int argc, String[] argv, FuseOperations op, long opSize, PointerByReference mountpoint,
                           IntByReference multithreaded, Pointer userData);

        void fuse_teardown(Pointer fuse, Pointer mountpoint);

        Pointer fuse_get_session(Pointer fuse);

        Pointer fuse_session_next_chan(Pointer session, Pointer channel);

        long fuse_chan_bufsize(Pointer channel);

        int fuse_session_receive_buf(Pointer session, Pointer buf, Pointer channelRef);

        void fuse_session_process_buf(Pointer session, Pointer buf, Pointer channel);

        int fuse_session_exited(Pointer session);

        void fuse_session_exit(Pointer session);

        void fuse_remove_signal_handlers(Pointer session);
    }

    private static final Native FUSE = LibraryLoader.create(Native.class).failImmediately().load("fuse");

    private FuseLoop() {
    }

    /**
     * Mounts {@code operations} at {@code mountPoint} with libfuse arguments {@code options} and
     * serves requests on {@code workers} threads until the file system is unmounted.
     *
     * @throws IllegalStateException when libfuse cannot mount (its reason is on stderr)
     */
    static void serve(FuseOperations operations, Path mountPoint, List<String> options, int workers)
            throws InterruptedException {
        List<String> args = new ArrayList<>(List.of("locusfs", "-f"));
        args.addAll(options);
        args.add(mountPoint.toAbsolutePath().toString());
        PointerByReference mountpointRef = new PointerByReference();
        IntByReference multithreaded = new IntByReference();
        Pointer fuse = FUSE.fuse_setup(args.size(), args.toArray(new String[0]), operations,
                Struct.size(operations), mountpointRef, multithreaded, null);
        if (fuse == null) {
            throw new IllegalStateException("libfuse could not mount " + mountPoint + " (see the messages above)");
        }
        Pointer session = FUSE.fuse_get_session(fuse);
        FUSE.fuse_remove_signal_handlers(session);
        Pointer channel = FUSE.fuse_session_next_chan(session, null);
        int bufferSize = (int) FUSE.fuse_chan_bufsize(channel);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(() -> work(session, channel, bufferSize), "locusfs-fuse-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        FUSE.fuse_teardown(fuse, mountpointRef.getValue());
    }

    private static void work(Pointer session, Pointer channel, int bufferSize) {
        Runtime runtime = Runtime.getSystemRuntime();
        Pointer buffer = Memory.allocateDirect(runtime, bufferSize);
        Pointer fuseBuf = Memory.allocateDirect(runtime, FUSE_BUF_SIZE);
        Pointer channelRef = Memory.allocateDirect(runtime, runtime.addressSize());
        while (FUSE.fuse_session_exited(session) == 0) {
            fuseBuf.setMemory(0, FUSE_BUF_SIZE, (byte) 0);
            fuseBuf.putLong(0, bufferSize);
            fuseBuf.putPointer(FUSE_BUF_MEM, buffer);
            channelRef.putPointer(0, channel);
            int received = FUSE.fuse_session_receive_buf(session, fuseBuf, channelRef);
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
            if (fuseBuf.getInt(FUSE_BUF_FLAGS) != 0) {
                log.warn("unexpected fuse_buf flags {}", fuseBuf.getInt(FUSE_BUF_FLAGS));
            }
            FUSE.fuse_session_process_buf(session, fuseBuf, channelRef.getPointer(0));
        }
    }
}
