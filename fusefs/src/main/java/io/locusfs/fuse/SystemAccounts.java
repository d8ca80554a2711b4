package io.locusfs.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The system's users and groups by number, from {@code getent passwd} and {@code getent group}
 * (so every NSS source counts, not only /etc files), and the groups of a calling process from
 * {@code /proc/PID/status}. Reloaded with the policy, and once when an unknown uid shows up.
 * Thread-safe.
 */
public final class SystemAccounts {
    private volatile Map<Long, String> users = Map.of();
    private volatile Map<Long, String> groups = Map.of();
    /** Each user's groups by name, primary and supplementary, from the two databases (for explanations). */
    private volatile Map<String, Set<String>> membership = Map.of();
    private volatile long lastReload;

    public SystemAccounts() {
        reload();
    }

    /** Reads the user and group databases again. */
    synchronized void reload() {
        List<String[]> passwd = read("passwd");
        List<String[]> group = read("group");
        users = byId(passwd);
        groups = byId(group);
        Map<String, Set<String>> members = new HashMap<>();
        for (String[] u : passwd) {
            if (u.length > 3) {
                members.computeIfAbsent(u[0], k -> new LinkedHashSet<>()).add(groups.getOrDefault(parse(u[3]), u[3]));
            }
        }
        for (String[] g : group) {
            if (g.length > 3) {
                for (String member : g[3].split(",")) {
                    if (!member.isEmpty()) {
                        members.computeIfAbsent(member, k -> new LinkedHashSet<>()).add(g[0]);
                    }
                }
            }
        }
        membership = members;
        lastReload = System.nanoTime();
    }

    /** The groups user {@code name} belongs to, as the databases say (a process may run with fewer). */
    Set<String> groupsOfUser(String name) {
        return membership.getOrDefault(name, Set.of());
    }

    /** The users in any of {@code groupNames} (by the databases), each with all their groups. */
    Map<String, Set<String>> membersOf(Set<String> groupNames) {
        Map<String, Set<String>> found = new HashMap<>();
        membership.forEach((user, groups) -> {
            if (groups.stream().anyMatch(groupNames::contains)) {
                found.put(user, groups);
            }
        });
        return found;
    }

    /** True when the user database has a user named {@code name} (read again if it was not found). */
    boolean hasUser(String name) {
        if (!membership.containsKey(name) && System.nanoTime() - lastReload > 1_000_000_000L) {
            reload();
        }
        return users.containsValue(name);
    }

    /** The command name of process {@code pid} ({@code /proc/PID/comm}), if it still runs. */
    static Optional<String> commandOf(long pid) {
        try {
            return Optional.of(Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** "PATH (pid N, COMMAND)": a file and the process that opened it, for a refusal that names them. */
    static String openedBy(String path, long pid) {
        return path + (pid > 0 ? " (pid " + pid + commandOf(pid).map(c -> ", " + c).orElse("") + ")" : "");
    }

    /** The names of every group the system knows. */
    public Set<String> groupNames() {
        return new LinkedHashSet<>(groups.values());
    }

    /** The name of {@code uid}, or the number itself when the system has no such user. */
    String userName(long uid) {
        String name = users.get(uid);
        if (name == null && System.nanoTime() - lastReload > 5_000_000_000L) {
            reload(); // A user added since the last load; at most every 5 s.
            name = users.get(uid);
        }
        return name != null ? name : Long.toString(uid);
    }

    /** The names of the groups process {@code pid} runs with: its primary {@code gid} and its supplementary groups. */
    Set<String> groupsOf(long pid, long gid) {
        Set<String> names = new LinkedHashSet<>();
        names.add(groups.getOrDefault(gid, Long.toString(gid)));
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Groups:")) {
                    for (String g : line.substring(7).trim().split("\\s+")) {
                        if (!g.isEmpty()) {
                            long id = Long.parseLong(g);
                            names.add(groups.getOrDefault(id, g));
                        }
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            // The process is gone or unreadable: its primary group is all we know.
        }
        return names;
    }

    private static Map<Long, String> byId(List<String[]> entries) {
        Map<Long, String> byId = new HashMap<>();
        for (String[] f : entries) {
            if (f.length >= 3 && parse(f[2]) != null) {
                byId.putIfAbsent(parse(f[2]), f[0]);
            }
        }
        return byId;
    }

    private static Long parse(String number) {
        try {
            return Long.parseLong(number);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The entries of a database, each split at ':' (name, password, id, …). */
    private static List<String[]> read(String database) {
        List<String[]> entries = new ArrayList<>();
        try {
            Process p = new ProcessBuilder("getent", database).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            for (String line : text.split("\n")) {
                if (!line.isBlank()) {
                    entries.add(line.split(":", -1));
                }
            }
        } catch (IOException e) {
            return entries;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return entries;
    }
}
