package io.locusfs.store;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
/**
 * The far half of a store's read path: a store whose files' metadata arrived without their data
 * (a snapshot mounted from a mirror) fetches each block from where the data lives the first time
 * it is read, and keeps it, so that every later read of it is local. Reads go through the store
 * either way: a block here is read here, a block not yet here is fetched, stored as the file's
 * own data (one atomic batch, the file's size and times unchanged), then read here.
 *
 * <p>What is known here is kept per file: the blocks stored, and the blocks the far side said
 * are holes (zeros, which a store does not keep). A fetch takes the missing block a read needs
 * and, after it, up to {@code readahead} bytes more, so a sequential read costs one round trip per
 * readahead, not per block. Reads of different files fetch in parallel; of one file, in turn. A
 * prefetch starts no transfer while a reader waits on one: readers go first on the link.
 */
public final class FarData {
    private static final Logger log = LoggerFactory.getLogger(FarData.class);

    /** Where the data is: byte ranges of a file by its path in the far snapshot. */
    public interface Source {
        /**
         * Reads up to {@code length} bytes at {@code offset} of the file at {@code path} into
         * {@code buffer}, checked against the far side's checksum.
         *
         * @return the bytes read (fewer only at the end of the file)
         */
        int read(String path, long offset, byte[] buffer, int length) throws IOException;

        /** Where that is, for messages ("mirror paris (127.0.0.1:7443), snapshot s1"). */
        String describe();
    }

    /**
     * {@code source}, whose reads wait up to {@code patience} for a far side that fails (does not
     * answer, drops the connection), trying again every second, before failing as it did; zero:
     * {@code source} itself, whose reads fail at once.
     */
    public static Source patient(Source source, Duration patience) {
        if (patience.isZero()) {
            return source;
        }
        return new Source() {
            @Override
            public int read(String path, long offset, byte[] buffer, int length) throws IOException {
                long deadline = System.nanoTime() + patience.toNanos();
                boolean logged = false;
                while (true) {
                    try {
                        return source.read(path, offset, buffer, length);
                    } catch (IOException e) {
                        if (System.nanoTime() >= deadline) {
                            throw e;
                        }
                        if (!logged) {
                            logged = true;
                            log.warn("{} fails ({}); the read of {} waits for it, up to {} s", source.describe(), e.getMessage(), path,
                                    patience.toSeconds());
                        }
                        try {
                            Thread.sleep(Math.min(1000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
                        } catch (InterruptedException interrupted) {
                            Thread.currentThread().interrupt();
                            throw e;
                        }
                    }
                }
            }

            @Override
            public String describe() {
                return source.describe();
            }
        };
    }

    private final Store store;
    private final Source source;
    private final int readaheadBlocks;
    /** Per file, read once from the block map, then kept up to date by each fetch. */
    private final Map<Long, FileState> files = new ConcurrentHashMap<>();
    private final Map<Long, Reader> readers = new ConcurrentHashMap<>();
    /**
     * Fetches ahead of readers reading in order, up to two windows ahead: two threads, so that one
     * fetch's commit overlaps the next one's transfer.
     */
    private final ExecutorService prefetcher = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "far-prefetch");
        t.setDaemon(true);
        return t;
    });

    public FarData(Store store, Source source, int readaheadBytes) {
        this(store, source, readaheadBytes, 0);
    }

    /**
     * As above, keeping at most about {@code maxCachedBytes} of fetched data (0: no bound): past
     * it, the files read least recently and not in use are dropped from the store, a whole file at
     * a time, to be fetched again if read again.
     */
    public FarData(Store store, Source source, int readaheadBytes, long maxCachedBytes) {
        this.store = store;
        this.source = source;
        this.readaheadBlocks = Math.max(1, readaheadBytes / store.blockSize());
        this.maxCachedBytes = maxCachedBytes;
        this.cachedBytes = new AtomicLong(maxCachedBytes > 0 ? store.tree().live().referencedBytes() : 0);
    }

    // The bound: what is cached, when each file was last used, and who uses it now.
    private final long maxCachedBytes;
    private final AtomicLong cachedBytes;
    private final Map<Long, Long> lastUse = new ConcurrentHashMap<>();
    private final Map<Long, ReentrantReadWriteLock> inUse = new ConcurrentHashMap<>();
    private final AtomicBoolean evicting = new AtomicBoolean();

    /** Holds a file's fetched data in the store while a read (or a seek) uses it; see {@link #use}. */
    public interface Use extends AutoCloseable {
        Use NONE = () -> { };

        @Override
        void close();
    }

    /**
     * Marks live file {@code ino} in use until the returned handle is closed: what {@link #ensure}
     * fetched for a read stays in the store until the read has copied it out, however full the
     * cache (a dropped block would read as a hole: a wrong byte).
     */
    public Use use(long ino) {
        if (maxCachedBytes <= 0) {
            return Use.NONE;
        }
        lastUse.put(ino, System.nanoTime());
        ReentrantReadWriteLock.ReadLock lock = inUse.computeIfAbsent(ino, i -> new ReentrantReadWriteLock()).readLock();
        lock.lock();
        return lock::unlock;
    }

    /** The bytes of fetched data the store holds, as counted here (for the bound). */
    public long cachedBytes() {
        return cachedBytes.get();
    }

    /** Past the bound: drops the files used least recently and not in use now, until 90% of the bound is left. */
    private void evictIfFull() {
        if (maxCachedBytes <= 0 || cachedBytes.get() <= maxCachedBytes || !evicting.compareAndSet(false, true)) {
            return;
        }
        try {
            List<Map.Entry<Long, Long>> oldestFirst = new ArrayList<>(lastUse.entrySet());
            oldestFirst.sort(Map.Entry.comparingByValue());
            for (Map.Entry<Long, Long> e : oldestFirst) {
                if (cachedBytes.get() <= maxCachedBytes * 9 / 10) {
                    break;
                }
                long ino = e.getKey();
                ReentrantReadWriteLock lock = inUse.computeIfAbsent(ino, i -> new ReentrantReadWriteLock());
                if (!lock.writeLock().tryLock()) {
                    continue; // read right now: kept
                }
                try {
                    long dropped = store.data().dropFetched(ino);
                    files.remove(ino);
                    readers.remove(ino);
                    lastUse.remove(ino);
                    cachedBytes.addAndGet(-dropped);
                    log.debug("far cache full: dropped {} bytes of inode {}", dropped, ino);
                } finally {
                    lock.writeLock().unlock();
                }
            }
        } finally {
            evicting.set(false);
        }
    }

    /**
     * Makes the blocks that hold {@code [offset, offset + length)} of regular file {@code ino}
     * (at {@code path}) local, fetching the missing ones and the readahead after them; a file
     * read in order also has its next two readahead windows fetched in the background while the
     * reader reads what is here, so the link and the reader work at once.
     *
     * @throws StoreException IO when the far side cannot be reached or answers wrongly (the read fails with EIO)
     */
    public void ensure(long ino, String path, long offset, int length) {
        Inode inode = store.tree().inode(ino);
        if (!inode.isRegular() || length <= 0 || offset >= inode.size) {
            return;
        }
        int blockSize = store.blockSize();
        int first = Math.toIntExact(offset / blockSize);
        int last = Math.toIntExact((Math.min(inode.size, offset + length) - 1) / blockSize);
        int lastBlock = Math.toIntExact((inode.size - 1) / blockSize);
        fetch(ino, path, inode, first, last, Math.min(lastBlock, Math.max(last, first + readaheadBlocks - 1)), false);
        if (maxCachedBytes > 0 && cachedBytes.get() > maxCachedBytes) {
            prefetcher.execute(this::evictIfFull); // off the reader's path; the files in use are kept
        }
        Reader reader = readers.computeIfAbsent(ino, i -> new Reader());
        int from;
        synchronized (reader) {
            boolean inOrder = first == 0 || (first >= reader.lastRead - 1 && first <= reader.lastRead + 2);
            reader.lastRead = last;
            reader.ahead = Math.max(reader.ahead, Math.min(lastBlock, Math.max(last, first + readaheadBlocks - 1)) + 1);
            if (!inOrder || reader.ahead > lastBlock || reader.ahead - last > 2 * readaheadBlocks) {
                return;
            }
            from = reader.ahead;
            reader.ahead = Math.min(lastBlock + 1, from + readaheadBlocks);
        }
        int to = Math.min(lastBlock, from + readaheadBlocks - 1);
        prefetcher.execute(() -> {
            try (Use use = use(ino)) {
                fetch(ino, path, store.tree().inode(ino), from, to, to, true);
            } catch (RuntimeException e) {
                // The reader fetches it itself when it gets there, and fails then if it must.
            }
            evictIfFull();
        });
    }

    /** Where a file is being read in order: its last block read, and the block after what is fetched or on its way. */
    private static final class Reader {
        int lastRead = -10;
        int ahead;
    }

    /** What is known of one file here: blocks here (or holes), blocks on their way, blocks stored. */
    private static final class FileState {
        final BitSet known;
        final BitSet inFlight = new BitSet();
        final BitSet stored;

        FileState(BitSet stored) {
            this.stored = stored;
            this.known = (BitSet) stored.clone();
        }
    }

    private FileState state(long ino) {
        return files.computeIfAbsent(ino, i -> new FileState(store.data().storedBlocks(ino)));
    }

    /**
     * Fetches the blocks from the first one in {@code [first, last]} that is neither here nor on
     * its way, up to {@code end} (stopping before a block on its way), after waiting for those of
     * {@code [first, last]} on their way. The file's state is locked only to read and mark it:
     * the fetch itself and the commit run unlocked, so fetches of one file overlap.
     */
    private void fetch(long ino, String path, Inode inode, int first, int last, int end, boolean background) {
        // Each round fetches one run of missing blocks; a run stops at a block here or on its way.
        do {
            if (background) {
                yieldToReaders();
            }
        } while (fetchRun(ino, path, inode, first, last, end, background));
    }

    /**
     * Readers transferring what their read needs: a prefetch starts no transfer while there are
     * any (the link serves them first). A reader waiting on a prefetch's transfer does not count.
     */
    private final AtomicInteger readersFetching = new AtomicInteger();

    /** Waits (before marking anything on its way, so no reader waits on it) until no reader is fetching. */
    private void yieldToReaders() {
        synchronized (readersFetching) {
            while (readersFetching.get() > 0) {
                try {
                    readersFetching.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** One run of {@link #fetch}; false when {@code [first, last]} is all here. */
    private boolean fetchRun(long ino, String path, Inode inode, int first, int last, int end, boolean background) {
        int blockSize = store.blockSize();
        FileState file = state(ino);
        int missing;
        synchronized (file) {
            while (true) {
                int busy = file.inFlight.nextSetBit(first);
                if (busy < 0 || busy > last) {
                    break;
                }
                try {
                    file.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StoreException(StoreException.Kind.IO, "interrupted while " + path + " was being fetched");
                }
            }
            missing = file.known.nextClearBit(first);
            if (missing > last) {
                return false;
            }
            end = Math.max(end, missing);
            int nextBusy = file.inFlight.nextSetBit(missing);
            int nextKnown = file.known.nextSetBit(missing);
            for (int stop : new int[] {nextBusy, nextKnown}) {
                if (stop >= 0 && stop <= end) {
                    end = Math.max(missing, stop - 1);
                }
            }
            file.inFlight.set(missing, end + 1);
        }
        boolean done = false;
        try {
            long from = (long) missing * blockSize;
            int want = (int) (Math.min(inode.size, (long) (end + 1) * blockSize) - from);
            byte[] buffer = new byte[want];
            int got;
            if (!background) {
                readersFetching.incrementAndGet();
            }
            try {
                got = source.read(path, from, buffer, want);
            } catch (IOException e) {
                throw new StoreException(StoreException.Kind.IO, "reading " + path + " from " + source.describe() + ": "
                        + e.getMessage(), e);
            } finally {
                if (!background && readersFetching.decrementAndGet() == 0) {
                    synchronized (readersFetching) {
                        readersFetching.notifyAll();
                    }
                }
            }
            if (got != want) {
                throw new StoreException(StoreException.Kind.IO, source.describe() + " has " + (from + got) + " bytes of " + path
                        + " where this snapshot says " + inode.size + ": not the same file");
            }
            synchronized (file.stored) { // the commit keeps the stored set up to date
                int before = file.stored.cardinality();
                store.data().storeFetched(ino, from, buffer, want, file.stored);
                cachedBytes.addAndGet((long) (file.stored.cardinality() - before) * blockSize);
            }
            done = true;
        } finally {
            synchronized (file) {
                if (done) {
                    file.known.set(missing, end + 1);
                }
                file.inFlight.clear(missing, end + 1);
                file.notifyAll();
            }
        }
        return true;
    }

    /** True when every block of {@code ino} is here (or known to be a hole). */
    public boolean complete(long ino, long size) {
        if (size == 0) {
            return true;
        }
        FileState file = files.get(ino);
        int blocks = Math.toIntExact((size - 1) / store.blockSize() + 1);
        if (file == null) {
            return false;
        }
        synchronized (file) {
            return file.known.nextClearBit(0) >= blocks;
        }
    }
}
