package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The locusfs command line: help, version, and refusals that change nothing. */
class CliTest {
    private static final String L = MountedStore.LOCUSFS;
    private Path dir;

    @BeforeEach
    void scratch() throws Exception {
        dir = Files.createTempDirectory("locusfs-cli", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    }

    @AfterEach
    void cleanUp() {
        Shell.run("for m in " + dir + "/m*; do fusermount3 -u -z $m 2>/dev/null; done; rm -rf " + dir);
    }

    /** A listing of every file under {@code path} with size and checksum, to prove nothing changed. */
    private static String fingerprint(Path path) {
        return Shell.ok("cd " + path + " && find . -printf '%P %y %s %T@\\n' | sort && find . -type f -exec sha256sum {} + | sort");
    }

    @Test
    void everyCommandHasManPageStyleHelp() {
        for (String command : new String[] {"", "init ", "mount ", "umount ", "fsck ", "export ", "import ", "formats ",
            "send ", "receive ", "mirror serve ", "replicate ", "status "}) {
            String help = Shell.ok(L + " " + command + "--help");
            assertTrue(help.contains("Usage: locusfs"), help);
            assertTrue(help.length() > 300, "help of '" + command + "' is too thin:\n" + help);
        }
        assertTrue(Shell.ok(L + " mount --help").contains("--foreground"));
        assertTrue(Shell.ok(L + " fsck --help").contains("Exit status"));
        assertTrue(Shell.ok(L + " receive --help").contains("--resume"));
        String tls = Shell.ok(MountedStore.HOME.resolve("packaging/bin/locusfs-tls") + " --help");
        assertTrue(tls.contains("revoke DIR NAME"), tls);
        assertTrue(!tls.contains("set -eu") && !tls.contains("usage()"), "locusfs-tls --help shows its own source:\n" + tls);
        String[] lines = tls.split("\n");
        int crl = java.util.Arrays.asList(lines).indexOf("  locusfs-tls crl DIR                  rewrite DIR/ca.crl (renew it)");
        assertEquals(true, crl > 0 && lines[crl - 1].contains("locusfs-tls revoke"), "the crl line belongs with the commands:\n" + tls);
    }

    @Test
    void versionNamesTheProgramAndStoreFormat() {
        assertTrue(Shell.ok(L + " --version").matches("(?s)locusfs \\d+\\.\\d+\\.\\d+\\nstore format: writes 3, reads 1 to 3.*\\nreplication stream: version 1 .*"));
    }

    @Test
    void malformedZoneIsRefusedWithTheReasonAndNoStoreIsCreated() {
        Shell.Result r = Shell.run(L + " init " + dir + "/s --location 'eu//gb'");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("empty segment"), r.err());
        assertTrue(Files.notExists(dir.resolve("s")));
        Shell.Result upper = Shell.run(L + " init " + dir + "/s --location 'EU/gb'");
        assertNotEquals(0, upper.exit());
        assertTrue(upper.err().contains("lower-case"), upper.err());
    }

    @Test
    void missingOrNonEmptyMountPointIsRefused() {
        Shell.ok(L + " init " + dir + "/s --location home");
        String before = fingerprint(dir.resolve("s"));
        Shell.Result missing = Shell.run(L + " mount " + dir + "/s " + dir + "/m-missing");
        assertNotEquals(0, missing.exit());
        assertTrue(missing.err().contains("does not exist"), missing.err());
        Shell.ok("mkdir " + dir + "/m-full && touch " + dir + "/m-full/x");
        Shell.Result full = Shell.run(L + " mount " + dir + "/s " + dir + "/m-full");
        assertNotEquals(0, full.exit());
        assertTrue(full.err().contains("not empty"), full.err());
        assertEquals(before, fingerprint(dir.resolve("s")));
    }

    @Test
    void pathThatIsNotAStoreIsRefused() {
        Shell.ok("mkdir " + dir + "/notastore " + dir + "/m && echo keep > " + dir + "/notastore/file");
        Shell.Result r = Shell.run(L + " mount " + dir + "/notastore " + dir + "/m");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("not a LocusFS store"), r.err());
        assertEquals("file", Shell.ok("ls " + dir + "/notastore").trim());
        assertNotEquals(0, Shell.run(L + " fsck " + dir + "/notastore").exit());
    }

    @Test
    void storeOfANewerFormatIsRefusedUntouched() {
        Shell.ok(L + " init " + dir + "/s --location home && mkdir " + dir + "/m");
        Shell.ok("echo 'locusfs-store 99' > " + dir + "/s/LOCUSFS");
        String before = fingerprint(dir.resolve("s"));
        Shell.Result r = Shell.run(L + " mount " + dir + "/s " + dir + "/m");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("format 99"), r.err());
        assertEquals(before, fingerprint(dir.resolve("s")));
    }

    @Test
    void storeAlreadyMountedIsRefused() {
        Shell.ok(L + " init " + dir + "/s --location home && mkdir " + dir + "/m1 " + dir + "/m2");
        Shell.ok(L + " mount " + dir + "/s " + dir + "/m1 && echo data > " + dir + "/m1/f");
        Shell.Result second = Shell.run(L + " mount " + dir + "/s " + dir + "/m2");
        assertNotEquals(0, second.exit());
        String pid = Shell.ok("head -1 " + dir + "/s/locusfs.pid").trim();
        assertTrue(second.err().contains(dir + "/s is in use by process " + pid + ", mounted at " + dir + "/m1"), second.err());
        assertEquals(1, second.err().split("is in use", -1).length - 1, "said once: " + second.err());
        Shell.Result fsck = Shell.run(L + " fsck " + dir + "/s");
        assertEquals(8, fsck.exit(), "fsck checks an unmounted store: " + fsck.err());
        assertTrue(fsck.err().contains("in use by process " + pid), fsck.err());
        Shell.Result again = Shell.run(L + " mount " + dir + "/s " + dir + "/m1");
        assertNotEquals(0, again.exit());
        assertTrue(again.err().contains("already a mount point"), again.err());
        assertEquals("data", Shell.ok("cat " + dir + "/m1/f").trim());
        Shell.ok(L + " umount " + dir + "/m1");
    }

    @Test
    void messagesNameTheCommandTypedAndSayWhatIsWrongInTheUsersWords() {
        Shell.Result list = Shell.run(L + " snapshot list " + dir + "/nothing");
        assertTrue(list.err().startsWith("locusfs snapshot list: "), list.err());
        Shell.ok(L + " init " + dir + "/s --location home");
        Shell.Result again = Shell.run(L + " init " + dir + "/s --location home");
        assertEquals(1, again.exit());
        assertTrue(again.err().contains(dir + "/s is already a LocusFS store"), again.err());
        Shell.ok("mkdir " + dir + "/plain");
        Shell.Result status = Shell.run(L + " status " + dir + "/plain");
        assertTrue(status.err().startsWith("locusfs status: " + dir + "/plain is not a LocusFS store"), status.err());
        // A command prints its result once, without the log lines of what it did.
        Shell.Result taken = Shell.run(L + " snapshot create " + dir + "/s one");
        assertEquals("snapshot one taken", taken.out().trim());
        assertEquals("", taken.err());
        // Missing files and directories in plain words, never a temporary file's name.
        Shell.Result export = Shell.run(L + " export " + dir + "/s one --format tar --output " + dir + "/nowhere/one.tar");
        assertEquals("locusfs export: " + dir + "/nowhere, where one.tar would go, does not exist", export.err().trim());
        for (String command : List.of("policy check ", "config check ")) {
            Shell.Result missing = Shell.run(L + " " + command + dir + "/nosuch.toml");
            assertTrue(missing.err().startsWith(dir + "/nosuch.toml: no such file\n"), command + missing.err());
            Shell.Result directory = Shell.run(L + " " + command + dir + "/plain");
            assertTrue(directory.err().startsWith(dir + "/plain is a directory, not a configuration file"), command + directory.err());
        }
    }

    @Test
    void anExportDoesNotOverwriteAFileUnlessForced() {
        Shell.ok(L + " init " + dir + "/s --location home && " + L + " snapshot create " + dir + "/s one >/dev/null");
        Shell.ok("echo precious > " + dir + "/out.tar");
        Shell.Result refused = Shell.run(L + " export " + dir + "/s one --format tar --output " + dir + "/out.tar");
        assertEquals(1, refused.exit());
        assertTrue(refused.err().contains(dir + "/out.tar exists; add --force to replace it"), refused.err());
        assertEquals("precious", Shell.ok("cat " + dir + "/out.tar").trim());
        Shell.ok(L + " export " + dir + "/s one --format tar --output " + dir + "/out.tar --force");
        assertTrue(Shell.ok("tar -tf " + dir + "/out.tar").length() > 0);
    }

    @Test
    void exportAndImportCountTheSameFilesAndOnlyTheDataTheyRead() throws Exception {
        Shell.ok(L + " init " + dir + "/s --location home && mkdir " + dir + "/m && " + L + " mount " + dir + "/s " + dir + "/m");
        Shell.ok("cd " + dir + "/m && truncate -s 10G sparse.img && head -c 300000 /dev/urandom > data && mkdir d && echo x > d/f");
        Shell.ok(L + " umount " + dir + "/m && " + L + " snapshot create " + dir + "/s one");
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        var exported = json.readTree(Shell.ok(L + " export --json " + dir + "/s one --format tar --output " + dir + "/one.tar"));
        assertEquals(4, exported.path("files").asLong(), exported.toString()); // sparse.img, data, d, d/f
        long bytes = exported.path("bytes").asLong();
        assertTrue(bytes >= 300002 && bytes < 1 << 20, "the 10 GiB hole is not data read: " + exported);
        Shell.ok(L + " init " + dir + "/c --location home");
        var imported = json.readTree(Shell.ok(L + " import --json " + dir + "/c --format tar " + dir + "/one.tar"));
        assertEquals(4, imported.path("files").asLong(), imported.toString());
    }

    @Test
    void exportAndImportThroughAMountedStoreShowProgressOnATerminal() {
        Shell.ok(L + " init " + dir + "/s --location home && mkdir " + dir + "/m && " + L + " mount " + dir + "/s " + dir + "/m");
        Shell.ok("head -c 300M /dev/urandom > " + dir + "/m/big && " + L + " snapshot create " + dir + "/s one");
        // script(1) gives the command a terminal, as a user at a shell has; the daemon does the work.
        String export = Shell.ok("script -qec '" + L + " export " + dir + "/s one --format tar --output " + dir + "/one.tar' /dev/null");
        assertTrue(export.contains("exporting: ") && export.contains("/300M ") && export.contains("%"), export);
        String imported = Shell.ok("script -qec '" + L + " import " + dir + "/s --format tar " + dir + "/one.tar --into /copy --snapshot two' /dev/null");
        assertTrue(imported.contains("importing: ") && imported.contains("%"), imported);
        assertEquals(Shell.ok("cmp " + dir + "/m/big " + dir + "/m/copy/big && echo same").trim(), "same");
        Shell.ok(L + " umount " + dir + "/m");
    }

    @Test
    void configCheckReportsEveryProblemOfEachKindSortedByLine() throws Exception {
        Path replication = dir.resolve("replication.toml");
        Files.writeString(replication, "[replication]\nheartbeat = \"soon\"\nspeed = 1\n[[mirror]]\nname = \"m\"\n"
                + "address = \"h:1\"\ncompress = \"gzip\"\n[tls]\ncert = \"c\"\nkey = \"k\"\nca = \"a\"\n");
        Shell.Result r = Shell.run(L + " config check " + replication);
        assertEquals(1, r.exit());
        String[] lines = r.err().split("\n");
        assertEquals(4, lines.length, r.err());
        assertTrue(lines[0].startsWith(replication + ":2:1: 'soon' is not a duration"), r.err());
        assertTrue(lines[1].startsWith(replication + ":3:1: unknown key 'speed'"), r.err());
        assertTrue(lines[2].startsWith(replication + ":7:1: unknown compression 'gzip'"), r.err());
        assertTrue(lines[3].contains("3 problem(s)"), r.err());

        Path store = dir.resolve("locusfs.toml");
        Files.writeString(store, "[snapshots]\nevery = \"often\"\ncolour = \"red\"\nmax_store_size = \"lots\"\n");
        Shell.Result s = Shell.run(L + " config check " + store);
        assertEquals(1, s.exit());
        assertTrue(s.err().contains(store + ":2:1: 'often' is not a duration") && s.err().contains(store + ":3:1: unknown key 'colour'")
                && s.err().contains(store + ":4:1: 'lots' is not a size"), s.err());
        Files.writeString(store, "[snapshots]\nevery = \"15m\"\n");
        assertTrue(Shell.ok(L + " config check " + store).contains("valid store config: a snapshot every 15m"));

        Path policy = dir.resolve("policy.toml");
        Files.write(policy, "[[access]]\nname = \"caf\u00e9\"\npaths = [\"/x/**\"]\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        Shell.Result p = Shell.run(L + " config check " + policy);
        assertEquals(1, p.exit());
        assertTrue(p.err().contains(policy + ":2: not UTF-8 text"), p.err());
    }

    @Test
    void verifyFsckAndPolicyCheckSpeakJson() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        Shell.ok(L + " init " + dir + "/s --location home");
        var fsck = json.readTree(Shell.ok(L + " fsck --json " + dir + "/s"));
        assertEquals("clean", fsck.path("status").asText());
        assertEquals(0, fsck.path("problems").size());
        Path policy = dir.resolve("policy.toml");
        Files.writeString(policy, "[[access]]\npaths = [\"/x/**\"]\ncaller_in = [\"eu//gb\"]\n");
        var checked = json.readTree(Shell.run(L + " policy check --json " + policy).out());
        assertEquals(false, checked.path("valid").asBoolean());
        assertTrue(checked.path("problems").get(0).asText().contains("empty segment"), checked.toString());
        Shell.ok("mkdir " + dir + "/m && " + L + " mount " + dir + "/s " + dir + "/m && echo x > " + dir + "/m/f");
        var verified = json.readTree(Shell.ok(L + " verify --json " + dir + "/m/f"));
        assertEquals(true, verified.get(0).path("ok").asBoolean());
        assertEquals("home", verified.get(0).path("zone").asText());
        Shell.ok(L + " umount " + dir + "/m");
    }

    @Test
    void sigtermUnmountsCleanlyAndKeepsUnsyncedWrites() {
        Shell.ok(L + " init " + dir + "/s --location home && mkdir " + dir + "/m");
        Shell.ok(L + " mount " + dir + "/s " + dir + "/m");
        Shell.ok("head -c 5M /dev/urandom > " + dir + "/src && cp " + dir + "/src " + dir + "/m/f");
        String pid = Shell.ok("head -1 " + dir + "/s/locusfs.pid").trim();
        Shell.ok("kill -TERM " + pid + " && for i in $(seq 100); do kill -0 " + pid + " 2>/dev/null || break; sleep 0.1; done; ! kill -0 " + pid);
        assertNotEquals(0, Shell.run("mountpoint -q " + dir + "/m").exit(), "still mounted after SIGTERM");
        assertEquals(0, Shell.run(L + " fsck " + dir + "/s").exit());
        Shell.ok(L + " mount " + dir + "/s " + dir + "/m && cmp " + dir + "/src " + dir + "/m/f");
        Shell.ok("fusermount3 -u " + dir + "/m");
        Shell.ok("for i in $(seq 100); do test -f " + dir + "/s/locusfs.pid || break; sleep 0.1; done; ! test -f " + dir + "/s/locusfs.pid");
        assertEquals(0, Shell.run(L + " fsck " + dir + "/s").exit());
    }
}
