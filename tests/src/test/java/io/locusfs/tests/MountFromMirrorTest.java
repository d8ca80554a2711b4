package io.locusfs.tests;

import static io.locusfs.tests.Replication.assertSameTree;
import static io.locusfs.tests.Replication.awaitAcknowledged;
import static io.locusfs.tests.Replication.config;
import static io.locusfs.tests.Replication.mirror;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code locusfs mount --from}: a mirror's snapshot mounted on the origin's machine while the
 * mirror (its own process, real TLS on loopback) serves, without a copy first: the same tree as
 * the origin's {@code .snapshots}, each file in the mirror's zone, read-only; a read the mirror
 * can no longer answer fails with EIO (or, with --far-wait, waits for it) and never returns a wrong
 * byte; what was read is kept.
 */
class MountFromMirrorTest {
    private static final String L = MountedStore.LOCUSFS;
    private static final String MAKE_TREE = MountedStore.HOME.resolve("tests/src/test/resources/make_tree.py").toString();

    @RegisterExtension
    static final TestAuthority CA = new TestAuthority("origin", "mirror");

    @Test
    void aMirrorsSnapshotMountsAtOnceReadsLikeTheOriginAndFailsWithEioWhenTheMirrorIsGone() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra");
             MountedStore replica = MountedStore.unmounted("eu/fr/par");
             MirrorProcess mirror = new MirrorProcess(replica, CA.get(), "mirror", "")) {
            Path conf = config(origin, "", CA.get().tlsTable("origin", CA.get()), mirror("paris", mirror, "every = \"0\""));
            origin.mount("--replicate " + conf);
            Shell.run(300, "mkdir " + origin.at("tree") + " && /usr/bin/python3 " + MAKE_TREE + " " + origin.at("tree") + " 31 400").ok();
            Shell.ok("head -c 40000000 /dev/urandom > " + origin.at("big.bin") + " && head -c 30000000 /dev/urandom > "
                    + origin.at("unread.bin"));
            Shell.ok(L + " snapshot create " + origin.store + " s1");
            awaitAcknowledged(origin, "paris", "s1", 180);

            Path far = origin.root.resolve("far");
            Path cache = origin.root.resolve("far-cache");
            Files.createDirectories(far);
            String mounted = Shell.ok(L + " mount --from paris --replicate " + conf + " --cache " + cache + " --cache-size 1G " + far
                    + " 2>&1");
            assertTrue(mounted.contains("fetched the metadata of snapshot s1 from mirror paris"), mounted);
            try {
                // The big file's first bytes, before anything else was read: fetched on demand.
                assertEquals(Shell.ok("head -c 65536 " + origin.mnt.resolve(".snapshots/s1/big.bin") + " | sha256sum"),
                        Shell.ok("head -c 65536 " + far.resolve("big.bin") + " | sha256sum"));
                // Everything stat and getfattr show, and every byte (unread.bin is read later, with the mirror gone).
                assertSameTree(origin.mnt.resolve(".snapshots/s1/tree"), far.resolve("tree"));
                assertEquals(Shell.ok("stat -c '%s %a %Y' " + origin.mnt.resolve(".snapshots/s1/unread.bin")),
                        Shell.ok("stat -c '%s %a %Y' " + far.resolve("unread.bin")));
                assertEquals("eu/fr/par", Shell.ok("getfattr --only-values -n user.location " + far.resolve("big.bin")),
                        "a file says where the copy it is read from lives");
                String origins = Shell.ok("getfattr --only-values -n user.location.origins " + far.resolve("big.bin"));
                assertTrue(origins.contains("zone=eu/de/fra") && origins.contains("zone=eu/fr/par"), origins);
                Shell.Result write = Shell.run("touch " + far.resolve("big.bin") + "; echo x > " + far.resolve("new"));
                assertTrue(write.err().contains("Read-only file system") && !Files.exists(far.resolve("new")), write.err());

                String big = Shell.ok("sha256sum < " + origin.mnt.resolve(".snapshots/s1/big.bin"));
                assertEquals(big, Shell.ok("sha256sum < " + far.resolve("big.bin")));

                // The mirror goes away: a file never read fails with EIO, without a wrong byte; what was read stays readable.
                mirror.crash();
                Shell.ok("echo 3 > /proc/sys/vm/drop_caches");
                Shell.Result gone = Shell.run("cat " + far.resolve("unread.bin") + " > /dev/null");
                assertTrue(gone.exit() != 0 && gone.err().contains("Input/output error"), gone.err());
                assertEquals(Shell.ok("sha256sum < " + origin.mnt.resolve(".snapshots/s1/big.bin")),
                        Shell.ok("sha256sum < " + far.resolve("big.bin")));
            } finally {
                Shell.run(L + " umount " + far);
            }
            // Mounted again from its cache while the mirror is still down, readers told to wait for it: what was
            // read is here; a read of the rest waits, and returns the right bytes once the mirror is back.
            Shell.ok(L + " mount --from paris:s1 --replicate " + conf + " --cache " + cache + " --far-wait 2m " + far);
            try {
                Shell.ok("echo 3 > /proc/sys/vm/drop_caches");
                assertEquals(Shell.ok("sha256sum < " + origin.mnt.resolve(".snapshots/s1/big.bin")),
                        Shell.ok("sha256sum < " + far.resolve("big.bin")));
                Process reader = new ProcessBuilder("bash", "-c", "sha256sum < " + far.resolve("unread.bin")).start();
                assertFalse(reader.waitFor(5, TimeUnit.SECONDS), "the read waits for the mirror");
                mirror.start();
                assertTrue(reader.waitFor(90, TimeUnit.SECONDS), "the read returned once the mirror was back");
                assertEquals(0, reader.exitValue());
                assertEquals(Shell.ok("sha256sum < " + origin.mnt.resolve(".snapshots/s1/unread.bin")),
                        new String(reader.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } finally {
                Shell.run(L + " umount " + far);
            }
        }
    }
}
