package io.locusfs.fuse;

import io.locusfs.store.Store;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The nodes the kernel holds, each with its lookup count and the names it was reached by. A node
 * enters with a lookup (or a create, or a readdirplus entry) and leaves when the kernel forgets
 * as many lookups as it made. The names let rules written for paths be checked on nodes: a
 * node's path is its names up to the root, a file with several hard links showing the name it
 * was last looked up, created or linked by. Every name is kept so that all of them can be
 * invalidated: the kernel keeps a node's inode while any name of it is cached. Thread-safe.
 */
final class NodeTable {
    private static final long ROOT = Store.ROOT_INO;
    /** Deeper than any real tree: a cycle (impossible but for a bug) ends here instead of looping. */
    private static final int MAX_DEPTH = 4096;

    /** A name of a node: directory and name in it. */
    private record Name(long parent, byte[] name) {
        boolean is(long otherParent, byte[] otherName) {
            return parent == otherParent && Arrays.equals(name, otherName);
        }
    }

    private static final class Known {
        /** The node's names, the one last used at the end. */
        final ArrayList<Name> names = new ArrayList<>(1);
        long lookups;

        synchronized void use(long parent, byte[] name) {
            names.removeIf(n -> n.is(parent, name));
            names.add(new Name(parent, name));
        }

        synchronized void drop(long parent, byte[] name, boolean keepLast) {
            if (!keepLast || names.size() > 1) {
                names.removeIf(n -> n.is(parent, name));
            }
        }

        synchronized List<Name> all() {
            return List.copyOf(names);
        }

        synchronized Name last() {
            return names.isEmpty() ? null : names.get(names.size() - 1);
        }
    }

    private final ConcurrentHashMap<Long, Known> known = new ConcurrentHashMap<>();

    /** One more lookup of {@code node}, reached as {@code name} in {@code parent}. */
    void remember(long node, long parent, byte[] name) {
        if (node == ROOT) {
            return;
        }
        known.compute(node, (key, k) -> {
            Known entry = k != null ? k : new Known();
            entry.use(parent, name);
            entry.lookups++;
            return entry;
        });
    }

    /** The kernel dropped {@code count} lookups of {@code node}; true when it knows the node no more. */
    boolean forget(long node, long count) {
        return known.computeIfPresent(node, (key, k) -> {
            k.lookups -= count;
            return k.lookups > 0 ? k : null;
        }) == null;
    }

    /** True while the kernel holds lookups of {@code node}: it may still send requests for it. */
    boolean isKnown(long node) {
        return known.containsKey(node);
    }

    /** {@code node}'s name {@code from} in {@code fromParent} is now {@code to} in {@code toParent} (a rename). */
    void renamed(long node, long fromParent, byte[] from, long toParent, byte[] to) {
        known.computeIfPresent(node, (key, k) -> {
            k.drop(fromParent, from, false);
            k.use(toParent, to);
            return k;
        });
    }

    /** {@code node} lost its name {@code name} in {@code parent} (an unlink). */
    void unlinked(long node, long parent, byte[] name) {
        known.computeIfPresent(node, (key, k) -> {
            k.drop(parent, name, true); // The last name stays, for messages about an open file.
            return k;
        });
    }

    interface Visitor {
        void visit(long node, long parent, byte[] name);
    }

    /** Visits every node with each of its names. */
    void forEach(Visitor visitor) {
        known.forEach((node, k) -> {
            for (Name n : k.all()) {
                visitor.visit(node, n.parent(), n.name());
            }
        });
    }

    /** The path of {@code node} from the root, by the names the kernel used; "/" for the root. */
    String path(long node) {
        StringBuilder path = new StringBuilder();
        long at = node;
        for (int depth = 0; at != ROOT && depth < MAX_DEPTH; depth++) {
            Known k = known.get(at);
            Name name = k == null ? null : k.last();
            if (name == null) {
                path.insert(0, "/#" + at); // Not held by the kernel: a name can no longer be given.
                break;
            }
            path.insert(0, "/" + Names.display(name.name()));
            at = name.parent();
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
