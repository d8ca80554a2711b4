/**
 * Replication: the stream format ({@code replicator/STREAM.md}), its sender and receiver, mirrors
 * over TLS, and the daemon that replicates each store to its mirrors on a schedule.
 */
package io.locusfs.replicate;
