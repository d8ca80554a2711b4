/**
 * The one line codec of LocusFS's conversations: JSON objects, one per line, read with a bound
 * on a line's length. The mirror protocol (over TLS, {@code replicator/STREAM.md}) and the mount
 * daemon's control socket ({@code io.locusfs.daemon.ControlProtocol}) both speak it.
 */
package io.locusfs.wire;
