package io.locusfs.cli;

import io.locusfs.store.StoreOptions;
import picocli.CommandLine.Option;

/** How much memory a long-running command gives the store it keeps open (mount, mirror serve). */
final class StoreMemoryOptions {
    /** A mount's cache: its readers mostly read data, which the kernel's page cache keeps too. */
    static final long MOUNT_BLOCK_CACHE = 64 * StoreOptions.MIB;
    /**
     * A mirror's: each stream reads the entry, inode, xattrs and block list of every file it
     * replaces or removes, spread over the whole store; a cache that keeps them across streams
     * spares a read of the table files each (256 MiB hold the metadata of about a million files).
     */
    static final long MIRROR_BLOCK_CACHE = 256 * StoreOptions.MIB;

    @Option(names = "--block-cache", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "RocksDB block cache for table blocks, beyond the memtables' budget (default: 64M for a mount, 256M "
                    + "for a mirror, which reads the metadata of every file a stream replaces or removes).")
    Long blockCache;

    @Option(names = "--memtable-budget", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "128M",
            description = "Memory for all write buffers together, charged to the cache (default: ${DEFAULT-VALUE}).")
    long memtables;

    /** The block cache asked for, or {@code defaultBytes}. */
    long blockCache(long defaultBytes) {
        return blockCache == null ? defaultBytes : blockCache;
    }

    /** A writable store's options with these sizes, the block cache {@code defaultBytes} unless asked for. */
    StoreOptions options(long defaultBytes) {
        return new StoreOptions(blockCache(defaultBytes), memtables, false);
    }
}
