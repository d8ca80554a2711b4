package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * A store made by the previous format (2, before patched blocks: {@code format2-store.tar.gz},
 * made with the code of commit 05aa819 through a mount: a snapshot, a hard link, a symlink, an
 * xattr, a sparse file, and changes after the snapshot) is upgraded by its first mount, and
 * reads, writes and checks as before, with the daemon's hardware CRC32C.
 */
class FormatUpgradeTest {
    private static final String L = MountedStore.LOCUSFS;
    /** sha256sum of files of the fixture, taken through the old code's mount before it was packed. */
    private static final String SUMS = """
            7f8202d779f4ab62d1e270826cde531cda88055fcef16a2d04bf66e779d29006  big.bin
            bbddac30a7164dffee41a4679cce0a5d250d0e87a036a005b7b846f530762b55  docs/hello.txt
            e195324786d9a8a35ea11ca4187a0ee212f95157997580085a5b6dc3ac7d14da  sparse
            c10c7d9beb4a37b101228eeb68667f50fea2cdf4db3124cf5e96624cbd914d43  .snapshots/monday/big.bin
            866206fb85f7d3bfe68ab265044acc8347c5c80e7c417820449aebfd3758eee2  .snapshots/monday/docs/hello.txt
            """;

    @Test
    void aFormat2StoreIsUpgradedByItsFirstMountReadsAsBeforeAndThenTakesPatches() throws Exception {
        try (MountedStore m = MountedStore.unpacked(MountedStore.HOME.resolve("tests/src/test/resources/format2-store.tar.gz"))) {
            assertEquals("locusfs-store 2", Files.readString(m.store.resolve("LOCUSFS")).trim());
            m.mount();
            assertEquals("locusfs-store 3", Files.readString(m.store.resolve("LOCUSFS")).trim());
            if (Shell.ok("uname -m").trim().equals("x86_64")) {
                // The fixture's checksums were written by RocksDB's own CRC32C; they verify with the
                // hardware one the daemon gives RocksDB (native/rocksdb-crc32c.c) in what follows.
                Shell.ok("grep -q librocksdb-crc32c.so /proc/" + m.daemonPid() + "/maps");
            }
            assertEquals(SUMS, Shell.ok("cd " + m.mnt + " && sha256sum big.bin docs/hello.txt sparse"
                    + " .snapshots/monday/big.bin .snapshots/monday/docs/hello.txt"));
            assertEquals("2 kept docs/hello.txt\n", Shell.ok("cd " + m.mnt + " && stat -c %h docs/hello-link.txt"
                    + " | tr '\\n' ' ' && getfattr --only-values -n user.note docs/hello.txt && echo -n ' ' && readlink sym"));
            assertEquals("eu/gb/london", Shell.ok("getfattr --only-values -n user.location " + m.at("big.bin")));

            // A small write into a block written by the old format is a patch over it.
            Shell.ok("printf 'patched' | dd of=" + m.at("big.bin") + " bs=1 seek=200000 conv=notrunc status=none && sync");
            String expected = Shell.ok("cd " + m.mnt + " && head -c 200000 big.bin > /tmp/upgrade-expected.$$"
                    + " && printf patched >> /tmp/upgrade-expected.$$ && tail -c +200008 big.bin >> /tmp/upgrade-expected.$$"
                    + " && sha256sum < /tmp/upgrade-expected.$$ && rm /tmp/upgrade-expected.$$");
            m.remount();
            assertEquals(expected, Shell.ok("sha256sum < " + m.at("big.bin")));
            assertEquals("patched", Shell.ok("dd if=" + m.at("big.bin") + " bs=1 skip=200000 count=7 status=none"));
            assertEquals("c10c7d9beb4a37b101228eeb68667f50fea2cdf4db3124cf5e96624cbd914d43  -\n",
                    Shell.ok("sha256sum < " + m.at(".snapshots/monday/big.bin")), "the snapshot keeps the old block");
            m.unmount();
            m.assertFsckClean();
        }
    }
}
