/**
 * Translators: they turn a snapshot of a store into an open format (tar, a directory, an ext4
 * image, an application's own file) and bring such data back into a store. A translator sees
 * only the narrow {@link io.locusfs.tree.SnapshotTree} (what to write) and
 * {@link io.locusfs.tree.TreeBuilder} (where to put what it reads), never the store, so a
 * third-party format is one small class found by {@link java.util.ServiceLoader}.
 */
package io.locusfs.translate;
