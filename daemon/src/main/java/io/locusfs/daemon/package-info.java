/**
 * The process that assembles everything for one mount ({@link io.locusfs.daemon.MountDaemon}):
 * the store, its location records, the policy gate, the kernel mount, the snapshot schedule and
 * retention ({@link io.locusfs.daemon.SnapshotService}, configured by
 * {@link io.locusfs.daemon.StoreConfig}), replication, and the control socket through which the
 * command line asks a mounted store what it cannot open itself ({@link io.locusfs.daemon.ControlServer},
 * with exports and imports run by {@link io.locusfs.daemon.TranslationRequests}).
 */
package io.locusfs.daemon;
