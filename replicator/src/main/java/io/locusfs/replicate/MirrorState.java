package io.locusfs.replicate;

import io.locusfs.xattr.Location;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the replication daemon knows of one mirror: its link, what it holds, when it may be tried
 * again, the transfer in progress and its counters. Guarded by the {@link Replicator}'s lock,
 * except the counters, which the transfer thread updates as it goes.
 */
final class MirrorState {
    /** The mirror's link as the heartbeats and transfers see it. */
    enum Link {
        /** Not heard from yet (just configured, or its address changed). */
        UNKNOWN,
        /** Answers its heartbeat; transfers may start. */
        UP,
        /** Does not answer; its transfers wait until it does. */
        DOWN,
        /** A transfer is running. */
        SENDING;

        /** As the status file and {@code locusfs status} show it. */
        String display() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Answering: up, or busy receiving. */
        boolean answers() {
            return this == UP || this == SENDING;
        }
    }

    static final Duration FIRST_BACKOFF = Duration.ofSeconds(2);
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    ReplicationConfig.Mirror config;
    Link state = Link.UNKNOWN;
    String zone;
    /** The mirror's signed location record as its hello gave it ("" when it gave none). */
    String record = "";
    String certificate;
    String storeId;
    String lastSnapshot;
    boolean heartbeatRunning;
    long nextHeartbeat;
    boolean transferRunning;
    /** No transfer starts before this (System.nanoTime()): a failure's backoff. */
    long nextAttempt;
    long lastShipped;
    int failures;
    String lastError;
    boolean fullResend;
    boolean removed;
    // the transfer in progress
    String sendingSnapshot;
    String sendingSince;
    long sendingTotal;
    long sendingStarted;
    final AtomicLong sendingBytes = new AtomicLong();
    final AtomicLong acked = new AtomicLong();
    // counters, for metrics
    final AtomicLong bytesSent = new AtomicLong();
    final AtomicLong transfersDone = new AtomicLong();
    final AtomicLong transfersFailed = new AtomicLong();
    /** Self-heal: repairs of this store's blocks served from this mirror, and their bytes. */
    final AtomicLong repairs = new AtomicLong();
    final AtomicLong repairBytes = new AtomicLong();
    /** A synchronous mirror that did not answer and may degrade: fsyncs no longer wait for it until it is in sync again. */
    boolean degraded;
    /** Sync rounds (fsyncs, grouped) the mirror acknowledged, and the time they took. */
    final AtomicLong syncRounds = new AtomicLong();
    final AtomicLong syncNanos = new AtomicLong();

    MirrorState(ReplicationConfig.Mirror config) {
        this.config = config;
    }

    /** Where the mirror lives: its signed record's zone and coordinates, else its zone. */
    Location location() {
        return ReplicaBook.locationOf(record, zone);
    }

    /** A transfer failed at {@code now}: the backoff before the next try (2 s, doubling up to 5 min), in nanoseconds. */
    long failed(String error, long now) {
        failures++;
        long backoff = Math.min(MAX_BACKOFF.toNanos(), FIRST_BACKOFF.toNanos() << Math.min(failures - 1, 20));
        nextAttempt = now + backoff;
        lastError = error;
        return backoff;
    }

    /** The mirror acknowledged {@code snapshot} at {@code now}: the failures are forgotten. */
    void shipped(String snapshot, long now) {
        lastSnapshot = snapshot;
        lastShipped = now;
        failures = 0;
        lastError = null;
        fullResend = false;
        state = Link.UP;
    }

    /** How soon its transfer should go among those due: its priority, raised by the failures it has to catch up on. */
    int urgency() {
        return config.priority() + 100 * Math.min(failures, 10);
    }

    /** When the next transfer may start (System.nanoTime()): after a failure's backoff and the mirror's rhythm. */
    long nextTransferAt() {
        return Math.max(nextAttempt, lastShipped == 0 ? 0 : lastShipped + config.every().toNanos());
    }
}
