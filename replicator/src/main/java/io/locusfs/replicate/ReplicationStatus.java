package io.locusfs.replicate;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * Views of the mirrors' states: the status file ({@code locusfs status}, snake_case JSON) and the
 * Prometheus metrics. They only read; the {@link Replicator} holds its lock while they do.
 */
final class ReplicationStatus {
    private ReplicationStatus() {
    }

    /** The status as {@code locusfs status --json} prints it, at {@code now} (System.nanoTime()). */
    static ObjectNode json(Store store, Path configFile, Collection<MirrorState> mirrors, long now) {
        ObjectNode root = StreamHeader.JSON.createObjectNode();
        root.put("updated", Instant.now().toString());
        root.put("pid", ProcessHandle.current().pid());
        root.put("store", store.path().toString());
        root.put("config", configFile.toString());
        Optional<Snapshots.Snapshot> newest = Replicator.scheduled(store);
        root.put("newest_snapshot", newest.map(Snapshots.Snapshot::name).orElse(null));
        ArrayNode list = root.putArray("mirrors");
        for (MirrorState s : mirrors) {
            ObjectNode m = list.addObject();
            m.put("name", s.config.name());
            m.put("address", s.config.address());
            m.put("state", s.state.display());
            m.put("zone", s.zone);
            m.put("certificate", s.certificate);
            m.put("last_snapshot", s.lastSnapshot);
            m.put("lag_seconds", lagSeconds(store, s, newest));
            m.put("failures", s.failures);
            m.put("last_error", s.lastError);
            m.put("priority", s.config.priority());
            m.put("repairs_served", s.repairs.get());
            m.put("mode", s.config.sync().synchronous() ? "sync" : "async");
            if (s.config.sync().synchronous()) {
                m.put("on_unreachable", s.config.sync() == ReplicationConfig.Sync.DEGRADE ? "degrade" : "block");
                m.put("degraded", s.degraded);
                long rounds = s.syncRounds.get();
                m.put("sync_rounds", rounds);
                m.put("sync_mean_milliseconds", rounds == 0 ? 0 : s.syncNanos.get() / rounds / 1e6);
            }
            boolean behind = newest.isPresent() && Replicator.lacks(store, s, newest.get());
            if (behind && !s.transferRunning) {
                m.put("next_transfer_seconds", Math.max(0, (s.nextTransferAt() - now) / 1_000_000_000L));
            }
            if (s.sendingSnapshot != null) {
                ObjectNode t = m.putObject("transfer");
                double seconds = Math.max(1e-3, (now - s.sendingStarted) / 1e9);
                long bytes = s.sendingBytes.get();
                double rate = bytes / seconds;
                t.put("snapshot", s.sendingSnapshot);
                t.put("since", s.sendingSince);
                t.put("bytes", bytes);
                t.put("total_bytes", s.sendingTotal);
                t.put("bytes_per_second", (long) rate);
                t.put("eta_seconds", rate > 0 ? (long) ((s.sendingTotal - bytes) / rate) : -1);
                t.put("frames_acked", s.acked.get());
            }
        }
        return root;
    }

    /** The metrics in Prometheus text format. */
    static String metrics(Store store, Collection<MirrorState> mirrors) {
        StringBuilder out = new StringBuilder();
        Optional<Snapshots.Snapshot> newest = Replicator.scheduled(store);
        metric(out, mirrors, "locusfs_replication_bytes_sent_total", "counter", "Bytes of stream sent to the mirror.",
                s -> s.bytesSent.get() + s.sendingBytes.get() * (s.sendingSnapshot == null ? 0 : 1));
        metric(out, mirrors, "locusfs_replication_transfers_total", "counter", "Transfers finished.", s -> s.transfersDone.get());
        metric(out, mirrors, "locusfs_replication_failures_total", "counter", "Transfers that failed.", s -> s.transfersFailed.get());
        metric(out, mirrors, "locusfs_self_heal_repairs_total", "counter",
                "Reads of this store's corrupt blocks served from the mirror, the blocks rewritten here.", s -> s.repairs.get());
        metric(out, mirrors, "locusfs_self_heal_bytes_total", "counter", "Bytes those repairs read from the mirror.",
                s -> s.repairBytes.get());
        metric(out, mirrors, "locusfs_replication_lag_seconds", "gauge", "Age of the newest snapshot the mirror lacks (0: up to date).",
                s -> lagSeconds(store, s, newest));
        metric(out, mirrors, "locusfs_replication_mirror_up", "gauge", "1 when the mirror answers its heartbeat.",
                s -> s.state.answers() ? 1 : 0);
        metric(out, mirrors, "locusfs_sync_mirror_degraded", "gauge",
                "1 when a synchronous mirror did not answer and fsync goes on without it until it is in sync again.",
                s -> s.degraded ? 1 : 0);
        metric(out, mirrors, "locusfs_sync_rounds_total", "counter", "Sync points (fsyncs, grouped) the mirror acknowledged.",
                s -> s.syncRounds.get());
        return out.toString();
    }

    private static void metric(StringBuilder out, Collection<MirrorState> mirrors, String name, String type, String help,
                               ToLongFunction<MirrorState> value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        for (MirrorState s : mirrors) {
            out.append(name).append("{mirror=\"").append(s.config.name().replace("\\", "\\\\").replace("\"", "\\\""))
                    .append("\"} ").append(value.applyAsLong(s)).append('\n');
        }
    }

    /** How long the mirror has lacked the newest snapshot: since the snapshot after the one it holds was taken. */
    static long lagSeconds(Store store, MirrorState s, Optional<Snapshots.Snapshot> newest) {
        if (newest.isEmpty() || !Replicator.lacks(store, s, newest.get())) {
            return 0;
        }
        Optional<Snapshots.Snapshot> acked = s.lastSnapshot == null ? Optional.empty() : store.snapshots().find(s.lastSnapshot);
        long from = acked.map(Snapshots.Snapshot::createdNanos).orElse(store.snapshots().list().get(0).createdNanos());
        return Math.max(0, (System.currentTimeMillis() * 1_000_000L - from) / 1_000_000_000L);
    }
}
