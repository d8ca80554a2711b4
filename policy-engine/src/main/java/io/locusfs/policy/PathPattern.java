package io.locusfs.policy;

import io.locusfs.xattr.SegmentGlob;
import java.util.ArrayList;
import java.util.List;

/**
 * A pattern over absolute file paths: {@code /projects/secret/**}. Segments are separated by
 * '/'; {@code **} as a whole segment matches any number of segments, none included; inside a
 * segment {@code *} matches any characters and {@code ?} one. {@code /a/**} matches {@code /a}
 * and everything below it. Immutable and thread-safe.
 */
public final class PathPattern {
    private final String text;
    private final List<String> segments;

    private PathPattern(String text, List<String> segments) {
        this.text = text;
        this.segments = segments;
    }

    /**
     * Parses a pattern.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static PathPattern parse(String text) {
        if (text == null || !text.startsWith("/")) {
            throw new IllegalArgumentException("path pattern '" + text + "' must start with '/'");
        }
        List<String> segments = new ArrayList<>();
        if (!text.equals("/")) {
            for (String part : text.substring(1).split("/", -1)) {
                if (part.isEmpty()) {
                    throw new IllegalArgumentException("path pattern '" + text + "' has an empty segment ('//' or a trailing '/')");
                }
                if (part.contains("**") && !part.equals("**")) {
                    throw new IllegalArgumentException("path pattern '" + text + "': '**' must be a whole segment");
                }
                segments.add(part);
            }
        }
        return new PathPattern(text, List.copyOf(segments));
    }

    /** The first segment when it is literal (no wildcard): rules are indexed by it. */
    String literalHead() {
        if (segments.isEmpty()) {
            return "";
        }
        String head = segments.get(0);
        return head.contains("*") || head.contains("?") ? null : head;
    }

    /** True when {@code path} (its segments, from the root) matches. */
    public boolean matches(List<String> path) {
        return SegmentGlob.matches(segments, path, (glob, name) -> globMatches(glob, 0, name, 0));
    }

    private static boolean globMatches(String glob, int g, String name, int n) {
        while (g < glob.length()) {
            char c = glob.charAt(g);
            if (c == '*') {
                for (int rest = n; rest <= name.length(); rest++) {
                    if (globMatches(glob, g + 1, name, rest)) {
                        return true;
                    }
                }
                return false;
            }
            if (n == name.length() || (c != '?' && c != name.charAt(n))) {
                return false;
            }
            g++;
            n++;
        }
        return n == name.length();
    }

    /** The segments of an absolute path ("/" has none). */
    public static List<String> split(String path) {
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (!part.isEmpty()) {
                parts.add(part);
            }
        }
        return parts;
    }

    @Override
    public String toString() {
        return text;
    }
}
