/**
 * The {@code locusfs} command line (picocli): one class per command, {@link io.locusfs.cli.Main}
 * the entry point the launcher runs. A command works on a store directly when nothing holds it
 * (read-only where it only reads, so it works beside a mirror), and through the mount daemon's
 * control socket when the store is mounted. Failures become one line in the user's words
 * ({@link io.locusfs.cli.Failures}).
 */
package io.locusfs.cli;
