package io.locusfs.replicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.xattr.Location;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One mirror's state: the backoff after failures, the rhythm, and the status and metrics shown of it. */
class MirrorStateTest {
    private static final long SECOND = 1_000_000_000L;

    private static MirrorState mirror(String name, Duration every) {
        return new MirrorState(new ReplicationConfig.Mirror(name, "127.0.0.1", 7443, every, 0, 0, Codec.ZSTD, ReplicationConfig.Sync.NONE));
    }

    @Test
    void aMirrorThatFailedCatchesUpBeforeOneOfHigherPriorityThatDidNot() {
        MirrorState important = new MirrorState(new ReplicationConfig.Mirror("fra", "127.0.0.1", 7443, Duration.ZERO, 50, 0, Codec.ZSTD, ReplicationConfig.Sync.NONE));
        MirrorState behind = mirror("lon", Duration.ZERO);
        assertTrue(important.urgency() > behind.urgency());
        behind.failed("down", 0);
        assertTrue(behind.urgency() > important.urgency(), "one failure outweighs a priority of 50");
        behind.shipped("s1", 1);
        assertTrue(important.urgency() > behind.urgency(), "caught up: priority decides again");
    }

    @Test
    void failuresBackOffFromTwoSecondsDoublingToFiveMinutesAndASuccessForgetsThem() {
        MirrorState s = mirror("fra", Duration.ZERO);
        long now = 1000 * SECOND;
        assertEquals(2 * SECOND, s.failed("refused", now));
        assertEquals(4 * SECOND, s.failed("refused", now));
        assertEquals(8 * SECOND, s.failed("refused", now));
        assertEquals(now + 8 * SECOND, s.nextTransferAt());
        for (int i = 0; i < 30; i++) {
            s.failed("still down", now);
        }
        assertEquals(300 * SECOND, s.failed("still down", now), "at most five minutes");
        assertEquals("still down", s.lastError);
        s.shipped("s1", now + 400 * SECOND);
        assertEquals(0, s.failures);
        assertNull(s.lastError);
        assertEquals(MirrorState.Link.UP, s.state);
        assertEquals(2 * SECOND, s.failed("again", now), "a new run of failures starts at 2 s");
    }

    @Test
    void theNextTransferWaitsForTheMirrorsRhythmAndForABackoffWhicheverIsLater() {
        MirrorState hourly = mirror("nyc", Duration.ofHours(1));
        assertEquals(0, hourly.nextTransferAt(), "never shipped: at once");
        hourly.shipped("s1", 10 * SECOND);
        assertEquals(10 * SECOND + 3600 * SECOND, hourly.nextTransferAt());
        hourly.failed("cut", 20 * SECOND);
        assertEquals(10 * SECOND + 3600 * SECOND, hourly.nextTransferAt(), "the rhythm is later than the backoff");
    }

    @Test
    void statusAndMetricsShowEachMirrorInTheUsersWords(@TempDir Path dir) throws Exception {
        Store.create(dir.resolve("s"), Location.of("eu/de/fra"), 0, 0);
        try (Store store = Store.open(dir.resolve("s"), StoreOptions.defaults())) {
            store.snapshots().create("monday", System.currentTimeMillis() * 1_000_000L, true);
            MirrorState up = mirror("par", Duration.ZERO);
            up.shipped("monday", 5 * SECOND);
            up.zone = "eu/fr/par";
            MirrorState down = mirror("a \"quoted\" name", Duration.ofHours(1));
            down.state = MirrorState.Link.DOWN;
            down.failed("connection refused", 5 * SECOND);
            JsonNode status = ReplicationStatus.json(store, dir.resolve("r.toml"), List.of(up, down), 6 * SECOND);
            JsonNode par = status.path("mirrors").get(0);
            assertEquals("up", par.path("state").asText());
            assertEquals("monday", par.path("last_snapshot").asText());
            assertEquals(0, par.path("lag_seconds").asLong());
            assertFalse(par.has("next_transfer_seconds"), "up to date: nothing is due");
            JsonNode other = status.path("mirrors").get(1);
            assertEquals("down", other.path("state").asText());
            assertEquals("connection refused", other.path("last_error").asText());
            assertEquals(1, other.path("next_transfer_seconds").asLong(), "the 2 s backoff, 1 s of it gone");
            String metrics = ReplicationStatus.metrics(store, List.of(up, down));
            assertTrue(metrics.contains("locusfs_replication_mirror_up{mirror=\"par\"} 1"), metrics);
            assertTrue(metrics.contains("locusfs_replication_mirror_up{mirror=\"a \\\"quoted\\\" name\"} 0"), metrics);
        }
    }
}
