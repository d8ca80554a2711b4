package io.locusfs.xattr;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ZonePatternTest {
    private static boolean m(String pattern, String zone) {
        return ZonePattern.parse(pattern).matches(ZonePath.parse(zone));
    }

    @Test
    void doubleStarMatchesAnyDepthIncludingNone() {
        assertTrue(m("eu/**", "eu"));
        assertTrue(m("eu/**", "eu/gb/london/hq"));
        assertFalse(m("eu/**", "us/ny"));
        assertTrue(m("**", "anything/at/all"));
        assertTrue(m("**/hq", "eu/gb/london/hq"));
    }

    @Test
    void singleStarMatchesExactlyOneSegment() {
        assertTrue(m("eu/*", "eu/gb"));
        assertFalse(m("eu/*", "eu/gb/london"));
        assertFalse(m("eu/*", "eu"));
        assertTrue(m("eu/*/london", "eu/gb/london"));
    }

    @Test
    void literalPatternsMatchExactly() {
        assertTrue(m("eu/gb", "eu/gb"));
        assertFalse(m("eu/gb", "eu/gb/london"));
    }

    @Test
    void malformedPatternsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ZonePattern.parse("eu//gb"));
        assertThrows(IllegalArgumentException.class, () -> ZonePattern.parse("eu/g*"));
        assertThrows(IllegalArgumentException.class, () -> ZonePattern.parse("EU/**"));
    }
}
