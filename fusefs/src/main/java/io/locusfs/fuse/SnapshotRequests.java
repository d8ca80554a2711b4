package io.locusfs.fuse;

import io.locusfs.store.Snapshots;
import java.io.IOException;

/**
 * Snapshots taken and deleted from the mount, by {@code mkdir} and {@code rmdir} in
 * {@code .snapshots/}: the daemon's snapshot service answers them (hooks, retention, the check
 * that no file of a snapshot is open), the mount only passes them on.
 */
public interface SnapshotRequests {
    /** Takes snapshot {@code name} now, with its hooks. */
    Snapshots.Snapshot createOnRequest(String name) throws IOException;

    /** Deletes snapshot {@code name}; refused (BUSY) while files are open in it. */
    Snapshots.Freed deleteOnRequest(String name);
}
