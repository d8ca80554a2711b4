package io.locusfs.fuse;

import io.locusfs.store.BlockSpans;
import io.locusfs.store.FileData;
import io.locusfs.store.Inode;
import io.locusfs.store.StoreException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import jnr.ffi.Pointer;

/**
 * The write buffer of one open regular file, shared by all its open descriptors. Writes land in
 * block-sized buffers ({@link DirtyBlock}) without reading the block first: a block written only
 * in part is committed as a patch of the ranges written, so a small write costs its own size.
 * Once {@link #COMMIT_BYTES} bytes are dirty they are handed to a
 * background commit (one WriteBatch) while new writes fill fresh buffers, so copying from FUSE
 * and writing to RocksDB overlap. At most one commit per file is in flight, which keeps commits
 * in order. flush, fsync and release wait for everything to be committed. Reads see dirty and
 * in-flight buffers before the store. While a file is open its size and mtime are owned here.
 * Thread-safe: every method holds the object's monitor; different files proceed in parallel.
 */
final class OpenFile {
    /** Dirty bytes that trigger a commit: 4 MiB per WriteBatch amortises the write path well. */
    static final int COMMIT_BYTES = 4 << 20;

    final long ino;
    private final FileData data;
    private final BlockPool pool;
    private final int blockSize;
    private final int commitBlocks;
    private final Executor committer;
    /** One block-sized buffer per reading thread, so that a read allocates nothing. */
    private final ThreadLocal<byte[]> readBuffer;
    private TreeMap<Long, DirtyBlock> dirty = new TreeMap<>();
    /** Blocks being committed in the background; read-only until that commit completes. */
    private TreeMap<Long, DirtyBlock> inflight = new TreeMap<>();
    private Future<?> inflightCommit;
    /** Which blocks hold data in the store; loaded on the first commit. */
    private BitSet stored;
    private long size;
    private long mtimeNanos;
    private boolean metadataDirty;
    /** Open descriptors; guarded by {@link OpenFiles}. */
    int handles;
    /** Guards {@link #writers} and {@link #shares}; never held while waiting for anything else. */
    private final Object shareLock = new Object();
    /** Open descriptors that may write. */
    private int writers;
    /** Blocks offered to the kernel's page cache whose offer is not yet settled. */
    private int shares;
    /** The process that last opened the file for writing, for messages that name it; 0 if unknown. */
    volatile long writerPid;

    OpenFile(Inode inode, FileData data, BlockPool pool, Executor committer) {
        this.ino = inode.ino;
        this.committer = committer;
        this.data = data;
        this.pool = pool;
        this.blockSize = data.blockSize();
        this.commitBlocks = commitBlocks(blockSize);
        this.readBuffer = pool.readBuffers();
        this.size = inode.size;
        this.mtimeNanos = inode.mtimeNanos;
        this.stored = inode.storedBlocks == 0 ? new BitSet() : null; // New files need no scan.
    }

    /**
     * One more descriptor that may write. It waits until every block offered to the kernel's page
     * cache is settled: from then on none is offered, since the kernel would store it over the
     * pages this writer dirties.
     */
    void addWriter() {
        synchronized (shareLock) {
            writers++; // from now on no block is offered
        }
        if (!sharesSettled()) {
            throw new StoreException(StoreException.Kind.IO, "interrupted while opening inode " + ino + " for writing");
        }
    }

    /**
     * Waits, with a spare worker serving in this one's place, until every offer is settled;
     * false when interrupted.
     */
    private boolean sharesSettled() {
        synchronized (shareLock) {
            if (shares == 0) {
                return true;
            }
        }
        try {
            FuseLoop.whileBlocked(this::awaitSettled);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Waits until no offer is unsettled. An offer settles on the fill thread, which may first need a queued READ answered. */
    private void awaitSettled() throws InterruptedException {
        synchronized (shareLock) {
            while (shares > 0) {
                shareLock.wait();
            }
        }
    }

    void removeWriter() {
        synchronized (shareLock) {
            writers--;
        }
    }

    boolean hasWriters() {
        synchronized (shareLock) {
            return writers > 0;
        }
    }

    /** Waits until every block offered to the kernel's page cache is settled (before the last descriptor goes). */
    void awaitShares() {
        sharesSettled();
    }

    private boolean beginShare() {
        synchronized (shareLock) {
            if (writers > 0) {
                return false;
            }
            shares++;
            return true;
        }
    }

    private void endShare() {
        synchronized (shareLock) {
            shares--;
            shareLock.notifyAll();
        }
    }

    /** Dirty blocks that make up one commit. */
    static int commitBlocks(int blockSize) {
        return Math.max(1, COMMIT_BYTES / blockSize);
    }

    synchronized long size() {
        return size;
    }

    synchronized long mtimeNanos() {
        return mtimeNanos;
    }

    /** True when this file has data or a size change not yet in the store. */
    synchronized boolean isDirty() {
        return metadataDirty;
    }

    /**
     * Copies {@code length} bytes from {@code source} into the file at {@code offset}.
     *
     * @return {@code length}
     */
    synchronized int write(Pointer source, long offset, int length, long nowNanos) {
        if ((offset + length - 1) / blockSize >= Integer.MAX_VALUE) {
            throw new StoreException(StoreException.Kind.FILE_TOO_BIG, "write beyond the largest file size");
        }
        BlockSpans.forEach(offset, length, blockSize, (index, within, done, chunk) -> {
            DirtyBlock block = dirty.computeIfAbsent(index, i -> new DirtyBlock(pool.take()));
            source.get(done, block.data, within, chunk);
            block.add(within, within + chunk);
        });
        size = Math.max(size, offset + length);
        mtimeNanos = nowNanos;
        metadataDirty = true;
        if (dirty.size() >= commitBlocks) {
            startCommit();
        }
        return length;
    }

    /**
     * Copies up to {@code length} bytes at {@code offset} into {@code target}; holes read as zeros.
     * When nothing is buffered the store is read without holding the lock, so the kernel's
     * parallel readahead requests proceed in parallel.
     *
     * @return the bytes copied, 0 at or past the end of the file
     */
    int read(Pointer target, long offset, int length) {
        long sizeNow;
        synchronized (this) {
            if (!dirty.isEmpty() || !inflight.isEmpty()) {
                return copyOut(target, offset, length, size, true);
            }
            sizeNow = size;
        }
        return copyOut(target, offset, length, sizeNow, false);
    }

    /** Takes a whole block read from the store, which the kernel may cache whole. */
    interface BlockOffer {
        /**
         * Called on the reading thread with the file's bytes from {@code fileOffset}: {@code length}
         * of {@code block}, which is reused afterwards. {@code settled} must run exactly once, when
         * the block is in the kernel's cache or given up.
         */
        void offer(long fileOffset, byte[] block, int length, Runnable settled);
    }

    /**
     * Reads as {@link #read(Pointer, long, int)} does; when the read lies inside one block smaller
     * than it and no descriptor may write the file, the whole block it had to fetch is also handed
     * to {@code offer}. While an offer is unsettled no writer can open (see {@link #addWriter()}),
     * so what the kernel caches is what the store holds.
     */
    int read(Pointer target, long offset, int length, BlockOffer offer) {
        long index = offset / blockSize;
        if (length <= 0 || length >= blockSize || (offset + length - 1) / blockSize != index || !beginShare()) {
            return read(target, offset, length);
        }
        boolean offered = false;
        try {
            long sizeNow;
            synchronized (this) {
                if (!dirty.isEmpty() || !inflight.isEmpty()) {
                    return copyOut(target, offset, length, size, true);
                }
                sizeNow = size;
            }
            if (offset >= sizeNow) {
                return 0;
            }
            long start = index * blockSize;
            int blockLength = (int) Math.min(blockSize, sizeNow - start);
            byte[] block = readBuffer.get();
            int stored = Math.min(blockLength, data.readBlockInto(ino, index, block));
            Arrays.fill(block, stored, blockLength, (byte) 0);
            int within = (int) (offset - start);
            int n = Math.min(length, blockLength - within);
            target.put(0, block, within, n);
            if (n < blockLength) {
                offer.offer(start, block, blockLength, this::endShare);
                offered = true;
            }
            return n;
        } finally {
            if (!offered) {
                endShare();
            }
        }
    }

    private int copyOut(Pointer target, long offset, int length, long fileSize, boolean buffered) {
        return copyOut(target, offset, length, fileSize, blockSize, readBuffer.get(),
                buffered ? this::readBuffered : (index, block) -> data.readBlockInto(ino, index, block));
    }

    /** Reads one block into {@code target}, returning its length (0 for a hole). */
    interface BlockSource {
        int readInto(long index, byte[] target);
    }

    /**
     * Copies up to {@code length} bytes at {@code offset} of a file of {@code fileSize} bytes into
     * {@code target}, block by block from {@code source} through {@code scratch} (one block);
     * holes read as zeros. Shared with snapshot reads.
     *
     * @return the bytes copied, 0 at or past the end of the file
     */
    static int copyOut(Pointer target, long offset, int length, long fileSize, int blockSize, byte[] scratch,
                       BlockSource source) {
        if (offset >= fileSize) {
            return 0;
        }
        int total = (int) Math.min(length, fileSize - offset);
        BlockSpans.forEach(offset, total, blockSize, (index, within, done, chunk) -> {
            int stored = source.readInto(index, scratch);
            int available = Math.max(0, Math.min(chunk, stored - within));
            if (available > 0) {
                target.put(done, scratch, within, available);
            }
            if (available < chunk) {
                target.setMemory(done + available, chunk - available, (byte) 0);
            }
        });
        return total;
    }

    /**
     * Writes everything buffered to the store on the calling thread, after any background commit
     * (not yet durable: see {@code Store.sync}).
     */
    synchronized void commit() {
        awaitInflight();
        if (!metadataDirty) {
            return;
        }
        List<FileData.BlockWrite> writes = drainDirty();
        if (writes.size() > 1) {
            FuseLoop.aboutToWait(); // a write of several blocks to the store: requests that come meanwhile go to another worker
        }
        try {
            data.commit(ino, writes, size, mtimeNanos, stored);
        } catch (RuntimeException e) {
            recycleInflight(true);
            throw e;
        }
        recycleInflight(false);
    }

    /** Hands the dirty blocks to a background commit, after the previous one has finished. */
    private void startCommit() {
        awaitInflight();
        if (!metadataDirty) {
            return;
        }
        List<FileData.BlockWrite> writes = drainDirty();
        long committedSize = size;
        long committedMtime = mtimeNanos;
        BitSet storedView = stored;
        FutureTask<Void> task = new FutureTask<>(() -> {
            data.commit(ino, writes, committedSize, committedMtime, storedView);
            return null;
        });
        inflightCommit = task;
        committer.execute(task);
    }

    /** Moves the dirty blocks to {@code inflight} and describes them as block writes. */
    private List<FileData.BlockWrite> drainDirty() {
        if (stored == null) {
            stored = data.storedBlocks(ino);
        }
        List<FileData.BlockWrite> writes = new ArrayList<>(dirty.size());
        for (Map.Entry<Long, DirtyBlock> e : dirty.entrySet()) {
            long start = e.getKey() * blockSize;
            if (start >= size) {
                continue; // A block past the end was cut off by a truncate while buffered.
            }
            DirtyBlock block = e.getValue();
            int length = (int) Math.min(blockSize, size - start);
            writes.add(block.covers(length) ? new FileData.BlockWrite(e.getKey(), block.data, length)
                    : new FileData.BlockWrite(e.getKey(), block.data, length, block.clippedTo(length)));
        }
        TreeMap<Long, DirtyBlock> committing = dirty;
        dirty = inflight;
        inflight = committing;
        metadataDirty = false;
        return writes;
    }

    /**
     * Waits for the in-flight background commit and recycles its buffers; if it failed, rethrows
     * its failure so the caller reports EIO.
     */
    private void awaitInflight() {
        if (inflightCommit == null) {
            return;
        }
        if (!inflightCommit.isDone()) {
            FuseLoop.aboutToWait();
        }
        try {
            inflightCommit.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            recycleInflight(true);
            throw new StoreException(StoreException.Kind.IO, "interrupted while committing inode " + ino, e);
        } catch (ExecutionException e) {
            recycleInflight(true);
            throw e.getCause() instanceof StoreException se ? se
                    : new StoreException(StoreException.Kind.IO, "committing inode " + ino + " failed"
                            + (e.getCause().getMessage() == null ? "" : ": " + e.getCause().getMessage()), e.getCause());
        } finally {
            inflightCommit = null;
        }
        recycleInflight(false);
    }

    /**
     * Returns the buffers of the finished commit to the pool; after a failed commit
     * ({@code keepForRetry}) its blocks go back to the dirty set instead, unless rewritten since.
     */
    private void recycleInflight(boolean keepForRetry) {
        for (Map.Entry<Long, DirtyBlock> e : inflight.entrySet()) {
            DirtyBlock failed = e.getValue();
            if (keepForRetry) {
                DirtyBlock newer = dirty.get(e.getKey());
                if (newer != null) { // written again since: the newer bytes go on top of the failed ones
                    failed.absorb(newer);
                    pool.give(newer.data);
                }
                dirty.put(e.getKey(), failed);
                metadataDirty = true;
            } else {
                pool.give(failed.data);
            }
        }
        inflight.clear();
    }

    /** Reads block {@code index} as writes left it: the store's bytes, then the in-flight and dirty ranges over them. */
    private int readBuffered(long index, byte[] target) {
        DirtyBlock newest = dirty.get(index);
        DirtyBlock older = inflight.get(index);
        int length;
        if (newest != null && newest.covers(blockSize)) {
            length = 0; // wholly rewritten: the store's bytes would all be covered
        } else {
            length = data.readBlockInto(ino, index, target);
            if (older != null) {
                length = older.overlay(target, length);
            }
        }
        return newest == null ? length : newest.overlay(target, length);
    }

    /** Sets the file's size, committing buffered data first. */
    synchronized Inode truncate(long newSize) {
        commit();
        Inode inode = data.truncate(ino, newSize);
        stored = null;
        size = inode.size;
        mtimeNanos = inode.mtimeNanos;
        return inode;
    }

    /**
     * Forgets what this file knew of the store after the tree changed under it (a forced
     * rollback): size, times and stored blocks are read again; buffered data was committed before.
     */
    synchronized void reload(Inode inode) {
        stored = null;
        size = inode.size;
        mtimeNanos = inode.mtimeNanos;
    }

    /** Takes the times of {@code inode} after they were set explicitly (utimens). */
    synchronized void reloadTimes(Inode inode) {
        mtimeNanos = inode.mtimeNanos;
    }

}
