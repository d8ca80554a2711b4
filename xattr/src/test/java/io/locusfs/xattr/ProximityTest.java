package io.locusfs.xattr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProximityTest {
    private static Location at(String zone, String coords) {
        return new Location(ZonePath.parse(zone), coords == null ? Optional.empty() : Optional.of(Coordinates.parse(coords)),
                Optional.empty());
    }

    @Test
    void distancesComeFirstThenZoneCloseness() {
        Location reader = at("eu/de/berlin", "52.52,13.405");
        Location paris = at("eu/fr/paris", "48.8566,2.3522");
        Location frankfurt = at("eu/de/frankfurt", "50.1109,8.6821");
        Location munich = at("eu/de/munich", null);
        Location berlin = at("eu/de/berlin", null);
        Location newYork = at("us/ny", null);
        assertEquals("877 km", Proximity.between(reader, paris).describe()); // Berlin-Paris by great circle
        assertEquals("424 km", Proximity.between(reader, frankfurt).describe());
        assertEquals("same zone", Proximity.between(reader, berlin).describe());
        assertEquals("shares eu/de", Proximity.between(reader, munich).describe());
        assertEquals("no zone in common", Proximity.between(reader, newYork).describe());
        List<Location> copies = new ArrayList<>(List.of(newYork, paris, munich, berlin, frankfurt));
        copies.sort((x, y) -> Proximity.between(reader, x).compareTo(Proximity.between(reader, y)));
        assertEquals(List.of(frankfurt, paris, berlin, munich, newYork), copies);
    }

    @Test
    void withoutTheReadersCoordinatesOnlyZonesCount() {
        Location reader = at("eu/de/berlin", null);
        assertEquals("same zone", Proximity.between(reader, at("eu/de/berlin", "52.5,13.4")).describe());
        assertEquals(-1, Integer.signum(Proximity.between(reader, at("eu/de/x", "1,1"))
                .compareTo(Proximity.between(reader, at("eu/fr/y", "1,1")))));
    }
}
