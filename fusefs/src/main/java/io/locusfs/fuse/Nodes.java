package io.locusfs.fuse;

import io.locusfs.store.Inode;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import io.locusfs.store.Tree;
import io.locusfs.store.View;
import java.util.Arrays;
import java.util.List;

/**
 * Node numbers, the kernel's names for files, and what each one stands for. The live tree's
 * nodes are numbered by their inode numbers; {@code .snapshots} is {@link SnapshotDirectory#DIRECTORY_INO};
 * inode {@code ino} of the snapshot taken at epoch {@code e} is {@code e << 40 | ino}, so every
 * snapshot's files have numbers of their own and a number alone says which tree it is in (no
 * table to keep). Thread-safe.
 */
final class Nodes {
    private static final int EPOCH_SHIFT = 40;
    private static final long INO_MASK = (1L << EPOCH_SHIFT) - 1;

    private final Tree tree;
    private final SnapshotDirectory snapshots;

    Nodes(Tree tree, SnapshotDirectory snapshots) {
        this.tree = tree;
        this.snapshots = snapshots;
    }

    /**
     * One node: of the live tree ({@code snapshot} null), of a snapshot, or {@code .snapshots}
     * itself ({@code view} null).
     */
    final class Node {
        private final long number;
        private final View view;
        private final long ino;
        private final Snapshots.Snapshot snapshot;

        private Node(long number, View view, long ino, Snapshots.Snapshot snapshot) {
            this.number = number;
            this.view = view;
            this.ino = ino;
            this.snapshot = snapshot;
        }

        long number() {
            return number;
        }

        View view() {
            return view;
        }

        long ino() {
            return ino;
        }

        Snapshots.Snapshot snapshot() {
            return snapshot;
        }

        boolean isDirectoryOfSnapshots() {
            return view == null;
        }

        boolean inSnapshot() {
            return snapshot != null;
        }

        /**
         * False where the kernel may not cache: {@code .snapshots} (its time moves with each
         * snapshot) and each snapshot's root (a snapshot's name comes and goes). Everything else
         * changes only through the kernel, or is invalidated when it does not.
         */
        boolean lasting() {
            return !isDirectoryOfSnapshots() && !(inSnapshot() && ino == Store.ROOT_INO);
        }

        /** The inode; {@code .snapshots} itself shows as a read-only directory owned like the root. */
        Inode inode() {
            if (view != null) {
                return view.inode(ino);
            }
            Inode root = tree.inode(Store.ROOT_INO);
            Inode dir = new Inode(SnapshotDirectory.DIRECTORY_INO);
            dir.mode = Inode.S_IFDIR | 0555;
            dir.nlink = 2;
            dir.uid = root.uid;
            dir.gid = root.gid;
            dir.parent = Store.ROOT_INO;
            dir.atimeNanos = dir.mtimeNanos = dir.ctimeNanos = snapshots.mtimeNanos();
            return dir;
        }

        SnapshotDirectory.Node asSnapshotNode() {
            return new SnapshotDirectory.Node(view, ino, snapshot);
        }
    }

    /** True for a node of the live tree (not {@code .snapshots}, not in a snapshot). */
    static boolean isLive(long number) {
        return number != SnapshotDirectory.DIRECTORY_INO && (number >>> EPOCH_SHIFT) == 0;
    }

    /**
     * The node numbered {@code number}.
     *
     * @throws StoreException NOT_FOUND when its snapshot has been deleted
     */
    Node node(long number) {
        if (number == SnapshotDirectory.DIRECTORY_INO) {
            return new Node(number, null, number, null);
        }
        long epoch = number >>> EPOCH_SHIFT;
        if (epoch == 0) {
            return new Node(number, tree.live(), number, null);
        }
        Snapshots.Snapshot snapshot = snapshots.byEpoch(epoch);
        return new Node(number, snapshots.view(snapshot), number & INO_MASK, snapshot);
    }

    /**
     * The node {@code name} names in directory {@code parent}.
     *
     * @throws StoreException NOT_FOUND, NOT_DIRECTORY
     */
    Node child(long parent, byte[] name) {
        if (parent == Store.ROOT_INO && Arrays.equals(name, SnapshotDirectory.NAME)) {
            return node(SnapshotDirectory.DIRECTORY_INO);
        }
        if (parent == SnapshotDirectory.DIRECTORY_INO) {
            Snapshots.Snapshot snapshot = snapshots.byName(Names.display(name));
            return new Node(inTree(snapshot.epoch(), Store.ROOT_INO), snapshots.view(snapshot), Store.ROOT_INO, snapshot);
        }
        Node dir = node(parent);
        long ino = dir.view.lookup(dir.ino, name);
        if (ino == 0) {
            if (!dir.inode().isDirectory()) {
                throw new StoreException(StoreException.Kind.NOT_DIRECTORY, "a component is not a directory");
            }
            throw new StoreException(StoreException.Kind.NOT_FOUND, Names.display(name) + " does not exist");
        }
        return new Node(numberOf(dir, ino), dir.view, ino, dir.snapshot);
    }

    /** The node of an entry listed in directory {@code parent}. */
    Node listed(long parent, Tree.Entry entry) {
        if (parent == SnapshotDirectory.DIRECTORY_INO) {
            return child(parent, entry.name());
        }
        Node dir = node(parent);
        return new Node(numberOf(dir, entry.ino()), dir.view, entry.ino(), dir.snapshot);
    }

    /** The node number of the root of {@code snapshot}: {@code .snapshots/NAME}. */
    long rootOf(Snapshots.Snapshot snapshot) {
        return inTree(snapshot.epoch(), Store.ROOT_INO);
    }

    /** The node number of inode {@code ino} in the tree of directory {@code parent}. */
    long numberOf(long parent, long ino) {
        long epoch = parent == SnapshotDirectory.DIRECTORY_INO ? 0 : parent >>> EPOCH_SHIFT;
        return epoch == 0 ? ino : inTree(epoch, ino);
    }

    private long numberOf(Node dir, long ino) {
        return dir.snapshot == null ? ino : inTree(dir.snapshot.epoch(), ino);
    }

    /**
     * The inode of the path {@code names} below the root of {@code view}.
     *
     * @throws StoreException NOT_FOUND, NOT_DIRECTORY
     */
    static long walk(View view, List<byte[]> names) {
        long ino = Store.ROOT_INO;
        for (byte[] name : names) {
            long child = view.lookup(ino, name);
            if (child == 0) {
                if (!view.inode(ino).isDirectory()) {
                    throw new StoreException(StoreException.Kind.NOT_DIRECTORY, "a component is not a directory");
                }
                throw new StoreException(StoreException.Kind.NOT_FOUND, Names.display(name) + " does not exist");
            }
            ino = child;
        }
        return ino;
    }

    private static long inTree(long epoch, long ino) {
        return (epoch << EPOCH_SHIFT) | ino;
    }
}
