package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The kernel keeps names, attributes and pages of the mount for a minute (60 s by default), so
 * whatever changes the store behind its back must make it forget: here each change is followed
 * at once, in the same shell, by the tools that would show a stale answer.
 */
class KernelCacheTest {
    private static final String L = MountedStore.LOCUSFS;

    @Test
    void aRollbackIsSeenAtOnceByAShellThatHasTheFilesCached() {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            String out = Shell.ok("cd " + m.mnt + " && printf one > f && mkdir .snapshots/good"
                    + " && printf 'longer content' > f && echo new > added && ln f g"
                    + " && stat -c '%s %h' f >/dev/null && cat f added >/dev/null && ls >/dev/null"
                    + " && " + L + " snapshot rollback --mount " + m.mnt + " good >/dev/null"
                    + " && stat -c '%s %h' f && cat f && echo && ls && (stat added 2>&1 || true)");
            String[] lines = out.split("\n");
            assertEquals("3 1", lines[0], "size and link count after the rollback");
            assertEquals("one", lines[1], "content after the rollback");
            assertEquals("f", lines[2], "the listing after the rollback");
            assertEquals(true, lines[3].contains("No such file"), "a file made after the snapshot is gone: " + out);
        }
    }

    @Test
    void aSnapshotHoldsWhatWasWrittenEvenWhileTheKernelStillCachesIt() {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            String script = "import os, subprocess\nos.chdir('" + m.mnt + "')\n"
                    + "fd = os.open('f', os.O_CREAT | os.O_WRONLY, 0o644)\nos.write(fd, b'x' * 100000)\n"
                    + "subprocess.run(['" + L + "', 'snapshot', 'create', '" + m.store + "', 'by-command'], check=True, capture_output=True)\n"
                    + "os.write(fd, b'y' * 1000)\nos.mkdir('.snapshots/by-mkdir')\n"
                    + "print(os.path.getsize('.snapshots/by-command/f'), os.path.getsize('.snapshots/by-mkdir/f'))\nos.close(fd)";
            assertEquals("100000 101000", Shell.ok("python3 -c " + Shell.quote(script)).trim());
        }
    }

    @Test
    void anImportIntoTheMountedStoreIsSeenAtOnce() {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            Shell.ok("mkdir -p " + m.root + "/src && printf 'from the import' > " + m.root + "/src/f");
            String out = Shell.ok("cd " + m.mnt + " && mkdir imp && printf old > imp/f && stat -c %s imp/f >/dev/null && cat imp/f >/dev/null"
                    + " && " + L + " import --mount " + m.mnt + " --format dir " + m.root + "/src --into /imp >/dev/null"
                    + " && stat -c %s imp/f && cat imp/f");
            assertEquals("15\nfrom the import", out.trim());
        }
    }

    @Test
    void aRelabelIsSeenAtOnce() {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            String out = Shell.ok("cd " + m.mnt + " && echo x > f && getfattr --only-values -n user.location f && echo"
                    + " && " + L + " location set " + m.mnt + " eu/fr/paris >/dev/null"
                    + " && getfattr --only-values -n user.location f");
            assertEquals("eu/gb/london/hq\neu/fr/paris", out.trim());
        }
    }

    @Test
    void linkCountsFollowEveryNameOfAFile() {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            String out = Shell.ok("cd " + m.mnt + " && echo x > f && stat -c %h f && ln f g && stat -c %h f"
                    + " && mkdir d && ln g d/h && stat -c %h f g d/h && rm g && stat -c %h f d/h && rm d/h && stat -c '%h %i' f");
            String ino = Shell.ok("stat -c %i " + m.mnt + "/f").trim();
            assertEquals("1\n2\n3\n3\n3\n2\n2\n1 " + ino, out.trim());
        }
    }
    /**
     * A small read hands the kernel the whole block it fetched (PageCacheFill). Such a block must
     * never land over what a writer wrote after it, nor outlive a rollback: here every round reads
     * 4 KiB of a block, at once writes elsewhere in that block through another descriptor and
     * reads that back, and the last rounds read every block, roll back, and read them again.
     */
    @Test
    void aBlockCachedForASmallReadNeverHidesALaterWriteOrARollback() {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            String script = String.join("\n",
                    "import os, subprocess",
                    "os.chdir('" + m.mnt + "')",
                    "B = 128 * 1024",
                    "with open('f', 'wb') as f: f.write(bytes(range(256)) * (64 * B // 256))",
                    "os.chdir('/')",
                    "subprocess.run(['" + L + "', 'umount', '" + m.mnt + "'], check=True, capture_output=True)",
                    "subprocess.run(['" + L + "', 'mount', '" + m.store + "', '" + m.mnt + "'], check=True, capture_output=True)",
                    "os.chdir('" + m.mnt + "')",
                    "r = os.open('f', os.O_RDONLY)",
                    "stale = 0",
                    "for i in range(400):",
                    "    block = i % 64",
                    "    os.pread(r, 4096, block * B)",
                    "    w = os.open('f', os.O_RDWR)",
                    "    mark = ('%08d' % i).encode() * 512",
                    "    os.pwrite(w, mark, block * B + 65536)",
                    "    os.close(w)",
                    "    stale += os.pread(r, 4096, block * B + 65536) != mark",
                    "subprocess.run(['mkdir', '.snapshots/before'], check=True)",
                    "w = os.open('f', os.O_RDWR)",
                    "for block in range(64): os.pwrite(w, b'z' * 4096, block * B + 8192)",
                    "os.close(w)",
                    "for block in range(64): os.pread(r, 4096, block * B)",
                    "subprocess.run(['" + L + "', 'snapshot', 'rollback', '--mount', '" + m.mnt + "', 'before'], check=True, capture_output=True)",
                    "after = sum(os.pread(r, 4096, block * B + 8192) == b'z' * 4096 for block in range(64))",
                    "print(stale, after)");
            assertEquals("0 0", Shell.ok("python3 -c " + Shell.quote(script)).trim(),
                    "stale reads after a write, and blocks still showing what the rollback undid");
        }
    }
}
