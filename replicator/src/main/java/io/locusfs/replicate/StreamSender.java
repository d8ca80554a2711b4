package io.locusfs.replicate;

import io.locusfs.policy.PlacementConstraint;
import io.locusfs.policy.Policy;
import io.locusfs.policy.PolicyEngine;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.tree.Progress;
import io.locusfs.tree.SnapshotTree;
import io.locusfs.tree.StoreSnapshotTree;
import io.locusfs.tree.TreeException;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ReservedAttributes;
import io.locusfs.xattr.ZonePath;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Writes a replication stream (STREAM.md) of one snapshot of a store, whole or as the change
 * since an older snapshot. Files whose placement forbids the destination's zone are left out,
 * and every file carries the placement rules that cover it, so the receiver can check them too.
 * Reads only snapshots, so it may run while the store is mounted and written.
 */
public final class StreamSender {
    /** Raw bytes per RECORDS frame: large enough to compress well, small enough to resume close to where a transfer stopped. */
    static final int FRAME_BYTES = 1 << 20;

    private final Store store;
    private final NodeIdentity identity;
    private final Policy policy;
    private final ZonePath toZone;
    private final Codec codec;

    /**
     * @param policy the origin's policy (placement rules), or null for none: every file may go anywhere
     * @param toZone the destination's zone, or null to leave nothing out (a stream for any receiver)
     */
    public StreamSender(Store store, NodeIdentity identity, Policy policy, ZonePath toZone, Codec codec) {
        this.store = store;
        this.identity = identity;
        this.policy = policy;
        this.toZone = toZone;
        this.codec = codec;
    }

    /** What a send did. {@code leftOut} lists the paths placement kept back. */
    public record Result(StreamHeader header, long frames, long framesSent, long bytesSent, long files, long contentBytes,
                         List<String> leftOut, Set<Long> leftOutInodes) {
    }

    /** The header a send of {@code snapshot} (since {@code since}) would start with: its id, for a resume. */
    public StreamHeader header(String snapshot, String since) throws IOException {
        return header(tree(snapshot, since));
    }

    /** Inodes the receiver may not hold (placement kept them from it): sent whole, never as a change. */
    private Set<Long> receiverMayLack = Set.of();

    /** Tells which inodes the receiver may not hold, so that a change to one is sent as the whole file. */
    public StreamSender receiverMayLack(Set<Long> inodes) {
        this.receiverMayLack = inodes;
        return this;
    }

    /** The one path a stream is limited to (with the directories that lead to it), or null for the whole tree. */
    private String only;

    /**
     * Limits the streams of full snapshots to {@code path} (absolute in the store) and what is
     * below it, with the directories that lead to it: what a restore of one file or tree asks for.
     */
    public StreamSender only(String path) {
        this.only = path == null || path.replaceAll("/+", "").isEmpty() ? null : path;
        lastTree = null;
        return this;
    }

    /** Streams of metadata only: every node, no DATA (a snapshot mounted from a mirror fetches data as it is read). */
    private boolean metadataOnly;

    public StreamSender metadataOnly(boolean on) {
        this.metadataOnly = on;
        return this;
    }

    /** The last tree made: a header and the send that follows it share one walk of the snapshot (or one diff). */
    private StoreSnapshotTree lastTree;

    private StoreSnapshotTree tree(String snapshot, String since) throws IOException {
        StoreSnapshotTree tree = lastTree;
        if (tree == null || !tree.header().snapshot().equals(snapshot) || !Objects.equals(tree.header().since(), since)) {
            if (since != null && only != null) {
                throw new TreeException("a stream limited to one path is a full stream; it has no --since");
            }
            tree = since != null ? StoreSnapshotTree.since(store, snapshot, since, this::movable)
                    : only != null ? StoreSnapshotTree.only(store, snapshot, only) : StoreSnapshotTree.full(store, snapshot, "/");
            lastTree = tree;
        }
        return tree;
    }

    /**
     * Whether a rename can travel as one: always, unless placement is checked and the path, its
     * old path, or anything below it is forbidden at the destination (then it travels as a
     * removal and the files placement allows, and what is forbidden stays out).
     */
    private boolean movable(String from, String to, Supplier<List<String>> below) {
        if (toZone == null || policy == null) {
            return true;
        }
        if (!allowed(from) || !allowed(to)) {
            return false;
        }
        for (String path : below.get()) {
            if (!allowed(to + "/" + path) || !allowed(from + "/" + path)) {
                return false;
            }
        }
        return true;
    }

    private boolean allowed(String path) {
        return PolicyEngine.placement("/" + path, toZone, policy).allowed();
    }

    private StreamHeader header(SnapshotTree tree) throws IOException {
        Snapshots.Snapshot snap = store.snapshots().get(tree.header().snapshot());
        String key = Base64.getEncoder().encodeToString(identity.publicKey().getEncoded());
        String record = store.locationRecord().map(r -> r.encode()).orElse("");
        String zone = toZone == null ? null : toZone.toString();
        String id = streamId(store.storeId(), tree.header().since(), snap, zone);
        return new StreamHeader(id, store.storeId(), key, record, snap.name(), tree.header().since(), snap.createdNanos(), zone,
                tree.files(), metadataOnly ? 0 : tree.bytes(), snap.syncPoint());
    }

    /** Same sender, snapshots (by name and epoch), destination zone and policy: same stream, same id. */
    private String streamId(String sender, String since, Snapshots.Snapshot snap, String zone) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            String policyText = policy == null ? "" : String.valueOf(policy.source());
            sha.update((sender + "\n" + since + "\n" + snap.name() + "\n" + snap.epoch() + "\n" + zone + "\n" + policyText)
                    .getBytes(StandardCharsets.UTF_8));
            if (only != null) { // a stream of one path is another stream (the ids of whole streams stay as they were)
                sha.update(("\n" + only).getBytes(StandardCharsets.UTF_8));
            }
            if (metadataOnly) {
                sha.update("\nmetadata".getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes the stream {@code header} (from {@link #header}) describes to {@code out}. Frames
     * before {@code firstSent} are computed but not written: a resumed send.
     */
    public Result send(StreamHeader header, OutputStream out, long firstSent, Progress progress) throws IOException {
        StoreSnapshotTree tree = tree(header.snapshot(), header.since());
        tree.takeWhole(receiverMayLack::contains);
        Frames.Writer writer = new Frames.Writer(out, codec, firstSent);
        byte[] encoded = header.encode();
        writer.frame(Frames.HEADER, encoded, encoded.length);
        Records.Buffer buffer = new Records.Buffer();
        for (String removed : tree.removed()) {
            buffer.remove(removed);
        }
        // Renames in two halves: every moved path to a staging name (deepest first), then each to
        // its new path (shallowest first), so that swaps, chains and moves inside moves come out right.
        List<SnapshotTree.Rename> renames = new ArrayList<>(tree.renamed());
        renames.sort(Comparator.comparingInt((SnapshotTree.Rename r) -> -depth(r.from())));
        for (int i = 0; i < renames.size(); i++) {
            buffer.rename(renames.get(i).from(), Records.staging(header.stream(), i));
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < renames.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingInt(i -> depth(renames.get(i).to())));
        for (int i : order) {
            buffer.rename(Records.staging(header.stream(), i), renames.get(i).to());
        }
        Set<String> leftOut = new LinkedHashSet<>();
        List<Records.Times> directories = new ArrayList<>();
        byte[] chunk = new byte[FRAME_BYTES];
        long[] counts = new long[2];
        tree.walk(node -> {
            String path = node.path();
            boolean linkToLeftOut = node.kind() != SnapshotTree.Kind.DIRECTORY && node.hardLinkOf() != null
                    && leftOut.contains(node.hardLinkOf()); // a second name of a file kept back stays back
            if (linkToLeftOut || (toZone != null && policy != null && !path.isEmpty() && !allowed(path))) {
                leftOut.add(path);
                return;
            }
            String constraint = policy == null ? "" : PlacementConstraint.of("/" + path, policy);
            // A file written in place since the base sends what was written since, not all it holds.
            List<SnapshotTree.Extent> changed = node.content() == null ? null : node.content().changedSince();
            buffer.node(node, constraint, provenance(node), changed != null);
            counts[0]++;
            if (node.kind() == SnapshotTree.Kind.DIRECTORY) {
                directories.add(new Records.Times(path, node.atimeNanos(), node.mtimeNanos()));
            }
            if (node.content() != null && !metadataOnly) {
                for (SnapshotTree.Extent extent : changed != null ? changed : node.content().extents()) {
                    for (long at = extent.offset(); at < extent.offset() + extent.length(); ) {
                        // Cut at FRAME_BYTES boundaries of the file, so a receiver's blocks line up.
                        long next = Math.min(extent.offset() + extent.length(), (at / FRAME_BYTES + 1) * FRAME_BYTES);
                        int length = (int) (next - at);
                        node.content().read(at, chunk, length);
                        buffer.data(path, at, chunk, length);
                        counts[1] += length;
                        progress.advance(0, length);
                        at = next;
                        if (buffer.size() >= FRAME_BYTES) {
                            flush(writer, buffer);
                        }
                    }
                }
            }
            progress.advance(path.isEmpty() ? 0 : 1, 0); // the root is not one of the files counted
            if (buffer.size() >= FRAME_BYTES) {
                flush(writer, buffer);
            }
        });
        for (int i = directories.size() - 1; i >= 0; i--) {
            Records.Times t = directories.get(i);
            buffer.times(t.path(), t.atimeNanos(), t.mtimeNanos());
        }
        if (buffer.size() > 0) {
            flush(writer, buffer);
        }
        long frames = writer.frames();
        byte[] digest = writer.digest();
        String signature = Base64.getEncoder().encodeToString(identity.sign(StreamHeader.signedMessage(header.stream(), digest)));
        byte[] end = new StreamHeader.End(frames, buffer.records(), counts[1], HexFormat.of().formatHex(digest), signature).encode();
        writer.frame(Frames.END, end, end.length);
        writer.flush();
        Set<Long> leftOutInodes = new HashSet<>();
        for (String path : leftOut) {
            long ino = tree.inodeOf(path);
            if (ino != 0) {
                leftOutInodes.add(ino);
            }
        }
        return new Result(header, frames + 1, Math.max(0, frames + 1 - firstSent), writer.bytesWritten(), counts[0], counts[1],
                List.copyOf(leftOut), leftOutInodes);
    }

    private static int depth(String path) {
        return path.isEmpty() ? 0 : path.split("/").length;
    }

    private static void flush(Frames.Writer writer, Records.Buffer buffer) throws IOException {
        writer.frame(Frames.RECORDS, buffer.array(), buffer.size());
        buffer.clear();
    }

    /**
     * Where the file has been: the records of the stores it came through (its
     * {@code user.location.origins}) and then the record of where it is now, one per paragraph.
     */
    private static String provenance(SnapshotTree.Node node) {
        byte[] earlier = node.xattrs().get(ReservedAttributes.ORIGINS);
        String now = node.locationRecord() == null ? "" : node.locationRecord().strip();
        return earlier == null ? now : new String(earlier, StandardCharsets.UTF_8).strip() + "\n\n" + now;
    }
}
