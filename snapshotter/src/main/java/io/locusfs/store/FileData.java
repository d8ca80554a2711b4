package io.locusfs.store;

import static io.locusfs.store.StoreException.Kind;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The data of regular files: fixed-size blocks, each version whole or a base with patches
 * ({@link Blocks}), with a small {@code blockmap} entry (the version's length and patch count)
 * beside each so that listing, truncating and freeing a file reads keys and lengths, never the
 * data. Holes and all-zero blocks are not stored. Thread-safe; writers of one file must be
 * serialised by the caller (the open file).
 */
public final class FileData {
    private final Store store;
    private final Versions versions;
    private final int blockSize;

    FileData(Store store, Versions versions) {
        this.store = store;
        this.versions = versions;
        this.blockSize = store.blockSize();
    }

    public int blockSize() {
        return blockSize;
    }

    /**
     * One block to store: the first {@code length} bytes of {@code data} at block {@code index}
     * when {@code ranges} is null; otherwise only the byte ranges {@code ranges} lists (offset,
     * length pairs within the block, in {@code data} at those offsets) change, the rest of the
     * block keeps what it holds.
     */
    public record BlockWrite(long index, byte[] data, int length, int[] ranges) {
        /** A whole block. */
        public BlockWrite(long index, byte[] data, int length) {
            this(index, data, length, null);
        }
    }

    /**
     * The stored bytes of block {@code index} of {@code ino} as of now.
     *
     * @return the bytes (shorter than a block at the end of a file), or null for a hole
     */
    public byte[] readBlock(long ino, long index) {
        return blocks().read(ino, index, store.currentEpoch());
    }

    /**
     * Copies block {@code index} of {@code ino} into {@code target} (at least one block long).
     *
     * @return the bytes copied; 0 for a hole
     */
    public int readBlockInto(long ino, long index, byte[] target) {
        return store.tree().live().readBlockInto(ino, index, target);
    }

    /** The indices of the blocks of {@code ino} that hold data. */
    public BitSet storedBlocks(long ino) {
        return store.tree().live().storedBlocks(ino);
    }

    /**
     * Stores {@code writes} and the file's new size and mtime in one atomic batch. A block whose
     * bytes are all zero is removed instead of stored. {@code stored} (the open file's view of
     * which blocks hold data) is updated to match.
     *
     * @return the inode as stored
     */
    public Inode commit(long ino, List<BlockWrite> writes, long size, long mtimeNanos, BitSet stored) {
        store.epochLock.readLock().lock();
        try (WriteBatch batch = new WriteBatch()) {
            long storedDelta = 0;
            for (BlockWrite w : writes) {
                int index = Math.toIntExact(w.index());
                if (w.ranges() != null) {
                    if (stored.get(index) || !rangesZero(w)) { // zeros written over a hole change nothing
                        blocks().patch(batch, ino, w.index(), w.data(), w.ranges(), stored.get(index),
                                size - w.index() * blockSize);
                        if (!stored.get(index)) {
                            stored.set(index);
                            storedDelta++;
                        }
                    }
                    continue;
                }
                if (isZero(w.data(), w.length())) {
                    if (stored.get(index)) {
                        removeBlock(batch, ino, w.index());
                        stored.clear(index);
                        storedDelta--;
                    }
                    continue;
                }
                byte[] value = w.length() == w.data().length ? w.data() : Arrays.copyOf(w.data(), w.length());
                if (stored.get(index)) {
                    putBlock(batch, ino, w.index(), value);
                } else {
                    // Not stored live: the version of this epoch, if any, is a tombstone without patches.
                    blocks().putWhole(batch, Keys.blockPrefix(ino, w.index()), value, null);
                    stored.set(index);
                    storedDelta++;
                }
            }
            long delta = storedDelta;
            store.tree().lock.lock();
            try {
                Inode inode = store.tree().inode(ino);
                inode.size = size;
                inode.storedBlocks += delta;
                inode.mtimeNanos = mtimeNanos;
                inode.ctimeNanos = Math.max(inode.ctimeNanos, mtimeNanos);
                store.tree().putInode(batch, inode);
                store.write(batch, false);
                return inode;
            } finally {
                store.tree().lock.unlock();
            }
        } catch (RocksDBException e) {
            throw new StoreException(Kind.IO, "writing data of inode " + ino + ": " + e.getMessage(), e);
        } finally {
            store.epochLock.readLock().unlock();
        }
    }

    /**
     * Stores {@code length} bytes of {@code data} that came from elsewhere (a mirror) as the data
     * of {@code ino} from the block-aligned {@code offset}, in one batch, the file's size and times
     * unchanged; zero blocks stay holes. The far read path ({@link FarData}) and self-heal
     * ({@link BlockRepair}) write through this.
     */
    void storeFetched(long ino, long offset, byte[] data, int length, BitSet stored) {
        List<BlockWrite> writes = new ArrayList<>();
        BlockSpans.forEach(offset, length, blockSize,
                (index, within, done, n) -> writes.add(new BlockWrite(index, Arrays.copyOfRange(data, done, done + n), n)));
        Inode inode = store.tree().inode(ino);
        commit(ino, writes, inode.size, inode.mtimeNanos, stored);
    }

    /**
     * Removes every data block of {@code ino} in one batch, its size and times unchanged: a cache
     * of far data dropping what it fetched ({@link FarData}), which reads fetch again.
     *
     * @return the bytes of the blocks removed
     */
    long dropFetched(long ino) {
        BitSet stored = storedBlocks(ino);
        if (stored.isEmpty()) {
            return 0;
        }
        byte[] zeros = new byte[blockSize];
        List<BlockWrite> writes = new ArrayList<>();
        stored.stream().forEach(index -> writes.add(new BlockWrite(index, zeros, blockSize)));
        long bytes = (long) stored.cardinality() * blockSize;
        Inode inode = store.tree().inode(ino);
        commit(ino, writes, inode.size, inode.mtimeNanos, stored);
        return bytes;
    }

    /**
     * Sets the size of {@code ino} to {@code size}: blocks past the end are freed, the tail of a
     * partial last block is zeroed so that growing the file again reads zeros.
     *
     * @return the inode as stored
     * @throws StoreException IS_DIRECTORY / INVALID for a non-regular file, FILE_TOO_BIG
     */
    public Inode truncate(long ino, long size) {
        if (size < 0) {
            throw new StoreException(Kind.INVALID, "negative size " + size);
        }
        if (size / blockSize >= Integer.MAX_VALUE) {
            throw new StoreException(Kind.FILE_TOO_BIG, "size " + size + " is beyond the largest file this store holds");
        }
        store.tree().lock.lock();
        try (WriteBatch batch = new WriteBatch()) {
            Inode inode = store.tree().inode(ino);
            if (inode.isDirectory()) {
                throw new StoreException(Kind.IS_DIRECTORY, "inode " + ino + " is a directory");
            }
            if (!inode.isRegular()) {
                throw new StoreException(Kind.INVALID, "inode " + ino + " is not a regular file");
            }
            long firstWhole = (size + blockSize - 1) / blockSize;
            long removed = removeBlocksFrom(batch, ino, firstWhole);
            int tail = (int) (size % blockSize);
            if (tail != 0 && size < inode.size) {
                byte[] last = readBlock(ino, size / blockSize);
                if (last != null && last.length > tail) {
                    byte[] cut = Arrays.copyOf(last, tail);
                    if (isZero(cut, tail)) {
                        removeBlock(batch, ino, size / blockSize);
                        removed++;
                    } else {
                        putBlock(batch, ino, size / blockSize, cut);
                    }
                }
            }
            long now = Tree.now();
            inode.size = size;
            inode.storedBlocks = Math.max(0, inode.storedBlocks - removed);
            inode.mtimeNanos = inode.ctimeNanos = now;
            store.tree().putInode(batch, inode);
            store.write(batch, false);
            return inode;
        } catch (RocksDBException e) {
            throw new StoreException(Kind.IO, "truncating inode " + ino + ": " + e.getMessage(), e);
        } finally {
            store.tree().lock.unlock();
        }
    }

    /** Adds to {@code batch} the removal of every stored block of {@code ino} from {@code fromIndex} on. */
    long removeBlocksFrom(WriteBatch batch, long ino, long fromIndex) {
        return blocks().removeFrom(batch, ino, fromIndex);
    }

    /** Adds a whole new version of a block that holds data live (its version of this epoch, if any, is replaced). */
    private void putBlock(WriteBatch batch, long ino, long index, byte[] value) {
        byte[] prefix = Keys.blockPrefix(ino, index);
        blocks().putWhole(batch, prefix, value, blocks().current(prefix));
    }

    private void removeBlock(WriteBatch batch, long ino, long index) {
        blocks().removeLive(batch, Keys.blockPrefix(ino, index));
    }

    private Blocks blocks() {
        return store.blockVersions();
    }

    private static boolean rangesZero(BlockWrite w) {
        int[] ranges = w.ranges();
        for (int i = 0; i < ranges.length; i += 2) {
            for (int j = ranges[i]; j < ranges[i] + ranges[i + 1]; j++) {
                if (w.data()[j] != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Zeros to compare blocks with: {@code Arrays.mismatch} is vectorised, a loop over bytes is not. */
    private static final byte[] ZEROS = new byte[1 << 20];

    static boolean isZero(byte[] data, int length) {
        for (int at = 0; at < length; at += ZEROS.length) {
            int n = Math.min(ZEROS.length, length - at);
            if (Arrays.mismatch(data, at, at + n, ZEROS, 0, n) >= 0) {
                return false;
            }
        }
        return true;
    }
}
