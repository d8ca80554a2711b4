package io.locusfs.xattr;

import java.util.List;

/**
 * A pattern over zone paths: segments separated by '/', where {@code *} matches exactly one
 * segment and {@code **} matches any number of segments, none included. {@code eu/**} matches
 * {@code eu}, {@code eu/gb} and {@code eu/gb/london}; {@code eu/*} matches {@code eu/gb} only;
 * {@code **} matches every zone. Immutable and thread-safe.
 */
public final class ZonePattern {
    private final List<String> segments;
    private final String text;

    private ZonePattern(String text, List<String> segments) {
        this.text = text;
        this.segments = segments;
    }

    /**
     * Parses a pattern; literal segments follow the rules of {@link ZonePath}.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static ZonePattern parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("zone pattern is empty; expected something like 'eu/**'");
        }
        String[] parts = text.split("/", -1);
        for (String part : parts) {
            if (part.isEmpty()) {
                throw new IllegalArgumentException("zone pattern '" + text + "' has an empty segment ('//' or a '/' at an end)");
            }
            if (part.contains("*") && !part.equals("*") && !part.equals("**")) {
                throw new IllegalArgumentException("zone pattern '" + text + "': '*' must be a whole segment, not part of '" + part + "'");
            }
            if (!part.contains("*")) {
                ZonePath.parse(part); // A literal segment follows the zone rules.
            }
        }
        return new ZonePattern(text, List.of(parts));
    }

    /** True when {@code zone} matches this pattern. */
    public boolean matches(ZonePath zone) {
        return SegmentGlob.matches(segments, zone.segments(), (pattern, name) -> pattern.equals("*") || pattern.equals(name));
    }

    @Override
    public String toString() {
        return text;
    }
}
