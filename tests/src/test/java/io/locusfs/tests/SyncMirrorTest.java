package io.locusfs.tests;

import static io.locusfs.tests.Replication.config;
import static io.locusfs.tests.Replication.mirror;
import static io.locusfs.tests.Replication.mirrorStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Synchronous mirrors ({@code mode = "sync"}) on a real mount, the mirror in its own process over
 * TLS: what an fsync made durable is on the mirror when the fsync returns (the mirror is killed
 * with SIGKILL at once and its store read after a restart); with {@code on_unreachable = "block"}
 * an fsync does not return while the mirror is down, and does once it is back; with
 * {@code "degrade"} it returns, the mirror shows as degraded in the status and the metrics, and is
 * brought back in sync when it returns. A file placement forbids on the mirror is never sent.
 */
class SyncMirrorTest {
    private static final String L = MountedStore.LOCUSFS;
    /** The secret may live in Germany only: never on the mirror in Paris; /shared is read only from a copy in Germany. */
    private static final String POLICY = """
            [[placement]]
            name = "secret-stays-in-germany"
            paths = ["/secret", "/secret/**"]
            allow = ["eu/de/**"]

            [[access]]
            name = "read-the-german-copy"
            paths = ["/shared/**"]
            file_in = ["eu/de/**"]
            """;

    @RegisterExtension
    static final TestAuthority CA = new TestAuthority("origin", "mirror");

    /** A python line that writes {@code text} to {@code file} (unless null), fsyncs it and says so. */
    private static String fsyncing(Path file, String text) {
        String write = text == null ? "" : "os.write(f, b'" + text + "'); ";
        return "python3 -c \"import os; f = os.open('" + file + "', os.O_WRONLY | os.O_CREAT | os.O_APPEND); " + write
                + "os.fsync(f); print('synced', flush=True)\"";
    }

    /** Origin in Frankfurt, mounted, with one synchronous mirror "paris" configured with {@code extra}. */
    private static Path replicating(MountedStore origin, MirrorProcess mirror, String extra) throws Exception {
        Path policy = origin.root.resolve("policy.toml");
        Files.writeString(policy, POLICY);
        Path conf = config(origin, "source = \"" + origin.store + "\"\npolicy = \"" + policy + "\"\nmetrics = \"127.0.0.1:"
                + MirrorProcess.freePort() + "\"", CA.get().tlsTable("origin", CA.get()), mirror("paris", mirror, "mode = \"sync\"\n" + extra));
        origin.mount("--replicate " + conf + " --policy " + policy);
        return conf;
    }

    /** The file at {@code path} in the mirror's newest snapshot, restored into a fresh directory; null when the mirror lacks it. */
    private static String onMirror(MountedStore origin, Path conf, String path) throws Exception {
        Path target = Files.createTempDirectory(origin.root, "from-mirror");
        Shell.Result r = Shell.run(L + " restore --from paris --path " + path + " --replicate " + conf + " " + target);
        if (r.exit() != 0) {
            assertTrue(r.err().contains("does not exist in snapshot"), r.err());
            return null;
        }
        return Files.readString(target.resolve(path.substring(1)));
    }

    @Test
    void anFsyncReturnsOnlyOnceTheMirrorHoldsTheDataAndBlocksWhileItIsDown() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra");
             MountedStore replica = MountedStore.unmounted("eu/fr/par");
             MirrorProcess mirror = new MirrorProcess(replica, CA.get(), "mirror", "")) {
            Path conf = replicating(origin, mirror, "");
            Shell.ok("mkdir " + origin.at("secret"));
            for (int i = 0; i < 5; i++) {
                assertEquals("synced", Shell.ok(fsyncing(origin.mnt.resolve("a.txt"), "line " + i + "\\\\n")).strip());
            }
            Shell.ok(fsyncing(origin.mnt.resolve("secret/plan.txt"), "plan"));
            mirror.crash(); // at once: only what the mirror made durable survives
            mirror.start();
            assertEquals("line 0\nline 1\nline 2\nline 3\nline 4\n", onMirror(origin, conf, "/a.txt"));
            assertEquals(null, onMirror(origin, conf, "/secret/plan.txt"), "placement keeps the secret off the mirror");
            assertEquals("plan", Files.readString(origin.mnt.resolve("secret/plan.txt")));
            // A reader in Paris: the copy there is nearer, but the policy lets them read only the one in Germany.
            Shell.ok("mkdir " + origin.at("shared"));
            Shell.ok(fsyncing(origin.mnt.resolve("shared/minutes.txt"), "agreed"));
            String where = Shell.ok(L + " where --from eu/fr/par/office " + origin.at("shared/minutes.txt"));
            assertTrue(where.contains("copies=here eu/de/fra shares eu; paris eu/fr/par shares eu/fr/par refused: "), where);
            assertTrue(where.contains("read-the-german-copy") && where.contains("read-from=here"), where);
            assertTrue(Shell.ok(L + " where --from eu/fr/par/office " + origin.at("a.txt")).contains("read-from=paris"));
            long syncPoints = Shell.ok("ls " + origin.at(".snapshots")).lines().filter(n -> n.startsWith("sync-")).count();
            assertTrue(syncPoints >= 1 && syncPoints <= 2, "sync points replaced by newer ones are dropped: " + syncPoints);

            // Written while the mirror runs, fsync'd while it is down: the fsync waits for it.
            Shell.ok("printf 'late\\n' > " + origin.at("b.txt"));
            mirror.crash();
            Process fsync = new ProcessBuilder("bash", "-c", fsyncing(origin.mnt.resolve("b.txt"), null)).redirectErrorStream(true).start();
            assertFalse(fsync.waitFor(5, TimeUnit.SECONDS), "fsync returned while the synchronous mirror was down");
            mirror.start();
            assertTrue(fsync.waitFor(60, TimeUnit.SECONDS), "fsync returned once the mirror was back");
            assertEquals("synced", new BufferedReader(new InputStreamReader(fsync.getInputStream(), StandardCharsets.UTF_8)).readLine());
            mirror.crash();
            mirror.start();
            assertEquals("late\n", onMirror(origin, conf, "/b.txt"));
            assertTrue(Files.readString(origin.store.resolve("locusfs.log")).contains("fsync has waited"), "the wait is logged");
        }
    }

    @Test
    void anUnreachableMirrorThatMayDegradeIsShownDegradedAndBroughtBackInSync() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra");
             MountedStore replica = MountedStore.unmounted("eu/fr/par");
             MirrorProcess mirror = new MirrorProcess(replica, CA.get(), "mirror", "")) {
            Path conf = replicating(origin, mirror, "on_unreachable = \"degrade\"");
            Shell.ok(fsyncing(origin.mnt.resolve("first.txt"), "first"));
            assertEquals("first", onMirror(origin, conf, "/first.txt"));

            mirror.crash();
            long started = System.nanoTime();
            assertEquals("synced", Shell.ok(fsyncing(origin.mnt.resolve("second.txt"), "second")).strip());
            assertTrue(System.nanoTime() - started < 15_000_000_000L, "a degrading mirror does not hold fsync up");
            Waits.until(10, () -> mirrorStatus(origin, "paris").path("degraded").asBoolean(), "the status to show the mirror degraded");
            assertTrue(Shell.ok(L + " status " + origin.store).contains("paris is synchronous (on_unreachable = degrade): DEGRADED"));
            String metricsAddress = Shell.ok("grep ^metrics " + conf).strip().replaceAll(".*\"(.*)\"", "$1");
            assertTrue(Shell.ok("curl -s http://" + metricsAddress + "/metrics").contains("locusfs_sync_mirror_degraded{mirror=\"paris\"} 1"));
            assertTrue(Files.readString(origin.store.resolve("locusfs.log")).contains("degraded, fsync goes on without it"));

            mirror.start(); // its heartbeat answers: a sync round brings it back in sync, without another fsync
            Waits.until(60, () -> !mirrorStatus(origin, "paris").path("degraded").asBoolean(), "the mirror to be in sync again");
            assertEquals("second", onMirror(origin, conf, "/second.txt"));
            assertTrue(Shell.ok("curl -s http://" + metricsAddress + "/metrics").contains("locusfs_sync_mirror_degraded{mirror=\"paris\"} 0"));
            assertTrue(Files.readString(origin.store.resolve("locusfs.log")).contains("is in sync again"));
        }
    }
}
