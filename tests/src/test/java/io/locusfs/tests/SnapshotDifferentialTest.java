package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A random sequence of writes, truncates, renames, deletes, hard links, symlinks, chmods and
 * xattr changes on a real mount, with a snapshot every few steps and a reference copy taken with
 * {@code cp -a} beside each. Afterwards every {@code .snapshots/NAME} must equal its reference
 * ({@code diff -r} and a manifest of types, modes, times, sizes, sha256, links and xattrs), and
 * every {@code snapshot diff} must equal the difference between the references.
 */
class SnapshotDifferentialTest {
    private static final String MANIFEST = MountedStore.HOME.resolve("tests/src/test/resources/manifest.py").toString();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Random random = new Random(Long.getLong("locusfs.seed", 20261124L));
    /** Regular file paths (relative) → the id of their inode, so hard links share one. */
    private final TreeMap<String, Integer> files = new TreeMap<>();
    private final TreeSet<String> dirs = new TreeSet<>();
    private final TreeSet<String> symlinks = new TreeSet<>();
    private int nextId;

    @Test
    void everySnapshotAndEveryDiffMatchesTheReferenceCopies() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            Path refs = m.root.resolve("refs");
            List<String> names = new ArrayList<>();
            for (int step = 1; step <= 160; step++) {
                Shell.ok("cd " + m.mnt + " && " + randomOperation());
                if (step % 12 == 0) {
                    String name = "s" + names.size();
                    Shell.ok(MountedStore.LOCUSFS + " snapshot create " + m.store + " " + name);
                    Shell.ok("mkdir -p " + refs.resolve(name) + " && cp -a " + m.mnt + "/. " + refs.resolve(name) + "/");
                    names.add(name);
                }
            }
            Shell.ok("mkdir -p " + refs.resolve("live") + " && cp -a " + m.mnt + "/. " + refs.resolve("live") + "/");
            for (String name : names) {
                Path snapshot = m.mnt.resolve(".snapshots").resolve(name);
                Shell.ok("diff -r --no-dereference " + snapshot + " " + refs.resolve(name));
                assertEquals(manifest(refs.resolve(name)), manifest(snapshot), "snapshot " + name + " differs from its reference");
            }
            for (int i = 1; i < names.size(); i++) {
                checkDiff(m, refs, names.get(i - 1), names.get(i));
            }
            checkDiff(m, refs, names.get(0), names.get(names.size() - 1));
            checkDiff(m, refs, names.get(names.size() - 1), null);
            m.unmount();
            m.assertFsckClean();
        }
    }

    /**
     * Issue 21 #3: ordinary snapshot use (deleting the newest snapshot, then overwriting; rolling
     * back to any snapshot; retention thinning) must leave no version behind that nobody sees. A
     * random history of writes, snapshots (by hand and scheduled), deletions of any snapshot,
     * rollbacks to any and thinning, with fsck clean every few rounds; at the end, with everything
     * removed, the store gives its space back.
     */
    @Test
    void deletionsRollbacksAndThinningLeaveNothingUnseenAndGiveTheSpaceBack() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            // The grid keeps the newest scheduled snapshot of each hour: a thin deletes all older ones of this run.
            java.nio.file.Files.writeString(m.store.resolve("locusfs.toml"), "[snapshots]\nkeep_all = \"0\"\nhourly = \"1d\"\n");
            String l = MountedStore.LOCUSFS;
            long emptyBytes = storeBytes(m);
            List<String> names = new ArrayList<>();
            int made = 0;
            for (int step = 1; step <= 150; step++) {
                Shell.ok("cd " + m.mnt + " && " + randomOperation());
                if (step % 5 != 0) {
                    continue;
                }
                // A scheduled snapshot also makes the daemon apply the grid: what exists is read back.
                names.retainAll(List.of(Shell.ok("ls " + m.mnt + "/.snapshots").split("\n")));
                int what = random.nextInt(10);
                if (what < 4 || names.isEmpty()) {
                    String name = "h" + made++;
                    Shell.ok(l + " snapshot create " + (random.nextBoolean() ? "--scheduled " : "") + "--mount " + m.mnt + " " + name);
                    names.add(name);
                } else if (what < 7) {
                    deleteUnlessThinned(m, names.remove(random.nextInt(names.size())));
                } else if (what < 9) {
                    Shell.ok(l + " snapshot rollback --force --mount " + m.mnt + " " + names.get(random.nextInt(names.size())));
                    resyncModel(m);
                } else {
                    Shell.ok(l + " snapshot thin --mount " + m.mnt);
                }
                if (step % 50 == 0) {
                    m.unmount();
                    m.assertFsckClean();
                    m.mount();
                }
            }
            Shell.ok("cd " + m.mnt + " && find . -mindepth 1 -maxdepth 1 ! -name .snapshots -exec rm -rf {} +");
            for (String name : Shell.ok("ls " + m.mnt + "/.snapshots").split("\n")) {
                if (!name.isEmpty()) {
                    deleteUnlessThinned(m, name);
                }
            }
            m.unmount();
            m.assertFsckClean();
            long left = storeBytes(m);
            org.junit.jupiter.api.Assertions.assertTrue(left < emptyBytes + (4L << 20),
                    "with every file and snapshot gone the store holds " + left + " bytes (" + emptyBytes + " when new)");
        }
    }

    /** Deletes a snapshot; the daemon's own thinning after a scheduled snapshot (in the background) may have been first. */
    private static void deleteUnlessThinned(MountedStore m, String name) {
        Shell.Result r = Shell.run(MountedStore.LOCUSFS + " snapshot delete --mount " + m.mnt + " " + name);
        org.junit.jupiter.api.Assertions.assertTrue(r.exit() == 0 || r.err().contains("no snapshot '" + name + "'"), r::err);
    }

    /** Bytes of the store's database on disk. */
    private static long storeBytes(MountedStore m) {
        return Long.parseLong(Shell.ok("du -sb " + m.store.resolve("db") + " | cut -f1").trim());
    }

    /** After a rollback the tree is the snapshot's: the model of what exists is read back from the mount. */
    private void resyncModel(MountedStore m) {
        files.clear();
        dirs.clear();
        symlinks.clear();
        String listing = Shell.ok("cd " + m.mnt + " && find . -mindepth 1 -path ./.snapshots -prune -o -printf '%y %i %P\\n'");
        for (String line : listing.split("\n")) {
            String[] parts = line.split(" ", 3);
            if (parts.length < 3 || !parts[2].chars().allMatch(c -> c < 128)) {
                continue; // Output comes back as Latin-1: a name with é is left out (nothing then touches it).
            }
            switch (parts[0]) {
                case "f" -> {
                    int id = Integer.parseInt(parts[1]);
                    files.put(parts[2], id);
                    nextId = Math.max(nextId, id + 1);
                }
                case "d" -> dirs.add(parts[2]);
                case "l" -> symlinks.add(parts[2]);
                default -> { }
            }
        }
    }

    /** Compares {@code snapshot diff FROM TO} (TO null: the live tree) with the difference of the reference copies. */
    private void checkDiff(MountedStore m, Path refs, String from, String to) throws Exception {
        Map<String, JsonNode> a = manifest(refs.resolve(from));
        Map<String, JsonNode> b = manifest(refs.resolve(to == null ? "live" : to));
        Map<String, String> expected = new TreeMap<>();
        for (String p : a.keySet()) {
            if (!b.containsKey(p)) {
                expected.put(p, "removed");
            } else if (!sameIgnoringLinks(a.get(p), b.get(p))) {
                expected.put(p, "modified");
            }
        }
        for (String p : b.keySet()) {
            if (!a.containsKey(p)) {
                expected.put(p, "added");
            }
        }
        JsonNode changes = JSON.readTree(Shell.ok(MountedStore.LOCUSFS + " snapshot diff --json " + m.store + " " + from
                + (to == null ? "" : " " + to)));
        // A rename is one line; the references see the old paths removed and the new ones added
        // (all of a directory's subtree). A path both removed and added was replaced: modified.
        TreeSet<String> removed = new TreeSet<>();
        TreeSet<String> added = new TreeSet<>();
        TreeSet<String> modified = new TreeSet<>();
        for (JsonNode c : changes) {
            String path = c.get("path").asText();
            switch (c.get("change").asText()) {
                case "added" -> added.add(path);
                case "removed" -> removed.add(path);
                case "modified" -> modified.add(path);
                case "renamed" -> {
                    String target = c.get("to").asText();
                    removed.addAll(subtree(a, path));
                    added.addAll(subtree(b, target));
                }
                default -> throw new AssertionError("unknown change " + c);
            }
        }
        Map<String, String> actual = new TreeMap<>();
        for (String p : modified) {
            actual.put(p, "modified");
        }
        for (String p : removed) {
            actual.put(p, added.contains(p) ? "modified" : "removed");
        }
        for (String p : added) {
            if (!removed.contains(p)) {
                actual.put(p, "added"); // Also when the file at a new path changed: it is new there.
            }
        }
        assertEquals(expected, actual, "snapshot diff " + from + " " + (to == null ? "(live)" : to) + ": " + changes);
    }

    private static List<String> subtree(Map<String, JsonNode> tree, String root) {
        List<String> paths = new ArrayList<>();
        for (String p : tree.keySet()) {
            if (p.equals(root) || p.startsWith(root + "/")) {
                paths.add(p);
            }
        }
        return paths;
    }

    /** Equal but for link count and other links: ours, like zfs, does not call a file modified because it gained a link. */
    private static boolean sameIgnoringLinks(JsonNode x, JsonNode y) {
        var cx = ((com.fasterxml.jackson.databind.node.ObjectNode) x.deepCopy());
        var cy = ((com.fasterxml.jackson.databind.node.ObjectNode) y.deepCopy());
        for (String f : List.of("nlink", "links")) {
            cx.remove(f);
            cy.remove(f);
        }
        return cx.equals(cy);
    }

    private static Map<String, JsonNode> manifest(Path tree) throws Exception {
        Map<String, JsonNode> entries = new TreeMap<>();
        for (String line : Shell.ok("python3 " + MANIFEST + " " + tree).split("\n")) {
            JsonNode e = JSON.readTree(line);
            entries.put(e.get("path").asText(), e);
        }
        return entries;
    }

    // ---- the random workload; the model tracks what exists so each operation is valid ----

    private String randomOperation() {
        int choice = random.nextInt(100);
        if (files.isEmpty() || choice < 18) {
            return createFile();
        }
        String file = pick(files.keySet());
        if (choice < 30) {
            long offset = random.nextInt(400_000);
            return "dd if=/dev/urandom of=" + q(file) + " bs=1 seek=" + offset + " count=" + (1 + random.nextInt(9000))
                    + " conv=notrunc status=none";
        }
        if (choice < 38) {
            return "head -c " + size() + " /dev/urandom >> " + q(file);
        }
        if (choice < 45) {
            return "truncate -s " + random.nextInt(300_000) + " " + q(file);
        }
        if (choice < 55) {
            return renameFile(file);
        }
        if (choice < 62) {
            files.remove(file);
            return "rm " + q(file);
        }
        if (choice < 68) {
            String link = newName("l");
            files.put(link, files.get(file));
            return "ln " + q(file) + " " + q(link);
        }
        if (choice < 76) {
            return random.nextBoolean() ? "setfattr -n user.t" + random.nextInt(3) + " -v v" + random.nextInt(1000) + " " + q(file)
                    : "setfattr -x user.t" + random.nextInt(3) + " " + q(file) + " 2>/dev/null || true";
        }
        if (choice < 80) {
            return "chmod " + Integer.toOctalString(0600 + random.nextInt(0177)) + " " + q(file);
        }
        if (choice < 84) {
            return "touch -m -d @" + (1_700_000_000L + random.nextInt(10_000_000)) + "." + random.nextInt(1_000_000_000)
                    + " " + q(file);
        }
        if (choice < 89) {
            String dir = newName("d");
            dirs.add(dir);
            return "mkdir " + q(dir);
        }
        if (choice < 93 && !dirs.isEmpty()) {
            return renameDirectory(pick(dirs));
        }
        if (choice < 97) {
            String link = newName("s");
            symlinks.add(link);
            return "ln -s " + q("target-" + random.nextInt(100)) + " " + q(link);
        }
        if (!symlinks.isEmpty()) {
            String link = pick(symlinks);
            symlinks.remove(link);
            return "rm " + q(link);
        }
        return createFile();
    }

    private String createFile() {
        String file = newName("f");
        files.put(file, nextId++);
        return "head -c " + size() + " /dev/urandom > " + q(file);
    }

    private String renameFile(String file) {
        // Onto an existing file sometimes (replacing it), unless both are links of one inode.
        String target = random.nextInt(3) == 0 ? pick(files.keySet()) : newName("r");
        if (files.containsKey(target) && files.get(target).equals(files.get(file))) {
            target = newName("r");
        }
        files.put(target, files.remove(file));
        return "mv " + q(file) + " " + q(target);
    }

    private String renameDirectory(String dir) {
        String target = newName("m");
        if (target.startsWith(dir + "/")) {
            return "true"; // Not into itself.
        }
        moveUnder(files, dir, target);
        moveUnder(symlinks, dir, target);
        TreeSet<String> moved = new TreeSet<>();
        for (String d : dirs) {
            moved.add(d.equals(dir) ? target : d.startsWith(dir + "/") ? target + d.substring(dir.length()) : d);
        }
        dirs.clear();
        dirs.addAll(moved);
        return "mv " + q(dir) + " " + q(target);
    }

    private static <V> void moveUnder(Map<String, V> map, String dir, String target) {
        Map<String, V> moved = new HashMap<>();
        map.entrySet().removeIf(e -> {
            if (e.getKey().startsWith(dir + "/")) {
                moved.put(target + e.getKey().substring(dir.length()), e.getValue());
                return true;
            }
            return false;
        });
        map.putAll(moved);
    }

    private static void moveUnder(TreeSet<String> set, String dir, String target) {
        Map<String, Boolean> asMap = new HashMap<>();
        set.forEach(p -> asMap.put(p, true));
        moveUnder(asMap, dir, target);
        set.clear();
        set.addAll(asMap.keySet());
    }

    /** A fresh name in the root or in a random directory. */
    private String newName(String kind) {
        String dir = dirs.isEmpty() || random.nextInt(3) == 0 ? "" : pick(dirs) + "/";
        String name;
        do {
            name = dir + kind + random.nextInt(100_000) + (random.nextInt(10) == 0 ? " spaced é" : "");
        } while (files.containsKey(name) || dirs.contains(name) || symlinks.contains(name));
        return name;
    }

    private int size() {
        int[] sizes = {0, 100, 4096, 70_000, 131_072, 300_000};
        return sizes[random.nextInt(sizes.length)];
    }

    private String pick(java.util.Collection<String> from) {
        List<String> all = new ArrayList<>(from);
        return all.get(random.nextInt(all.size()));
    }

    private static String q(String path) {
        return Shell.quote(path);
    }
}
