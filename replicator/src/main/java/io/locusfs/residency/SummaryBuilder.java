package io.locusfs.residency;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Adds up a report's entries into its {@link ResidencySummary}: the writer as it writes them, the
 * verifier as it reads them back, so the two can only agree when the entries are the ones summed.
 */
final class SummaryBuilder {
    private long files;
    private long directories;
    private long bytes;
    private long copies;
    private long outsidePolicy;
    private long outsideNow;
    private final Map<String, long[]> zones = new TreeMap<>(); // zone → copies, files, bytes

    /** One file's or directory's entry: its copies are added one by one. */
    final class Entry {
        private final long entryBytes;
        private final Set<String> seen = new HashSet<>();

        private Entry(long entryBytes) {
            this.entryBytes = entryBytes;
        }

        void copy(String zone, boolean allowed, boolean current) {
            long[] z = zones.computeIfAbsent(zone, k -> new long[3]);
            z[0]++;
            copies++;
            if (seen.add(zone)) {
                z[1]++;
                z[2] += entryBytes;
            }
            if (!allowed) {
                outsidePolicy++;
                if (current) {
                    outsideNow++;
                }
            }
        }
    }

    Entry entry(boolean directory, long entryBytes) {
        if (directory) {
            directories++;
        } else {
            files++;
        }
        bytes += entryBytes;
        return new Entry(entryBytes);
    }

    ResidencySummary build() {
        List<ResidencySummary.ZoneCount> counts = new ArrayList<>();
        zones.forEach((zone, z) -> counts.add(new ResidencySummary.ZoneCount(zone, z[0], z[1], z[2])));
        return new ResidencySummary(files, directories, bytes, copies, counts, outsidePolicy, outsideNow);
    }
}
