package io.locusfs.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The one place that knows how versions are born, found and buried. A version lives at
 * {@code prefix ‖ ~epoch}; an empty value is a tombstone. Writing in the current epoch overwrites
 * that epoch's version in place, so a version older than the last snapshot is never touched
 * (copy-on-write). Every version born is also listed in the {@code births} family under
 * {@code epoch ‖ family ‖ prefix}, so the changes between two epochs are one range scan.
 * Thread-safe; callers serialise read-modify-write sequences on the same prefix.
 */
final class Versions {
    static final byte INODES = 1;
    static final byte DIRENTS = 2;
    static final byte BLOCKS = 3;
    static final byte XATTRS = 4;
    static final byte[] TOMBSTONE = new byte[0];

    private final Store store;

    Versions(Store store) {
        this.store = store;
    }

    /**
     * The newest live value of {@code prefix} born at or before {@code epoch}.
     *
     * @return the value, or null when there is none or the newest is a tombstone
     */
    byte[] get(ColumnFamilyHandle cf, byte[] prefix, long epoch) {
        Newest newest = newest(cf, prefix, epoch);
        return newest == null ? null : newest.value();
    }

    /** A prefix's newest live value and the epoch it was born in. */
    record Newest(byte[] value, long born) {
    }

    /** As {@link #get}, also telling when the value was born (which spares a removal its seek, {@link #removeNewest}). */
    Newest newest(ColumnFamilyHandle cf, byte[] prefix, long epoch) {
        try {
            // A version born in the epoch read is the newest at or before it: an exact get (cheap,
            // bloom-filtered when it misses) saves the seek. It always hits for what the live tree
            // wrote since the last snapshot, and for a snapshot, what changed just before it.
            byte[] exact = store.db().get(cf, store.readOptions, Keys.versioned(prefix, epoch));
            if (exact != null) {
                return exact.length == 0 ? null : new Newest(exact, epoch);
            }
            if (epoch == Store.FIRST_EPOCH) {
                return null; // No older epoch exists to hold a version.
            }
            try (RocksIterator it = store.db().newIterator(cf, store.readOptions)) {
                it.seek(Keys.versioned(prefix, epoch));
                if (!it.isValid()) {
                    it.status();
                    return null;
                }
                byte[] key = it.key();
                if (key.length != prefix.length + Keys.LONG || !Keys.startsWith(key, prefix)) {
                    return null;
                }
                byte[] value = it.value();
                return value.length == 0 ? null : new Newest(value, Keys.epochOf(key));
            }
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "reading the store: " + e.getMessage(), e);
        }
    }

    /** Adds to {@code batch} a new version of {@code prefix}, born in the current epoch. */
    void put(WriteBatch batch, ColumnFamilyHandle cf, byte family, byte[] prefix, byte[] value) {
        try {
            batch.put(cf, Keys.versioned(prefix, store.currentEpoch()), value);
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "batching a write: " + e.getMessage(), e);
        }
        born(batch, family, prefix);
    }

    /**
     * Adds to {@code batch} the births entry of a version of {@code prefix} born now (written by
     * the caller), and the drop of the versions it leaves unseen. Those are the versions born
     * after the newest snapshot but before the current epoch: epochs whose snapshot was deleted
     * (or rolled back past), seen by the live tree only, and by nobody once it sees the new one.
     * While the newest snapshot ended the epoch before this one, there are none and nothing is
     * read.
     */
    void born(WriteBatch batch, byte family, byte[] prefix) {
        long epoch = store.currentEpoch();
        try {
            batch.put(store.births, Keys.birth(epoch, family, prefix), TOMBSTONE);
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "batching a write: " + e.getMessage(), e);
        }
        Snapshots snapshots = store.snapshots();
        long newestSnapshot = snapshots == null ? epoch - 1 : snapshots.newestEpoch();
        if (newestSnapshot >= epoch - 1) {
            return;
        }
        try (RocksIterator it = store.db().newIterator(listing(family), store.readOptions)) {
            for (it.seek(Keys.versioned(prefix, epoch - 1)); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (key.length != prefix.length + Keys.LONG || !Keys.startsWith(key, prefix)) {
                    break;
                }
                long older = Keys.epochOf(key);
                if (older <= newestSnapshot) {
                    break;
                }
                drop(batch, family, prefix, version(family, older, it.value()));
            }
            it.status();
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "reading the store: " + e.getMessage(), e);
        }
    }

    /**
     * Adds to {@code batch} the removal of {@code prefix}: its current-epoch version is dropped,
     * and if an older version is still visible to a snapshot, a tombstone hides it from now on.
     */
    void remove(WriteBatch batch, ColumnFamilyHandle cf, byte family, byte[] prefix) {
        remove(batch, cf, family, prefix, hasOlderLiveVersion(cf, prefix));
    }

    /** As {@link #remove}, knowing already whether a version born before this epoch is still live ({@link #scanForRemoval}). */
    void remove(WriteBatch batch, ColumnFamilyHandle cf, byte family, byte[] prefix, boolean olderLive) {
        if (olderLive) {
            put(batch, cf, family, prefix, TOMBSTONE);
        } else {
            dropCurrent(batch, cf, family, prefix);
        }
    }

    /**
     * As {@link #remove}, for a prefix whose newest live version was born in {@code born}
     * ({@link #newest}): one born before this epoch is itself the older live version, so no seek
     * is needed; one born in it takes the seek {@link #remove} makes.
     */
    void removeNewest(WriteBatch batch, ColumnFamilyHandle cf, byte family, byte[] prefix, long born) {
        if (born < store.currentEpoch()) {
            put(batch, cf, family, prefix, TOMBSTONE);
        } else {
            remove(batch, cf, family, prefix);
        }
    }

    /** Adds to {@code batch} the deletion of the current-epoch version of {@code prefix}, if any. */
    void dropCurrent(WriteBatch batch, ColumnFamilyHandle cf, byte family, byte[] prefix) {
        long epoch = store.currentEpoch();
        try {
            batch.delete(cf, Keys.versioned(prefix, epoch));
            batch.delete(store.births, Keys.birth(epoch, family, prefix));
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "batching a removal: " + e.getMessage(), e);
        }
    }

    /**
     * True when a live (non-tombstone) version of {@code prefix} born before the current epoch
     * exists in {@code cf}: removing it then needs a tombstone, not just a delete.
     */
    boolean hasOlderLiveVersion(ColumnFamilyHandle cf, byte[] prefix) {
        long epoch = store.currentEpoch();
        if (epoch == Store.FIRST_EPOCH) {
            return false;
        }
        try (RocksIterator it = store.db().newIterator(cf, store.readOptions)) {
            for (it.seek(Keys.versioned(prefix, epoch)); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (key.length != prefix.length + Keys.LONG || !Keys.startsWith(key, prefix)) {
                    return false;
                }
                if (Keys.epochOf(key) < epoch) {
                    return it.value().length > 0;
                }
            }
            it.status();
            return false;
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "reading the store: " + e.getMessage(), e);
        }
    }

    /**
     * One stored version of a prefix: its birth epoch, whether it is a tombstone, its value's
     * length, and for a block the patches it has ({@link Blocks}).
     */
    record Version(long epoch, boolean tombstone, int length, int patches) {
        Version(long epoch, boolean tombstone, int length) {
            this(epoch, tombstone, length, 0);
        }
    }

    /** The family whose keys list the versions of {@code family} cheaply: blocks are listed from the block map. */
    ColumnFamilyHandle listing(byte family) {
        return switch (family) {
            case INODES -> store.inodes;
            case DIRENTS -> store.dirents;
            case BLOCKS -> store.blockmap;
            case XATTRS -> store.xattrs;
            default -> throw new StoreException(StoreException.Kind.CORRUPT, "unknown family " + family + " in the births index");
        };
    }

    /** The family holding the values of {@code family}. */
    ColumnFamilyHandle values(byte family) {
        return family == BLOCKS ? store.blocks : listing(family);
    }

    /** Every stored version of {@code prefix} in {@code family}, newest first (for blocks, lengths from the block map). */
    List<Version> all(byte family, byte[] prefix) {
        List<Version> all = new ArrayList<>(2);
        try (RocksIterator it = store.db().newIterator(listing(family), store.readOptions)) {
            for (it.seek(Keys.versioned(prefix, Long.MAX_VALUE)); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (key.length != prefix.length + Keys.LONG || !Keys.startsWith(key, prefix)) {
                    break;
                }
                all.add(version(family, Keys.epochOf(key), it.value()));
            }
            it.status();
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "reading the store: " + e.getMessage(), e);
        }
        return all;
    }

    /** The version born in {@code epoch} whose listing value ({@link #listing}) is {@code value}. */
    static Version version(byte family, long epoch, byte[] value) {
        if (family == BLOCKS) {
            Blocks.Entry entry = Blocks.Entry.decode(value);
            return entry == null ? new Version(epoch, true, 0) : new Version(epoch, false, entry.length(), entry.patches());
        }
        return new Version(epoch, value.length == 0, value.length);
    }

    /** Adds to {@code batch} the deletion of version {@code v} of {@code prefix}, with its index entries (and a block's patches). */
    void drop(WriteBatch batch, byte family, byte[] prefix, Version v) {
        long epoch = v.epoch();
        try {
            if (family == BLOCKS) {
                store.blockVersions().drop(batch, prefix, epoch, v.patches());
            } else {
                batch.delete(values(family), Keys.versioned(prefix, epoch));
            }
            batch.delete(store.births, Keys.birth(epoch, family, prefix));
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "batching a removal: " + e.getMessage(), e);
        }
    }

    /** Receives one entry of the births index. Return false to stop. */
    interface BirthVisitor {
        boolean visit(long epoch, byte family, byte[] prefix);
    }

    /** Visits every version born in epochs {@code (after, upTo]}, in birth order: one range scan of the births index. */
    void births(long after, long upTo, BirthVisitor visitor) {
        try (RocksIterator it = store.db().newIterator(store.births, store.readOptions)) {
            for (it.seek(Store.longBytes(after + 1)); it.isValid(); it.next()) {
                byte[] key = it.key();
                long epoch = Keys.getLong(key, 0);
                if (epoch > upTo) {
                    break;
                }
                if (!visitor.visit(epoch, key[Keys.LONG], Arrays.copyOfRange(key, Keys.LONG + 1, key.length))) {
                    return;
                }
            }
            it.status();
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "scanning the births index: " + e.getMessage(), e);
        }
    }

    /** Receives one live (prefix, value) pair of a scan. Return false to stop. */
    interface Visitor {
        boolean visit(byte[] prefix, byte[] value);
    }

    interface RemovalVisitor {
        /** {@code current}: the value of the version born in this epoch, null when there is none. */
        void visit(byte[] prefix, boolean olderLive, byte[] current);
    }

    /**
     * Visits, in key order, every prefix starting with {@code rangePrefix} (from {@code from},
     * inclusive) that is live in the current epoch, with what {@link #hasOlderLiveVersion} would
     * say of it: read off the same forward scan, so removing many prefixes (a file's blocks) costs
     * one seek, not one per prefix.
     */
    void scanForRemoval(ColumnFamilyHandle cf, byte[] rangePrefix, byte[] from, RemovalVisitor visitor) {
        long current = store.currentEpoch();
        try (RocksIterator it = store.db().newIterator(cf, store.readOptions)) {
            it.seek(from);
            byte[] prefix = null;
            byte[] pending = null; // the value of a live version of prefix born in the current epoch: the next (older) version decides
            for (; it.isValid(); it.next()) {
                byte[] key = it.key();
                if (!Keys.startsWith(key, rangePrefix)) {
                    break;
                }
                byte[] keyPrefix = Keys.prefixOf(key);
                if (prefix != null && Arrays.equals(keyPrefix, prefix)) { // an older version (newest first)
                    if (pending != null) {
                        visitor.visit(prefix, it.value().length > 0, pending);
                        pending = null;
                    }
                    continue;
                }
                if (pending != null) {
                    visitor.visit(prefix, false, pending); // born now, nothing older
                }
                prefix = keyPrefix;
                byte[] value = it.value();
                boolean live = value.length > 0;
                pending = live && Keys.epochOf(key) == current ? value : null;
                if (live && pending == null) {
                    visitor.visit(prefix, true, null); // the newest is itself older and live
                }
            }
            if (pending != null) {
                visitor.visit(prefix, false, pending);
            }
            it.status();
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "scanning the store: " + e.getMessage(), e);
        }
    }

    /** What {@link #scanBirths} visits: a prefix, the epoch its newest version was born in, and whether that one is a removal. */
    interface BirthOfNewest {
        void visit(byte[] prefix, long born, boolean removed);
    }

    /**
     * Visits, in key order, the newest version (born at or before {@code epoch}, a removal
     * included) of every prefix that starts with {@code rangePrefix}, with the epoch it was born in.
     */
    void scanBirths(ColumnFamilyHandle cf, byte[] rangePrefix, long epoch, BirthOfNewest visitor) {
        try (RocksIterator it = store.db().newIterator(cf, store.readOptions)) {
            it.seek(rangePrefix);
            byte[] lastPrefix = null;
            for (; it.isValid(); it.next()) {
                byte[] key = it.key();
                if (!Keys.startsWith(key, rangePrefix)) {
                    break;
                }
                long born = Keys.epochOf(key);
                if (born > epoch) {
                    continue;
                }
                byte[] prefix = Keys.prefixOf(key);
                if (lastPrefix != null && Arrays.equals(prefix, lastPrefix)) {
                    continue;
                }
                lastPrefix = prefix;
                visitor.visit(prefix, born, it.value().length == 0);
            }
            it.status();
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "scanning the store: " + e.getMessage(), e);
        }
    }

    /**
     * Visits, in key order, the newest live version (born at or before {@code epoch}) of every
     * prefix that starts with {@code rangePrefix}, beginning at {@code from} (inclusive; a
     * prefix, or null for the start of the range).
     */
    void scan(ColumnFamilyHandle cf, byte[] rangePrefix, byte[] from, long epoch, Visitor visitor) {
        try (RocksIterator it = store.db().newIterator(cf, store.readOptions)) {
            it.seek(from == null ? rangePrefix : from);
            byte[] lastPrefix = null;
            for (; it.isValid(); it.next()) {
                byte[] key = it.key();
                if (!Keys.startsWith(key, rangePrefix)) {
                    break;
                }
                if (Keys.epochOf(key) > epoch) {
                    continue;
                }
                byte[] prefix = Keys.prefixOf(key);
                if (lastPrefix != null && Arrays.equals(prefix, lastPrefix)) {
                    continue;
                }
                lastPrefix = prefix;
                byte[] value = it.value();
                if (value.length > 0 && !visitor.visit(prefix, value)) {
                    return;
                }
            }
            it.status();
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "scanning the store: " + e.getMessage(), e);
        }
    }
}
