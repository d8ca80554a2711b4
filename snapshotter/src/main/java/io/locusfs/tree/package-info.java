/**
 * A snapshot as a walk of paths, and a store filled from one: the store's contract with
 * everything that carries its data elsewhere. {@link io.locusfs.tree.SnapshotTree} is what a
 * snapshot (or the change between two) holds, node by node in path order, with each file's
 * signed location record; {@link io.locusfs.tree.TreeBuilder} puts such nodes into a store.
 * {@link io.locusfs.tree.StoreSnapshotTree} and {@link io.locusfs.tree.StoreTreeBuilder} are
 * their implementations on a store. Open-format translators ({@code io.locusfs.translate}) and
 * the replication stream ({@code io.locusfs.replicate}) both use this package and nothing of
 * each other.
 */
package io.locusfs.tree;
