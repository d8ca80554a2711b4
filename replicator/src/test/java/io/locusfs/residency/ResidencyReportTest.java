package io.locusfs.residency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.locusfs.policy.Policy;
import io.locusfs.policy.PolicyParser;
import io.locusfs.replicate.ReplicaBook;
import io.locusfs.store.Inode;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.tree.Progress;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.LocationRecord;
import io.locusfs.xattr.NodeIdentity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A report over a real store: an origin that moved from Frankfurt to Berlin (/fin made before the
 * move, /pub after), a mirror in New York
 * that acknowledged a snapshot, a placement rule keeping /fin in the EU. Checked by the verifier
 * as written, and refused when changed, cut, or checked without a key it needs.
 */
class ResidencyReportTest {
    @TempDir
    Path dir;
    private Store store;
    private NodeIdentity origin;
    private NodeIdentity mirror;
    private Policy policy;
    private final Instant moved = Instant.parse("2026-06-01T00:00:00Z");

    @BeforeEach
    void setUp() throws Exception {
        Store.create(dir.resolve("store"), Location.of("eu/de/fra"), 0, 0);
        store = Store.open(dir.resolve("store"), StoreOptions.defaults());
        origin = NodeIdentity.create(Files.createDirectories(dir.resolve("origin-keys")));
        mirror = NodeIdentity.create(Files.createDirectories(dir.resolve("mirror-keys")));
        store.relabel(Location.of("eu/de/fra"), LocationRecord.sign(origin, Location.of("eu/de/fra"), store.storeId(),
                LocationRecord.EVERY_FILE, Instant.parse("2026-01-01T00:00:00Z"), origin.nodeId()));
        long fin = store.tree().create(Store.ROOT_INO, b("fin"), Inode.S_IFDIR | 0755, 0, 0, 0, null).ino;
        long a = store.tree().create(fin, b("a"), Inode.S_IFREG | 0644, 0, 0, 0, null).ino;
        store.tree().update(a, i -> i.size = 1000);
        store.tree().link(a, fin, b("a-again"));
        store.relabel(Location.of("eu/de/ber"), LocationRecord.sign(origin, Location.of("eu/de/ber"), store.storeId(),
                LocationRecord.EVERY_FILE, moved, origin.nodeId()));
        long pub = store.tree().create(Store.ROOT_INO, b("pub"), Inode.S_IFDIR | 0755, 0, 0, 0, null).ino;
        store.tree().create(pub, b("c"), Inode.S_IFREG | 0644, 0, 0, 0, null);
        store.snapshots().create("s1", System.currentTimeMillis() * 1_000_000L, true);
        String mirrorRecord = LocationRecord.sign(mirror, Location.of("us/east/nyc"), "mirror-store", LocationRecord.EVERY_FILE,
                Instant.now(), mirror.nodeId()).encode();
        // The mirror acknowledged s1 with nothing left out: /fin went to New York, which the policy forbids.
        ReplicaBook.acknowledge(store, "mirror-store", "nyc", "us/east/nyc", mirrorRecord, "s1", Set.of(), true);
        store.tree().create(pub, b("after"), Inode.S_IFREG | 0644, 0, 0, 0, null); // not in s1: not on the mirror
        policy = PolicyParser.parse(dir.resolve("policy.toml"), """
                [[placement]]
                name = "fin-in-eu"
                paths = ["/fin", "/fin/**"]
                allow = ["eu/**"]
                """, null);
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Path report(ResidencyReport.Scope scope) throws Exception {
        Path out = dir.resolve("report.json");
        ResidencyReport.writeFile(store, policy, origin, scope, ResidencyReport.Form.JSON, out, Progress.NONE);
        return out;
    }

    private Map<String, PublicKey> both() {
        return Map.of(origin.nodeId(), origin.publicKey(), mirror.nodeId(), mirror.publicKey());
    }

    @Test
    void everyCopyIsListedSummedByZoneAndCheckedOffline() throws Exception {
        Path report = report(new ResidencyReport.Scope(List.of("/"), Optional.empty(), Optional.empty()));
        ResidencyVerifier.Result r = ResidencyVerifier.verify(report, both());
        assertTrue(r.ok(), r.problems().toString());
        ResidencySummary s = r.summary();
        // Entries: /, /fin, /fin/a (its second name is a link, listed without copies), /pub, /pub/c, /pub/after.
        assertEquals(3, s.directories()); // /, /fin, /pub
        assertEquals(3, s.files());
        assertEquals(1000, s.bytes());
        Map<String, ResidencySummary.ZoneCount> zones = new java.util.HashMap<>();
        s.zones().forEach(z -> zones.put(z.zone(), z));
        assertEquals(Set.of("eu/de/fra", "eu/de/ber", "us/east/nyc"), zones.keySet());
        assertEquals(3, zones.get("eu/de/fra").copies()); // /, /fin, /fin/a: made before the move; the rest only in Berlin
        assertEquals(6, zones.get("eu/de/ber").copies());
        assertEquals(5, zones.get("us/east/nyc").copies()); // all but /pub/after, made after s1
        assertEquals(1000, zones.get("us/east/nyc").bytes());
        assertEquals(2, s.outsidePolicy()); // /fin and /fin/a in New York
        assertEquals(2, s.outsideNow());
        String text = Files.readString(report);
        assertTrue(text.contains("\"path\":\"/fin/a-again\",\"kind\":\"file\",\"bytes\":1000,\"hard_link_of\"")
                || text.contains("\"path\":\"/fin/a\",\"kind\":\"file\",\"bytes\":1000,\"hard_link_of\""), text);
        assertTrue(text.contains("placement rule 'fin-in-eu'"), text);
    }

    @Test
    void aPeriodKeepsOnlyTheStaysThatMeetIt() throws Exception {
        Path report = report(new ResidencyReport.Scope(List.of("/pub", "/pub/c"), Optional.of(moved.plusSeconds(3600)), Optional.empty()));
        ResidencyVerifier.Result r = ResidencyVerifier.verify(report, both());
        assertTrue(r.ok(), r.problems().toString());
        assertEquals(List.of("eu/de/ber", "us/east/nyc"), r.summary().zones().stream().map(ResidencySummary.ZoneCount::zone).toList());
        assertEquals(3, r.summary().zones().get(0).copies()); // /pub, /pub/after, /pub/c once though named twice
    }

    @Test
    void aChangedByteACutEntryOrAnUntrustedKeyIsRefusedSayingWhere() throws Exception {
        Path report = report(new ResidencyReport.Scope(List.of("/"), Optional.empty(), Optional.empty()));
        String text = Files.readString(report);

        Path changed = dir.resolve("changed.json");
        Files.writeString(changed, text.replace("\"zone\":\"us/east/nyc\"", "\"zone\":\"eu/de/fra\""));
        ResidencyVerifier.Result r = ResidencyVerifier.verify(changed, both());
        assertFalse(r.ok());
        assertTrue(r.problems().stream().anyMatch(p -> p.contains("changed after it was signed")), r.problems().toString());
        assertTrue(r.problems().stream().anyMatch(p -> p.contains("/fin/a, copy 3 (mirror nyc): says zone eu/de/fra, its signed record says us/east/nyc")
                || p.contains("copy 3 (mirror nyc): says zone eu/de/fra")), r.problems().toString());

        int start = text.indexOf("{\"path\":\"/pub/after\"");
        int end = text.indexOf("{\"path\":\"/pub/c\"");
        Path cut = dir.resolve("cut.json");
        Files.writeString(cut, text.substring(0, start) + text.substring(end));
        r = ResidencyVerifier.verify(cut, both());
        assertFalse(r.ok());
        assertTrue(r.problems().stream().anyMatch(p -> p.startsWith("summary: 3 files by the summary, 2 by the entries")), r.problems().toString());

        r = ResidencyVerifier.verify(report, Map.of(origin.nodeId(), origin.publicKey()));
        assertFalse(r.ok());
        assertEquals(List.of("record mirror-0 (mirror nyc (us/east/nyc)): signed by node " + mirror.nodeId()
                + ", which is not among the trusted keys"), r.problems());
    }

    @Test
    void theHtmlPageCarriesTheSignedReportAndShowsTheCounts() throws Exception {
        Path html = dir.resolve("report.html");
        ResidencyReport.writeFile(store, policy, origin, new ResidencyReport.Scope(List.of("/"), Optional.empty(), Optional.empty()),
                ResidencyReport.Form.HTML, html, Progress.NONE);
        String page = Files.readString(html);
        assertTrue(page.contains("<tr data-zone=\"us/east/nyc\"><td>us/east/nyc</td><td class=\"copies\">5</td>"), page);
        assertTrue(page.contains("id=\"outside\" class=\"bad\""), page);
        assertFalse(page.contains("http://") || page.contains("https://"), "no network in the page");
        assertTrue(ResidencyVerifier.verify(html, both()).ok());
        Files.writeString(html, page.replace("<td class=\"copies\">5</td>", "<td class=\"copies\">4</td>"));
        assertTrue(ResidencyVerifier.verify(html, both()).ok(), "the page's own table is for people; the signed report inside is what verifies");
    }

    @Test
    void nestedPathsAreReportedOnce() {
        assertEquals(List.of("/a", "/b"), ResidencyReport.outermost(List.of("/a/x", "/b", "/a", "/a/")));
        assertEquals(List.of("/"), ResidencyReport.outermost(List.of("/x", "/")));
    }
}
