package io.locusfs.store;

import static io.locusfs.store.StoreException.Kind;

import io.locusfs.xattr.LocationRecord;
import io.locusfs.xattr.ReservedAttributes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.function.Predicate;

/**
 * The tree as it was at one epoch (a snapshot), or as it is now (the live view): every read
 * takes, for each key, the newest version born at or before that epoch. Read-only and
 * thread-safe; a snapshot's view never changes, the live view follows the current epoch.
 */
public final class View {
    /** Marks the live view: it reads at whatever the current epoch is. */
    private static final long LIVE = -1;

    private final Store store;
    private final Versions versions;
    private final long fixedEpoch;

    private View(Store store, Versions versions, long fixedEpoch) {
        this.store = store;
        this.versions = versions;
        this.fixedEpoch = fixedEpoch;
    }

    static View live(Store store, Versions versions) {
        return new View(store, versions, LIVE);
    }

    static View at(Store store, Versions versions, long epoch) {
        return new View(store, versions, epoch);
    }

    /** The epoch this view reads at now. */
    public long epoch() {
        return fixedEpoch == LIVE ? store.currentEpoch() : fixedEpoch;
    }

    /**
     * The inode {@code ino}.
     *
     * @throws StoreException NOT_FOUND when it does not exist in this view
     */
    public Inode inode(long ino) {
        Inode inode = inodeOrNull(ino);
        if (inode == null) {
            throw new StoreException(Kind.NOT_FOUND, "inode " + ino + " does not exist");
        }
        return inode;
    }

    public Inode inodeOrNull(long ino) {
        byte[] value = versions.get(store.inodes, Keys.inodePrefix(ino), epoch());
        return value == null ? null : Inode.decode(ino, value);
    }

    /** The inode {@code name} names in directory {@code parent}, or 0 when there is no such entry. */
    public long lookup(long parent, byte[] name) {
        byte[] value = versions.get(store.dirents, Keys.namedKey(parent, name), epoch());
        return value == null ? 0 : Keys.getLong(value, 0);
    }

    /** A directory entry from its stored value: the inode number, then the file type ({@code mode >>> 12}). */
    static Tree.Entry entry(byte[] name, byte[] value) {
        return new Tree.Entry(name, Keys.getLong(value, 0), value[Keys.LONG] & 0xff);
    }

    /** Lists directory {@code dir} in name order, giving each entry to {@code visitor} until it returns false. */
    public void list(long dir, Predicate<Tree.Entry> visitor) {
        versions.scan(store.dirents, Keys.namedPrefix(dir), null, epoch(), (prefix, value) ->
                visitor.test(entry(Keys.nameOf(prefix), value)));
    }

    /** Receives one directory entry of {@link #allEntries}. */
    public interface EntryVisitor {
        void visit(long parent, byte[] name, long ino);
    }

    /** Visits every directory entry of the whole tree, in key order: reads all entries once. */
    public void allEntries(EntryVisitor visitor) {
        versions.scan(store.dirents, new byte[0], null, epoch(), (prefix, value) -> {
            visitor.visit(Keys.getLong(prefix, 0), Keys.nameOf(prefix), Keys.getLong(value, 0));
            return true;
        });
    }

    /**
     * The value of xattr {@code name} of {@code ino}.
     *
     * @throws StoreException NO_ATTRIBUTE when it has none
     */
    public byte[] getXattr(long ino, byte[] name) {
        byte[] value = versions.get(store.xattrs, Keys.namedKey(ino, name), epoch());
        if (value == null) {
            throw new StoreException(Kind.NO_ATTRIBUTE, "no attribute '" + Tree.display(name) + "'");
        }
        return Arrays.copyOfRange(value, 1, value.length);
    }

    /**
     * Where {@code ino}'s data lives as this view sees it. The product's central rule, owned
     * here: a file lives where its own signed record says (a file that came from another store
     * keeps the record that vouched for it), else where its store's record says,
     * {@code storeRecord} (for a snapshot, the store's record when it was taken).
     *
     * @throws StoreException CORRUPT when the file's own record cannot be read
     */
    public LocationRecord locationRecord(long ino, LocationRecord storeRecord) {
        byte[] own;
        try {
            own = getXattr(ino, RECORD_NAME);
        } catch (StoreException e) {
            if (e.kind() != Kind.NO_ATTRIBUTE) {
                throw e;
            }
            return storeRecord;
        }
        return ownRecord(ino, own, 0);
    }

    /** The name of the attribute that holds a file's own location record. */
    static final byte[] RECORD_NAME = ReservedAttributes.RECORD.getBytes(StandardCharsets.UTF_8);

    /** A file's own record from the attribute's bytes from {@code offset} (a stored value has a 1-byte header). */
    static LocationRecord ownRecord(long ino, byte[] value, int offset) {
        try {
            return LocationRecord.parse(new String(value, offset, value.length - offset,
                    StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new StoreException(Kind.CORRUPT, "inode " + ino + " has an unreadable location record", e);
        }
    }

    /** The names of the xattrs of {@code ino}, in byte order. */
    public List<byte[]> listXattrs(long ino) {
        List<byte[]> names = new ArrayList<>();
        versions.scan(store.xattrs, Keys.namedPrefix(ino), null, epoch(), (prefix, value) -> {
            names.add(Keys.nameOf(prefix));
            return true;
        });
        return names;
    }

    /** The stored bytes of block {@code index} of {@code ino}, or null for a hole. */
    public byte[] readBlock(long ino, long index) {
        return store.blockVersions().read(ino, index, epoch());
    }

    /**
     * Copies block {@code index} of {@code ino} into {@code target} (at least one block long).
     *
     * @return the bytes copied; 0 for a hole
     */
    public int readBlockInto(long ino, long index, byte[] target) {
        return store.blockVersions().readInto(ino, index, epoch(), target);
    }

    /** The indices of the blocks of {@code ino} that hold data. */
    public BitSet storedBlocks(long ino) {
        BitSet stored = new BitSet();
        versions.scan(store.blockmap, Keys.inodePrefix(ino), null, epoch(), (prefix, value) -> {
            stored.set(Math.toIntExact(Keys.getLong(prefix, Keys.LONG)));
            return true;
        });
        return stored;
    }

    /**
     * The blocks of {@code ino} whose version in this view was born after {@code epoch}: written,
     * or removed (a hole again), since then. Every version is complete in the epoch it was born
     * in (FORMAT.md), so the others hold what they held at {@code epoch}. Reads the block map only.
     */
    public BitSet blocksChangedAfter(long ino, long epoch) {
        BitSet changed = new BitSet();
        versions.scanBirths(store.blockmap, Keys.inodePrefix(ino), epoch(), (prefix, born, removed) -> {
            if (born > epoch) {
                changed.set(Math.toIntExact(Keys.getLong(prefix, Keys.LONG)));
            }
        });
        return changed;
    }

    /** Bytes of data blocks this view holds: what a snapshot references. Reads the block map once. */
    public long referencedBytes() {
        long[] total = {0};
        versions.scan(store.blockmap, new byte[0], null, epoch(), (prefix, value) -> {
            total[0] += Blocks.Entry.decode(value).length();
            return true;
        });
        return total[0];
    }
}
