package io.locusfs.fuse;

import java.util.ArrayDeque;

/**
 * Reuses block-sized buffers so that a sequential write allocates nothing per call: allocation
 * and copying, not FUSE itself, bound write throughput. Keeps at most {@code capacity} idle
 * buffers. Thread-safe.
 */
final class BlockPool {
    private final int blockSize;
    private final int capacity;
    private final ArrayDeque<byte[]> idle = new ArrayDeque<>();
    private final ThreadLocal<byte[]> readBuffers;

    BlockPool(int blockSize, int capacity) {
        this.blockSize = blockSize;
        this.capacity = capacity;
        this.readBuffers = ThreadLocal.withInitial(() -> new byte[blockSize]);
    }

    /** Per-thread buffers for reads: each FUSE worker thread reuses one block. */
    ThreadLocal<byte[]> readBuffers() {
        return readBuffers;
    }

    /** A buffer of one block; its contents are undefined. */
    synchronized byte[] take() {
        byte[] block = idle.poll();
        return block != null ? block : new byte[blockSize];
    }

    synchronized void give(byte[] block) {
        if (idle.size() < capacity) {
            idle.push(block);
        }
    }
}
