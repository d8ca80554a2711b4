package io.locusfs.replicate;

import io.locusfs.policy.ConfigFields;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlTable;

/**
 * The replication daemon's configuration (TOML), watched while it runs: a change takes effect
 * within a second; a file that does not parse is reported (file, line, column, problem) and
 * the previous configuration stays in force. docs/REFERENCE.md lists every
 * key:
 *
 * <pre>
 * [replication]
 * source = "/srv/store"                 # the store to replicate, for 'locusfs replicate' (a mount replicates its own)
 * policy = "/etc/locusfs/policy.toml"   # placement rules: what may go to which zone (absent: anything anywhere)
 * concurrent = 2                        # transfers at once
 * heartbeat = "5s"                      # how often each mirror is asked whether it is there
 * metrics = "127.0.0.1:9187"            # Prometheus text at http://ADDRESS/metrics (absent: none)
 *
 * [tls]                                 # this node's client certificate, and the CA mirrors' certificates chain to
 * cert = "/etc/locusfs/tls/node.crt"
 * key = "/etc/locusfs/tls/node.key"
 * ca = "/etc/locusfs/tls/ca.crt"
 *
 * [[mirror]]
 * name = "frankfurt"                    # for status, logs and metrics
 * address = "10.0.0.2:7443"
 * every = "1d"                          # ship the newest snapshot at most this often ("0": each new snapshot)
 * priority = 10                         # higher goes first when transfers queue
 * bandwidth = "20M"                     # bytes per second (absent: no limit)
 * compress = "zstd"                     # zstd, lz4 or none
 * mode = "sync"                         # "async" (the default) or "sync": fsync returns once this mirror holds the data
 * on_unreachable = "block"              # a sync mirror that does not answer: "block" fsync until it does, or "degrade"
 * </pre>
 */
public record ReplicationConfig(Path file, Path source, Path policy, int concurrent, Duration heartbeat, String metrics, Tls tls,
                                List<Mirror> mirrors) {
    private static final Set<String> TABLES = Set.of("replication", "tls", "mirror");
    private static final Set<String> REPLICATION_KEYS = Set.of("source", "policy", "concurrent", "heartbeat", "metrics");
    private static final Set<String> TLS_KEYS = Set.of("cert", "key", "ca", "crl");
    private static final Set<String> MIRROR_KEYS = Set.of("name", "address", "every", "priority", "bandwidth", "compress", "mode",
            "on_unreachable");

    /** One mirror: where it is and how to feed it. */
    public record Mirror(String name, String host, int port, Duration every, int priority, long bandwidth, Codec codec, Sync sync) {
        public String address() {
            return host + ":" + port;
        }
    }

    /** How an fsync on the origin waits for a mirror ({@code mode} and {@code on_unreachable}). */
    public enum Sync {
        /** Not at all: the mirror gets snapshots on its schedule ({@code mode = "async"}). */
        NONE,
        /** Until the mirror holds what the fsync made durable, waiting for it to come back if it does not answer. */
        BLOCK,
        /**
         * As {@link #BLOCK} while the mirror answers; when it does not, fsync returns without it,
         * the mirror shows as degraded, and it is brought up to date when it answers again.
         */
        DEGRADE;

        public boolean synchronous() {
            return this != NONE;
        }
    }

    public static ReplicationConfig load(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new ConfigFields.Invalid(file + ": no such file");
        }
        return parse(file, ConfigFields.readUtf8(file));
    }

    public static ReplicationConfig parse(Path file, String text) throws ConfigFields.Invalid {
        ConfigFields top = ConfigFields.top(file, text, TABLES, "[replication], [tls], [[mirror]]");
        TomlTable root = top.table();
        TomlTable replication = table(top, root, "replication");
        ConfigFields r = top.of(replication);
        known(r, replication, REPLICATION_KEYS, "[replication]");
        String policy = r.string("policy", null);
        int concurrent = (int) r.integer("concurrent", 2, 1, 64);
        Duration heartbeat = r.duration("heartbeat", Duration.ofSeconds(5));
        if (heartbeat.isZero()) {
            r.problem("heartbeat", "'heartbeat' must be more than 0");
        }
        String metrics = r.string("metrics", null);
        if (metrics != null && !metrics.matches("[^:]+:\\d{1,5}")) {
            r.problem("metrics", "'metrics' must be HOST:PORT, e.g. \"127.0.0.1:9187\"");
        }
        TomlTable tlsTable = table(top, root, "tls");
        ConfigFields t = top.of(tlsTable);
        known(t, tlsTable, TLS_KEYS, "[tls]");
        List<Mirror> mirrors = new ArrayList<>();
        if (root.contains("mirror") && !root.isArray("mirror")) {
            top.problem("mirror", "mirrors are [[mirror]] tables");
        } else if (root.contains("mirror")) {
            TomlArray array = root.getArray("mirror");
            Set<String> names = new HashSet<>();
            for (int i = 0; i < array.size(); i++) {
                TomlTable m = array.getTable(i);
                ConfigFields f = top.of(m);
                known(f, m, MIRROR_KEYS, "[[mirror]]");
                String name = f.string("name", null);
                String address = f.string("address", null);
                if (name == null || address == null) {
                    top.problemAtLine(array.inputPositionOf(i).line(), "each [[mirror]] needs a name and an address");
                    continue;
                }
                if (!names.add(name)) {
                    f.problem("name", "two mirrors are named '" + name + "'");
                }
                int colon = address.lastIndexOf(':');
                int port;
                try {
                    port = Integer.parseInt(address.substring(colon + 1));
                } catch (RuntimeException e) {
                    port = -1;
                }
                if (colon <= 0 || port <= 0 || port > 65535) {
                    f.problem("address", "'address' must be HOST:PORT, e.g. \"10.0.0.2:7443\"");
                    continue;
                }
                Codec codec;
                try {
                    codec = Codec.named(f.string("compress", "zstd"));
                } catch (IllegalArgumentException e) {
                    f.problem("compress", e.getMessage());
                    codec = Codec.ZSTD;
                }
                mirrors.add(new Mirror(name, address.substring(0, colon), port, f.duration("every", Duration.ZERO),
                        (int) f.integer("priority", 0, -1000, 1000), f.size("bandwidth"), codec, sync(f)));
            }
        }
        Tls tls = null;
        if (!mirrors.isEmpty()) {
            for (String key : List.of("cert", "key", "ca")) {
                if (t.string(key, null) == null) {
                    top.problemAtLine(0, "[tls] needs '" + key + "' (mirrors are reached over TLS with certificates)");
                }
            }
            top.check();
            tls = new Tls(resolve(file, t.string("cert", null)), resolve(file, t.string("key", null)),
                    resolve(file, t.string("ca", null)), t.string("crl", null) == null ? null : resolve(file, t.string("crl", null)));
        }
        String source = r.string("source", null);
        top.check();
        return new ReplicationConfig(file, source == null ? null : resolve(file, source), policy == null ? null : resolve(file, policy), concurrent, heartbeat, metrics, tls,
                List.copyOf(mirrors));
    }

    /** {@code mode} and {@code on_unreachable} of one mirror; a wrong value is a problem of its line. */
    private static Sync sync(ConfigFields f) {
        String mode = f.string("mode", "async");
        String unreachable = f.string("on_unreachable", null);
        if (!mode.equals("async") && !mode.equals("sync")) {
            f.problem("mode", "'mode' must be \"async\" or \"sync\", not \"" + mode + "\"");
            return Sync.NONE;
        }
        if (unreachable != null && !unreachable.equals("block") && !unreachable.equals("degrade")) {
            f.problem("on_unreachable", "'on_unreachable' must be \"block\" or \"degrade\", not \"" + unreachable + "\"");
            return Sync.NONE;
        }
        if (mode.equals("async")) {
            if (unreachable != null) {
                f.problem("on_unreachable", "'on_unreachable' applies to a mirror with mode = \"sync\" only");
            }
            return Sync.NONE;
        }
        return "degrade".equals(unreachable) ? Sync.DEGRADE : Sync.BLOCK;
    }

    /** Relative paths are relative to the configuration file's directory. */
    private static Path resolve(Path file, String path) {
        Path dir = file.toAbsolutePath().getParent();
        return dir.resolve(path).normalize();
    }

    private static TomlTable table(ConfigFields top, TomlTable root, String name) {
        if (!root.contains(name)) {
            return Toml.parse("");
        }
        if (!root.isTable(name)) {
            top.problem(name, "'" + name + "' must be a table ([" + name + "])");
            return Toml.parse("");
        }
        return root.getTable(name);
    }

    private static void known(ConfigFields fields, TomlTable table, Set<String> keys, String where) {
        fields.onlyKeys(keys, "unknown key '%s' in " + where + " (known: " + String.join(", ", keys.stream().sorted().toList()) + ")");
    }
}
