package io.locusfs.replicate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.locusfs.policy.Policy;
import io.locusfs.policy.PolicyException;
import io.locusfs.policy.PolicyFile;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.store.SyncMirrors;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.NodeIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replication daemon for one store: ships the store's newest snapshot to each configured
 * mirror, as the change since the snapshot the mirror last acknowledged, on each mirror's own
 * rhythm. Mirrors are asked whether they are there every heartbeat; one that does not answer is
 * marked down and its transfers wait; when it answers again they start by themselves, the ones
 * that failed most first. A failed transfer is retried with exponential backoff, and resumes
 * where the mirror's durable frames end. The configuration file is watched: mirrors added,
 * removed or changed take effect within a second, a broken file changes nothing. A mirror whose
 * zone changed gets a full stream made for its new zone (placement checked again); a changed
 * certificate is reported. Status goes to a JSON file ({@code locusfs status}) and, if
 * configured, Prometheus metrics. Runs where the store is open: the mount daemon, a mirror's
 * server, or {@code locusfs replicate} on an unmounted store.
 */
public final class Replicator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Replicator.class);
    public static final String STATUS_FILE = "replication.status.json";
    private static final long TICK_MILLIS = 250;
    private static final int CONNECT_TIMEOUT_MILLIS = 5000;

    private final Store store;
    private final NodeIdentity identity;
    private final Path configFile;
    private final Path statusFile;
    /** One job per configured mirror, in configuration order. */
    private final Map<String, MirrorJob> mirrors = new LinkedHashMap<>();
    private final ExecutorService heartbeats = Executors.newCachedThreadPool(daemonThreads("replication-heartbeat"));
    private final ExecutorService transfers = Executors.newCachedThreadPool(daemonThreads("replication-transfer"));
    private final Thread scheduler;
    /** Wakes the scheduler when a snapshot is taken, so it is shipped at once rather than at the next tick. */
    private final Semaphore wakeups = new Semaphore(0);
    private final Consumer<Snapshots.Snapshot> onSnapshot = snapshot -> wakeups.release();
    /** Links of transfers in progress, aborted at close so that none outlives the store. */
    final Set<MirrorLink> inFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private ReplicationConfig config;
    private FileTime configTime;
    private PolicyFile policy;
    private SSLContext tlsContext;
    private long tlsFiles;
    private MetricsServer metrics;
    private long lastStatusWrite;
    private final SyncRounds syncRounds;

    /**
     * Starts replicating {@code store} as {@code configFile} says.
     *
     * @throws IOException when the configuration (or its policy or TLS files) cannot be used
     */
    public Replicator(Store store, NodeIdentity identity, Path configFile) throws IOException {
        this.store = store;
        this.identity = identity;
        this.configFile = configFile.toAbsolutePath();
        this.statusFile = store.path().resolve(STATUS_FILE);
        this.syncRounds = new SyncRounds(this, store, transfers);
        apply(ReplicationConfig.load(this.configFile));
        this.scheduler = new Thread(this::run, "replication-scheduler");
        scheduler.setDaemon(true);
    }

    /** Starts the daemon: heartbeats, schedules, config watching, until {@link #close}. */
    public Replicator start() {
        store.snapshots().addListener(onSnapshot);
        scheduler.start();
        log.info("replicating {} to {} mirror(s) as {} says", store.path(), mirrors.size(), configFile);
        return this;
    }

    /**
     * Replicates the newest snapshot to every mirror once, in this thread, one mirror after the
     * other, whatever the schedule (for cron, scripts and benchmarks).
     *
     * @return the mirrors that did not get it (down, or the transfer failed), by name
     */
    public List<String> once() {
        List<String> failed = new ArrayList<>();
        Optional<Snapshots.Snapshot> newest = scheduled(store);
        if (newest.isEmpty()) {
            log.warn("{} has no snapshot to replicate", store.path());
            return failed;
        }
        List<MirrorJob> all;
        synchronized (this) {
            all = List.copyOf(mirrors.values());
        }
        for (MirrorJob job : all) {
            job.heartbeat();
            MirrorState s = job.state();
            if (s.state == MirrorState.Link.UP && lacks(store, s, newest.get())) {
                job.transfer(newest.get().name());
            }
            if (lacks(store, s, newest.get())) {
                failed.add(s.config.name());
            }
        }
        writeStatus();
        return failed;
    }

    private static ThreadFactory daemonThreads(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Takes a new configuration: every part is checked before any is used. */
    private synchronized void apply(ReplicationConfig next) throws IOException {
        PolicyFile nextPolicy = null;
        if (next.policy() != null) {
            try {
                nextPolicy = PolicyFile.load(next.policy(), Set::of);
            } catch (PolicyException e) {
                throw new IOException("the policy " + next.policy() + " does not parse:\n" + e.getMessage(), e);
            }
        }
        SSLContext nextContext = next.tls() == null ? null : next.tls().context();
        MetricsServer nextMetrics = metrics;
        String oldMetrics = config == null ? null : config.metrics();
        if (!Objects.equals(oldMetrics, next.metrics())) {
            nextMetrics = next.metrics() == null ? null : new MetricsServer(next.metrics(), this::metricsText);
            if (metrics != null) {
                metrics.close();
            }
        }
        metrics = nextMetrics;
        policy = nextPolicy;
        tlsContext = nextContext;
        tlsFiles = next.tls() == null ? 0 : next.tls().lastModified();
        configTime = modified(next.file());
        Map<String, ReplicationConfig.Mirror> wanted = new LinkedHashMap<>();
        for (ReplicationConfig.Mirror m : next.mirrors()) {
            wanted.put(m.name(), m);
        }
        for (var it = mirrors.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!wanted.containsKey(e.getKey())) {
                log.info("mirror {} removed from the configuration", e.getKey());
                e.getValue().state().removed = true;
                e.getValue().close();
                it.remove();
            }
        }
        for (ReplicationConfig.Mirror m : next.mirrors()) {
            MirrorState s = mirrors.containsKey(m.name()) ? mirrors.get(m.name()).state() : null;
            if (s == null) {
                mirrors.put(m.name(), new MirrorJob(this, store, identity, new MirrorState(m)));
                if (config != null) {
                    log.info("mirror {} ({}) added", m.name(), m.address());
                }
            } else if (!s.config.equals(m)) {
                if (!s.config.address().equals(m.address())) {
                    s.state = MirrorState.Link.UNKNOWN;
                    s.nextHeartbeat = 0;
                }
                s.config = m;
                log.info("mirror {} ({}) changed", m.name(), m.address());
            }
        }
        config = next;
        synchronousJobs = mirrors.values().stream().filter(job -> job.state().config.sync().synchronous()).toList();
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return null;
        }
    }

    private void run() {
        while (!closed) {
            try {
                tick();
                if (wakeups.tryAcquire(TICK_MILLIS, TimeUnit.MILLISECONDS)) {
                    wakeups.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.error("replication scheduler: an unexpected failure (a bug), the schedule goes on: {}", e.getMessage(), e);
            }
        }
    }

    private synchronized void tick() {
        reloadIfChanged();
        long now = System.nanoTime();
        for (MirrorJob job : mirrors.values()) {
            MirrorState s = job.state();
            if (!s.heartbeatRunning && now >= s.nextHeartbeat) {
                s.heartbeatRunning = true;
                s.nextHeartbeat = now + config.heartbeat().toNanos();
                heartbeats.submit(job::heartbeat);
            }
        }
        startDueTransfers(now);
        if (mirrors.values().stream().map(MirrorJob::state).anyMatch(s -> s.degraded && s.state == MirrorState.Link.UP)) {
            syncRounds.resync(); // a degraded synchronous mirror answers again: a round brings it back in sync
        }
        if (now - lastStatusWrite >= 1_000_000_000L) {
            lastStatusWrite = now;
            writeStatus();
        }
    }

    private void reloadIfChanged() {
        FileTime time = modified(configFile);
        boolean tlsChanged = config.tls() != null && config.tls().lastModified() != tlsFiles;
        if ((time != null && !time.equals(configTime)) || tlsChanged) {
            configTime = time;
            try {
                apply(ReplicationConfig.load(configFile));
                log.info("configuration {} reloaded: {} mirror(s)", configFile, mirrors.size());
            } catch (IOException e) {
                log.error("configuration {} not reloaded, the previous one stays in force: {}", configFile, e.getMessage());
            }
        }
        if (policy != null) {
            try {
                if (policy.reloadIfChanged()) {
                    log.info("policy {} reloaded (changed): placement for the next transfers", policy.file());
                }
            } catch (PolicyException e) {
                log.error("policy {} not reloaded, the previous one stays in force: {}", policy.file(), e.getMessage());
            }
        }
    }

    /** The TLS context links are made with now: a new one after the TLS files changed. */
    synchronized Object tlsInUse() {
        return tlsContext;
    }

    /** The link to mirror {@code m}: TLS or a bucket, paced to its bandwidth, counting what a send writes into {@code s}. */
    MirrorLink link(ReplicationConfig.Mirror m, MirrorState s) {
        return new ProgressLink(RateLimitedLink.of(bareLink(m), m.bandwidth()), (files, bytes) -> s.sendingBytes.addAndGet(bytes));
    }

    /** A link to mirror {@code m}, as it is: over TLS to a LocusFS mirror, or to its bucket. */
    private synchronized MirrorLink bareLink(ReplicationConfig.Mirror m) {
        return m.bucket() != null ? new BucketLink(m.bucket(), identity)
                : new TlsMirrorLink(tlsContext, m.host(), m.port(), CONNECT_TIMEOUT_MILLIS);
    }

    /**
     * The newest snapshot the schedule ships to mirrors: the newest that is not a sync point (those
     * go to synchronous mirrors in sync rounds only).
     */
    static Optional<Snapshots.Snapshot> scheduled(Store store) {
        List<Snapshots.Snapshot> all = store.snapshots().list();
        for (int i = all.size() - 1; i >= 0; i--) {
            if (!all.get(i).syncPoint()) {
                return Optional.of(all.get(i));
            }
        }
        return Optional.empty();
    }

    /** The mirror lacks {@code snapshot}: it holds an older one (by epoch here), none, or must get a full stream. */
    static boolean lacks(Store store, MirrorState s, Snapshots.Snapshot snapshot) {
        if (s.fullResend || s.lastSnapshot == null) {
            return true;
        }
        Optional<Snapshots.Snapshot> held = store.snapshots().find(s.lastSnapshot);
        return held.isEmpty() ? !snapshot.name().equals(s.lastSnapshot) : held.get().epoch() < snapshot.epoch();
    }

    private void startDueTransfers(long now) {
        Optional<Snapshots.Snapshot> newest = scheduled(store);
        if (newest.isEmpty()) {
            return;
        }
        long running = states().stream().filter(s -> s.transferRunning).count();
        List<MirrorJob> due = new ArrayList<>();
        for (MirrorJob job : mirrors.values()) {
            MirrorState s = job.state();
            if (s.state == MirrorState.Link.UP && !s.transferRunning && lacks(store, s, newest.get()) && now >= s.nextTransferAt()) {
                due.add(job);
            }
        }
        // Priority first; a mirror whose transfers failed (its link was down) moves up, to catch up first.
        due.sort(Comparator.comparingInt((MirrorJob job) -> -job.state().urgency()));
        for (MirrorJob job : due) {
            MirrorState s = job.state();
            if (running >= config.concurrent()) {
                log.debug("mirror {} waits: {} transfers running", s.config.name(), running);
                return;
            }
            running++;
            s.transferRunning = true;
            s.state = MirrorState.Link.SENDING;
            String snapshot = newest.get().name();
            transfers.submit(() -> job.transfer(snapshot));
        }
    }

    /** What an fsync on this store waits for: the synchronous mirrors ({@link SyncRounds}). */
    public SyncMirrors syncMirrors() {
        return syncRounds;
    }

    /** The jobs of the mirrors with {@code mode = "sync"}, as the configuration last applied says (read by every fsync: no lock). */
    private volatile List<MirrorJob> synchronousJobs = List.of();

    List<MirrorJob> synchronousJobs() {
        return synchronousJobs;
    }

    /**
     * Deletes the sync points a newer snapshot has replaced, keeping each mirror's base for its
     * next stream and what a transfer is sending.
     */
    void dropReplacedSyncPoints() {
        // Off the transfer's thread: a sync round's fsync waits for the mirror, not for this. The
        // sync makes the acknowledged sync point and its acknowledgement durable here soon after
        // (they were written without a sync of their own): an origin that lost them in a crash
        // would not know the mirror's base, and would send it everything again.
        if (dropQueued.compareAndSet(false, true)) {
            try {
                housekeeping.submit(() -> {
                    dropQueued.set(false);
                    dropReplacedSyncPointsNow();
                });
            } catch (RejectedExecutionException e) {
                dropQueued.set(false); // closing
            }
        }
    }

    private final ExecutorService housekeeping = Executors.newSingleThreadExecutor(daemonThreads("replication-housekeeping"));
    private final AtomicBoolean dropQueued = new AtomicBoolean();

    private void dropReplacedSyncPointsNow() {
        Set<String> needed = new HashSet<>();
        long known;
        synchronized (this) {
            known = store.snapshots().newest().map(Snapshots.Snapshot::epoch).orElse(0L);
            for (MirrorState s : states()) {
                for (String name : new String[] {s.lastSnapshot, s.sendingSnapshot, s.sendingSince}) {
                    if (name != null) {
                        needed.add(name);
                    }
                }
            }
        }
        // Outside the lock, which status, metrics and the scheduler take: only sync points older
        // than the newest snapshot known above go, so that one, and any taken since, stay (a
        // round may be sending it before its transfer has said so).
        try {
            store.sync();
            List<String> dropped = store.snapshots().dropSyncPoints(needed, known);
            log.debug("sync points replaced and dropped: {}", dropped);
        } catch (RuntimeException e) {
            log.warn("dropping replaced sync points failed (they are tried again after the next transfer): {}", e.getMessage());
        }
    }

    /** A copy of this store's data that a mirror acknowledged: the mirror's name and location, the snapshot, whether it answers. */
    public record Copy(String mirror, Location location, String snapshot, boolean answering) {
    }

    /** The copies the mirrors acknowledged, in configuration order. */
    public synchronized List<Copy> copies() {
        List<Copy> copies = new ArrayList<>();
        for (MirrorState s : states()) {
            if (s.lastSnapshot != null && !s.removed && s.zone != null) {
                copies.add(new Copy(s.config.name(), s.location(), s.lastSnapshot, s.state.answers()));
            }
        }
        return copies;
    }

    /**
     * Reads {@code length} bytes at {@code offset} of the file at {@code path} in snapshot
     * {@code snapshot} of mirror {@code mirror} (a far read over a link of its own).
     */
    public int readFrom(String mirror, String snapshot, String path, long offset, byte[] buffer, int length) throws IOException {
        ReplicationConfig.Mirror m;
        synchronized (this) {
            m = states().stream().map(s -> s.config).filter(c -> c.name().equals(mirror)).findFirst()
                    .orElseThrow(() -> new IOException("no mirror '" + mirror + "' is configured"));
        }
        try (MirrorLink link = bareLink(m)) {
            return readWhole(link, snapshot, path, offset, buffer, length);
        }
    }

    /** Counts a repair of {@code bytes} of this store's data served by mirror {@code mirror} (status and metrics). */
    public synchronized void repaired(String mirror, long bytes) {
        for (MirrorState s : states()) {
            if (s.config.name().equals(mirror)) {
                s.repairs.incrementAndGet();
                s.repairBytes.addAndGet(bytes);
            }
        }
    }

    /** Reads up to {@code length} bytes in requests the mirror answers (at most {@link FarReads#MAX_LENGTH} each). */
    private static int readWhole(MirrorLink link, String snapshot, String path, long offset, byte[] buffer, int length)
            throws IOException {
        int done = 0;
        byte[] chunk = new byte[Math.min(length, FarReads.MAX_LENGTH)];
        while (done < length) {
            int n = link.read(snapshot, path, offset + done, chunk, Math.min(chunk.length, length - done));
            if (n <= 0) {
                break;
            }
            System.arraycopy(chunk, 0, buffer, done, n);
            done += n;
        }
        return done;
    }

    /** The mirrors' states (under this object's lock). */
    private List<MirrorState> states() {
        return mirrors.values().stream().map(MirrorJob::state).toList();
    }

    /** The placement rules in force now, null without a policy (under this object's lock). */
    synchronized Policy rules() {
        return policy == null ? null : policy.current();
    }

    boolean isClosed() {
        return closed;
    }

    /** The status as {@code locusfs status --json} prints it. */
    public synchronized ObjectNode status() {
        return ReplicationStatus.json(store, configFile, states(), System.nanoTime());
    }

    private void writeStatus() {
        try {
            Path partial = statusFile.resolveSibling("." + STATUS_FILE + ".partial");
            Files.write(partial, StreamHeader.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(status()));
            Files.move(partial, statusFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            log.warn("cannot write {}: {}", statusFile, e.getMessage());
        }
    }

    /** The metrics in Prometheus text format. */
    synchronized String metricsText() {
        return ReplicationStatus.metrics(store, states());
    }

    @Override
    public void close() {
        closed = true;
        store.snapshots().removeListener(onSnapshot);
        if (scheduler.isAlive()) {
            scheduler.interrupt();
        }
        heartbeats.shutdownNow();
        transfers.shutdownNow();
        housekeeping.shutdownNow();
        // A transfer in progress stops now; the mirror keeps what it made durable, so the next run resumes.
        for (MirrorLink link : inFlight) {
            link.abort();
        }
        try {
            if (!transfers.awaitTermination(60, TimeUnit.SECONDS) || !heartbeats.awaitTermination(10, TimeUnit.SECONDS)) {
                log.error("a transfer did not stop within 60 s of the shutdown");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            mirrors.values().forEach(MirrorJob::close);
            if (metrics != null) {
                metrics.close();
            }
            writeStatus();
        }
        log.info("replication of {} stopped", store.path());
    }
}
