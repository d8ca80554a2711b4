package io.locusfs.fuse;

import static io.locusfs.fuse.Fuse3.FUSE;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the kernel's page cache the whole block that a smaller read had to fetch from the store
 * ({@code fuse_lowlevel_notify_store}), so that the next reads of that block are answered by the
 * kernel without a request: the store reads a block whole, and a 4 KiB READ would otherwise pay
 * for a whole block each time.
 *
 * <p>Which blocks may be handed over is {@link OpenFile}'s rule (none while a descriptor may write
 * the file, since the kernel would overwrite its own dirty pages with them). This class does the
 * handing, on one thread of its own: storing a page waits for its page lock, which a READ still
 * queued for the workers may hold, so a worker never waits for a fill. Best effort: when all its
 * buffers are in use an offer is declined. An invalidation of the kernel's cache (a rollback, an
 * import) that races with a fill is seen through {@link #invalidated()}'s count, and the range just
 * filled is invalidated again.
 */
final class PageCacheFill {
    private static final Logger log = LoggerFactory.getLogger(PageCacheFill.class);
    private static final Runtime RUNTIME = Runtime.getSystemRuntime();
    /** Blocks waiting to be stored at most: 32 blocks of 128 KiB are 4 MiB of native memory. */
    private static final int BUFFERS = 32;

    private final int blockSize;
    private final AtomicLong invalidations = new AtomicLong();
    private final BlockingQueue<Pointer> free = new ArrayBlockingQueue<>(BUFFERS);
    private final ExecutorService filler = Executors.newSingleThreadExecutor(runnable -> {
        Thread t = new Thread(runnable, "locusfs-page-cache-fill");
        t.setDaemon(true);
        return t;
    });
    /** The one {@code fuse_bufvec} the filler thread passes to libfuse. */
    private final Pointer bufvec = Memory.allocateDirect(RUNTIME, Fuse3.BUFVEC_SIZEOF, true);
    private final Object sessionLock = new Object();
    private Pointer session;
    private int allocated;

    PageCacheFill(int blockSize) {
        this.blockSize = blockSize;
    }

    /** The session fills go to; null once unmounted, after which none is sent. */
    void attach(Pointer session) {
        synchronized (sessionLock) {
            this.session = session;
        }
    }

    /** The kernel was told to forget something: a fill that read its block before this must not stand. */
    void invalidated() {
        invalidations.incrementAndGet();
    }

    /** Stops the filler thread, dropping fills not yet sent (the mount is gone). */
    void close() {
        attach(null);
        filler.shutdownNow();
        try {
            filler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An offer for the read about to be made of {@code node}; {@link Offer#send()} once the read is answered. */
    Offer offerFor(long node) {
        return new Offer(node, invalidations.get());
    }

    /** One read's offer: takes a copy of the block on the reading thread and sends it from the filler's. */
    final class Offer implements OpenFile.BlockOffer {
        private final long node;
        private final long invalidationsBefore;
        private Pointer copy;
        private long offset;
        private int length;
        private Runnable done;

        private Offer(long node, long invalidationsBefore) {
            this.node = node;
            this.invalidationsBefore = invalidationsBefore;
        }

        @Override
        public void offer(long fileOffset, byte[] block, int blockLength, Runnable settled) {
            Pointer buffer = buffer();
            if (buffer == null) {
                settled.run();
                return;
            }
            buffer.put(0, block, 0, blockLength);
            this.copy = buffer;
            this.offset = fileOffset;
            this.length = blockLength;
            this.done = settled;
        }

        /** Queues the block for the kernel; call after the read was answered, so its pages are unlocked. */
        void send() {
            if (copy == null) {
                return;
            }
            try {
                filler.execute(this::store);
            } catch (RejectedExecutionException closed) {
                settle();
            }
        }

        private void store() {
            try {
                synchronized (sessionLock) {
                    if (session == null || invalidations.get() != invalidationsBefore) {
                        return;
                    }
                    bufvec.putLong(Fuse3.BUFVEC_COUNT, 1);
                    bufvec.putLong(Fuse3.BUFVEC_COUNT + 8, 0); // idx
                    bufvec.putLong(Fuse3.BUFVEC_COUNT + 16, 0); // off
                    bufvec.putLong(Fuse3.BUFVEC_BUF, length);
                    bufvec.putInt(Fuse3.BUFVEC_BUF + Fuse3.BUF_FLAGS, 0);
                    bufvec.putPointer(Fuse3.BUFVEC_BUF + Fuse3.BUF_MEM, copy);
                    int result = FUSE.fuse_lowlevel_notify_store(session, node, offset, bufvec, 0);
                    if (result != 0 && result != -2) { // ENOENT: the kernel has forgotten the inode meanwhile
                        log.debug("storing {} bytes of node {} at {} in the page cache: errno {}", length, node, offset, -result);
                    }
                    if (invalidations.get() != invalidationsBefore) {
                        FUSE.fuse_lowlevel_notify_inval_inode(session, node, offset, length);
                    }
                }
            } finally {
                settle();
            }
        }

        private void settle() {
            free.offer(copy);
            copy = null;
            done.run();
        }
    }

    /** A free block buffer, allocating up to {@link #BUFFERS}; null when all are in use. */
    private Pointer buffer() {
        Pointer buffer = free.poll();
        if (buffer != null) {
            return buffer;
        }
        synchronized (free) {
            if (allocated >= BUFFERS) {
                return null;
            }
            allocated++;
        }
        return Memory.allocateDirect(RUNTIME, blockSize, false);
    }
}
