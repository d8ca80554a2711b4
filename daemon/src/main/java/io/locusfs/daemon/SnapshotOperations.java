package io.locusfs.daemon;

import io.locusfs.store.Diff;
import java.io.IOException;
import java.util.List;

/**
 * Snapshot operations as a user asks for them, whoever runs them: {@link SnapshotService} on a
 * store opened here, or the mount daemon that holds it, through {@link ControlClient#snapshots}.
 * Both give the same answers and the same refusals.
 */
public interface SnapshotOperations {
    /** Takes snapshot {@code name} at {@code timeNanos} (0: now), by hand or as the schedule would, with or without hooks. */
    Created create(String name, long timeNanos, boolean manual, boolean hooks) throws IOException;

    /** The snapshots, oldest first, with their space, and the store's. */
    Listing list() throws IOException;

    /** Deletes a snapshot and compacts the store; refused while files are open in it. */
    Deleted delete(String name) throws IOException;

    /** The changes from {@code from} to {@code to} (null: the live tree). */
    List<Diff.Change> diff(String from, String to) throws IOException;

    /** Returns the live tree to snapshot {@code name}; refused under writers unless {@code force}. Answers keys restored. */
    long rollback(String name, boolean force) throws IOException;

    /** Applies the retention grid and the capacity bound as at {@code nowNanos} (0: now), or only says what it would do. */
    List<Thinned> thin(long nowNanos, boolean dryRun) throws IOException;

    record Created(String name, long epoch) {
    }

    /** One snapshot: USED ({@code usedBytes}, what deleting it frees) and REFER ({@code referencedBytes}). */
    record Entry(String name, long epoch, long createdNanos, boolean manual, long usedBytes, long referencedBytes) {
    }

    record Listing(List<Entry> snapshots, long diskBytes, long liveReferencedBytes) {
    }

    record Deleted(long versions, long blockBytes, long diskBefore, long diskAfter) {
    }

    /** A snapshot thinned (or that would be), and the rule that chose it. */
    record Thinned(String name, String reason) {
    }
}
