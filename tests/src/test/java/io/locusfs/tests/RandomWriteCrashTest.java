package io.locusfs.tests;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the mount daemon in the middle of a storm of random 4 KiB writes with an fsync every
 * 32 (the writes the kernel gathers in its page cache with writeback caching), twenty times over
 * the same files: after each crash fsck is clean and every byte that was fsync'd is intact.
 */
class RandomWriteCrashTest {
    private static final String SCRIPT = MountedStore.HOME.resolve("tests/src/test/resources/randwrite.py").toString();

    @Test
    void everyFsyncedByteSurvivesTwentyKillsDuringRandomWrites() {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            Path state = m.root.resolve("state");
            Shell.ok("mkdir -p " + state);
            for (int cycle = 0; cycle < 20; cycle++) {
                if (cycle > 0) {
                    m.mount();
                    Shell.ok("python3 " + SCRIPT + " check " + m.mnt + " " + state);
                }
                Shell.ok("python3 " + SCRIPT + " write " + m.mnt + " " + state + " " + cycle
                        + " > " + m.root + "/writer.log 2>&1 & sleep " + (1 + cycle % 3 * 0.4));
                m.crash();
                Shell.run("pkill -9 -f '" + SCRIPT + " write'; sleep 0.2");
                m.assertFsckClean();
            }
            m.mount();
            Shell.ok("python3 " + SCRIPT + " check " + m.mnt + " " + state);
        }
    }
}
