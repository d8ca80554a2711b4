package io.locusfs.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Reads /proc/self/mountinfo to find LocusFS mounts: which store is mounted where. A LocusFS
 * mount has file system type {@code fuse.locusfs} and the store path as its source.
 */
public final class MountTable {
    public static final String FS_TYPE = "fuse.locusfs";

    private MountTable() {
    }

    /** A mounted file system: where, what type, from which source. */
    public record Mount(Path mountPoint, String type, String source) {
    }

    /** The mount at exactly {@code mountPoint}, if any (of any file system type). */
    public static Optional<Mount> at(Path mountPoint) throws IOException {
        Path wanted = mountPoint.toAbsolutePath().normalize();
        Optional<Mount> found = Optional.empty();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            // Fields: id parent major:minor root mountpoint options [optional...] - type source superoptions
            String[] fields = line.split(" ");
            int dash = Arrays.asList(fields).indexOf("-");
            if (fields.length < 5 || dash < 0 || dash + 2 >= fields.length) {
                continue;
            }
            Path point = Path.of(unescape(fields[4]));
            if (point.equals(wanted)) {
                found = Optional.of(new Mount(point, fields[dash + 1], unescape(fields[dash + 2])));
            }
        }
        return found; // The last match is the one on top.
    }

    /** Undoes the octal escapes (\040 for space and so on) of mountinfo. */
    static String unescape(String field) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
