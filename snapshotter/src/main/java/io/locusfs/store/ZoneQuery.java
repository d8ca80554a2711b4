package io.locusfs.store;

import io.locusfs.xattr.ZonePattern;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Answers "which files live in zones matching P?" from the store's tables, never by walking
 * directories: a file lives where its own signed record says (the rare file that came from
 * elsewhere, found by one scan of the xattr table) or else where the whole store lives (one
 * comparison). Paths are rebuilt from one scan of the entry table. Cost: one pass over the
 * entries, about 0.1 s per 100,000 files. Reads a consistent view of the live tree.
 */
public final class ZoneQuery {
    private final Store store;
    private final Versions versions;

    public ZoneQuery(Store store) {
        this.store = store;
        this.versions = new Versions(store);
    }

    /** The paths (one per file, its first name) of the files whose data lives in a zone matching {@code pattern}. */
    public List<String> paths(ZonePattern pattern) {
        long epoch = store.currentEpoch();
        // View.locationRecord's rule over a whole scan, rather than a read per file: the files with
        // records of their own first, then every other file takes the store's.
        Map<Long, Boolean> ownRecordMatches = new HashMap<>();
        versions.scan(store.xattrs, new byte[0], null, epoch, (prefix, value) -> {
            if (Arrays.equals(Keys.nameOf(prefix), View.RECORD_NAME)) {
                long ino = Keys.getLong(prefix, 0);
                ownRecordMatches.put(ino, pattern.matches(View.ownRecord(ino, value, 1).zone()));
            }
            return true;
        });
        boolean storeMatches = pattern.matches(store.location().zone());
        Map<Long, Long> parentOf = new HashMap<>();
        Map<Long, byte[]> nameOf = new HashMap<>();
        List<Long> matching = new ArrayList<>();
        versions.scan(store.dirents, new byte[0], null, epoch, (prefix, value) -> {
            long child = Keys.getLong(value, 0);
            if (parentOf.putIfAbsent(child, Keys.getLong(prefix, 0)) == null) {
                nameOf.put(child, Keys.nameOf(prefix));
                if (ownRecordMatches.getOrDefault(child, storeMatches)) {
                    matching.add(child);
                }
            }
            return true;
        });
        List<String> paths = new ArrayList<>(matching.size());
        for (long ino : matching) {
            paths.add(pathOf(ino, parentOf, nameOf));
        }
        paths.sort(null);
        return paths;
    }

    private static String pathOf(long ino, Map<Long, Long> parentOf, Map<Long, byte[]> nameOf) {
        List<byte[]> names = new ArrayList<>();
        for (long at = ino; at != Store.ROOT_INO && nameOf.containsKey(at); at = parentOf.get(at)) {
            names.add(nameOf.get(at));
        }
        StringBuilder path = new StringBuilder();
        for (int i = names.size() - 1; i >= 0; i--) {
            path.append('/').append(new String(names.get(i), StandardCharsets.ISO_8859_1));
        }
        return path.toString();
    }
}
