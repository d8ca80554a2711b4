package io.locusfs.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.locusfs.xattr.Location;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.WriteBatch;

/** The engine on a real RocksDB store: epochs, copy-on-write, fsck. */
class StoreTest {
    @TempDir
    Path dir;
    private Store store;

    @BeforeEach
    void open() throws Exception {
        Store.create(dir.resolve("s"), Location.of("eu/gb"), 0, 0);
        store = Store.open(dir.resolve("s"), StoreOptions.defaults());
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Inode file(String name, String content) {
        Inode inode = store.tree().create(Store.ROOT_INO, b(name), Inode.S_IFREG | 0644, 0, 0, 0, null);
        byte[] data = b(content);
        store.data().commit(inode.ino, List.of(new FileData.BlockWrite(0, data, data.length)), data.length, 1, new BitSet());
        return inode;
    }

    @Test
    void aFileLivesWhereItsOwnRecordSaysElseWhereItsStoreSaysInEachView() throws Exception {
        io.locusfs.xattr.NodeIdentity node = io.locusfs.xattr.NodeIdentity.create(Files.createDirectories(dir.resolve("keys")));
        io.locusfs.xattr.LocationRecord storeRecord = io.locusfs.xattr.LocationRecord.sign(node, Location.of("eu/gb"),
                store.storeId(), io.locusfs.xattr.LocationRecord.EVERY_FILE, java.time.Instant.now(), node.nodeId());
        io.locusfs.xattr.LocationRecord came = io.locusfs.xattr.LocationRecord.sign(node, Location.of("us/east"),
                "another-store", "/f", java.time.Instant.now(), node.nodeId());
        Inode plain = file("plain", "x");
        Inode moved = file("moved", "y");
        byte[] recordName = b(io.locusfs.xattr.ReservedAttributes.RECORD);
        store.tree().setXattr(moved.ino, recordName, b(came.encode()), 0);
        View live = store.tree().live();
        assertEquals("eu/gb", live.locationRecord(plain.ino, storeRecord).zone().toString());
        assertEquals("us/east", live.locationRecord(moved.ino, storeRecord).zone().toString());
        store.snapshots().create("then", 1, true);
        store.tree().removeXattr(moved.ino, recordName);
        assertEquals("eu/gb", live.locationRecord(moved.ino, storeRecord).zone().toString());
        View then = store.snapshots().view(store.snapshots().get("then"));
        assertEquals("us/east", then.locationRecord(moved.ino, storeRecord).zone().toString(), "a snapshot keeps the record of its time");
        store.tree().setXattr(plain.ino, recordName, b("not a record"), 0);
        StoreException corrupt = assertThrows(StoreException.class, () -> live.locationRecord(plain.ino, storeRecord));
        assertEquals(StoreException.Kind.CORRUPT, corrupt.kind());
    }

    @Test
    void versionsBornBeforeANewEpochStayReadableAtTheOldEpoch() {
        Inode f = file("f", "old");
        long before = store.currentEpoch();
        store.snapshots().create("then", 1, true); // an epoch a snapshot still reads
        byte[] fresh = b("new!");
        BitSet stored = store.data().storedBlocks(f.ino);
        store.data().commit(f.ino, List.of(new FileData.BlockWrite(0, fresh, 4)), 4, 2, stored);
        Versions versions = new Versions(store);
        byte[] prefix = Keys.blockPrefix(f.ino, 0);
        assertArrayEquals(b("old"), versions.get(store.blocks, prefix, before));
        assertArrayEquals(b("new!"), versions.get(store.blocks, prefix, store.currentEpoch()));
        store.tree().unlink(Store.ROOT_INO, b("f"), ino -> false);
        assertNull(versions.get(store.blocks, prefix, store.currentEpoch()), "the unlink hides the block now");
        assertArrayEquals(b("old"), versions.get(store.blocks, prefix, before), "but not at the older epoch");
        assertEquals(0, store.tree().lookup(Store.ROOT_INO, b("f")));
        assertTrue(versions.get(store.dirents, Keys.namedKey(Store.ROOT_INO, b("f")), before) != null);
    }

    @Test
    void oneScanTellsForEveryBlockWhatASeekPerBlockWould() {
        // Blocks 0-3 born in the old epoch; then 1 rewritten, 2 removed, 4 and 5 added, 5 removed again.
        Inode f = store.tree().create(Store.ROOT_INO, b("f"), Inode.S_IFREG | 0644, 0, 0, 0, null);
        int bs = store.blockSize();
        List<FileData.BlockWrite> old = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            old.add(new FileData.BlockWrite(i, new byte[bs], bs));
            old.get(i).data()[0] = 1;
        }
        store.data().commit(f.ino, old, 4L * bs, 1, new BitSet());
        store.snapshots().create("then", 1, true); // an epoch a snapshot still reads
        byte[] fresh = new byte[bs];
        fresh[0] = 2;
        store.data().commit(f.ino, List.of(new FileData.BlockWrite(1, fresh, bs), new FileData.BlockWrite(4, fresh, bs),
                new FileData.BlockWrite(5, fresh, bs)), 6L * bs, 2, store.data().storedBlocks(f.ino));
        store.data().truncate(f.ino, 5L * bs); // block 5 born and dropped in this epoch
        byte[] zero = new byte[bs];
        store.data().commit(f.ino, List.of(new FileData.BlockWrite(2, zero, bs)), 5L * bs, 3, store.data().storedBlocks(f.ino));
        Versions versions = new Versions(store);
        java.util.Map<Long, Boolean> scanned = new java.util.TreeMap<>();
        versions.scanForRemoval(store.blockmap, Keys.inodePrefix(f.ino), Keys.blockPrefix(f.ino, 0),
                (prefix, olderLive, current) -> scanned.put(Keys.getLong(prefix, Keys.LONG), olderLive));
        java.util.Map<Long, Boolean> seeked = new java.util.TreeMap<>();
        for (long index : store.data().storedBlocks(f.ino).stream().mapToObj(i -> (long) i).toList()) {
            seeked.put(index, versions.hasOlderLiveVersion(store.blockmap, Keys.blockPrefix(f.ino, index)));
        }
        assertEquals(seeked, scanned);
        assertEquals(java.util.Map.of(0L, true, 1L, true, 3L, true, 4L, false), scanned,
                "2 is a hole now (zeros), 5 is gone; 0 and 3 are old, 1 is new over an old one, 4 is new");
    }

    @Test
    void unlinkLeavesATombstoneExactlyOverWhatAnOlderEpochStillSees() {
        // "old" born before the snapshot, "fresh" after it, "rewritten" before and again after.
        Inode old = file("old", "o");
        Inode rewritten = file("rewritten", "r");
        for (Inode f : List.of(old, rewritten)) {
            store.tree().setXattr(f.ino, b("user.tag"), b("before"), 0);
        }
        long before = store.snapshots().create("s", 1, true).epoch();
        Inode fresh = file("fresh", "f");
        for (Inode f : List.of(fresh, rewritten)) {
            store.tree().setXattr(f.ino, b("user.tag"), b("after"), 0);
        }
        for (String name : List.of("old", "fresh", "rewritten")) {
            store.tree().unlink(Store.ROOT_INO, b(name), ino -> false);
        }
        long now = store.currentEpoch();
        Versions versions = new Versions(store);
        for (Inode f : List.of(old, rewritten)) {
            // One version the snapshot reads, one tombstone hiding it from now on.
            List<Versions.Version> expected = List.of(new Versions.Version(now, true, 0), versions.all(Versions.INODES,
                    Keys.inodePrefix(f.ino)).get(1));
            assertEquals(expected, versions.all(Versions.INODES, Keys.inodePrefix(f.ino)));
            assertEquals(before, expected.get(1).epoch());
            assertEquals(2, versions.all(Versions.XATTRS, Keys.namedKey(f.ino, b("user.tag"))).size());
            assertTrue(versions.all(Versions.XATTRS, Keys.namedKey(f.ino, b("user.tag"))).get(0).tombstone());
            assertArrayEquals(b("before"), java.util.Arrays.copyOfRange(
                    versions.get(store.xattrs, Keys.namedKey(f.ino, b("user.tag")), before), 1, 7));
        }
        assertEquals(List.of(), versions.all(Versions.INODES, Keys.inodePrefix(fresh.ino)), "born and gone in one epoch");
        assertEquals(List.of(), versions.all(Versions.XATTRS, Keys.namedKey(fresh.ino, b("user.tag"))));
        assertEquals(List.of(), versions.all(Versions.DIRENTS, Keys.namedKey(Store.ROOT_INO, b("fresh"))));
        assertEquals(List.of(new Versions.Version(now, true, 0), new Versions.Version(before, false, Keys.LONG + 1)),
                versions.all(Versions.DIRENTS, Keys.namedKey(Store.ROOT_INO, b("old"))));
        assertNull(store.tree().find(Store.ROOT_INO, b("old")).entry());
        assertEquals(List.of(), new Fsck(store).check());
    }

    @Test
    void replaceSwapsAFileInOneWriteKeepingWhatASnapshotSeesAndAnotherLinksContent() {
        Inode old = file("old", "before");
        store.tree().setXattr(old.ino, b("user.tag"), b("old"), 0);
        Inode linked = file("linked", "shared");
        store.tree().link(linked.ino, Store.ROOT_INO, b("second"));
        long snapshot = store.snapshots().create("s", 1, true).epoch();
        Tree tree = store.tree();

        Inode made = tree.replace(tree.find(Store.ROOT_INO, b("old")), Inode.S_IFREG | 0600, 7, 8, 0, null,
                inode -> inode.mtimeNanos = 42, java.util.Map.of(b("user.new"), b("x")), ino -> false);
        Inode madeOverLink = tree.replace(tree.find(Store.ROOT_INO, b("linked")), Inode.S_IFREG | 0644, 0, 0, 0, null,
                null, java.util.Map.of(), ino -> false);
        Inode fresh = tree.replace(tree.find(Store.ROOT_INO, b("fresh")), Inode.S_IFLNK | 0777, 0, 0, 0, b("old"),
                null, java.util.Map.of(), ino -> false);

        assertEquals(made.ino, tree.lookup(Store.ROOT_INO, b("old")));
        assertEquals(42, tree.inode(made.ino).mtimeNanos);
        assertEquals(List.of("user.new"), tree.listXattrs(made.ino).stream().map(n -> new String(n, StandardCharsets.UTF_8)).toList());
        assertNull(store.data().readBlock(made.ino, 0), "the new file starts empty");
        assertEquals(0, store.data().storedBlocks(old.ino).cardinality(), "the replaced file's blocks are gone from the live tree");
        assertNull(tree.live().inodeOrNull(old.ino));
        View then = store.snapshots().view(store.snapshots().get("s"));
        assertEquals(snapshot, then.epoch());
        assertEquals("before", new String(then.readBlock(old.ino, 0), StandardCharsets.UTF_8));
        assertArrayEquals(b("old"), then.getXattr(old.ino, b("user.tag")));
        // The other link keeps the old file, one link fewer; the replacing file is its own.
        assertEquals(linked.ino, tree.lookup(Store.ROOT_INO, b("second")));
        assertEquals(1, tree.inode(linked.ino).nlink);
        assertEquals("shared", new String(store.data().readBlock(linked.ino, 0), StandardCharsets.UTF_8));
        assertEquals(madeOverLink.ino, tree.lookup(Store.ROOT_INO, b("linked")));
        assertEquals("old", new String(tree.inode(fresh.ino).symlinkTarget, StandardCharsets.UTF_8));
        assertEquals(List.of(), new Fsck(store).check());

        Inode dir = tree.create(Store.ROOT_INO, b("d"), Inode.S_IFDIR | 0755, 0, 0, 0, null);
        StoreException refused = assertThrows(StoreException.class, () -> tree.replace(tree.find(Store.ROOT_INO, b("d")),
                Inode.S_IFREG | 0644, 0, 0, 0, null, null, java.util.Map.of(), ino -> false));
        assertEquals(StoreException.Kind.IS_DIRECTORY, refused.kind());
        assertEquals(dir.ino, tree.lookup(Store.ROOT_INO, b("d")));

        tree.unlink(tree.find(Store.ROOT_INO, b("old")), ino -> false);
        assertEquals(0, tree.lookup(Store.ROOT_INO, b("old")));
        assertEquals(List.of(), new Fsck(store).check());
    }

    @Test
    void rewritingWithinOneEpochKeepsOneVersion() {
        Inode f = file("f", "one");
        BitSet stored = store.data().storedBlocks(f.ino);
        store.data().commit(f.ino, List.of(new FileData.BlockWrite(0, b("two"), 3)), 3, 2, stored);
        int[] versions = {0};
        try (var it = store.db().newIterator(store.blocks)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                versions[0]++;
            }
        }
        assertEquals(1, versions[0]);
    }

    @Test
    void fsckIsCleanOnAHealthyStore() {
        file("a", "alpha");
        store.tree().create(Store.ROOT_INO, b("d"), Inode.S_IFDIR | 0755, 0, 0, 0, null);
        store.tree().link(store.tree().lookup(Store.ROOT_INO, b("a")), store.tree().lookup(Store.ROOT_INO, b("d")), b("a2"));
        assertEquals(List.of(), new Fsck(store).check());
    }

    @Test
    void fsckFindsAndRepairsADanglingEntryAWrongLinkCountAndAnOrphanBlock() throws Exception {
        Inode a = file("a", "alpha");
        Inode b = file("b", "beta");
        try (WriteBatch batch = new WriteBatch()) {
            // An offline edit gone wrong: b's inode vanishes, a's link count is off, a block has no file.
            batch.delete(store.inodes, Keys.versioned(Keys.inodePrefix(b.ino), store.currentEpoch()));
            Inode wrong = store.tree().inode(a.ino);
            wrong.nlink = 5;
            store.tree().putInode(batch, wrong);
            batch.put(store.blocks, Keys.versioned(Keys.blockPrefix(999, 0), store.currentEpoch()), b("stray"));
            store.write(batch, true);
        }
        List<Fsck.Problem> problems = new Fsck(store).check();
        String all = problems.toString();
        assertTrue(all.contains("points to missing inode " + b.ino), all);
        assertTrue(all.contains("link count 5 but 1"), all);
        assertTrue(all.contains("block 0 of inode 999 is missing from the block map"), all);
        Fsck repairing = new Fsck(store);
        repairing.check();
        repairing.repair();
        assertEquals(List.of(), new Fsck(store).check());
        assertEquals(1, store.tree().inode(a.ino).nlink);
    }

    @Test
    void newerFormatAndNonStoresAreRefused() throws Exception {
        Files.createDirectories(dir.resolve("plain"));
        StoreException notStore = assertThrows(StoreException.class, () -> Store.open(dir.resolve("plain"), StoreOptions.defaults()));
        assertTrue(notStore.getMessage().contains("not a LocusFS store"));
        Files.writeString(dir.resolve("plain/LOCUSFS"), "locusfs-store 7\n");
        StoreException newer = assertThrows(StoreException.class, () -> Store.checkFormat(dir.resolve("plain")));
        assertTrue(newer.getMessage().contains("format 7"));
    }

    @Test
    void aSecondOpenOfTheSameStoreIsRefusedAsBusy() {
        StoreException busy = assertThrows(StoreException.class, () -> Store.open(dir.resolve("s"), StoreOptions.defaults()));
        assertEquals(StoreException.Kind.BUSY, busy.kind());
    }

    @Test
    void aFormatOneStoreIsMarkedFormatTwoWhenFirstOpenedForWriting() throws Exception {
        Path old = dir.resolve("old");
        Store.create(old, Location.of("eu/gb"), 0, 0);
        Files.writeString(old.resolve(Store.MARKER_FILE), "locusfs-store 1\n");
        try (Store s = Store.open(old, StoreOptions.defaults().asReadOnly())) {
            assertEquals(1, Store.readFormat(old), "a read-only open changes nothing");
        }
        try (Store s = Store.open(old, StoreOptions.defaults())) {
            assertEquals(Store.FORMAT_VERSION, Store.readFormat(old));
            assertTrue(s.tree().inode(Store.ROOT_INO).isDirectory(), "its records still read");
        }
    }

    @Test
    void aFormat2StoreOpensReadOnlyWithoutThePatchesFamilyAndIsUpgradedWhenOpenedForWriting() throws Exception {
        Inode f = file("f", "format 2 data");
        store.close();
        Path path = dir.resolve("s");
        // Make it what format 2 wrote: no patches family, the marker saying 2.
        try (org.rocksdb.DBOptions options = new org.rocksdb.DBOptions()) {
            List<org.rocksdb.ColumnFamilyDescriptor> families = new java.util.ArrayList<>();
            for (byte[] name : org.rocksdb.RocksDB.listColumnFamilies(new org.rocksdb.Options(), path.resolve("db").toString())) {
                families.add(new org.rocksdb.ColumnFamilyDescriptor(name));
            }
            List<org.rocksdb.ColumnFamilyHandle> handles = new java.util.ArrayList<>();
            try (org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(options, path.resolve("db").toString(), families, handles)) {
                for (org.rocksdb.ColumnFamilyHandle h : handles) {
                    if (new String(h.getName(), StandardCharsets.UTF_8).equals("patches")) {
                        db.dropColumnFamily(h);
                    }
                }
                handles.forEach(org.rocksdb.ColumnFamilyHandle::close);
            }
        }
        Files.writeString(path.resolve(Store.MARKER_FILE), "locusfs-store 2\n");
        try (Store old = Store.open(path, StoreOptions.defaults().asReadOnly())) {
            assertNull(old.patches);
            assertArrayEquals(b("format 2 data"), old.data().readBlock(f.ino, 0));
            assertEquals(List.of(), new Fsck(old).check());
        }
        assertEquals(2, Store.readFormat(path), "a read-only open changes nothing");
        store = Store.open(path, StoreOptions.defaults());
        assertEquals(Store.FORMAT_VERSION, Store.readFormat(path));
        store.data().commit(f.ino, List.of(new FileData.BlockWrite(0, b("XX"), 13, new int[] {0, 2})), 13, 5,
                store.data().storedBlocks(f.ino));
        assertArrayEquals(b("XXrmat 2 data"), store.data().readBlock(f.ino, 0));
    }
}
