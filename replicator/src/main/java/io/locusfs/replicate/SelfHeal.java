package io.locusfs.replicate;

import io.locusfs.store.BlockRepair;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.tree.StoreSnapshotTree;
import io.locusfs.tree.TreeException;
import java.io.IOException;
import java.util.BitSet;

/**
 * Where a repair finds the bytes a live file's corrupt blocks held: a mirror's acknowledged
 * snapshot in which the file is the same inode at the same path and those blocks are the
 * versions the live tree has (none written since the snapshot), read over the mirror link. A
 * mirror only holds what placement lets it hold, so a copy found is one the policy allows.
 */
public final class SelfHeal implements BlockRepair.Source {
    private final Store store;
    private final Replicator replicator;

    public SelfHeal(Store store, Replicator replicator) {
        this.store = store;
        this.replicator = replicator;
    }

    @Override
    public String read(long ino, String path, long offset, byte[] buffer, int length) throws IOException {
        int blockSize = store.blockSize();
        int first = (int) (offset / blockSize);
        int last = (int) ((offset + length - 1) / blockSize);
        IOException failure = null;
        for (Replicator.Copy copy : replicator.copies()) {
            Snapshots.Snapshot snapshot = store.snapshots().find(copy.snapshot()).orElse(null);
            if (snapshot == null) {
                continue;
            }
            BitSet written = store.tree().live().blocksChangedAfter(ino, snapshot.epoch());
            int since = written.nextSetBit(first);
            if (since >= 0 && since <= last) {
                continue; // the mirror's copy of these blocks is older than what the live tree holds
            }
            try {
                if (StoreSnapshotTree.full(store, snapshot.name(), "/").inodeOf(path.replaceAll("^/+", "")) != ino) {
                    continue; // another file at this path then
                }
            } catch (TreeException e) {
                continue;
            }
            try {
                int n = replicator.readFrom(copy.mirror(), snapshot.name(), path, offset, buffer, length);
                if (n == length) {
                    replicator.repaired(copy.mirror(), n);
                    return "mirror " + copy.mirror() + " (" + copy.zone() + "), snapshot " + snapshot.name();
                }
            } catch (IOException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
        return null;
    }
}
