package io.locusfs.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
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
    private volatile long lastReload;

    public SystemAccounts() {
        reload();
    }

    /** Reads the user and group databases again. */
    synchronized void reload() {
        users = read("passwd");
        groups = read("group");
        lastReload = System.nanoTime();
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

    private static Map<Long, String> read(String database) {
        Map<Long, String> byId = new HashMap<>();
        try {
            Process p = new ProcessBuilder("getent", database).redirectErrorStream(false).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            for (String line : text.split("\n")) {
                String[] f = line.split(":");
                if (f.length >= 3) {
                    try {
                        byId.putIfAbsent(Long.parseLong(f[2]), f[0]);
                    } catch (NumberFormatException e) {
                        // A malformed line: skip it.
                    }
                }
            }
        } catch (IOException e) {
            return byId;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return byId;
    }
}
