package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** What the tests of replication share: configs, waiting for a mirror's acknowledgement, comparing trees. */
final class Replication {
    private static final String L = MountedStore.LOCUSFS;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MANIFEST = MountedStore.HOME.resolve("tests/src/test/resources/manifest.py").toString();

    private Replication() {
    }

    /** A [[mirror]] table. */
    static String mirror(String name, MirrorProcess m, String extra) {
        return "[[mirror]]\nname = \"" + name + "\"\naddress = \"" + m.address() + "\"\n" + extra + "\n";
    }

    /** Writes a replication config beside {@code origin}'s store: heartbeat 1 s, the given tables. */
    static Path config(MountedStore origin, String replicationKeys, String tls, String... mirrors) throws IOException {
        Path file = origin.root.resolve("replication.toml");
        writeAtomically(file, "[replication]\nheartbeat = \"1s\"\n" + replicationKeys + "\n" + tls + "\n" + String.join("\n", mirrors));
        return file;
    }

    /** Replaces a file by rename, as editors do, so the daemon never reads half of it. */
    static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static JsonNode status(MountedStore origin) {
        try {
            return JSON.readTree(Shell.ok(L + " status " + origin.store + " --json"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static JsonNode mirrorStatus(MountedStore origin, String name) {
        for (JsonNode m : status(origin).path("mirrors")) {
            if (m.path("name").asText().equals(name)) {
                return m;
            }
        }
        return JSON.createObjectNode();
    }

    static void awaitAcknowledged(MountedStore origin, String mirror, String snapshot, long seconds) {
        Waits.until(seconds, () -> Files.exists(origin.store.resolve("replication.status.json"))
                && snapshot.equals(mirrorStatus(origin, mirror).path("last_snapshot").asText()),
                "mirror " + mirror + " to acknowledge " + snapshot + "; origin log:\n" + tail(origin.store.resolve("locusfs.log")));
    }

    static String tail(Path log) {
        return Shell.run("tail -n 30 " + log).out();
    }

    static String manifest(Path tree) {
        return Shell.run(300, "/usr/bin/python3 " + MANIFEST + " " + Shell.quote(tree.toString())).ok().out();
    }

    static void assertSameTree(Path expected, Path actual) {
        String[] a = manifest(expected).split("\n");
        String[] b = manifest(actual).split("\n");
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            assertEquals(a[i], b[i], actual + " differs from " + expected);
        }
        assertEquals(a.length, b.length, actual + " has another number of entries than " + expected);
    }
}
