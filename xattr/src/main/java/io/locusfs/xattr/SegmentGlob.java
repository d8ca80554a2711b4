package io.locusfs.xattr;

import java.util.List;
import java.util.function.BiPredicate;

/**
 * Matching of '/'-separated paths against patterns whose {@code **} segment stands for any number
 * of segments, none included; what one other pattern segment matches is the caller's rule (a zone
 * pattern's {@code *}, a file pattern's in-name globs). Shared by {@link ZonePattern} and the
 * policy's path patterns. Stateless.
 */
public final class SegmentGlob {
    private SegmentGlob() {
    }

    /** True when {@code segments} match {@code pattern}, with {@code one} deciding each non-{@code **} segment. */
    public static boolean matches(List<String> pattern, List<String> segments, BiPredicate<String, String> one) {
        return matches(pattern, 0, segments, 0, one);
    }

    private static boolean matches(List<String> pattern, int p, List<String> segments, int s, BiPredicate<String, String> one) {
        if (p == pattern.size()) {
            return s == segments.size();
        }
        String segment = pattern.get(p);
        if (segment.equals("**")) {
            for (int skip = s; skip <= segments.size(); skip++) {
                if (matches(pattern, p + 1, segments, skip, one)) {
                    return true;
                }
            }
            return false;
        }
        return s < segments.size() && one.test(segment, segments.get(s)) && matches(pattern, p + 1, segments, s + 1, one);
    }
}
