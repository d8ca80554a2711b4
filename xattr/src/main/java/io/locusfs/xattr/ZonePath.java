package io.locusfs.xattr;

import java.util.List;
import java.util.Objects;

/**
 * A zone path names where data physically lives, from the widest zone to the narrowest:
 * {@code eu/gb/london/hq}. It is a non-empty list of segments separated by single slashes;
 * each segment is 1 to 63 characters of lower-case ASCII letters, digits, {@code -} and
 * {@code _}, starting with a letter or digit. Instances are immutable and thread-safe.
 */
public final class ZonePath {
    private static final int MAX_SEGMENT_LENGTH = 63;
    private static final int MAX_DEPTH = 16;

    private final List<String> segments;

    private ZonePath(List<String> segments) {
        this.segments = List.copyOf(segments);
    }

    /**
     * Parses a zone path.
     *
     * @throws IllegalArgumentException with a message that says what is wrong and where
     */
    public static ZonePath parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("zone path is empty; expected something like 'eu/gb/london/hq'");
        }
        if (text.startsWith("/")) {
            throw new IllegalArgumentException("zone path '" + text + "' must not start with '/'");
        }
        if (text.endsWith("/")) {
            throw new IllegalArgumentException("zone path '" + text + "' must not end with '/'");
        }
        String[] parts = text.split("/", -1);
        if (parts.length > MAX_DEPTH) {
            throw new IllegalArgumentException("zone path '" + text + "' has " + parts.length
                    + " segments; at most " + MAX_DEPTH + " are allowed");
        }
        int position = 0;
        for (String part : parts) {
            checkSegment(text, part, position);
            position += part.length() + 1;
        }
        return new ZonePath(List.of(parts));
    }

    private static void checkSegment(String text, String segment, int position) {
        if (segment.isEmpty()) {
            throw new IllegalArgumentException("zone path '" + text + "' has an empty segment at character "
                    + position + " ('//')");
        }
        if (segment.length() > MAX_SEGMENT_LENGTH) {
            throw new IllegalArgumentException("zone segment '" + segment + "' is " + segment.length()
                    + " characters long; at most " + MAX_SEGMENT_LENGTH + " are allowed");
        }
        char first = segment.charAt(0);
        if (!isLowerAlnum(first)) {
            throw new IllegalArgumentException("zone segment '" + segment + "' must start with a lower-case letter or digit");
        }
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (!isLowerAlnum(c) && c != '-' && c != '_') {
                throw new IllegalArgumentException("zone segment '" + segment + "' contains '" + c
                        + "' at character " + (position + i) + "; only a-z, 0-9, '-' and '_' are allowed");
            }
        }
    }

    private static boolean isLowerAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    /** The segments, widest first. */
    public List<String> segments() {
        return segments;
    }

    /** True when this zone is {@code other} or lies inside it ({@code eu/gb/london} is within {@code eu/gb}). */
    public boolean isWithin(ZonePath other) {
        return segments.size() >= other.segments.size()
                && segments.subList(0, other.segments.size()).equals(other.segments);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ZonePath && ((ZonePath) o).segments.equals(segments);
    }

    @Override
    public int hashCode() {
        return Objects.hash(segments);
    }

    @Override
    public String toString() {
        return String.join("/", segments);
    }
}
