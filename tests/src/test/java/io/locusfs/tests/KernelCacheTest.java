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
}
