package io.locusfs.replicate;

import io.locusfs.policy.Policy;
import io.locusfs.store.Store;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ZonePath;
import java.io.IOException;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replication of one store to one mirror: its heartbeat and its transfers, each run on a
 * thread the {@link Replicator} gives it when the schedule says so. What it knows of the mirror
 * is its {@link MirrorState}, guarded by the replicator's lock ({@code lock}), which the
 * scheduler, the status and the metrics read.
 */
final class MirrorJob {
    private static final Logger log = LoggerFactory.getLogger(MirrorJob.class);

    private final Replicator replicator;
    private final Object lock;
    private final Store store;
    private final NodeIdentity identity;
    private final MirrorState s;

    MirrorJob(Replicator replicator, Store store, NodeIdentity identity, MirrorState state) {
        this.replicator = replicator;
        this.lock = replicator;
        this.store = store;
        this.identity = identity;
        this.s = state;
    }

    MirrorState state() {
        return s;
    }

    /** Asks the mirror whether it is there (the heartbeat), and notes what it says. */
    void heartbeat() {
        ReplicationConfig.Mirror m;
        synchronized (lock) {
            m = s.config;
        }
        try {
            MirrorLink.Info info = probe(m).hello();
            synchronized (lock) {
                noticeChanges(info);
                if (!s.state.answers()) {
                    log.info("mirror {} ({}) is {}: zone {}, at snapshot {}", m.name(), m.address(),
                            s.state == MirrorState.Link.DOWN ? "back" : "up", info.zone(), info.lastSnapshot());
                    s.state = MirrorState.Link.UP;
                    s.nextAttempt = 0; // what waited for it starts now
                }
                s.lastSnapshot = info.lastSnapshot();
            }
        } catch (IOException e) {
            synchronized (lock) {
                if (s.state != MirrorState.Link.DOWN) {
                    log.warn("mirror {} ({}) is down: {}", m.name(), m.address(), e.getMessage());
                }
                if (s.state != MirrorState.Link.SENDING) {
                    s.state = MirrorState.Link.DOWN;
                }
                s.lastError = e.getMessage();
            }
        } finally {
            synchronized (lock) {
                s.heartbeatRunning = false;
            }
        }
    }

    /** The link heartbeats use for a bucket: kept, so that a hello reads only what the bucket gained since the last. */
    private MirrorLink probe;
    private ReplicationConfig.Mirror probeConfig;

    /** The link for a heartbeat: a new one to a LocusFS mirror (a hello is one exchange), the kept one to a bucket. */
    private synchronized MirrorLink probe(ReplicationConfig.Mirror m) {
        if (m.bucket() == null) {
            return replicator.link(m, s);
        }
        if (probe == null || !m.equals(probeConfig)) {
            closeProbe();
            probe = replicator.link(m, s);
            probeConfig = m;
        }
        return probe;
    }

    private synchronized void closeProbe() {
        if (probe != null) {
            probe.close();
            probe = null;
        }
    }

    /** A mirror that now presents another zone, store or certificate: reported, and a zone change re-checks placement. */
    private void noticeChanges(MirrorLink.Info info) {
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
        s.record = info.record() == null ? "" : info.record();
        s.storeId = info.store();
        s.certificate = info.certificate();
    }

    /** Held by the transfer in progress: the scheduler's and a sync round's never overlap. */
    private final ReentrantLock sending = new ReentrantLock();

    /** Sends {@code snapshot} to the mirror, after the mirror's unfinished receive of an older one if it has one. */
    void transfer(String snapshot) {
        sending.lock();
        try {
            send(snapshot);
        } finally {
            sending.unlock();
            synchronized (lock) {
                s.transferRunning = false;
                if (s.state == MirrorState.Link.SENDING) {
                    // A transfer that found the mirror holding the snapshot already set no state of its
                    // own: left at SENDING, a mirror that went away later was never marked down.
                    s.state = MirrorState.Link.UP;
                }
            }
        }
    }

    /**
     * Brings the mirror to sync point {@code snapshot} for an fsync waiting on it, whatever the
     * backoff of scheduled transfers, after the transfer in progress if there is one.
     *
     * @return true when the mirror acknowledged it
     */
    boolean syncTo(String snapshot) {
        sending.lock();
        try {
            return snapshot.equals(send(snapshot));
        } finally {
            sending.unlock();
        }
    }

    /** The snapshot the mirror acknowledged last, null when the transfer failed (under {@link #sending}). */
    private String send(String snapshot) {
        try {
            String sent = transferOnce(snapshot);
            if (sent != null && !sent.equals(snapshot)) {
                sent = transferOnce(snapshot);
            }
            return sent;
        } finally {
            synchronized (lock) {
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
    private String transferOnce(String snapshot) {
        ReplicationConfig.Mirror m;
        Policy rules;
        boolean full;
        synchronized (lock) {
            m = s.config;
            rules = replicator.rules();
            full = s.fullResend;
        }
        long started = System.nanoTime();
        MirrorLink link = link(m);
        replicator.inFlight.add(link);
        boolean shipped = false;
        try {
            if (replicator.isClosed()) {
                return null;
            }
            EarlyDiff early = diffDuringHello(snapshot, rules, full, m); // a guess not taken is left to finish, unread
            MirrorLink.Info info = link.helloThenSend();
            synchronized (lock) {
                noticeChanges(info);
                full |= s.fullResend;
            }
            if (info.sourceStore() != null && !info.sourceStore().isEmpty() && !info.sourceStore().equals(store.storeId())) {
                throw new StreamException("mirror " + m.name() + " replicates another store (" + info.sourceStore() + ")");
            }
            String since = info.lastSnapshot();
            if (snapshot.equals(since) && !full) {
                synchronized (lock) {
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
            synchronized (lock) {
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
            synchronized (lock) {
                s.shipped(snapshot, System.nanoTime());
            }
            replicator.dropReplacedSyncPoints();
            shipped = true;
            return snapshot;
        } catch (IOException | RuntimeException e) {
            s.transfersFailed.incrementAndGet();
            synchronized (lock) {
                long backoff = s.failed(e.getMessage(), System.nanoTime());
                s.state = e instanceof StreamException ? MirrorState.Link.UP : MirrorState.Link.DOWN;
                log.warn("transfer of {} to mirror {} failed ({} in a row; next try in {} s): {}", snapshot, m.name(), s.failures,
                        backoff / 1_000_000_000L, e.getMessage());
            }
            return null;
        } finally {
            replicator.inFlight.remove(link);
            if (!shipped) {
                closeLink(); // the next transfer starts on a new connection
            }
        }
    }

    /** The link transfers use, kept between them (under {@link #sending}) so that its connection is reused. */
    private MirrorLink link;
    private ReplicationConfig.Mirror linkConfig;
    private Object linkTls;

    /** The kept link, made again when the mirror's configuration or this node's TLS files changed. */
    private MirrorLink link(ReplicationConfig.Mirror m) {
        Object tls = replicator.tlsInUse();
        if (link == null || !m.equals(linkConfig) || tls != linkTls) {
            closeLink();
            link = replicator.link(m, s);
            linkConfig = m;
            linkTls = tls;
        }
        return link;
    }

    private void closeLink() {
        if (link != null) {
            link.close();
            link = null;
        }
    }

    /** Releases the kept connection (the mirror was removed, or replication stops). */
    void close() {
        closeProbe();
        if (sending.tryLock()) {
            try {
                closeLink();
            } finally {
                sending.unlock();
            }
        } // else a transfer runs: the replicator aborts it, and its failure closes the link
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
    private EarlyDiff diffDuringHello(String snapshot, Policy rules, boolean full, ReplicationConfig.Mirror m) {
        String since;
        String zone;
        synchronized (lock) {
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
}
