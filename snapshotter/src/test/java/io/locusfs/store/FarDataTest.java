package io.locusfs.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.locusfs.xattr.Location;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The far half of the read path on a real RocksDB store, with the far side an array in memory:
 * what is fetched, how much at a time, that it is kept, that zeros stay holes, and that a far
 * side that fails or answers short makes the read fail instead of returning wrong bytes.
 */
class FarDataTest {
    private static final int BS = 4096;
    private static final int SIZE = 10 * BS + 100;
    @TempDir
    Path dir;
    private Store store;
    private long ino;
    private final byte[] far = new byte[SIZE];
    private final List<long[]> asked = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean down;
    private int shortBy;

    /** When set, reads of /g wait for {@link #slowG} (a slow transfer for a reader). */
    private volatile boolean holdG;
    private final java.util.concurrent.CountDownLatch slowG = new java.util.concurrent.CountDownLatch(1);
    private final List<String> paths = Collections.synchronizedList(new ArrayList<>());

    private final FarData.Source source = new FarData.Source() {
        @Override
        public int read(String path, long offset, byte[] buffer, int length) throws IOException {
            if (down) {
                throw new IOException("connection refused");
            }
            if (holdG && path.equals("/g")) {
                try {
                    slowG.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            paths.add(path + "@" + offset);
            asked.add(new long[] {offset, length});
            int n = (int) Math.min(length, SIZE - offset) - shortBy;
            System.arraycopy(far, (int) offset, buffer, 0, n);
            return n;
        }

        @Override
        public String describe() {
            return "the test's array";
        }
    };

    @BeforeEach
    void open() throws Exception {
        new Random(7).nextBytes(far);
        Arrays.fill(far, 4 * BS, 6 * BS, (byte) 0); // two blocks of zeros: a hole at the far end
        Store.create(dir.resolve("s"), Location.of("eu/fr"), 0, 0, BS);
        store = Store.open(dir.resolve("s"), StoreOptions.defaults());
        ino = store.tree().create(Store.ROOT_INO, "f".getBytes(StandardCharsets.UTF_8), Inode.S_IFREG | 0644, 0, 0, 0, null).ino;
        Inode inode = store.tree().inode(ino);
        inode.size = SIZE; // metadata only, as a stream without data leaves it
        inode.mtimeNanos = 42;
        store.data().commit(ino, List.of(), SIZE, 42, store.data().storedBlocks(ino));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private byte[] local(long offset, int length) {
        byte[] out = new byte[length];
        byte[] block = new byte[BS];
        for (int done = 0; done < length; ) {
            long at = offset + done;
            int n = store.data().readBlockInto(ino, at / BS, block);
            int within = (int) (at % BS);
            int take = Math.min(length - done, BS - within);
            for (int i = 0; i < take; i++) {
                out[done + i] = within + i < n ? block[within + i] : 0;
            }
            done += take;
        }
        return out;
    }

    @Test
    void aReadFetchesWhatItNeedsAndTheReadaheadAfterItOnceThenReadsHere() {
        FarData data = new FarData(store, source, 3 * BS);
        data.ensure(ino, "/f", BS + 10, 20);
        assertEquals(1, asked.size());
        assertArrayEquals(new long[] {BS, 3 * BS}, asked.get(0), "block 1 and two more of readahead");
        assertArrayEquals(Arrays.copyOfRange(far, BS, 4 * BS), local(BS, 3 * BS));
        data.ensure(ino, "/f", BS, 3 * BS);
        synchronized (asked) {
            assertTrue(asked.stream().skip(1).allMatch(a -> a[0] >= 4 * BS), "what is here is not fetched again (only ahead of it)");
        }
        assertEquals(42, store.tree().inode(ino).mtimeNanos, "fetching changes no time");
        assertEquals(SIZE, store.tree().inode(ino).size);
    }

    @Test
    void aFileReadInOrderHasItsNextReadaheadFetchedInTheBackgroundTwoWindowsAhead() throws Exception {
        FarData data = new FarData(store, source, 2 * BS);
        data.ensure(ino, "/f", 0, BS);
        awaitAsked(2);
        assertArrayEquals(new long[] {0, 2 * BS}, asked.get(0));
        assertArrayEquals(new long[] {2 * BS, 2 * BS}, asked.get(1), "the window after the reader's, fetched ahead");
        data.ensure(ino, "/f", BS, BS);
        awaitAsked(3);
        assertArrayEquals(new long[] {4 * BS, 2 * BS}, asked.get(2), "two windows ahead of the reader");
        Thread.sleep(200);
        assertEquals(3, asked.size(), "never more than two windows ahead of the reader");
        data.ensure(ino, "/f", 2 * BS, BS);
        awaitAsked(4);
        assertArrayEquals(new long[] {6 * BS, 2 * BS}, asked.get(3));
        assertArrayEquals(Arrays.copyOfRange(far, 0, 8 * BS), local(0, 8 * BS));
    }

    private void awaitAsked(int requests) throws InterruptedException {
        for (int i = 0; i < 500 && asked.size() < requests; i++) {
            Thread.sleep(10);
        }
        assertEquals(requests, asked.size());
    }

    @Test
    void zerosStayHolesAndAreNotFetchedTwiceAndTheLastBlockIsShort() {
        FarData data = new FarData(store, source, BS);
        data.ensure(ino, "/f", 4 * BS, 2 * BS);
        assertFalse(store.data().storedBlocks(ino).get(4), "a block of zeros is a hole here too");
        data.ensure(ino, "/f", 4 * BS, 2 * BS); // read again, in order: the next window may be fetched in the background
        synchronized (asked) {
            assertEquals(1, asked.stream().filter(a -> a[0] < 6 * BS && a[0] + a[1] > 4 * BS).count(),
                    "a hole known is not asked for again");
        }
        data.ensure(ino, "/f", SIZE - 50, 50);
        synchronized (asked) {
            assertTrue(asked.stream().anyMatch(a -> a[0] == 10 * BS && a[1] == 100), "the last block, short");
        }
        assertArrayEquals(Arrays.copyOfRange(far, 10 * BS, SIZE), local(10 * BS, 100));
        assertFalse(data.complete(ino, SIZE));
        data.ensure(ino, "/f", 0, SIZE);
        assertTrue(data.complete(ino, SIZE));
        assertArrayEquals(far, local(0, SIZE));
    }

    @Test
    void aFarSideThatFailsOrAnswersShortFailsTheReadAndLeavesNothingWrongHere() {
        FarData data = new FarData(store, source, BS);
        down = true;
        StoreException gone = assertThrows(StoreException.class, () -> data.ensure(ino, "/f", 0, 10));
        assertEquals(StoreException.Kind.IO, gone.kind());
        assertTrue(gone.getMessage().contains("the test's array") && gone.getMessage().contains("connection refused"), gone.getMessage());
        down = false;
        shortBy = 1;
        StoreException wrong = assertThrows(StoreException.class, () -> data.ensure(ino, "/f", 0, 10));
        assertTrue(wrong.getMessage().contains("not the same file"), wrong.getMessage());
        assertTrue(store.data().storedBlocks(ino).isEmpty(), "nothing was stored");
        shortBy = 0;
        data.ensure(ino, "/f", 0, 10);
        assertArrayEquals(Arrays.copyOfRange(far, 0, BS), local(0, BS));
    }

    private long secondFile() {
        long two = store.tree().create(Store.ROOT_INO, "g".getBytes(StandardCharsets.UTF_8), Inode.S_IFREG | 0644, 0, 0, 0, null).ino;
        store.data().commit(two, List.of(), SIZE, 42, store.data().storedBlocks(two));
        return two;
    }

    private void awaitCachedAtMost(FarData data, long bytes) throws InterruptedException {
        for (int i = 0; i < 500 && data.cachedBytes() > bytes; i++) {
            Thread.sleep(10);
        }
        assertTrue(data.cachedBytes() <= bytes, "cached " + data.cachedBytes());
    }

    @Test
    void aBoundedCacheDropsTheFileReadLeastRecentlyAndFetchesItAgainWhenReadAgain() throws Exception {
        long two = secondFile();
        FarData data = new FarData(store, source, BS, 4 * BS);
        try (FarData.Use use = data.use(ino)) {
            data.ensure(ino, "/f", 0, 4 * BS);
        }
        assertEquals(4 * BS, data.cachedBytes());
        Thread.sleep(5); // a later last use
        try (FarData.Use use = data.use(two)) {
            data.ensure(two, "/g", 0, 2 * BS);
            assertArrayEquals(Arrays.copyOfRange(far, 0, 2 * BS), readOf(two, 2 * BS), "what a read uses stays while it reads");
        }
        awaitCachedAtMost(data, 4 * BS * 9 / 10);
        assertTrue(store.data().storedBlocks(ino).isEmpty(), "the file read least recently was dropped");
        assertTrue(store.data().storedBlocks(two).cardinality() >= 2, "the one read last was kept (and its readahead)");
        assertEquals(SIZE, store.tree().inode(ino).size, "dropping data changes no size");
        int before = asked.size();
        try (FarData.Use use = data.use(ino)) {
            data.ensure(ino, "/f", 0, BS);
            assertArrayEquals(Arrays.copyOfRange(far, 0, BS), local(0, BS), "read again, fetched again: the same bytes");
        }
        assertTrue(asked.size() > before);
    }

    @Test
    void aFileInUseIsNeverDroppedHoweverFullTheCache() throws Exception {
        long two = secondFile();
        FarData data = new FarData(store, source, BS, 2 * BS);
        try (FarData.Use reading = data.use(ino)) {
            data.ensure(ino, "/f", 0, 4 * BS); // over the bound at once
            Thread.sleep(5);
            data.ensure(two, "/g", 0, BS); // not in use
            awaitCachedAtMost(data, 4 * BS);
            assertEquals(4, store.data().storedBlocks(ino).cardinality(), "the file in use keeps its blocks");
            assertArrayEquals(Arrays.copyOfRange(far, 0, 4 * BS), local(0, 4 * BS));
        }
    }

    @Test
    void aPatientSourceWaitsForTheFarSideAndFailsAfterItsPatience() throws Exception {
        byte[] buffer = new byte[10];
        down = true;
        Thread back = new Thread(() -> {
            try {
                Thread.sleep(1500);
            } catch (InterruptedException e) {
                return;
            }
            down = false;
        });
        back.start();
        assertEquals(10, FarData.patient(source, java.time.Duration.ofSeconds(20)).read("/f", 0, buffer, 10));
        assertArrayEquals(Arrays.copyOf(far, 10), buffer);
        down = true;
        long start = System.nanoTime();
        assertThrows(IOException.class, () -> FarData.patient(source, java.time.Duration.ofSeconds(1)).read("/f", 0, buffer, 10));
        assertTrue(System.nanoTime() - start >= 900_000_000L, "it waited");
        assertThrows(IOException.class, () -> FarData.patient(source, java.time.Duration.ZERO).read("/f", 0, buffer, 10));
    }

    private byte[] readOf(long file, int length) {
        byte[] out = new byte[length];
        byte[] block = new byte[BS];
        for (int done = 0; done < length; done += BS) {
            store.data().readBlockInto(file, done / BS, block);
            System.arraycopy(block, 0, out, done, Math.min(BS, length - done));
        }
        return out;
    }

    @Test
    void aPrefetchStartsNoTransferWhileAReaderTransfersWhatItsReadNeeds() throws Exception {
        long two = secondFile();
        FarData data = new FarData(store, source, 2 * BS);
        holdG = true;
        Thread reader = new Thread(() -> data.ensure(two, "/g", 0, BS)); // a reader's transfer, held up
        reader.start();
        Thread.sleep(200);
        data.ensure(ino, "/f", 0, BS); // another reader: its own window now, the next one to prefetch
        Thread.sleep(300);
        assertEquals(List.of("/f@0"), paths, "the prefetch of /f waits while the reader of /g transfers");
        slowG.countDown();
        reader.join(5000);
        for (int i = 0; i < 500 && paths.size() < 3; i++) {
            Thread.sleep(10);
        }
        assertTrue(paths.contains("/g@0") && paths.contains("/f@" + 2 * BS), paths.toString());
        assertTrue(paths.indexOf("/g@0") < paths.indexOf("/f@" + 2 * BS), "the reader went first: " + paths);
    }
}
