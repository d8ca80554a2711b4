package io.locusfs.fuse;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The nodes the kernel holds, each with its lookup count and the name it was last reached by.
 * A node enters with a lookup (or a create, or a readdirplus entry) and leaves when the kernel
 * forgets as many lookups as it made. The names let rules written for paths be checked on nodes:
 * a node's path is its names up to the root. A file with several hard links shows the name it
 * was last looked up, created or linked by. Thread-safe.
 */
final class NodeTable {
    private static final long ROOT = io.locusfs.store.Store.ROOT_INO;
    /** Deeper than any real tree: a cycle (impossible but for a bug) ends here instead of looping. */
    private static final int MAX_DEPTH = 4096;

    private static final class Known {
        long parent;
        byte[] name;
        long lookups;
    }

    private final ConcurrentHashMap<Long, Known> known = new ConcurrentHashMap<>();

    /** One more lookup of {@code node}, reached as {@code name} in {@code parent}. */
    void remember(long node, long parent, byte[] name) {
        if (node == ROOT) {
            return;
        }
        known.compute(node, (key, k) -> {
            Known entry = k != null ? k : new Known();
            entry.parent = parent;
            entry.name = name;
            entry.lookups++;
            return entry;
        });
    }

    /** The kernel dropped {@code count} lookups of {@code node}. */
    void forget(long node, long count) {
        known.computeIfPresent(node, (key, k) -> {
            k.lookups -= count;
            return k.lookups > 0 ? k : null;
        });
    }

    /** {@code node} now has the name {@code name} in {@code parent} (a rename). */
    void renamed(long node, long parent, byte[] name) {
        known.computeIfPresent(node, (key, k) -> {
            k.parent = parent;
            k.name = name;
            return k;
        });
    }

    /** How many nodes the kernel holds. */
    int size() {
        return known.size();
    }

    /** The lookups the kernel holds of {@code node} (0 when it holds none). */
    long lookups(long node) {
        Known k = known.get(node);
        return k == null ? 0 : k.lookups;
    }

    interface Visitor {
        void visit(long node, long parent, byte[] name);
    }

    void forEach(Visitor visitor) {
        known.forEach((node, k) -> visitor.visit(node, k.parent, k.name));
    }

    /** The path of {@code node} from the root, by the names the kernel used; "/" for the root. */
    String path(long node) {
        StringBuilder path = new StringBuilder();
        long at = node;
        for (int depth = 0; at != ROOT && depth < MAX_DEPTH; depth++) {
            Known k = known.get(at);
            if (k == null) {
                path.insert(0, "/#" + at); // Not held by the kernel: a name can no longer be given.
                break;
            }
            path.insert(0, "/" + Names.display(k.name));
            at = k.parent;
        }
        return path.length() == 0 ? "/" : path.toString();
    }

    /** {@code /.snapshots/NAME/rest} → {@code /rest}: the path a snapshot's file has in the tree. */
    static String innerPath(String path) {
        String prefix = "/" + Names.display(SnapshotDirectory.NAME) + "/";
        if (!path.startsWith(prefix)) {
            return path;
        }
        int slash = path.indexOf('/', prefix.length());
        return slash < 0 ? "/" : path.substring(slash);
    }
}
