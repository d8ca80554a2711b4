/**
 * The storage engine on RocksDB ({@code snapshotter/FORMAT.md}): inodes, directory entries, file
 * data and xattrs, each version keyed with the epoch it was born in; the namespace
 * ({@link io.locusfs.store.Tree}), file data ({@link io.locusfs.store.FileData}), read views at
 * any epoch ({@link io.locusfs.store.View}, which also owns where a file lives: its own record,
 * else the store's), snapshots, rollback, retention, space accounting, diffs and the consistency
 * check. It knows no mount and no network.
 */
package io.locusfs.store;
