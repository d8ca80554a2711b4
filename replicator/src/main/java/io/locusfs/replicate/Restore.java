package io.locusfs.replicate;

import io.locusfs.policy.Policy;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.translate.DirTranslator;
import io.locusfs.tree.Progress;
import io.locusfs.tree.SnapshotTree;
import io.locusfs.tree.StoreSnapshotTree;
import io.locusfs.tree.StoreTreeBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Brings a snapshot, a tree or one file back from a mirror: the mirror sends it as a full stream
 * (STREAM.md, "Fetching from a mirror"), checked frame by frame and signed by the mirror's key,
 * which is applied to a staging store first, then written out below a directory (or into the
 * live tree of an unmounted store) with its
 * owners, modes, times, xattrs, hard links, holes and location history
 * ({@code user.location.origins}: the origin's and each mirror's signed records).
 *
 * <p>The staging store is what makes a restore resumable and safe: a killed restore keeps what
 * arrived (the receive's resume token), so the next run of the same restore asks the mirror to
 * continue from there; nothing is written to the destination until the whole stream has
 * arrived and checked out; and a file whose placement forbids the staging store's zone (the
 * zone the restore writes into) refuses the stream there, before the destination changes.
 */
public final class Restore {
    private final MirrorLink link;
    private final Store staging;
    private final Policy policy;

    /**
     * @param staging a store of this restore's own, in the zone the restore writes into, whose
     *                node key signs the restored files' records; kept between runs to resume
     * @param policy  the placement rules the restored files must satisfy there, or null for none
     */
    public Restore(MirrorLink link, Store staging, Policy policy) {
        this.link = link;
        this.staging = staging;
        this.policy = policy;
    }

    /** True when the staging store holds something a run of the same restore continues from (a stream begun or arrived). */
    public boolean resumable() {
        return new StreamReceiver(staging, policy, ino -> false).token().isPresent() || staging.snapshots().newest().isPresent();
    }

    /** What a restore did: the snapshot and path brought back, files and bytes written, whether it resumed. */
    public record Result(String snapshot, String path, Path target, long files, long bytes, long streamBytes, boolean resumed) {
    }

    /** Where a restore stands, for its progress. */
    public interface Listener {
        /** The stream begins ({@code resumed} when it continues one a killed restore left). */
        void fetching(MirrorLink.Fetched fetched, boolean resumed);

        /** Everything arrived and checked out; now it is written out. */
        void writing(long files, long bytes);
    }

    /**
     * Restores {@code path} ("/" for all) of {@code snapshot} (null for the mirror's newest) below
     * {@code target}, each file at its own path there ({@code /docs/a.txt} restored into
     * {@code /tmp/r} is {@code /tmp/r/docs/a.txt}); what is at those paths is replaced.
     *
     * @throws StreamException when the mirror refused, the stream was wrong, or placement forbids a file here
     */
    public Result run(String snapshot, String path, Path target, Listener listener, Progress progress) throws IOException {
        if (link instanceof BucketLink bucket) {
            return direct(bucket, snapshot, path, target, listener, progress);
        }
        Arrived arrived = fetch(snapshot, path, listener, progress);
        Files.createDirectories(target);
        DirTranslator.write(arrived.tree(), target, progress, true);
        return arrived.result(path, target);
    }

    /**
     * As {@link #run}, into the live tree of {@code target}, a store no mount holds: each file at
     * its own path there, living where that store lives, its history in {@code user.location.origins}.
     */
    public Result runInto(String snapshot, String path, Store target, Listener listener, Progress progress) throws IOException {
        Arrived arrived = fetch(snapshot, path, listener, progress);
        StoreTreeBuilder builder = new StoreTreeBuilder(target, "/", ino -> false, null);
        arrived.tree().walk(node -> {
            boolean data = node.kind() == SnapshotTree.Kind.FILE && node.hardLinkOf() == null;
            try (InputStream content = data ? node.content().open() : null) {
                builder.add(node, content);
            }
            progress.advance(1, SnapshotTree.dataBytes(node));
        });
        builder.applyDirectoryTimes();
        target.sync();
        return arrived.result(path, target.path());
    }

    /**
     * From a bucket into a directory, the files are written straight from the bucket's tree and
     * packs: its tree is whole before a byte is written, so placement is checked on all of it
     * first, and a staging store (two more writes of everything) would add nothing but the
     * resume a stream needs. They are written beside the target and moved into place once all
     * checked out, so a damaged pack changes nothing. A killed run is run again from the start.
     */
    private Result direct(BucketLink bucket, String snapshot, String path, Path target, Listener listener, Progress progress)
            throws IOException {
        String zone = staging.location().zone().toString();
        String record = staging.locationRecord().map(io.locusfs.xattr.LocationRecord::encode)
                .orElseThrow(() -> new StreamException(staging.path() + " has no location record to stamp the restored files with"));
        try (BucketLink.Direct direct = bucket.direct(snapshot, path, staging.location().zone(), record, policy,
                "the placement rules for " + zone + ", where the restore writes")) {
            listener.fetching(direct.fetched(), false);
            listener.writing(direct.tree().files(), direct.tree().bytes());
            DirTranslator.writeWhole(direct.tree(), target, progress);
            return new Result(direct.fetched().snapshot(), path, target, direct.tree().files(), direct.tree().bytes(), 0, false);
        }
    }

    /** The stream of what was asked, whole in the staging store: its snapshot there and the tree to write out. */
    private record Arrived(String snapshot, StoreSnapshotTree tree, StreamReceiver.Result received) {
        Result result(String path, Path target) {
            return new Result(snapshot, path, target, tree.files(), tree.bytes(), received == null ? 0 : received.bytesRead(),
                    received != null && received.resumed());
        }
    }

    private Arrived fetch(String snapshot, String path, Listener listener, Progress progress) throws IOException {
        String zone = staging.location().zone().toString();
        StreamReceiver receiver = new StreamReceiver(staging, policy, ino -> false).replacingUnfinished()
                .describingPolicyAs("the placement rules for " + zone + ", where the restore writes");
        MirrorLink.FetchRequest request = MirrorLink.FetchRequest.into(receiver, snapshot, path, zone, false);
        StreamReceiver.Result received = link.fetch(request, (fetched, in) -> {
            Optional<Snapshots.Snapshot> already = staging.snapshots().find(fetched.snapshot());
            listener.fetching(fetched, fetched.first() > 0);
            if (already.isPresent()) {
                // A restore killed after its stream arrived, before it was written out: the staging store has it whole.
                return null;
            }
            return receiver.receive(in, true, StreamReceiver.Listener.NONE, progress);
        });
        String name = received != null ? received.header().snapshot() : staging.snapshots().newest().orElseThrow().name();
        StoreSnapshotTree tree = StoreSnapshotTree.only(staging, name, path);
        listener.writing(tree.files(), tree.bytes());
        return new Arrived(name, tree, received);
    }
}
