package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the mount daemon while it deletes a snapshot or rolls back: afterwards fsck is
 * clean and the store is in the state before the operation or after it, never between.
 */
class SnapshotCrashTest {
    private static final String L = MountedStore.LOCUSFS;
    private static final String MANIFEST = MountedStore.HOME.resolve("tests/src/test/resources/manifest.py").toString();
    private final Random random = new Random();

    /** Many small changes, so the operation takes long enough to be hit at a random moment. */
    private static void churn(MountedStore m, String dir, int files) {
        Shell.ok("mkdir -p " + m.at(dir) + " && cd " + m.at(dir) + " && for i in $(seq " + files + "); do echo \"$i " + dir
                + "\" > f$i; done");
    }

    private static String manifest(String tree) {
        return Shell.ok("python3 " + MANIFEST + " " + tree);
    }

    /**
     * Starts {@code command} and kills the daemon at a random moment of it: the command's JVM
     * takes about 0.4 s to reach the daemon, the operation itself several tenths of a second more.
     */
    private void killDuring(MountedStore m, String command) {
        int delayMs = 350 + random.nextInt(700);
        Shell.run(command + " > /dev/null 2>&1 & sleep " + delayMs / 1000.0);
        m.crash();
        System.out.println("killed " + delayMs + " ms into: " + command);
    }

    @Test
    void killNineDuringSnapshotDeleteLeavesTheSnapshotWholeOrGone() {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            churn(m, "a", 4000);
            Shell.ok(L + " snapshot create " + m.store + " first");
            churn(m, "b", 4000);
            Shell.ok(L + " snapshot create " + m.store + " middle");
            Shell.ok("rm -rf " + m.at("b") + " && echo changed > " + m.at("a/f1"));
            Shell.ok(L + " snapshot create " + m.store + " last");
            String first = manifest(m.mnt + "/.snapshots/first");
            String middle = manifest(m.mnt + "/.snapshots/middle");
            String last = manifest(m.mnt + "/.snapshots/last");
            killDuring(m, L + " snapshot delete " + m.store + " middle");
            m.assertFsckClean();
            m.mount();
            String names = Shell.ok("ls " + m.mnt + "/.snapshots");
            System.out.println("after the crash the snapshots are: " + names.replace('\n', ' '));
            assertTrue(names.equals("first\nlast\nmiddle\n") || names.equals("first\nlast\n"), names);
            if (names.contains("middle")) {
                assertEquals(middle, manifest(m.mnt + "/.snapshots/middle"));
            }
            assertEquals(first, manifest(m.mnt + "/.snapshots/first"));
            assertEquals(last, manifest(m.mnt + "/.snapshots/last"));
            Shell.ok(L + " snapshot delete " + m.store + " middle || true");
            m.unmount();
            m.assertFsckClean();
        }
    }

    @Test
    void killNineDuringThinningAndDuringCreateLeavesWholeSnapshots() {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            java.util.Map<String, String> manifests = new java.util.TreeMap<>();
            for (int i = 0; i < 16; i++) {
                churn(m, "d" + i, 200);
                String name = "h" + i;
                Shell.ok(L + " snapshot create --scheduled --no-hooks --time 2026-01-01T" + String.format("%02d", i) + ":00:00Z "
                        + m.store + " " + name);
                manifests.put(name, manifest(m.mnt + "/.snapshots/" + name));
            }
            Shell.ok("printf '[snapshots]\\nkeep_all = \"1h\"\\n' > " + m.store.resolve("locusfs.toml"));
            // Thinning as if a day had passed deletes all but the newest, one snapshot after another.
            killDuring(m, L + " snapshot thin --now 2026-01-02T00:00:00Z " + m.store);
            m.assertFsckClean();
            Shell.ok("rm " + m.store.resolve("locusfs.toml")); // So the mount does not go on thinning while we look.
            m.mount();
            String left = Shell.ok("ls " + m.mnt + "/.snapshots");
            System.out.println("after the crash the snapshots are: " + left.replace('\n', ' '));
            assertTrue(left.contains("h15"), "the newest is never thinned");
            for (String name : left.split("\n")) {
                assertEquals(manifests.get(name), manifest(m.mnt + "/.snapshots/" + name), "snapshot " + name);
            }
            // And a crash while a snapshot is being taken: it exists whole, or not at all.
            churn(m, "late", 500);
            String live = manifest(m.mnt.toString());
            killDuring(m, L + " snapshot create " + m.store + " at-crash");
            m.assertFsckClean();
            m.mount();
            if (Shell.ok("ls " + m.mnt + "/.snapshots").contains("at-crash")) {
                assertEquals(live, manifest(m.mnt + "/.snapshots/at-crash"));
            }
            assertEquals(live, manifest(m.mnt.toString()));
            m.unmount();
            m.assertFsckClean();
        }
    }

    @Test
    void killNineDuringRollbackLeavesTheTreeAsItWasOrRolledBack() {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            churn(m, "a", 4000);
            Shell.ok(L + " snapshot create " + m.store + " good");
            churn(m, "b", 4000);
            Shell.ok("rm -rf " + m.at("a") + " && sync");
            String before = manifest(m.mnt.toString());
            String good = manifest(m.mnt + "/.snapshots/good");
            killDuring(m, L + " snapshot rollback " + m.store + " good");
            m.assertFsckClean();
            m.mount();
            String now = manifest(m.mnt.toString());
            assertTrue(now.equals(before) || now.equals(good), "the live tree is neither as it was nor as the snapshot");
            System.out.println("after the crash the live tree is " + (now.equals(good) ? "rolled back" : "as it was"));
            assertEquals(good, manifest(m.mnt + "/.snapshots/good"));
            m.unmount();
            m.assertFsckClean();
        }
    }
}
