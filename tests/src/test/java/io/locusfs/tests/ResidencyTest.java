package io.locusfs.tests;

import static io.locusfs.tests.Replication.awaitAcknowledged;
import static io.locusfs.tests.Replication.config;
import static io.locusfs.tests.Replication.mirror;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Residency evidence from real processes: an origin in Frankfurt that replicates to a mirror in
 * New York (a real TLS link on loopback), keeps /secret in the EU by placement, then moves to
 * Berlin. Its report names every copy; {@code residency verify} checks it with the two nodes'
 * public keys only, and refuses it changed, cut, or without the mirror's key; the HTML page is
 * rendered by a real headless browser (Debian's chromium), screenshotted, and shows the counts.
 */
class ResidencyTest {
    private static final String L = MountedStore.LOCUSFS;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Certificates ca;

    @BeforeAll
    static void certificates() {
        ca = Certificates.authority("origin", "mirror-a");
    }

    @AfterAll
    static void deleteCertificates() {
        ca.delete();
    }

    private static Map<String, JsonNode> zones(JsonNode report) {
        Map<String, JsonNode> zones = new HashMap<>();
        report.path("summary").path("zones").forEach(z -> zones.put(z.path("zone").asText(), z));
        return zones;
    }

    private static JsonNode entry(JsonNode report, String path) {
        for (JsonNode f : report.path("files")) {
            if (f.path("path").asText().equals(path)) {
                return f;
            }
        }
        throw new AssertionError("no entry for " + path);
    }

    private static String zonesOf(JsonNode entry) {
        StringBuilder zones = new StringBuilder();
        entry.path("copies").forEach(c -> zones.append(c.path("where").asText()).append('=').append(c.path("zone").asText()).append(' '));
        return zones.toString().strip();
    }

    @Test
    void aReportNamesEveryCopyAndIsCheckedOfflineWithThePublicKeysOnly() throws Exception {
        try (MountedStore origin = MountedStore.unmounted("eu/de/fra");
             MountedStore replica = MountedStore.unmounted("us/east/nyc")) {
            Shell.ok(L + " location set " + origin.store + " eu/de/fra --coords 50.11,8.68");
            Shell.ok(L + " location set " + replica.store + " us/east/nyc --coords 40.71,-74.01");
            Path policy = origin.root.resolve("policy.toml");
            Files.writeString(policy, """
                    [[placement]]
                    name = "secret-stays-in-eu"
                    paths = ["/secret", "/secret/**"]
                    allow = ["eu/**"]
                    """);
            try (MirrorProcess mirror = new MirrorProcess(replica, ca, "mirror-a", "")) {
                Path conf = config(origin, "policy = \"" + policy + "\"", ca.tlsTable("origin", ca), mirror("nyc", mirror, "every = \"0\""));
                origin.mount("--replicate " + conf + " --policy " + policy);
                Shell.ok("cd " + origin.mnt + " && mkdir secret pub && echo ledger > secret/ledger && head -c 200000 /dev/urandom > pub/photo"
                        + " && echo note > pub/note");
                Shell.ok(L + " snapshot create " + origin.store + " s1");
                awaitAcknowledged(origin, "nyc", "s1", 180);
                Shell.ok(L + " location set " + origin.mnt + " eu/de/ber --coords 52.52,13.40"); // the disk moved to Berlin

                Path report = origin.root.resolve("report.json");
                String wrote = Shell.ok(L + " residency report " + origin.mnt + " -o " + report + " --quiet");
                assertTrue(wrote.contains("3 files and 3 directories") && wrote.contains("outside the policy: none"), wrote);
                JsonNode r = JSON.readTree(Files.readString(report).substring(0, Files.readString(report).lastIndexOf("\n#locusfs-signature")));
                assertEquals("/pub/photo", entry(r, "/pub/photo").path("path").asText());
                assertEquals("here=eu/de/fra here=eu/de/ber mirror nyc=us/east/nyc", zonesOf(entry(r, "/pub/photo")));
                assertEquals("here=eu/de/fra here=eu/de/ber", zonesOf(entry(r, "/secret/ledger")), "placement kept it home");
                JsonNode stayed = entry(r, "/pub/photo").path("copies");
                assertEquals(stayed.get(0).path("until").asText(), stayed.get(1).path("from").asText(), "Frankfurt ends when Berlin starts");
                assertTrue(stayed.get(1).path("until").isNull() && stayed.get(2).path("until").isNull(), "both still hold it");
                assertEquals("40.710000,-74.010000", stayed.get(2).path("coords").asText());
                Map<String, JsonNode> zones = zones(r);
                assertEquals(4, zones.get("us/east/nyc").path("copies").asInt(), "/, /pub, /pub/photo, /pub/note"); // not /secret/**
                assertEquals(200005, zones.get("us/east/nyc").path("bytes").asLong());
                assertEquals(6, zones.get("eu/de/ber").path("copies").asInt());
                assertEquals(0, r.path("summary").path("outside_policy").asInt());

                Path trusted = Files.createDirectories(origin.root.resolve("trusted"));
                Files.copy(origin.store.resolve("node.pub"), trusted.resolve("origin.pub"));
                Files.copy(replica.store.resolve("node.pub"), trusted.resolve("nyc.pub"));
                String verified = Shell.ok(L + " residency verify " + report + " --trust " + trusted);
                assertTrue(verified.contains(": verified: signed by node ") && verified.contains("16 copies in 3 zone(s)"), verified);

                // Without the mirror's key, its record cannot be vouched for.
                Shell.Result noMirrorKey = Shell.run(L + " residency verify " + report + " --trust " + origin.store.resolve("node.pub"));
                assertEquals(1, noMirrorKey.exit());
                assertTrue(noMirrorKey.out().contains("REFUSED: 1 problem(s)") && noMirrorKey.out().contains("(mirror nyc (us/east/nyc)): signed by node ")
                        && noMirrorKey.out().contains("which is not among the trusted keys"), noMirrorKey.out());
                // One byte changed: the photo made smaller.
                Path changed = origin.root.resolve("changed.json");
                Files.writeString(changed, Files.readString(report).replace("\"bytes\":200000", "\"bytes\":100000"));
                Shell.Result c = Shell.run(L + " residency verify " + changed + " --trust " + trusted);
                assertEquals(1, c.exit());
                assertTrue(c.out().contains("the report's contents changed after it was signed")
                        && c.out().contains("summary: 200012 bytes by the summary, 100012 by the entries"), c.out());
                // One entry dropped.
                String text = Files.readString(report);
                int start = text.indexOf("{\"path\":\"/pub/note\"");
                Path cut = origin.root.resolve("cut.json");
                Files.writeString(cut, text.substring(0, start) + text.substring(text.indexOf("{\"path\":\"/pub/photo\"")));
                Shell.Result d = Shell.run(L + " residency verify " + cut + " --trust " + trusted);
                assertTrue(d.exit() == 1 && d.out().contains("summary: 3 files by the summary, 2 by the entries"), d.out());

                // The page for people: rendered by a real browser, which shows the counts.
                Path html = origin.root.resolve("report.html");
                Shell.ok(L + " residency report " + origin.mnt + "/pub " + origin.mnt + "/secret --format html -o " + html + " --quiet");
                assertTrue(Shell.ok(L + " residency verify " + html + " --trust " + trusted).contains("verified"));
                Path shot = MountedStore.HOME.resolve("tests/target/residency-report.png");
                String browser = "chromium --headless --no-sandbox --disable-gpu --window-size=1100,1400 ";
                Shell.ok(browser + "--screenshot=" + shot + " file://" + html + " 2>/dev/null");
                assertTrue(Files.size(shot) > 20_000, "a screenshot of the page: " + Files.size(shot) + " bytes");
                String dom = Shell.ok(browser + "--dump-dom file://" + html + " 2>/dev/null");
                assertTrue(dom.contains("<tr data-zone=\"us/east/nyc\"><td>us/east/nyc</td><td class=\"copies\">3</td>"), dom);
                assertTrue(dom.contains("<td id=\"total-copies\">13</td>"), dom); // 5 entries in fra and ber; the 3 of /pub also at nyc
                assertTrue(dom.contains("Copies outside the zones the placement policy allows: <b>none</b>"), dom);
                assertTrue(!dom.contains("http://") && !dom.contains("https://"), "nothing fetched from a network");

                Shell.Result notOnMount = Shell.run(L + " residency report /tmp -o " + origin.root.resolve("x.json"));
                assertEquals(1, notOnMount.exit());
                assertTrue(notOnMount.err().contains("/tmp is neither on a LocusFS mount nor a LocusFS store directory"), notOnMount.err());
                origin.unmount();
            }
        }
    }
}
