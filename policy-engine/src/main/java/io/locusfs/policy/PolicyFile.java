package io.locusfs.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The policy in force, loaded from a file and reloaded when asked (on a change of the file or a
 * SIGHUP): a new version that does not parse is reported and the previous policy stays in force,
 * so nothing is ever enforced half-parsed. Thread-safe; reads are a volatile load.
 */
public final class PolicyFile {
    private final Path file;
    private final Supplier<Set<String>> systemGroups;
    private volatile Policy current;
    private FileTime loadedTime;

    private PolicyFile(Path file, Supplier<Set<String>> systemGroups, Policy current, FileTime loadedTime) {
        this.file = file;
        this.systemGroups = systemGroups;
        this.current = current;
        this.loadedTime = loadedTime;
    }

    /**
     * Loads {@code file}; {@code systemGroups} gives the groups the system knows at each load.
     *
     * @throws PolicyException when it does not parse (nothing is enforced then)
     */
    public static PolicyFile load(Path file, Supplier<Set<String>> systemGroups) throws PolicyException {
        FileTime time = modified(file);
        return new PolicyFile(file, systemGroups, PolicyParser.parse(file, systemGroups.get()), time);
    }

    public Policy current() {
        return current;
    }

    public Path file() {
        return file;
    }

    /** Reloads when the file changed since the last load; true when it did. */
    public synchronized boolean reloadIfChanged() throws PolicyException {
        FileTime time = modified(file);
        if (time != null && !time.equals(loadedTime)) {
            reload();
            return true;
        }
        return false;
    }

    /**
     * Reloads now.
     *
     * @throws PolicyException when the new version does not parse; the previous policy stays in force
     */
    public synchronized void reload() throws PolicyException {
        FileTime time = modified(file);
        loadedTime = time; // A broken version is reported once, not at every check.
        current = PolicyParser.parse(file, systemGroups.get());
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return null;
        }
    }
}
