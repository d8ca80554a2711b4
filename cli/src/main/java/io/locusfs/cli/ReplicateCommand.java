package io.locusfs.cli;

import io.locusfs.daemon.ControlClient;
import io.locusfs.replicate.ReplicationConfig;
import io.locusfs.replicate.Replicator;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.xattr.NodeIdentity;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "replicate",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        header = "Replicate a store to its mirrors, continuously.",
        description = {
            "Runs the replication daemon in the foreground until SIGTERM or Ctrl-C, for the store given as "
                + "STORE or as 'source' in CONFIG (unmounted; a mounted store replicates from its mount daemon: "
                + "'locusfs mount STORE MOUNTPOINT --replicate CONFIG').",
            "",
            "Each mirror gets the store's newest snapshot as the change since the snapshot it holds (a full "
                + "stream the first time), no more often than its 'every', at most 'bandwidth' bytes a second, "
                + "with 'concurrent' transfers at once, higher 'priority' first. Files whose placement forbids a "
                + "mirror's zone are left out of its stream. Mirrors are asked every 'heartbeat' whether they are "
                + "there; one that is not is marked down and catches up by itself when it answers again. A failed "
                + "transfer is retried with backoff (2 s, doubling, at most 5 min) and resumes after the frames "
                + "the mirror made durable. CONFIG is watched: edits take effect within a second; a broken edit "
                + "is logged (file:line) and the previous configuration stays in force.",
            "",
            "State: 'locusfs status STORE'; metrics: 'metrics' in CONFIG. docs/REFERENCE.md "
                + "lists every key; a small CONFIG:",
            "",
            "  [tls]",
            "  cert = \"tls/origin.crt\"",
            "  key = \"tls/origin.key\"",
            "  ca = \"tls/ca.crt\"",
            "  [[mirror]]",
            "  name = \"frankfurt\"",
            "  address = \"10.0.0.2:7443\"",
            "  every = \"1d\"",
            "",
            "Examples:",
            "  locusfs replicate /srv/store --config /etc/locusfs/replication.toml",
            "  locusfs replicate /srv/store --config /etc/locusfs/replication.toml --once"},
        footerHeading = "%nExit status:%n",
        footer = {"  0  stopped by a signal (with --once: every mirror has the newest snapshot)",
            "  1  could not start, or (with --once) a mirror did not get the snapshot"})
final class ReplicateCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "STORE", description = "The store (default: 'source' in CONFIG).")
    Path store;

    @Option(names = "--config", required = true, paramLabel = "CONFIG", description = "The replication configuration (TOML).")
    Path config;

    @Option(names = "--once", description = "Send the newest snapshot to every mirror now, then exit (for cron and scripts).")
    boolean once;

    @Override
    public Integer call() throws Exception {
        ReplicationConfig parsed = ReplicationConfig.load(config);
        Path source = store != null ? store : parsed.source();
        if (source == null) {
            throw new IllegalArgumentException("give the store, or 'source' in [replication] of " + config);
        }
        if (ControlClient.ifMounted(source).isPresent()) {
            throw new IllegalArgumentException(source + " is mounted; replicate it from its mount daemon: unmount and "
                    + "'locusfs mount " + source + " MOUNTPOINT --replicate " + config + "'");
        }
        Store opened = Store.open(source, StoreOptions.defaults());
        Replicator replicator;
        try {
            replicator = new Replicator(opened, NodeIdentity.load(source), config);
        } catch (Exception e) {
            opened.close();
            throw e;
        }
        if (once) {
            try {
                List<String> failed = replicator.once();
                if (!failed.isEmpty()) {
                    System.err.println("locusfs replicate: not replicated to " + String.join(", ", failed) + " (the log above says why)");
                    return 1;
                }
                return 0;
            } finally {
                replicator.close();
                opened.close();
            }
        }
        replicator.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            replicator.close();
            opened.close();
            stopped.countDown();
        }, "replicate-shutdown"));
        stopped.await();
        return 0;
    }
}
