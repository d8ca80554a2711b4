package io.locusfs.replicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.locusfs.policy.ConfigFields;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReplicationConfigTest {
    private static final Path FILE = Path.of("/etc/locusfs/replication.toml");

    @Test
    void readsEveryKeyWithPathsRelativeToTheFile() throws Exception {
        ReplicationConfig c = ReplicationConfig.parse(FILE, """
                [replication]
                policy = "policy.toml"
                concurrent = 3
                heartbeat = "10s"
                metrics = "127.0.0.1:9187"
                [tls]
                cert = "tls/node.crt"
                key = "tls/node.key"
                ca = "/srv/ca.crt"
                [[mirror]]
                name = "fra"
                address = "10.0.0.2:7443"
                every = "1d"
                priority = 5
                bandwidth = "20M"
                compress = "lz4"
                [[mirror]]
                name = "nyc"
                address = "nyc.example:7443"
                """);
        assertEquals(Path.of("/etc/locusfs/policy.toml"), c.policy());
        assertEquals(3, c.concurrent());
        assertEquals(Duration.ofSeconds(10), c.heartbeat());
        assertEquals(Path.of("/etc/locusfs/tls/node.crt"), c.tls().cert());
        assertNull(c.tls().crl());
        ReplicationConfig.Mirror fra = c.mirrors().get(0);
        assertEquals(new ReplicationConfig.Mirror("fra", "10.0.0.2", 7443, Duration.ofDays(1), 5, 20L << 20, Codec.LZ4, ReplicationConfig.Sync.NONE), fra);
        ReplicationConfig.Mirror nyc = c.mirrors().get(1);
        assertEquals(Duration.ZERO, nyc.every());
        assertEquals(0, nyc.bandwidth());
        assertEquals(Codec.ZSTD, nyc.codec());
    }

    @Test
    void synchronousMirrorsBlockUnlessToldToDegrade() throws Exception {
        String tls = "[tls]\ncert = \"a\"\nkey = \"b\"\nca = \"c\"\n";
        ReplicationConfig c = ReplicationConfig.parse(FILE, tls + """
                [[mirror]]
                name = "a"
                address = "h:1"
                mode = "sync"
                [[mirror]]
                name = "b"
                address = "h:2"
                mode = "sync"
                on_unreachable = "degrade"
                [[mirror]]
                name = "c"
                address = "h:3"
                """);
        assertEquals(ReplicationConfig.Sync.BLOCK, c.mirrors().get(0).sync());
        assertEquals(ReplicationConfig.Sync.DEGRADE, c.mirrors().get(1).sync());
        assertEquals(ReplicationConfig.Sync.NONE, c.mirrors().get(2).sync());
        String mirror = "[[mirror]]\nname = \"x\"\naddress = \"h:1\"\n";
        assertError(mirror + "mode = \"sometimes\"\n" + tls, ":4:1: 'mode' must be \"async\" or \"sync\", not \"sometimes\"");
        assertError(mirror + "mode = \"sync\"\non_unreachable = \"wait\"\n" + tls,
                ":5:1: 'on_unreachable' must be \"block\" or \"degrade\"");
        assertError(mirror + "on_unreachable = \"block\"\n" + tls, ":4:1: 'on_unreachable' applies to a mirror with mode = \"sync\" only");
    }

    @Test
    void errorsNameTheLineAndTheProblem() {
        String tls = "[tls]\ncert = \"a\"\nkey = \"b\"\nca = \"c\"\n";
        assertError("[[mirror]]\nname = \"x\"\naddress = \"nowhere\"\n" + tls, ":3:1: 'address' must be HOST:PORT");
        assertError("[replication]\nheartbeat = \"soon\"\n", ":2:1: 'soon' is not a duration");
        assertError("[replication]\nconcurrent = 0\n", "'concurrent' must be a whole number from 1 to 64");
        assertError("[replication]\nspeed = 1\n", "unknown key 'speed' in [replication]");
        assertError("[[mirror]]\nname = \"x\"\naddress = \"h:1\"\n", "[tls] needs 'cert'");
        assertError("[[mirror]]\nname = \"x\"\naddress = \"h:1\"\n[[mirror]]\nname = \"x\"\naddress = \"h:2\"\n" + tls,
                "two mirrors are named 'x'");
        assertError("[[mirror]]\nname = \"x\"\naddress = \"h:1\"\ncompress = \"gzip\"\n" + tls, "unknown compression 'gzip'");
        assertError("[replication\n", FILE + ":1:");
    }

    @Test
    void everyProblemIsReportedAtOnceSortedByLine() {
        String text = "[[mirror]]\nname = \"x\"\naddress = \"h:1\"\ncompress = \"gzip\"\n"
                + "[replication]\nspeed = 1\nheartbeat = \"soon\"\n";
        ConfigFields.Invalid e = assertThrows(ConfigFields.Invalid.class, () -> ReplicationConfig.parse(FILE, text));
        String[] lines = e.getMessage().split("\n");
        assertEquals(6, lines.length, e.getMessage());
        for (String key : new String[] {"cert", "key", "ca"}) { // not at a line: the file as a whole, first
            assertTrue(e.getMessage().contains(FILE + ": [tls] needs '" + key + "'"), e.getMessage());
        }
        assertTrue(lines[3].startsWith(FILE + ":4:1: unknown compression 'gzip'"), e.getMessage());
        assertTrue(lines[4].startsWith(FILE + ":6:1: unknown key 'speed'"), e.getMessage());
        assertTrue(lines[5].startsWith(FILE + ":7:1: 'soon' is not a duration"), e.getMessage());
    }

    @Test
    void objectStoreMirrorsNeedNoTlsAndSayWhatIsWrongWithThem() throws Exception {
        ReplicationConfig c = ReplicationConfig.parse(FILE, """
                [[mirror]]
                name = "bucket-fra"
                type = "s3"
                endpoint = "https://s3.example:7480/"
                bucket = "locusfs-backup"
                region = "eu-central-1"
                zone = "eu/de/frankfurt"
                key = "bucket.key"
                credentials = "/srv/s3.credentials"
                keep_all = "1d"
                daily = "30d"
                """);
        assertNull(c.tls(), "a config with only object-store mirrors needs no [tls]");
        ReplicationConfig.Mirror m = c.mirrors().get(0);
        assertEquals(new ReplicationConfig.Bucket("https://s3.example:7480", "locusfs-backup", "eu-central-1", "eu/de/frankfurt",
                Path.of("/etc/locusfs/bucket.key"), Path.of("/srv/s3.credentials"), new io.locusfs.store.Retention(Duration.ofDays(1),
                Duration.ZERO, Duration.ofDays(30), Duration.ZERO, Duration.ZERO, Duration.ZERO, true)), m.bucket());
        assertEquals("s3.example", m.host());
        assertEquals(7480, m.port());
        assertEquals(ReplicationConfig.Sync.NONE, m.sync());

        ConfigFields.Invalid e = assertThrows(ConfigFields.Invalid.class, () -> ReplicationConfig.parse(FILE, """
                [[mirror]]
                name = "a"
                type = "s3"
                endpoint = "ftp://x"
                bucket = "B"
                zone = "eu"
                key = "k"
                mode = "sync"
                [[mirror]]
                name = "b"
                type = "s3"
                bucket = "ok-bucket"
                [[mirror]]
                name = "c"
                type = "tape"
                [[mirror]]
                name = "d"
                address = "h:1"
                bucket = "x"
                [tls]
                cert = "a"
                key = "b"
                ca = "c"
                """));
        String text = e.getMessage();
        assertTrue(text.contains(FILE + ":4:1: 'endpoint' must be an http:// or https:// URL"), text);
        assertTrue(text.contains(FILE + ":8:1: an object-store mirror is asynchronous"), text);
        assertTrue(text.contains("a [[mirror]] with type = \"s3\" needs endpoint, zone, key"), text);
        assertTrue(text.contains(FILE + ":15:1: 'type' must be \"locusfs\" or \"s3\", not \"tape\""), text);
        assertTrue(text.contains(FILE + ":19:1: 'bucket' is for a mirror with type = \"s3\""), text);
    }

    private static void assertError(String text, String expected) {
        ConfigFields.Invalid e = assertThrows(ConfigFields.Invalid.class, () -> ReplicationConfig.parse(FILE, text));
        assertTrue(e.getMessage().startsWith(FILE.toString()) && e.getMessage().contains(expected), e.getMessage());
    }
}
