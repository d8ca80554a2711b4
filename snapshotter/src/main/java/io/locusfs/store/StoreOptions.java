package io.locusfs.store;

/**
 * Tuning of an open store. The defaults keep a mounted store under about 300 MiB of native
 * memory whatever the size of the data: 128 MiB of memtables and 64 MiB for table blocks, in one
 * cache of their sum (the memtables are charged to it).
 *
 * @param blockCacheBytes   room for table blocks (index, filter and data) in the LRU cache shared by
 *                          all families, beyond the memtables: were the memtables charged against
 *                          this room, full memtables would evict every index block, and each new
 *                          iterator would read and decompress the index of every table again (a
 *                          metadata fetch of 100,000 files took 9 s instead of 4.3)
 * @param memtableBytes     budget for all memtables together (a WriteBufferManager)
 * @param readOnly          open without writing anything (fsck without --repair)
 * @param bulk              write no write-ahead log until {@link Store#writeLog} says otherwise:
 *                          writes become durable at {@link Store#sync} (or a synced write), which
 *                          flushes every memtable at one sequence number (atomic flush). For a
 *                          writer that makes its own checkpoints and can redo what follows the
 *                          last one (a mirror applying a stream): the data of a large stream is
 *                          written once to table and blob files instead of also to the log; a
 *                          small one goes through the log. A crash leaves the store at a
 *                          consistent point no older than the last sync
 */
public record StoreOptions(long blockCacheBytes, long memtableBytes, boolean readOnly, boolean bulk) {
    public static final long MIB = 1L << 20;

    public StoreOptions(long blockCacheBytes, long memtableBytes, boolean readOnly) {
        this(blockCacheBytes, memtableBytes, readOnly, false);
    }

    public static StoreOptions defaults() {
        return new StoreOptions(64 * MIB, 128 * MIB, false);
    }

    public StoreOptions asReadOnly() {
        return new StoreOptions(blockCacheBytes, memtableBytes, true, false);
    }

    public StoreOptions asBulk() {
        return new StoreOptions(blockCacheBytes, memtableBytes, readOnly, true);
    }
}
