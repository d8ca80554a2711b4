package io.locusfs.tests;

import static io.locusfs.tests.Replication.assertSameTree;
import static io.locusfs.tests.Replication.awaitAcknowledged;
import static io.locusfs.tests.Replication.config;
import static io.locusfs.tests.Replication.writeAtomically;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Object-store mirrors on a real Ceph RADOS Gateway (started by the test from Debian's packages,
 * on loopback): an origin mounted with --replicate ships snapshots to a bucket in another zone;
 * the bucket holds no file name or byte in the clear; a file whose placement forbids the
 * bucket's zone stays home; a change uploads about its own size; restore, mount --from and
 * check read it back through the same paths as a LocusFS mirror; a changed byte in the bucket
 * is found; a bucket in another region than configured is refused; a rotated key keeps the old
 * snapshots readable and a revoked one makes the daemon send the next snapshot whole.
 */
class ObjectStoreMirrorTest {
    private static final String L = MountedStore.LOCUSFS;
    private static final String MAKE_TREE = MountedStore.HOME.resolve("tests/src/test/resources/make_tree.py").toString();
    private static final String MARKER = "plaintext-marker-4f1c9";
    private static final String POLICY = """
            [[placement]]
            name = "ledger-stays-in-berlin"
            paths = ["/ledger", "/ledger/**"]
            allow = ["eu/de/berlin"]
            """;

    @RegisterExtension
    static final ObjectStore S3 = new ObjectStore("eu-central-1");

    /** A [[mirror]] table for the bucket {@code bucket} in zone eu/de/frankfurt. */
    private static String bucketMirror(MountedStore origin, String bucket, String region, Path key) throws Exception {
        return "[[mirror]]\nname = \"fra\"\ntype = \"s3\"\nendpoint = \"" + S3.endpoint() + "\"\nbucket = \"" + bucket + "\"\nregion = \""
                + region + "\"\nzone = \"eu/de/frankfurt\"\nkey = \"" + key + "\"\ncredentials = \"" + S3.credentials(origin.root)
                + "\"\nevery = \"0\"\n";
    }

    /** How many whole streams the daemon's log says it sent. */
    private static long fullStreams(Path log) {
        String count = Shell.run("grep -c 'replicated snapshot .* (full)' " + log).out().strip();
        return count.isEmpty() ? 0 : Long.parseLong(count);
    }

    private static long bytesIn(Map<String, Long> objects) {
        return objects.values().stream().mapToLong(Long::longValue).sum();
    }

    @Test
    void snapshotsGoToTheBucketEncryptedAndComeBackByRestoreMountAndCheck() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/berlin")) {
            Path key = origin.root.resolve("bucket.key");
            assertTrue(Shell.ok(L + " mirror key " + key).startsWith("added key "));
            assertEquals("600", Shell.ok("stat -c %a " + key).strip());
            Path policy = origin.root.resolve("policy.toml");
            Files.writeString(policy, POLICY);
            Path conf = config(origin, "policy = \"" + policy + "\"", "", bucketMirror(origin, "backup", "eu-central-1", key));
            origin.mount("--replicate " + conf + " --policy " + policy);
            Shell.run(300, "mkdir " + origin.at("tree") + " && /usr/bin/python3 " + MAKE_TREE + " " + origin.at("tree") + " 7 300").ok();
            Shell.ok("mkdir " + origin.at("docs") + " " + origin.at("ledger") + " && echo " + MARKER + " > " + origin.at("docs/plan-" + MARKER)
                    + " && setfattr -n user.color -v blue " + origin.at("docs/plan-" + MARKER)
                    + " && echo ledger-" + MARKER + " > " + origin.at("ledger/accounts")
                    + " && head -c 3000000 /dev/urandom > " + origin.at("docs/big.bin"));
            Shell.ok(L + " snapshot create " + origin.store + " s1");
            awaitAcknowledged(origin, "fra", "s1", 180);

            // The bucket is where its region says, and holds nothing in the clear: no name, no content.
            assertEquals("eu-central-1", S3.regionOf("backup"));
            Map<String, Long> objects = S3.objects("backup");
            assertTrue(objects.keySet().stream().anyMatch(k -> k.startsWith("packs/")), objects.toString());
            assertTrue(objects.containsKey("snapshots/s1"), objects.toString());
            for (String object : objects.keySet()) {
                String text = new String(S3.get("backup", object), StandardCharsets.ISO_8859_1);
                assertFalse(text.contains(MARKER) || text.contains("plan-") || text.contains("ledger") || text.contains("données"),
                        object + " holds a name or content in the clear");
            }
            // The origin knows where the copy lives.
            Path plan = origin.mnt.resolve("docs/plan-" + MARKER);
            assertEquals("eu/de/frankfurt snapshot s1 (fra)", Shell.ok("getfattr --only-values -n user.location.replicas " + plan));
            String where = Shell.ok(L + " where " + plan);
            assertTrue(where.contains("fra eu/de/frankfurt"), where);
            assertEquals("", Shell.run("getfattr --only-values -n user.location.replicas " + origin.at("ledger/accounts")).out(),
                    "the ledger never went to the bucket");

            // A change costs about its size: a new 2 MiB file and a 4 KiB write into the big one.
            long before = bytesIn(objects);
            Shell.ok("head -c 2097152 /dev/urandom > " + origin.at("docs/new.bin")
                    + " && dd if=/dev/urandom of=" + origin.at("docs/big.bin") + " bs=4k count=1 seek=100 conv=notrunc 2>/dev/null");
            Shell.ok(L + " snapshot create " + origin.store + " s2");
            awaitAcknowledged(origin, "fra", "s2", 120);
            long grew = bytesIn(S3.objects("backup")) - before;
            // 2 MiB, one 128 KiB block of the store, a tree layer, an index and a manifest.
            assertTrue(grew > 2097152 && grew < 2097152 + 131072 + 196608, "the bucket grew by " + grew + " bytes");

            // Restore: s2 as the origin has it (but the ledger), each file's history ending in the bucket's zone.
            Path restored = origin.root.resolve("restored");
            String out = Shell.ok(L + " restore --from fra:s2 --replicate " + conf + " --zone eu/de/berlin " + restored + " 2>&1");
            assertTrue(out.contains("restored / of snapshot s2"), out);
            assertSameTree(origin.mnt.resolve(".snapshots/s2/tree"), restored.resolve("tree"));
            assertSameTree(origin.mnt.resolve(".snapshots/s2/docs"), restored.resolve("docs"));
            assertFalse(Files.exists(restored.resolve("ledger/accounts")), "placement kept the ledger home");
            assertEquals("blue", Shell.ok("getfattr --only-values -n user.color " + restored.resolve("docs/plan-" + MARKER)));
            String origins = Shell.ok("getfattr --only-values -n user.location.origins " + restored.resolve("docs/plan-" + MARKER));
            assertTrue(origins.indexOf("zone=eu/de/berlin") >= 0 && origins.indexOf("zone=eu/de/frankfurt") > origins.indexOf("zone=eu/de/berlin"),
                    origins);

            // mount --from: the bucket's snapshot at once, read-only, each file in the bucket's zone.
            Path far = origin.root.resolve("far");
            Files.createDirectories(far);
            Shell.ok(L + " mount --from fra:s1 --replicate " + conf + " --cache " + origin.root.resolve("far-cache") + " " + far + " 2>&1");
            try {
                assertSameTree(origin.mnt.resolve(".snapshots/s1/docs"), far.resolve("docs"));
                assertEquals("eu/de/frankfurt", Shell.ok("getfattr --only-values -n user.location " + far.resolve("docs/big.bin")));
                assertTrue(Shell.run("touch " + far.resolve("docs/x")).err().contains("Read-only file system"));
            } finally {
                Shell.run(L + " umount " + far);
            }

            String check = Shell.ok(L + " check fra --replicate " + conf + " --read-data --quiet");
            assertTrue(check.contains("2 snapshot(s) (s1, s2)") && check.contains("no problem found"), check);

            // One changed byte in a pack: check names it, and a restore refuses rather than write a wrong byte.
            String pack = S3.objects("backup").entrySet().stream().filter(e -> e.getKey().startsWith("packs/"))
                    .max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            byte[] bytes = S3.get("backup", pack);
            bytes[bytes.length / 2] ^= 1;
            S3.put("backup", pack, bytes);
            Shell.Result damaged = Shell.run(L + " check fra --replicate " + conf + " --read-data --quiet");
            assertEquals(3, damaged.exit(), damaged.out() + damaged.err());
            assertTrue(damaged.out().contains("fails its authentication tag"), damaged.out());
            Shell.Result refused = Shell.run(L + " restore --from fra:s2 --replicate " + conf + " --zone eu/de/berlin --quiet "
                    + origin.root.resolve("refused"));
            assertEquals(1, refused.exit(), refused.err());
            assertTrue(refused.err().contains("fails its authentication tag"), refused.err());
            assertFalse(Files.exists(origin.root.resolve("refused/docs/big.bin")));
        }
    }

    @Test
    void aRotatedKeyKeepsOldSnapshotsReadableAndARevokedOneIsNoLongerUsed() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/berlin")) {
            Path key = origin.root.resolve("bucket.key");
            Shell.ok(L + " mirror key " + key);
            String first = Files.readAllLines(key).get(0).split(" ")[2];
            Path conf = config(origin, "", "", bucketMirror(origin, "rotation", "eu-central-1", key));
            origin.mount("--replicate " + conf);
            Shell.ok("mkdir " + origin.at("a") + " && echo one > " + origin.at("a/one"));
            Shell.ok(L + " snapshot create " + origin.store + " s1");
            awaitAcknowledged(origin, "fra", "s1", 120);

            assertTrue(Shell.ok(L + " mirror key " + key).contains("1 older key kept for reading"));
            Shell.ok("echo two > " + origin.at("a/two"));
            Shell.ok(L + " snapshot create " + origin.store + " s2");
            awaitAcknowledged(origin, "fra", "s2", 120);
            String check = Shell.ok(L + " check fra --replicate " + conf + " --read-data --quiet");
            assertTrue(check.contains("(s1, s2)") && check.contains("no problem found"), check);

            // Revoke the first key: what only it protected is unreadable, and the newest snapshot goes again, whole.
            Path log = origin.store.resolve("locusfs.log");
            assertEquals(1, fullStreams(log));
            List<String> lines = Files.readAllLines(key);
            writeAtomically(key, lines.stream().filter(l -> !l.contains(first)).reduce("", (a, b) -> a + b + "\n"));
            Waits.until(60, () -> fullStreams(log) == 2, "a whole stream after the revocation:\n" + Replication.tail(log));
            Shell.ok("echo three > " + origin.at("a/three"));
            Shell.ok(L + " snapshot create " + origin.store + " s3");
            awaitAcknowledged(origin, "fra", "s3", 120);
            Shell.Result revoked = Shell.run(L + " check fra --replicate " + conf + " --quiet");
            assertEquals(3, revoked.exit(), revoked.out());
            assertTrue(revoked.out().contains("which " + key + " does not hold (revoked?)"), revoked.out());
            Path restored = origin.root.resolve("restored");
            Shell.ok(L + " restore --from fra:s3 --replicate " + conf + " --zone eu/de/berlin --quiet " + restored);
            assertEquals("one\ntwo\nthree", Shell.ok("cat " + restored.resolve("a/one") + " " + restored.resolve("a/two") + " "
                    + restored.resolve("a/three")).strip());
        }
    }

    @Test
    void theRetentionGridThinsTheBucketAndWhatNoKeptSnapshotNeedsIsDeleted() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/berlin")) {
            Path key = origin.root.resolve("bucket.key");
            Shell.ok(L + " mirror key " + key);
            // One snapshot a year, none kept for its youth: of snapshots taken now, the newest.
            Path conf = config(origin, "", "", bucketMirror(origin, "thinned", "eu-central-1", key) + "keep_all = \"0\"\nyearly = \"3650d\"\n");
            origin.mount("--replicate " + conf);
            Shell.ok("echo kept > " + origin.at("kept.txt"));
            Shell.ok(L + " snapshot create " + origin.store + " s1");
            awaitAcknowledged(origin, "fra", "s1", 120);
            Shell.ok("head -c 2097152 /dev/urandom > " + origin.at("temp.bin"));
            Shell.ok(L + " snapshot create " + origin.store + " s2");
            awaitAcknowledged(origin, "fra", "s2", 120);
            Map<String, Long> before = S3.objects("thinned");
            assertEquals(2, before.keySet().stream().filter(k -> k.startsWith("packs/")).count(), before.toString());

            Shell.ok("rm " + origin.at("temp.bin"));
            Shell.ok(L + " snapshot create " + origin.store + " s3");
            awaitAcknowledged(origin, "fra", "s3", 120);
            Waits.until(30, () -> S3.objects("thinned").keySet().stream().filter(k -> k.startsWith("snapshots/")).count() == 1,
                    "the bucket to keep only s3: " + S3.objects("thinned").keySet());
            Map<String, Long> after = S3.objects("thinned");
            assertEquals(1, after.keySet().stream().filter(k -> k.startsWith("packs/")).count(), after.toString());
            assertTrue(bytesIn(after) < bytesIn(before) - 2000000, "the 2 MiB only s2 held is gone: " + bytesIn(before) + " -> " + bytesIn(after));
            String check = Shell.ok(L + " check fra --replicate " + conf + " --read-data --quiet");
            assertTrue(check.contains("1 snapshot(s) (s3)") && check.contains("no problem found"), check);
            Path restored = origin.root.resolve("restored");
            Shell.ok(L + " restore --from fra --replicate " + conf + " --zone eu/de/berlin --quiet " + restored);
            assertEquals("kept", Shell.ok("cat " + restored.resolve("kept.txt")).strip());
            assertFalse(Files.exists(restored.resolve("temp.bin")));
        }
    }

    @Test
    void anUploadKilledHalfWayShowsNoSnapshotAndResumesWithoutSendingWhatArrived() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/berlin")) {
            Path key = origin.root.resolve("bucket.key");
            Shell.ok(L + " mirror key " + key);
            Path src = origin.root.resolve("src");
            Files.createDirectories(src);
            Shell.ok("for i in $(seq 1 12); do head -c 16777216 /dev/urandom > " + src + "/part$i; done");
            Shell.ok(L + " import " + origin.store + " --format dir " + src + " --snapshot s1");
            Path conf = config(origin, "source = \"" + origin.store + "\"", "", bucketMirror(origin, "resumed", "eu-central-1", key));
            Path log = origin.root.resolve("once.log");
            String pid = Shell.ok("setsid " + L + " replicate --once --config " + conf + " > " + log + " 2>&1 & echo $!").strip();
            Waits.until(60, () -> S3.objects("resumed").keySet().stream().filter(k -> k.startsWith("index/")).count() >= 2,
                    "two packs in the bucket: " + S3.objects("resumed").keySet());
            Shell.ok("kill -9 " + pid);
            Map<String, Long> cut = S3.objects("resumed");
            assertTrue(cut.keySet().stream().noneMatch(k -> k.startsWith("snapshots/")), "a killed upload shows no snapshot: " + cut.keySet());
            // What arrived whole: packs whose index was written after them.
            long arrived = cut.entrySet().stream().filter(e -> e.getKey().startsWith("packs/")
                    && cut.containsKey("index/" + e.getKey().substring("packs/".length()))).mapToLong(Map.Entry::getValue).sum();
            assertTrue(arrived < 12L * 16777216, "killed before the end: " + arrived);

            String again = Shell.run(300, L + " replicate --once --config " + conf + " 2>&1").ok().out();
            java.util.regex.Matcher sent = java.util.regex.Pattern.compile("snapshot s1 stored: (\\d+) bytes of new packs").matcher(again);
            assertTrue(sent.find(), again);
            long total = 12L * 16777216;
            assertTrue(arrived > 0 && Long.parseLong(sent.group(1)) <= total - arrived + 65536,
                    "the second upload sent " + sent.group(1) + " bytes, " + arrived + " had arrived");
            Path restored = origin.root.resolve("restored");
            Shell.ok(L + " restore --from fra --replicate " + conf + " --zone eu/de/berlin --quiet " + restored);
            Shell.ok("diff -r " + src + " " + restored);
        }
    }

    @Test
    void aBucketInAnotherRegionThanConfiguredIsRefusedAndNothingIsSent() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/berlin")) {
            Path key = origin.root.resolve("bucket.key");
            Shell.ok(L + " mirror key " + key);
            Shell.ok(L + " snapshot create " + origin.store + " s1");
            // A bucket that exists in eu-central-1, configured as us-west-2: refused, nothing written to it.
            S3.createBucket("elsewhere");
            Path conf = config(origin, "source = \"" + origin.store + "\"", "", bucketMirror(origin, "elsewhere", "us-west-2", key));
            Shell.Result once = Shell.run(120, L + " replicate --once --config " + conf);
            assertEquals(1, once.exit(), once.out() + once.err());
            assertTrue(once.err().contains("bucket elsewhere at " + S3.endpoint() + " is in region eu-central-1, not us-west-2 as configured"),
                    once.err());
            assertEquals(Map.of(), S3.objects("elsewhere"));
            // A bucket to be made in a region the store does not have: refused, saying so.
            Path missing = config(origin, "source = \"" + origin.store + "\"", "", bucketMirror(origin, "nowhere", "us-west-2", key));
            Shell.Result none = Shell.run(120, L + " replicate --once --config " + missing);
            assertEquals(1, none.exit(), none.out() + none.err());
            assertTrue(none.err().contains("bucket nowhere at " + S3.endpoint() + " cannot be made in region us-west-2"), none.err());
        }
    }
}
