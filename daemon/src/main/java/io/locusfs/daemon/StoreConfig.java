package io.locusfs.daemon;

import io.locusfs.policy.ConfigFields;
import io.locusfs.store.Retention;
import io.locusfs.store.Snapshots;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import org.tomlj.TomlTable;

/**
 * A store's configuration, {@code STORE/locusfs.toml} (TOML). Optional: a store without one
 * takes no automatic snapshots and keeps every snapshot. Only the {@code [snapshots]} table is
 * read here; docs/REFERENCE.md lists every key:
 *
 * <pre>
 * [snapshots]
 * every = "15m"            # take a snapshot this often ("0" or absent: never)
 * prefix = "auto"          # scheduled snapshots are named PREFIX-YYYYMMDD-HHMMSS (UTC)
 * keep_all = "1h"          # retention grid: keep everything this young,
 * hourly = "24h"           #   then one per hour for a day,
 * daily = "30d"            #   one per day for 30 days,
 * weekly = "0"             #   (no weekly tier),
 * monthly = "365d"         #   one per month for a year; older ones are thinned
 * yearly = "0"
 * thin_manual = false      # snapshots named by hand are kept unless this is true
 * max_store_size = "100G"  # drop the oldest scheduled snapshots while the store is bigger
 * pre_hook = "sqlite3 /srv/app.db '.backup /srv/app.db.snap'"  # run before each snapshot (sh -c)
 * post_hook = "rm -f /srv/app.db.snap"                         # always run after it
 * hook_timeout = "10m"
 * </pre>
 *
 * <p>Durations are a number and a unit: {@code s}, {@code m}, {@code h}, {@code d}, {@code w};
 * sizes a number and {@code K}, {@code M}, {@code G} or {@code T} (powers of 1024). An error names
 * the file, the line, the column and the problem; the caller keeps its previous configuration.
 *
 * @param every       the snapshot schedule; zero for none
 * @param prefix      the name prefix of scheduled snapshots
 * @param retention   the retention grid
 * @param maxStoreBytes the capacity bound; 0 for none
 * @param preHook     shell command run before each snapshot, empty for none
 * @param postHook    shell command run after each snapshot, empty for none
 * @param hookTimeout how long a hook may run before it is killed (and counts as failed)
 */
public record StoreConfig(Duration every, String prefix, Retention retention, long maxStoreBytes,
                          String preHook, String postHook, Duration hookTimeout) {
    public static final String FILE = "locusfs.toml";

    /** What a store without a configuration file does. */
    public static final StoreConfig DEFAULTS = new StoreConfig(Duration.ZERO, "auto", Retention.KEEP_EVERYTHING, 0,
            "", "", Duration.ofMinutes(10));

    private static final Set<String> SNAPSHOT_KEYS = Set.of("every", "prefix", "keep_all", "hourly", "daily", "weekly",
            "monthly", "yearly", "thin_manual", "max_store_size", "pre_hook", "post_hook", "hook_timeout");
    private static final Set<String> TABLES = Set.of("snapshots", "policy", "replication");

    /** The configuration of the store at {@code store}: its file, or the defaults when it has none. */
    public static StoreConfig load(Path store) throws IOException {
        Path file = store.resolve(FILE);
        return Files.exists(file) ? parse(file, ConfigFields.readUtf8(file)) : DEFAULTS;
    }

    /** Parses {@code text}, the contents of {@code file} (named in errors). */
    public static StoreConfig parse(Path file, String text) throws ConfigFields.Invalid {
        ConfigFields top = ConfigFields.top(file, text, TABLES, "snapshots, policy, replication");
        TomlTable root = top.table();
        if (!root.contains("snapshots") || !root.isTable("snapshots")) {
            if (root.contains("snapshots")) {
                top.problem("snapshots", "'snapshots' must be a table ([snapshots])");
            }
            top.check();
            return DEFAULTS;
        }
        TomlTable snapshots = root.getTable("snapshots");
        ConfigFields f = top.of(snapshots);
        f.onlyKeys(SNAPSHOT_KEYS, "unknown key '%s' in [snapshots] (known: " + String.join(", ", SNAPSHOT_KEYS.stream().sorted().toList()) + ")");
        boolean hasGrid = List.of("keep_all", "hourly", "daily", "weekly", "monthly", "yearly").stream().anyMatch(snapshots::contains);
        Retention retention = hasGrid
                ? new Retention(f.duration("keep_all", Duration.ZERO), f.duration("hourly", Duration.ZERO),
                        f.duration("daily", Duration.ZERO), f.duration("weekly", Duration.ZERO),
                        f.duration("monthly", Duration.ZERO), f.duration("yearly", Duration.ZERO), f.bool("thin_manual"))
                : new Retention(ChronoUnit.FOREVER.getDuration(), Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO,
                        Duration.ZERO, f.bool("thin_manual"));
        String prefix = f.string("prefix", DEFAULTS.prefix());
        try {
            Snapshots.checkName(prefix + "-20260101-000000");
        } catch (RuntimeException e) {
            f.problem("prefix", "prefix '" + prefix + "' does not make valid snapshot names");
        }
        StoreConfig config = new StoreConfig(f.duration("every", Duration.ZERO), prefix, retention, f.size("max_store_size"),
                f.string("pre_hook", ""), f.string("post_hook", ""), f.duration("hook_timeout", DEFAULTS.hookTimeout()));
        f.check();
        return config;
    }

    /** See {@link ConfigFields#parseDuration}. */
    public static Duration parseDuration(String text) {
        return ConfigFields.parseDuration(text);
    }
}
