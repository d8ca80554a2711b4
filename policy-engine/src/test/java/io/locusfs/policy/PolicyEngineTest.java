package io.locusfs.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.locusfs.xattr.Coordinates;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.ZonePath;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The policy reference's examples as decisions, and the parser's error messages. */
class PolicyEngineTest {
    private static final Path FILE = Path.of("/etc/locusfs/policy.toml");
    private static final String EXAMPLES = """
            [groups]
            field-team = ["carol", "dave"]

            [[access]]
            name = "home-only"
            paths = ["/home-docs/**"]
            caller_in = ["home/**"]
            file_in = ["home/**"]

            [[access]]
            name = "two-offices"
            paths = ["/projects/**"]
            access = "read"
            caller_in = ["eu/gb/london/office-1", "eu/fr/paris/office-2"]

            [[access]]
            name = "near-the-file"
            paths = ["/site/**"]
            groups = ["field-team"]
            within_km = 1

            [[access]]
            name = "no-interns"
            paths = ["/projects/**", "/site/**"]
            effect = "deny"
            users = ["intern"]

            [[placement]]
            name = "eu-only"
            paths = ["/projects/eu/**"]
            allow = ["eu/**"]
            deny = ["eu/ru/**"]
            replicas = 2
            """;

    private static Location at(String zone, String coords) {
        return new Location(ZonePath.parse(zone), coords == null ? Optional.empty() : Optional.of(Coordinates.parse(coords)),
                Optional.empty());
    }

    private static PolicyEngine.Decision read(Policy p, String path, String user, Location caller, Location file) {
        return PolicyEngine.decide(new PolicyEngine.Request(Policy.Operation.READ, path, user, Set.of(),
                Optional.ofNullable(caller), Optional.ofNullable(file)), p);
    }

    @Test
    void theReferenceExamplesDecideAsDocumented() throws Exception {
        Policy p = PolicyParser.parse(FILE, EXAMPLES, Set.of());
        Location home = at("home/kitchen", null);
        assertTrue(read(p, "/home-docs/tax.pdf", "alice", home, at("home/study", null)).allowed());
        assertFalse(read(p, "/home-docs/tax.pdf", "alice", at("eu/gb/london/office-1", null), home).allowed(), "caller away");
        PolicyEngine.Decision transit = read(p, "/home-docs/tax.pdf", "alice", home, at("transit/van", null));
        assertFalse(transit.allowed(), "a disk in transit is unreadable");
        assertEquals("home-only", transit.rule());
        assertTrue(transit.reason().contains("the file is in transit/van"), transit.reason());

        assertTrue(read(p, "/projects/plan", "bob", at("eu/fr/paris/office-2", null), home).allowed());
        PolicyEngine.Decision elsewhere = read(p, "/projects/plan", "bob", at("eu/fr/paris/office-3", null), home);
        assertFalse(elsewhere.allowed());
        assertTrue(elsewhere.reason().contains("not in eu/gb/london/office-1, eu/fr/paris/office-2"), elsewhere.reason());
        PolicyEngine.Decision write = PolicyEngine.decide(new PolicyEngine.Request(Policy.Operation.WRITE, "/projects/plan", "bob",
                Set.of(), Optional.of(at("eu/gb/london/office-1", null)), Optional.empty()), p);
        assertFalse(write.allowed(), "a read rule does not open the path for writing");

        Location mast = at("site/mast-7", "51.5000,-0.1200");
        assertTrue(read(p, "/site/log", "carol", at("site/van", "51.5050,-0.1200"), mast).allowed(), "556 m away");
        PolicyEngine.Decision far = read(p, "/site/log", "carol", at("site/van", "51.5200,-0.1200"), mast);
        assertFalse(far.allowed(), "2.2 km away");
        assertTrue(far.reason().contains("2.224 km"), far.reason());
        assertFalse(read(p, "/site/log", "carol", at("site/van", null), mast).allowed(), "no coordinates: no match");
        assertFalse(read(p, "/site/log", "alice", at("site/van", "51.5050,-0.1200"), mast).allowed(), "not in the group");

        PolicyEngine.Decision intern = read(p, "/projects/plan", "intern", at("eu/gb/london/office-1", null), home);
        assertFalse(intern.allowed(), "deny overrides an allow that also matches");
        assertEquals("no-interns", intern.rule());

        assertTrue(read(p, "/elsewhere/file", "anyone", null, null).allowed(), "paths no rule speaks of are open");
        assertFalse(read(p, "/home-docs/x", "alice", null, home).allowed(), "a caller without a location matches no caller_in");
    }

    @Test
    void placementAllowsAndDeniesZonesAndCountsReplicas() throws Exception {
        Policy p = PolicyParser.parse(FILE, EXAMPLES, Set.of());
        assertTrue(PolicyEngine.placement("/projects/eu/a", ZonePath.parse("eu/de/berlin"), p).allowed());
        PolicyEngine.Decision ru = PolicyEngine.placement("/projects/eu/a", ZonePath.parse("eu/ru/moscow"), p);
        assertFalse(ru.allowed());
        assertTrue(ru.reason().contains("denies eu/ru/moscow (eu/ru/**)"), ru.reason());
        assertFalse(PolicyEngine.placement("/projects/eu/a", ZonePath.parse("us/ny"), p).allowed());
        assertTrue(PolicyEngine.placement("/projects/us/a", ZonePath.parse("us/ny"), p).allowed());
        assertEquals(2, PolicyEngine.replicasWanted("/projects/eu/a", p));
        assertEquals(1, PolicyEngine.replicasWanted("/other", p));
    }

    @Test
    void everyProblemNamesLineAndColumnAndNothingIsHalfParsed() {
        String bad = """
                [[access]]
                paths = ["/a/**"]
                colour = "blue"
                caller_in = ["eu//gb"]
                within_km = -3
                groups = ["ghosts"]

                [[placement]]
                paths = ["relative/path"]
                replicas = 0
                """;
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyParser.parse(FILE, bad, Set.of("wheel")));
        List<String> problems = e.problems();
        assertEquals(6, problems.size(), String.join("\n", problems));
        assertTrue(problems.contains("/etc/locusfs/policy.toml:3:1: unknown key 'colour' in an [[access]] rule (known: access, "
                + "caller_in, effect, file_in, groups, name, paths, together, users, within_km)"), problems.toString());
        assertTrue(problems.stream().anyMatch(s -> s.startsWith("/etc/locusfs/policy.toml:4:14: zone pattern 'eu//gb' has an empty segment")),
                problems.toString());
        assertTrue(problems.stream().anyMatch(s -> s.startsWith("/etc/locusfs/policy.toml:5:1: within_km must be a distance")),
                problems.toString());
        assertTrue(problems.contains("/etc/locusfs/policy.toml:6:11: unknown group 'ghosts': define it in [groups] or create it on the system"),
                problems.toString());
        assertTrue(problems.stream().anyMatch(s -> s.startsWith("/etc/locusfs/policy.toml:9:10: path pattern 'relative/path' must start with '/'")),
                problems.toString());
        PolicyException syntax = assertThrows(PolicyException.class, () -> PolicyParser.parse(FILE, "[[access]\npaths = [", Set.of()));
        assertTrue(syntax.problems().get(0).startsWith("/etc/locusfs/policy.toml:1:"), syntax.getMessage());
    }

    @Test
    void aThousandRulesAreIndexedSoARequestLooksAtFew() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            text.append("[[access]]\nname = \"r").append(i).append("\"\npaths = [\"/p").append(i)
                    .append("/**\"]\ncaller_in = [\"eu/**\"]\n\n");
        }
        Policy p = PolicyParser.parse(FILE, text.toString(), Set.of());
        assertEquals(List.of("r637"), p.accessRulesFor(List.of("p637", "x")).stream().map(Policy.AccessRule::name).toList());
        assertTrue(p.accessRulesFor(List.of("elsewhere")).isEmpty());
    }
}
