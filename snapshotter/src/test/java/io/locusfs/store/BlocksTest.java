package io.locusfs.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.locusfs.xattr.Location;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Block versions made of a base and patches, on a real RocksDB store: what a patched block
 * reads, what it costs in patches, and that snapshots, rollbacks, deletions and fsck see every
 * version whole.
 */
class BlocksTest {
    private static final int BS = 4096;
    @TempDir
    Path dir;
    private Store store;
    private long ino;
    private BitSet stored = new BitSet();
    private long mtime = 1;

    @BeforeEach
    void open() throws Exception {
        Store.create(dir.resolve("s"), Location.of("eu/gb"), 0, 0, BS);
        store = Store.open(dir.resolve("s"), StoreOptions.defaults());
        ino = store.tree().create(Store.ROOT_INO, "f".getBytes(StandardCharsets.UTF_8), Inode.S_IFREG | 0644, 0, 0, 0, null).ino;
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** Writes {@code bytes} at {@code offset} as the mount does: whole blocks whole, parts of blocks as patches. */
    private void write(long offset, byte[] bytes, long size) {
        List<FileData.BlockWrite> writes = new ArrayList<>();
        int done = 0;
        while (done < bytes.length) {
            long position = offset + done;
            long index = position / BS;
            int within = (int) (position % BS);
            int chunk = Math.min(bytes.length - done, BS - within);
            byte[] image = new byte[BS];
            System.arraycopy(bytes, done, image, within, chunk);
            int length = (int) Math.min(BS, size - index * BS);
            if (within == 0 && chunk >= length) {
                writes.add(new FileData.BlockWrite(index, image, length));
            } else {
                writes.add(new FileData.BlockWrite(index, image, length, new int[] {within, Math.min(chunk, length - within)}));
            }
            done += chunk;
        }
        if (stored.isEmpty()) {
            stored = store.data().storedBlocks(ino);
        }
        store.data().commit(ino, writes, size, mtime++, stored);
    }

    private byte[] read(View view, long size) {
        byte[] out = new byte[(int) size];
        for (long index = 0; index * BS < size; index++) {
            byte[] block = view.readBlock(ino, index);
            if (block != null) {
                System.arraycopy(block, 0, out, (int) (index * BS), (int) Math.min(block.length, size - index * BS));
            }
        }
        return out;
    }

    private int patchCount() {
        int[] n = {0};
        store.blockVersions().allPatches((prefix, born, seq) -> n[0]++);
        return n[0];
    }

    @Test
    void aSmallWriteIsStoredAsAPatchAndReadsMerged() {
        byte[] first = new byte[BS];
        Arrays.fill(first, (byte) 'a');
        write(0, first, BS);
        write(100, "xyz".getBytes(StandardCharsets.UTF_8), BS);
        assertEquals(1, patchCount(), "a 3-byte write into a stored block is one patch, not a block");
        byte[] expected = first.clone();
        expected[100] = 'x';
        expected[101] = 'y';
        expected[102] = 'z';
        assertArrayEquals(expected, store.data().readBlock(ino, 0));
    }

    @Test
    void patchesFoldIntoAWholeBlockAfterTheLimit() {
        write(0, new byte[] {1}, BS); // a patch over a hole
        for (int i = 1; i <= Blocks.MAX_PATCHES + 1; i++) {
            write(i * 10L, new byte[] {(byte) i}, BS);
        }
        assertTrue(patchCount() <= Blocks.MAX_PATCHES, "patches fold: " + patchCount());
        byte[] block = store.data().readBlock(ino, 0);
        assertEquals(1, block[0]);
        assertEquals(Blocks.MAX_PATCHES + 1, block[(Blocks.MAX_PATCHES + 1) * 10]);
        assertEquals(0, block[5], "bytes no write reached read as zeros");
    }

    @Test
    void aSnapshotKeepsThePatchedVersionItSawAndTheNextWriteCopiesIt() {
        byte[] base = new byte[BS];
        Arrays.fill(base, (byte) 1);
        write(0, base, BS);
        write(10, new byte[] {2, 2}, BS);
        store.snapshots().create("a", 1, true);
        write(11, new byte[] {3}, BS); // first write after the snapshot: copy-on-write of the whole block
        View a = store.snapshots().view(store.snapshots().get("a"));
        assertEquals(2, a.readBlock(ino, 0)[11]);
        assertEquals(3, store.data().readBlock(ino, 0)[11]);
        assertEquals(2, store.data().readBlock(ino, 0)[10]);
        assertEquals(List.of(), new Fsck(store).check());
    }

    /**
     * Random writes (whole blocks, parts of blocks, across blocks), truncates, snapshots, deletions
     * of any snapshot and rollbacks to any against a byte-array model: every snapshot and the live tree
     * read as the model says, and fsck finds nothing wrong.
     */
    @Test
    void randomHistoryReadsAsTheModelAndFsckIsClean() {
        Random random = new Random(20261206);
        byte[] model = new byte[0];
        Map<String, byte[]> snapshots = new LinkedHashMap<>();
        for (int step = 0; step < 600; step++) {
            int op = random.nextInt(100);
            if (op < 70) {
                int offset = random.nextInt(6 * BS);
                int length = 1 + (random.nextBoolean() ? random.nextInt(64) : random.nextInt(3 * BS));
                byte[] bytes = new byte[length];
                random.nextBytes(bytes);
                if (random.nextInt(5) == 0) {
                    Arrays.fill(bytes, (byte) 0);
                }
                long size = Math.max(model.length, offset + length);
                write(offset, bytes, size);
                model = Arrays.copyOf(model, (int) size);
                System.arraycopy(bytes, 0, model, offset, length);
            } else if (op < 78) {
                int size = random.nextInt(6 * BS);
                store.data().truncate(ino, size);
                stored = new BitSet();
                model = Arrays.copyOf(model, size);
            } else if (op < 88) {
                String name = "s" + step;
                store.snapshots().create(name, step, true);
                snapshots.put(name, model.clone());
            } else if (op < 94 && !snapshots.isEmpty()) {
                String any = new ArrayList<>(snapshots.keySet()).get(random.nextInt(snapshots.size()));
                store.snapshots().delete(any);
                snapshots.remove(any);
            } else if (!snapshots.isEmpty()) {
                String any = new ArrayList<>(snapshots.keySet()).get(random.nextInt(snapshots.size()));
                store.snapshots().rollback(any);
                stored = new BitSet();
                model = snapshots.get(any).clone();
            }
            if (step % 50 == 49) {
                assertEquals(List.of(), new Fsck(store).check(), "after step " + step);
            }
            assertArrayEquals(model, read(store.tree().live(), store.tree().inode(ino).size), "live tree after step " + step);
        }
        for (Map.Entry<String, byte[]> s : snapshots.entrySet()) {
            View view = store.snapshots().view(store.snapshots().get(s.getKey()));
            assertArrayEquals(s.getValue(), read(view, view.inode(ino).size), "snapshot " + s.getKey());
        }
        assertEquals(List.of(), new Fsck(store).check());
        assertTrue(patchCount() > 0, "the history stored patches");
    }
}
