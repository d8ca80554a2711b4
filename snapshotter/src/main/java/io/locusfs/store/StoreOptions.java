package io.locusfs.store;

/**
 * Tuning of an open store. The defaults keep a mounted store under about 300 MiB of native
 * memory whatever the size of the data: a 64 MiB block cache and 128 MiB of memtables, charged to
 * the same budget.
 *
 * @param blockCacheBytes   RocksDB LRU block cache shared by all families
 * @param memtableBytes     budget for all memtables together (a WriteBufferManager)
 * @param readOnly          open without writing anything (fsck without --repair)
 */
public record StoreOptions(long blockCacheBytes, long memtableBytes, boolean readOnly) {
    public static final long MIB = 1L << 20;

    public static StoreOptions defaults() {
        return new StoreOptions(64 * MIB, 128 * MIB, false);
    }

    public StoreOptions asReadOnly() {
        return new StoreOptions(blockCacheBytes, memtableBytes, true);
    }
}
