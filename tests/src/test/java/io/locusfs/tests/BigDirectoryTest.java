package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A directory of 100,000 entries lists completely and in reasonable time. */
class BigDirectoryTest {

    @Test
    void directoryOfOneHundredThousandEntriesListsEveryName() {
        try (MountedStore m = MountedStore.create("home")) {
            String create = "import os\nd = '" + m.mnt + "/big'\nos.mkdir(d)\n"
                    + "for i in range(100000):\n    os.close(os.open('%s/f%06d' % (d, i), os.O_CREAT | os.O_WRONLY, 0o644))";
            Shell.run(600, "/usr/bin/python3 -c " + Shell.quote(create)).ok();
            Shell.Result listed = Shell.run(120, "ls -f " + m.at("big") + " | grep -v '^\\.' | sort | sha256sum");
            String expected = Shell.ok("for i in $(seq -f '%06g' 0 99999); do echo f$i; done | sort | sha256sum");
            assertEquals(expected, listed.ok().out());
            assertEquals("100000", Shell.run(120, "find " + m.at("big") + " -type f | wc -l").ok().out().trim());
        }
    }
}
