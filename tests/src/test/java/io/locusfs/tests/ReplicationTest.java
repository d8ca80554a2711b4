package io.locusfs.tests;

import static io.locusfs.tests.Replication.assertSameTree;
import static io.locusfs.tests.Replication.awaitAcknowledged;
import static io.locusfs.tests.Replication.config;
import static io.locusfs.tests.Replication.mirror;
import static io.locusfs.tests.Replication.mirrorStatus;
import static io.locusfs.tests.Replication.status;
import static io.locusfs.tests.Replication.tail;
import static io.locusfs.tests.Replication.writeAtomically;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Replication between real processes: an origin mounted with {@code --replicate}, mirrors run as
 * {@code locusfs mirror serve} in their own processes on loopback ports, TLS 1.3 with
 * certificates from a CA made by {@code locusfs-tls} (openssl). Trees are compared file by file
 * (sha256, modes, owners, ns times, links, xattrs) with the manifest script.
 */
class ReplicationTest {
    private static final String L = MountedStore.LOCUSFS;
    private static final String MAKE_TREE = MountedStore.HOME.resolve("tests/src/test/resources/make_tree.py").toString();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET_POLICY = """
            [[placement]]
            name = "secret-stays-in-eu"
            paths = ["/secret", "/secret/**"]
            allow = ["eu/**"]
            """;

    private static Certificates ca;
    private static Certificates rogue;

    @BeforeAll
    static void certificates() {
        ca = Certificates.authority("origin", "mirror-a", "mirror-b", "a-onward", "revoked");
        ca.revoke("revoked");
        rogue = Certificates.authority("origin");
    }

    @AfterAll
    static void deleteCertificates() {
        ca.delete();
        rogue.delete();
    }

    private static List<String> snapshots(MountedStore store) {
        List<String> names = new ArrayList<>();
        try {
            for (JsonNode s : JSON.readTree(Shell.ok(L + " snapshot list " + store.store + " --json")).path("snapshots")) {
                names.add(s.path("name").asText());
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return names;
    }

    /** The "N bytes sent" of the origin log's line for the transfer of {@code snapshot} to {@code mirror}. */
    private static long bytesSent(MountedStore origin, String snapshot, String mirror) throws IOException {
        Matcher m = Pattern.compile("replicated snapshot " + snapshot + " .* to mirror " + mirror + " .* (\\d+) bytes sent")
                .matcher(Files.readString(origin.store.resolve("locusfs.log")));
        long last = -1;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        assertTrue(last >= 0, "the origin logged the transfer of " + snapshot);
        return last;
    }

    @Test
    void fullThenIncrementalReplicationIsEqualOnBothSidesAndStampsEachSidesLocation() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra");
             MountedStore replica = MountedStore.unmounted("us/east/nyc");
             MirrorProcess mirror = new MirrorProcess(replica, ca, "mirror-a", "")) {
            int metricsPort = MirrorProcess.freePort();
            Path conf = config(origin, "metrics = \"127.0.0.1:" + metricsPort + "\"", ca.tlsTable("origin", ca),
                    mirror("nyc", mirror, "every = \"0\""));
            origin.mount("--replicate " + conf);
            Shell.run(300, "/usr/bin/python3 " + MAKE_TREE + " " + origin.mnt + " 11").ok();
            Shell.ok(L + " snapshot create " + origin.store + " s1");
            awaitAcknowledged(origin, "nyc", "s1", 180);

            // A change of known size: a new 6 MiB file, a file rewritten, one removed, a directory renamed.
            Shell.ok("cd " + origin.mnt + " && head -c 6291456 /dev/urandom > new.bin && head -c 300000 /dev/urandom > rewritten.bin"
                    + " && rm -f \"$(ls | grep '^f' | head -1)\" && mv \"$(find . -mindepth 1 -maxdepth 1 -type d | head -1)\" renamed-dir");
            Shell.ok(L + " snapshot create " + origin.store + " s2");
            awaitAcknowledged(origin, "nyc", "s2", 120);
            long changed = 6291456 + 300000;
            long sent = bytesSent(origin, "s2", "nyc");
            assertTrue(sent <= changed * 1.1 + 65536, "the incremental stream is " + sent + " bytes for " + changed + " changed");

            String metrics = Shell.ok("curl -s http://127.0.0.1:" + metricsPort + "/metrics");
            assertTrue(metrics.contains("locusfs_replication_transfers_total{mirror=\"nyc\"} 2"), metrics);
            assertTrue(metrics.contains("locusfs_replication_mirror_up{mirror=\"nyc\"} 1"), metrics);
            assertTrue(metrics.contains("locusfs_replication_lag_seconds{mirror=\"nyc\"} 0"), metrics);
            String where = Shell.ok(L + " where " + origin.at("new.bin"));
            assertTrue(where.contains("replicas=us/east/nyc snapshot s2 (nyc)"), where);
            // Every copy with its distance from the reader, the nearest permitted one to read from.
            assertTrue(where.contains("copies=here eu/de/fra same zone; nyc us/east/nyc no zone in common\tread-from=here"), where);
            String fromNewYork = Shell.ok(L + " where --from us/east/nyc/dc1 " + origin.at("new.bin"));
            assertTrue(fromNewYork.contains("copies=nyc us/east/nyc shares us/east/nyc; here eu/de/fra no zone in common\tread-from=nyc"),
                    fromNewYork);
            // One key style in every --json: snake_case.
            for (String json : List.of(Shell.ok(L + " status --json " + origin.store), Shell.ok(L + " where --json " + origin.at("new.bin")))) {
                assertTrue(!java.util.regex.Pattern.compile("\"[a-z0-9_]*[A-Z][A-Za-z0-9_]*\"\\s*:").matcher(json).find(),
                        "a camelCase key: " + json);
            }
            String text = Shell.ok(L + " status " + origin.store);
            assertTrue(text.contains("nyc") && text.contains("up") && text.contains("us/east/nyc") && text.contains("s2"), text);

            // What the mirror holds can be looked at while it serves: listed, diffed, exported, checked.
            assertTrue(Shell.ok(L + " snapshot list " + replica.store).contains("s2"));
            String diff = Shell.ok(L + " snapshot diff " + replica.store + " s1 s2");
            assertTrue(diff.contains("+\t/new.bin"), diff);
            Path exported = replica.root.resolve("s2.tar");
            Shell.ok(L + " export " + replica.store + " s2 --format tar --output " + exported);
            assertTrue(Shell.ok("tar -tf " + exported).contains("new.bin"));
            assertTrue(Shell.ok(L + " fsck " + replica.store).contains("clean"));
            // And a mounted store sends, as ZFS sends a pool in use: the stream is the same snapshot.
            Path copy = origin.root.resolve("copy");
            Shell.ok(L + " init " + copy + " --location eu/de/ber >/dev/null"
                    + " && " + L + " send " + origin.store + " s1 | " + L + " receive " + copy
                    + " && " + L + " send " + origin.store + " s2 --since s1 | " + L + " receive " + copy);
            assertTrue(Shell.ok(L + " snapshot diff " + copy + " s1 s2").contains("+\t/new.bin"));

            // And browsed while it serves: mounted read-only beside the mirror process.
            String refused = Shell.run(L + " mount " + replica.store + " " + replica.mnt).err();
            assertTrue(refused.contains("in use by") && refused.contains("-o ro"), refused);
            replica.mount("-o ro");
            assertEquals(List.of("s1", "s2"), snapshots(replica));
            assertSameTree(origin.mnt.resolve(".snapshots/s1"), replica.mnt.resolve(".snapshots/s1"));
            assertSameTree(origin.mnt.resolve(".snapshots/s2"), replica.mnt.resolve(".snapshots/s2"));
            assertSameTree(origin.mnt.resolve(".snapshots/s2"), replica.mnt);
            // Each side says where its copy lives; the replica keeps the origin as signed provenance.
            assertEquals("eu/de/fra", Shell.ok("getfattr --only-values -n user.location " + origin.at("new.bin")));
            assertEquals("us/east/nyc", Shell.ok("getfattr --only-values -n user.location " + replica.at("new.bin")));
            String provenance = Shell.ok(L + " where " + replica.at("new.bin"));
            assertTrue(provenance.contains("\tus/east/nyc\t") && provenance.contains("came-from=eu/de/fra")
                    && provenance.contains("signature valid)"), provenance);
            assertTrue(Shell.ok(L + " verify " + replica.at("new.bin")).contains("ok (us/east/nyc"));
            Shell.Result write = Shell.run("touch " + replica.at("new.bin") + "; echo x > " + replica.at("another"));
            assertTrue(write.err().contains("Read-only file system") && !Files.exists(replica.mnt.resolve("another")), write.err());
            // The mirror goes on receiving under the read-only mount; a 6 MiB file changed in place
            // (4 KiB of it) travels as its change.
            Shell.ok("echo more > " + origin.at("more.txt") + " && dd if=/dev/urandom of=" + origin.at("new.bin")
                    + " bs=4k count=1 seek=700 conv=notrunc status=none && " + L + " snapshot create " + origin.store + " s3");
            awaitAcknowledged(origin, "nyc", "s3", 120);
            assertTrue(bytesSent(origin, "s3", "nyc") < 512 << 10, "a 4 KiB change sent " + bytesSent(origin, "s3", "nyc") + " bytes");
            replica.unmount();
            mirror.stop();
            assertEquals(List.of("s1", "s2", "s3"), snapshots(replica));
            replica.mount("-o ro");
            assertEquals(Shell.ok("sha256sum < " + origin.at("new.bin")), Shell.ok("sha256sum < " + replica.at("new.bin")));
            replica.unmount();
            replica.assertFsckClean();
        }
    }

    @Test
    void aFileWhosePlacementForbidsTheMirrorNeverReachesItAndAHandCraftedStreamCarryingOneIsRefused() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra");
             MountedStore replica = MountedStore.unmounted("us/east/nyc");
             MirrorProcess mirror = new MirrorProcess(replica, ca, "mirror-a", "")) {
            Path policy = origin.root.resolve("policy.toml");
            Files.writeString(policy, SECRET_POLICY);
            Path conf = config(origin, "policy = \"" + policy + "\"", ca.tlsTable("origin", ca), mirror("nyc", mirror, ""));
            origin.mount("--policy " + policy + " --replicate " + conf);
            // The secret's first bytes are a marker to look for in the stores' files; its blocks are stored raw (blob files).
            String marker = "SECRET-MARKER-" + Long.toHexString(System.nanoTime());
            Shell.ok("mkdir " + origin.at("secret") + " " + origin.at("docs") + " && (printf %s " + marker
                    + "; head -c 200000 /dev/urandom) > " + origin.at("secret/plans.bin") + " && echo public > " + origin.at("docs/readme")
                    + " && head -c 100000 /dev/urandom > " + origin.at("docs/data.bin"));
            Shell.ok(L + " snapshot create " + origin.store + " s1");
            awaitAcknowledged(origin, "nyc", "s1", 60);
            Shell.ok("sync");
            assertEquals(0, Shell.run("grep -r -a -q -F " + marker + " " + origin.store).exit(), "the scan finds the secret where it lives");
            String whereSecret = Shell.ok(L + " where " + origin.at("secret/plans.bin"));
            assertTrue(whereSecret.contains("replicas=none recorded"), whereSecret);
            assertTrue(Shell.ok(L + " where " + origin.at("docs/readme")).contains("replicas=us/east/nyc snapshot s1"));
            Shell.ok("echo more >> " + origin.at("docs/readme"));
            Shell.ok(L + " snapshot create " + origin.store + " s2");
            awaitAcknowledged(origin, "nyc", "s2", 60);
            mirror.stop();
            assertEquals(1, Shell.run("grep -r -a -q -F " + marker + " " + replica.store).exit(), "no byte of the secret on the mirror");
            origin.unmount();

            // A stream made for an EU site carries the secret (with its signed constraint); the US mirror refuses it whole.
            Shell.ok(L + " mount " + origin.store + " " + origin.mnt + " && echo again >> " + origin.at("docs/readme") + " && "
                    + L + " snapshot create " + origin.store + " s3 && " + L + " umount " + origin.mnt);
            Path eu = origin.root.resolve("eu.lstream");
            Shell.ok(L + " send " + origin.store + " s3 --to-zone eu/fr/par --policy " + policy + " -o " + eu);
            assertEquals(0, Shell.run("grep -a -q -F " + marker + " " + eu).exit(), "the EU stream carries the secret");
            Shell.Result refused = Shell.run(L + " receive " + replica.store + " -i " + eu);
            assertEquals(1, refused.exit(), refused.out() + refused.err());
            assertTrue(refused.err().contains("refused: 'secret") && refused.err().contains("us/east/nyc"), refused.err());
            assertEquals(List.of("s1", "s2"), snapshots(replica));
            assertTrue(Shell.ok(L + " receive " + replica.store + " --abort").contains("no unfinished receive"));
            replica.assertFsckClean();
            replica.mount();
            assertSameTree(replica.mnt.resolve(".snapshots/s2"), replica.mnt);
            assertFalse(Files.exists(replica.mnt.resolve("secret")));
            replica.unmount();
            assertEquals(1, Shell.run("grep -r -a -q -F " + marker + " " + replica.store).exit(), "still no byte of the secret");

            // The mirror moves to the EU: the origin notices, checks placement again and sends a full stream for the new zone.
            Shell.ok(L + " location set " + replica.store + " eu/fr/par");
            mirror.start();
            origin.mount("--policy " + policy + " --replicate " + conf);
            awaitAcknowledged(origin, "nyc", "s3", 60);
            String log = tail(origin.store.resolve("locusfs.log"));
            assertTrue(log.contains("mirror nyc moved: zone us/east/nyc -> eu/fr/par") && log.contains("replicated snapshot s3 (full)"), log);
            mirror.stop();
            replica.mount();
            assertEquals(Shell.ok("sha256sum < " + origin.at(".snapshots/s3/secret/plans.bin")),
                    Shell.ok("sha256sum < " + replica.at("secret/plans.bin")), "the EU mirror holds the secret now");
            replica.unmount();
        }
    }

    @Test
    void aStreamWithAFlippedByteIsRejectedAndOneCutShortResumesWithoutStartingOver() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra"); MountedStore replica = MountedStore.unmounted("eu/fr/par")) {
            origin.mount();
            Shell.ok("head -c 31457280 /dev/urandom > " + origin.at("big.bin") + " && mkdir " + origin.at("d") + " && echo x > "
                    + origin.at("d/small"));
            Shell.ok(L + " snapshot create " + origin.store + " s1");
            origin.unmount();
            Path stream = origin.root.resolve("s1.lstream");
            Shell.ok(L + " send " + origin.store + " s1 > " + stream);
            long size = Files.size(stream);

            Path bad = origin.root.resolve("bad.lstream");
            Files.copy(stream, bad);
            Shell.ok("/usr/bin/python3 -c \"f=open('" + bad + "','r+b'); f.seek(" + size / 2 + "); b=f.read(1); f.seek(" + size / 2
                    + "); f.write(bytes([b[0]^0x5a]))\"");
            Shell.Result corrupt = Shell.run(L + " receive " + replica.store + " < " + bad);
            assertEquals(1, corrupt.exit(), corrupt.err());
            assertTrue(corrupt.err().contains("CRC32C"), corrupt.err());
            assertEquals(List.of(), snapshots(replica));
            assertTrue(Shell.ok(L + " receive " + replica.store + " --abort").contains("no unfinished receive"));
            replica.assertFsckClean();
            replica.mount();
            assertEquals("", Shell.ok("ls -A " + replica.mnt), "the undone receive left nothing");
            replica.unmount();

            Shell.ok("head -c " + size * 3 / 5 + " " + stream + " > " + origin.root.resolve("cut.lstream"));
            Shell.Result cut = Shell.run(L + " receive " + replica.store + " < " + origin.root.resolve("cut.lstream"));
            assertEquals(2, cut.exit(), cut.err());
            assertTrue(cut.err().contains("--resume"), cut.err());
            assertEquals(List.of(), snapshots(replica));
            replica.assertFsckClean();
            // Issue 21 #5: a receive that does not resume it is refused, and what arrived is kept.
            Shell.Result notResumed = Shell.run(L + " receive " + replica.store + " < " + stream);
            assertEquals(1, notResumed.exit(), notResumed.err());
            assertTrue(notResumed.err().contains("holds an unfinished receive of snapshot 's1'")
                    && notResumed.err().contains("--resume") && notResumed.err().contains("receive --abort"), notResumed.err());
            String resumed = Shell.ok(L + " receive " + replica.store + " --resume < " + stream);
            Matcher frames = Pattern.compile("resumed: (\\d+) frames were already applied").matcher(resumed);
            assertTrue(frames.find() && Long.parseLong(frames.group(1)) > 5, resumed);
            Shell.ok(L + " mount " + origin.store + " " + origin.mnt);
            replica.mount();
            assertSameTree(origin.mnt.resolve(".snapshots/s1"), replica.mnt.resolve(".snapshots/s1"));
            replica.unmount();
            replica.assertFsckClean();

            // On a terminal, a receive shows how far it has come out of the totals the stream's header gives.
            Path third = origin.root.resolve("third");
            Shell.ok(L + " init " + third + " --location eu/it/mil");
            String shown = Shell.ok("script -qec " + Shell.quote(L + " receive " + third + " --input " + stream) + " /dev/null");
            assertTrue(Pattern.compile("receiving: [\\d,]+/[\\d,]+ files, \\S+/\\S+ +\\d+%").matcher(shown).find(), shown);
            assertTrue(shown.contains("received snapshot s1"), shown);
        }
    }

    @Test
    void renamesTravelAsRenamesEvenSwapsAndMovesInsideMoves() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra"); MountedStore replica = MountedStore.unmounted("eu/fr/par")) {
            origin.mount();
            Shell.ok("cd " + origin.mnt + " && mkdir -p a/inner b c && head -c 20971520 /dev/urandom > a/inner/big.bin"
                    + " && echo b > b/file && echo c > c/file && head -c 5000000 /dev/urandom > c/movie.bin && ln c/file c/link");
            Shell.ok(L + " snapshot create " + origin.store + " s1");
            // Swap a and b, move a's inner directory (now under b) elsewhere, rename a big file and edit another.
            Shell.ok("cd " + origin.mnt + " && mv a tmp && mv b a && mv tmp b && mv b/inner top && mv c/movie.bin c/film.bin"
                    + " && echo more >> c/file && mv c/link c/link2");
            Shell.ok(L + " snapshot create " + origin.store + " s2");
            origin.unmount();
            Path full = origin.root.resolve("full.lstream");
            Path inc = origin.root.resolve("inc.lstream");
            Shell.ok(L + " send " + origin.store + " s1 -o " + full + " && " + L + " send " + origin.store + " s2 --since s1 -o " + inc);
            assertTrue(Files.size(inc) < 64 * 1024, "moving 25 MB of files costs " + Files.size(inc) + " bytes of stream");
            Shell.ok(L + " receive " + replica.store + " -i " + full + " && " + L + " receive " + replica.store + " -i " + inc);
            origin.mount();
            replica.mount();
            assertSameTree(origin.mnt.resolve(".snapshots/s2"), replica.mnt);
            assertSameTree(origin.mnt.resolve(".snapshots/s1"), replica.mnt.resolve(".snapshots/s1"));
            replica.unmount();
            replica.assertFsckClean();
        }
    }

    /** {@code locusfs replicate} in the background on an unmounted store; stopped with SIGTERM. */
    private static Process replicate(MountedStore origin, Path conf, Path log) throws IOException {
        return new ProcessBuilder("bash", "-c", "exec " + L + " replicate " + origin.store + " --config " + conf)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "replicate stops on SIGTERM");
    }

    @Test
    void senderCertificatesThatAreUntrustedOrRevokedAreRefusedBeforeAnyData() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra"); MountedStore replica = MountedStore.unmounted("eu/fr/par");
             MirrorProcess mirror = new MirrorProcess(replica, ca, "mirror-a", "")) {
            origin.mount();
            Shell.ok("echo data > " + origin.at("f") + " && " + L + " snapshot create " + origin.store + " s1");
            origin.unmount();
            String[][] refusedCertificates = {{"untrusted", null}, {"revoked", "revoked"}};
            for (String[] attempt : refusedCertificates) {
                Certificates issuer = attempt[1] == null ? rogue : ca;
                String name = attempt[1] == null ? "origin" : attempt[1];
                Path conf = config(origin, "", issuer.tlsTable(name, ca), mirror("par", mirror, ""));
                Path log = origin.root.resolve("replicate-" + attempt[0] + ".log");
                int refusalsBefore = mirror.logText().split("refused /127.0.0.1").length;
                Process daemon = replicate(origin, conf, log);
                Waits.until(30, () -> mirror.logText().split("refused /127.0.0.1").length > refusalsBefore, attempt[0] + " refused");
                Waits.until(30, () -> Files.exists(origin.store.resolve("replication.status.json"))
                        && mirrorStatus(origin, "par").path("state").asText().equals("down"), "the mirror shown down");
                stop(daemon);
                assertFalse(mirror.logText().contains("receiving a stream"), attempt[0] + ": no stream was accepted");
            }
            // The same setup with a valid certificate goes through: the refusals above were about the certificate.
            Path conf = config(origin, "", ca.tlsTable("origin", ca), mirror("par", mirror, ""));
            Process daemon = replicate(origin, conf, origin.root.resolve("replicate-ok.log"));
            awaitAcknowledged(origin, "par", "s1", 60);
            stop(daemon);
            mirror.stop();
            assertEquals(List.of("s1"), snapshots(replica));
        }
    }

    @Test
    void killingTheMirrorOrTheSenderMidTransferLeavesWholeSnapshotsAndResumesWithFewerBytes() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra"); MountedStore replica = MountedStore.unmounted("eu/fr/par");
             MirrorProcess mirror = new MirrorProcess(replica, ca, "mirror-a", "")) {
            // 25 MB/s: the 200 MiB transfers take about 8 s, time to kill each side in the middle.
            Path conf = config(origin, "", ca.tlsTable("origin", ca), mirror("par", mirror, "bandwidth = \"25M\"\ncompress = \"lz4\""));
            origin.mount("--replicate " + conf);
            long big = 200L << 20;
            Shell.run(300, "head -c " + big + " /dev/urandom > " + origin.at("one.bin")).ok();
            Shell.ok(L + " snapshot create " + origin.store + " s1");
            Waits.until(60, () -> mirrorStatus(origin, "par").path("transfer").path("frames_acked").asLong() > 20, "frames acknowledged");
            mirror.crash();
            replica.assertFsckClean();
            assertEquals(List.of(), snapshots(replica), "the receiver killed mid-stream has no snapshot, not half of one");
            mirror.start();
            awaitAcknowledged(origin, "par", "s1", 120);
            String log = Files.readString(origin.store.resolve("locusfs.log"));
            assertTrue(log.contains("replicated snapshot s1 (full) to mirror par") && log.contains(", resumed at frame "), tail(origin.store.resolve("locusfs.log")));
            assertTrue(bytesSent(origin, "s1", "par") < big * 0.9, "the resumed transfer sent less than the whole stream");

            Shell.run(300, "head -c " + big + " /dev/urandom > " + origin.at("two.bin")).ok();
            Shell.ok(L + " snapshot create " + origin.store + " s2");
            Waits.until(60, () -> mirrorStatus(origin, "par").path("transfer").path("frames_acked").asLong() > 20, "frames acknowledged");
            origin.crash();
            Waits.until(30, () -> mirror.logText().contains("stopped:") || mirror.logText().contains("ended:"), "the mirror to see the sender go");
            // A newer snapshot taken before replication resumes does not throw away what arrived of s2:
            // s2 is finished from where it stopped, then s3 follows it.
            origin.mount();
            Shell.ok("echo three > " + origin.at("three.txt") + " && " + L + " snapshot create " + origin.store + " s3");
            origin.unmount();
            origin.mount("--replicate " + conf);
            awaitAcknowledged(origin, "par", "s3", 120);
            assertTrue(bytesSent(origin, "s2", "par") < big * 0.9, "the resumed transfer sent less than the whole stream");
            assertTrue(bytesSent(origin, "s3", "par") < 1 << 20, "s3 followed s2 as an increment");
            assertTrue(Files.readString(origin.store.resolve("locusfs.log")).contains("replicated snapshot s3 (since s2)"));
            mirror.stop();
            replica.assertFsckClean();
            assertEquals(List.of("s1", "s2", "s3"), snapshots(replica));
            replica.mount();
            assertEquals(Shell.ok("cd " + origin.mnt + " && sha256sum one.bin two.bin"), Shell.ok("cd " + replica.mnt + " && sha256sum one.bin two.bin"));
            replica.unmount();
        }
    }

    @Test
    void mirrorsComeAndGoWithoutARestart() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra");
             MountedStore storeA = MountedStore.unmounted("eu/fr/par");
             MountedStore storeB = MountedStore.unmounted("eu/nl/ams");
             MirrorProcess a = new MirrorProcess(storeA, ca, "mirror-a", "");
             MirrorProcess b = new MirrorProcess(storeB, ca, "mirror-b", "")) {
            Path conf = config(origin, "", ca.tlsTable("origin", ca), mirror("par", a, ""));
            origin.mount("--replicate " + conf);
            Shell.ok("echo one > " + origin.at("f") + " && " + L + " snapshot create " + origin.store + " s1");
            awaitAcknowledged(origin, "par", "s1", 60);

            // A broken edit is reported with its line and changes nothing; a good one adds mirror B at once.
            writeAtomically(conf, Files.readString(conf) + "\n[[mirror]]\nname = \"ams\"\naddress = \"nowhere\"\n");
            Waits.until(30, () -> tail(origin.store.resolve("locusfs.log")).contains("not reloaded"), "the broken edit to be reported");
            String reported = tail(origin.store.resolve("locusfs.log"));
            assertTrue(reported.contains(conf + ":") && reported.contains("'address' must be HOST:PORT"), reported);
            config(origin, "", ca.tlsTable("origin", ca), mirror("par", a, ""), mirror("ams", b, ""));
            awaitAcknowledged(origin, "ams", "s1", 60);

            // B goes away: marked down; the origin moves on; B catches up by itself when it is back.
            b.stop();
            Waits.until(30, () -> mirrorStatus(origin, "ams").path("state").asText().equals("down"), "ams marked down");
            Shell.ok("echo two >> " + origin.at("f") + " && " + L + " snapshot create " + origin.store + " s2");
            awaitAcknowledged(origin, "par", "s2", 60);
            assertEquals("s1", mirrorStatus(origin, "ams").path("last_snapshot").asText());
            assertTrue(mirrorStatus(origin, "ams").path("lag_seconds").asLong() >= 0);
            b.start();
            awaitAcknowledged(origin, "ams", "s2", 60);
            assertTrue(tail(origin.store.resolve("locusfs.log")).contains("mirror ams (" + b.address() + ") is back"));

            // Removing A from the config stops replication to it.
            config(origin, "", ca.tlsTable("origin", ca), mirror("ams", b, ""));
            Waits.until(30, () -> status(origin).path("mirrors").size() == 1, "par removed");
            Shell.ok("echo three >> " + origin.at("f") + " && " + L + " snapshot create " + origin.store + " s3");
            awaitAcknowledged(origin, "ams", "s3", 60);
            a.stop();
            b.stop();
            assertEquals(List.of("s1", "s2"), snapshots(storeA));
            assertEquals(List.of("s1", "s2", "s3"), snapshots(storeB));
        }
    }

    @Test
    void aMirrorReplicatesOnwardAndTheLastHopRecordsBoth() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra");
             MountedStore storeA = MountedStore.unmounted("eu/fr/par");
             MountedStore storeB = MountedStore.unmounted("us/east/nyc");
             MirrorProcess b = new MirrorProcess(storeB, ca, "mirror-b", "")) {
            Path onward = storeA.root.resolve("onward.toml");
            Files.writeString(onward, "[replication]\nheartbeat = \"1s\"\n" + ca.tlsTable("a-onward", ca) + mirror("nyc", b, ""));
            try (MirrorProcess a = new MirrorProcess(storeA, ca, "mirror-a", "--replicate " + onward)) {
                Path conf = config(origin, "", ca.tlsTable("origin", ca), mirror("par", a, ""));
                origin.mount("--replicate " + conf);
                Shell.ok("mkdir " + origin.at("d") + " && head -c 500000 /dev/urandom > " + origin.at("d/f") + " && "
                        + L + " snapshot create " + origin.store + " s1");
                awaitAcknowledged(origin, "par", "s1", 60);
                Waits.until(60, () -> a.logText().contains("replicated snapshot s1 (full) to mirror nyc")
                        || tailOf(storeA).contains("replicated snapshot s1 (full) to mirror nyc"), "A to pass s1 on to B");
                a.stop();
            }
            b.stop();
            storeB.mount();
            assertEquals(Shell.ok("sha256sum < " + origin.at("d/f")), Shell.ok("sha256sum < " + storeB.at("d/f")));
            // B knows A's key (its source); the origin's key is handed to 'where' as a trusted key.
            Path keys = storeB.root.resolve("keys");
            Shell.ok("mkdir " + keys + " && cp " + origin.store.resolve("node.pub") + " " + keys + "/origin.pub");
            String where = Shell.ok(L + " where --trusted-keys " + keys + " " + storeB.at("d/f"));
            assertTrue(where.contains("\tus/east/nyc\t") && where.contains("came-from=eu/de/fra") && where.contains(" -> eu/fr/par"), where);
            assertFalse(where.contains("unknown signer") || where.contains("FORGED"), where);
            String hops = Shell.ok("getfattr --only-values -n user.location.origins " + storeB.at("d/f"));
            assertEquals(2, hops.split("\n\n").length, hops);
            storeB.unmount();
            storeB.assertFsckClean();
        }
    }

    private static String tailOf(MountedStore store) {
        return Files.exists(store.store.resolve("locusfs.log")) ? tail(store.store.resolve("locusfs.log")) : "";
    }
}
