package io.locusfs.fuse;

import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import io.locusfs.store.View;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The read-only {@code .snapshots/} directory at the root of a mount: {@code .snapshots/NAME/…}
 * shows each snapshot's tree as it was. Root may {@code mkdir .snapshots/NAME} to take a snapshot
 * and {@code rmdir} one to delete it (as with ZFS's {@code .zfs/snapshot}); nothing else in it
 * changes. It is left out of the root's listing (as ZFS does with {@code .zfs}), so
 * {@code cp -a}, {@code tar} and {@code rsync} of the mount do not copy every snapshot, but it
 * can always be entered by name. Files opened in a snapshot get handles from
 * a table of their own, marked by the high bit, so they never meet the live open-file table.
 * Thread-safe.
 */
final class SnapshotDirectory {
    static final byte[] NAME = Names.bytes(".snapshots");
    /** The inode number shown for {@code .snapshots} itself: above any the store hands out. */
    static final long DIRECTORY_INO = (1L << 62) - 1;
    private static final long HANDLE_BIT = 1L << 63;
    /** Snapshot inodes are shown as {@code epoch << 40 | ino}, so no two snapshots share an st_ino. */
    private static final int EPOCH_SHIFT = 40;

    private final Snapshots snapshots;
    private final ConcurrentHashMap<Long, Node> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);

    SnapshotDirectory(Snapshots snapshots) {
        this.snapshots = snapshots;
    }

    /**
     * A resolved path: a node in the live tree ({@code snapshot} null), in a snapshot, or the
     * {@code .snapshots} directory itself ({@code view} null).
     */
    record Node(View view, long ino, Snapshots.Snapshot snapshot) {
        boolean isDirectoryOfSnapshots() {
            return view == null;
        }

        boolean inSnapshot() {
            return snapshot != null;
        }

        /** The st_ino to show: distinct per snapshot. */
        long shownIno() {
            if (view == null) {
                return DIRECTORY_INO;
            }
            return snapshot == null ? ino : (snapshot.epoch() << EPOCH_SHIFT) | ino;
        }
    }

    /** True when {@code path} is {@code /.snapshots} or lies below it. */
    static boolean contains(String path) {
        List<byte[]> parts = Names.components(path);
        return !parts.isEmpty() && Arrays.equals(parts.get(0), NAME);
    }

    /**
     * Refuses a change to {@code path} inside {@code .snapshots} (or of that name itself).
     *
     * @throws StoreException READ_ONLY (EROFS)
     */
    static void refuseWrite(String path) {
        if (contains(path)) {
            throw new StoreException(StoreException.Kind.READ_ONLY, path + " is in a read-only snapshot");
        }
    }

    /** The snapshot name in {@code /.snapshots/NAME} (exactly that deep), else null. */
    String nameOfSnapshot(String path) {
        List<byte[]> parts = Names.components(path);
        if (parts.size() != 2 || !Arrays.equals(parts.get(0), NAME)) {
            return null;
        }
        return new String(parts.get(1), java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /**
     * Refuses to delete a snapshot in which a file is open here.
     *
     * @throws StoreException BUSY
     */
    void refuseIfOpen(String snapshot) {
        if (handles.values().stream().anyMatch(node -> node.inSnapshot() && node.snapshot().name().equals(snapshot))) {
            throw new StoreException(StoreException.Kind.BUSY, "a file of snapshot '" + snapshot + "' is open");
        }
    }

    /** Resolves {@code parts} (a path below the root whose first name is {@code .snapshots}). */
    Node resolve(List<byte[]> parts) {
        if (parts.size() == 1) {
            return new Node(null, DIRECTORY_INO, null);
        }
        String name = new String(parts.get(1), java.nio.charset.StandardCharsets.ISO_8859_1);
        Snapshots.Snapshot snapshot = snapshots.find(name).orElseThrow(() ->
                new StoreException(StoreException.Kind.NOT_FOUND, "no snapshot '" + name + "'"));
        View view = snapshots.view(snapshot);
        return new Node(view, walk(view, parts.subList(2, parts.size())), snapshot);
    }

    /** The inode of {@code names} below the root of {@code view}. */
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

    /** The names of the snapshots, oldest first, for a listing of {@code .snapshots}. */
    List<String> names() {
        return snapshots.list().stream().map(Snapshots.Snapshot::name).toList();
    }

    /** The newest snapshot's time: the mtime of {@code .snapshots}. */
    long mtimeNanos() {
        List<Snapshots.Snapshot> all = snapshots.list();
        return all.isEmpty() ? 0 : all.get(all.size() - 1).createdNanos();
    }

    /** A handle for {@code node}, opened for reading. */
    long open(Node node) {
        long handle = HANDLE_BIT | nextHandle.getAndIncrement();
        handles.put(handle, node);
        return handle;
    }

    static boolean isSnapshotHandle(long handle) {
        return (handle & HANDLE_BIT) != 0;
    }

    /** The node behind a snapshot handle. */
    Node opened(long handle) {
        Node node = handles.get(handle);
        if (node == null) {
            throw new StoreException(StoreException.Kind.INVALID, "snapshot file handle " + handle + " is not open");
        }
        return node;
    }

    void release(long handle) {
        handles.remove(handle);
    }
}
