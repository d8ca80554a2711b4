package io.locusfs.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.locusfs.xattr.Coordinates;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.ZonePath;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Choosing the copy to read from: permitted first, answering first, then nearest; never a refused one first. */
class NearestCopyTest {
    private static final String POLICY = """
            [[access]]
            name = "near-the-file"
            paths = ["/site/**"]
            within_km = 500

            [[placement]]
            name = "no-us"
            paths = ["/eu/**"]
            deny = ["us/**"]
            """;

    private static Location at(String zone, String coords) {
        return new Location(ZonePath.parse(zone), coords == null ? Optional.empty() : Optional.of(Coordinates.parse(coords)),
                Optional.empty());
    }

    private static final Location BERLIN = at("eu/de/berlin", "52.52,13.405");
    private static final NearestCopy.Candidate HERE = new NearestCopy.Candidate("here", at("eu/fr/paris", "48.8566,2.3522"), true);
    private static final NearestCopy.Candidate FRANKFURT = new NearestCopy.Candidate("fra", at("eu/de/frankfurt", "50.1109,8.6821"), true);
    private static final NearestCopy.Candidate NEW_YORK = new NearestCopy.Candidate("nyc", at("us/ny", "40.7128,-74.006"), true);

    private static List<String> names(List<NearestCopy.Ranked> ranked) {
        return ranked.stream().map(r -> r.copy().name()).toList();
    }

    @Test
    void theNearestCopyComesFirstAndAnsweringBeforeSilent() throws Exception {
        NearestCopy.Reader reader = new NearestCopy.Reader(Optional.of("alice"), Set.of(), BERLIN);
        assertEquals(List.of("fra", "here", "nyc"), names(NearestCopy.rank("/docs/a", reader, List.of(NEW_YORK, HERE, FRANKFURT), null)));
        NearestCopy.Candidate silent = new NearestCopy.Candidate("fra", FRANKFURT.location(), false);
        assertEquals(List.of("here", "nyc", "fra"), names(NearestCopy.rank("/docs/a", reader, List.of(NEW_YORK, HERE, silent), null)));
    }

    @Test
    void aCopyThePolicyForbidsIsNeverFirstHoweverNear() throws Exception {
        Policy p = PolicyParser.parse(Path.of("/etc/locusfs/policy.toml"), POLICY, Set.of());
        NearestCopy.Reader reader = new NearestCopy.Reader(Optional.of("alice"), Set.of(), at("us/ny", "40.7128,-74.006"));
        List<NearestCopy.Ranked> eu = NearestCopy.rank("/eu/plan", reader, List.of(NEW_YORK, HERE, FRANKFURT), p);
        assertEquals(List.of("here", "fra", "nyc"), names(eu)); // Paris is nearer New York than Frankfurt
        assertFalse(eu.get(2).permitted());
        assertEquals("no-us", eu.get(2).decision().rule());
        // Within 500 km of the file: only the copy in Berlin's reach may be read from Berlin.
        NearestCopy.Reader berliner = new NearestCopy.Reader(Optional.of("alice"), Set.of(), BERLIN);
        List<NearestCopy.Ranked> site = NearestCopy.rank("/site/map", berliner, List.of(HERE, FRANKFURT, NEW_YORK), p);
        assertEquals("fra", site.get(0).copy().name());
        assertTrue(site.get(0).permitted());
        assertFalse(site.get(1).permitted(), "Paris is 877 km from Berlin");
        assertEquals("near-the-file", site.get(1).decision().rule());
    }
}
