package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Snapshots on a real mount, driven with the locusfs command line and standard tools. */
class SnapshotTest {
    private static final String L = MountedStore.LOCUSFS;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode list(MountedStore m) throws Exception {
        return JSON.readTree(Shell.ok(L + " snapshot list --json " + m.store));
    }

    private static List<String> names(MountedStore m) throws Exception {
        List<String> names = new ArrayList<>();
        list(m).get("snapshots").forEach(s -> names.add(s.get("name").asText()));
        return names;
    }

    private static void config(MountedStore m, String toml) throws Exception {
        Files.writeString(m.store.resolve("locusfs.toml"), toml);
    }

    @Test
    void snapshotsAreReadOnlyHiddenFromTheRootListingAndShowTheAttributesOfTheirTime() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            Shell.ok("echo v1 > " + m.at("f") + " && setfattr -n user.note -v then " + m.at("f") + " && mkdir " + m.at("d"));
            Shell.ok(L + " snapshot create --mount " + m.mnt + " s1");
            Shell.ok("echo v2 > " + m.at("f") + " && setfattr -n user.note -v now " + m.at("f"));
            Shell.ok(L + " location set " + m.mnt + " eu/de/berlin");
            String snap = m.mnt + "/.snapshots/s1";
            assertEquals("v1\n", Shell.ok("cat " + snap + "/f"));
            assertEquals("then", Shell.ok("getfattr --only-values -n user.note " + snap + "/f"));
            assertEquals("eu/gb/london/hq", Shell.ok("getfattr --only-values -n user.location " + snap + "/f"),
                    "a snapshot shows where the file lived when it was taken");
            assertEquals("eu/de/berlin", Shell.ok("getfattr --only-values -n user.location " + m.at("f")));
            assertEquals("now", Shell.ok("getfattr --only-values -n user.note " + m.at("f")));
            assertFalse(Shell.ok("ls -a " + m.mnt).contains(".snapshots"), "hidden from the root listing");
            assertEquals("s1\n", Shell.ok("ls " + m.mnt + "/.snapshots"));
            assertNotEquals(Shell.ok("stat -c %i " + m.at("f")), Shell.ok("stat -c %i " + snap + "/f"),
                    "a snapshot's file is not the live file to cp, diff or tar");
            for (String write : List.of("echo x > " + snap + "/f", "echo x > " + snap + "/new", "rm " + snap + "/f",
                    "mkdir " + snap + "/e", "rmdir " + snap + "/d", "mv " + snap + "/f " + snap + "/g", "mv " + snap + "/f " + m.at("g"),
                    "ln " + snap + "/f " + m.at("h"), "touch " + snap + "/f", "chmod 600 " + snap + "/f",
                    "setfattr -n user.x -v 1 " + snap + "/f", "truncate -s 0 " + snap + "/f", "ln -s f " + snap + "/l",
                    "mv " + m.mnt + "/.snapshots/s1 " + m.mnt + "/.snapshots/s2", "touch " + m.mnt + "/.snapshots/x")) {
                Shell.Result r = Shell.run(write);
                assertNotEquals(0, r.exit(), write);
                assertTrue(r.err().contains("Read-only file system"), write + ": " + r.err());
            }
            assertEquals("v1\n", Shell.ok("cat " + snap + "/f"));
            Shell.Result missing = Shell.run("ls " + m.mnt + "/.snapshots/nope");
            assertTrue(missing.err().contains("No such file"), missing.err());
        }
    }

    @Test
    void rootTakesASnapshotWithMkdirInDotSnapshotsAndDeletesItWithRmdir() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            String snaps = m.mnt + "/.snapshots/";
            // A file still open for writing: what was written so far is in the snapshot.
            Shell.ok("echo v1 > " + m.at("f") + " && exec 3>" + m.at("open") + " && echo partial >&3 && mkdir " + snaps + "daily"
                    + " && cat " + snaps + "daily/open");
            assertEquals("partial\n", Shell.ok("cat " + snaps + "daily/open"));
            Shell.ok("echo v2 > " + m.at("f"));
            assertEquals("v1\n", Shell.ok("cat " + snaps + "daily/f"));
            JsonNode daily = list(m).get("snapshots").get(0);
            assertEquals("daily", daily.get("name").asText());
            assertTrue(daily.get("manual").asBoolean(), "a snapshot someone named is manual: the retention grid keeps it");
            assertTrue(Shell.run("mkdir " + snaps + "daily").err().contains("File exists"));
            assertTrue(Shell.run("mkdir '" + snaps + "no good'").err().contains("Invalid argument"));
            Shell.Result nobody = Shell.asNobody("mkdir " + snaps + "mine");
            assertNotEquals(0, nobody.exit(), "only root takes snapshots");
            assertEquals(List.of("daily"), names(m));
            // A file of the snapshot held open: not deleted under the reader.
            Shell.Result busy = Shell.run("exec 3<" + snaps + "daily/f && rmdir " + snaps + "daily");
            assertTrue(busy.err().contains("Device or resource busy"), busy.err());
            String daemonLog = Shell.ok("cat " + m.store.resolve("locusfs.log"));
            assertTrue(daemonLog.contains("deleting snapshot daily refused: snapshot 'daily' has open files: /.snapshots/daily/f (pid "),
                    "the log names the open file and its process:\n" + daemonLog);
            // The command refuses the same way, naming the file and the process that holds it.
            Shell.Result command = Shell.run("exec 3<" + snaps + "daily/f && " + L + " snapshot delete " + m.store + " daily");
            assertNotEquals(0, command.exit());
            assertTrue(command.err().contains("snapshot 'daily' has open files: /.snapshots/daily/f (pid "), command.err());
            assertEquals(List.of("daily"), names(m));
            Shell.ok("rmdir " + snaps + "daily");
            assertEquals(List.of(), names(m));
            assertEquals("", Shell.ok("ls " + snaps));
            assertEquals("v2\n", Shell.ok("cat " + m.at("f")));
        }
    }

    @Test
    void rollbackIsRefusedUnderAWriterAndThenReturnsTheTreeExactly() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            Shell.ok("mkdir " + m.at("d") + " && head -c 3000000 /dev/urandom > " + m.at("d/big") + " && echo keep > " + m.at("small"));
            Shell.ok(L + " snapshot create " + m.store + " good");
            Shell.ok("dd if=/dev/zero of=" + m.at("d/big") + " bs=4096 count=100 seek=10 conv=notrunc status=none"
                    + " && rm " + m.at("small") + " && echo extra > " + m.at("extra") + " && mv " + m.at("d") + " " + m.at("e"));
            // A writer holds a file open: the rollback is refused, naming the reason.
            Shell.ok("(exec 3>>" + m.at("extra") + "; sleep 3) > /dev/null 2>&1 & sleep 0.5");
            Shell.Result refused = Shell.run(L + " snapshot rollback " + m.store + " good");
            assertEquals(1, refused.exit(), refused.out() + refused.err());
            assertTrue(refused.err().contains("1 file(s) are open for writing on " + m.mnt + ": /extra (pid "), refused.err());
            assertTrue(Files.exists(m.mnt.resolve("extra")), "nothing changed");
            Shell.ok("sleep 3");
            Shell.ok(L + " snapshot rollback " + m.store + " good");
            Shell.ok("diff -r " + m.mnt.resolve(".snapshots/good") + " " + m.mnt);
            assertEquals("keep\n", Shell.ok("cat " + m.at("small")));
            assertFalse(Files.exists(m.mnt.resolve("extra")));
            // --force rolls back under a writer.
            Shell.ok("echo later > " + m.at("later"));
            Shell.ok("(exec 3>>" + m.at("small") + "; sleep 2) > /dev/null 2>&1 & sleep 0.5");
            Shell.ok(L + " snapshot rollback --force " + m.store + " good");
            assertFalse(Files.exists(m.mnt.resolve("later")));
            Shell.ok("sleep 2");
            assertEquals("", Shell.ok(L + " snapshot diff " + m.store + " good"), "the live tree is the snapshot again");
            m.unmount();
            m.assertFsckClean();
        }
    }

    @Test
    void deletingASnapshotGivesItsSpaceBackToTheDisk() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            Shell.ok("dd if=/dev/urandom of=" + m.at("data") + " bs=1M count=64 status=none");
            Shell.ok(L + " snapshot create " + m.store + " before");
            Shell.ok("dd if=/dev/urandom of=" + m.at("data") + " bs=1M count=64 conv=notrunc,fsync status=none");
            JsonNode before = list(m);
            long used = before.get("snapshots").get(0).get("used_bytes").asLong();
            assertEquals(64L << 20, used, "the snapshot alone holds the 64 MiB that were overwritten");
            assertEquals(64L << 20, before.get("snapshots").get(0).get("referenced_bytes").asLong());
            long diskBefore = Long.parseLong(Shell.ok("du -sb " + m.store.resolve("db") + " | cut -f1").trim());
            String out = Shell.ok(L + " snapshot delete " + m.store + " before");
            assertTrue(out.contains("64M of data"), out);
            long diskAfter = Long.parseLong(Shell.ok("du -sb " + m.store.resolve("db") + " | cut -f1").trim());
            assertTrue(diskBefore - diskAfter > (48L << 20), "du went from " + diskBefore + " to " + diskAfter);
            assertEquals(List.of(), names(m));
            m.unmount();
            m.assertFsckClean();
        }
    }

    @Test
    void theRetentionGridThinsScheduledSnapshotsAgainstTheGivenClock() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            config(m, "[snapshots]\nkeep_all = \"1h\"\nhourly = \"3h\"\ndaily = \"30d\"\n");
            // Six hours of snapshots every 15 minutes, dated a month ahead so that the mount's own
            // thinning (real clock) finds them all young; `thin --now` then judges them at the end.
            Instant start = Instant.now().plus(Duration.ofDays(30)).truncatedTo(java.time.temporal.ChronoUnit.DAYS);
            for (int i = 0; i < 24; i++) {
                Shell.ok("echo " + i + " > " + m.at("f" + i));
                Shell.ok(L + " snapshot create --scheduled --no-hooks --time " + start.plus(Duration.ofMinutes(15L * i))
                        + " " + m.store + " q" + i);
            }
            Shell.ok(L + " snapshot create --time 2026-01-01T00:00:00Z " + m.store + " keepme");
            String now = start.plus(Duration.ofHours(6)).toString();
            String dry = Shell.ok(L + " snapshot thin --dry-run --now " + now + " " + m.store);
            assertEquals(18, dry.lines().count(), dry);
            assertEquals(25, names(m).size(), "a dry run deletes nothing");
            // A snapshot due to go is kept while a file in it is open, and goes once it is closed.
            Shell.ok("exec 3<" + m.mnt + "/.snapshots/q0/f0 && " + L + " snapshot thin --now " + now + " " + m.store);
            assertTrue(names(m).contains("q0"), "deleted under a reader: " + names(m));
            assertTrue(Files.readString(m.store.resolve("locusfs.log")).contains("snapshot q0 is due to go but kept for now: "
                    + "files are open in it (/.snapshots/q0/f0 (pid "));
            Shell.ok(L + " snapshot thin --now " + now + " " + m.store);
            // Kept: everything of the last hour, the newest of each of the two hours before, the one named by hand.
            assertEquals(List.of("q15", "q19", "q20", "q21", "q22", "q23", "keepme"), names(m));
            // Thinning merged the intermediate changes into the kept snapshots: each still reads its files.
            assertEquals("15\n", Shell.ok("cat " + m.mnt + "/.snapshots/q15/f15"));
            assertEquals("3\n", Shell.ok("cat " + m.mnt + "/.snapshots/q19/f3"));
            m.unmount();
            m.assertFsckClean();
        }
    }

    @Test
    void aCapacityBoundDropsTheOldestScheduledSnapshotsButNeverTheNewest() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            config(m, "[snapshots]\nmax_store_size = \"56M\"\n");
            Shell.ok("dd if=/dev/urandom of=" + m.at("data") + " bs=1M count=16 status=none");
            Shell.ok(L + " snapshot create --mount " + m.mnt + " named-by-hand");
            for (int i = 1; i <= 3; i++) {
                Shell.ok("dd if=/dev/urandom of=" + m.at("data") + " bs=1M count=16 conv=notrunc status=none");
                Shell.ok(L + " snapshot create --scheduled " + m.store + " s" + i);
            }
            Shell.ok("dd if=/dev/urandom of=" + m.at("data") + " bs=1M count=16 conv=notrunc,fsync status=none");
            // Five 16 MiB versions of the file: the mount (every second) or this command drops the
            // oldest scheduled snapshots until the store is under 56 MiB; the newest and the one
            // named by hand stay.
            Shell.ok(L + " snapshot thin " + m.store);
            assertEquals(List.of("named-by-hand", "s3"), names(m));
            assertTrue(Long.parseLong(Shell.ok("du -sb " + m.store.resolve("db") + " | cut -f1").trim()) < (56L << 20));
            assertTrue(Files.readString(m.store.resolve("locusfs.log")).contains("dropped to keep the store under"));
        }
    }

    @Test
    void theMountTakesScheduledSnapshotsThinsThemAndKeepsItsConfigWhenTheNewOneIsBroken() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            m.unmount();
            config(m, "[snapshots]\nevery = \"1s\"\nprefix = \"tick\"\nkeep_all = \"3s\"\n");
            m.mount();
            Shell.ok("echo x > " + m.at("f") + "; sleep 6");
            List<String> names = names(m);
            assertTrue(names.size() >= 2 && names.size() <= 6, "about one a second, the older ones thinned: " + names);
            assertTrue(names.stream().allMatch(n -> n.startsWith("tick-")), names.toString());
            String log = Files.readString(m.store.resolve("locusfs.log"));
            assertTrue(log.contains("thinned by the retention grid"), "thinning is logged");
            // A broken file: the error names file and line, and the old schedule goes on.
            config(m, "[snapshots]\nevery = \"1s\"\nprefix = \"tick\"\nkeep_all = \"3 seconds\"\n");
            Shell.ok("sleep 3");
            log = Files.readString(m.store.resolve("locusfs.log"));
            assertTrue(log.contains("locusfs.toml:4:1: '3 seconds' is not a duration"), log);
            List<String> later = names(m);
            assertNotEquals(names, later, "the schedule still runs under the old configuration");
            // Offline and at mount time, a broken file is refused with the same message.
            m.unmount();
            Shell.Result mount = Shell.run(L + " mount " + m.store + " " + m.mnt);
            assertNotEquals(0, mount.exit());
            assertTrue(mount.err().contains("locusfs.toml:4"), mount.err());
            Shell.Result offline = Shell.run(L + " snapshot list " + m.store);
            assertTrue(offline.err().contains("locusfs.toml:4"), offline.err());
            config(m, "[snapshots]\nevry = \"1s\"\n");
            offline = Shell.run(L + " snapshot list " + m.store);
            assertTrue(offline.err().contains("locusfs.toml:2:1: unknown key 'evry'"), offline.err());
        }
    }

    @Test
    void hooksMakeSnapshotsApplicationConsistentAndAFailingPreHookAbortsIt() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            Path post = m.root.resolve("post.log");
            config(m, "[snapshots]\npre_hook = 'echo \"$LOCUSFS_SNAPSHOT\" > \"$LOCUSFS_MOUNT/flushed-by-hook\"'\n"
                    + "post_hook = 'echo \"$LOCUSFS_SNAPSHOT\" >> " + post + "'\n");
            Shell.ok(L + " snapshot create " + m.store + " consistent");
            assertEquals("consistent\n", Shell.ok("cat " + m.mnt + "/.snapshots/consistent/flushed-by-hook"),
                    "what the pre-hook wrote is in the snapshot");
            assertEquals("consistent\n", Files.readString(post));
            config(m, "[snapshots]\npre_hook = 'echo database is locked >&2; exit 3'\npost_hook = 'echo \"$LOCUSFS_SNAPSHOT\" >> "
                    + post + "'\n");
            Shell.Result failed = Shell.run(L + " snapshot create " + m.store + " torn");
            assertEquals(1, failed.exit());
            assertTrue(failed.err().contains("pre-snapshot hook failed (exit 3)") && failed.err().contains("database is locked"),
                    failed.err());
            assertEquals(List.of("consistent"), names(m), "no snapshot was taken");
            assertEquals("consistent\ntorn\n", Files.readString(post), "the post-hook ran anyway");
        }
    }

    @Test
    void anUnmountedStoreTakesSnapshotsOfflineAndTheMountShowsThem() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            Shell.ok("echo one > " + m.at("a"));
            m.unmount();
            Shell.ok(L + " snapshot create " + m.store + " offline");
            Shell.Result dup = Shell.run(L + " snapshot create " + m.store + " offline");
            assertTrue(dup.err().contains("already exists"), dup.err());
            Shell.Result bad = Shell.run(L + " snapshot create " + m.store + " ../x");
            assertTrue(bad.err().contains("invalid snapshot name"), bad.err());
            m.mount();
            Shell.ok("echo two > " + m.at("a"));
            assertEquals("one\n", Shell.ok("cat " + m.mnt + "/.snapshots/offline/a"));
            assertEquals("M\t/a\n", Shell.ok(L + " snapshot diff " + m.store + " offline"));
        }
    }
}
