package io.locusfs.fuse;

import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one mount in the foreground: opens the store, frees orphans left by a crash, serves FUSE
 * until unmounted (fusermount -u, locusfs umount, or SIGTERM), then commits and closes the store
 * so that nothing written before the unmount is lost. Writes {@code STORE/locusfs.pid} while it
 * runs so that {@code locusfs umount} can wait for the store to be closed.
 */
public final class MountDaemon {
    private static final Logger log = LoggerFactory.getLogger(MountDaemon.class);
    public static final String PID_FILE = "locusfs.pid";
    /**
     * Options every LocusFS mount gets; the user's -o options come after and may override.
     * attr_timeout=0: the kernel knows each hard link of a file as a separate node, so cached
     * attributes of one link would miss a change made through another (a stale link count).
     */
    static final List<String> DEFAULT_OPTIONS = List.of(
            "big_writes", "max_write=131072", "max_read=131072", "use_ino", "default_permissions",
            "allow_other", "hard_remove", "attr_timeout=0", "subtype=locusfs");

    /** FUSE worker threads: requests of different files (and readahead) proceed in parallel. */
    static final int WORKERS = 8;

    private MountDaemon() {
    }

    /** Asks the kernel to detach the mount (lazily, if busy), which ends the FUSE loop. */
    static void unmount(Path mountPoint) {
        try {
            Process p = new ProcessBuilder("fusermount", "-u", "-z", mountPoint.toAbsolutePath().toString())
                    .redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor() != 0) {
                log.error("fusermount -u {} failed: {}", mountPoint, output);
            }
        } catch (IOException e) {
            log.error("cannot run fusermount to unmount {}", mountPoint, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The FUSE option string for a mount of {@code store} with the user's extra options. */
    static String options(Path store, List<String> extra) {
        List<String> all = new ArrayList<>(DEFAULT_OPTIONS);
        all.add("fsname=" + store.toAbsolutePath().normalize().toString().replace("\\", "\\\\").replace(",", "\\,"));
        all.addAll(extra);
        return String.join(",", all);
    }

    /**
     * Mounts {@code storePath} at {@code mountPoint} and blocks until it is unmounted.
     *
     * @throws IOException when the store cannot be opened or the mount fails; nothing is changed then
     */
    public static void run(Path storePath, Path mountPoint, StoreOptions options, List<String> extraOptions,
                           Path policyFile, Path auditFile, Path replicationConfig) throws IOException {
        Store store = Store.open(storePath, options);
        Path pidFile = storePath.resolve(PID_FILE);
        CountDownLatch closed = new CountDownLatch(1);
        LocusFs fs;
        PolicyGate gate;
        ControlServer control;
        io.locusfs.replicate.Replicator replicator = null;
        java.util.concurrent.ScheduledExecutorService scheduler = null;
        try {
            int freed = store.tree().releaseAllOrphans();
            if (freed > 0) {
                log.info("freed {} files that were deleted while open when the store was last used", freed);
            }
            Locations locations = Locations.open(store);
            gate = policyGate(storePath, locations, policyFile, auditFile);
            fs = new LocusFs(store, locations, gate);
            LocusFs mounted = fs;
            SnapshotService snapshots = new SnapshotService(store, new SnapshotService.Mount() {
                @Override
                public void commitAll() {
                    mounted.commitAll();
                }

                @Override
                public int filesOpenForWriting() {
                    return mounted.filesOpenForWriting();
                }

                @Override
                public void reloadOpenFiles() {
                    mounted.reloadOpenFiles();
                }

                @Override
                public Path mountPoint() {
                    return mountPoint;
                }
            }, StoreConfig.load(storePath)); // A broken file refuses the mount, naming its line.
            fs.takeSnapshotsThrough(snapshots);
            control = ControlServer.start(locations, snapshots, gate, new TranslationRequests(store,
                    new io.locusfs.translate.Translation(io.locusfs.translate.Translation.DEFAULT_CONCURRENT),
                    mounted::isOpen, mounted::commitAll));
            scheduler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "locusfs-snapshots");
                t.setDaemon(true);
                return t;
            });
            // The schedule, retention and config reload; a tick a second keeps "every = 10s" accurate and costs a stat.
            scheduler.scheduleWithFixedDelay(() -> snapshots.tick(java.time.Instant.now()), 1, 1, TimeUnit.SECONDS);
            PolicyGate watched = gate;
            scheduler.scheduleWithFixedDelay(watched::reloadIfChanged, 1, 1, TimeUnit.SECONDS);
            if (gate.enforcing()) {
                sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> watched.reload());
            }
            if (replicationConfig != null) {
                // A configuration that cannot be used refuses the mount, naming its line; later broken edits are only logged.
                replicator = new io.locusfs.replicate.Replicator(store, locations.node(), replicationConfig).start();
            }
            Files.writeString(pidFile, ProcessHandle.current().pid() + "\n" + mountPoint.toAbsolutePath() + "\n");
        } catch (IOException | RuntimeException e) {
            if (scheduler != null) {
                scheduler.shutdownNow();
            }
            if (replicator != null) {
                replicator.close();
            }
            store.close();
            throw e;
        }
        Thread onSignal = new Thread(() -> {
            if (closed.getCount() == 0) {
                return; // Unmounted normally; the JVM is merely exiting.
            }
            log.info("signal received: unmounting {}", mountPoint);
            unmount(mountPoint);
            try {
                if (!closed.await(60, TimeUnit.SECONDS)) {
                    log.error("the store was not closed within 60 s of the signal");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "locusfs-shutdown");
        Runtime.getRuntime().addShutdownHook(onSignal);
        try {
            log.info("mounting {} at {} (location {})", storePath, mountPoint, store.location().zone());
            FuseLoop.serve(fs.operations(), mountPoint, List.of("-o", options(storePath, extraOptions)), WORKERS);
        } catch (RuntimeException | InterruptedException e) {
            throw new IOException("cannot mount " + storePath + " at " + mountPoint + ": " + e.getMessage(), e);
        } finally {
            if (replicator != null) {
                replicator.close(); // before the store closes: a transfer in flight stops, resumable
            }
            closeAll(store, pidFile, mountPoint, closed, scheduler, control, fs);
            try {
                gate.close();
            } catch (Exception e) {
                log.warn("closing the audit log: {}", e.getMessage());
            }
        }
    }

    /** The policy at the door: none without a policy file; a file that does not parse refuses the mount. */
    private static PolicyGate policyGate(Path storePath, Locations locations, Path policyFile, Path auditFile)
            throws IOException {
        if (policyFile == null) {
            return PolicyGate.open(locations);
        }
        SystemAccounts accounts = new SystemAccounts();
        io.locusfs.policy.PolicyFile policy;
        try {
            policy = io.locusfs.policy.PolicyFile.load(policyFile, accounts::groupNames);
        } catch (io.locusfs.policy.PolicyException e) {
            throw new IOException("the policy does not parse, nothing mounted:\n" + e.getMessage(), e);
        }
        Path audit = auditFile != null ? auditFile : storePath.resolve("audit.log");
        log.info("enforcing policy {} ({} access, {} placement rules); refusals go to {}", policyFile,
                policy.current().accessRules().size(), policy.current().placementRules().size(), audit);
        return new PolicyGate(policy, locations, accounts, new AuditLog(audit));
    }

    /** Stops the schedule and the control socket, commits and closes the store, then lets the signal handler go. */
    private static void closeAll(Store store, Path pidFile, Path mountPoint, CountDownLatch closed,
                                 java.util.concurrent.ScheduledExecutorService scheduler, ControlServer control, LocusFs fs)
            throws IOException {
        try {
            scheduler.shutdown();
            if (!scheduler.awaitTermination(60, TimeUnit.SECONDS)) {
                log.warn("a snapshot task was still running at unmount");
            }
            control.close();
            fs.flushAll();
            store.close();
            Files.deleteIfExists(pidFile);
            log.info("unmounted {}; store closed", mountPoint);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closed.countDown();
        }
    }
}
