package io.locusfs.store;

import static io.locusfs.store.StoreException.Kind;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;

/**
 * The one owner of data block versions: how one is born (whole, or as patches), read, replaced
 * and buried (FORMAT.md, "Data blocks"). The version of block (ino, index) born in epoch e is its
 * {@code blockmap} entry at {@code prefix ‖ ~e} (its length and patch count), its base in
 * {@code blocks} at the same key (absent or empty: zeros), and its patches in {@code patches} at
 * {@code prefix ‖ ~e ‖ seq}, applied in order over the base. A patch is only ever added to a
 * version born in the current epoch, so every version is complete in itself: snapshots, diffs,
 * replication and fsck read it through {@link #readInto} like any other. Thread-safe; writers of
 * one file are serialised by the caller.
 */
final class Blocks {
    /**
     * Patches a version may hold before the next write folds them into a whole block. A fold
     * writes the block whole (log and blob file: twice its size), so with 4 KiB writes it costs
     * 256 KiB per 32 writes, 8 KiB a write, where 8 patches cost 32 KiB a write and made the
     * folds most of what random writes wrote (FORMAT.md, "Why 32 patches"). The price is on
     * reads of randomly written blocks: one base and up to this many small values.
     */
    static final int MAX_PATCHES = 32;
    private static final int SEQ = Integer.BYTES;

    private final Store store;
    private final Versions versions;

    Blocks(Store store, Versions versions) {
        this.store = store;
        this.versions = versions;
    }

    /** A decoded block map value: the version's length in bytes and how many patches it has. */
    record Entry(int length, int patches) {
        /** 4 bytes (the length) for a whole block, as format 2 wrote it; 8 with the patch count. */
        byte[] encode() {
            byte[] value = new byte[patches == 0 ? 4 : 8];
            ByteBuffer buffer = ByteBuffer.wrap(value).putInt(length);
            if (patches != 0) {
                buffer.putInt(patches);
            }
            return value;
        }

        /** The entry of a block map value; null for a tombstone (empty value). */
        static Entry decode(byte[] value) {
            if (value == null || value.length == 0) {
                return null;
            }
            ByteBuffer buffer = ByteBuffer.wrap(value);
            return new Entry(buffer.getInt(), value.length >= 8 ? buffer.getInt() : 0);
        }
    }

    /** The newest version of a block born at or before {@code epoch}: when, and its entry. */
    private record Found(long born, Entry entry) {
    }

    private Found find(byte[] prefix, long epoch) {
        Versions.Newest newest = versions.newest(store.blockmap, prefix, epoch);
        return newest == null ? null : new Found(newest.born(), Entry.decode(newest.value()));
    }

    /**
     * Copies the block {@code index} of {@code ino} as of {@code epoch} into {@code target} (at
     * least a block long).
     *
     * @return its length; 0 for a hole
     */
    int readInto(long ino, long index, long epoch, byte[] target) {
        byte[] prefix = Keys.blockPrefix(ino, index);
        Found found = find(prefix, epoch);
        if (found == null) {
            return 0;
        }
        return readVersion(prefix, found.born(), found.entry(), target);
    }

    /** The block as of {@code epoch}, or null for a hole. */
    byte[] read(long ino, long index, long epoch) {
        byte[] target = new byte[store.blockSize()];
        int length = readInto(ino, index, epoch, target);
        return length == 0 ? null : Arrays.copyOf(target, length);
    }

    /** Reads one version: its base, then its patches in order; bytes no write reached read as zeros. */
    private int readVersion(byte[] prefix, long born, Entry entry, byte[] target) {
        byte[] key = Keys.versioned(prefix, born);
        try {
            int base = store.db().get(store.blocks, store.readOptions, key, target);
            base = base == RocksDB.NOT_FOUND ? 0 : base;
            if (base > target.length || entry.length() > target.length) {
                throw new StoreException(Kind.CORRUPT, "block " + Keys.getLong(prefix, Keys.LONG) + " of inode "
                        + Keys.getLong(prefix, 0) + " is longer than a block");
            }
            if (entry.patches() == 0) {
                return base;
            }
            Arrays.fill(target, base, entry.length(), (byte) 0);
            try (RocksIterator it = store.db().newIterator(store.patches, store.readOptions)) {
                for (it.seek(key); it.isValid() && Keys.startsWith(it.key(), key); it.next()) {
                    byte[] patch = it.value();
                    int offset = Keys.getInt(patch, 0);
                    int length = patch.length - SEQ;
                    if (offset < 0 || offset + length > entry.length()) {
                        throw new StoreException(Kind.CORRUPT, "a patch of block " + Keys.getLong(prefix, Keys.LONG)
                                + " of inode " + Keys.getLong(prefix, 0) + " lies beyond the block");
                    }
                    System.arraycopy(patch, SEQ, target, offset, length);
                }
                it.status();
            }
            return entry.length();
        } catch (RocksDBException e) {
            // A checksum that fails (a flipped bit in a table or blob file) is corruption, which a copy elsewhere can mend.
            boolean corrupt = e.getStatus() != null && e.getStatus().getCode() == Status.Code.Corruption;
            throw new StoreException(corrupt ? Kind.CORRUPT : Kind.IO, "reading the store: " + e.getMessage(), e);
        }
    }

    /** The entry of the version born in the current epoch; null when there is none or it is a tombstone. */
    Entry current(byte[] prefix) {
        try {
            return Entry.decode(store.db().get(store.blockmap, store.readOptions, Keys.versioned(prefix, store.currentEpoch())));
        } catch (RocksDBException e) {
            throw new StoreException(Kind.IO, "reading the store: " + e.getMessage(), e);
        }
    }

    /**
     * Adds to {@code batch} a whole new version of the block, born in the current epoch;
     * {@code current} is the version it replaces in this epoch (its patches go), or null.
     */
    void putWhole(WriteBatch batch, byte[] prefix, byte[] value, Entry current) {
        versions.put(batch, store.blocks, Versions.BLOCKS, prefix, value);
        try {
            batch.put(store.blockmap, Keys.versioned(prefix, store.currentEpoch()), new Entry(value.length, 0).encode());
            if (current != null) {
                deletePatches(batch, prefix, store.currentEpoch(), current.patches());
            }
        } catch (RocksDBException e) {
            throw new StoreException(Kind.IO, "batching a block: " + e.getMessage(), e);
        }
    }

    /**
     * Adds to {@code batch} the write of {@code ranges} (offset, length pairs within the block)
     * of {@code data} (a block-sized image holding them at their offsets) over block
     * {@code index} of {@code ino}, whose live version holds data when {@code hasData}. Costs the
     * size of the ranges when the live version was born in this epoch (or there is none) and has
     * room for more patches; otherwise the block is read, patched and written whole (the first
     * write to a block after a snapshot, and every {@link #MAX_PATCHES}th).
     *
     * @param end the file's size less the block's start: no byte at or past it is stored
     */
    void patch(WriteBatch batch, long ino, long index, byte[] data, int[] ranges, boolean hasData, long end) {
        byte[] prefix = Keys.blockPrefix(ino, index);
        Entry current = hasData ? current(prefix) : null;
        int count = ranges.length / 2;
        boolean foldable = current != null && current.patches() + count <= MAX_PATCHES;
        if (hasData && !foldable || count > MAX_PATCHES) {
            byte[] whole = new byte[store.blockSize()];
            int length = readInto(ino, index, store.currentEpoch(), whole);
            for (int i = 0; i < ranges.length; i += 2) {
                System.arraycopy(data, ranges[i], whole, ranges[i], ranges[i + 1]);
                length = Math.max(length, ranges[i] + ranges[i + 1]);
            }
            putWhole(batch, prefix, Arrays.copyOf(whole, (int) Math.min(length, end)), current);
            return;
        }
        long epoch = store.currentEpoch();
        int seq = current == null ? 0 : current.patches();
        int length = current == null ? 0 : current.length();
        try {
            if (current == null) {
                // A new version over a hole: no base (a tombstone left by a removal in this epoch reads as zeros).
                versions.born(batch, Versions.BLOCKS, prefix);
            }
            for (int i = 0; i < ranges.length; i += 2) {
                int offset = ranges[i];
                int size = ranges[i + 1];
                byte[] value = new byte[SEQ + size];
                Keys.putInt(value, 0, offset);
                System.arraycopy(data, offset, value, SEQ, size);
                batch.put(store.patches, patchKey(prefix, epoch, seq++), value);
                length = Math.max(length, offset + size);
            }
            batch.put(store.blockmap, Keys.versioned(prefix, epoch), new Entry(length, seq).encode());
        } catch (RocksDBException e) {
            throw new StoreException(Kind.IO, "batching a block patch: " + e.getMessage(), e);
        }
    }

    /**
     * Adds to {@code batch} the removal of the block's live version: dropped with its patches
     * when born in this epoch, and hidden by a tombstone when an older one is still seen by a
     * snapshot ({@code olderLive}).
     *
     * @param current the entry of the version born in this epoch, or null
     */
    void remove(WriteBatch batch, byte[] prefix, boolean olderLive, Entry current) {
        byte[] key = Keys.versioned(prefix, store.currentEpoch());
        try {
            if (current != null) {
                deletePatches(batch, prefix, store.currentEpoch(), current.patches());
            }
            if (olderLive) {
                bury(batch, prefix);
            } else {
                versions.dropCurrent(batch, store.blocks, Versions.BLOCKS, prefix);
                batch.delete(store.blockmap, key);
            }
        } catch (RocksDBException e) {
            throw new StoreException(Kind.IO, "batching a block removal: " + e.getMessage(), e);
        }
    }

    /** As {@link #remove}, for the block's live version as the store holds it now. */
    void removeLive(WriteBatch batch, byte[] prefix) {
        remove(batch, prefix, versions.hasOlderLiveVersion(store.blockmap, prefix), current(prefix));
    }

    /** Adds to {@code batch} the removal of every stored block of {@code ino} from {@code fromIndex} on; returns how many. */
    long removeFrom(WriteBatch batch, long ino, long fromIndex) {
        long[] removed = new long[1];
        versions.scanForRemoval(store.blockmap, Keys.inodePrefix(ino), Keys.blockPrefix(ino, fromIndex), (prefix, olderLive, current) -> {
            remove(batch, prefix, olderLive, Entry.decode(current));
            removed[0]++;
        });
        return removed[0];
    }

    /**
     * Adds to {@code batch} a tombstone born now: the block reads as a hole from this epoch on,
     * while the older versions stay for the snapshots that see them.
     */
    void bury(WriteBatch batch, byte[] prefix) throws RocksDBException {
        versions.put(batch, store.blocks, Versions.BLOCKS, prefix, Versions.TOMBSTONE);
        batch.put(store.blockmap, Keys.versioned(prefix, store.currentEpoch()), Versions.TOMBSTONE);
    }

    /** Adds to {@code batch} the deletion of version {@code born} of a block: base, block map entry, patches. */
    void drop(WriteBatch batch, byte[] prefix, long born, int patches) throws RocksDBException {
        byte[] key = Keys.versioned(prefix, born);
        batch.delete(store.blocks, key);
        batch.delete(store.blockmap, key);
        deletePatches(batch, prefix, born, patches);
    }

    private void deletePatches(WriteBatch batch, byte[] prefix, long born, int patches) throws RocksDBException {
        for (int seq = 0; seq < patches; seq++) {
            batch.delete(store.patches, patchKey(prefix, born, seq));
        }
    }

    /** {@code prefix ‖ ~born ‖ seq}: one patch of a block version. */
    static byte[] patchKey(byte[] prefix, long born, int seq) {
        byte[] key = Arrays.copyOf(Keys.versioned(prefix, born), prefix.length + Keys.LONG + SEQ);
        Keys.putInt(key, prefix.length + Keys.LONG, seq);
        return key;
    }

    /** Receives one stored patch of {@link #allPatches}: the version it belongs to and its sequence number. */
    interface PatchVisitor {
        void visit(byte[] prefix, long born, int seq);
    }

    /** Visits every patch in the store (fsck). */
    void allPatches(PatchVisitor visitor) {
        if (store.patches == null) {
            return;
        }
        try (RocksIterator it = store.db().newIterator(store.patches, store.readOptions)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] key = it.key();
                byte[] versioned = Arrays.copyOf(key, key.length - SEQ);
                visitor.visit(Keys.prefixOf(versioned), Keys.epochOf(versioned), Keys.getInt(key, key.length - SEQ));
            }
            it.status();
        } catch (RocksDBException e) {
            throw new StoreException(Kind.IO, "scanning the store: " + e.getMessage(), e);
        }
    }
}
