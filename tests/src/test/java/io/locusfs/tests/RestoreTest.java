package io.locusfs.tests;

import static io.locusfs.tests.Replication.assertSameTree;
import static io.locusfs.tests.Replication.awaitAcknowledged;
import static io.locusfs.tests.Replication.config;
import static io.locusfs.tests.Replication.mirror;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code locusfs restore}: a snapshot, a tree and one file brought back from a mirror running in
 * its own process over real TLS on loopback, compared with the origin's {@code .snapshots} by
 * everything stat and getfattr show; a restore killed mid-stream resumes; a file whose placement
 * forbids the restore's zone is refused before the target changes.
 */
class RestoreTest {
    private static final String L = MountedStore.LOCUSFS;
    private static final String MAKE_TREE = MountedStore.HOME.resolve("tests/src/test/resources/make_tree.py").toString();
    private static final String SECRET_POLICY = """
            [[placement]]
            name = "secret-stays-in-eu"
            paths = ["/secret", "/secret/**"]
            allow = ["eu/**"]
            """;

    @RegisterExtension
    static final TestAuthority CA = new TestAuthority("origin", "mirror");

    /** An origin in Frankfurt replicating to a mirror in Paris, with SECRET_POLICY; mounted. */
    private static Path replicating(MountedStore origin, MirrorProcess mirror) throws Exception {
        Path policy = origin.root.resolve("policy.toml");
        Files.writeString(policy, SECRET_POLICY);
        Path conf = config(origin, "source = \"" + origin.store + "\"\npolicy = \"" + policy + "\"", CA.get().tlsTable("origin", CA.get()),
                mirror("paris", mirror, "every = \"0\""));
        origin.mount("--replicate " + conf + " --policy " + policy);
        return conf;
    }

    /** The bytes of the files below {@code dir} (0 while it does not exist). */
    private static long bytesIn(Path dir) {
        String du = Shell.run("du -sb " + dir).out().trim();
        return du.isEmpty() ? 0 : Long.parseLong(du.split("\\s+")[0]);
    }

    /** The staging stores of restores that have not finished, in their default place. */
    private static String staged() {
        return Shell.run("ls /var/tmp/locusfs-restore").out();
    }

    @Test
    void aSnapshotATreeAndOneFileComeBackWithEverythingStatAndGetfattrShow() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra");
             MountedStore replica = MountedStore.unmounted("eu/fr/par");
             MirrorProcess mirror = new MirrorProcess(replica, CA.get(), "mirror", "")) {
            Path conf = replicating(origin, mirror);
            Shell.run(300, "/usr/bin/python3 " + MAKE_TREE + " " + origin.mnt + " 23 300").ok();
            Shell.ok("mkdir " + origin.at("docs") + " && echo plan > " + origin.at("docs/plan.txt")
                    + " && setfattr -n user.color -v blue " + origin.at("docs/plan.txt"));
            Shell.ok(L + " snapshot create " + origin.store + " s1");
            awaitAcknowledged(origin, "paris", "s1", 180);
            // Later changes on the origin are not what a restore of s1 brings.
            Shell.ok("echo changed > " + origin.at("docs/plan.txt"));

            String stagedBefore = staged();
            Path whole = origin.root.resolve("whole");
            String out = Shell.ok(L + " restore --from paris:s1 --replicate " + conf + " " + whole + " 2>&1");
            assertTrue(out.contains("restored / of snapshot s1"), out);
            assertSameTree(origin.mnt.resolve(".snapshots/s1"), whole);

            Path tree = origin.root.resolve("tree");
            Shell.ok(L + " restore --from paris:s1 --path /docs --replicate " + conf + " " + tree);
            assertSameTree(origin.mnt.resolve(".snapshots/s1/docs"), tree.resolve("docs"));
            assertEquals("plan", Files.readString(tree.resolve("docs/plan.txt")).strip());
            // Each file carries where it lives now and, signed, where it has lived: the origin, then the mirror.
            assertEquals("eu/de/fra", Shell.ok("getfattr --only-values -n user.location " + tree.resolve("docs/plan.txt")));
            String origins = Shell.ok("getfattr --only-values -n user.location.origins " + tree.resolve("docs/plan.txt"));
            assertTrue(origins.indexOf("zone=eu/de/fra") >= 0 && origins.indexOf("zone=eu/fr/par") > origins.indexOf("zone=eu/de/fra"),
                    origins);

            // One file back into the mounted origin, where it was lost.
            Shell.ok("rm " + origin.at("docs/plan.txt"));
            Shell.ok(L + " restore --from paris:s1 --path /docs/plan.txt --replicate " + conf + " " + origin.mnt);
            Path restored = origin.mnt.resolve("docs/plan.txt");
            assertEquals("plan", Files.readString(restored).strip());
            String stat = "stat -c '%s %a %u %g %Y.%y' ";
            assertEquals(Shell.ok(stat + origin.mnt.resolve(".snapshots/s1/docs/plan.txt")), Shell.ok(stat + restored));
            assertEquals("blue", Shell.ok("getfattr --only-values -n user.color " + restored));
            assertEquals("eu/de/fra", Shell.ok("getfattr --only-values -n user.location " + restored));
            assertEquals(stagedBefore, staged(), "a finished restore leaves no staging store behind");

            // A store no mount holds: the tree goes into its live tree, living in its zone, its history kept.
            Shell.Result mounted = Shell.run(L + " restore --from paris:s1 --path /docs --replicate " + conf + " " + origin.store);
            assertTrue(mounted.exit() == 1 && mounted.err().contains("restore into its mount point instead"), mounted.err());
            try (MountedStore berlin = MountedStore.unmounted("eu/de/ber")) {
                String into = Shell.ok(L + " restore --from paris:s1 --path /docs --replicate " + conf + " " + berlin.store + " 2>&1");
                assertTrue(into.contains("into store " + berlin.store + " (zone eu/de/ber)"), into);
                berlin.assertFsckClean();
                berlin.mount();
                assertSameTree(origin.mnt.resolve(".snapshots/s1/docs"), berlin.mnt.resolve("docs"));
                Path plan = berlin.mnt.resolve("docs/plan.txt");
                assertEquals(Shell.ok(stat + origin.mnt.resolve(".snapshots/s1/docs/plan.txt")), Shell.ok(stat + plan));
                assertEquals("eu/de/ber", Shell.ok("getfattr --only-values -n user.location " + plan));
                String history = Shell.ok("getfattr --only-values -n user.location.origins " + plan);
                assertTrue(history.indexOf("zone=eu/de/fra") >= 0 && history.indexOf("zone=eu/fr/par") > history.indexOf("zone=eu/de/fra"),
                        history);
                berlin.unmount();
            }
            origin.unmount();
            origin.assertFsckClean();
        }
    }

    @Test
    void aKilledRestoreResumesAndAForbiddenFileIsRefusedBeforeTheTargetChanges() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra");
             MountedStore replica = MountedStore.unmounted("eu/fr/par");
             MirrorProcess mirror = new MirrorProcess(replica, CA.get(), "mirror", "")) {
            Path conf = replicating(origin, mirror);
            Shell.ok("mkdir " + origin.at("secret") + " && echo plan > " + origin.at("secret/plan.txt")
                    + " && head -c 600000000 /dev/urandom > " + origin.at("big.bin"));
            Shell.ok(L + " snapshot create " + origin.store + " s1");
            awaitAcknowledged(origin, "paris", "s1", 300);

            // Killed once a good part of the stream has arrived in the staging store.
            Path staging = origin.root.resolve("staging");
            Path target = origin.root.resolve("back");
            String restore = L + " restore --from paris:s1 --path /big.bin --replicate " + conf + " --staging " + staging + " " + target;
            Process first = new ProcessBuilder("bash", "-c", "exec " + restore).redirectErrorStream(true)
                    .redirectOutput(origin.root.resolve("first.log").toFile()).start();
            Waits.until(120, () -> !first.isAlive() || bytesIn(staging) > 150_000_000L, "150 MB to arrive");
            assertTrue(first.isAlive(), "the restore was still running when killed");
            first.destroyForcibly();
            first.waitFor(30, TimeUnit.SECONDS);
            assertFalse(Files.exists(target), "nothing is written to the target before the stream is whole");

            String again = Shell.ok(restore + " 2>&1");
            Matcher resumed = Pattern.compile("resuming the restore of snapshot s1 at frame (\\d+)").matcher(again);
            assertTrue(resumed.find() && Long.parseLong(resumed.group(1)) > 1, again);
            assertEquals(Shell.ok("sha256sum < " + origin.mnt.resolve(".snapshots/s1/big.bin")), Shell.ok("sha256sum < " + target.resolve("big.bin")));
            Matcher sent = Pattern.compile("sent snapshot s1 \\(/big.bin\\) .* (\\d+) bytes of stream, resumed at frame").matcher(mirror.logText());
            assertTrue(sent.find(), mirror.logText());
            assertFalse(Files.exists(staging), "a finished restore removes its staging store");

            // The secret may live in the EU only: a restore into New York is refused, naming the rule.
            Path newYork = origin.root.resolve("nyc");
            Shell.Result refused = Shell.run(L + " restore --from paris:s1 --path /secret --zone us/east/nyc --replicate " + conf
                    + " " + newYork);
            assertEquals(1, refused.exit(), refused.err());
            assertTrue(refused.err().contains("'secret'") && refused.err().contains("secret-stays-in-eu")
                    && refused.err().contains("us/east/nyc"), refused.err());
            assertFalse(Files.exists(newYork), "the refused restore changed nothing");
            Shell.ok(L + " restore --from paris:s1 --path /secret --zone eu/de/ber --replicate " + conf + " " + newYork);
            assertEquals("plan", Files.readString(newYork.resolve("secret/plan.txt")).strip());
        }
    }
}
