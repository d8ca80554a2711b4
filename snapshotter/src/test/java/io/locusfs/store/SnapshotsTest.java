package io.locusfs.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.locusfs.xattr.Location;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots on a real RocksDB store: views, exact garbage collection, rollback, diffs, fsck. */
class SnapshotsTest {
    @TempDir
    Path dir;
    private Store store;
    private Snapshots snapshots;

    @BeforeEach
    void open() throws Exception {
        Store.create(dir.resolve("s"), Location.of("eu/gb"), 0, 0);
        store = Store.open(dir.resolve("s"), StoreOptions.defaults());
        snapshots = store.snapshots();
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private long file(String name, String content) {
        Inode inode = store.tree().create(Store.ROOT_INO, b(name), Inode.S_IFREG | 0644, 0, 0, 0, null);
        write(inode.ino, content);
        return inode.ino;
    }

    private void write(long ino, String content) {
        byte[] data = b(content);
        store.data().commit(ino, List.of(new FileData.BlockWrite(0, data, data.length)), data.length,
                System.nanoTime(), store.data().storedBlocks(ino));
    }

    private String read(View view, String name) {
        long ino = view.lookup(Store.ROOT_INO, b(name));
        if (ino == 0) {
            return null;
        }
        byte[] block = view.readBlock(ino, 0);
        return block == null ? "" : new String(block, StandardCharsets.UTF_8);
    }

    private long versionCount() {
        long[] n = {0};
        for (var cf : List.of(store.inodes, store.dirents, store.blocks, store.xattrs)) {
            try (var it = store.db().newIterator(cf)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    n[0]++;
                }
            }
        }
        return n[0];
    }

    private List<String> diff(String from, String to) {
        List<String> lines = new ArrayList<>();
        for (Diff.Change c : snapshots.diff(from, to)) {
            lines.add(c.kind().symbol + " " + new String(c.path(), StandardCharsets.UTF_8)
                    + (c.to() == null ? "" : " -> " + new String(c.to(), StandardCharsets.UTF_8)));
        }
        return lines;
    }

    @Test
    void aSnapshotKeepsReadingWhatItSawWhileTheLiveTreeMovesOn() {
        long f = file("f", "one");
        snapshots.create("a", 1, true);
        write(f, "two");
        file("g", "new");
        store.tree().unlink(Store.ROOT_INO, b("f"), ino -> false);
        View a = snapshots.view(snapshots.get("a"));
        assertEquals("one", read(a, "f"));
        assertNull(read(a, "g"));
        assertNull(read(store.tree().live(), "f"));
        assertEquals("new", read(store.tree().live(), "g"));
        assertThrows(StoreException.class, () -> snapshots.create("a", 2, true), "names are unique");
        assertThrows(StoreException.class, () -> snapshots.create("../x", 2, true), "names are checked");
    }

    @Test
    void deletingTheMiddleSnapshotFreesExactlyWhatOnlyItSaw() {
        long f = file("f", "v1");
        snapshots.create("a", 1, false);
        write(f, "v2");
        long tmp = file("tmp", "short-lived");
        snapshots.create("b", 2, false);
        write(f, "v3");
        store.tree().unlink(Store.ROOT_INO, b("tmp"), ino -> false);
        snapshots.create("c", 3, false);
        long before = versionCount();
        Snapshots.Freed unique = snapshots.uniqueBytes(snapshots.get("b"));
        assertEquals("v2".length() + "short-lived".length(), unique.blockBytes(), "b alone holds v2 and tmp's data");
        Snapshots.Freed freed = snapshots.delete("b");
        assertEquals(unique, freed);
        assertEquals(before - freed.versions(), versionCount());
        assertEquals("v1", read(snapshots.view(snapshots.get("a")), "f"));
        assertEquals("v3", read(snapshots.view(snapshots.get("c")), "f"));
        // tmp was created and deleted between the kept snapshots a and c: nothing of it remains.
        assertTrue(store.snapshots().changedBetween(0, store.currentEpoch()).stream()
                .noneMatch(k -> Keys.getLong(k.prefix(), 0) == tmp), "no version of tmp's inode, blocks or entry is left");
        assertEquals(List.of(), new Fsck(store).check());
    }

    @Test
    void aRollbackPastABlocksBirthBuriesItWhileTheLaterSnapshotKeepsIt() {
        long f = file("f", "v1");
        snapshots.create("a", 1, true);
        int block = store.blockSize();
        byte[] second = b("second block");
        store.data().commit(f, List.of(new FileData.BlockWrite(1, second, second.length)), block + second.length,
                System.nanoTime(), store.data().storedBlocks(f));
        snapshots.create("b", 2, true);
        snapshots.rollback("a");
        assertNull(store.tree().live().readBlock(f, 1), "the live tree has no block the snapshot had not");
        assertArrayEquals(second, java.util.Arrays.copyOf(snapshots.view(snapshots.get("b")).readBlock(f, 1), second.length),
                "the later snapshot still reads it");
        assertEquals(List.of(), new Fsck(store).check());
        snapshots.delete("b");
        assertEquals(List.of(), new Fsck(store).check(), "the buried block goes with the last snapshot that saw it");
    }

    @Test
    void rollbackRestoresTheSnapshotAndKeepsLaterSnapshots() {
        long f = file("f", "v1");
        snapshots.create("a", 1, true);
        write(f, "v2");
        file("g", "g1");
        snapshots.create("b", 2, true);
        write(f, "v3");
        store.tree().unlink(Store.ROOT_INO, b("g"), ino -> false);
        file("h", "h1");
        snapshots.create("c", 3, true);
        write(f, "v4");
        snapshots.delete("c"); // Leaves versions born in c's epoch that only the live tree sees.
        snapshots.rollback("a");
        assertEquals("v1", read(store.tree().live(), "f"));
        assertNull(read(store.tree().live(), "g"));
        assertNull(read(store.tree().live(), "h"));
        assertEquals("v2", read(snapshots.view(snapshots.get("b")), "f"), "the later snapshot is untouched");
        assertEquals("g1", read(snapshots.view(snapshots.get("b")), "g"));
        assertEquals(List.of(), diff("a", null), "the live tree equals a");
        assertEquals(List.of(), new Fsck(store).check());
        snapshots.rollback("b");
        assertEquals("v2", read(store.tree().live(), "f"));
        assertEquals("g1", read(store.tree().live(), "g"));
        assertEquals(List.of(), new Fsck(store).check());
    }

    @Test
    void diffListsAddedRemovedRenamedAndModifiedPaths() {
        Inode sub = store.tree().create(Store.ROOT_INO, b("d"), Inode.S_IFDIR | 0755, 0, 0, 0, null);
        long keep = file("keep", "k");
        long edit = file("edit", "e1");
        file("gone", "g");
        snapshots.create("a", 1, true);
        write(edit, "e2");
        store.tree().rename(Store.ROOT_INO, b("keep"), sub.ino, b("kept"), ino -> false);
        store.tree().unlink(Store.ROOT_INO, b("gone"), ino -> false);
        store.tree().create(sub.ino, b("new"), Inode.S_IFREG | 0644, 0, 0, 0, null);
        store.tree().setXattr(keep, b("user.x"), b("1"), 0);
        snapshots.create("b", 2, true);
        List<String> lines = diff("a", "b");
        assertTrue(lines.contains("R /keep -> /d/kept"), lines.toString());
        assertTrue(lines.contains("- /gone"), lines.toString());
        assertTrue(lines.contains("+ /d/new"), lines.toString());
        assertTrue(lines.contains("M /edit"), lines.toString());
        assertTrue(lines.contains("M /d"), "a directory whose entries changed is modified: " + lines);
        assertTrue(lines.contains("M /"), lines.toString());
        assertEquals(6, lines.size(), lines.toString());
        List<Snapshots.Family> families = new ArrayList<>();
        snapshots.changes(snapshots.get("a").epoch(), snapshots.get("b").epoch(), (family, key, value) -> families.add(family));
        assertTrue(families.containsAll(List.of(Snapshots.Family.INODES, Snapshots.Family.DIRENTS,
                Snapshots.Family.BLOCKS, Snapshots.Family.XATTRS)), families.toString());
    }

    @Test
    void fsckFindsGarbageThatNoReaderSees() throws Exception {
        long f = file("f", "v1");
        snapshots.create("a", 1, true);
        write(f, "v2");
        snapshots.create("b", 2, true);
        write(f, "v3");
        // Remove b's record behind the engine's back: v2 is now garbage.
        try (var batch = new org.rocksdb.WriteBatch()) {
            batch.delete(store.meta, b("snapshot/b"));
            store.write(batch, true);
        }
        List<Fsck.Problem> problems = new Fsck(store).check();
        assertEquals(2, problems.size(), "f's inode and block as b saw them: " + problems);
        assertTrue(problems.stream().allMatch(p -> p.description().contains("seen by no snapshot")), problems.toString());
        Fsck repair = new Fsck(store);
        repair.check();
        repair.repair();
        assertEquals(List.of(), new Fsck(store).check());
        assertArrayEquals(b("v1"), snapshots.view(snapshots.get("a")).readBlock(f, 0));
    }

    /** Issue 21 #3: deleting the newest snapshot, then overwriting what it saw, left the old version behind. */
    @Test
    void overwritingAfterTheNewestSnapshotIsDeletedLeavesNothingUnseen() {
        long f = file("f", "one");
        snapshots.create("a", 1, true);
        write(f, "two");
        snapshots.create("b", 2, true);
        snapshots.delete("b");
        write(f, "three");
        store.tree().unlink(Store.ROOT_INO, b("f"), ino -> false); // and a removal of what only the live tree saw
        assertEquals(List.of(), new Fsck(store).check());
        assertEquals("one", read(snapshots.view(snapshots.get("a")), "f"));
        assertNull(read(store.tree().live(), "f"));
        snapshots.delete("a");
        assertEquals(List.of(), new Fsck(store).check());
    }

    @Test
    void syncPointsReplacedByNewerOnesAreDroppedButNeverTheNewestANeededOneOrOneTakenSince() {
        long ino = file("f", "v0");
        snapshots.create("named", 1, true);
        write(ino, "v1");
        Snapshots.Snapshot first = snapshots.createSyncPoint("sync-1", 2);
        write(ino, "v2");
        snapshots.createSyncPoint("sync-2", 3);
        write(ino, "v3");
        Snapshots.Snapshot third = snapshots.createSyncPoint("sync-3", 4);
        assertTrue(third.syncPoint() && !snapshots.get("named").syncPoint());
        write(ino, "v4");
        snapshots.createSyncPoint("sync-4", 5); // taken after the caller looked: kept whatever it says
        assertEquals(List.of("sync-2"), snapshots.dropSyncPoints(java.util.Set.of("sync-1"), third.epoch()));
        assertEquals(List.of("named", "sync-1", "sync-3", "sync-4"), snapshots.list().stream().map(Snapshots.Snapshot::name).toList());
        assertEquals("v1", read(snapshots.view(first), "f"), "a sync point kept reads as it was");
        assertEquals(List.of("sync-1", "sync-3"), snapshots.dropSyncPoints(java.util.Set.of()), "the newest stays");
        assertEquals("v0", read(snapshots.view(snapshots.get("named")), "f"));
        assertEquals(List.of(), new Fsck(store).check(), "nothing left behind");
    }
}
