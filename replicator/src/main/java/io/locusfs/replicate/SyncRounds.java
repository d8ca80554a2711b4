package io.locusfs.replicate;

import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import io.locusfs.store.SyncMirrors;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synchronous mirrors ({@code mode = "sync"}): an fsync returns once each of them holds a
 * snapshot taken after the fsync's own log sync. That snapshot is a sync point: shipped as the
 * change since the mirror's previous one, with placement, signatures and resume like any
 * transfer, and dropped on both sides once a newer one replaces it. fsyncs that arrive while a
 * round is under way wait for the next round, which covers them all (a group commit).
 *
 * <p>A mirror that does not answer: with {@code on_unreachable = "block"} the round tries it
 * again every second, logging every ten, until it answers; with {@code "degrade"} the fsync goes
 * on without it, the mirror is marked degraded (status and metrics), and the replicator starts a
 * round for it once its heartbeat answers again, which brings it back in sync.
 */
final class SyncRounds implements SyncMirrors {
    private static final Logger log = LoggerFactory.getLogger(SyncRounds.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
    private static final long RETRY_MILLIS = 1000;
    private static final long WAIT_LOG_NANOS = 10_000_000_000L;

    private final Replicator replicator;
    private final Store store;
    private final ExecutorService threads;
    private final Object lock = new Object();
    /** Rounds begun and rounds finished (under {@link #lock}): a caller needs a round begun after it arrived. */
    private long begun;
    private long finished;
    private boolean running;
    private final AtomicBoolean resyncQueued = new AtomicBoolean();

    SyncRounds(Replicator replicator, Store store, ExecutorService threads) {
        this.replicator = replicator;
        this.store = store;
        this.threads = threads;
    }

    @Override
    public void await() {
        if (replicator.synchronousJobs().isEmpty()) {
            return;
        }
        long needed;
        synchronized (lock) {
            needed = begun + 1; // a round begun after this call covers what this store made durable before it
        }
        while (true) {
            long round;
            synchronized (lock) {
                while (running && finished < needed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new StoreException(StoreException.Kind.IO, "interrupted while waiting for the synchronous mirrors");
                    }
                }
                if (finished >= needed) {
                    return;
                }
                running = true;
                round = ++begun;
            }
            boolean done = false;
            try {
                done = runRound();
            } finally {
                synchronized (lock) {
                    running = false;
                    if (done) {
                        finished = Math.max(finished, round);
                    }
                    lock.notifyAll();
                }
            }
            if (!done) {
                throw new StoreException(StoreException.Kind.IO, "replication is stopping: the synchronous mirrors may lack this fsync's data");
            }
        }
    }

    /** Starts a round in the background for a degraded mirror that answers again (once at a time). */
    void resync() {
        if (resyncQueued.compareAndSet(false, true)) {
            try {
                threads.submit(() -> {
                    try {
                        await();
                    } catch (RuntimeException e) {
                        log.warn("resynchronising the synchronous mirrors failed: {}", e.getMessage());
                    } finally {
                        resyncQueued.set(false);
                    }
                });
            } catch (RejectedExecutionException e) {
                resyncQueued.set(false); // closing
            }
        }
    }

    /** One round: a sync point, brought to every synchronous mirror that is waited for. False when replication stopped. */
    private boolean runRound() {
        List<MirrorJob> jobs = replicator.synchronousJobs().stream().filter(this::waitedFor).toList();
        if (jobs.isEmpty()) {
            return true; // every synchronous mirror is degraded and silent: this store's own sync is all there is
        }
        String point = takeSyncPoint();
        if (jobs.size() == 1) {
            return bring(jobs.get(0), point);
        }
        try {
            List<CompletableFuture<Boolean>> all = jobs.stream()
                    .map(job -> CompletableFuture.supplyAsync(() -> bring(job, point), threads)).toList();
            return all.stream().allMatch(CompletableFuture::join);
        } catch (RejectedExecutionException e) {
            return false; // the replicator closed its threads
        }
    }

    /** Not a degraded mirror that is still silent. */
    private boolean waitedFor(MirrorJob job) {
        synchronized (replicator) {
            MirrorState s = job.state();
            return !s.degraded || s.state.answers();
        }
    }

    private String takeSyncPoint() {
        Instant now = Instant.now();
        String name = "sync-" + STAMP.format(now);
        for (int n = 2; store.snapshots().find(name).isPresent(); n++) {
            name = "sync-" + STAMP.format(now) + "-" + n;
        }
        store.snapshots().createSyncPoint(name, now.getEpochSecond() * 1_000_000_000L + now.getNano());
        return name;
    }

    /**
     * Brings {@code job}'s mirror to sync point {@code point}, as its {@code on_unreachable} says.
     *
     * @return true when the mirror took it or may be passed over; false when replication stopped first
     */
    private boolean bring(MirrorJob job, String point) {
        MirrorState s = job.state();
        long started = System.nanoTime();
        long logged = started - WAIT_LOG_NANOS; // the first failure is logged at once, then every ten seconds
        while (!replicator.isClosed()) {
            if (job.syncTo(point)) {
                s.syncRounds.incrementAndGet();
                s.syncNanos.addAndGet(System.nanoTime() - started);
                synchronized (replicator) {
                    if (s.degraded) {
                        s.degraded = false;
                        log.info("synchronous mirror {} is in sync again (at {}): fsync waits for it again", s.config.name(), point);
                    }
                }
                return true;
            }
            ReplicationConfig.Sync sync;
            String error;
            synchronized (replicator) {
                sync = s.removed ? ReplicationConfig.Sync.NONE : s.config.sync();
                error = s.lastError;
                if (sync == ReplicationConfig.Sync.DEGRADE && !s.degraded) {
                    s.degraded = true;
                    log.warn("synchronous mirror {} ({}) does not take the sync point ({}): degraded, fsync goes on without it"
                            + " until it is in sync again", s.config.name(), s.config.address(), error);
                }
            }
            if (sync != ReplicationConfig.Sync.BLOCK) {
                return true;
            }
            long now = System.nanoTime();
            if (now - logged >= WAIT_LOG_NANOS) {
                logged = now;
                log.warn("fsync has waited {} s for synchronous mirror {} ({}), which does not take the sync point ({});"
                        + " it waits until the mirror does (on_unreachable = \"block\")", (now - started) / 1_000_000_000L,
                        s.config.name(), s.config.address(), error);
            }
            try {
                Thread.sleep(RETRY_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }
}
