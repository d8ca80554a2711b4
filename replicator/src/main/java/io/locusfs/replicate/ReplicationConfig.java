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
 *
 * [[mirror]]                            # an object store (S3 API): BUCKET.md describes what is kept there
 * name = "bucket-fra"
 * type = "s3"                           # "locusfs" (the default: a LocusFS mirror at 'address') or "s3"
 * endpoint = "https://s3.example:7480"  # the S3 endpoint (path-style requests)
 * bucket = "locusfs-backup"             # made if it does not exist, in 'region'
 * region = "eu-central-1"               # the bucket's region: checked against its location constraint
 * zone = "eu/de/frankfurt"              # where the bucket's data lives, for placement and 'locusfs where'
 * key = "bucket-fra.key"                # its encryption keys ('locusfs mirror key FILE' makes one; the first encrypts)
 * credentials = "s3.credentials"        # access_key and secret_key (absent: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
 * keep_all = "1d"                       # the bucket's retention grid, as [snapshots] in the store's config
 * daily = "30d"                         #   (absent: the bucket keeps every snapshot); what no kept snapshot
 * monthly = "365d"                      #   needs is deleted after each upload
 * </pre>
 */
public record ReplicationConfig(Path file, Path source, Path policy, int concurrent, Duration heartbeat, String metrics, Tls tls,
                                List<Mirror> mirrors) {
    private static final Set<String> TABLES = Set.of("replication", "tls", "mirror");
    private static final Set<String> REPLICATION_KEYS = Set.of("source", "policy", "concurrent", "heartbeat", "metrics");
    private static final Set<String> TLS_KEYS = Set.of("cert", "key", "ca", "crl");
    private static final Set<String> MIRROR_KEYS = Set.of("name", "address", "every", "priority", "bandwidth", "compress", "mode",
            "on_unreachable", "type", "endpoint", "bucket", "region", "zone", "key", "credentials", "keep_all", "hourly", "daily", "weekly",
            "monthly", "yearly");
    private static final List<String> GRID_KEYS = List.of("keep_all", "hourly", "daily", "weekly", "monthly", "yearly");
    private static final Set<String> BUCKET_ONLY_KEYS = Set.of("endpoint", "bucket", "region", "zone", "key", "credentials", "keep_all",
            "hourly", "daily", "weekly", "monthly", "yearly");

    /**
     * One mirror: where it is and how to feed it. {@code bucket} is null for a LocusFS mirror; for
     * an object store, {@code host} and {@code port} are its endpoint's.
     */
    public record Mirror(String name, String host, int port, Duration every, int priority, long bandwidth, Codec codec, Sync sync,
                         Bucket bucket) {
        public Mirror(String name, String host, int port, Duration every, int priority, long bandwidth, Codec codec, Sync sync) {
            this(name, host, port, every, priority, bandwidth, codec, sync, null);
        }

        public String address() {
            return bucket != null ? bucket.endpoint() + "/" + bucket.name() : host + ":" + port;
        }
    }

    /**
     * An object-store mirror: the bucket {@code name} at {@code endpoint}, in {@code region}
     * (null: whatever the store says), holding data of zone {@code zone}, encrypted with the keys
     * in {@code keyFile}, reached with the keys in {@code credentials} (null: the environment's).
     */
    public record Bucket(String endpoint, String name, String region, String zone, Path keyFile, Path credentials,
                         io.locusfs.store.Retention retention) {
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
                String type = f.string("type", "locusfs");
                if (!type.equals("locusfs") && !type.equals("s3")) {
                    f.problem("type", "'type' must be \"locusfs\" or \"s3\", not \"" + type + "\"");
                    continue;
                }
                if (name != null && !names.add(name)) {
                    f.problem("name", "two mirrors are named '" + name + "'");
                }
                Codec codec;
                try {
                    codec = Codec.named(f.string("compress", "zstd"));
                } catch (IllegalArgumentException e) {
                    f.problem("compress", e.getMessage());
                    codec = Codec.ZSTD;
                }
                if (type.equals("s3")) {
                    Mirror bucket = bucket(file, f, top, array.inputPositionOf(i).line(), name);
                    if (bucket != null) {
                        mirrors.add(bucket);
                    }
                    continue;
                }
                for (String key : BUCKET_ONLY_KEYS) {
                    if (m.contains(key)) {
                        f.problem(key, "'" + key + "' is for a mirror with type = \"s3\"");
                    }
                }
                String address = f.string("address", null);
                if (name == null || address == null) {
                    top.problemAtLine(array.inputPositionOf(i).line(), "each [[mirror]] needs a name and an address");
                    continue;
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
                mirrors.add(new Mirror(name, address.substring(0, colon), port, f.duration("every", Duration.ZERO),
                        (int) f.integer("priority", 0, -1000, 1000), f.size("bandwidth"), codec, sync(f)));
            }
        }
        Tls tls = null;
        if (mirrors.stream().anyMatch(m -> m.bucket() == null)) {
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

    /** A [[mirror]] with type = "s3" (null when it has problems, which {@code f} then holds). */
    private static Mirror bucket(Path file, ConfigFields f, ConfigFields top, int line, String name) {
        if (f.string("address", null) != null) {
            f.problem("address", "an object-store mirror has an 'endpoint', not an 'address'");
        }
        if (f.string("mode", null) != null || f.string("on_unreachable", null) != null) {
            f.problem(f.string("mode", null) != null ? "mode" : "on_unreachable",
                    "an object-store mirror is asynchronous: 'mode' and 'on_unreachable' are for LocusFS mirrors");
        }
        List<String> missing = new ArrayList<>();
        for (String key : List.of("name", "endpoint", "bucket", "zone", "key")) {
            if (f.string(key, null) == null) {
                missing.add(key);
            }
        }
        if (!missing.isEmpty()) {
            top.problemAtLine(line, "a [[mirror]] with type = \"s3\" needs " + String.join(", ", missing));
            return null;
        }
        java.net.URI endpoint;
        try {
            endpoint = java.net.URI.create(f.string("endpoint", null));
            if (endpoint.getHost() == null || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https"))) {
                throw new IllegalArgumentException();
            }
        } catch (RuntimeException e) {
            f.problem("endpoint", "'endpoint' must be an http:// or https:// URL, e.g. \"https://s3.example:7480\"");
            return null;
        }
        String bucket = f.string("bucket", null);
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            f.problem("bucket", "'bucket' must be 3-63 characters of a-z, 0-9, '.' and '-' (an S3 bucket name)");
        }
        String zone = f.string("zone", null);
        try {
            io.locusfs.xattr.ZonePath.parse(zone);
        } catch (IllegalArgumentException e) {
            f.problem("zone", "'zone': " + e.getMessage());
        }
        String credentials = f.string("credentials", null);
        io.locusfs.store.Retention retention = GRID_KEYS.stream().anyMatch(k -> f.table().contains(k))
                ? new io.locusfs.store.Retention(f.duration("keep_all", Duration.ZERO), f.duration("hourly", Duration.ZERO),
                        f.duration("daily", Duration.ZERO), f.duration("weekly", Duration.ZERO), f.duration("monthly", Duration.ZERO),
                        f.duration("yearly", Duration.ZERO), true)
                : io.locusfs.store.Retention.KEEP_EVERYTHING;
        int port = endpoint.getPort() > 0 ? endpoint.getPort() : endpoint.getScheme().equals("https") ? 443 : 80;
        if (f.string("compress", null) != null) {
            f.problem("compress", "an object-store mirror compresses each block with zstd (when that makes it smaller): 'compress' is for LocusFS mirrors");
        }
        // The stream goes no further than this process (the link stores its blocks): not compressed on the way.
        return new Mirror(name, endpoint.getHost(), port, f.duration("every", Duration.ZERO), (int) f.integer("priority", 0, -1000, 1000),
                f.size("bandwidth"), Codec.NONE, Sync.NONE, new Bucket(endpoint.toString().replaceAll("/+$", ""), bucket,
                f.string("region", null), zone, resolve(file, f.string("key", null)), credentials == null ? null : resolve(file, credentials), retention));
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
