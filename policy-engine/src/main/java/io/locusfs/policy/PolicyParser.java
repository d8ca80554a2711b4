package io.locusfs.policy;

import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ZonePattern;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.Function;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Reads a policy file (TOML; the format and every key are in docs/REFERENCE.md) and
 * compiles it into a {@link Policy}. Every problem is reported as {@code FILE:LINE:COLUMN: what}
 * — unknown keys, malformed zone paths, bad distances, unknown groups, TOML syntax — all of them
 * at once, and a file with any problem gives no policy at all: nothing is ever half-parsed.
 */
public final class PolicyParser {
    private static final Set<String> TOP = Set.of("version", "groups", "claims", "access", "placement");
    private static final Set<String> ACCESS_KEYS = Set.of("name", "paths", "access", "effect", "users", "groups",
            "caller_in", "file_in", "within_km", "together");
    private static final Set<String> TOGETHER_KEYS = Set.of("group", "at_least", "within_m");
    private static final Set<String> PLACEMENT_KEYS = Set.of("name", "paths", "allow", "deny", "replicas");
    private static final Set<String> CLAIMS_KEYS = Set.of("directory", "authorities", "caller_default");

    private final Path file;
    private final Set<String> systemGroups;
    private final List<String> errors = new ArrayList<>();

    private PolicyParser(Path file, Set<String> systemGroups) {
        this.file = file;
        this.systemGroups = systemGroups;
    }

    /**
     * Parses {@code file}. {@code systemGroups} are the groups the system knows (a rule may name
     * one without defining it in [groups]); null skips that check.
     *
     * @throws PolicyException listing every problem, each with file, line and column
     */
    public static Policy parse(Path file, Set<String> systemGroups) throws PolicyException {
        String text;
        try {
            text = ConfigFields.readUtf8(file);
        } catch (ConfigFields.Invalid e) {
            throw new PolicyException(List.of(e.getMessage()));
        } catch (IOException e) {
            throw new PolicyException(List.of(file + ": cannot read the policy: " + e.getMessage()));
        }
        return parse(file, text, systemGroups);
    }

    /** Parses {@code text} as the contents of {@code file} (named in errors). */
    public static Policy parse(Path file, String text, Set<String> systemGroups) throws PolicyException {
        return new PolicyParser(file, systemGroups).run(text);
    }

    private Policy run(String text) throws PolicyException {
        TomlParseResult toml = Toml.parse(text);
        toml.errors().forEach(e -> error(e.position(), e.getMessage()));
        if (!errors.isEmpty()) {
            throw new PolicyException(errors);
        }
        unknownKeys(toml, TOP, "the policy");
        if (toml.contains("version") && !Long.valueOf(1).equals(toml.get("version"))) {
            error(toml.inputPositionOf("version"), "unsupported policy version " + toml.get("version") + " (this locusfs reads version 1)");
        }
        Map<String, Set<String>> groups = groups(toml);
        Policy.Claims claims = claims(toml);
        List<Policy.AccessRule> access = new ArrayList<>();
        List<Policy.PlacementRule> placement = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int order = 0;
        for (TomlTable rule : tables(toml, "access")) {
            Policy.AccessRule parsed = accessRule(rule, order++, groups);
            if (parsed != null && !names.add(parsed.name())) {
                error(rule.inputPositionOf("name"), "rule name '" + parsed.name() + "' is used twice");
            }
            access.add(parsed);
        }
        for (TomlTable rule : tables(toml, "placement")) {
            Policy.PlacementRule parsed = placementRule(rule, order++);
            if (parsed != null && !names.add(parsed.name())) {
                error(rule.inputPositionOf("name"), "rule name '" + parsed.name() + "' is used twice");
            }
            placement.add(parsed);
        }
        if (!errors.isEmpty()) {
            throw new PolicyException(errors);
        }
        return new Policy(file, access, placement, groups, claims);
    }

    private Map<String, Set<String>> groups(TomlParseResult toml) {
        Map<String, Set<String>> groups = new LinkedHashMap<>();
        if (!toml.contains("groups")) {
            return groups;
        }
        if (!toml.isTable("groups")) {
            error(toml.inputPositionOf("groups"), "'groups' must be a table: [groups] then name = [\"user\", …]");
            return groups;
        }
        TomlTable table = toml.getTable("groups");
        for (String name : table.keySet()) {
            groups.put(name, new LinkedHashSet<>(strings(table, name, s -> s)));
        }
        return groups;
    }

    private Policy.Claims claims(TomlParseResult toml) {
        if (!toml.contains("claims")) {
            return new Policy.Claims(Optional.empty(), Map.of(), Policy.CallerDefault.NODE);
        }
        if (!toml.isTable("claims")) {
            error(toml.inputPositionOf("claims"), "'claims' must be a table: [claims]");
            return new Policy.Claims(Optional.empty(), Map.of(), Policy.CallerDefault.NODE);
        }
        TomlTable table = toml.getTable("claims");
        unknownKeys(table, CLAIMS_KEYS, "[claims]");
        Optional<Path> directory = Optional.ofNullable(string(table, "directory")).map(this::relative);
        Map<String, PublicKey> authorities = new HashMap<>();
        List<String> keys = strings(table, "authorities", s -> s);
        for (int i = 0; i < keys.size(); i++) {
            Path keyFile = relative(keys.get(i));
            try {
                PublicKey key = NodeIdentity.loadPublicKey(keyFile);
                authorities.put(NodeIdentity.nodeIdOf(key), key);
            } catch (IOException e) {
                error(table.getArray("authorities").inputPositionOf(i), "cannot read authority key " + keyFile + ": " + e.getMessage());
            }
        }
        String callerDefault = string(table, "caller_default");
        Policy.CallerDefault fallback = Policy.CallerDefault.NODE;
        if (callerDefault != null) {
            switch (callerDefault) {
                case "node" -> fallback = Policy.CallerDefault.NODE;
                case "none" -> fallback = Policy.CallerDefault.NONE;
                default -> error(table.inputPositionOf("caller_default"), "caller_default must be \"node\" or \"none\", not \""
                        + callerDefault + "\"");
            }
        }
        return new Policy.Claims(directory, authorities, fallback);
    }

    private Policy.AccessRule accessRule(TomlTable rule, int order, Map<String, Set<String>> groups) {
        unknownKeys(rule, ACCESS_KEYS, "an [[access]] rule");
        String name = ruleName(rule, "access", order);
        List<PathPattern> paths = paths(rule);
        Set<String> users = new LinkedHashSet<>(strings(rule, "users", s -> s));
        Set<String> ruleGroups = new LinkedHashSet<>();
        List<String> groupNames = strings(rule, "groups", s -> s);
        for (int i = 0; i < groupNames.size(); i++) {
            String g = groupNames.get(i);
            if (!groups.containsKey(g) && systemGroups != null && !systemGroups.contains(g)) {
                error(rule.getArray("groups").inputPositionOf(i), "unknown group '" + g
                        + "': define it in [groups] or create it on the system");
            }
            ruleGroups.add(g);
        }
        Policy.Access access = Policy.Access.READ_WRITE;
        String accessText = string(rule, "access");
        if (accessText != null) {
            switch (accessText) {
                case "read" -> access = Policy.Access.READ;
                case "write" -> access = Policy.Access.WRITE;
                case "read-write" -> access = Policy.Access.READ_WRITE;
                default -> error(rule.inputPositionOf("access"), "access must be \"read\", \"write\" or \"read-write\", not \""
                        + accessText + "\"");
            }
        }
        Policy.Effect effect = Policy.Effect.ALLOW;
        String effectText = string(rule, "effect");
        if (effectText != null) {
            switch (effectText) {
                case "allow" -> effect = Policy.Effect.ALLOW;
                case "deny" -> effect = Policy.Effect.DENY;
                default -> error(rule.inputPositionOf("effect"), "effect must be \"allow\" or \"deny\", not \"" + effectText + "\"");
            }
        }
        OptionalDouble within = OptionalDouble.empty();
        if (rule.contains("within_km")) {
            Object v = rule.get("within_km");
            double km = v instanceof Long l ? l : v instanceof Double d ? d : Double.NaN;
            if (!(km >= 0) || Double.isInfinite(km)) {
                error(rule.inputPositionOf("within_km"), "within_km must be a distance in km, a number of 0 or more, not " + v);
            } else {
                within = OptionalDouble.of(km);
            }
        }
        return new Policy.AccessRule(name, order, line(rule), paths, users, ruleGroups, access, effect,
                zones(rule, "caller_in"), zones(rule, "file_in"), within, together(rule, groups));
    }

    /** {@code together = { group = "auditors", at_least = 2, within_m = 100 }}, every key required. */
    private Optional<Policy.Together> together(TomlTable rule, Map<String, Set<String>> groups) {
        if (!rule.contains("together")) {
            return Optional.empty();
        }
        if (!rule.isTable("together")) {
            error(rule.inputPositionOf("together"), "together must be a table: together = { group = \"auditors\", at_least = 2, within_m = 100 }");
            return Optional.empty();
        }
        TomlTable t = rule.getTable("together");
        unknownKeys(t, TOGETHER_KEYS, "together");
        int errorsBefore = errors.size();
        String group = string(t, "group");
        if (group == null) {
            error(rule.inputPositionOf("together"), "together needs a group (group = \"auditors\")");
        } else if (!groups.containsKey(group) && systemGroups != null && !systemGroups.contains(group)) {
            error(t.inputPositionOf("group"), "unknown group '" + group + "': define it in [groups] or create it on the system");
        }
        Object n = t.get("at_least");
        if (!(n instanceof Long count && count >= 1 && count <= 1000)) {
            error(t.contains("at_least") ? t.inputPositionOf("at_least") : rule.inputPositionOf("together"),
                    "together needs at_least, a whole number of people from 1 to 1000" + (n == null ? "" : ", not " + n));
        }
        Object m = t.get("within_m");
        double metres = m instanceof Long l ? l : m instanceof Double d ? d : Double.NaN;
        if (!(metres >= 0) || Double.isInfinite(metres)) {
            error(t.contains("within_m") ? t.inputPositionOf("within_m") : rule.inputPositionOf("together"),
                    "together needs within_m, a distance in metres of 0 or more" + (m == null ? "" : ", not " + m));
        }
        if (errors.size() > errorsBefore) {
            return Optional.empty();
        }
        return Optional.of(new Policy.Together(group, ((Long) n).intValue(), metres));
    }

    private Policy.PlacementRule placementRule(TomlTable rule, int order) {
        unknownKeys(rule, PLACEMENT_KEYS, "a [[placement]] rule");
        String name = ruleName(rule, "placement", order);
        int replicas = 1;
        if (rule.contains("replicas")) {
            Object v = rule.get("replicas");
            if (v instanceof Long n && n >= 1 && n <= 100) {
                replicas = n.intValue();
            } else {
                error(rule.inputPositionOf("replicas"), "replicas must be a whole number from 1 to 100, not " + v);
            }
        }
        return new Policy.PlacementRule(name, order, line(rule), paths(rule), zones(rule, "allow"), zones(rule, "deny"), replicas);
    }

    private String ruleName(TomlTable rule, String kind, int order) {
        String name = string(rule, "name");
        return name != null ? name : kind + "-" + (order + 1) + "@line" + line(rule);
    }

    private List<PathPattern> paths(TomlTable rule) {
        if (!rule.contains("paths")) {
            error(position(rule), "the rule has no 'paths' (e.g. paths = [\"/projects/**\"])");
            return List.of();
        }
        return strings(rule, "paths", PathPattern::parse);
    }

    private List<ZonePattern> zones(TomlTable rule, String key) {
        return strings(rule, key, ZonePattern::parse);
    }

    /** The array of strings at {@code key}, each converted; a bad element is an error at its own position. */
    private <T> List<T> strings(TomlTable table, String key, Function<String, T> convert) {
        List<T> out = new ArrayList<>();
        if (!table.contains(key)) {
            return out;
        }
        if (!table.isArray(key)) {
            error(table.inputPositionOf(key), "'" + key + "' must be an array of strings, e.g. " + key + " = [\"…\"]");
            return out;
        }
        TomlArray array = table.getArray(key);
        for (int i = 0; i < array.size(); i++) {
            Object v = array.get(i);
            if (!(v instanceof String s)) {
                error(array.inputPositionOf(i), "'" + key + "' must hold strings, not " + v);
                continue;
            }
            try {
                out.add(convert.apply(s));
            } catch (IllegalArgumentException e) {
                error(array.inputPositionOf(i), e.getMessage());
            }
        }
        return out;
    }

    private String string(TomlTable table, String key) {
        if (!table.contains(key)) {
            return null;
        }
        if (!table.isString(key)) {
            error(table.inputPositionOf(key), "'" + key + "' must be a string in quotes");
            return null;
        }
        return table.getString(key);
    }

    private List<TomlTable> tables(TomlParseResult toml, String key) {
        List<TomlTable> out = new ArrayList<>();
        if (!toml.contains(key)) {
            return out;
        }
        if (!toml.isArray(key)) {
            error(toml.inputPositionOf(key), "'" + key + "' rules are written [[" + key + "]]");
            return out;
        }
        TomlArray array = toml.getArray(key);
        for (int i = 0; i < array.size(); i++) {
            if (array.get(i) instanceof TomlTable table) {
                out.add(table);
            } else {
                error(array.inputPositionOf(i), "'" + key + "' rules are written [[" + key + "]]");
            }
        }
        return out;
    }

    private void unknownKeys(TomlTable table, Set<String> known, String where) {
        for (String key : table.keySet()) {
            if (!known.contains(key)) {
                error(table.inputPositionOf(key), "unknown key '" + key + "' in " + where + " (known: "
                        + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    /** The position of a table: that of its first key. */
    private static TomlPosition position(TomlTable table) {
        TomlPosition first = null;
        for (String key : table.keySet()) {
            TomlPosition p = table.inputPositionOf(key);
            if (p != null && (first == null || p.line() < first.line())) {
                first = p;
            }
        }
        return first;
    }

    private static int line(TomlTable table) {
        TomlPosition p = position(table);
        return p == null ? 0 : p.line();
    }

    private Path relative(String path) {
        Path p = Path.of(path);
        return p.isAbsolute() || file.getParent() == null ? p : file.getParent().resolve(p);
    }

    private void error(TomlPosition at, String message) {
        errors.add(file + (at == null ? "" : ":" + at.line() + ":" + at.column()) + ": " + message);
    }
}
