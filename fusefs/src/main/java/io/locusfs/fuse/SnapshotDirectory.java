package io.locusfs.fuse;

import io.locusfs.store.Snapshots;
import io.locusfs.store.StoreException;
import io.locusfs.store.View;
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
    /** The node number of {@code .snapshots} itself: above any the store hands out. */
    static final long DIRECTORY_INO = (1L << 62) - 1;
    private static final long HANDLE_BIT = 1L << 63;

    private final Snapshots snapshots;
    private final ConcurrentHashMap<Long, Opened> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);

    SnapshotDirectory(Snapshots snapshots) {
        this.snapshots = snapshots;
    }

    /** A file opened in a snapshot: the snapshot's view and the inode in it. */
    record Node(View view, long ino, Snapshots.Snapshot snapshot) {
    }

    /** An open snapshot file, with the path and process that opened it, for the message that refuses a deletion. */
    private record Opened(Node node, String path, long pid) {
    }

    /** The files open in {@code snapshot} here, each as "PATH (pid N, COMMAND)". */
    List<String> openIn(String snapshot) {
        return handles.values().stream().filter(o -> o.node().snapshot().name().equals(snapshot))
                .map(o -> SystemAccounts.openedBy(o.path(), o.pid())).distinct().toList();
    }

    /**
     * The snapshot named {@code name}.
     *
     * @throws StoreException NOT_FOUND
     */
    Snapshots.Snapshot byName(String name) {
        return snapshots.find(name).orElseThrow(() ->
                new StoreException(StoreException.Kind.NOT_FOUND, "no snapshot '" + name + "'"));
    }

    /**
     * The snapshot taken at {@code epoch}.
     *
     * @throws StoreException NOT_FOUND when it has been deleted
     */
    Snapshots.Snapshot byEpoch(long epoch) {
        return snapshots.list().stream().filter(s -> s.epoch() == epoch).findFirst().orElseThrow(() ->
                new StoreException(StoreException.Kind.NOT_FOUND, "the snapshot of epoch " + epoch + " was deleted"));
    }

    View view(Snapshots.Snapshot snapshot) {
        return snapshots.view(snapshot);
    }

    /** The snapshots, oldest first, for a listing of {@code .snapshots}. */
    List<Snapshots.Snapshot> list() {
        return snapshots.list();
    }

    /** The newest snapshot's time: the mtime of {@code .snapshots}. */
    long mtimeNanos() {
        List<Snapshots.Snapshot> all = snapshots.list();
        return all.isEmpty() ? 0 : all.get(all.size() - 1).createdNanos();
    }

    /** A handle for {@code node}, opened for reading at {@code path} by process {@code pid}. */
    long open(Node node, String path, long pid) {
        long handle = HANDLE_BIT | nextHandle.getAndIncrement();
        handles.put(handle, new Opened(node, path, pid));
        return handle;
    }

    static boolean isSnapshotHandle(long handle) {
        return (handle & HANDLE_BIT) != 0;
    }

    /** The node behind a snapshot handle. */
    Node opened(long handle) {
        Opened opened = handles.get(handle);
        if (opened == null) {
            throw new StoreException(StoreException.Kind.INVALID, "snapshot file handle " + handle + " is not open");
        }
        return opened.node();
    }

    void release(long handle) {
        handles.remove(handle);
    }
}
