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
 *
 * <p>Beside it, the evidence of where copies have lived: a span per mirror and zone,
 * {@code replica-span/MIRROR-STORE-ID/FIRST-ACK-NANOS} (JSON {@link Span}), opened by the mirror's
 * first acknowledgement in a zone, stretched by each later one, and closed when the mirror is
 * forgotten or acknowledges from another zone. Spans are never deleted: a residency report over
 * a past period still finds a mirror that has since gone.
 */
public final class ReplicaBook {
    static final String PREFIX = "replica/";
    static final String SPAN_PREFIX = "replica-span/";

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

    /**
     * A time during which a mirror held this store's snapshots in one zone: from its first
     * acknowledgement there ({@code firstNanos}) to its latest ({@code lastNanos}); {@code endedNanos}
     * is when the span closed (0: open, the mirror still holds them).
     *
     * @param record the mirror's signed location record, as it sent it with its first acknowledgement
     */
    public record Span(String mirror, String name, String zone, String record, long firstNanos, long lastNanos,
                       long endedNanos, String lastSnapshot) {
        public boolean open() {
            return endedNanos == 0;
        }
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
            Optional<Span> open = openSpan(store, mirror);
            if (open.isPresent() && !open.get().zone().equals(zone)) {
                putSpan(store, close(open.get(), replica.ackedNanos()));
                open = Optional.empty();
            }
            putSpan(store, open.map(o -> new Span(o.mirror(), name, o.zone(), o.record(), o.firstNanos(), replica.ackedNanos(), 0, snapshot))
                    .orElseGet(() -> new Span(mirror, name, zone, record, replica.ackedNanos(), replica.ackedNanos(), 0, snapshot)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every span of every mirror, ever, by mirror then time. */
    public static List<Span> spans(Store store) {
        return spans(store, SPAN_PREFIX);
    }

    /** The spans whose notes start with {@code prefix}, in note order. */
    private static List<Span> spans(Store store, String prefix) {
        List<Span> spans = new ArrayList<>();
        for (byte[] json : store.notes(prefix).values()) {
            try {
                spans.add(StreamHeader.JSON.readValue(json, Span.class));
            } catch (IOException e) {
                throw new StoreException(StoreException.Kind.CORRUPT, "an unreadable replica span note: " + e.getMessage(), e);
            }
        }
        return spans;
    }

    private static Optional<Span> openSpan(Store store, String mirror) {
        // This mirror's notes only: an acknowledgement (one per sync round, for a synchronous mirror) reads no other's.
        return spans(store, SPAN_PREFIX + mirror + "/").stream().filter(Span::open).reduce((a, b) -> b);
    }

    private static Span close(Span s, long nanos) {
        return new Span(s.mirror(), s.name(), s.zone(), s.record(), s.firstNanos(), s.lastNanos(), nanos, s.lastSnapshot());
    }

    private static void putSpan(Store store, Span span) throws IOException {
        // Zero-padded so that a mirror's spans list in time order.
        store.putNote(SPAN_PREFIX + span.mirror() + "/" + String.format("%020d", span.firstNanos()),
                StreamHeader.JSON.writeValueAsBytes(span), false);
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
        try {
            Optional<Span> open = openSpan(store, mirror);
            if (open.isPresent()) {
                putSpan(store, close(open.get(), System.currentTimeMillis() * 1_000_000L));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
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
