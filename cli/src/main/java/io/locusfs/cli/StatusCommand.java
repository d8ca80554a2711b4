package io.locusfs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.locusfs.replicate.Replicator;
import io.locusfs.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "status",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        header = "Show replication: each mirror's state, lag and transfer.",
        description = {
            "For each mirror of STORE (or of the store mounted at STORE): its state (up, down, sending, "
                + "unknown), its zone, the last snapshot it acknowledged, the lag (age of the newest snapshot it "
                + "lacks), failures in a row with the last error, and a transfer in progress with bytes, rate and "
                + "time left. Read from STORE/" + Replicator.STATUS_FILE + ", which the replication daemon rewrites "
                + "every second; a file older than 10 s is reported as stale (the daemon is not running).",
            "",
            "Examples:",
            "  locusfs status /srv/store",
            "  locusfs status /mnt/locus --json"},
        footerHeading = "%nExit status:%n",
        footer = {"  0  shown", "  1  no replication status for this store"})
final class StatusCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "STORE", description = "The store, or its mount point.")
    Path store;

    @Option(names = "--json", description = "Print the status as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Path storePath = new StoreTarget().resolve(store);
        Path file = storePath.resolve(Replicator.STATUS_FILE);
        Store.checkFormat(storePath); // "… is not a LocusFS store" before anything about replication
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no replication status in " + storePath
                    + " (start replication with 'locusfs replicate' or 'locusfs mount --replicate')");
        }
        JsonNode status = new ObjectMapper().readTree(file.toFile());
        Duration age = Duration.between(Instant.parse(status.path("updated").asText()), Instant.now());
        boolean stale = age.getSeconds() > 10;
        if (json) {
            ((ObjectNode) status).put("stale", stale);
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(status));
            return 0;
        }
        System.out.printf(Locale.ROOT, "store %s, newest snapshot %s%s%n", status.path("store").asText(),
                status.path("newest_snapshot").asText("-"),
                stale ? " (STALE: written " + age.getSeconds() + " s ago; the replication daemon is not running)" : "");
        System.out.printf(Locale.ROOT, "%-16s %-22s %-8s %-16s %-20s %8s %s%n", "MIRROR", "ADDRESS", "STATE", "ZONE", "ACKNOWLEDGED", "LAG", "TRANSFER");
        for (JsonNode m : status.path("mirrors")) {
            String transfer = "-";
            JsonNode t = m.path("transfer");
            if (!t.isMissingNode()) {
                long eta = t.path("eta_seconds").asLong();
                transfer = String.format(Locale.ROOT, "%s%s %s/%s %s/s eta %s", t.path("snapshot").asText(),
                        t.path("since").isNull() ? " (full)" : " (since " + t.path("since").asText() + ")",
                        SnapshotCommand.human(t.path("bytes").asLong()), SnapshotCommand.human(t.path("total_bytes").asLong()),
                        SnapshotCommand.human(t.path("bytes_per_second").asLong()), eta < 0 ? "?" : eta / 60 + ":" + String.format(Locale.ROOT, "%02d", eta % 60));
            } else if (m.path("failures").asInt() > 0) {
                transfer = m.path("failures").asInt() + " failure(s), last: " + m.path("last_error").asText()
                        + (m.has("next_transfer_seconds") ? "; next try in " + m.path("next_transfer_seconds").asLong() + " s" : "");
            } else if (m.has("next_transfer_seconds")) {
                transfer = m.path("state").asText().equals("up") ? "next in " + m.path("next_transfer_seconds").asLong() + " s"
                        : "waiting for the mirror";
            }
            System.out.printf(Locale.ROOT, "%-16s %-22s %-8s %-16s %-20s %7ds %s%n", m.path("name").asText(), m.path("address").asText(),
                    m.path("state").asText(), m.path("zone").asText("-"), m.path("last_snapshot").asText("-"),
                    m.path("lag_seconds").asLong(), transfer);
        }
        for (JsonNode m : status.path("mirrors")) {
            if (m.path("mode").asText().equals("sync")) {
                System.out.printf(Locale.ROOT, "sync: %s is synchronous (on_unreachable = %s): %s; %d sync point(s), %.1f ms each on"
                        + " average%n", m.path("name").asText(), m.path("on_unreachable").asText(),
                        m.path("degraded").asBoolean() ? "DEGRADED, fsync goes on without it until it is in sync again"
                                : "fsync waits for it", m.path("sync_rounds").asLong(), m.path("sync_mean_milliseconds").asDouble());
            }
            if (m.path("repairs_served").asLong() > 0) {
                System.out.printf(Locale.ROOT, "self-heal: %d read(s) of blocks that failed their checksum here were served by %s "
                        + "and the blocks rewritten (see the log)%n", m.path("repairs_served").asLong(), m.path("name").asText());
            }
        }
        return 0;
    }
}
