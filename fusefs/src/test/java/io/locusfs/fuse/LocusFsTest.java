package io.locusfs.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import io.locusfs.store.StoreOptions;
import io.locusfs.store.Tree;
import io.locusfs.xattr.Location;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file-system layer on a real store, without a mount: what the kernel adapter relies on. */
class LocusFsTest {
    private static final LocusFs.Caller ROOT = new LocusFs.Caller(0, 0, 1);
    private static final long DIR = Store.ROOT_INO;

    @TempDir
    Path dir;
    private Store store;
    private LocusFs fs;
    private final List<String> forgotten = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        Store.create(dir.resolve("s"), Location.of("eu/gb"), 0, 0);
        store = Store.open(dir.resolve("s"), StoreOptions.defaults());
        Locations locations = Locations.open(store);
        fs = new LocusFs(store, locations, PolicyGate.open(locations));
        fs.invalidateThrough(new LocusFs.KernelCache() {
            @Override
            public void forgetNode(long node) {
                forgotten.add("node " + node);
            }

            @Override
            public void forgetName(long parent, byte[] name) {
                forgotten.add("name " + parent + "/" + new String(name, StandardCharsets.ISO_8859_1));
            }

            @Override
            public void writeBack(List<String> openForWriting) {
            }
        });
    }

    @AfterEach
    void close() {
        fs.flushAll();
        store.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private long createFile(long parent, String name, String content) {
        long[] handle = new long[1];
        LocusFs.Entry entry = fs.create(ROOT, parent, b(name), 0644, 2, handle);
        byte[] bytes = b(content);
        Pointer source = Memory.allocateDirect(Runtime.getSystemRuntime(), Math.max(1, bytes.length));
        source.put(0, bytes, 0, bytes.length);
        fs.write(handle[0], source, 0, bytes.length);
        fs.release(handle[0], 2);
        return entry.node();
    }

    private String read(long node) {
        LocusFs.Opened opened = fs.open(ROOT, node, 0);
        Pointer target = Memory.allocateDirect(Runtime.getSystemRuntime(), 1 << 20);
        int n = fs.read(opened.handle(), target, 0, 1 << 20);
        fs.release(opened.handle(), 0);
        byte[] bytes = new byte[n];
        target.get(0, bytes, 0, n);
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** What a read offered to the kernel's page cache: file offset, length, and the block's bytes. */
    private record Offered(long offset, int length, byte[] bytes, Runnable settled) {
    }

    private List<Offered> smallRead(long handle, long offset, int size) {
        List<Offered> offers = new ArrayList<>();
        Pointer target = Memory.allocateDirect(Runtime.getSystemRuntime(), size);
        fs.read(handle, target, offset, size, (fileOffset, block, length, settled) ->
                offers.add(new Offered(fileOffset, length, java.util.Arrays.copyOf(block, length), settled)));
        return offers;
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aSmallReadOffersItsWholeBlockToTheKernelOnlyWhileNothingCanWriteTheFile() throws Exception {
        int block = fs.blockSize();
        String content = "a".repeat(block) + "b".repeat(block / 2); // one whole block, then half of one
        long f = createFile(DIR, "f", content);
        long reader = fs.open(ROOT, f, 0).handle();

        List<Offered> first = smallRead(reader, 100, 4096);
        assertEquals(1, first.size());
        assertEquals(0, first.get(0).offset());
        assertEquals(block, first.get(0).length());
        List<Offered> last = smallRead(reader, block + 10, 4096);
        assertEquals(block / 2, last.get(0).length(), "never past the end of the file, or the kernel would grow it");
        assertEquals("b".repeat(block / 2), new String(last.get(0).bytes(), StandardCharsets.ISO_8859_1));
        assertEquals(List.of(), smallRead(reader, block - 10, 20), "a read across two blocks offers nothing");

        // A writer waits until every offer is settled: the kernel would store the block over its pages.
        java.util.concurrent.CompletableFuture<Long> writer = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> fs.open(ROOT, f, 2).handle());
        Thread.sleep(300);
        first.get(0).settled().run();
        assertTrue(!writer.isDone(), "a writer opened while an offer was unsettled");
        last.get(0).settled().run();
        long writing = writer.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(List.of(), smallRead(reader, 100, 4096), "no offer while the file is open for writing");
        fs.release(writing, 2);
        List<Offered> again = smallRead(reader, 100, 4096);
        assertEquals(1, again.size(), "offers again once the writer is gone");
        again.get(0).settled().run(); // The last descriptor waits for its offers to be settled.
        fs.release(reader, 0);
    }

    @Test
    void aCreatedFileIsFoundByLookupWithItsDataAndItsPath() {
        long d = fs.mkdir(ROOT, DIR, b("d"), 0755).node();
        long f = createFile(d, "f", "hello");
        LocusFs.Entry found = fs.lookup(d, b("f"));
        assertEquals(f, found.node());
        assertEquals(5, found.attributes().size());
        assertTrue(found.lasting(), "a live file may be cached");
        assertEquals("hello", read(f));
        assertEquals("/d/f", fs.path(f));
    }

    @Test
    void aHardLinkIsTheSameNodeAndItsCountFollowsEveryName() {
        long f = createFile(DIR, "f", "x");
        LocusFs.Entry linked = fs.link(ROOT, f, DIR, b("g"));
        assertEquals(f, linked.node());
        assertEquals(2, linked.attributes().nlink());
        fs.unlink(DIR, b("f"));
        assertEquals(1, fs.getattr(f).nlink());
        assertEquals("/g", fs.path(f));
    }

    @Test
    void forgettingEverythingNamesEveryNodeAndEveryNameOfIt() {
        long f = createFile(DIR, "f", "x");
        fs.link(ROOT, f, DIR, b("g"));
        fs.forgetAllCached();
        assertTrue(forgotten.containsAll(List.of("node " + f, "name 1/f", "name 1/g")), forgotten.toString());
        fs.forget(f, 2);
        forgotten.clear();
        fs.forgetAllCached();
        assertEquals(List.of(), forgotten, "a node the kernel forgot is not invalidated");
    }

    @Test
    void anUnlinkedOpenFileKeepsItsAttributesUntilReleased() {
        long f = createFile(DIR, "f", "abc");
        LocusFs.Opened opened = fs.open(ROOT, f, 2);
        fs.unlink(DIR, b("f"));
        assertEquals(0, fs.getattr(f).nlink());
        assertEquals(3, fs.getattr(f).size());
        fs.setattr(ROOT, f, 0600, null, null, 1L, null, null, opened.handle());
        assertEquals(1, fs.getattr(f).size());
        fs.release(opened.handle(), 2);
        assertThrows(StoreException.class, () -> fs.getattr(f));
    }

    @Test
    void aNameOver255BytesIsTooLongEvenWhenLookedUp() {
        StoreException e = assertThrows(StoreException.class, () -> fs.lookup(DIR, b("n".repeat(256))));
        assertEquals(StoreException.Kind.NAME_TOO_LONG, e.kind());
        assertEquals(Errno.ENAMETOOLONG, Errno.of(e, "lookup", "/"));
    }

    @Test
    void snapshotsShowTheOldTreeUnderNumbersOfTheirOwnAndRefuseChanges() {
        long f = createFile(DIR, "f", "old");
        fs.commitAll();
        store.snapshots().create("s1", Names.nowNanos(), true);
        LocusFs.Opened opened = fs.open(ROOT, f, 2 | LocusFs.O_TRUNC);
        fs.release(opened.handle(), 2);
        long snapshots = fs.lookup(DIR, SnapshotDirectory.NAME).node();
        assertEquals(SnapshotDirectory.DIRECTORY_INO, snapshots);
        LocusFs.Entry root = fs.lookup(snapshots, b("s1"));
        assertEquals(false, root.lasting(), "a snapshot's name comes and goes");
        LocusFs.Entry old = fs.lookup(root.node(), b("f"));
        assertNotEquals(f, old.node());
        assertEquals(3, old.attributes().size());
        assertEquals(0, fs.getattr(f).size());
        assertEquals("old", read(old.node()));
        StoreException e = assertThrows(StoreException.class, () -> fs.unlink(root.node(), b("f")));
        assertEquals(StoreException.Kind.READ_ONLY, e.kind());
        assertEquals(StoreException.Kind.READ_ONLY,
                assertThrows(StoreException.class, () -> fs.open(ROOT, old.node(), 1)).kind());
        assertEquals("/.snapshots/s1/f", fs.path(old.node()));
        assertEquals("/f", NodeTable.innerPath(fs.path(old.node())));
    }

    @Test
    void aListingHasDotsAndItsEntriesButHidesTheSnapshots() {
        createFile(DIR, "a", "1");
        fs.mkdir(ROOT, DIR, b("b"), 0755);
        long handle = fs.opendir(DIR);
        List<String> names = fs.readdir(DIR, handle, 0).stream()
                .map(e -> new String(e.name(), StandardCharsets.ISO_8859_1)).toList();
        assertEquals(List.of(".", "..", "a", "b"), names);
        assertEquals(List.of("b"), fs.readdir(DIR, handle, 3).stream()
                .map(e -> new String(e.name(), StandardCharsets.ISO_8859_1)).toList(), "a later page starts at its offset");
        fs.releasedir(handle);
    }

    @Test
    void seekingFindsDataAndHolesByStoredBlocks() {
        long f = createFile(DIR, "f", "");
        LocusFs.Opened opened = fs.open(ROOT, f, 2);
        int block = fs.blockSize();
        Pointer one = Memory.allocateDirect(Runtime.getSystemRuntime(), 1);
        one.putByte(0, (byte) 1);
        fs.write(opened.handle(), one, 3L * block, 1);
        fs.setattr(ROOT, f, null, null, null, 10L * block, null, null, opened.handle());
        assertEquals(3L * block, fs.seek(opened.handle(), 0, LocusFs.SEEK_DATA));
        assertEquals(0, fs.seek(opened.handle(), 0, LocusFs.SEEK_HOLE));
        assertEquals(4L * block, fs.seek(opened.handle(), 3L * block, LocusFs.SEEK_HOLE));
        assertEquals(StoreException.Kind.NO_SUCH_POSITION,
                assertThrows(StoreException.class, () -> fs.seek(opened.handle(), 5L * block, LocusFs.SEEK_DATA)).kind());
        fs.release(opened.handle(), 2);
    }

    @Test
    void renameWithNoReplaceRefusesAnExistingTargetAndExchangeIsUnsupported() {
        createFile(DIR, "a", "1");
        createFile(DIR, "b", "2");
        assertEquals(StoreException.Kind.EXISTS, assertThrows(StoreException.class,
                () -> fs.rename(ROOT, DIR, b("a"), DIR, b("b"), LocusFs.RENAME_NOREPLACE)).kind());
        assertEquals(StoreException.Kind.INVALID, assertThrows(StoreException.class,
                () -> fs.rename(ROOT, DIR, b("a"), DIR, b("b"), LocusFs.RENAME_EXCHANGE)).kind());
        fs.rename(ROOT, DIR, b("a"), DIR, b("c"), 0);
        assertArrayEquals(b("1"), b(read(fs.lookup(DIR, b("c")).node())));
    }
}
