package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The location policy on a real mount, exercised by real users (created here) running real tools
 * with setpriv: every example of docs/GUIDE.md's policy section, distance rules, claims (valid, expired,
 * forged, unsigned), placement, the audit line, hot reload, and policy check's messages.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PolicyTest {
    private static final String L = MountedStore.LOCUSFS;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The node: London HQ, not one of the two offices. */
    private static final String NODE = "eu/gb/london/hq";
    private static final String NODE_COORDS = "51.5074,-0.1278";

    private MountedStore m;
    private Path policy;
    private Path authority;
    private Path claims;

    private String policyText() {
        return """
                [groups]
                field-team = ["carol"]

                [claims]
                directory = "%s"
                authorities = ["%s"]

                [[access]]
                name = "home-only"
                paths = ["/home-docs/**"]
                caller_in = ["home/**"]
                file_in = ["home/**"]

                [[access]]
                name = "two-offices"
                paths = ["/projects/**"]
                caller_in = ["eu/gb/london/office-1", "eu/fr/paris/office-2"]

                [[access]]
                name = "near-the-file"
                paths = ["/site/**"]
                access = "read"
                groups = ["field-team", "locusfs-surveyors"]
                within_km = 1

                [[access]]
                name = "no-interns"
                paths = ["/projects/**", "/site/**"]
                effect = "deny"
                users = ["intern"]

                [[placement]]
                name = "not-in-britain"
                paths = ["/eu-data/**"]
                allow = ["eu/**"]
                deny = ["eu/gb/**"]

                [[access]]
                name = "auditors-together"
                paths = ["/finance/**"]
                groups = ["locusfs-auditors"]
                access = "read"
                together = { group = "locusfs-auditors", at_least = 2, within_m = 100 }
                """.formatted(claims, authority.resolve("authority.pub"));
    }

    @BeforeAll
    void setUp() throws Exception {
        Shell.ok("getent group locusfs-surveyors || groupadd locusfs-surveyors");
        for (String user : List.of("alice", "bob", "carol", "dave", "erin", "frank", "grace", "intern")) {
            Shell.ok("id " + user + " || useradd -M -U -s /usr/sbin/nologin " + user);
        }
        Shell.ok("usermod -a -G locusfs-surveyors erin");
        Shell.ok("getent group locusfs-auditors || groupadd locusfs-auditors");
        Shell.ok("usermod -a -G locusfs-auditors frank && usermod -a -G locusfs-auditors grace");
        m = MountedStore.create(NODE);
        Shell.ok(L + " location set " + m.mnt + " " + NODE + " --coords " + NODE_COORDS);
        Shell.ok("cd " + m.mnt + " && mkdir home-docs projects site eu-data finance && echo ledger > finance/ledger && echo tax > home-docs/tax && echo plan > projects/plan"
                + " && echo log > site/log && chmod -R a+rwX .");
        m.unmount();
        authority = m.root.resolve("authority");
        claims = m.root.resolve("claims");
        Shell.ok(L + " authority init " + authority + " && mkdir -p " + claims);
        policy = m.root.resolve("policy.toml");
        Files.writeString(policy, policyText());
        // Started as under nohup (SIGHUP ignored), as daemons often are: SIGHUP must still reload.
        Shell.ok("trap '' HUP; " + L + " mount " + m.store + " " + m.mnt + " --policy " + policy);
    }

    @AfterAll
    void tearDown() {
        m.close();
    }

    private Shell.Result as(String user, String script) {
        return Shell.run("setpriv --reuid=" + user + " --regid=" + user + " --init-groups bash -c " + Shell.quote(script));
    }

    private void assertAllowed(String user, String script) {
        Shell.Result r = as(user, script);
        assertEquals(0, r.exit(), user + ": " + script + ": " + r.err());
    }

    private void assertRefused(String user, String script) {
        Shell.Result r = as(user, script);
        assertNotEquals(0, r.exit(), user + ": " + script + " was allowed");
        assertTrue(r.err().contains("Permission denied"), user + ": " + script + ": " + r.err());
    }

    private void claim(String user, String zone, String coords, String expires) {
        Shell.ok(L + " claim --authority " + authority + " --claims " + claims + " --user " + user + " --location " + zone
                + (coords == null ? "" : " --coords " + coords) + " --expires " + expires);
    }

    private JsonNode lastAudit() throws Exception {
        List<String> lines = Files.readAllLines(m.store.resolve("audit.log"));
        return JSON.readTree(lines.get(lines.size() - 1));
    }

    private String log() throws Exception {
        return Files.readString(m.store.resolve("locusfs.log"));
    }

    @Test
    void projectFilesOpenOnlyFromTheTwoOfficesAndClaimsMustBeValid() throws Exception {
        String cat = "cat " + m.at("projects/plan");
        Files.deleteIfExists(claims.resolve("alice.claim"));
        assertRefused("alice", cat); // No claim: alice is where the node is, London HQ.
        JsonNode audit = lastAudit();
        assertEquals("open", audit.get("operation").asText());
        assertEquals("/projects/plan", audit.get("path").asText());
        assertEquals("alice", audit.get("user").asText());
        assertEquals(NODE, audit.get("caller").asText());
        assertEquals(NODE, audit.get("file").asText());
        assertEquals("two-offices", audit.get("rule").asText());
        assertEquals("refused", audit.get("decision").asText());
        assertTrue(audit.get("pid").asLong() > 0 && audit.has("uid") && audit.has("time"), audit.toString());

        claim("alice", "eu/fr/paris/office-2", null, "1h");
        assertAllowed("alice", cat);
        assertAllowed("alice", "echo more >> " + m.at("projects/plan"));
        claim("bob", "eu/fr/paris/office-3", null, "1h");
        assertRefused("bob", cat);

        // Expired: ignored and logged, so bob is back at the node, which is not an office either.
        claim("bob", "eu/gb/london/office-1", null, "1s");
        Shell.ok("sleep 1.5");
        assertRefused("bob", cat);
        assertTrue(log().contains("ignoring the claim " + claims.resolve("bob.claim") + ": it expired"), "expiry is logged");
        // Forged: a valid claim for Berlin edited to say office-1.
        claim("bob", "eu/de/berlin", null, "1h");
        Path bob = claims.resolve("bob.claim");
        Files.writeString(bob, Files.readString(bob).replace("zone=eu/de/berlin", "zone=eu/gb/london/office-1"));
        assertRefused("bob", cat);
        assertTrue(log().contains("ignoring the claim " + bob + ": its signature does not match"), "forgery is logged");
        // Unsigned: no sig line at all.
        Files.writeString(bob, Files.readString(bob).replaceAll("sig=.*\n", ""));
        assertRefused("bob", cat);
        assertTrue(log().contains("has no 'sig' line"), "an unsigned claim is logged");
        // A genuine claim for office-1 opens it.
        claim("bob", "eu/gb/london/office-1", null, "1h");
        assertAllowed("bob", cat);
        // Every door, not only open: truncate, create, mknod, mkdir, symlink, link, rename.
        Files.deleteIfExists(claims.resolve("alice.claim"));
        for (String change : List.of("truncate -s 0 " + m.at("projects/plan"), "touch " + m.at("projects/new"),
                "mkfifo " + m.at("projects/fifo"), "mkdir " + m.at("projects/dir"), "ln -s plan " + m.at("projects/link"),
                "ln " + m.at("projects/plan") + " " + m.at("hard"), "mv " + m.at("projects/plan") + " " + m.at("moved"))) {
            assertRefused("alice", change);
        }
        assertEquals("rename", lastAudit().get("operation").asText());
        assertEquals("plan\nmore\n", Shell.ok("setpriv --reuid=bob --regid=bob --init-groups cat " + m.at("projects/plan")));
        // Deny overrides: intern is at an office, which the allow rule accepts, but a deny rule names him.
        claim("intern", "eu/gb/london/office-1", null, "1h");
        assertRefused("intern", cat);
        assertEquals("no-interns", lastAudit().get("rule").asText());
    }

    @Test
    void aGroupReadsSiteFilesOnlyWithinOneKilometre() {
        String cat = "cat " + m.at("site/log");
        claim("carol", "eu/gb/london/site", "51.5100,-0.1278", "1h"); // 289 m north of the node.
        assertAllowed("carol", cat);
        assertRefused("carol", "echo x >> " + m.at("site/log")); // The rule is about reading.
        claim("carol", "eu/gb/london/site", "51.5300,-0.1278", "1h"); // 2.5 km.
        assertRefused("carol", cat);
        claim("carol", "eu/gb/london/site", null, "1h"); // No coordinates: the distance cannot be judged.
        assertRefused("carol", cat);
        claim("dave", "eu/gb/london/site", "51.5100,-0.1278", "1h");
        assertRefused("dave", cat); // Close enough, but not in the group.
        claim("erin", "eu/gb/london/site", "51.5100,-0.1278", "1h");
        assertAllowed("erin", cat); // In the system group locusfs-surveyors (a supplementary group).
    }

    @Test
    void financeOpensOnlyWhileTwoAuditorsAreTogetherAndTheAuditNamesTheirClaims() throws Exception {
        String cat = "cat " + m.at("finance/ledger");
        Files.deleteIfExists(claims.resolve("grace.claim"));
        claim("frank", NODE, NODE_COORDS, "1h");
        assertRefused("frank", cat); // alone
        assertTrue(lastAudit().path("reason").asText().contains("2 of group locusfs-auditors within 100 m of each other are needed; no one else"),
                lastAudit().toString());
        claim("grace", NODE, "51.5078,-0.1278", "1h"); // 44 m north of frank
        assertAllowed("frank", cat);
        JsonNode allowed = lastAudit();
        assertEquals("allowed", allowed.path("decision").asText(), allowed.toString());
        assertTrue(allowed.path("reason").asText().contains("together: frank at " + NODE + " (claim by authority ")
                && allowed.path("reason").asText().contains("grace 44 m away (claim by authority "), allowed.toString());
        assertTrue(Shell.ok(L + " policy explain --user frank " + m.at("finance/ledger")).contains("grace 44 m away"));

        claim("grace", NODE, "51.5120,-0.1278", "1h"); // half a kilometre away
        assertRefused("frank", cat);
        assertTrue(lastAudit().path("reason").asText().matches(".*not counted: grace \\(51[0-9] m away\\).*"), lastAudit().toString());
        claim("grace", NODE, "51.5078,-0.1278", "1s");
        Thread.sleep(1500);
        assertRefused("frank", cat);
        assertTrue(lastAudit().path("reason").asText().contains("grace (claim ignored: it expired at "), lastAudit().toString());
        claim("grace", NODE, "51.5120,-0.1278", "1h");
        Path grace = claims.resolve("grace.claim");
        Files.writeString(grace, Files.readString(grace).replace("coords=51.512000", "coords=51.507800")); // moved by hand
        assertRefused("frank", cat);
        assertTrue(lastAudit().path("reason").asText().contains("grace (claim ignored: its signature does not match"), lastAudit().toString());
        assertRefused("alice", cat); // not an auditor, whoever is near
    }

    @Test
    void homeFilesNeedBothTheCallerAndTheFileAtHome() throws Exception {
        String cat = "cat " + m.at("home-docs/tax");
        claim("dave", "home/kitchen", null, "1h");
        try {
            assertRefused("dave", cat); // The file lives at HQ.
            Shell.ok(L + " location set " + m.mnt + " home/study");
            assertAllowed("dave", cat);
            claim("dave", "eu/gb/london/office-1", null, "1h");
            assertRefused("dave", cat); // The caller is away.
            claim("dave", "home/kitchen", null, "1h");
            Shell.ok(L + " location set " + m.mnt + " transit/van");
            assertRefused("dave", cat); // The disk is being carried: unreadable in transit.
            assertEquals("transit/van", lastAudit().get("file").asText());
            assertEquals("home-only", lastAudit().get("rule").asText());
        } finally {
            Shell.ok(L + " location set " + m.mnt + " " + NODE + " --coords " + NODE_COORDS);
        }
    }

    @Test
    void placementRefusesCreatingOrMovingDataWhereItMayNotLive() throws Exception {
        assertRefused("alice", "touch " + m.at("eu-data/new"));
        assertEquals("not-in-britain", lastAudit().get("rule").asText());
        assertEquals("create", lastAudit().get("operation").asText());
        assertRefused("alice", "mkdir " + m.at("eu-data/sub"));
        Shell.ok("setpriv --reuid=alice --regid=alice --init-groups bash -c 'echo a > " + m.at("free-a") + "'");
        assertRefused("alice", "mv " + m.at("free-a") + " " + m.at("eu-data/a"));
        assertEquals("rename", lastAudit().get("operation").asText());
        assertRefused("alice", "ln " + m.at("free-a") + " " + m.at("eu-data/a"));
        assertAllowed("alice", "touch " + m.at("free-b"));
    }

    @Test
    void anOpenDescriptorKeepsWorkingWhenThePolicyChangesAndABrokenPolicyIsNeverEnforced() throws Exception {
        claim("alice", "eu/gb/london/office-1", null, "1h");
        Path marker = m.root.resolve("go");
        // alice opens the file, waits for the marker, then reads through the same descriptor.
        Shell.run("setpriv --reuid=alice --regid=alice --init-groups /usr/bin/python3 -c "
                + Shell.quote("import os,time\nfd=os.open('" + m.mnt.resolve("projects/plan") + "',os.O_RDONLY)\n"
                + "while not os.path.exists('" + marker + "'): time.sleep(0.05)\n"
                + "print(os.read(fd,100).decode(),end='')") + " > " + m.root.resolve("held.out") + " 2>&1 &");
        Shell.ok("sleep 1");
        // A new policy that opens /projects to nobody: reloaded on change.
        Files.writeString(policy, policyText().replace("caller_in = [\"eu/gb/london/office-1\", \"eu/fr/paris/office-2\"]",
                "caller_in = [\"nowhere\"]"));
        Shell.ok("sleep 2.5");
        assertRefused("alice", "cat " + m.at("projects/plan"));
        assertTrue(log().contains("policy " + policy + " reloaded (changed)"), "a reload on change is logged");
        Files.writeString(marker, "");
        Shell.ok("sleep 1");
        assertTrue(Files.readString(m.root.resolve("held.out")).startsWith("plan"), "the descriptor opened before still reads");

        // A broken version: logged with file, line and column; the previous policy stays in force.
        Files.writeString(policy, policyText().replace("caller_in = [\"eu/gb/london/office-1\", \"eu/fr/paris/office-2\"]",
                "caller_in = [\"eu//gb\"]").replace("name = \"home-only\"", "name = \"home-only\"\ncolour = \"red\""));
        Shell.ok("sleep 2.5");
        String log = log();
        assertTrue(log.contains("the policy " + policy + " was not reloaded, the previous one stays in force"), log);
        assertTrue(log.contains(policy + ":10:1: unknown key 'colour'"), log);
        assertTrue(log.contains(policy + ":18:14: zone pattern 'eu//gb' has an empty segment"), log);
        assertRefused("alice", "cat " + m.at("projects/plan")); // Still the "nowhere" policy.

        // Restored, and reloaded on SIGHUP as well.
        Files.writeString(policy, policyText());
        Shell.ok("kill -HUP " + m.daemonPid());
        Waits.until(15, () -> {
            try {
                return log().contains("policy " + policy + " reloaded (SIGHUP)");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, "SIGHUP reloads");
        assertAllowed("alice", "cat " + m.at("projects/plan"));
    }

    @Test
    void policyCheckNamesLineAndColumnAndExplainSaysWhichRuleDecides() throws Exception {
        Path bad = m.root.resolve("bad.toml");
        Files.writeString(bad, """
                [[access]]
                paths = ["/x/**"]
                caller_in = ["eu//gb"]
                within_km = "far"
                groups = ["no-such-group"]
                wombat = 1
                """);
        Shell.Result r = Shell.run(L + " policy check " + bad);
        assertEquals(1, r.exit());
        assertTrue(r.err().contains(bad + ":3:14: zone pattern 'eu//gb' has an empty segment"), r.err());
        assertTrue(r.err().contains(bad + ":4:1: within_km must be a distance in km"), r.err());
        assertTrue(r.err().contains(bad + ":5:11: unknown group 'no-such-group'"), r.err());
        assertTrue(r.err().contains(bad + ":6:1: unknown key 'wombat'"), r.err());
        assertTrue(Shell.ok(L + " policy check " + policy).contains("valid: 5 access rules, 1 placement rules"));

        String explained = Shell.ok(L + " policy explain --user bob --from eu/fr/paris/office-3 " + m.at("projects/plan"));
        assertTrue(explained.contains("read: refused by rule 'two-offices'"), explained);
        assertTrue(explained.contains("the caller is in eu/fr/paris/office-3, not in eu/gb/london/office-1, eu/fr/paris/office-2"),
                explained);
        explained = Shell.ok(L + " policy explain --user bob --from eu/gb/london/office-1 " + m.at("projects/plan"));
        assertTrue(explained.contains("read: allowed by rule 'two-offices'"), explained);
        explained = Shell.ok(L + " policy explain --user erin --from eu/gb/london/site --coords 51.5100,-0.1278 " + m.at("site/log"));
        assertTrue(explained.contains("read: allowed by rule 'near-the-file'"), "erin's system group counts: " + explained);
        explained = Shell.ok(L + " policy explain --user bob " + m.at("eu-data/new"));
        assertTrue(explained.contains("placement: refused by rule 'not-in-britain'"), explained);
        Shell.Result unknown = Shell.run(L + " policy explain --user nosuchuser " + m.at("projects/plan"));
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().contains("locusfs policy explain: no user named 'nosuchuser' on this system"), unknown.err());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                Shell.ok(L + " policy explain --json --user bob --from eu/gb/london/office-1 " + m.at("projects/plan")));
        assertEquals("allowed", json.path("read").path("decision").asText(), json.toString());
        assertEquals("two-offices", json.path("read").path("rule").asText(), json.toString());
    }
}
