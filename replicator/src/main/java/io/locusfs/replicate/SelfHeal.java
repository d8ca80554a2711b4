package io.locusfs.replicate;

import io.locusfs.policy.NearestCopy;
import io.locusfs.store.BlockRepair;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.tree.StoreSnapshotTree;
import io.locusfs.tree.TreeException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where a repair finds the bytes a live file's corrupt blocks held: a mirror's acknowledged
 * snapshot in which the file is the same inode at the same path and those blocks are the
 * versions the live tree has (none written since the snapshot), read over the mirror link. The
 * mirrors are tried answering ones first, nearest first, never one placement forbids the file.
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
        for (Replicator.Copy copy : nearestFirst(path)) {
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
                    return "mirror " + copy.mirror() + " (" + copy.location().zone() + "), snapshot " + snapshot.name();
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

    /**
     * The mirrors' copies that placement lets hold {@code path}, answering ones first, each group
     * nearest to this store first ({@link NearestCopy}; the reader is this store, for itself).
     */
    private List<Replicator.Copy> nearestFirst(String path) {
        Map<String, Replicator.Copy> byName = new HashMap<>();
        List<NearestCopy.Candidate> candidates = new ArrayList<>();
        for (Replicator.Copy c : replicator.copies()) {
            byName.put(c.mirror(), c);
            candidates.add(new NearestCopy.Candidate(c.mirror(), c.location(), c.answering()));
        }
        NearestCopy.Reader self = new NearestCopy.Reader(Optional.empty(), Set.of(), store.location());
        return NearestCopy.rank(path, self, candidates, replicator.rules()).stream().filter(NearestCopy.Ranked::permitted)
                .map(r -> byName.get(r.copy().name())).toList();
    }
}
