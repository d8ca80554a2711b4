package io.locusfs.policy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.locusfs.xattr.Coordinates;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ZonePath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rules over groups of people, decided from real signed claim files read by {@link ClaimBook}:
 * together, too few, too far apart, expired, forged, and near each other but not all pairwise.
 */
class TogetherTest {
    @TempDir
    Path dir;
    private NodeIdentity authority;
    private Policy policy;
    private final ClaimBook book = new ClaimBook(m -> { });
    private final Instant now = Instant.parse("2026-12-07T12:00:00Z");
    /** The Frankfurt office's door, and points about 50, 90, 150 m from it. */
    private static final String DOOR = "50.110000,8.682000";

    @BeforeEach
    void setUp() throws Exception {
        authority = NodeIdentity.create(Files.createDirectories(dir.resolve("authority")));
        Files.createDirectories(dir.resolve("claims"));
        String text = """
                [groups]
                auditors = ["alice", "bob", "carol", "dave"]

                [claims]
                directory = "claims"
                authorities = ["authority/node.pub"]

                [[access]]
                name = "auditors-in-pairs"
                paths = ["/finance/**"]
                groups = ["auditors"]
                access = "read"
                together = { group = "auditors", at_least = 2, within_m = 100 }

                [[access]]
                name = "three-at-the-vault"
                paths = ["/vault/**"]
                groups = ["auditors"]
                together = { group = "auditors", at_least = 3, within_m = 100 }
                """;
        Path file = dir.resolve("policy.toml");
        Files.writeString(file, text);
        policy = PolicyParser.parse(file, Set.of());
    }

    private void claim(String user, String coords, Instant expires) throws Exception {
        Claim c = Claim.sign(authority, user, new Location(ZonePath.parse("eu/de/fra/office"), Optional.of(Coordinates.parse(coords)),
                Optional.empty()), now.minus(Duration.ofHours(1)), expires);
        Files.writeString(dir.resolve("claims").resolve(user + ".claim"), c.encode());
    }

    private static String north(double metres) {
        return String.format(java.util.Locale.ROOT, "%.6f,8.682000", 50.110000 + metres / 111_195.0);
    }

    private static String east(double metres) {
        return String.format(java.util.Locale.ROOT, "50.110000,%.6f", 8.682000 + metres / (111_195.0 * Math.cos(Math.toRadians(50.11))));
    }

    private PolicyEngine.Decision read(String path) {
        Map<String, Set<String>> people = new TreeMap<>();
        for (String u : List.of("alice", "bob", "carol", "dave")) {
            people.put(u, Set.of());
        }
        List<PolicyEngine.Presence> present = book.presence(people, now, policy);
        return PolicyEngine.decide(new PolicyEngine.Request(Policy.Operation.READ, path, "alice", Set.of(),
                Optional.empty(), Optional.empty(), present), policy);
    }

    @Test
    void twoAuditorsTogetherMayReadAndTheDecisionNamesTheirClaims() throws Exception {
        claim("alice", DOOR, now.plusSeconds(3600));
        claim("bob", north(50), now.plusSeconds(3600));
        PolicyEngine.Decision d = read("/finance/q3.xlsx");
        assertTrue(d.allowed(), d.reason());
        assertTrue(d.reason().contains("together: alice at eu/de/fra/office (claim by authority " + authority.nodeId()), d.reason());
        assertTrue(d.reason().contains("bob 50 m away"), d.reason());
    }

    @Test
    void aloneTooFarExpiredOrForgedIsRefusedSayingWhy() throws Exception {
        claim("alice", DOOR, now.plusSeconds(3600));
        PolicyEngine.Decision alone = read("/finance/q3.xlsx");
        assertFalse(alone.allowed());
        assertTrue(alone.reason().contains("2 of group auditors within 100 m of each other are needed; no one else within 100 m of alice"),
                alone.reason());

        claim("bob", north(150), now.plusSeconds(3600));
        PolicyEngine.Decision far = read("/finance/q3.xlsx");
        assertFalse(far.allowed());
        assertTrue(far.reason().contains("not counted: bob (150 m away)"), far.reason());

        claim("bob", north(50), now.minusSeconds(60));
        PolicyEngine.Decision expired = read("/finance/q3.xlsx");
        assertFalse(expired.allowed());
        assertTrue(expired.reason().contains("bob (claim ignored: it expired at 2026-12-07T11:59:00Z)"), expired.reason());

        claim("bob", north(50), now.plusSeconds(3600));
        Path bob = dir.resolve("claims/bob.claim");
        Files.writeString(bob, Files.readString(bob).replaceFirst("coords=[0-9.,]+", "coords=" + DOOR));
        PolicyEngine.Decision forged = read("/finance/q3.xlsx");
        assertFalse(forged.allowed());
        assertTrue(forged.reason().contains("bob (claim ignored: its signature does not match its contents (forged or altered))"), forged.reason());

        Files.delete(dir.resolve("claims/alice.claim"));
        claim("bob", north(50), now.plusSeconds(3600));
        PolicyEngine.Decision noClaim = read("/finance/q3.xlsx");
        assertFalse(noClaim.allowed());
        assertTrue(noClaim.reason().contains("user alice holds no valid claim"), noClaim.reason());
    }

    @Test
    void everyTwoOfTheGroupMustBeWithinTheDistanceOfEachOther() throws Exception {
        claim("alice", DOOR, now.plusSeconds(3600));
        claim("bob", east(90), now.plusSeconds(3600));
        claim("carol", east(-90), now.plusSeconds(3600)); // 90 m from alice, 180 m from bob
        PolicyEngine.Decision spread = read("/vault/key");
        assertFalse(spread.allowed());
        assertTrue(spread.reason().contains("(but not all within it of each other)"), spread.reason());
        claim("carol", north(60), now.plusSeconds(3600)); // about 108 m from bob
        claim("dave", east(40), now.plusSeconds(3600)); // 50 m from bob, 40 from alice
        PolicyEngine.Decision three = read("/vault/key");
        assertTrue(three.allowed(), three.reason());
        assertTrue(three.reason().contains("dave 40 m away") && three.reason().contains("carol 60 m away"), three.reason()); // 72 m apart
    }

    @Test
    void aTogetherConditionIsCheckedWhenTheFileIsParsed() {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyParser.parse(dir.resolve("p.toml"), """
                [[access]]
                name = "x"
                paths = ["/a/**"]
                together = { group = "nobody", at_least = 0, within_m = -1, extra = 1 }
                """, Set.of()));
        String m = e.getMessage();
        assertTrue(m.contains("p.toml:4:") && m.contains("unknown group 'nobody'"), m);
        assertTrue(m.contains("at_least, a whole number of people from 1 to 1000, not 0"), m);
        assertTrue(m.contains("within_m, a distance in metres of 0 or more, not -1"), m);
        assertTrue(m.contains("extra"), m);
    }
}
