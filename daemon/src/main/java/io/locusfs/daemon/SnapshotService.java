package io.locusfs.daemon;

import io.locusfs.fuse.SnapshotRequests;
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
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshot operations as the mount daemon (over the control socket) and the offline command
 * line both run them: hooks around creation, committing open files first, refusing a rollback
 * under writers, compacting after a deletion, the schedule, retention thinning and the capacity
 * bound. The mount daemon serves them over the control socket ({@link ControlProtocol}), the
 * command line runs them on an unmounted store, so both give the same answers. Thread-safe:
 * operations are serialised.
 */
public final class SnapshotService implements SnapshotOperations, SnapshotRequests {
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
    private final Set<String> keptReported = new HashSet<>();

    public SnapshotService(Store store, Mount mount, StoreConfig config) {
        this.store = store;
        this.mount = mount;
        this.config = config;
        this.configTime = configFileTime();
    }

    public StoreConfig config() {
        return config;
    }

    @Override
    public synchronized Created create(String name, long timeNanos, boolean manual, boolean hooks) throws IOException {
        reloadIfChanged(); // A hook or grid just written to the file applies to this very command.
        Snapshots.Snapshot s = take(name, timeNanos == 0 ? nowNanos() : timeNanos, manual, hooks);
        return new Created(s.name(), s.epoch());
    }

    @Override
    public synchronized Listing list() {
        Snapshots snapshots = store.snapshots();
        List<Entry> entries = new ArrayList<>();
        for (Snapshots.Snapshot s : snapshots.list()) {
            entries.add(new Entry(s.name(), s.epoch(), s.createdNanos(), s.manual(), snapshots.uniqueBytes(s).blockBytes(),
                    snapshots.referencedBytes(s)));
        }
        return new Listing(entries, store.diskBytes(), store.tree().live().referencedBytes());
    }

    @Override
    public synchronized Deleted delete(String name) {
        long before = store.diskBytes();
        Snapshots.Freed freed = deleteOnRequest(name);
        return new Deleted(freed.versions(), freed.blockBytes(), before, store.diskBytes());
    }

    @Override
    public synchronized List<Diff.Change> diff(String from, String to) {
        if (to == null && mount != null) {
            mount.commitAll(); // The live side of the diff includes what was just written.
        }
        return store.snapshots().diff(from, to);
    }

    @Override
    public synchronized long rollback(String name, boolean force) {
        long restored = rollbackLive(name, force);
        store.compact();
        return restored;
    }

    @Override
    public synchronized List<Thinned> thin(long nowNanos, boolean dryRun) {
        reloadIfChanged();
        return thin(nowNanos == 0 ? Instant.now() : Instant.ofEpochSecond(0, nowNanos), dryRun);
    }

    /** Takes a manual snapshot now, hooks included: what {@code mkdir .snapshots/NAME} on the mount does. */
    @Override
    public synchronized Snapshots.Snapshot createOnRequest(String name) throws IOException {
        reloadIfChanged();
        return take(name, nowNanos(), true, true);
    }

    /** Deletes a snapshot and compacts the store: {@code rmdir .snapshots/NAME} (and {@code locusfs snapshot delete}). */
    @Override
    public synchronized Snapshots.Freed deleteOnRequest(String name) {
        store.snapshots().get(name); // a missing one is "no snapshot", not "in use"
        List<String> open = openIn(name);
        if (!open.isEmpty()) {
            String why = "snapshot '" + name + "' has open files: " + fewOf(open) + "; close them first";
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
    private Snapshots.Snapshot take(String name, long timeNanos, boolean manual, boolean hooks) throws IOException {
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
                    fewOf(open));
        }
        return true;
    }

    private Snapshots.Freed delete(String name, String why) {
        keptReported.remove(name);
        Snapshots.Freed freed = store.snapshots().delete(name);
        log.info("snapshot {} {}: {} versions freed ({} bytes of data)", name, why, freed.versions(), freed.blockBytes());
        return freed;
    }

    private long rollbackLive(String name, boolean force) {
        store.snapshots().get(name);
        if (mount != null) {
            List<String> writers = mount.filesOpenForWriting();
            if (!writers.isEmpty() && !force) {
                throw new StoreException(StoreException.Kind.BUSY, writers.size() + " file(s) are open for writing on "
                        + mount.mountPoint() + ": " + fewOf(writers)
                        + "; close them, or roll back with --force");
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
     * Applies the retention grid at {@code now}, then the capacity bound; returns the snapshots
     * deleted (or that would be, with {@code dryRun}).
     */
    private List<Thinned> thin(Instant now, boolean dryRun) {
        StoreConfig c = config;
        List<Thinned> thinned = new ArrayList<>();
        for (String name : c.retention().thin(store.snapshots().list(), now)) {
            if (dryRun) {
                thinned.add(new Thinned(name, "retention grid"));
            } else if (keptWhileOpen(name)) {
                continue;
            } else {
                thinned.add(new Thinned(name, "retention grid"));
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
                thinned.add(new Thinned(oldest.name(), "capacity bound"));
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
            long last = store.snapshots().list().stream().filter(s -> !s.manual() && !s.syncPoint())
                    .mapToLong(Snapshots.Snapshot::createdNanos).max().orElse(Long.MIN_VALUE);
            long nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
            if (last == Long.MIN_VALUE || nowNanos - last >= c.every().toNanos()) {
                String name = c.prefix() + "-" + STAMP.format(now);
                for (int n = 2; store.snapshots().find(name).isPresent(); n++) {
                    name = c.prefix() + "-" + STAMP.format(now) + "-" + n;
                }
                try {
                    take(name, nowNanos, false, true);
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
        if (Objects.equals(time, configTime)) {
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

    /** The first five of {@code files}, and an ellipsis when there are more: a message stays one readable line. */
    private static String fewOf(List<String> files) {
        return String.join(", ", files.subList(0, Math.min(5, files.size()))) + (files.size() > 5 ? ", …" : "");
    }

    private static long nowNanos() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
