/**
 * The mount: the kernel adapter on libfuse 3's low-level API ({@link io.locusfs.fuse.KernelMount}
 * is all the daemon sees of it; {@code KernelAdapter}, {@code Fuse3}, {@code FuseLoop} and
 * {@code PageCacheFill} inside) over the FUSE-agnostic file-system layer
 * ({@link io.locusfs.fuse.LocusFs}: node numbers, lookup counts, open files, the
 * {@code .snapshots/} tree, the policy at the door through {@link io.locusfs.fuse.PolicyGate}),
 * with {@code Errno} the one map from failures to errno values. It uses the store, the location
 * model and the policy engine, never replication: what it shows of replicas is handed to
 * {@link io.locusfs.fuse.Locations} by the daemon.
 */
package io.locusfs.fuse;
