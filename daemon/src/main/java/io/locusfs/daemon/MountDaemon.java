package io.locusfs.daemon;

import io.locusfs.fuse.AuditLog;
import io.locusfs.fuse.KernelMount;
import io.locusfs.fuse.Locations;
import io.locusfs.fuse.LocusFs;
import io.locusfs.fuse.PolicyGate;
import io.locusfs.fuse.SystemAccounts;
import io.locusfs.policy.PolicyException;
import io.locusfs.policy.PolicyFile;
import io.locusfs.replicate.ReplicaBook;
import io.locusfs.replicate.Replicator;
import io.locusfs.replicate.SelfHeal;
import io.locusfs.store.BlockRepair;
import io.locusfs.store.FarData;
import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import io.locusfs.store.StoreOptions;
import io.locusfs.translate.Translation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one mount in the foreground: opens the store, frees orphans left by a crash, serves FUSE
 * until unmounted (fusermount3 -u, locusfs umount, or SIGTERM), then commits and closes the store
 * so that nothing written before the unmount is lost. Writes {@code STORE/locusfs.pid} while it
 * runs so that {@code locusfs umount} can wait for the store to be closed.
 */
public final class MountDaemon {
    private static final Logger log = LoggerFactory.getLogger(MountDaemon.class);
    public static final String PID_FILE = Store.HOLDER_FILE;
    private static final int SIGHUP = 1;

    /** libc's signal(2); a null handler is SIG_DFL. */
    public interface Signals {
        Pointer signal(int signum, Pointer handler);
    }

    private static final Signals SIGNALS = LibraryLoader.create(Signals.class).failImmediately().load("c");
    private MountDaemon() {
    }

    /**
     * Mounts {@code storePath} at {@code mountPoint} and blocks until it is unmounted.
     *
     * @throws IOException when the store cannot be opened or the mount fails; nothing is changed then
     */
    /** How much a far read fetches past what it needs: a sequential reader pays one round trip per this much. */
    private static final int FAR_READAHEAD = 8 << 20;

    public static void run(Path storePath, Path mountPoint, StoreOptions options, List<String> extraOptions,
                           Path policyFile, Path auditFile, Path replicationConfig) throws IOException {
        run(storePath, mountPoint, options, extraOptions, policyFile, auditFile, replicationConfig, null, 0);
    }

    /**
     * As above, for a store that holds metadata only: the data of its files is read from
     * {@code far} as it is first read, and kept, up to about {@code farCacheBytes} (0: no bound;
     * see {@link FarData}) (a snapshot mounted from a mirror).
     */
    public static void run(Path storePath, Path mountPoint, StoreOptions options, List<String> extraOptions,
                           Path policyFile, Path auditFile, Path replicationConfig, FarData.Source far, long farCacheBytes)
            throws IOException {
        Store store = openStore(storePath, options);
        boolean readOnly = store.isReadOnly();
        // The holder file names the process that holds the store: a read-only mount holds nothing.
        Path pidFile = readOnly ? null : storePath.resolve(PID_FILE);
        CountDownLatch closed = new CountDownLatch(1);
        LocusFs fs;
        PolicyGate gate;
        ControlServer control;
        Replicator replicator = null;
        ScheduledExecutorService scheduler = null;
        try {
            int freed = readOnly ? 0 : store.tree().releaseAllOrphans();
            if (freed > 0) {
                log.info("freed {} files that were deleted while open when the store was last used", freed);
            }
            Locations locations = Locations.open(store, ino -> ReplicaBook.holding(store, ino).stream()
                    .map(r -> new Locations.Replica(r.name(), ReplicaBook.locationOf(r), r.snapshot())).toList());
            gate = policyGate(storePath, locations, policyFile, auditFile);
            fs = new LocusFs(store, locations, gate);
            if (far != null) {
                fs.readFarDataThrough(new FarData(store, far, FAR_READAHEAD, farCacheBytes));
            }
            LocusFs mounted = fs;
            SnapshotService snapshots = new SnapshotService(store, new SnapshotService.Mount() {
                @Override
                public void commitAll() {
                    mounted.commitAll();
                }

                @Override
                public List<String> filesOpenForWriting() {
                    return mounted.filesOpenForWriting();
                }

                @Override
                public List<String> filesOpenInSnapshot(String name) {
                    return mounted.filesOpenInSnapshot(name);
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
            // A read-only mount beside a read-write one leaves the control socket to the writer.
            control = readOnly && Store.mountedBy(storePath).isPresent() ? null : ControlServer.start(locations, snapshots, gate, new TranslationRequests(store,
                    new Translation(Translation.DEFAULT_CONCURRENT),
                    mounted::isOpen, mounted::commitAll, mounted::forgetAllCached));
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "locusfs-snapshots");
                t.setDaemon(true);
                return t;
            });
            if (!readOnly) {
                // The schedule, retention and config reload; a tick a second keeps "every = 10s" accurate and costs a stat.
                scheduler.scheduleWithFixedDelay(() -> snapshots.tick(Instant.now()), 1, 1, TimeUnit.SECONDS);
            }
            PolicyGate watched = gate;
            scheduler.scheduleWithFixedDelay(watched::reloadIfChanged, 1, 1, TimeUnit.SECONDS);
            if (gate.enforcing()) {
                // Started under nohup, the daemon inherits SIGHUP ignored, and the JVM silently declines
                // to handle an ignored signal: put the default back first, so that SIGHUP reloads.
                SIGNALS.signal(SIGHUP, null);
                sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> watched.reload());
            }
            if (replicationConfig != null) {
                // A configuration that cannot be used refuses the mount, naming its line; later broken edits are only logged.
                replicator = new Replicator(store, locations.node(), replicationConfig).start();
                // Self-heal: a block that fails its checksum here is read again from a mirror that holds it.
                fs.repairBlocksThrough(new BlockRepair(store, new SelfHeal(store, replicator)));
                // Synchronous mirrors: an fsync returns once they hold what it made durable.
                fs.waitForSyncMirrors(replicator.syncMirrors());
            }
            if (pidFile != null) {
                Files.writeString(pidFile, ProcessHandle.current().pid() + "\n" + mountPoint.toAbsolutePath() + "\n");
            }
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
            KernelMount.unmount(mountPoint);
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
            log.info("mounting {} at {} (location {}{})", storePath, mountPoint, store.location().zone(),
                    readOnly ? ", read-only" : "");
            KernelMount.serve(fs, storePath, mountPoint, extraOptions);
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

    /** Opens the store; a read-write mount of a store held elsewhere is refused with the way to look at it anyway. */
    private static Store openStore(Path storePath, StoreOptions options) throws IOException {
        try {
            return Store.open(storePath, options);
        } catch (StoreException e) {
            if (e.kind() == StoreException.Kind.BUSY) {
                throw new StoreException(e.kind(), e.getMessage()
                        + "; -o ro mounts it read-only beside that process", e);
            }
            throw e;
        }
    }

    /** The policy at the door: none without a policy file; a file that does not parse refuses the mount. */
    private static PolicyGate policyGate(Path storePath, Locations locations, Path policyFile, Path auditFile)
            throws IOException {
        if (policyFile == null) {
            return PolicyGate.open(locations);
        }
        SystemAccounts accounts = new SystemAccounts();
        PolicyFile policy;
        try {
            policy = PolicyFile.load(policyFile, accounts::groupNames);
        } catch (PolicyException e) {
            throw new IOException("the policy does not parse, nothing mounted:\n" + e.getMessage(), e);
        }
        Path audit = auditFile != null ? auditFile : storePath.resolve("audit.log");
        log.info("enforcing policy {} ({} access, {} placement rules); refusals go to {}", policyFile,
                policy.current().accessRules().size(), policy.current().placementRules().size(), audit);
        return new PolicyGate(policy, locations, accounts, new AuditLog(audit));
    }

    /** Stops the schedule and the control socket, commits and closes the store, then lets the signal handler go. */
    private static void closeAll(Store store, Path pidFile, Path mountPoint, CountDownLatch closed,
                                 ScheduledExecutorService scheduler, ControlServer control, LocusFs fs)
            throws IOException {
        try {
            scheduler.shutdown();
            if (!scheduler.awaitTermination(60, TimeUnit.SECONDS)) {
                log.warn("a snapshot task was still running at unmount");
            }
            if (control != null) {
                control.close();
            }
            fs.flushAll();
            store.close();
            if (pidFile != null) {
                Files.deleteIfExists(pidFile);
            }
            log.info("unmounted {}; store closed", mountPoint);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closed.countDown();
        }
    }
}
