package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Debian package as an administrator meets it: built from this build (the scripts
 * {@code make deb} runs), checked by lintian, installed with apt-get, used through the
 * installed commands (mount(8) and fstab, man, bash completion, the mirror's systemd unit), and
 * removed with nothing of it left.
 *
 * <p>This machine's PID 1 is not systemd, so the unit is checked with {@code systemd-analyze
 * verify} and its {@code ExecStart} and {@code ExecStartPost} are run the way systemd runs them:
 * the instance name for {@code %i}, the environment file's variables, {@code $$} for a dollar,
 * SIGTERM to stop, and exit 143 counted as clean ({@code SuccessExitStatus}).
 */
@Timeout(900)
class PackageTest {
    private static final Path UNIT = Path.of("/lib/systemd/system/locusfs-mirror@.service");

    @Test
    void theDebianPackageInstallsMountsServesAndRemovesLeavingNothing() throws Exception {
        Path work = Files.createTempDirectory("locusfs-deb");
        Path fstab = Path.of("/etc/fstab");
        String fstabBefore = Files.exists(fstab) ? Files.readString(fstab) : null;
        try {
            String built = Shell.run(600, MountedStore.HOME.resolve("packaging/man/build.sh") + " " + work.resolve("man")
                    + " && " + MountedStore.HOME.resolve("packaging/deb/build.sh") + " " + work + " " + work.resolve("man")).ok().out();
            Path deb = Path.of(built.strip().lines().reduce((a, b) -> b).orElseThrow());
            assertTrue(deb.getFileName().toString().matches("locusfs_\\d+\\.\\d+\\.\\d+_[a-z0-9]+\\.deb"), deb.toString());

            Shell.Result lintian = Shell.run(300, "lintian --tag-display-limit 0 " + deb);
            assertFalse(lintian.out().lines().anyMatch(l -> l.startsWith("E: ")), "lintian errors:\n" + lintian.out());

            Shell.run(300, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends " + deb).ok();
            assertTrue(Shell.ok("locusfs --version").startsWith("locusfs "));
            assertEquals("/usr/share/man/man8/locusfs.8.gz", Shell.ok("man -w locusfs").strip());
            assertEquals("/usr/share/man/man8/locusfs-snapshot-create.8.gz", Shell.ok("man -w locusfs-snapshot-create").strip());
            assertEquals("/usr/share/man/man5/locusfs.toml.5.gz", Shell.ok("man -w 5 locusfs.toml").strip());
            assertEquals("/usr/share/man/man8/mount.locusfs.8.gz", Shell.ok("man -w mount.locusfs").strip());
            assertTrue(Shell.ok("MANWIDTH=80 man 5 locusfs-policy 2>/dev/null").contains("within_km"), "the policy's keys");
            String completed = Shell.ok("source /usr/share/bash-completion/completions/locusfs; "
                    + "COMP_WORDS=(locusfs snap); COMP_CWORD=1; _complete_locusfs; echo \"${COMPREPLY[@]}\"");
            assertEquals("snapshot", completed.strip(), "bash completes a command");

            mountThroughFstab(work, fstab, fstabBefore);
            runTheMirrorUnitAsSystemdWould(work);

            Shell.run(300, "DEBIAN_FRONTEND=noninteractive apt-get remove -y -q locusfs").ok();
            for (String left : List.of("/usr/bin/locusfs", "/usr/bin/locusfs-tls", "/sbin/mount.locusfs", "/usr/share/locusfs",
                    "/usr/lib/locusfs",
                    UNIT.toString(), "/usr/share/man/man8/locusfs.8.gz", "/usr/share/bash-completion/completions/locusfs")) {
                assertFalse(Files.exists(Path.of(left)), left + " is left after apt-get remove");
            }
            assertFalse(Shell.run("dpkg -s locusfs 2>/dev/null | grep -q '^Status: install ok installed'").exit() == 0);
        } finally {
            if (fstabBefore != null) {
                Files.writeString(fstab, fstabBefore);
            }
            Shell.run(300, "dpkg -s locusfs >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get purge -y -q locusfs");
            Shell.run("rm -rf " + work + " /etc/locusfs/mirror-pkgtest.env /etc/locusfs/replicate-pkgtest.toml"
                    + " /var/lib/locusfs/mirror-pkgtest /var/lib/locusfs/origin-pkgtest");
        }
    }

    /** An fstab line with a policy, mounted by mount(8) through the installed helper and command, then unmounted. */
    private static void mountThroughFstab(Path work, Path fstab, String fstabBefore) throws Exception {
        Path store = work.resolve("store");
        Path mnt = work.resolve("mnt");
        Files.createDirectories(mnt);
        Shell.ok("locusfs init " + store + " --location eu/de/berlin");
        Path policy = work.resolve("policy.toml");
        Files.writeString(policy, "[[access]]\nname = \"home-only\"\npaths = [\"/home-docs/**\"]\ncaller_in = [\"home/**\"]\n");
        Files.writeString(fstab, (fstabBefore == null ? "" : fstabBefore) + store + " " + mnt
                + " locusfs defaults,_netdev,policy=" + policy + " 0 0\n");
        Shell.ok("env -u LOCUSFS_BIN mount " + mnt);
        Shell.ok("echo hello > " + mnt.resolve("greeting"));
        assertTrue(Shell.ok("getfattr -n user.location --only-values " + mnt.resolve("greeting")).contains("eu/de/berlin"));
        long pid = Long.parseLong(Files.readAllLines(store.resolve("locusfs.pid")).get(0).strip());
        if (Shell.ok("uname -m").strip().equals("x86_64")) {
            Shell.ok("grep -q /usr/lib/locusfs/librocksdb-crc32c.so /proc/" + pid + "/maps"); // RocksDB's hardware CRC32C
        }
        Shell.ok("umount " + mnt + " && for i in $(seq 600); do kill -0 " + pid + " 2>/dev/null || exit 0; sleep 0.1; done; exit 1");
        Shell.ok("mount -t locusfs " + store + " " + mnt);
        assertEquals("hello", Shell.ok("cat " + mnt.resolve("greeting")).strip(), "what was written before umount");
        long again = Long.parseLong(Files.readAllLines(store.resolve("locusfs.pid")).get(0).strip());
        Shell.ok("umount " + mnt + " && for i in $(seq 600); do kill -0 " + again + " 2>/dev/null || exit 0; sleep 0.1; done; exit 1");
    }

    /**
     * locusfs-mirror@pkgtest: verified, started as systemd would, ready by its own check, receiving
     * from locusfs-replicate@pkgtest, and both stopped cleanly by SIGTERM.
     */
    private static void runTheMirrorUnitAsSystemdWould(Path work) throws Exception {
        Shell.ok("locusfs-tls init " + work.resolve("ca") + " && locusfs-tls issue " + work.resolve("ca") + " mirror");
        Shell.ok("mkdir -p /etc/locusfs /var/lib/locusfs && locusfs init /var/lib/locusfs/mirror-pkgtest --location eu/fr");
        int port = MirrorProcess.freePort();
        Files.writeString(Path.of("/etc/locusfs/mirror-pkgtest.env"), "LISTEN=127.0.0.1:" + port + "\nTLS_CERT="
                + work.resolve("ca/mirror.crt") + "\nTLS_KEY=" + work.resolve("ca/mirror.key") + "\nCLIENT_CA="
                + work.resolve("ca/ca.crt") + "\n");
        Shell.Result verify = Shell.run("systemd-analyze verify --man=no /lib/systemd/system/locusfs-mirror@pkgtest.service"
                + " /lib/systemd/system/locusfs-replicate@pkgtest.service");
        assertEquals(0, verify.exit(), verify.out() + verify.err());
        assertEquals("", verify.out() + verify.err(), "no warnings either");
        String unit = Files.readString(UNIT);
        String start = directive(unit, "ExecStart");
        String post = directive(unit, "ExecStartPost");
        String environment = "set -a; OPTIONS=; . /etc/locusfs/mirror-pkgtest.env; set +a; ";
        Process mirror = new ProcessBuilder("bash", "-c", environment + "exec " + start).redirectErrorStream(true)
                .redirectOutput(work.resolve("mirror.log").toFile()).start();
        try {
            Shell.Result ready = Shell.run(120, environment + post);
            assertEquals(0, ready.exit(), "ExecStartPost: " + ready.err() + "\n" + Files.readString(work.resolve("mirror.log")));
            assertTrue(mirror.isAlive());
            runTheReplicateUnitAgainst(work, port);
        } finally {
            mirror.destroy(); // SIGTERM, as KillSignal says
        }
        assertTrue(mirror.waitFor(90, java.util.concurrent.TimeUnit.SECONDS), "stopped within TimeoutStopSec");
        assertTrue(List.of(0, 143).contains(mirror.exitValue()), "clean exit, got " + mirror.exitValue());
        assertTrue(unit.contains("SuccessExitStatus=143"));
    }

    /** locusfs-replicate@pkgtest, run as systemd would, ships an origin's snapshot to the mirror unit's mirror. */
    private static void runTheReplicateUnitAgainst(Path work, int port) throws Exception {
        Path origin = Path.of("/var/lib/locusfs/origin-pkgtest");
        Shell.ok("locusfs init " + origin + " --location eu/de && locusfs snapshot create " + origin + " s1"
                + " && locusfs-tls issue " + work.resolve("ca") + " origin");
        Files.writeString(Path.of("/etc/locusfs/replicate-pkgtest.toml"), "[replication]\nsource = \"" + origin
                + "\"\nheartbeat = \"1s\"\n\n[tls]\ncert = \"" + work.resolve("ca/origin.crt") + "\"\nkey = \""
                + work.resolve("ca/origin.key") + "\"\nca = \"" + work.resolve("ca/ca.crt") + "\"\n\n[[mirror]]\nname = \"pkgtest\"\n"
                + "address = \"127.0.0.1:" + port + "\"\n");
        String start = directive(Files.readString(Path.of("/lib/systemd/system/locusfs-replicate@.service")), "ExecStart");
        Process replicate = new ProcessBuilder("bash", "-c", "exec " + start).redirectErrorStream(true)
                .redirectOutput(work.resolve("replicate.log").toFile()).start();
        try {
            Waits.until(120, () -> Shell.run("locusfs status " + origin + " --json").out().contains("\"last_snapshot\" : \"s1\""),
                    "the mirror to acknowledge s1");
        } finally {
            replicate.destroy();
        }
        assertTrue(replicate.waitFor(90, java.util.concurrent.TimeUnit.SECONDS), "stopped within TimeoutStopSec");
        assertTrue(List.of(0, 143).contains(replicate.exitValue()), "clean exit, got " + replicate.exitValue() + ":\n"
                + Files.readString(work.resolve("replicate.log")));
    }

    /** A directive's command line as systemd hands it to the shell: %i the instance, $$ a dollar. */
    private static String directive(String unit, String name) {
        String line = unit.lines().filter(l -> l.startsWith(name + "=")).findFirst().orElseThrow();
        return line.substring(name.length() + 1).replace("%i", "pkgtest").replace("$$", "$");
    }
}
