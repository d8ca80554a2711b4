package io.locusfs.replicate;

import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.LocationRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What an origin knows of its replicas: for each mirror (by store id), the zone it acknowledged,
 * the last snapshot it holds, and the inodes placement kept from it. Kept as store notes
 * {@code replica/MIRROR-STORE-ID} (JSON), written when a mirror acknowledges a whole stream.
 */
public final class ReplicaBook {
    static final String PREFIX = "replica/";

    private ReplicaBook() {
    }

    /**
     * One mirror's acknowledgement.
     *
     * @param record   the mirror's signed location record, as it sent it
     * @param leftOut  inodes of the origin that were never sent to it (placement)
     */
    public record Replica(String mirror, String name, String zone, String record, String snapshot, long ackedNanos,
                          Set<Long> leftOut) {
    }

    /** Records that {@code mirror} now holds {@code snapshot}; {@code leftOut} adds to what it was kept from (or replaces it, after a full stream). */
    public static void acknowledge(Store store, String mirror, String name, String zone, String record, String snapshot,
                                   Set<Long> leftOut, boolean full) {
        Set<Long> kept = new HashSet<>(leftOut);
        if (!full) {
            find(store, mirror).ifPresent(r -> kept.addAll(r.leftOut()));
        }
        Replica replica = new Replica(mirror, name, zone, record, snapshot, System.currentTimeMillis() * 1_000_000L, kept);
        try {
            // Durable with the store's next sync: lost in a crash, the mirror's next hello says it again.
            store.putNote(PREFIX + mirror, StreamHeader.JSON.writeValueAsBytes(replica), false);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Optional<Replica> find(Store store, String mirror) {
        return store.note(PREFIX + mirror).map(ReplicaBook::parse);
    }

    public static List<Replica> all(Store store) {
        List<Replica> all = new ArrayList<>();
        for (byte[] json : store.notes(PREFIX).values()) {
            all.add(parse(json));
        }
        return all;
    }

    /** Forgets a mirror (it was removed from the configuration, or its zone changed). */
    public static void forget(Store store, String mirror) {
        store.putNote(PREFIX + mirror, null);
    }

    /**
     * The replicas of live file {@code ino}: each mirror whose last acknowledged snapshot has the
     * inode and was not kept from it.
     */
    public static List<Replica> holding(Store store, long ino) {
        List<Replica> holding = new ArrayList<>();
        for (Replica r : all(store)) {
            Optional<Snapshots.Snapshot> snapshot = store.snapshots().find(r.snapshot());
            boolean has = snapshot.isPresent() && store.snapshots().view(snapshot.get()).inodeOrNull(ino) != null;
            if (has && !r.leftOut().contains(ino)) {
                holding.add(r);
            }
        }
        return holding;
    }

    /** Where the mirror lives: its signed record's zone and coordinates, else the zone it acknowledged with. */
    public static Location locationOf(Replica r) {
        return locationOf(r.record(), r.zone());
    }

    /** Where a mirror lives: the zone and coordinates of its signed {@code record}, else {@code zone}. */
    static Location locationOf(String record, String zone) {
        try {
            return LocationRecord.parse(record).location();
        } catch (IllegalArgumentException e) {
            return Location.of(zone);
        }
    }

    private static Replica parse(byte[] json) {
        try {
            return StreamHeader.JSON.readValue(json, Replica.class);
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.CORRUPT,
                    "an unreadable replica note: " + e.getMessage(), e);
        }
    }
}
