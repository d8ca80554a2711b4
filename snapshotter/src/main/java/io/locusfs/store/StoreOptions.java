package io.locusfs.store;

/**
 * Tuning of an open store. The defaults keep a mounted store under about 300 MiB of native
 * memory whatever the size of the data: a 64 MiB block cache and 128 MiB of memtables, charged to
 * the same budget.
 *
 * @param blockCacheBytes   RocksDB LRU block cache shared by all families
 * @param memtableBytes     budget for all memtables together (a WriteBufferManager)
 * @param readOnly          open without writing anything (fsck without --repair)
 * @param bulk              buffer the write-ahead log in memory until {@link Store#sync} (or a
 *                          synced write): for a writer that makes its own checkpoints and can
 *                          redo what follows the last one (a mirror applying a stream), it saves
 *                          a write(2) per batch; a crash loses what was not synced, never more
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
