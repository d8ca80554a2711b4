package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code mount -t locusfs}, an {@code /etc/fstab} line and {@code umount}, through the real
 * mount(8) and the {@code mount.locusfs} helper built from {@code native/} and put where mount(8)
 * looks for it, {@code /sbin} (removed afterwards, unless a package had installed one).
 */
@Timeout(300)
class MountHelperTest {
    private static final Path HELPER = Path.of("/sbin/mount.locusfs");
    private static boolean installedHere;

    @BeforeAll
    static void installHelper() throws Exception {
        Shell.ok("make -s -C " + MountedStore.HOME + " native");
        if (!Files.exists(HELPER)) {
            Shell.ok("install -m 755 " + MountedStore.HOME.resolve("native/build/mount.locusfs") + " " + HELPER);
            installedHere = true;
        }
    }

    @AfterAll
    static void removeHelper() throws Exception {
        if (installedHere) {
            Files.deleteIfExists(HELPER);
        }
    }

    /** mount(8) as root passes its environment to the helper: the helper runs this checkout's launcher. */
    private static final String ENV = "LOCUSFS_BIN=" + MountedStore.LOCUSFS + " ";

    /** Waits until the daemon that served the store has exited. */
    private static void awaitDaemonExit(long pid) {
        Shell.ok("for i in $(seq 600); do kill -0 " + pid + " 2>/dev/null || exit 0; sleep 0.1; done; exit 1");
    }

    @Test
    void mountDashTLocusfsMountsAndUmountFlushesAndClosesTheStore() throws Exception {
        try (MountedStore m = MountedStore.unmounted("eu/de")) {
            Shell.ok(ENV + "mount -t locusfs " + m.store + " " + m.mnt);
            assertEquals("fuse.locusfs " + m.store, Shell.ok("findmnt -n -o FSTYPE,SOURCE " + m.mnt).trim());
            Shell.ok("dd if=/dev/urandom of=" + m.at("data") + " bs=1M count=3 status=none && sha256sum " + m.at("data")
                    + " | cut -d' ' -f1 > " + m.root.resolve("sum"));
            long pid = m.daemonPid();
            Shell.ok("umount " + m.mnt); // no fsync: what the page cache holds must reach the store on unmount
            awaitDaemonExit(pid);
            assertFalse(Shell.run("mountpoint -q " + m.mnt).exit() == 0, "unmounted");
            m.assertFsckClean();
            m.mount();
            assertEquals(Files.readString(m.root.resolve("sum")).trim(),
                    Shell.ok("sha256sum " + m.at("data") + " | cut -d' ' -f1").trim(), "every byte written before umount");
        }
    }

    @Test
    void anFstabLineMountsWithItsOptionsAndAnUnknownOptionIsRefused() throws Exception {
        try (MountedStore m = MountedStore.unmounted("eu/de")) {
            Path policy = m.root.resolve("policy.toml");
            Files.writeString(policy, "[[access]]\nname = \"home-only\"\npaths = [\"/home-docs/**\"]\ncaller_in = [\"home/**\"]\n");
            Path fstab = Path.of("/etc/fstab");
            String before = Files.exists(fstab) ? Files.readString(fstab) : null;
            try {
                Files.writeString(fstab, (before == null ? "" : before) + m.store + " " + m.mnt
                        + " locusfs defaults,_netdev,ro,policy=" + policy + ",x-systemd.requires=network-online.target 0 0\n");
                Shell.ok(ENV + "mount " + m.mnt);
                assertTrue(Shell.ok("findmnt -n -o OPTIONS " + m.mnt).startsWith("ro,"), "mounted read-only");
                Shell.Result write = Shell.run("touch " + m.at("f"));
                assertNotEquals(0, write.exit());
                assertTrue(write.err().contains("Read-only file system"), write.err());
                assertTrue(Files.readString(m.store.resolve("locusfs.log")).contains(policy.toString()),
                        "the mount enforces the policy the line names");
                // A read-only mount leaves no pid file (the store may be another process's): find it by its command line.
                long pid = Long.parseLong(Shell.ok("pgrep -f -- 'mount --foreground " + m.store + " '").trim().split("\\s+")[0]);
                Shell.ok("umount " + m.mnt);
                awaitDaemonExit(pid);
            } finally {
                if (before == null) {
                    Files.deleteIfExists(fstab);
                } else {
                    Files.writeString(fstab, before);
                }
            }
            Shell.Result bad = Shell.run(ENV + "mount -t locusfs -o ro,bogus=1 " + m.store + " " + m.mnt);
            assertNotEquals(0, bad.exit());
            assertTrue(bad.err().contains("unknown mount option 'bogus=1'"), bad.err());
            assertFalse(Shell.run("mountpoint -q " + m.mnt).exit() == 0, "nothing mounted");
            // For 'mount -t fuse.locusfs', mount(8) runs mount.fuse3, which runs "locusfs STORE MOUNTPOINT -o ...": told
            // which type to use instead of "Unmatched arguments". (Run directly: mount(8) gives it a PATH of its own.)
            Shell.Result fuseType = Shell.run("PATH=" + MountedStore.HOME.resolve("packaging/bin") + ":$PATH mount.fuse3 "
                    + m.store + " " + m.mnt + " -t fuse.locusfs -o rw");
            assertNotEquals(0, fuseType.exit());
            assertTrue(fuseType.err().contains("use the type locusfs"), fuseType.err());
            assertFalse(Shell.run("mountpoint -q " + m.mnt).exit() == 0, "nothing mounted");
        }
    }
}
