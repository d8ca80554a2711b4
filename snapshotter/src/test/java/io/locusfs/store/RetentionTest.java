package io.locusfs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The retention grid against a fake clock: two days of snapshots every 15 minutes. */
class RetentionTest {
    private static final Instant START = Instant.parse("2026-11-01T00:00:00Z");
    private static final Retention GRID = new Retention(Duration.ofHours(1), Duration.ofHours(24), Duration.ofDays(30),
            Duration.ZERO, Duration.ofDays(365), Duration.ZERO, false);

    private static Snapshots.Snapshot at(int epoch, Instant t, boolean manual) {
        return new Snapshots.Snapshot("s" + epoch, epoch, t.getEpochSecond() * 1_000_000_000L, manual, false, -1, "");
    }

    private static List<Snapshots.Snapshot> everyQuarterHour(int hours) {
        List<Snapshots.Snapshot> all = new ArrayList<>();
        for (int i = 0; i < hours * 4; i++) {
            all.add(at(i + 1, START.plus(Duration.ofMinutes(15L * i)), false));
        }
        return all;
    }

    @Test
    void keepsAllForAnHourThenHourlyForADayThenDaily() {
        List<Snapshots.Snapshot> all = everyQuarterHour(48);
        Instant now = START.plus(Duration.ofHours(48));
        Set<String> thinned = new HashSet<>(GRID.thin(all, now));
        List<Snapshots.Snapshot> kept = all.stream().filter(s -> !thinned.contains(s.name())).toList();
        // The last hour: the 4 snapshots of the last 60 minutes (45, 30, 15 and 0 minutes before the hour mark... minus 0).
        long lastHour = kept.stream().filter(s -> Duration.between(Instant.ofEpochSecond(0, s.createdNanos()), now)
                .compareTo(Duration.ofHours(1)) <= 0).count();
        assertEquals(4, lastHour);
        // Between 1 h and 24 h old: one per hour.
        long hourly = kept.stream().map(s -> Duration.between(Instant.ofEpochSecond(0, s.createdNanos()), now))
                .filter(age -> age.compareTo(Duration.ofHours(1)) > 0 && age.compareTo(Duration.ofHours(24)) <= 0).count();
        assertTrue(hourly >= 23 && hourly <= 24, "hourly kept: " + hourly);
        // Older than a day: the newest of 1 November survives as that day's, nothing else of it.
        List<Snapshots.Snapshot> firstDay = kept.stream()
                .filter(s -> Instant.ofEpochSecond(0, s.createdNanos()).isBefore(START.plus(Duration.ofHours(24)))).toList();
        assertEquals(1, firstDay.size(), firstDay.toString());
        assertEquals(START.plus(Duration.ofMinutes(23 * 60 + 45)), Instant.ofEpochSecond(0, firstDay.get(0).createdNanos()));
    }

    @Test
    void manualSnapshotsAndTheNewestAreNeverThinned() {
        List<Snapshots.Snapshot> all = new ArrayList<>(everyQuarterHour(4));
        all.add(0, at(0, START.minus(Duration.ofDays(400)), true));
        Instant now = START.plus(Duration.ofDays(500));
        List<String> thinned = GRID.thin(all, now);
        assertFalse(thinned.contains("s0"), "named by hand");
        assertFalse(thinned.contains("s16"), "the newest");
        assertEquals(15, thinned.size());
        Retention thinAll = new Retention(GRID.keepAll(), GRID.hourly(), GRID.daily(), GRID.weekly(), GRID.monthly(),
                GRID.yearly(), true);
        assertTrue(thinAll.thin(all, now).contains("s0"));
    }

    @Test
    void underACapacityBoundTheOldestScheduledSnapshotGoesFirstButNeverTheNewest() {
        List<Snapshots.Snapshot> all = new ArrayList<>(everyQuarterHour(1));
        all.add(0, at(0, START.minus(Duration.ofDays(1)), true));
        assertEquals("s1", GRID.nextToDropForSpace(all).name());
        assertEquals(null, GRID.nextToDropForSpace(List.of(at(7, START, false))));
    }
}
