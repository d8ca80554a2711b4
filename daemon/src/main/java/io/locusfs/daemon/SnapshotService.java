package io.locusfs.daemon;

import io.locusfs.store.Diff;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshot operations as the mount daemon (over the control socket) and the offline command
 * line both run them: hooks around creation, committing open files first, refusing a rollback
 * under writers, compacting after a deletion, the schedule, retention thinning and the capacity
 * bound. {@link #answer} speaks the control protocol's snapshot commands, so a mounted and an
 * unmounted store give the same answers. Thread-safe: operations are serialised.
 *
 * <p>Commands (tab-separated; answers one record per line, fields tab-separated, paths escaped
 * as in {@link ControlServer}):
 * <ul>
 *   <li>{@code snapshot-create NAME MANUAL(0|1) TIME_NS|"" HOOKS(0|1)} → {@code created NAME EPOCH}</li>
 *   <li>{@code snapshot-list} → {@code snapshot NAME EPOCH CREATED_NS MANUAL(0|1) UNIQUE_BYTES REFERENCED_BYTES}
 *       per snapshot, oldest first, then {@code store DISK_BYTES LIVE_REFERENCED_BYTES}</li>
 *   <li>{@code snapshot-delete NAME} → {@code freed VERSIONS BLOCK_BYTES DISK_BEFORE DISK_AFTER}</li>
 *   <li>{@code snapshot-diff FROM TO|""} → {@code SYMBOL TYPE PATH [NEW_PATH]} per change</li>
 *   <li>{@code snapshot-rollback NAME FORCE(0|1)} → {@code restored KEYS}</li>
 *   <li>{@code snapshot-thin NOW_NS|"" DRY_RUN(0|1)} → {@code thinned NAME REASON} per snapshot</li>
 * </ul>
 */
public final class SnapshotService implements io.locusfs.fuse.SnapshotRequests {
    private static final Logger log = LoggerFactory.getLogger(SnapshotService.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    /** What a running mount contributes; absent for an unmounted store. */
    public interface Mount {
        /** Commits every buffered write (before a snapshot). */
        void commitAll();

        /** The files open for writing, each as "PATH (pid N, COMMAND)". */
        List<String> filesOpenForWriting();

        /** The files open in snapshot {@code name}, each as "PATH (pid N, COMMAND)": it is not deleted under them. */
        List<String> filesOpenInSnapshot(String name);

        /** Lets open files read their inodes again after a rollback. */
        void reloadOpenFiles();

        Path mountPoint();
    }

    private final Store store;
    private final Mount mount;
    private volatile StoreConfig config;
    private FileTime configTime;
    /** Snapshots due to go that are kept while files are open in them, reported once each. */
    private final java.util.Set<String> keptReported = new java.util.HashSet<>();

    public SnapshotService(Store store, Mount mount, StoreConfig config) {
        this.store = store;
        this.mount = mount;
        this.config = config;
        this.configTime = configFileTime();
    }

    public StoreConfig config() {
        return config;
    }

    /** Answers one snapshot command of the control protocol. */
    public synchronized List<String> answer(String[] request) throws IOException {
        reloadIfChanged(); // A hook or grid just written to the file applies to this very command.
        Snapshots snapshots = store.snapshots();
        switch (request[0]) {
            case "snapshot-create" -> {
                arguments(request, 5);
                long time = request[3].isEmpty() ? nowNanos() : Long.parseLong(request[3]);
                Snapshots.Snapshot s = create(request[1], time, request[2].equals("1"), request[4].equals("1"));
                return List.of("created\t" + s.name() + "\t" + s.epoch());
            }
            case "snapshot-list" -> {
                arguments(request, 1);
                List<String> lines = new ArrayList<>();
                for (Snapshots.Snapshot s : snapshots.list()) {
                    lines.add(String.join("\t", "snapshot", s.name(), Long.toString(s.epoch()), Long.toString(s.createdNanos()),
                            s.manual() ? "1" : "0", Long.toString(snapshots.uniqueBytes(s).blockBytes()),
                            Long.toString(snapshots.referencedBytes(s))));
                }
                lines.add("store\t" + store.diskBytes() + "\t" + store.tree().live().referencedBytes());
                return lines;
            }
            case "snapshot-delete" -> {
                arguments(request, 2);
                long before = store.diskBytes();
                Snapshots.Freed freed = deleteOnRequest(request[1]);
                return List.of(String.join("\t", "freed", Long.toString(freed.versions()), Long.toString(freed.blockBytes()),
                        Long.toString(before), Long.toString(store.diskBytes())));
            }
            case "snapshot-diff" -> {
                arguments(request, 3);
                if (request[2].isEmpty() && mount != null) {
                    mount.commitAll(); // The live side of the diff includes what was just written.
                }
                List<String> lines = new ArrayList<>();
                for (Diff.Change c : snapshots.diff(request[1], request[2].isEmpty() ? null : request[2])) {
                    lines.add(c.kind().symbol + "\t" + c.type() + "\t" + ControlServer.escape(c.path())
                            + (c.to() == null ? "" : "\t" + ControlServer.escape(c.to())));
                }
                return lines;
            }
            case "snapshot-rollback" -> {
                arguments(request, 3);
                long restored = rollback(request[1], request[2].equals("1"));
                store.compact();
                return List.of("restored\t" + restored);
            }
            case "snapshot-thin" -> {
                arguments(request, 3);
                Instant now = request[1].isEmpty() ? Instant.now() : Instant.ofEpochSecond(0, Long.parseLong(request[1]));
                return thin(now, request[2].equals("1")).stream().map(t -> "thinned\t" + t).toList();
            }
            default -> throw new IllegalArgumentException("unknown snapshot command '" + request[0] + "'");
        }
    }

    /** Takes a manual snapshot now, hooks included: what {@code mkdir .snapshots/NAME} on the mount does. */
    @Override
    public synchronized Snapshots.Snapshot createOnRequest(String name) throws IOException {
        reloadIfChanged();
        return create(name, nowNanos(), true, true);
    }

    /** Deletes a snapshot and compacts the store: {@code rmdir .snapshots/NAME} (and {@code locusfs snapshot delete}). */
    @Override
    public synchronized Snapshots.Freed deleteOnRequest(String name) {
        store.snapshots().get(name); // a missing one is "no snapshot", not "in use"
        List<String> open = openIn(name);
        if (!open.isEmpty()) {
            String why = "snapshot '" + name + "' has open files: " + String.join(", ", open.subList(0, Math.min(5, open.size())))
                    + (open.size() > 5 ? ", …" : "") + "; close them first";
            log.info("deleting snapshot {} refused: {}", name, why); // the operator wants to know who
            throw new StoreException(StoreException.Kind.BUSY, why);
        }
        Snapshots.Freed freed = delete(name, "deleted on request");
        store.compact();
        return freed;
    }

    /**
     * Takes a snapshot: pre-hook (its failure aborts, with its message), open files committed,
     * the snapshot itself, then the post-hook, which runs whenever the pre-hook ran.
     */
    private Snapshots.Snapshot create(String name, long timeNanos, boolean manual, boolean hooks) throws IOException {
        Snapshots.checkName(name);
        if (store.snapshots().find(name).isPresent()) {
            throw new StoreException(StoreException.Kind.EXISTS, "snapshot '" + name + "' already exists");
        }
        boolean runHooks = hooks && !config.preHook().isEmpty();
        try {
            if (runHooks) {
                Hook result = runHook("pre-snapshot", config.preHook(), name);
                if (result.exit() != 0) {
                    throw new IOException("the pre-snapshot hook failed (exit " + result.exit() + "), snapshot '" + name
                            + "' not taken: " + result.output());
                }
            }
            if (mount != null) {
                mount.commitAll();
            }
            Snapshots.Snapshot s = store.snapshots().create(name, timeNanos, manual);
            log.info("snapshot {} taken (epoch {}{})", name, s.epoch(), manual ? "" : ", scheduled");
            return s;
        } finally {
            if (hooks && !config.postHook().isEmpty()) {
                Hook result = runHook("post-snapshot", config.postHook(), name);
                if (result.exit() != 0) {
                    log.warn("the post-snapshot hook of {} failed (exit {}): {}", name, result.exit(), result.output());
                }
            }
        }
    }

    private List<String> openIn(String snapshot) {
        return mount == null ? List.of() : mount.filesOpenInSnapshot(snapshot);
    }

    /** True, and logged, when files are open in {@code name}: the schedule deletes it on a later turn. */
    private boolean keptWhileOpen(String name) {
        List<String> open = openIn(name);
        if (open.isEmpty()) {
            return false;
        }
        if (keptReported.add(name)) { // once, not at every turn of the schedule
            log.info("snapshot {} is due to go but kept for now: files are open in it ({})", name,
                    String.join(", ", open.subList(0, Math.min(5, open.size()))));
        }
        return true;
    }

    private Snapshots.Freed delete(String name, String why) {
        keptReported.remove(name);
        Snapshots.Freed freed = store.snapshots().delete(name);
        log.info("snapshot {} {}: {} versions freed ({} bytes of data)", name, why, freed.versions(), freed.blockBytes());
        return freed;
    }

    private long rollback(String name, boolean force) {
        store.snapshots().get(name);
        if (mount != null) {
            List<String> writers = mount.filesOpenForWriting();
            if (!writers.isEmpty() && !force) {
                throw new StoreException(StoreException.Kind.BUSY, writers.size() + " file(s) are open for writing on "
                        + mount.mountPoint() + ": " + String.join(", ", writers.subList(0, Math.min(5, writers.size())))
                        + (writers.size() > 5 ? ", …" : "") + "; close them, or roll back with --force");
            }
            mount.commitAll();
        }
        long restored = store.snapshots().rollback(name);
        if (mount != null) {
            mount.reloadOpenFiles();
        }
        log.info("live tree rolled back to snapshot {} ({} keys restored)", name, restored);
        return restored;
    }

    /**
     * Applies the retention grid at {@code now}, then the capacity bound; returns one
     * {@code NAME<TAB>REASON} per snapshot deleted (or that would be, with {@code dryRun}).
     */
    private List<String> thin(Instant now, boolean dryRun) {
        StoreConfig c = config;
        List<String> thinned = new ArrayList<>();
        for (String name : c.retention().thin(store.snapshots().list(), now)) {
            if (dryRun) {
                thinned.add(name + "\tretention grid");
            } else if (keptWhileOpen(name)) {
                continue;
            } else {
                thinned.add(name + "\tretention grid");
                delete(name, "thinned by the retention grid");
            }
        }
        if (c.maxStoreBytes() > 0 && !dryRun) {
            if (!thinned.isEmpty()) {
                store.compact();
            }
            for (int round = 0; round < 1000 && store.diskBytes() > c.maxStoreBytes(); round++) {
                Snapshots.Snapshot oldest = c.retention().nextToDropForSpace(store.snapshots().list());
                if (oldest == null) {
                    log.warn("the store uses {} bytes, over its bound of {}, and no snapshot may be dropped",
                            store.diskBytes(), c.maxStoreBytes());
                    break;
                }
                if (keptWhileOpen(oldest.name())) {
                    break;
                }
                thinned.add(oldest.name() + "\tcapacity bound");
                delete(oldest.name(), "dropped to keep the store under " + c.maxStoreBytes() + " bytes");
                store.compact();
            }
        } else if (!thinned.isEmpty() && !dryRun) {
            store.compact();
        }
        return thinned;
    }

    /**
     * One turn of the schedule: reloads the configuration if its file changed (a broken one is
     * logged and the old one kept), takes a snapshot when one is due, and thins.
     */
    public synchronized void tick(Instant now) {
        reloadIfChanged();
        StoreConfig c = config;
        if (!c.every().isZero()) {
            long last = store.snapshots().list().stream().filter(s -> !s.manual())
                    .mapToLong(Snapshots.Snapshot::createdNanos).max().orElse(Long.MIN_VALUE);
            long nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
            if (last == Long.MIN_VALUE || nowNanos - last >= c.every().toNanos()) {
                String name = c.prefix() + "-" + STAMP.format(now);
                for (int n = 2; store.snapshots().find(name).isPresent(); n++) {
                    name = c.prefix() + "-" + STAMP.format(now) + "-" + n;
                }
                try {
                    create(name, nowNanos, false, true);
                } catch (IOException | RuntimeException e) {
                    log.error("scheduled snapshot {} failed: {}", name, e.getMessage());
                }
            }
        }
        try {
            thin(now, false);
        } catch (RuntimeException e) {
            log.error("thinning snapshots failed: {}", e.getMessage(), e);
        }
    }

    private void reloadIfChanged() {
        FileTime time = configFileTime();
        if (java.util.Objects.equals(time, configTime)) {
            return;
        }
        configTime = time;
        try {
            config = StoreConfig.load(store.path());
            log.info("configuration reloaded from {}", store.path().resolve(StoreConfig.FILE));
        } catch (IOException e) {
            log.error("configuration not reloaded, the previous one stays in force: {}", e.getMessage());
        }
    }

    private FileTime configFileTime() {
        try {
            return Files.getLastModifiedTime(store.path().resolve(StoreConfig.FILE));
        } catch (IOException e) {
            return null;
        }
    }

    /** The outcome of a hook: its exit status (-1 when killed after the timeout) and the end of its output. */
    private record Hook(int exit, String output) {
    }

    private Hook runHook(String which, String command, String snapshot) {
        Path output = null;
        try {
            output = Files.createTempFile("locusfs-hook", ".out");
            ProcessBuilder pb = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true)
                    .redirectOutput(output.toFile());
            pb.environment().put("LOCUSFS_SNAPSHOT", snapshot);
            pb.environment().put("LOCUSFS_STORE", store.path().toAbsolutePath().toString());
            if (mount != null) {
                pb.environment().put("LOCUSFS_MOUNT", mount.mountPoint().toAbsolutePath().toString());
            }
            Process p = pb.start();
            p.getOutputStream().close();
            if (!p.waitFor(config.hookTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return new Hook(-1, "killed after " + config.hookTimeout().toSeconds() + " s");
            }
            String text = new String(Files.readAllBytes(output), StandardCharsets.UTF_8).strip();
            log.info("{} hook for {} exited {}{}", which, snapshot, p.exitValue(), text.isEmpty() ? "" : ": " + text);
            return new Hook(p.exitValue(), text.length() > 2000 ? text.substring(text.length() - 2000) : text);
        } catch (IOException e) {
            return new Hook(127, "cannot run '" + command + "': " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Hook(-1, "interrupted");
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException e) {
                    log.debug("cannot remove {}: {}", output, e.getMessage());
                }
            }
        }
    }

    private static long nowNanos() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static void arguments(String[] request, int count) {
        if (request.length != count) {
            throw new IllegalArgumentException(request[0] + " takes " + (count - 1) + " arguments, got " + (request.length - 1));
        }
    }
}
