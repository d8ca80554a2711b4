package io.locusfs.store;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A retention grid: which snapshots to keep as they age. Every snapshot younger than
 * {@code keepAll} is kept; beyond that, for each tier (hourly, daily, weekly, monthly, yearly)
 * whose horizon the snapshot is within, the newest snapshot of each period (UTC hour, day, ISO
 * week, month, year) is kept. The newest snapshot is always kept, and snapshots named by hand
 * are kept unless {@code thinManual}. Everything else is thinned: deleting the snapshots between
 * kept ones merges their changes into the next kept one. A pure function of its inputs and the
 * clock it is given.
 *
 * @param keepAll    keep every snapshot this young
 * @param hourly     keep one per hour for snapshots this young (zero: no hourly tier)
 * @param daily      one per day
 * @param weekly     one per ISO week
 * @param monthly    one per month
 * @param yearly     one per year
 * @param thinManual thin snapshots named by hand too
 */
public record Retention(Duration keepAll, Duration hourly, Duration daily, Duration weekly, Duration monthly,
                        Duration yearly, boolean thinManual) {

    /** Keep every snapshot forever: what a store without a retention grid does. */
    public static final Retention KEEP_EVERYTHING = new Retention(ChronoUnit.FOREVER.getDuration(), Duration.ZERO,
            Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO, false);

    private enum Tier { HOUR, DAY, WEEK, MONTH, YEAR }

    /** The names of the snapshots to delete at {@code now}, oldest first. */
    public List<String> thin(List<Snapshots.Snapshot> snapshots, Instant now) {
        // Sync points belong to the synchronous mirrors (Snapshots#dropSyncPoints), not to the grid.
        List<Snapshots.Snapshot> newestFirst = new ArrayList<>(snapshots.stream().filter(s -> !s.syncPoint()).toList());
        newestFirst.sort(Comparator.comparingLong(Snapshots.Snapshot::epoch).reversed());
        Set<String> keep = new HashSet<>();
        if (!newestFirst.isEmpty()) {
            keep.add(newestFirst.get(0).name());
        }
        Duration[] horizons = {hourly, daily, weekly, monthly, yearly};
        List<Set<Long>> periodsTaken = List.of(new HashSet<>(), new HashSet<>(), new HashSet<>(), new HashSet<>(), new HashSet<>());
        for (Snapshots.Snapshot s : newestFirst) {
            Instant created = Instant.ofEpochSecond(0, s.createdNanos());
            Duration age = Duration.between(created, now);
            if ((s.manual() && !thinManual) || age.compareTo(keepAll) <= 0) {
                keep.add(s.name());
                continue;
            }
            for (Tier tier : Tier.values()) {
                Duration horizon = horizons[tier.ordinal()];
                // The newest snapshot of a period comes first here, so it claims the period.
                if (!horizon.isZero() && age.compareTo(horizon) <= 0 && periodsTaken.get(tier.ordinal()).add(period(tier, created))) {
                    keep.add(s.name());
                }
            }
        }
        List<String> thinned = new ArrayList<>();
        for (int i = newestFirst.size() - 1; i >= 0; i--) {
            if (!keep.contains(newestFirst.get(i).name())) {
                thinned.add(newestFirst.get(i).name());
            }
        }
        return thinned;
    }

    private static long period(Tier tier, Instant t) {
        ZonedDateTime utc = t.atZone(ZoneOffset.UTC);
        return switch (tier) {
            case HOUR -> t.getEpochSecond() / 3600;
            case DAY -> utc.toLocalDate().toEpochDay();
            case WEEK -> utc.get(IsoFields.WEEK_BASED_YEAR) * 100L + utc.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
            case MONTH -> utc.getYear() * 12L + utc.getMonthValue();
            case YEAR -> utc.getYear();
        };
    }

    /**
     * Under a capacity bound, the snapshot to drop next: the oldest one the schedule made, never
     * the newest snapshot, nor one named by hand unless {@code thinManual}; null when none may go.
     */
    public Snapshots.Snapshot nextToDropForSpace(List<Snapshots.Snapshot> snapshots) {
        List<Snapshots.Snapshot> oldestFirst = new ArrayList<>(snapshots.stream().filter(s -> !s.syncPoint()).toList());
        oldestFirst.sort(Comparator.comparingLong(Snapshots.Snapshot::epoch));
        for (int i = 0; i < oldestFirst.size() - 1; i++) {
            Snapshots.Snapshot s = oldestFirst.get(i);
            if (!s.manual() || thinManual) {
                return s;
            }
        }
        return null;
    }
}
