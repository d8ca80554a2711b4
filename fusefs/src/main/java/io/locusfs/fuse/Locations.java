package io.locusfs.fuse;

import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import io.locusfs.store.View;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.LocationRecord;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ReservedAttributes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Where each file of a store lives, as its signed location record says: the file's own record
 * when it has one (it came from elsewhere), else the record of the whole store, held once, so
 * that relabelling a store is one write whatever the number of files. Signs new records with the
 * node's key. Thread-safe.
 */
public final class Locations {
    private final Store store;
    private final NodeIdentity node;
    private volatile LocationRecord storeRecord;
    /** The replicas of a file, as replication recorded them ({@code user.location.replicas}). */
    private final LongFunction<List<Replica>> replicas;

    /** A replica of a file: the mirror's name, where it lives (its signed record), the snapshot it holds. */
    public record Replica(String mirror, Location location, String snapshot) {
        /** As a line of {@code user.location.replicas}: "ZONE snapshot SNAPSHOT (MIRROR)". */
        String line() {
            return location.zone() + " snapshot " + snapshot + " (" + mirror + ")";
        }
    }

    private Locations(Store store, NodeIdentity node, LocationRecord storeRecord, LongFunction<List<Replica>> replicas) {
        this.store = store;
        this.node = node;
        this.storeRecord = storeRecord;
        this.replicas = replicas;
    }

    /** As {@link #open(Store, LongFunction)}, knowing of no replica. */
    public static Locations open(Store store) throws IOException {
        return open(store, ino -> List.of());
    }

    /**
     * The locations of {@code store}, loading its node key; a store made before location records
     * existed gets a node key and a first signed record now. {@code replicas} tells a file's
     * replicas (replication keeps that book; the mount only shows it).
     */
    public static Locations open(Store store, LongFunction<List<Replica>> replicas) throws IOException {
        NodeIdentity node = Files.exists(store.path().resolve(NodeIdentity.PRIVATE_KEY_FILE))
                ? NodeIdentity.load(store.path()) : NodeIdentity.create(store.path());
        Locations locations = new Locations(store, node, store.locationRecord().orElse(null), replicas);
        if (locations.storeRecord == null) {
            locations.relabel(store.location());
        }
        return locations;
    }

    /** Signs and records {@code location} as the whole store's, in O(1). */
    public synchronized LocationRecord relabel(Location location) {
        LocationRecord record = LocationRecord.sign(node, location, store.storeId(), LocationRecord.EVERY_FILE,
                Instant.now(), node.nodeId());
        store.relabel(location, record);
        storeRecord = record;
        return record;
    }

    /**
     * The inode at {@code path} ("/a/b", names as raw bytes in ISO-8859-1) in the live tree.
     *
     * @throws StoreException NOT_FOUND when there is none
     */
    public long inodeAt(String path) {
        return Nodes.walk(store.tree().live(), Names.components(path));
    }

    /** The replicas of live file {@code ino}, as the mirrors acknowledged them. */
    public List<Replica> replicasOf(long ino) {
        return replicas.apply(ino);
    }

    /** The record that says where {@code ino}'s data lives. */
    public LocationRecord recordOf(long ino) {
        return store.tree().live().locationRecord(ino, storeRecord);
    }

    /** The value of reserved attribute {@code name} of {@code ino}. */
    public byte[] reservedValue(long ino, String name) {
        if (name.equals(ReservedAttributes.ORIGINS)) {
            return store.tree().getXattr(ino, name.getBytes(StandardCharsets.UTF_8));
        }
        if (name.equals(ReservedAttributes.REPLICAS)) {
            String zones = String.join("\n", replicas.apply(ino).stream().map(Replica::line).toList());
            if (zones.isEmpty()) {
                throw new StoreException(StoreException.Kind.NO_ATTRIBUTE, "no replica recorded");
            }
            return zones.getBytes(StandardCharsets.UTF_8);
        }
        return valueOf(recordOf(ino), name);
    }

    /**
     * The value of reserved attribute {@code name} of {@code ino} in a snapshot's {@code view}:
     * the file's own record then, else {@code storeRecordThen}, the store's record when the
     * snapshot was taken (the current one if the snapshot kept none).
     */
    public byte[] reservedValue(View view, long ino, String name, String storeRecordThen) {
        if (name.equals(ReservedAttributes.ORIGINS)) {
            return view.getXattr(ino, name.getBytes(StandardCharsets.UTF_8));
        }
        return valueOf(view.locationRecord(ino, storeRecordThen.isEmpty() ? storeRecord : LocationRecord.parse(storeRecordThen)), name);
    }

    private static byte[] valueOf(LocationRecord record, String name) {
        return switch (name) {
            case ReservedAttributes.LOCATION -> record.zone().toString().getBytes(StandardCharsets.UTF_8);
            case ReservedAttributes.RECORD -> record.encode().getBytes(StandardCharsets.UTF_8);
            default -> throw new StoreException(StoreException.Kind.NO_ATTRIBUTE, "no attribute '" + name + "'");
        };
    }

    public Store store() {
        return store;
    }

    public NodeIdentity node() {
        return node;
    }
}
