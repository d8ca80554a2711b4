package io.locusfs.store;

import static io.locusfs.store.StoreException.Kind;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * Snapshots of a store. A snapshot is an epoch: creating one records the current epoch under a
 * name and starts the next, so it costs one small batch whatever the size of the store. Reading
 * a snapshot reads each key's newest version born at or before its epoch ({@link View}).
 *
 * <p>Who sees a version: a version born in epoch b is seen by every reader epoch x (a snapshot,
 * or the current epoch for the live tree) with b ≤ x and no newer version of its key born at or
 * before x. Deleting a snapshot drops exactly the versions no remaining reader sees, and the
 * tombstones that then hide nothing; only versions born since the previous snapshot can become
 * unseen, so the work is proportional to what changed in that interval. Every change here is one
 * atomic batch written while all writers are held off, so a crash leaves the old state or the new.
 *
 * <p>Record format: meta key {@code snapshot/} ‖ name (UTF-8) → version (1 byte, 1) ‖ epoch (8)
 * ‖ created, ns since the Unix epoch (8) ‖ flags (1; bit 0: named by hand, not by the schedule;
 * bit 1: a sync point, taken for a synchronous mirror and dropped once a newer one replaces it)
 * ‖ referenced bytes (8; -1 until first computed) ‖ the store's signed location record at the
 * time (UTF-8, rest of the value, may be empty).
 */
public final class Snapshots {
    private static final byte[] RECORD_PREFIX = Store.bytes("snapshot/");
    private static final byte RECORD_VERSION = 1;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.:@+-]{0,199}");

    private final Store store;
    private final Versions versions;
    /** Told of each snapshot taken, after it is written (a replication daemon ships it at once). */
    private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();

    /** The epoch of the newest snapshot, 0 when there is none; versions born after it are seen by the live tree only. */
    private volatile long newestEpoch;

    Snapshots(Store store, Versions versions) {
        this.store = store;
        this.versions = versions;
        this.newestEpoch = newest().map(Snapshot::epoch).orElse(0L);
    }

    /** The epoch of the newest snapshot, 0 when there is none. */
    long newestEpoch() {
        return newestEpoch;
    }

    /**
     * One snapshot: its name, the epoch it froze, when it was taken, whether a person named it,
     * and whether it is a sync point (the state a synchronous mirror was brought to at an fsync:
     * kept only until a newer snapshot replaces it as that mirror's base, never thinned by
     * retention, which owns only the schedule's snapshots).
     */
    public record Snapshot(String name, long epoch, long createdNanos, boolean manual, boolean syncPoint, long referencedBytes,
                           String locationRecord) {
        byte[] encode() {
            byte[] record = locationRecord.getBytes(StandardCharsets.UTF_8);
            byte flags = (byte) ((manual ? 1 : 0) | (syncPoint ? 2 : 0));
            return ByteBuffer.allocate(1 + 8 + 8 + 1 + 8 + record.length).put(RECORD_VERSION).putLong(epoch)
                    .putLong(createdNanos).put(flags).putLong(referencedBytes).put(record).array();
        }

        static Snapshot decode(String name, byte[] value) {
            ByteBuffer b = ByteBuffer.wrap(value);
            if (value.length < 26 || b.get() != RECORD_VERSION) {
                throw new StoreException(Kind.CORRUPT, "snapshot '" + name + "' has an unreadable record");
            }
            long epoch = b.getLong();
            long created = b.getLong();
            byte flags = b.get();
            long referenced = b.getLong();
            return new Snapshot(name, epoch, created, (flags & 1) != 0, (flags & 2) != 0, referenced,
                    new String(value, b.position(), b.remaining(), StandardCharsets.UTF_8));
        }
    }

    /**
     * Checks a snapshot name: 1 to 200 of letters, digits and {@code _ . : @ + -}, not starting
     * with a dot or a dash (so it is never mistaken for an option or a hidden file).
     */
    public static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new StoreException(Kind.INVALID, "invalid snapshot name '" + name + "': use 1 to 200 letters, digits and"
                    + " _ . : @ + -, starting with a letter, digit or _");
        }
    }

    /**
     * Takes a snapshot of the tree as it is now: one batch, whatever the size of the store.
     *
     * @param createdNanos its time (normally now; importers may give the original time)
     * @param manual       named by a person: retention keeps it unless told otherwise
     * @throws StoreException EXISTS when the name is taken, INVALID for a bad name
     */
    public Snapshot create(String name, long createdNanos, boolean manual) {
        return create(name, createdNanos, manual, Map.of());
    }

    /**
     * As {@link #create(String, long, boolean)}, setting {@code notes} (name to value; a null
     * value removes the note) in the same durable write: a receiver's snapshot, the source it
     * came from and the removal of its resume token are there all together or not at all.
     */
    public Snapshot create(String name, long createdNanos, boolean manual, Map<String, byte[]> notes) {
        return create(name, createdNanos, manual, false, notes);
    }

    /**
     * As {@link #create(String, long, boolean, Map)}, as a sync point when {@code syncPoint} (see
     * {@link Snapshot}): a receiver's, durable before the sender is told.
     */
    public Snapshot create(String name, long createdNanos, boolean manual, boolean syncPoint, Map<String, byte[]> notes) {
        return create(name, createdNanos, manual, syncPoint, true, notes);
    }

    /**
     * A sync point on the origin, for a synchronous mirror: durable with the store's next sync,
     * not one of its own (the fsync it serves has synced the data already; the replicator syncs
     * once the mirror has acknowledged it, off the fsync's path). Lost in a crash before that
     * sync, it costs the mirror a full stream next time, never data.
     */
    public Snapshot createSyncPoint(String name, long createdNanos) {
        return create(name, createdNanos, false, true, false, Map.of());
    }

    private Snapshot create(String name, long createdNanos, boolean manual, boolean syncPoint, boolean durable,
                            Map<String, byte[]> notes) {
        checkName(name);
        String record = store.locationRecord().map(r -> r.encode()).orElse("");
        Snapshot[] made = new Snapshot[1];
        store.beginEpoch(batch -> {
            if (find(name).isPresent()) {
                throw new StoreException(Kind.EXISTS, "snapshot '" + name + "' already exists");
            }
            made[0] = new Snapshot(name, store.currentEpoch(), createdNanos, manual, syncPoint, -1, record);
            put(batch, made[0]);
            newestEpoch = made[0].epoch(); // set under the epoch lock: no writer reads it until the epoch has moved on
            try {
                for (Map.Entry<String, byte[]> note : notes.entrySet()) {
                    store.putNote(batch, note.getKey(), note.getValue());
                }
            } catch (RocksDBException e) {
                throw new StoreException(Kind.IO, "batching the notes of snapshot '" + name + "': " + e.getMessage(), e);
            }
        }, durable, !syncPoint);
        for (Consumer<Snapshot> listener : listeners) {
            listener.accept(made[0]);
        }
        return made[0];
    }

    /** Calls {@code listener} with each snapshot taken from now on, on the thread that took it; it must be quick. */
    public void addListener(Consumer<Snapshot> listener) {
        listeners.add(listener);
    }

    public void removeListener(Consumer<Snapshot> listener) {
        listeners.remove(listener);
    }

    /** Every snapshot, oldest first. */
    public List<Snapshot> list() {
        List<Snapshot> all = new ArrayList<>();
        try (RocksIterator it = store.db().newIterator(store.meta, store.readOptions)) {
            for (it.seek(RECORD_PREFIX); it.isValid() && Keys.startsWith(it.key(), RECORD_PREFIX); it.next()) {
                byte[] key = it.key();
                String name = new String(key, RECORD_PREFIX.length, key.length - RECORD_PREFIX.length, StandardCharsets.UTF_8);
                all.add(Snapshot.decode(name, it.value()));
            }
        }
        all.sort(Comparator.comparingLong(Snapshot::epoch));
        return all;
    }

    /** The newest snapshot (the highest epoch), if there is one. */
    public Optional<Snapshot> newest() {
        List<Snapshot> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    public Optional<Snapshot> find(String name) {
        try {
            byte[] value = store.db().get(store.meta, recordKey(name));
            return value == null ? Optional.empty() : Optional.of(Snapshot.decode(name, value));
        } catch (RocksDBException e) {
            throw new StoreException(Kind.IO, "reading snapshot '" + name + "': " + e.getMessage(), e);
        }
    }

    /**
     * The snapshot called {@code name}.
     *
     * @throws StoreException NOT_FOUND when there is none
     */
    public Snapshot get(String name) {
        return find(name).orElseThrow(() -> new StoreException(Kind.NOT_FOUND, "no snapshot '" + name + "'"));
    }

    /** The read-only tree of {@code snapshot}. */
    public View view(Snapshot snapshot) {
        return View.at(store, versions, snapshot.epoch());
    }

    /**
     * Bytes of data the snapshot references (all its files' blocks). Computed once from the block
     * map and kept in the record, since a snapshot never changes.
     */
    public long referencedBytes(Snapshot snapshot) {
        if (snapshot.referencedBytes() >= 0) {
            return snapshot.referencedBytes();
        }
        long bytes = view(snapshot).referencedBytes();
        if (store.isReadOnly()) {
            return bytes; // Counted again next time; a read-only opener writes nothing.
        }
        Snapshot counted = new Snapshot(snapshot.name(), snapshot.epoch(), snapshot.createdNanos(), snapshot.manual(),
                snapshot.syncPoint(), bytes, snapshot.locationRecord());
        store.exclusively(() -> {
            if (find(snapshot.name()).isPresent()) { // Not deleted meanwhile.
                try (WriteBatch batch = new WriteBatch()) {
                    put(batch, counted);
                    store.write(batch, false);
                } catch (RocksDBException e) {
                    throw new StoreException(Kind.IO, "recording the size of snapshot '" + snapshot.name() + "': " + e.getMessage(), e);
                }
            }
            return null;
        });
        return bytes;
    }

    /**
     * What deleting {@code snapshot} would free now: the data versions only it sees (like
     * {@code used} in {@code zfs list -t snapshot}). Costs time proportional to what changed
     * between it and the snapshot before it.
     */
    public Freed uniqueBytes(Snapshot snapshot) {
        return store.exclusively(() -> collect(null, snapshot));
    }

    /** What a deletion freed (or would free): versions dropped, and the bytes of data blocks among them. */
    public record Freed(long versions, long blockBytes) {
        Freed plus(Freed other) {
            return new Freed(versions + other.versions, blockBytes + other.blockBytes);
        }
    }

    /**
     * Deletes snapshot {@code name} and, in the same batch, every version no remaining snapshot
     * and not the live tree can see. Space returns to the disk at the next compaction
     * ({@link Store#compact}).
     *
     * @throws StoreException NOT_FOUND when there is no such snapshot
     */
    public Freed delete(String name) {
        return delete(name, true);
    }

    /** As {@link #delete(String)}; not {@code durable}: with the store's next sync. */
    private Freed delete(String name, boolean durable) {
        return store.exclusively(() -> {
            Snapshot snapshot = get(name);
            try (WriteBatch batch = new WriteBatch()) {
                Freed freed = collect(batch, snapshot);
                batch.delete(store.meta, recordKey(name));
                store.write(batch, durable);
                newestEpoch = newest().map(Snapshot::epoch).orElse(0L);
                return freed;
            } catch (RocksDBException e) {
                throw new StoreException(Kind.IO, "deleting snapshot '" + name + "': " + e.getMessage(), e);
            }
        });
    }

    /**
     * Deletes the sync points a newer snapshot has replaced: every one but the newest snapshot and
     * those {@code stillNeeded} names (a mirror's base for its next stream).
     *
     * @return the names deleted
     */
    public List<String> dropSyncPoints(Set<String> stillNeeded) {
        return dropSyncPoints(stillNeeded, Long.MAX_VALUE);
    }

    /**
     * As {@link #dropSyncPoints(Set)}, only those older than epoch {@code before}: the ones a caller
     * knew of when it named what is {@code stillNeeded} (a newer one may be on its way to a mirror).
     */
    public List<String> dropSyncPoints(Set<String> stillNeeded, long before) {
        List<Snapshot> all = list();
        List<String> dropped = new ArrayList<>();
        String newest = newest().map(Snapshot::name).orElse(null);
        for (Snapshot s : all) {
            if (s.syncPoint() && s.epoch() < before && !s.name().equals(newest) && !stillNeeded.contains(s.name())) {
                try {
                    delete(s.name(), false); // a crash that undoes it leaves a sync point to drop next time
                    dropped.add(s.name());
                } catch (StoreException e) {
                    if (e.kind() != Kind.NOT_FOUND) { // deleted meanwhile is what was wanted
                        throw e;
                    }
                }
            }
        }
        return dropped;
    }

    /**
     * Adds to {@code batch} (or, when null, only counts) the drops that deleting {@code snapshot}
     * makes: versions born since the previous snapshot that no other reader sees.
     */
    private Freed collect(WriteBatch batch, Snapshot snapshot) {
        NavigableSet<Long> readers = readers();
        readers.remove(snapshot.epoch());
        Long previous = readers.lower(snapshot.epoch());
        Freed freed = new Freed(0, 0);
        for (FamilyPrefix changed : changedBetween(previous == null ? 0 : previous, snapshot.epoch())) {
            freed = freed.plus(collect(batch, changed.family(), changed.prefix(), readers));
        }
        return freed;
    }

    /**
     * Drops (into {@code batch}; only counts when null) the versions of one key that none of
     * {@code readers} sees, then the tombstones left hiding nothing.
     */
    private Freed collect(WriteBatch batch, byte family, byte[] prefix, NavigableSet<Long> readers) {
        List<Versions.Version> dropped = garbage(versions.all(family, prefix), readers);
        long bytes = 0;
        for (Versions.Version v : dropped) {
            if (batch != null) {
                versions.drop(batch, family, prefix, v);
            }
            if (family == Versions.BLOCKS && !v.tombstone()) {
                bytes += v.length();
            }
        }
        return new Freed(dropped.size(), bytes);
    }

    /**
     * Of the versions of one key ({@code newestFirst}), those none of {@code readers} sees, and
     * the tombstones that would then hide nothing (no live version older than them is kept).
     */
    static List<Versions.Version> garbage(List<Versions.Version> newestFirst, NavigableSet<Long> readers) {
        List<Versions.Version> dropped = unseen(newestFirst, readers);
        boolean olderIsLive = false;
        for (int i = newestFirst.size() - 1; i >= 0; i--) { // Oldest first, over the versions kept.
            Versions.Version v = newestFirst.get(i);
            if (dropped.contains(v)) {
                continue;
            }
            if (v.tombstone() && !olderIsLive) {
                dropped.add(v); // Readers see no value either way.
            }
            olderIsLive = !v.tombstone();
        }
        return dropped;
    }

    /**
     * Of the versions of one key ({@code newestFirst}), those no reader sees: a version born in b
     * is seen by the readers x with b ≤ x below the next newer version's birth.
     */
    static List<Versions.Version> unseen(List<Versions.Version> newestFirst, NavigableSet<Long> readers) {
        List<Versions.Version> unseen = new ArrayList<>();
        long newer = Long.MAX_VALUE;
        for (Versions.Version v : newestFirst) {
            Long reader = readers.ceiling(v.epoch());
            if (reader == null || reader >= newer) {
                unseen.add(v);
            }
            newer = v.epoch();
        }
        return unseen;
    }

    /**
     * Returns the live tree to {@code name}: afterwards it reads exactly as the snapshot does.
     * Snapshots taken after it are kept (the live tree gets copies of the old versions); without
     * later snapshots the versions born since are simply dropped. Work is proportional to what
     * changed since the snapshot. The caller makes sure no file is being written meanwhile.
     *
     * @return how many keys were restored
     */
    public long rollback(String name) {
        return store.exclusively(() -> {
            Snapshot snapshot = get(name);
            long current = store.currentEpoch();
            boolean later = list().stream().anyMatch(s -> s.epoch() > snapshot.epoch());
            List<FamilyPrefix> changed = changedBetween(snapshot.epoch(), current);
            NavigableSet<Long> readers = readers();
            try (WriteBatch batch = new WriteBatch()) {
                for (FamilyPrefix key : changed) {
                    restore(batch, key.family(), key.prefix(), snapshot.epoch(), current, later ? readers : null);
                }
                store.write(batch, true);
            } catch (RocksDBException e) {
                throw new StoreException(Kind.IO, "rolling back to '" + name + "': " + e.getMessage(), e);
            }
            return (long) changed.size();
        });
    }

    /** Restores one key; {@code readers} is null when no snapshot is newer than {@code epoch}. */
    private void restore(WriteBatch batch, byte family, byte[] prefix, long epoch, long current, NavigableSet<Long> readers)
            throws RocksDBException {
        List<Versions.Version> all = versions.all(family, prefix);
        if (readers == null) {
            for (Versions.Version v : all) {
                if (v.epoch() > epoch) {
                    versions.drop(batch, family, prefix, v);
                }
            }
            return;
        }
        // Later snapshots still see the newer versions: the live tree gets a copy of the old one,
        // and versions that only the live tree saw become garbage.
        List<Versions.Version> result = new ArrayList<>();
        for (Versions.Version v : all) {
            if (v.epoch() == current) {
                versions.drop(batch, family, prefix, v);
            } else {
                result.add(v);
            }
        }
        byte[] old = family == Versions.BLOCKS
                ? store.blockVersions().read(Keys.getLong(prefix, 0), Keys.getLong(prefix, Keys.LONG), epoch)
                : versions.get(versions.values(family), prefix, epoch);
        Versions.Version copy = null;
        if (!result.isEmpty() && result.get(0).epoch() > epoch) {
            copy = new Versions.Version(current, old == null, old == null ? 0 : old.length);
            result.add(0, copy);
        }
        List<Versions.Version> garbage = garbage(result, readers);
        for (Versions.Version v : garbage) {
            if (v != copy) {
                versions.drop(batch, family, prefix, v);
            }
        }
        if (copy != null && !garbage.contains(copy)) {
            if (family != Versions.BLOCKS) {
                versions.put(batch, versions.values(family), family, prefix, old == null ? Versions.TOMBSTONE : old);
            } else if (old == null) {
                store.blockVersions().bury(batch, prefix);
            } else {
                store.blockVersions().putWhole(batch, prefix, old, null); // the current version was dropped above
            }
        }
    }

    /**
     * The paths that differ between snapshot {@code from} and snapshot {@code to}, or the live
     * tree when {@code to} is null (then writers are held off while it is computed, so it sees
     * one consistent tree). Costs time proportional to the change ({@link Diff}).
     *
     * @throws StoreException NOT_FOUND for an unknown snapshot, INVALID when {@code to} is older than {@code from}
     */
    public List<Diff.Change> diff(String from, String to) {
        Snapshot older = get(from);
        if (to == null) {
            return store.exclusively(() -> Diff.compute(view(older), View.at(store, versions, store.currentEpoch()),
                    changedBetween(older.epoch(), store.currentEpoch())));
        }
        Snapshot newer = get(to);
        if (newer.epoch() < older.epoch()) {
            throw new StoreException(Kind.INVALID, "snapshot '" + to + "' is older than '" + from + "'; give the older one first");
        }
        return Diff.compute(view(older), view(newer), changedBetween(older.epoch(), newer.epoch()));
    }

    /** Which part of the store a change is in. */
    public enum Family {
        INODES, DIRENTS, BLOCKS, XATTRS;

        static Family of(byte code) {
            return values()[code - 1];
        }
    }

    /** Receives one changed key of {@link #changes}. */
    public interface ChangeVisitor {
        /**
         * @param key   the key without its epoch ({@code snapshotter/FORMAT.md})
         * @param value its value in the newer view, null when it is gone there (a tombstone or no version)
         */
        void change(Family family, byte[] key, byte[] value);
    }

    /**
     * The diff stream between two epochs: every key with a version born in {@code (after, upTo]},
     * tombstones included, each once with its value as of {@code upTo}. What replication ships;
     * its cost is proportional to the change. {@code upTo} must not be the current epoch while
     * writers run (use a snapshot's).
     */
    public void changes(long after, long upTo, ChangeVisitor visitor) {
        for (FamilyPrefix key : changedBetween(after, upTo)) {
            byte[] prefix = key.prefix();
            visitor.change(Family.of(key.family()), prefix, key.family() == Versions.BLOCKS
                    ? store.blockVersions().read(Keys.getLong(prefix, 0), Keys.getLong(prefix, Keys.LONG), upTo)
                    : versions.get(versions.values(key.family()), prefix, upTo));
        }
    }

    /** One key of one family. */
    record FamilyPrefix(byte family, byte[] prefix) {
    }

    /** Every key with a version born in epochs {@code (after, upTo]}, each once: a range scan of the births index. */
    List<FamilyPrefix> changedBetween(long after, long upTo) {
        Set<ByteBuffer> seen = new HashSet<>();
        List<FamilyPrefix> changed = new ArrayList<>();
        versions.births(after, upTo, (epoch, family, prefix) -> {
            byte[] id = new byte[prefix.length + 1];
            id[0] = family;
            System.arraycopy(prefix, 0, id, 1, prefix.length);
            if (seen.add(ByteBuffer.wrap(id))) {
                changed.add(new FamilyPrefix(family, prefix));
            }
            return true;
        });
        return changed;
    }

    /** Every epoch someone reads at: each snapshot's, and the current one (the live tree). */
    NavigableSet<Long> readers() {
        NavigableSet<Long> readers = new TreeSet<>();
        for (Snapshot s : list()) {
            readers.add(s.epoch());
        }
        readers.add(store.currentEpoch());
        return readers;
    }

    private void put(WriteBatch batch, Snapshot snapshot) {
        try {
            batch.put(store.meta, recordKey(snapshot.name()), snapshot.encode());
        } catch (RocksDBException e) {
            throw new StoreException(Kind.IO, "batching snapshot '" + snapshot.name() + "': " + e.getMessage(), e);
        }
    }

    private static byte[] recordKey(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(RECORD_PREFIX.length + n.length).put(RECORD_PREFIX).put(n).array();
    }
}
