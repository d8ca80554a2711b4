package io.locusfs.xattr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ZonePathTest {

    @Test
    void wellFormedZoneParsesIntoSegments() {
        assertEquals(List.of("eu", "gb", "london", "hq"), ZonePath.parse("eu/gb/london/hq").segments());
    }

    @Test
    void emptySegmentIsRefusedWithItsPosition() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ZonePath.parse("eu//gb"));
        assertTrue(e.getMessage().contains("empty segment at character 3"), e.getMessage());
    }

    @Test
    void leadingSlashUpperCaseAndSpacesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ZonePath.parse("/eu"));
        assertThrows(IllegalArgumentException.class, () -> ZonePath.parse("eu/"));
        assertThrows(IllegalArgumentException.class, () -> ZonePath.parse("EU/gb"));
        assertThrows(IllegalArgumentException.class, () -> ZonePath.parse("eu/g b"));
        assertThrows(IllegalArgumentException.class, () -> ZonePath.parse(""));
    }

    @Test
    void withinMeansSameOrNarrower() {
        assertTrue(ZonePath.parse("eu/gb/london").isWithin(ZonePath.parse("eu/gb")));
        assertTrue(ZonePath.parse("eu/gb").isWithin(ZonePath.parse("eu/gb")));
        assertFalse(ZonePath.parse("eu/gbx").isWithin(ZonePath.parse("eu/gb")));
        assertFalse(ZonePath.parse("eu").isWithin(ZonePath.parse("eu/gb")));
    }

    @Test
    void locationEncodingRoundTrips() {
        Location location = new Location(ZonePath.parse("eu/gb/london/hq"),
                Optional.of(Coordinates.parse("51.5072,-0.1276")), Optional.of("rack 4"));
        assertEquals(location, Location.decode(location.encode()));
        Location bare = Location.of("home");
        assertEquals(bare, Location.decode(bare.encode()));
    }

    @Test
    void greatCircleDistanceMatchesKnownCityPairs() {
        Coordinates london = Coordinates.parse("51.5072,-0.1276");
        Coordinates paris = Coordinates.parse("48.8566,2.3522");
        Coordinates newYork = Coordinates.parse("40.7128,-74.0060");
        assertEquals(343.5, london.distanceKm(paris), 2.0);
        assertEquals(5570, london.distanceKm(newYork), 15);
        assertEquals(0.0, london.distanceKm(london), 1e-9);
        assertEquals(london.distanceKm(paris), paris.distanceKm(london), 1e-9);
    }

    @Test
    void coordinatesOutOfRangeAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Coordinates.parse("91,0"));
        assertThrows(IllegalArgumentException.class, () -> Coordinates.parse("0,181"));
        assertThrows(IllegalArgumentException.class, () -> Coordinates.parse("abc"));
    }
}
