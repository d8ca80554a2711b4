package io.locusfs.replicate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.locusfs.policy.Policy;
import io.locusfs.policy.PolicyException;
import io.locusfs.policy.PolicyFile;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ZonePath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
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
    private final Map<String, MirrorState> mirrors = new LinkedHashMap<>();
    private final ExecutorService heartbeats = Executors.newCachedThreadPool(daemonThreads("replication-heartbeat"));
    private final ExecutorService transfers = Executors.newCachedThreadPool(daemonThreads("replication-transfer"));
    private final Thread scheduler;
    /** Wakes the scheduler when a snapshot is taken, so it is shipped at once rather than at the next tick. */
    private final Semaphore wakeups = new Semaphore(0);
    private final Consumer<Snapshots.Snapshot> onSnapshot = snapshot -> wakeups.release();
    /** Clients of transfers in progress, aborted at close so that none outlives the store. */
    private final Set<MirrorLink> inFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private ReplicationConfig config;
    private FileTime configTime;
    private PolicyFile policy;
    private SSLContext tlsContext;
    private long tlsFiles;
    private MetricsServer metrics;
    private long lastStatusWrite;

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
        Optional<Snapshots.Snapshot> newest = store.snapshots().newest();
        if (newest.isEmpty()) {
            log.warn("{} has no snapshot to replicate", store.path());
            return failed;
        }
        List<MirrorState> all;
        synchronized (this) {
            all = List.copyOf(mirrors.values());
        }
        for (MirrorState s : all) {
            heartbeat(s);
            if (s.state == MirrorState.Link.UP) {
                transfer(s, newest.get().name());
            }
            if (!newest.get().name().equals(s.lastSnapshot)) {
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
                e.getValue().removed = true;
                it.remove();
            }
        }
        for (ReplicationConfig.Mirror m : next.mirrors()) {
            MirrorState s = mirrors.get(m.name());
            if (s == null) {
                mirrors.put(m.name(), new MirrorState(m));
                if (config != null) {
                    log.info("mirror {} ({}) added", m.name(), m.address());
                }
            } else if (!s.config.equals(m)) {
                if (!s.config.address().equals(m.address())) {
                    s.state = MirrorState.Link.UNKNOWN;
                    s.nextHeartbeat = 0;
                }
                s.config = m;
                log.info("mirror {} changed: {}", m.name(), m);
            }
        }
        config = next;
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
        for (MirrorState s : mirrors.values()) {
            if (!s.heartbeatRunning && now >= s.nextHeartbeat) {
                s.heartbeatRunning = true;
                s.nextHeartbeat = now + config.heartbeat().toNanos();
                heartbeats.submit(() -> heartbeat(s));
            }
        }
        startDueTransfers(now);
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

    /** The link to mirror {@code m}: TLS, paced to its bandwidth, counting what a send writes into {@code s}. */
    private MirrorLink link(ReplicationConfig.Mirror m, MirrorState s) {
        MirrorLink tls = new TlsMirrorLink(tlsContext, m.host(), m.port(), CONNECT_TIMEOUT_MILLIS);
        return new ProgressLink(RateLimitedLink.of(tls, m.bandwidth()), (files, bytes) -> s.sendingBytes.addAndGet(bytes));
    }

    private void heartbeat(MirrorState s) {
        ReplicationConfig.Mirror m;
        synchronized (this) {
            m = s.config;
        }
        try {
            MirrorLink.Info info = link(m, s).hello();
            synchronized (this) {
                noticeChanges(s, info);
                if (!s.state.answers()) {
                    log.info("mirror {} ({}) is {}: zone {}, at snapshot {}", m.name(), m.address(),
                            s.state == MirrorState.Link.DOWN ? "back" : "up", info.zone(), info.lastSnapshot());
                    s.state = MirrorState.Link.UP;
                    s.nextAttempt = 0; // what waited for it starts now
                }
                s.lastSnapshot = info.lastSnapshot();
            }
        } catch (IOException e) {
            synchronized (this) {
                if (s.state != MirrorState.Link.DOWN) {
                    log.warn("mirror {} ({}) is down: {}", m.name(), m.address(), e.getMessage());
                }
                if (s.state != MirrorState.Link.SENDING) {
                    s.state = MirrorState.Link.DOWN;
                }
                s.lastError = e.getMessage();
            }
        } finally {
            synchronized (this) {
                s.heartbeatRunning = false;
            }
        }
    }

    /** A mirror that now presents another zone, store or certificate: reported, and a zone change re-checks placement. */
    private void noticeChanges(MirrorState s, MirrorLink.Info info) {
        String name = s.config.name();
        if (s.zone == null) {
            // What the mirror acknowledged last time, possibly before this daemon started.
            ReplicaBook.find(store, info.store()).ifPresent(known -> s.zone = known.zone());
        }
        if (s.zone != null && !s.zone.equals(info.zone())) {
            log.warn("mirror {} moved: zone {} -> {}; placement will be checked again for {} with a full stream", name, s.zone,
                    info.zone(), info.zone());
            s.fullResend = true;
        }
        if (s.storeId != null && !s.storeId.equals(info.store())) {
            log.warn("mirror {} is now another store ({} -> {}); it gets a full stream", name, s.storeId, info.store());
            s.fullResend = true;
        }
        if (s.certificate != null && !s.certificate.equals(info.certificate())) {
            log.warn("mirror {} presents a different certificate (sha256 {} -> {})", name, s.certificate, info.certificate());
        }
        s.zone = info.zone();
        s.storeId = info.store();
        s.certificate = info.certificate();
    }

    private void startDueTransfers(long now) {
        Optional<Snapshots.Snapshot> newest = store.snapshots().newest();
        if (newest.isEmpty()) {
            return;
        }
        long running = mirrors.values().stream().filter(s -> s.transferRunning).count();
        List<MirrorState> due = new ArrayList<>();
        for (MirrorState s : mirrors.values()) {
            boolean behind = !newest.get().name().equals(s.lastSnapshot) || s.fullResend;
            if (s.state == MirrorState.Link.UP && !s.transferRunning && behind && now >= s.nextTransferAt()) {
                due.add(s);
            }
        }
        // Priority first; a mirror whose transfers failed (its link was down) moves up, to catch up first.
        due.sort(Comparator.comparingInt((MirrorState s) -> -(s.config.priority() + 100 * Math.min(s.failures, 10))));
        for (MirrorState s : due) {
            if (running >= config.concurrent()) {
                log.debug("mirror {} waits: {} transfers running", s.config.name(), running);
                return;
            }
            running++;
            s.transferRunning = true;
            s.state = MirrorState.Link.SENDING;
            String snapshot = newest.get().name();
            transfers.submit(() -> transfer(s, snapshot));
        }
    }

    /** Sends {@code snapshot} to the mirror, after the mirror's unfinished receive of an older one if it has one. */
    private void transfer(MirrorState s, String snapshot) {
        try {
            String sent = transferOnce(s, snapshot);
            if (sent != null && !sent.equals(snapshot)) {
                transferOnce(s, snapshot);
            }
        } finally {
            synchronized (this) {
                s.transferRunning = false;
                s.sendingSnapshot = null;
            }
        }
    }

    /**
     * One transfer: {@code snapshot}, or the older snapshot whose receive the mirror left
     * unfinished (resumed where it stopped, rather than undone by a stream of a newer one).
     *
     * @return the snapshot the mirror now holds as its newest, null when the transfer failed
     */
    private String transferOnce(MirrorState s, String snapshot) {
        ReplicationConfig.Mirror m;
        Policy rules;
        boolean full;
        synchronized (this) {
            m = s.config;
            rules = policy == null ? null : policy.current();
            full = s.fullResend;
        }
        long started = System.nanoTime();
        MirrorLink link = link(m, s);
        inFlight.add(link);
        try {
            if (closed) {
                return null;
            }
            EarlyDiff early = diffDuringHello(s, snapshot, rules, full, m); // a guess not taken is left to finish, unread
            MirrorLink.Info info = link.helloThenSend();
            synchronized (this) {
                noticeChanges(s, info);
                full |= s.fullResend;
            }
            if (info.sourceStore() != null && !info.sourceStore().isEmpty() && !info.sourceStore().equals(store.storeId())) {
                throw new StreamException("mirror " + m.name() + " replicates another store (" + info.sourceStore() + ")");
            }
            String since = info.lastSnapshot();
            if (snapshot.equals(since) && !full) {
                synchronized (this) {
                    s.lastSnapshot = since;
                }
                return since;
            }
            if (full || since == null || store.snapshots().find(since).isEmpty()) {
                since = null;
            }
            String unfinished = info.tokenSnapshot();
            if (!full && unfinished != null && !unfinished.equals(snapshot) && Objects.equals(info.tokenSince(), since)
                    && store.snapshots().find(unfinished).isPresent()) {
                log.info("mirror {} holds an unfinished receive of snapshot {} ({} frames): finishing it before {}", m.name(),
                        unfinished, info.tokenFrames(), snapshot);
                snapshot = unfinished;
                early = null; // made for the newest snapshot; left to finish, unread
            }
            long beforeHeader = System.nanoTime();
            StreamSender sender = early == null ? null : earlySender(early, since, info.zone());
            boolean guessed = sender != null;
            if (sender == null) {
                sender = new StreamSender(store, identity, rules, ZonePath.parse(info.zone()), m.codec());
            }
            StreamHeader header = sender.header(snapshot, since);
            sender.receiverMayLack(ReplicaBook.find(store, info.store()).map(ReplicaBook.Replica::leftOut).orElse(Set.of()));
            log.debug("mirror {}: hello {} ms, then snapshot diff and totals {} ms{}", m.name(), (beforeHeader - started) / 1_000_000,
                    (System.nanoTime() - beforeHeader) / 1_000_000, guessed ? " more (begun during the hello)" : "");
            synchronized (this) {
                s.sendingSnapshot = snapshot;
                s.sendingSince = since;
                s.sendingTotal = header.bytes();
                s.sendingStarted = System.nanoTime();
                s.sendingBytes.set(0);
                s.acked.set(0);
            }
            StreamSender shipping = sender;
            MirrorLink.Outcome outcome = link.send(info, header, (out, first, progress) -> shipping.send(header, out, first, progress),
                    s.acked);
            StreamSender.Result r = outcome.result();
            ReplicaBook.acknowledge(store, info.store(), m.name(), outcome.zone(), outcome.record(), snapshot, r.leftOutInodes(),
                    since == null);
            s.bytesSent.addAndGet(r.bytesSent());
            s.transfersDone.incrementAndGet();
            log.info("replicated snapshot {}{} to mirror {} ({}): {} files, {} bytes of content, {} bytes sent in {} s{}{}",
                    snapshot, since == null ? " (full)" : " (since " + since + ")", m.name(), outcome.zone(), r.files(),
                    r.contentBytes(), r.bytesSent(), String.format(Locale.ROOT, "%.2f", (System.nanoTime() - started) / 1e9),
                    outcome.firstFrame() > 0 ? ", resumed at frame " + outcome.firstFrame() : "",
                    r.leftOut().isEmpty() ? "" : ", " + r.leftOut().size() + " path(s) left out by placement");
            synchronized (this) {
                s.shipped(snapshot, System.nanoTime());
            }
            return snapshot;
        } catch (IOException | RuntimeException e) {
            s.transfersFailed.incrementAndGet();
            synchronized (this) {
                long backoff = s.failed(e.getMessage(), System.nanoTime());
                s.state = e instanceof StreamException ? MirrorState.Link.UP : MirrorState.Link.DOWN;
                log.warn("transfer of {} to mirror {} failed ({} in a row; next try in {} s): {}", snapshot, m.name(), s.failures,
                        backoff / 1_000_000_000L, e.getMessage());
            }
            return null;
        } finally {
            link.close();
            inFlight.remove(link);
        }
    }

    /** A diff begun during the hello: the sender made for {@code since} and {@code zone}. */
    private record EarlyDiff(String since, ZonePath zone, CompletableFuture<StreamSender> sender) {
    }

    /**
     * Starts the diff a transfer will most likely send while the hello goes out: since the
     * snapshot the mirror acknowledged last, for the zone it was in. {@link #earlySender} uses it
     * only when the hello confirms both; otherwise the diff is made again. Null when there is no
     * guess to make (a full stream, a mirror not heard from yet).
     */
    private EarlyDiff diffDuringHello(MirrorState s, String snapshot, Policy rules, boolean full, ReplicationConfig.Mirror m) {
        String since;
        String zone;
        synchronized (this) {
            since = s.lastSnapshot;
            zone = s.zone;
        }
        if (full || since == null || zone == null || since.equals(snapshot) || store.snapshots().find(since).isEmpty()) {
            return null;
        }
        ZonePath toZone = ZonePath.parse(zone);
        CompletableFuture<StreamSender> sender = new CompletableFuture<>();
        Thread diff = new Thread(() -> {
            try {
                StreamSender prepared = new StreamSender(store, identity, rules, toZone, m.codec());
                prepared.header(snapshot, since); // the diff and its totals, kept by the sender for the send
                sender.complete(prepared);
            } catch (IOException | RuntimeException e) {
                sender.completeExceptionally(e);
            }
        }, "diff-" + m.name());
        diff.setDaemon(true);
        diff.start();
        return new EarlyDiff(since, toZone, sender);
    }

    /** The sender {@link #diffDuringHello} prepared, when it guessed {@code since} and {@code zone} right; else null. */
    private StreamSender earlySender(EarlyDiff early, String since, String zone) {
        if (!early.since().equals(since) || !early.zone().equals(ZonePath.parse(zone))) {
            return null;
        }
        try {
            return early.sender().join();
        } catch (CompletionException e) {
            log.debug("the diff begun during the hello failed ({}); making it again", String.valueOf(e.getCause()));
            return null;
        }
    }

    /** The status as {@code locusfs status --json} prints it. */
    public synchronized ObjectNode status() {
        return ReplicationStatus.json(store, configFile, mirrors.values(), System.nanoTime());
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
        return ReplicationStatus.metrics(store, mirrors.values());
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
            if (metrics != null) {
                metrics.close();
            }
            writeStatus();
        }
        log.info("replication of {} stopped", store.path());
    }
}
