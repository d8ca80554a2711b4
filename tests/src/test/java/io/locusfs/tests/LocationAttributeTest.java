package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.locusfs.xattr.Location;
import io.locusfs.xattr.LocationRecord;
import io.locusfs.xattr.NodeIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The trusted location attribute on a real mount, with getfattr/setfattr and the locusfs commands. */
class LocationAttributeTest {
    private static final String L = MountedStore.LOCUSFS;
    private static final String HQ = "eu/gb/london/hq";

    private static String location(String path) {
        return Shell.ok("getfattr --only-values -n user.location " + path);
    }

    @Test
    void verifyAndWhereAnswerForEveryKindOfFileWithoutOpeningIt() {
        try (MountedStore m = MountedStore.create(HQ)) {
            Shell.ok("cd " + m.mnt + " && mkfifo pipe && mknod dev c 1 3 && ln -s nowhere link && mkdir dir && echo x > file"
                    + " && python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('sock')\"");
            // A FIFO with no writer: opening it would block; timeout turns a hang into exit 124.
            Shell.Result verify = Shell.run(120, "cd " + m.mnt + " && timeout 60 " + L + " verify pipe dev link dir file sock");
            assertEquals(0, verify.exit(), verify.out() + verify.err());
            for (String name : new String[] {"pipe", "dev", "link", "dir", "file", "sock"}) {
                assertTrue(verify.out().contains(name + ": ok (" + HQ), verify.out());
            }
            String where = Shell.ok("cd " + m.mnt + " && timeout 60 " + L + " where pipe link sock dev");
            assertEquals(4, where.lines().filter(l -> l.contains("\t" + HQ + "\t") && l.contains("signature=valid")).count(), where);
        }
    }

    @Test
    void everyFileDirectoryAndSymlinkShowsTheStoresLocation() {
        try (MountedStore m = MountedStore.create(HQ)) {
            Shell.ok("mkdir " + m.at("dir") + " && echo x > " + m.at("dir/f") + " && ln -s dir/f " + m.at("link"));
            assertEquals(HQ, location(m.at("dir/f")));
            assertEquals(HQ, location(m.at("dir")));
            // Through a symlink: Linux allows user.* attributes only on files and directories themselves.
            assertEquals(HQ, location(m.at("link")));
            assertTrue(Shell.run("getfattr -h -n user.location " + m.at("link")).err().contains("No such attribute"));
            assertEquals(HQ, location(m.at("")));
            String dump = Shell.ok("getfattr -d " + m.at("dir/f"));
            assertTrue(dump.contains("user.location=\"" + HQ + "\"") && dump.contains("user.location.record="), dump);
            assertTrue(Shell.ok("getfattr --only-values -n user.location.record " + m.at("dir/f")).startsWith("locusfs-location 1\nzone=" + HQ));
        }
    }

    @Test
    void onlyTheFilesystemWritesLocationEvenForRootButTheSameValueIsANoOp() {
        try (MountedStore m = MountedStore.create(HQ)) {
            Shell.ok("echo x > " + m.at("f") + " && echo y > " + m.at("mine") + " && chown nobody " + m.at("mine"));
            for (String attempt : List.of("setfattr -n user.location -v us/ny ", "setfattr -x user.location ",
                    "setfattr -n user.location.record -v forged ", "setfattr -n user.location.anything -v x ")) {
                Shell.Result root = Shell.run(attempt + m.at("f"));
                assertNotEquals(0, root.exit(), attempt);
                assertTrue(root.err().contains("Operation not permitted"), attempt + ": " + root.err());
                Shell.Result nobody = Shell.asNobody(attempt + m.at("mine"));
                assertTrue(nobody.err().contains("Operation not permitted"), attempt + " as nobody: " + nobody.err());
            }
            assertEquals(HQ, location(m.at("f")));
            Shell.ok("setfattr -n user.location -v " + HQ + " " + m.at("f"));
            Shell.ok("setfattr -n user.location.record -v \"$(getfattr -e hex -n user.location.record " + m.at("f")
                    + " | sed -n 's/^user.location.record=//p')\" " + m.at("f"));
            assertTrue(Shell.ok("cat " + m.store + "/locusfs.log").contains("refused setxattr user.location"));
        }
    }

    @Test
    void standardCopiesInAndOutSucceedAndCopiesInCarryThisNodesLocation() throws Exception {
        try (MountedStore a = MountedStore.create(HQ); MountedStore b = MountedStore.create("us/ny/office")) {
            Shell.ok("mkdir -p " + a.at("src/sub") + " && echo one > " + a.at("src/one") + " && echo two > " + a.at("src/sub/two")
                    + " && setfattr -n user.colour -v red " + a.at("src/one"));
            Path outside = Files.createTempDirectory("locusfs-out");
            try {
                Shell.ok("cp -a " + a.at("src") + " " + b.at("cp"));
                assertEquals("us/ny/office", location(b.at("cp/one")));
                assertEquals("red", Shell.ok("getfattr --only-values -n user.colour " + b.at("cp/one")));
                Shell.ok("tar --xattrs -C " + a.mnt + " -cf - src | tar --xattrs -C " + b.mnt + " -xf - --transform s/^src/tar/");
                assertEquals("us/ny/office", location(b.at("tar/sub/two")));
                Shell.ok("rsync -a " + a.at("src") + "/ " + b.at("rsync") + "/");
                Shell.ok("rsync -aX --filter='-x user.location*' " + a.at("src") + "/ " + b.at("rsyncx") + "/");
                assertEquals("red", Shell.ok("getfattr --only-values -n user.colour " + b.at("rsyncx/one")));
                Shell.ok("cp -a " + a.at("src") + " " + outside + "/cp && tar --xattrs -C " + a.mnt + " -cf - src | tar --xattrs -C " + outside + " -xf -");
                // From a plain directory too: without the filter rsync -aX would try to remove them (exit 23).
                Shell.ok("rsync -aX --filter='-x user.location*' " + outside + "/cp/ " + b.at("fromdisk") + "/");
                assertEquals("us/ny/office", location(b.at("fromdisk/one")));
                Shell.ok("rsync -aX " + a.at("src") + "/ " + outside + "/rsync/");
                assertEquals(HQ, location(outside + "/cp/one"), "a copy out keeps the attribute as plain data");
            } finally {
                Shell.run("rm -rf " + outside);
            }
        }
    }

    @Test
    void relabellingAStoreOf100000FilesTouchesNoPerFileRecordAndIsRecordedInSignedHistory() throws Exception {
        try (MountedStore m = MountedStore.create(HQ)) {
            Shell.run(600, "/usr/bin/python3 -c " + Shell.quote("import os\nfor i in range(100000):\n    open('" + m.mnt + "/f%06d' % i, 'w').close()")).ok();
            m.unmount();
            List<String> before;
            try (StoreSurgery store = new StoreSurgery(m.store)) {
                before = store.perFileRecords();
            }
            Shell.ok(L + " location set " + m.store + " eu/de/berlin/dc2 --coords 52.52,13.405");
            try (StoreSurgery store = new StoreSurgery(m.store)) {
                assertEquals(before, store.perFileRecords(), "relabel rewrote per-file records");
            }
            m.mount();
            assertEquals("eu/de/berlin/dc2", location(m.at("f000000")));
            assertEquals("eu/de/berlin/dc2", location(m.at("f099999")));
            Shell.ok(L + " location set " + m.mnt + " eu/fr/paris");
            assertEquals("eu/fr/paris", location(m.at("f042424")));
            String history = Shell.ok(L + " where --history " + m.mnt);
            String[] lines = history.trim().split("\n");
            assertEquals(3, lines.length, history);
            assertTrue(lines[0].contains(HQ) && lines[1].contains("eu/de/berlin/dc2") && lines[2].contains("eu/fr/paris"), history);
            for (String line : lines) {
                assertTrue(line.contains("signature=valid"), line);
            }
            assertTrue(lines[1].contains("coords=52.520000,13.405000"), lines[1]);
        }
    }

    @Test
    void verifyPassesOnAGoodStoreAndFailsOnATamperedOrCopiedRecord() throws Exception {
        try (MountedStore m = MountedStore.create(HQ)) {
            Shell.ok("mkdir " + m.at("d") + " && echo a > " + m.at("d/a") + " && echo b > " + m.at("d/b"));
            assertEquals(0, Shell.run(L + " verify " + m.at("d") + " " + m.at("d/a") + " " + m.at("d/b")).exit());
            long inoA = Long.parseLong(Shell.ok("stat -c %i " + m.at("d/a")).trim());
            long inoB = Long.parseLong(Shell.ok("stat -c %i " + m.at("d/b")).trim());
            m.unmount();
            try (StoreSurgery store = new StoreSurgery(m.store)) {
                // File a is given a record of its own (as if it came from elsewhere), and a copy of it is put on b.
                NodeIdentity node = NodeIdentity.load(m.store);
                String storeId = store.meta("store-id");
                String own = LocationRecord.sign(node, Location.of("us/ny"), storeId, storeId + ":" + inoA, Instant.now(), node.nodeId()).encode();
                store.putXattr(inoA, "user.location.record", own);
                store.putXattr(inoB, "user.location.record", own);
                // The store-wide record is edited to claim another zone, without its key.
                store.putMeta("location-record", store.meta("location-record").replace("zone=" + HQ, "zone=eu/ch/zurich"));
            }
            m.mount();
            Shell.Result ownRecord = Shell.run(L + " verify " + m.at("d/a"));
            assertEquals(0, ownRecord.exit(), ownRecord.out());
            Shell.Result copied = Shell.run(L + " verify " + m.at("d/b"));
            assertEquals(1, copied.exit());
            assertTrue(copied.out().contains("belongs to another file"), copied.out());
            Shell.Result tampered = Shell.run(L + " verify " + m.at("d"));
            assertEquals(1, tampered.exit());
            assertTrue(tampered.out().contains("forged"), tampered.out());
            assertTrue(Shell.ok(L + " where " + m.at("d/a")).contains("us/ny\t"));
            assertTrue(Shell.ok(L + " where --json " + m.at("d")).contains("\"signature\" : \"forged"));
        }
    }

    @Test
    void whereZoneListsExactlyTheFilesInMatchingZones() throws Exception {
        try (MountedStore m = MountedStore.create(HQ)) {
            Shell.ok("mkdir -p " + m.at("p/q") + " && touch " + m.at("p/one") + " " + m.at("p/q/two") + " " + m.at("three"));
            String all = m.mnt + "/p\n" + m.mnt + "/p/one\n" + m.mnt + "/p/q\n" + m.mnt + "/p/q/two\n" + m.mnt + "/three\n";
            assertEquals(all, Shell.ok(L + " where --zone 'eu/**' " + m.mnt));
            assertEquals(all, Shell.ok(L + " where --zone 'eu/gb/*/hq' " + m.mnt));
            assertEquals("", Shell.ok(L + " where --zone 'us/**' " + m.mnt));
            long ino = Long.parseLong(Shell.ok("stat -c %i " + m.at("p/q/two")).trim());
            m.unmount();
            try (StoreSurgery store = new StoreSurgery(m.store)) {
                NodeIdentity node = NodeIdentity.load(m.store);
                String storeId = store.meta("store-id");
                store.putXattr(ino, "user.location.record", LocationRecord.sign(node, Location.of("us/ny"), storeId,
                        storeId + ":" + ino, Instant.now(), node.nodeId()).encode());
            }
            m.mount();
            assertEquals(m.mnt + "/p/q/two\n", Shell.ok(L + " where --zone 'us/**' " + m.mnt));
            assertEquals(all.replace(m.mnt + "/p/q/two\n", ""), Shell.ok(L + " where --zone 'eu/**' " + m.mnt));
            assertEquals("us/ny", location(m.at("p/q/two")));
        }
    }
}
