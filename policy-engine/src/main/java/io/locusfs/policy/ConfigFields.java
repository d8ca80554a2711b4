package io.locusfs.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Typed reads of the keys of one table of a TOML configuration file, each error naming the file,
 * the key's line and column and the problem. Durations are a number and a unit ({@code s},
 * {@code m}, {@code h}, {@code d}, {@code w}) or {@code 0}; sizes a number and {@code K},
 * {@code M}, {@code G} or {@code T} (powers of 1024).
 */
public record ConfigFields(Path file, TomlTable table) {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*([smhdw])");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]?)i?B?", Pattern.CASE_INSENSITIVE);

    /** A configuration that cannot be used: the message names the file, the line and the problem. */
    public static final class Invalid extends IOException {
        public Invalid(String message) {
            super(message);
        }
    }

    /**
     * Parses {@code text}, the contents of {@code file}, and reads its top level: a syntax error,
     * or a top-level name not in {@code known}, is an error naming the line and column.
     */
    public static ConfigFields top(Path file, String text, java.util.Set<String> known, String knownText) throws Invalid {
        org.tomlj.TomlParseResult root = org.tomlj.Toml.parse(text);
        if (root.hasErrors()) {
            org.tomlj.TomlParseError e = root.errors().get(0);
            throw new Invalid(file + ":" + e.position().line() + ":" + e.position().column() + ": " + e.getMessage());
        }
        ConfigFields top = new ConfigFields(file, root);
        top.onlyKeys(known, "unknown table or key '%s' (known: " + knownText + ")");
        return top;
    }

    /** Refuses any key of this table not in {@code known}; {@code message} has a %s for the key. */
    public void onlyKeys(java.util.Set<String> known, String message) throws Invalid {
        for (String key : table.keySet()) {
            if (!known.contains(key)) {
                throw invalid(key, String.format(Locale.ROOT, message, key));
            }
        }
    }

    /** An error about {@code key}, at its line and column. */
    public Invalid invalid(String key, String problem) {
        TomlPosition at = table.inputPositionOf(key);
        return new Invalid(file + (at == null ? "" : ":" + at.line() + ":" + at.column()) + ": " + problem);
    }

    public String string(String key, String fallback) throws Invalid {
        if (!table.contains(key)) {
            return fallback;
        }
        if (!table.isString(key)) {
            throw invalid(key, "'" + key + "' must be a string in quotes");
        }
        return table.getString(key);
    }

    public boolean bool(String key) throws Invalid {
        if (!table.contains(key)) {
            return false;
        }
        if (!table.isBoolean(key)) {
            throw invalid(key, "'" + key + "' must be true or false");
        }
        return table.getBoolean(key);
    }

    public long integer(String key, long fallback, long min, long max) throws Invalid {
        if (!table.contains(key)) {
            return fallback;
        }
        if (!table.isLong(key) || table.getLong(key) < min || table.getLong(key) > max) {
            throw invalid(key, "'" + key + "' must be a whole number from " + min + " to " + max);
        }
        return table.getLong(key);
    }

    public Duration duration(String key, Duration fallback) throws Invalid {
        String text = string(key, null);
        if (text == null) {
            return fallback;
        }
        try {
            return parseDuration(text);
        } catch (IllegalArgumentException e) {
            throw invalid(key, e.getMessage());
        }
    }

    /** A size in bytes; 0 when absent. */
    public long size(String key) throws Invalid {
        String text = string(key, null);
        if (text == null) {
            return 0;
        }
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            throw invalid(key, "'" + text + "' is not a size (a number and K, M, G or T, e.g. \"100G\")");
        }
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        return Long.parseLong(m.group(1)) << shift;
    }

    /**
     * Parses a duration: {@code 0}, or a number and {@code s}, {@code m}, {@code h}, {@code d} or {@code w}.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static Duration parseDuration(String text) {
        if (text.strip().equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (a number and s, m, h, d or w, e.g. \"15m\")");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofDays(7 * n);
        };
    }
}
