package io.locusfs.store;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The difference between two views of a store as paths, like {@code zfs diff}: which paths were
 * added, removed, renamed or modified between an older view A and a newer view B.
 *
 * <p>It starts from the keys with a version born between the two epochs (one range scan of the
 * births index), so it costs time proportional to the change, not the store. An inode becomes a
 * path through the parent and name it keeps as a hint: one lookup per path component. A stale
 * hint (the link it names was removed) or a hard-linked file costs one read of its directory,
 * as in ZFS; only a hard-linked file with links in other directories makes it scan every
 * directory entry once.
 *
 * <p>What counts as modified: a change of content, size, mode, owner, mtime, device number,
 * symlink target or extended attributes. Link count, ctime and atime alone do not: adding a
 * hard link shows as the new path being added, not the old one modified. A rename is one line
 * (for a directory, the paths below it are not listed); when the renamed file's content changed
 * too, its other hard links, if any, are listed as modified.
 */
public final class Diff {
    /** What happened to a path. */
    public enum Kind {
        ADDED('+'), REMOVED('-'), MODIFIED('M'), RENAMED('R');

        public final char symbol;

        Kind(char symbol) {
            this.symbol = symbol;
        }
    }

    /**
     * One line of a diff. Paths are raw bytes starting with '/'; {@code to} is the new path of a
     * rename, null otherwise; {@code type} is the file type ({@code mode >> 12}).
     */
    public record Change(Kind kind, byte[] path, byte[] to, int type, boolean modified) {
        /**
         * A change whose {@code modified} says whether the file itself changed: true for MODIFIED;
         * for RENAMED, whether its content or attributes changed too (a rename alone is false).
         */
        public Change(Kind kind, byte[] path, byte[] to, int type) {
            this(kind, path, to, type, kind == Kind.MODIFIED);
        }
    }

    private final View a;
    private final View b;
    private final Map<Long, byte[]> dirPathsA = new HashMap<>();
    private final Map<Long, byte[]> dirPathsB = new HashMap<>();
    /** Inodes whose blocks or xattrs differ between the views. */
    private final Set<Long> dataChanged = new HashSet<>();
    /** Inodes read once per view: a change touches the same inode through several keys. */
    private final Map<Long, Optional<Inode>> inodesA = new HashMap<>();
    private final Map<Long, Optional<Inode>> inodesB = new HashMap<>();

    private Diff(View a, View b) {
        this.a = a;
        this.b = b;
    }

    /** The changes from view {@code a} to the newer view {@code b}, given the keys changed between them. */
    static List<Change> compute(View a, View b, List<Snapshots.FamilyPrefix> changed) {
        return new Diff(a, b).run(changed);
    }

    private record Link(long parent, byte[] name) {
    }

    private List<Change> run(List<Snapshots.FamilyPrefix> changed) {
        Map<Long, List<Link>> removedLinks = new LinkedHashMap<>();
        Map<Long, List<Link>> addedLinks = new LinkedHashMap<>();
        Set<Long> touched = new TreeSet<>();
        for (Snapshots.FamilyPrefix key : changed) {
            byte[] prefix = key.prefix();
            long ino = Keys.getLong(prefix, 0);
            switch (key.family()) {
                case Versions.DIRENTS -> {
                    byte[] name = Keys.nameOf(prefix);
                    long before = a.lookup(ino, name);
                    long after = b.lookup(ino, name);
                    if (before != after) {
                        if (before != 0) {
                            removedLinks.computeIfAbsent(before, k -> new ArrayList<>()).add(new Link(ino, name));
                        }
                        if (after != 0) {
                            addedLinks.computeIfAbsent(after, k -> new ArrayList<>()).add(new Link(ino, name));
                        }
                    }
                }
                case Versions.INODES -> touched.add(ino);
                case Versions.BLOCKS -> {
                    // One differing block is enough, a file A does not have is listed as added, and a file
                    // whose size or mtime changed is modified whatever its blocks hold: none of them needs
                    // its blocks read (the costly part of a diff on a cold cache: one random read each).
                    if (dataChanged.contains(ino) || before(ino) == null || attributesChanged(ino)) {
                        touched.add(ino);
                        continue;
                    }
                    long index = Keys.getLong(prefix, Keys.LONG);
                    if (!Arrays.equals(a.readBlock(ino, index), b.readBlock(ino, index))) {
                        touched.add(ino);
                        dataChanged.add(ino);
                    }
                }
                case Versions.XATTRS -> {
                    byte[] name = Keys.nameOf(prefix);
                    if (!Arrays.equals(xattr(a, ino, name), xattr(b, ino, name))) {
                        touched.add(ino);
                        dataChanged.add(ino);
                    }
                }
                default -> throw new StoreException(StoreException.Kind.CORRUPT, "unknown family " + key.family());
            }
        }
        List<Change> changes = new ArrayList<>();
        Set<Long> linked = new HashSet<>(removedLinks.keySet());
        linked.addAll(addedLinks.keySet());
        for (long ino : new TreeSet<>(linked)) {
            Inode before = before(ino);
            Inode after = after(ino);
            List<Link> removed = removedLinks.getOrDefault(ino, List.of());
            List<Link> added = addedLinks.getOrDefault(ino, List.of());
            int i = 0;
            if (before != null && after != null) {
                for (; i < Math.min(removed.size(), added.size()); i++) {
                    changes.add(new Change(Kind.RENAMED, path(a, removed.get(i)), path(b, added.get(i)), type(after),
                            dataChanged.contains(ino) || !sameAttributes(before, after)));
                }
            }
            for (int r = i; r < removed.size(); r++) {
                changes.add(new Change(Kind.REMOVED, path(a, removed.get(r)), null, type(before != null ? before : after)));
            }
            for (int n = i; n < added.size(); n++) {
                changes.add(new Change(Kind.ADDED, path(b, added.get(n)), null, type(after != null ? after : before)));
            }
        }
        List<Inode> modified = new ArrayList<>();
        for (long ino : touched) {
            Inode before = before(ino);
            Inode after = after(ino);
            if (before == null || after == null) {
                continue; // Created or deleted: listed above.
            }
            if (dataChanged.contains(ino) || !sameAttributes(before, after)) {
                modified.add(after);
            }
        }
        for (Map.Entry<Inode, List<byte[]>> paths : pathsInB(modified).entrySet()) {
            // A path a link was added or renamed to is listed as such; the file's other links are modified.
            List<byte[]> listed = new ArrayList<>();
            for (Link link : addedLinks.getOrDefault(paths.getKey().ino, List.of())) {
                listed.add(path(b, link));
            }
            for (byte[] p : paths.getValue()) {
                if (listed.stream().noneMatch(l -> Arrays.equals(l, p))) {
                    changes.add(new Change(Kind.MODIFIED, p, null, type(paths.getKey())));
                }
            }
        }
        return changes;
    }

    /** Inode {@code ino} in A, or null. */
    private Inode before(long ino) {
        return inodesA.computeIfAbsent(ino, i -> Optional.ofNullable(a.inodeOrNull(i))).orElse(null);
    }

    /** Inode {@code ino} in B, or null. */
    private Inode after(long ino) {
        return inodesB.computeIfAbsent(ino, i -> Optional.ofNullable(b.inodeOrNull(i))).orElse(null);
    }

    /** Whether {@code ino} is in both views with different attributes (so it is modified). */
    private boolean attributesChanged(long ino) {
        Inode before = before(ino);
        Inode after = after(ino);
        return before != null && after != null && !sameAttributes(before, after);
    }

    private static byte[] xattr(View view, long ino, byte[] name) {
        try {
            return view.getXattr(ino, name);
        } catch (StoreException e) {
            if (e.kind() == StoreException.Kind.NO_ATTRIBUTE) {
                return null;
            }
            throw e;
        }
    }

    private static boolean sameAttributes(Inode x, Inode y) {
        return x.mode == y.mode && x.uid == y.uid && x.gid == y.gid && x.size == y.size
                && x.mtimeNanos == y.mtimeNanos && x.rdev == y.rdev && Arrays.equals(x.symlinkTarget, y.symlinkTarget);
    }

    private static int type(Inode inode) {
        return inode == null ? 0 : (inode.mode & Inode.S_IFMT) >>> 12;
    }

    private byte[] path(View view, Link link) {
        byte[] dir = dirPath(view, link.parent());
        return join(dir, link.name());
    }

    /** The path of directory {@code dir} in {@code view} ("" for the root), walking up its parents. */
    private byte[] dirPath(View view, long dir) {
        Map<Long, byte[]> cache = view == a ? dirPathsA : dirPathsB;
        byte[] known = cache.get(dir);
        if (known != null) {
            return known;
        }
        byte[] path;
        if (dir == Store.ROOT_INO) {
            path = new byte[0];
        } else {
            Inode inode = view.inode(dir);
            byte[] name = hinted(view, inode) ? inode.name : nameIn(view, inode.parent, dir).stream().findFirst()
                    .orElseThrow(() -> new StoreException(StoreException.Kind.CORRUPT,
                            "directory " + dir + " is not listed in its parent " + inode.parent));
            path = join(dirPath(view, inode.parent), name);
        }
        cache.put(dir, path);
        return path;
    }

    /** True when the inode's name hint still names it in its parent: one lookup. */
    private static boolean hinted(View view, Inode inode) {
        return inode.parent != 0 && inode.name.length > 0 && view.lookup(inode.parent, inode.name) == inode.ino;
    }

    /** The names under which {@code dir} lists {@code ino}; reads that one directory. */
    private static List<byte[]> nameIn(View view, long dir, long ino) {
        List<byte[]> names = new ArrayList<>();
        if (dir != 0) {
            view.list(dir, entry -> {
                if (entry.ino() == ino) {
                    names.add(entry.name());
                }
                return true;
            });
        }
        return names;
    }

    /** Every path of each inode in view B: from its parent hint, or one scan of all entries for those it misses. */
    private Map<Inode, List<byte[]>> pathsInB(List<Inode> inodes) {
        Map<Inode, List<byte[]>> paths = new LinkedHashMap<>();
        Map<Long, Inode> unresolved = new HashMap<>();
        for (Inode inode : inodes) {
            if (inode.ino == Store.ROOT_INO) {
                paths.put(inode, List.of(new byte[] {'/'}));
                continue;
            }
            if (inode.isDirectory()) {
                paths.put(inode, List.of(dirPath(b, inode.ino)));
                continue;
            }
            List<byte[]> found = new ArrayList<>();
            if (inode.nlink == 1 && hinted(b, inode)) {
                found.add(join(dirPath(b, inode.parent), inode.name)); // The common case: one lookup.
            } else if (inode.parent != 0 && b.inodeOrNull(inode.parent) != null) {
                for (byte[] name : nameIn(b, inode.parent, inode.ino)) {
                    found.add(join(dirPath(b, inode.parent), name));
                }
            }
            paths.put(inode, found);
            if (found.size() < inode.nlink) {
                unresolved.put(inode.ino, inode);
            }
        }
        if (!unresolved.isEmpty()) {
            for (Map.Entry<Long, List<Link>> links : allLinks(b, unresolved.keySet()).entrySet()) {
                List<byte[]> all = new ArrayList<>();
                for (Link link : links.getValue()) {
                    all.add(path(b, link));
                }
                paths.put(unresolved.get(links.getKey()), all);
            }
        }
        return paths;
    }

    /** Every entry naming one of {@code inos} in {@code view}: one scan of all directory entries. */
    private static Map<Long, List<Link>> allLinks(View view, Set<Long> inos) {
        Map<Long, List<Link>> links = new HashMap<>();
        view.allEntries((parent, name, ino) -> {
            if (inos.contains(ino)) {
                links.computeIfAbsent(ino, k -> new ArrayList<>()).add(new Link(parent, name));
            }
        });
        return links;
    }

    private static byte[] join(byte[] dir, byte[] name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(dir.length + name.length + 1);
        out.writeBytes(dir);
        out.write('/');
        out.writeBytes(name);
        return out.toByteArray();
    }
}
