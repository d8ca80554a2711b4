package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Export and import through the translators, checked with the tools the rest of the world uses:
 * GNU tar and bsdtar extract the tar, a loop mount and e2fsck read the image, sqlite3 opens the
 * database; trees are compared by a manifest (types, modes, owners, ns mtimes, sizes, sha256,
 * hard-link groups, xattrs) and by {@code diff -r}.
 */
class TranslateTest {
    private static final String L = MountedStore.LOCUSFS;
    private static final String MANIFEST = MountedStore.HOME.resolve("tests/src/test/resources/manifest.py").toString();
    private static final String MAKE_TREE = MountedStore.HOME.resolve("tests/src/test/resources/make_tree.py").toString();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String manifest(Path tree, String... options) {
        return Shell.run(300, "/usr/bin/python3 " + MANIFEST + " " + Shell.quote(tree.toString()) + " " + String.join(" ", options))
                .ok().out();
    }

    /** Asserts two trees have the same manifest, naming the first path that differs. */
    private static void assertSameTree(Path expected, Path actual, String... options) {
        String[] a = manifest(expected, options).split("\n");
        String[] b = manifest(actual, options).split("\n");
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            assertEquals(a[i], b[i], actual + " differs from " + expected);
        }
        assertEquals(a.length, b.length, actual + " has another number of entries than " + expected);
        assertTrue(a.length > 2000, "the tree is the generated one: " + a.length + " entries");
    }

    private static void fill(MountedStore m, int seed) {
        Shell.run(300, "/usr/bin/python3 " + MAKE_TREE + " " + m.mnt + " " + seed).ok();
    }

    private static JsonNode json(String out) throws Exception {
        return JSON.readTree(out);
    }

    @Test
    void tarRoundTripExtractsWithGnuTarAndBsdtarAndImportsBackIdentically() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq"); MountedStore other = MountedStore.create("eu/fr/paris")) {
            fill(m, 1);
            Shell.ok(L + " snapshot create " + m.store + " s1");
            Path snap = m.mnt.resolve(".snapshots/s1");
            Path tar = m.root.resolve("s1.tar");
            JsonNode summary = json(Shell.run(300, L + " export " + m.store + " s1 --format tar --output " + tar + " --json").ok().out());
            assertTrue(summary.get("verified").asBoolean());
            assertTrue(summary.get("files").asLong() > 2000, summary.toString());

            Path gnu = m.root.resolve("gnu");
            Path bsd = m.root.resolve("bsd");
            Shell.ok("mkdir " + gnu + " " + bsd);
            Shell.run(300, "tar --xattrs --xattrs-include='*' -C " + gnu + " -xpf " + tar).ok();
            Shell.run(300, "bsdtar -C " + bsd + " -xpf " + tar).ok();
            assertSameTree(snap, gnu);
            assertSameTree(snap, bsd);
            Shell.run(300, "diff -r --no-dereference -x fifo " + snap + " " + gnu).ok();
            // Holes stay holes, and the signed location record travels with each file.
            long allocated = Long.parseLong(Shell.ok("du -B1 " + gnu + "/sparse1 | cut -f1").trim());
            assertTrue(allocated < (2 << 20), "the 50 MiB sparse file takes " + allocated + " bytes extracted");
            assertEquals("eu/gb/london/hq", Shell.ok("getfattr --only-values -n user.location " + gnu + "/sparse0"));
            assertTrue(Shell.ok("getfattr --only-values -n user.location.record " + gnu + "/sparse0").contains("sig="));
            // The record's signature still checks outside LocusFS, against the exporting node's key; a forged one does not.
            Path keys = m.root.resolve("keys");
            Shell.ok("mkdir " + keys + " && cp " + m.store.resolve("node.pub") + " " + keys);
            assertTrue(Shell.ok(L + " verify --trusted-keys " + keys + " " + gnu + "/sparse0").contains(": ok (eu/gb/london/hq"));
            Shell.ok("r=$(getfattr --only-values -n user.location.record " + gnu + "/sparse1 | sed 's#zone=eu/gb/london/hq#zone=us/ny#')"
                    + " && setfattr -n user.location.record -v \"$r\" " + gnu + "/sparse1");
            Shell.Result forged = Shell.run(L + " verify --trusted-keys " + keys + " " + gnu + "/sparse1");
            assertEquals(1, forged.exit(), forged.out());
            assertTrue(forged.out().contains("forged"), forged.out());

            // Into another store, through its mount daemon: same tree, the snapshot's name, and this store's location.
            Shell.run(300, L + " import " + other.store + " --format tar " + tar).ok();
            assertSameTree(snap, other.mnt.resolve(".snapshots/s1"));
            assertSameTree(snap, other.mnt);
            assertEquals("eu/fr/paris", Shell.ok("getfattr --only-values -n user.location " + other.at("sparse0")),
                    "data imported into a store lives where that store lives");
            other.unmount();
            other.assertFsckClean();
            other.mount();
        }
    }

    /**
     * Issue 21 #2: sizes and offsets are 64-bit through export and import. A 5 GiB dense file, a
     * 5 GiB sparse file with data past 4 GiB, and a 100 GiB sparse file with data at both ends go
     * out as a tar, are extracted by GNU tar and bsdtar, and are imported into another store, with
     * the same bytes and the holes kept.
     */
    @Test
    void largeDenseAndSparseFilesSurviveTarExportExtractionAndImport() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq"); MountedStore other = MountedStore.create("eu/fr/paris")) {
            String dense = "import os\nblock = bytearray(os.urandom(1 << 20))\nwith open('dense5g', 'wb') as f:\n"
                    + "    for i in range(5120):\n        block[0:8] = i.to_bytes(8, 'big')\n        f.write(block)\n";
            Shell.run(600, "cd " + m.mnt + " && python3 -c " + Shell.quote(dense)
                    + " && truncate -s 5G sparse5g && printf head | dd of=sparse5g conv=notrunc status=none"
                    + " && printf 'past four GiB' | dd of=sparse5g bs=1 seek=4831838208 conv=notrunc status=none"
                    + " && truncate -s 100G sparse100g && head -c 4096 /dev/urandom | dd of=sparse100g conv=notrunc status=none"
                    + " && head -c 1048576 /dev/urandom | dd of=sparse100g bs=1M seek=102399 conv=notrunc status=none").ok();
            String files = "dense5g sparse5g sparse100g";
            String expected = digests(m.mnt, files);
            Shell.ok(L + " snapshot create " + m.store + " big");
            Path tar = m.root.resolve("big.tar");
            Shell.run(900, L + " export " + m.store + " big --format tar --output " + tar).ok();

            Path gnu = m.root.resolve("gnu");
            Path bsd = m.root.resolve("bsd");
            Shell.ok("mkdir " + gnu + " " + bsd);
            Shell.run(600, "tar -C " + gnu + " -xpf " + tar).ok();
            assertEquals(expected, digests(gnu, files), "GNU tar extracts the same bytes");
            Shell.run(600, "bsdtar -C " + bsd + " -xpf " + tar + " sparse5g sparse100g").ok();
            assertEquals(expected.substring(expected.indexOf('\n') + 1), digests(bsd, "sparse5g sparse100g"), "so does bsdtar");
            for (Path extracted : List.of(gnu, bsd)) {
                long allocated = Long.parseLong(Shell.ok("du -B1 " + extracted + "/sparse100g | cut -f1").trim());
                assertTrue(allocated < (16 << 20), "the 100 GiB sparse file takes " + allocated + " bytes in " + extracted);
            }
            Shell.ok("rm -rf " + gnu + " " + bsd);

            Shell.run(900, L + " import " + other.store + " --format tar " + tar).ok();
            assertEquals(expected, digests(other.mnt, files), "the import holds the same bytes");
            assertEquals("5368709120 5368709120 107374182400", Shell.ok("cd " + other.mnt + " && stat -c %s " + files + " | paste -sd ' '").trim());
            other.unmount();
            other.assertFsckClean();
            other.mount();
        }
    }

    /** "SIZE DIGEST" of each of {@code files} in {@code dir}, holes skipped ({@code sparsedigest.py}). */
    private static String digests(Path dir, String files) {
        return Shell.run(600, "cd " + dir + " && /usr/bin/python3 " + MountedStore.HOME.resolve("tests/src/test/resources/sparsedigest.py")
                + " " + files).ok().out().trim();
    }

    @Test
    void anIncrementalSeriesImportedInOrderRebuildsTheSameSnapshots() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            fill(m, 2);
            Shell.ok(L + " snapshot create " + m.store + " s1");
            String d = Shell.ok("cd " + m.mnt + " && ls -d */ | head -3").trim();
            String[] dirs = d.split("\n");
            Shell.ok("cd " + m.mnt + " && echo more >> \"$(find . -name 'f1-*' | head -1)\" && rm -f \"$(find . -name 'f2-*' | head -1)\""
                    + " && mkdir -p new/deeper && echo n > new/deeper/file && mv " + Shell.quote(dirs[0]) + " moved-dir"
                    + " && ln \"$(find . -name 'f3-*' | head -1)\" new/link-to-old && chmod 700 new"
                    + " && setfattr -n user.note -v changed \"$(find . -name 'f4-*' | head -1)\" && rm -rf " + Shell.quote(dirs[1])
                    + " && truncate -s 20M sparse0 && ln -s moved-dir new/sym && setfattr -n user.tag -v x moved-dir");
            Shell.ok(L + " snapshot create " + m.store + " s2");
            Shell.ok("cd " + m.mnt + " && rm -rf new && echo back > moved-dir/again && mkfifo fifo2 && touch -d '2001-02-03 04:05:06.7' sparse1"
                    + " && setfattr -x user.tag moved-dir");
            Shell.ok(L + " snapshot create " + m.store + " s3");
            Path full = m.root.resolve("full.tar");
            Path inc2 = m.root.resolve("inc2.tar");
            Path inc3 = m.root.resolve("inc3.tar");
            Shell.run(300, L + " export " + m.store + " s1 --format tar --output " + full).ok();
            Shell.ok(L + " export " + m.store + " s2 --since s1 --format tar --output " + inc2);
            Shell.ok(L + " export " + m.store + " s3 --since s2 --format tar --output " + inc3);
            assertTrue(Files.size(inc2) < Files.size(full) / 5, "an incremental export holds the change, not the tree: "
                    + Files.size(inc2) + " vs " + Files.size(full));

            try (MountedStore copy = MountedStore.create("eu/gb/london/backup")) {
                Shell.Result early = Shell.run(L + " import " + copy.store + " --format tar " + inc2);
                assertEquals(1, early.exit());
                assertTrue(early.err().contains("import that one first"), early.err());
                assertEquals("", Shell.ok("ls -A " + copy.mnt), "a refused import changes nothing");
                Shell.run(300, L + " import " + copy.store + " --format tar " + full).ok();
                Shell.ok(L + " import " + copy.store + " --format tar " + inc2);
                Shell.ok(L + " import " + copy.store + " --format tar " + inc3);
                for (String s : List.of("s1", "s2", "s3")) {
                    assertSameTree(m.mnt.resolve(".snapshots/" + s), copy.mnt.resolve(".snapshots/" + s));
                }
                JsonNode snapshots = json(Shell.ok(L + " snapshot list --json " + copy.store)).get("snapshots");
                JsonNode originals = json(Shell.ok(L + " snapshot list --json " + m.store)).get("snapshots");
                for (int i = 0; i < 3; i++) {
                    assertEquals(originals.get(i).get("created").asText(), snapshots.get(i).get("created").asText(),
                            "an imported snapshot keeps its original time");
                }
            }
        }
    }

    @Test
    void directoryAndExt4ImageExportsReadBackIdentically() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq"); MountedStore other = MountedStore.create("eu/fr/paris")) {
            fill(m, 3);
            Shell.ok(L + " snapshot create " + m.store + " s1");
            Path snap = m.mnt.resolve(".snapshots/s1");
            Path dir = m.root.resolve("dir");
            Shell.run(300, L + " export " + m.store + " s1 --format dir --output " + dir).ok();
            assertSameTree(snap, dir);
            assertEquals("eu/gb/london/hq", Shell.ok("getfattr --only-values -n user.location " + dir + "/sparse0"));

            Path image = m.root.resolve("s1.img");
            Shell.run(300, L + " export " + m.store + " s1 --format ext4-image --output " + image).ok();
            Shell.run(300, "e2fsck -fn " + image).ok();
            Path loop = m.root.resolve("loop");
            Shell.ok("mkdir " + loop + " && mount -o loop,ro " + image + " " + loop);
            try {
                assertSameTree(snap, loop, "--exclude", "lost+found");
            } finally {
                Shell.ok("umount " + loop);
            }
            Shell.run(300, L + " import " + other.store + " --format ext4-image " + image + " --snapshot from-image").ok();
            assertSameTree(snap, other.mnt.resolve(".snapshots/from-image"));
            Shell.run(300, L + " import " + other.store + " --format dir " + dir + " --into /restored --snapshot from-dir").ok();
            assertSameTree(dir, other.mnt.resolve("restored"), "--symlink-usec");
        }
    }

    @Test
    void aLiveSqliteDatabaseUnderConcurrentWritesIsImportedConsistently() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            Path db = m.root.resolve("app.db");
            Shell.ok("sqlite3 " + db + " 'PRAGMA journal_mode=WAL; CREATE TABLE t(batch INTEGER, n INTEGER, pad TEXT);'");
            // A writer commits batches of 100 rows, as fast as it can, for the whole import.
            Path writer = m.root.resolve("writer.py");
            Files.writeString(writer, String.join("\n",
                    "import sqlite3, sys, time",
                    "db = sqlite3.connect(sys.argv[1], timeout=30)",
                    "end = time.time() + float(sys.argv[2]); batch = 0",
                    "while time.time() < end:",
                    "    with db:",
                    "        db.executemany('INSERT INTO t VALUES (?, ?, ?)', [(batch, i, 'x' * 200) for i in range(100)])",
                    "    batch += 1",
                    "print(batch)", ""));
            Shell.ok("(/usr/bin/python3 " + writer + " " + db + " 12 > " + m.root.resolve("batches") + " &) ; sleep 2");
            for (int i = 1; i <= 3; i++) {
                Shell.ok(L + " import " + m.store + " --format sqlite " + db + " --into /db --snapshot live" + i);
                Shell.ok("sleep 1");
            }
            Shell.ok("sleep 10");
            long written = Long.parseLong(Shell.ok("cat " + m.root.resolve("batches")).trim());
            long previous = 0;
            for (int i = 1; i <= 3; i++) {
                Path out = m.root.resolve("out" + i + ".db");
                Shell.ok(L + " export " + m.store + " live" + i + " --format sqlite --path /db/app.db --output " + out);
                assertEquals("ok", Shell.ok("sqlite3 " + out + " 'PRAGMA integrity_check'").trim());
                String counts = Shell.ok("sqlite3 " + out + " 'SELECT COUNT(*), COUNT(DISTINCT batch), MIN(c), MAX(c) FROM "
                        + "(SELECT batch, COUNT(*) AS c FROM t GROUP BY batch) JOIN t USING (batch)'").trim();
                String[] f = counts.split("\\|");
                long rows = Long.parseLong(f[0]);
                long batches = Long.parseLong(f[1]);
                assertTrue(batches > previous, "each import sees later commits: " + counts);
                assertEquals(batches * 100, rows, "only whole transactions: " + counts);
                assertEquals("100", f[2]);
                assertEquals("100", f[3]);
                assertTrue(batches <= written, batches + " batches imported of " + written + " written");
                previous = batches;
            }
        }
    }

    @Test
    void corruptTruncatedHostileAndForeignInputsAreRefusedAndChangeNothing() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq"); MountedStore target = MountedStore.create("eu/fr/paris")) {
            Shell.ok("mkdir " + m.at("d") + " && head -c 3000000 /dev/urandom > " + m.at("d/big") + " && echo small > " + m.at("small"));
            Shell.ok(L + " snapshot create " + m.store + " s1");
            Path tar = m.root.resolve("s1.tar");
            Shell.ok(L + " export " + m.store + " s1 --format tar --output " + tar);
            Shell.ok("echo keep > " + target.at("mine") + " && " + L + " snapshot create " + target.store + " before");
            String before = Shell.ok("ls -AR " + target.mnt) + Shell.ok(L + " snapshot list " + target.store);

            Path flipped = m.root.resolve("flipped.tar");
            Shell.ok("cp " + tar + " " + flipped + " && printf '\\xff' | dd of=" + flipped + " bs=1 seek=1500000 conv=notrunc status=none");
            Path cut = m.root.resolve("cut.tar");
            Shell.ok("head -c 1000000 " + tar + " > " + cut);
            Path cutAtEntry = m.root.resolve("cut-at-entry.tar");
            Shell.ok("head -c $(( $(stat -c %s " + tar + ") - 3072 )) " + tar + " > " + cutAtEntry);
            Path hostile = m.root.resolve("hostile.tar");
            Shell.ok("/usr/bin/python3 -c \"import tarfile, io; t = tarfile.open('" + hostile + "', 'w', format=tarfile.PAX_FORMAT);"
                    + " i = tarfile.TarInfo('../../etc/evil'); i.size = 1; t.addfile(i, io.BytesIO(b'x')); t.close()\"");
            Path throughLink = m.root.resolve("through-link.tar");
            Shell.ok("/usr/bin/python3 -c \"import tarfile, io; t = tarfile.open('" + throughLink + "', 'w', format=tarfile.PAX_FORMAT);"
                    + " i = tarfile.TarInfo('ok'); i.size = 1; t.addfile(i, io.BytesIO(b'x'));"
                    + " l = tarfile.TarInfo('etc'); l.type = tarfile.SYMTYPE; l.linkname = '/etc'; t.addfile(l);"
                    + " i = tarfile.TarInfo('etc/passwd'); i.size = 1; t.addfile(i, io.BytesIO(b'x')); t.close()\"");
            Path garbage = m.root.resolve("garbage");
            Shell.ok("head -c 100000 /dev/urandom > " + garbage);
            record Refusal(String command, String says) {
            }
            for (Refusal r : List.of(
                    new Refusal("--format tar " + flipped, "is corrupt"),
                    new Refusal("--format tar " + cut, "runcated"),
                    new Refusal("--format tar " + cutAtEntry, "truncated"),
                    new Refusal("--format tar " + hostile, "'..'"),
                    new Refusal("--format tar " + throughLink, "which the archive made a symlink"),
                    new Refusal("--format tar " + garbage, "not a readable tar"),
                    new Refusal("--format ext4-image " + garbage, "not an ext4 image"),
                    new Refusal("--format sqlite " + garbage, "not an SQLite database"),
                    new Refusal("--format zip " + tar, "unknown format 'zip'"),
                    new Refusal("--format tar " + tar + " --snapshot before", "exists already"))) {
                Shell.Result result = Shell.run(L + " import " + target.store + " " + r.command());
                assertEquals(1, result.exit(), r.command() + ": " + result.out() + result.err());
                assertTrue(result.err().contains(r.says()), r.command() + ": " + result.err());
            }
            assertEquals(before, Shell.ok("ls -AR " + target.mnt) + Shell.ok(L + " snapshot list " + target.store));
            assertEquals("", Shell.ok("ls -A " + target.mnt.resolve(".snapshots/before") + " | grep -v mine || true"));
            // --path exports one directory of the snapshot, as its root.
            Shell.ok(L + " export " + m.store + " s1 --path /d --format tar --output " + m.root.resolve("d.tar"));
            assertEquals("./\nbig\n", Shell.ok("tar -tf " + m.root.resolve("d.tar") + " | sort -u"));
            // An export that cannot be done leaves nothing at its destination.
            Shell.Result noSnapshot = Shell.run(L + " export " + m.store + " nope --format tar --output " + m.root.resolve("x.tar"));
            assertEquals(1, noSnapshot.exit());
            assertTrue(noSnapshot.err().contains("no snapshot 'nope'"), noSnapshot.err());
            assertEquals("", Shell.ok("ls -A " + m.root + " | grep -F x.tar || true"));
        }
    }

    @Test
    void exportsAskedAtOnceRunTwoAtATimeAndAllFinishVerified() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            Shell.ok("for i in $(seq 80); do head -c 4000000 /dev/urandom > " + m.mnt + "/f$i; done");
            Shell.ok(L + " snapshot create " + m.store + " s1");
            StringBuilder burst = new StringBuilder();
            for (int i = 1; i <= 5; i++) {
                burst.append(L).append(" export ").append(m.store).append(" s1 --format tar --output ").append(m.root)
                        .append("/burst").append(i).append(".tar > ").append(m.root).append("/burst").append(i).append(".out 2>&1 & ");
            }
            Shell.run(300, burst + "wait").ok();
            for (int i = 1; i <= 5; i++) {
                assertTrue(Shell.ok("cat " + m.root + "/burst" + i + ".out").contains("verified"));
                Shell.ok("tar -tf " + m.root + "/burst" + i + ".tar | grep -qx f80");
            }
            String log = Files.readString(m.store.resolve("locusfs.log"));
            assertTrue(log.contains("waits: the most jobs allowed at once are running"), "a burst queues behind the cap");
        }
    }

    @Test
    void anExportOnATerminalShowsProgress() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            Shell.ok("head -c 50000000 /dev/urandom > " + m.at("big") + " && " + L + " snapshot create " + m.store + " s1");
            m.unmount();
            String shown = Shell.ok("script -qec " + Shell.quote(L + " export " + m.store + " s1 --format tar --output "
                    + m.root.resolve("t.tar")) + " /dev/null");
            assertTrue(shown.contains("exporting: "), shown);
            assertTrue(shown.contains("verified"), shown);
            assertTrue(!Shell.ok(L + " export " + m.store + " s1 --format tar --output " + m.root.resolve("u.tar") + " 2>&1")
                    .contains("exporting: "), "no progress line when the output is not a terminal");
            m.mount();
        }
    }

    @Test
    void aThirdPartyTranslatorJarIsListedAndUsed() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            Path source = MountedStore.HOME.resolve("tests/src/test/resources/plugin");
            Path build = m.root.resolve("plugin-build");
            Path plugins = m.root.resolve("plugins");
            Shell.ok("mkdir -p " + build + "/META-INF/services " + plugins
                    + " && javac -d " + build + " -cp '" + MountedStore.HOME.resolve("cli/target/lib") + "/*' "
                    + source + "/com/example/listing/ListingTranslator.java"
                    + " && cp " + source + "/META-INF-services.txt " + build + "/META-INF/services/io.locusfs.translate.Translator"
                    + " && jar --create --file " + plugins + "/listing.jar -C " + build + " .");
            String env = "LOCUSFS_PLUGINS=" + plugins + " ";
            assertTrue(Shell.ok(env + L + " formats").contains("listing"), "the plug-in is listed");
            assertTrue(!Shell.ok(L + " formats").contains("listing"), "and only when its jar is there");
            Shell.ok("mkdir " + m.at("a") + " && echo hi > " + m.at("a/f") + " && " + L + " snapshot create " + m.store + " s1");
            // A mounted store is exported by its daemon, which was started without the plug-in: it says so.
            Shell.Result daemon = Shell.run(env + L + " export " + m.store + " s1 --format listing --output " + m.root.resolve("l.txt"));
            assertEquals(1, daemon.exit());
            assertTrue(daemon.err().contains("unknown format 'listing'"), daemon.err());
            m.unmount();
            Shell.ok(env + L + " export " + m.store + " s1 --format listing --output " + m.root.resolve("l.txt"));
            assertEquals("DIRECTORY 0 /\nDIRECTORY 0 /a\nFILE 3 /a/f\n", Files.readString(m.root.resolve("l.txt")));
            m.mount();
        }
    }
}
