package io.locusfs.policy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tomlj.Toml;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Typed reads of the keys of the tables of one TOML configuration file. A read that finds a
 * problem notes it, naming the key's line and column, and goes on with the fallback, so that one
 * pass finds every problem; {@link #check()} then throws them all, sorted by line. The readers of
 * one file share their problems ({@link #of}). Durations are a number and a unit ({@code s},
 * {@code m}, {@code h}, {@code d}, {@code w}) or {@code 0}; sizes a number and {@code K},
 * {@code M}, {@code G} or {@code T} (powers of 1024).
 */
public final class ConfigFields {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*([smhdw])");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]?)i?B?", Pattern.CASE_INSENSITIVE);

    /** A configuration that cannot be used: one line per problem, each naming the file, the line and the problem. */
    public static final class Invalid extends IOException {
        public Invalid(String message) {
            super(message);
        }
    }

    private record Problem(long line, long column, String text) {
    }

    private final Path file;
    private final TomlTable table;
    private final List<Problem> problems;

    private ConfigFields(Path file, TomlTable table, List<Problem> problems) {
        this.file = file;
        this.table = table;
        this.problems = problems;
    }

    /**
     * Parses {@code text}, the contents of {@code file}, and reads its top level: TOML syntax
     * errors are thrown at once (every one of them); a top-level name not in {@code known} is a problem.
     */
    public static ConfigFields top(Path file, String text, Set<String> known, String knownText) throws Invalid {
        TomlParseResult root = Toml.parse(text);
        ConfigFields top = new ConfigFields(file, root, new ArrayList<>());
        if (root.hasErrors()) {
            for (TomlParseError e : root.errors()) {
                top.problems.add(new Problem(e.position().line(), e.position().column(), e.getMessage()));
            }
            top.check();
        }
        top.onlyKeys(known, "unknown table or key '%s' (known: " + knownText + ")");
        return top;
    }

    /** The reader of another table of the same file, noting its problems with these. */
    public ConfigFields of(TomlTable other) {
        return new ConfigFields(file, other, problems);
    }

    public Path file() {
        return file;
    }

    public TomlTable table() {
        return table;
    }

    /** Throws every problem noted so far, sorted by line and column, one per line. */
    public void check() throws Invalid {
        if (problems.isEmpty()) {
            return;
        }
        List<String> lines = new ArrayList<>();
        problems.stream().sorted(Comparator.comparingLong(Problem::line).thenComparingLong(Problem::column))
                .forEach(p -> lines.add(file + (p.line() > 0 ? ":" + p.line() + (p.column() > 0 ? ":" + p.column() : "") : "") + ": " + p.text()));
        throw new Invalid(String.join("\n", lines));
    }

    /** The text of {@code file}; a missing or unreadable file, or bytes that are not UTF-8 (naming their line), are an {@link Invalid}. */
    public static String readUtf8(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new Invalid(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new Invalid(file + ": permission denied");
        } catch (IOException e) {
            throw new Invalid(Files.isDirectory(file) ? file + " is a directory, not a configuration file"
                    : file + ": cannot be read (" + e.getMessage() + ")");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            int line = 1;
            String good = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            int bad = good.indexOf('\uFFFD');
            for (int i = 0; i < Math.max(bad, 0); i++) {
                line += good.charAt(i) == '\n' ? 1 : 0;
            }
            throw new Invalid(file + ":" + line + ": not UTF-8 text (a TOML file must be UTF-8)");
        }
    }

    /** Notes any key of this table not in {@code known}; {@code message} has a %s for the key. */
    public void onlyKeys(Set<String> known, String message) {
        for (String key : table.keySet()) {
            if (!known.contains(key)) {
                problem(key, String.format(Locale.ROOT, message, key));
            }
        }
    }

    /** Notes a problem with {@code key}, at its line and column. */
    public void problem(String key, String text) {
        TomlPosition at = table.inputPositionOf(key);
        problems.add(new Problem(at == null ? 0 : at.line(), at == null ? 0 : at.column(), text));
    }

    /** Notes a problem at {@code line} (0: the file as a whole). */
    public void problemAtLine(long line, String text) {
        problems.add(new Problem(line, 0, text));
    }

    public String string(String key, String fallback) {
        if (!table.contains(key)) {
            return fallback;
        }
        if (!table.isString(key)) {
            problem(key, "'" + key + "' must be a string in quotes");
            return fallback;
        }
        return table.getString(key);
    }

    public boolean bool(String key) {
        if (!table.contains(key)) {
            return false;
        }
        if (!table.isBoolean(key)) {
            problem(key, "'" + key + "' must be true or false");
            return false;
        }
        return table.getBoolean(key);
    }

    public long integer(String key, long fallback, long min, long max) {
        if (!table.contains(key)) {
            return fallback;
        }
        if (!table.isLong(key) || table.getLong(key) < min || table.getLong(key) > max) {
            problem(key, "'" + key + "' must be a whole number from " + min + " to " + max);
            return fallback;
        }
        return table.getLong(key);
    }

    public Duration duration(String key, Duration fallback) {
        String text = string(key, null);
        if (text == null) {
            return fallback;
        }
        try {
            return parseDuration(text);
        } catch (IllegalArgumentException e) {
            problem(key, e.getMessage());
            return fallback;
        }
    }

    /** A size in bytes; 0 when absent. */
    public long size(String key) {
        String text = string(key, null);
        if (text == null) {
            return 0;
        }
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            problem(key, "'" + text + "' is not a size (a number and K, M, G or T, e.g. \"100G\")");
            return 0;
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
