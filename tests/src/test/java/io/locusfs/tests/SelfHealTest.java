package io.locusfs.tests;

import static io.locusfs.tests.Replication.awaitAcknowledged;
import static io.locusfs.tests.Replication.config;
import static io.locusfs.tests.Replication.mirror;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Self-heal on a real mount: bytes flipped in the store's own files (a blob file, found by what
 * the file holds) under a mounted origin that replicates to a mirror in its own process over TLS;
 * the read returns the right bytes, read again from the mirror, the block is rewritten here and
 * the repair logged; a block no mirror holds fails with EIO, saying so.
 */
class SelfHealTest {
    private static final String L = MountedStore.LOCUSFS;
    @RegisterExtension
    static final TestAuthority CA = new TestAuthority("origin", "mirror");

    /** Writes {@code bytes} of a repeated pattern starting with {@code marker} to {@code file}. */
    private static void pattern(Path file, String marker, int bytes) {
        Shell.ok("python3 -c \"import sys; sys.stdout.buffer.write((b'" + marker + "-0123456789-' * " + (bytes / 10 + 1)
                + ")[:" + bytes + "])\" > " + file);
    }

    /** Flips 8 bytes {@code at} bytes after the first place {@code marker} stands in the store's blob files; false when it is nowhere. */
    private static boolean corrupt(MountedStore m, String marker, int at) {
        return Shell.run("for f in $(find " + m.store + " -name '*.blob'); do off=$(grep -boa '" + marker + "-0123' $f | head -1 | cut -d: -f1);"
                + " if [ -n \"$off\" ]; then printf 'ZZZZZZZZ' | dd of=$f bs=1 seek=$((off + " + at + ")) conv=notrunc status=none;"
                + " echo corrupted $f; fi; done; sync; echo 3 > /proc/sys/vm/drop_caches").out().contains("corrupted");
    }

    @Test
    void aBlockThatFailsItsChecksumIsReadAgainFromTheMirrorAndRewrittenHere() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra");
             MountedStore replica = MountedStore.unmounted("eu/fr/par");
             MirrorProcess mirror = new MirrorProcess(replica, CA.get(), "mirror", "")) {
            Path conf = config(origin, "", CA.get().tlsTable("origin", CA.get()), mirror("paris", mirror, "every = \"0\""));
            origin.mount("--replicate " + conf);
            pattern(origin.mnt.resolve("heal.bin"), "HEALME", 3_000_000);
            String sha = Shell.ok("sha256sum < " + origin.at("heal.bin"));
            origin.unmount(); // its blocks are in the store's blob files from here on
            origin.mount("--replicate " + conf);
            Shell.ok(L + " snapshot create " + origin.store + " s1");
            awaitAcknowledged(origin, "paris", "s1", 120);

            assertTrue(corrupt(origin, "HEALME", 1_000_000), "the file's bytes were found in a blob file");
            assertEquals(sha, Shell.ok("sha256sum < " + origin.at("heal.bin")), "the read returns what was written");
            String log = Files.readString(origin.store.resolve("locusfs.log"));
            assertTrue(log.contains("repaired /heal.bin") && log.contains("Blob CRC mismatch")
                    && log.contains("from mirror paris (eu/fr/par), snapshot s1"), log);
            Shell.ok("echo 3 > /proc/sys/vm/drop_caches");
            assertEquals(sha, Shell.ok("sha256sum < " + origin.at("heal.bin")), "the repaired block is read here now");
            assertEquals(1, log.split("repaired /heal.bin", -1).length - 1, "repaired once");
            Waits.until(10, () -> Shell.ok(L + " status " + origin.store).contains("self-heal: 1 read(s)"), "status to count the repair");
            assertTrue(Shell.ok(L + " status --json " + origin.store).contains("\"repairs_served\" : 1"));

            // Written after the mirror's snapshot: no copy elsewhere, the read fails and says why.
            pattern(origin.mnt.resolve("alone.bin"), "ALONE", 1_000_000);
            origin.unmount();
            origin.mount("--replicate " + conf);
            assertTrue(corrupt(origin, "ALONE", 300_000));
            Shell.Result alone = Shell.run("cat " + origin.at("alone.bin") + " > /dev/null");
            assertTrue(alone.exit() != 0 && alone.err().contains("Input/output error"), alone.err());
            assertTrue(Files.readString(origin.store.resolve("locusfs.log")).contains("no mirror holds these blocks"));

            // The store keeps what was repaired: fsck shows it after the fact.
            origin.unmount();
            Shell.Result fsck = Shell.run(L + " fsck " + origin.store);
            assertTrue(fsck.out().contains("self-heal: 1 repair(s)") && fsck.out().contains("/heal.bin")
                    && fsck.out().contains("from mirror paris (eu/fr/par), snapshot s1"), fsck.out() + fsck.err());
            // The block no mirror held is a problem fsck names (and --repair would free), not a check that cannot run.
            assertEquals(4, fsck.exit(), fsck.out() + fsck.err());
            assertTrue(fsck.out().contains("cannot be read (") && fsck.out().contains("Blob CRC mismatch"), fsck.out());
        }
    }
}
