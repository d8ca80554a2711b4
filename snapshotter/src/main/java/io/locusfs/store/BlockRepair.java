package io.locusfs.store;

import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Self-heal: a live file's blocks that cannot be read here (the store's files fail a checksum)
 * are read from a copy elsewhere that holds the very same bytes (a mirror's snapshot in which
 * those blocks are the versions the live tree has), written here again as the file's data in one
 * atomic batch (size and times unchanged), and the read goes on; each repair is logged.
 */
public final class BlockRepair {
    private static final Logger log = LoggerFactory.getLogger(BlockRepair.class);

    /** Where the same bytes may be. */
    public interface Source {
        /**
         * Reads {@code [offset, offset + length)} of live file {@code ino} (at {@code path}) as
         * this store last wrote it, from a copy elsewhere.
         *
         * @return where the bytes came from, for the log; null when no copy has these bytes
         */
        String read(long ino, String path, long offset, byte[] buffer, int length) throws IOException;
    }

    private final Store store;
    private final Source source;
    private final Map<Long, Object> fileLocks = new ConcurrentHashMap<>();

    public BlockRepair(Store store, Source source) {
        this.store = store;
        this.source = source;
    }

    /**
     * Repairs the blocks of {@code [offset, offset + length)} of live file {@code ino}, which
     * failed to read with {@code failure}.
     *
     * @throws StoreException CORRUPT when no copy elsewhere holds these bytes (the failure stands), IO when none could be read
     */
    public void repair(long ino, String path, long offset, int length, StoreException failure) {
        // Readers of one file repair one at a time; one that waited finds the blocks mended and reads on.
        synchronized (fileLocks.computeIfAbsent(ino, i -> new Object())) {
            if (!readable(ino, offset, length)) {
                mend(ino, path, offset, length, failure);
            }
        }
    }

    /** True when every block of the range reads here without a checksum failure. */
    private boolean readable(long ino, long offset, int length) {
        int blockSize = store.blockSize();
        byte[] block = new byte[blockSize];
        for (long index = offset / blockSize; index <= (offset + Math.max(1, length) - 1) / blockSize; index++) {
            try {
                store.data().readBlockInto(ino, index, block);
            } catch (StoreException e) {
                if (e.kind() == StoreException.Kind.CORRUPT) {
                    return false;
                }
                throw e;
            }
        }
        return true;
    }

    private void mend(long ino, String path, long offset, int length, StoreException failure) {
        Inode inode = store.tree().inode(ino);
        int blockSize = store.blockSize();
        long first = offset / blockSize;
        long from = first * blockSize;
        long to = Math.min(inode.size, ((offset + Math.max(1, length) - 1) / blockSize + 1) * blockSize);
        if (to <= from) {
            throw failure;
        }
        byte[] buffer = new byte[(int) (to - from)];
        String where;
        try {
            where = source.read(ino, path, from, buffer, buffer.length);
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.IO, path + ": " + failure.getMessage()
                    + "; no copy elsewhere could be read to repair it: " + e.getMessage(), e);
        }
        if (where == null) {
            throw new StoreException(StoreException.Kind.CORRUPT, path + ": " + failure.getMessage()
                    + "; no mirror holds these blocks as this store last wrote them", failure);
        }
        store.data().storeFetched(ino, from, buffer, buffer.length, store.data().storedBlocks(ino));
        RepairLog.add(store, new RepairLog.Entry(Instant.now(), path, to - from, where));
        log.warn("repaired {}: blocks {}-{} ({} bytes from offset {}) failed to read here ({}); read again from {} and rewritten",
                path, first, (to - 1) / blockSize, to - from, from, failure.getMessage(), where);
    }
}
