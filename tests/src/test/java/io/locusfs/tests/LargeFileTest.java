package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Big, sparse and beyond-4-GiB files. */
class LargeFileTest extends SharedMountTest {

    @Override
    protected String zone() {
        return "home";
    }
    private Path scratch;

    @BeforeAll
    void makeScratch() throws Exception {
        scratch = Files.createTempDirectory("locusfs-large");
    }

    @AfterAll
    void removeScratch() {
        Shell.run("rm -rf " + scratch);
    }

    @Test
    void oneGibWrittenWithDdReadsBackIdenticalAfterRemount() {
        Shell.ok("head -c 1G /dev/urandom > " + scratch + "/gib");
        Shell.ok("dd if=" + scratch + "/gib of=" + m.at("gib") + " bs=1M conv=fsync status=none");
        m.remount();
        String expected = Shell.ok("sha256sum < " + scratch + "/gib");
        assertEquals(expected, Shell.ok("sha256sum < " + m.at("gib")));
        assertEquals("1073741824", Shell.ok("stat -c %s " + m.at("gib")).trim());
    }

    @Test
    void tenGibSparseFileUsesAlmostNoSpaceAndReadsZeros() {
        long storeBefore = Long.parseLong(Shell.ok("du -sk " + m.store + " | cut -f1").trim());
        Shell.ok("truncate -s 10G " + m.at("sparse"));
        Shell.ok("printf middle | dd of=" + m.at("sparse") + " bs=1 seek=5368709120 conv=notrunc status=none");
        Shell.ok("printf end | dd of=" + m.at("sparse") + " bs=1 seek=10737418237 conv=notrunc status=none");
        assertEquals("10737418240", Shell.ok("stat -c %s " + m.at("sparse")).trim());
        long allocatedKib = Long.parseLong(Shell.ok("du -k " + m.at("sparse") + " | cut -f1").trim());
        assertTrue(allocatedKib <= 512, "a 10 GiB sparse file with two small writes allocates " + allocatedKib + " KiB");
        m.remount();
        long storeAfter = Long.parseLong(Shell.ok("du -sk " + m.store + " | cut -f1").trim());
        assertTrue(storeAfter - storeBefore < 64 * 1024, "the store grew by " + (storeAfter - storeBefore) + " KiB");
        assertEquals("middle", Shell.ok("dd if=" + m.at("sparse") + " bs=1 skip=5368709120 count=6 status=none"));
        assertEquals("end", Shell.ok("tail -c 3 " + m.at("sparse")));
        // A hole in the middle reads as zeros.
        Shell.ok("cmp <(dd if=" + m.at("sparse") + " bs=1M skip=2048 count=16 status=none) <(head -c 16M /dev/zero)");
    }

    @Test
    void denseWriteAcrossTheFourGibBoundaryReadsBack() {
        Shell.ok("head -c 8M /dev/urandom > " + scratch + "/chunk");
        Shell.ok("dd if=" + scratch + "/chunk of=" + m.at("big4") + " bs=1M seek=4092 conv=fsync status=none");
        assertEquals(String.valueOf(4100L << 20), Shell.ok("stat -c %s " + m.at("big4")).trim());
        Shell.ok("cmp " + scratch + "/chunk <(dd if=" + m.at("big4") + " bs=1M skip=4092 status=none)");
    }

    @Test
    void zeroBlocksAreNotStored() {
        Shell.ok("dd if=/dev/zero of=" + m.at("zeros") + " bs=1M count=64 conv=fsync status=none");
        assertEquals("0", Shell.ok("stat -c %b " + m.at("zeros")).trim());
        Shell.ok("cmp " + m.at("zeros") + " <(head -c 64M /dev/zero)");
    }
}
