package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Thousands of seeded random operations (create, write at random offsets, append, truncate,
 * rename over files and directories, link, unlink, symlink, mkdir, rmdir, chmod, utimens,
 * xattrs, reads and fstat through a second descriptor kept open) on a real mount with the
 * kernel's caches on, and the same on a native directory: every operation must return the same
 * and every path it touched must show the same type, mode, link count, owner, size, content,
 * link target, explicitly set time, xattrs and listing, on both. The mount is remounted every
 * 500 operations, so what the store kept is compared too, not only what the kernel cached.
 * Hard-link counts are compared after every link, unlink and rename: with inode-based FUSE the
 * kernel holds one inode per file, and a count cached for one name must change with the other.
 */
class FilesystemDifferentialTest {
    private static final String SCRIPT = MountedStore.HOME.resolve("tests/src/test/resources/fsdiff.py").toString();

    @Test
    void randomOperationsShowTheSameOnTheMountAsOnANativeDirectory() {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            Path reference = m.root.resolve("native");
            Shell.ok("mkdir -m 755 " + reference + " && chmod 755 " + m.mnt);
            String remount = MountedStore.LOCUSFS + " umount " + m.mnt + " && " + MountedStore.LOCUSFS + " mount " + m.store + " " + m.mnt;
            long seed = Long.getLong("locusfs.seed", 20261206L);
            Shell.Result r = Shell.run(900, "python3 " + SCRIPT + " " + m.mnt + " " + reference + " " + seed + " 3000 "
                    + Shell.quote(remount));
            assertEquals(0, r.exit(), () -> r.out() + r.err());
            m.unmount();
            m.assertFsckClean();
        }
    }
}
