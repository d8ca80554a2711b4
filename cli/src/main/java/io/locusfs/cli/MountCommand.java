package io.locusfs.cli;

import io.locusfs.daemon.MountDaemon;
import io.locusfs.fuse.MountTable;
import io.locusfs.policy.ConfigFields;
import io.locusfs.replicate.ReplicationConfig;
import io.locusfs.store.FarData;
import io.locusfs.store.Store;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "mount",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        header = "Mount a store.",
        description = {
            "Mounts STORE at MOUNTPOINT with FUSE. Without --foreground the command returns once "
                + "the mount is ready and the daemon keeps running in the background, logging to "
                + "STORE/locusfs.log.",
            "",
            "The mount ends with 'locusfs umount MOUNTPOINT', 'fusermount3 -u MOUNTPOINT' or SIGTERM "
                + "to the daemon; each commits every buffered write and closes the store cleanly.",
            "",
            "Refused, with nothing changed: a missing or non-empty MOUNTPOINT, a path that is not "
                + "a store, a store written by a newer locusfs, a store that is already mounted.",
            "",
            "-o ro mounts read-only, which works while another process holds the store (a mirror "
                + "serving it, or a read-write mount): the mount shows the store as it was when "
                + "mounted (remount to see snapshots received since), takes no scheduled snapshot and "
                + "refuses every change with EROFS.",
            "",
            "--from MIRROR[:SNAPSHOT] mounts a mirror's snapshot instead (MIRROR: a [[mirror]] of --replicate's "
                + "config, which then only names it, or HOST:PORT with --tls-cert, --tls-key and --ca), read-only and at "
                + "once: the snapshot's metadata is fetched into a cache store (--cache), every file's data from the "
                + "mirror the first time it is read (checked against its CRC32C), then kept there, so a second read, "
                + "or a mount of the same cache later, is local. Files show the mirror's zone in user.location. A read "
                + "the mirror cannot answer fails with EIO and is logged; nothing unchecked is returned.",
            "",
            "Every mount uses libfuse 3's low-level API with default_permissions (the kernel checks "
                + "mode bits) and allow_other (every user sees the files, subject to permissions and "
                + "policy). The kernel keeps names, attributes and pages in its caches, and writes in "
                + "its page cache (writeback), in requests of up to 1 MiB; the daemon tells it what to "
                + "forget when something changes behind it (a rollback, an import). "
                + "-o entry_timeout=S,attr_timeout=S set how long names and attributes are kept "
                + "(60 s by default).",
            "",
            "Example:",
            "  locusfs mount /srv/store /mnt/locus",
            "  locusfs mount /srv/store /mnt/locus --policy /etc/locusfs/policy.toml",
            "  locusfs mount -o ro /srv/mirror-store /mnt/replica",
            "  locusfs mount --from paris:nightly-3 \\",
            "      --replicate /etc/locusfs/replication.toml /mnt/paris"})
final class MountCommand implements Callable<Integer> {

    @Parameters(arity = "1..2", paramLabel = "[STORE] MOUNTPOINT",
            description = "The store to mount (none with --from), and an existing, empty directory.")
    List<Path> paths;

    /** The store mounted (with --from, the cache store), and where. */
    private Path store;
    private Path mountPoint;

    @Mixin
    MirrorSource mirrorSource;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "With --from: the store that keeps what was read from the mirror (default: a directory under "
                    + "/var/cache/locusfs named after the mirror and snapshot; mounting the same again reuses it).")
    Path cache;

    @Option(names = "--cache-size", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "With --from: keep about this much of the mirror's data in the cache store (e.g. 20G); past it, "
                    + "the files read least recently and not open are dropped, to be fetched again if read (default 0: "
                    + "no bound). What earlier mounts fetched counts, and is dropped once read again.")
    Long cacheSize;

    @Option(names = "--far-wait", paramLabel = "DURATION", defaultValue = "0",
            description = "With --from: how long a read waits for a mirror that does not answer, trying again every "
                    + "second, before it fails with EIO (e.g. 30s, 5m; default 0: at once).")
    String farWait;

    @Option(names = "--foreground", description = "Stay in the foreground until unmounted.")
    boolean foreground;

    @Option(names = "-o", paramLabel = "OPTIONS", split = ",",
            description = "Extra mount options, comma-separated (e.g. ro, nonempty, attr_timeout=5).")
    List<String> fuseOptions = new ArrayList<>();

    @Option(names = "--policy", paramLabel = "FILE",
            description = "Enforce the location policy in FILE (see 'locusfs policy check --help' and docs/REFERENCE.md). "
                    + "The mount reloads it when it changes and on SIGHUP; a broken new version is logged and the "
                    + "previous one stays in force.")
    Path policy;

    @Option(names = "--audit", paramLabel = "FILE",
            description = "Where refusals are recorded, one JSON object per line (default: STORE/audit.log).")
    Path audit;

    @Option(names = "--replicate", paramLabel = "CONFIG",
            description = "Replicate this store to the mirrors in CONFIG while mounted (see 'locusfs replicate --help'). "
                    + "CONFIG is watched: mirrors added, removed or changed take effect without a remount.")
    Path replicate;

    @picocli.CommandLine.Mixin
    StoreMemoryOptions memory;

    /** With --from, the snapshot found to mount: the daemon mounts the same one, even if the mirror has a newer one by then. */
    private String farSnapshot;

    @Override
    public Integer call() throws Exception {
        boolean far = mirrorSource.from != null;
        ConfigFields.parseDuration(farWait); // a bad one refused before anything is fetched
        if (!far && (!farWait.equals("0") || cacheSize != null)) {
            throw new IllegalArgumentException("--far-wait and --cache-size apply to a mount --from a mirror only");
        }
        if (paths.size() != (far ? 1 : 2)) {
            throw new IllegalArgumentException(far ? "with --from, give only MOUNTPOINT: the files come from the mirror"
                    : "give STORE and MOUNTPOINT (or --from MIRROR and MOUNTPOINT)");
        }
        mountPoint = paths.get(paths.size() - 1);
        checkMountPoint();
        FarMount farMount = null;
        if (far) {
            ReplicationConfig config = replicate == null ? null : ReplicationConfig.load(replicate);
            farMount = FarMount.prepare(mirrorSource.resolve(config, "--replicate"), cache, !foreground);
            store = farMount.cache();
            farSnapshot = farMount.snapshot();
            if (!fuseOptions.contains("ro")) {
                fuseOptions.add("ro"); // the kernel refuses changes; the cache store under it stays writable for what is fetched
            }
        } else {
            store = paths.get(0);
        }
        Store.checkFormat(store); // Refuse before forking, so the user sees why.
        if (policy != null) {
            PolicyCommand.checkOrThrow(policy);
        }
        if (replicate != null && readOnly() && !far) {
            throw new IllegalArgumentException("--replicate needs a writable mount (replication records each "
                    + "mirror's acknowledgement in the store); drop -o ro or --replicate");
        }
        if (replicate != null && !far) {
            ReplicationConfig.load(replicate); // refuse a broken one before forking, naming its line
        }
        if (foreground && far) {
            try (FarMount open = farMount) {
                // Bulk: what is fetched is written without the log (written once, not twice); a crash loses
                // at most what came since the last flush, which is fetched again: the cache stays consistent.
                MountDaemon.run(store, mountPoint, memory.options(StoreMemoryOptions.MOUNT_BLOCK_CACHE).asBulk(), fuseOptions,
                        policy == null ? null : policy.toAbsolutePath(), audit == null ? null : audit.toAbsolutePath(), null,
                        FarData.patient(open.source(), ConfigFields.parseDuration(farWait)), cacheSize == null ? 0 : cacheSize);
            }
            return 0;
        }
        if (far) {
            farMount.close(); // the daemon opens its own link
        }
        if (foreground) {
            var options = memory.options(StoreMemoryOptions.MOUNT_BLOCK_CACHE);
            MountDaemon.run(store, mountPoint, readOnly() ? options.asReadOnly() : options, fuseOptions,
                    policy == null ? null : policy.toAbsolutePath(), audit == null ? null : audit.toAbsolutePath(),
                    replicate == null ? null : replicate.toAbsolutePath());
            return 0;
        }
        return startDaemon();
    }

    /** {@code -o ro}: the mount, and the store under it, are read-only. */
    private boolean readOnly() {
        return fuseOptions.contains("ro");
    }

    private void checkMountPoint() throws IOException {
        if (!Files.exists(mountPoint)) {
            throw new IllegalArgumentException("mount point " + mountPoint + " does not exist; create it with mkdir");
        }
        if (!Files.isDirectory(mountPoint)) {
            throw new IllegalArgumentException("mount point " + mountPoint + " is not a directory");
        }
        var existing = MountTable.at(mountPoint);
        if (existing.isPresent()) {
            throw new IllegalArgumentException(mountPoint + " is already a mount point (" + existing.get().type()
                    + " from " + existing.get().source() + ")");
        }
        if (!fuseOptions.contains("nonempty")) {
            try (var entries = Files.list(mountPoint)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException("mount point " + mountPoint
                            + " is not empty (use -o nonempty to mount over its files)");
                }
            }
        }
    }

    /** Starts this same command with --foreground in a new session and waits until it has mounted. */
    private int startDaemon() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(Arrays.asList(Launcher.command()));
        command.addAll(List.of("mount", "--foreground"));
        if (mirrorSource.from != null) {
            command.addAll(mirrorSource.arguments(farSnapshot));
            command.addAll(List.of("--cache", store.toAbsolutePath().toString(), "--far-wait", farWait));
            if (cacheSize != null) {
                command.addAll(List.of("--cache-size", Long.toString(cacheSize)));
            }
        } else {
            command.add(store.toString());
        }
        command.addAll(List.of(mountPoint.toString(),
                "--block-cache", Long.toString(memory.blockCache(StoreMemoryOptions.MOUNT_BLOCK_CACHE)),
                "--memtable-budget", Long.toString(memory.memtables)));
        if (!fuseOptions.isEmpty()) {
            command.add("-o");
            command.add(String.join(",", fuseOptions));
        }
        if (policy != null) {
            command.addAll(List.of("--policy", policy.toAbsolutePath().toString()));
        }
        if (audit != null) {
            command.addAll(List.of("--audit", audit.toAbsolutePath().toString()));
        }
        if (replicate != null) {
            command.addAll(List.of("--replicate", replicate.toAbsolutePath().toString()));
        }
        command.add(0, "setsid");
        Path logFile = store.resolve("locusfs.log");
        long logStart = Files.exists(logFile) ? Files.size(logFile) : 0;
        Process daemon = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectErrorStream(true)
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            var mounted = MountTable.at(mountPoint);
            if (mounted.isPresent() && mounted.get().type().equals(MountTable.FS_TYPE)) {
                System.out.println("mounted " + store + " at " + mountPoint + " (daemon pid " + daemon.pid()
                        + ", log " + logFile + ")\nunmount with: locusfs umount " + mountPoint);
                return 0;
            }
            if (daemon.waitFor(100, TimeUnit.MILLISECONDS)) {
                String log = new String(Files.readAllBytes(logFile)).substring((int) logStart).trim();
                System.err.println("locusfs mount: the mount daemon exited with status " + daemon.exitValue()
                        + (log.isEmpty() ? "" : ":\n" + log));
                return 1;
            }
        }
        daemon.destroy();
        System.err.println("locusfs mount: the mount was not ready within 60 s; see " + logFile);
        return 1;
    }
}
