package io.locusfs.replicate;

import io.locusfs.policy.Policy;
import io.locusfs.tree.SnapshotTree;
import io.locusfs.xattr.ZonePath;
import io.locusfs.xattr.NodeIdentity;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of an object-store mirror as a full replication stream (STREAM.md), for a restore
 * or a far mount: what a LocusFS mirror answers to a fetch, made from the snapshot's tree and
 * blocks, which the link has checked (the manifest's signature, each object's authentication
 * tag). Each file's provenance is the one it arrived with followed by the bucket's record.
 * The stream is signed with a key of this process: it goes no further than the restore reading it.
 */
final class BucketStream {
    /** Reads one block's bytes. */
    interface Blocks {
        byte[] read(String id) throws IOException;
    }

    private final BucketTree tree;
    private final BucketManifest manifest;
    private final String record;
    private final NodeIdentity signer;
    private final MirrorLink.FetchRequest request;
    private Blocks blocks;
    private final List<BucketTree.Entry> chosen = new ArrayList<>();
    private final java.util.Set<BucketTree.Entry> carried = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private final StreamHeader header;
    private final long first;

    BucketStream(BucketTree tree, BucketManifest manifest, String store, String record, NodeIdentity signer,
                 MirrorLink.FetchRequest request, Blocks blocks) throws StreamException {
        this.tree = tree;
        this.manifest = manifest;
        this.record = record;
        this.signer = signer;
        this.request = request;
        this.blocks = blocks;
        String path = request.path() == null ? "" : request.path().replaceAll("^/+|/+$", "");
        if (!path.isEmpty() && tree.get(path) == null) {
            throw new StreamException("snapshot " + manifest.snapshot() + " has no " + request.path());
        }
        long files = 0;
        long bytes = 0;
        for (Map.Entry<String, BucketTree.Entry> e : tree.entries().entrySet()) {
            String p = e.getKey();
            boolean inside = path.isEmpty() || p.equals(path) || p.startsWith(path + "/");
            boolean leading = !inside && (p.isEmpty() || path.startsWith(p + "/"));
            if (inside || leading) {
                chosen.add(e.getValue());
                carried.add(e.getValue());
                files += p.isEmpty() ? 0 : 1;
                if (inside && e.getValue().content != null && linkTarget(e.getValue()) == null) {
                    for (BucketTree.Extent x : e.getValue().content.extents.values()) {
                        bytes += x.length();
                    }
                }
            }
        }
        String id = streamId(store, manifest.snapshot(), path, request.metadataOnly());
        this.first = id.equals(request.resumeStream()) ? Math.max(0, request.resumeFrames()) : 0;
        this.header = new StreamHeader(id, store, Base64.getEncoder().encodeToString(signer.publicKey().getEncoded()), record,
                manifest.snapshot(), null, manifest.createdNanos(), null, files, request.metadataOnly() ? 0 : bytes, false);
    }

    /** The blocks the stream will read, in the order it reads them (none for metadata only). */
    List<String> blocks() {
        List<String> blocks = new ArrayList<>();
        if (!request.metadataOnly()) {
            for (BucketTree.Entry e : chosen) {
                if (e.content != null && linkTarget(e) == null) {
                    for (BucketTree.Extent x : e.content.extents.values()) {
                        blocks.add(x.block());
                    }
                }
            }
        }
        return blocks;
    }

    MirrorLink.Fetched fetched() {
        return new MirrorLink.Fetched(header.stream(), header.snapshot(), first, header.files(), header.bytes());
    }

    /** The first name of a hard-linked file that the stream also carries, or null. */
    private String linkTarget(BucketTree.Entry e) {
        if (e.linkOf == null) {
            return null;
        }
        BucketTree.Entry target = tree.get(e.linkOf);
        return target != null && target.content == e.content && carried.contains(target) ? e.linkOf : null;
    }

    /** Reads the blocks through {@code reader} instead (one that knows the order, {@link #blocks}). */
    void readThrough(Blocks reader) {
        this.blocks = reader;
    }

    void write(OutputStream out) throws IOException {
        // Read in this process (a restore's staging store): not compressed on the way.
        Frames.Writer writer = new Frames.Writer(out, Codec.NONE, first);
        byte[] encoded = header.encode();
        writer.frame(Frames.HEADER, encoded, encoded.length);
        Records.Buffer buffer = new Records.Buffer();
        List<Records.Times> directories = new ArrayList<>();
        byte[] chunk = new byte[StreamSender.FRAME_BYTES];
        long bytes = 0;
        for (BucketTree.Entry e : chosen) {
            SnapshotTree.Node n = e.node;
            String link = e.content == null ? null : linkTarget(e);
            SnapshotTree.Node node = new SnapshotTree.Node(n.path(), n.kind(), n.permissions(), n.uid(), n.gid(), n.atimeNanos(),
                    n.mtimeNanos(), n.ctimeNanos(), e.content != null ? e.content.size : n.size(), n.symlinkTarget(), n.rdev(), n.xattrs(),
                    null, null, link, null);
            String earlier = e.provenance == null ? "" : e.provenance.strip();
            String provenance = earlier.isEmpty() ? record : record.isBlank() ? earlier : earlier + "\n\n" + record;
            buffer.node(node, e.constraint == null ? "" : e.constraint, provenance, false);
            if (n.kind() == SnapshotTree.Kind.DIRECTORY) {
                directories.add(new Records.Times(n.path(), n.atimeNanos(), n.mtimeNanos()));
            }
            if (e.content != null && link == null && !request.metadataOnly()) {
                // DATA for the runs of extents, cut at FRAME_BYTES boundaries of the file as a sender cuts them.
                for (long[] run : runs(e.content)) {
                    for (long at = run[0]; at < run[1]; ) {
                        long next = Math.min(run[1], (at / StreamSender.FRAME_BYTES + 1) * StreamSender.FRAME_BYTES);
                        int length = (int) (next - at);
                        read(e.content, at, chunk, length, blocks);
                        buffer.data(n.path(), at, chunk, length);
                        bytes += length;
                        at = next;
                        if (buffer.size() >= StreamSender.FRAME_BYTES) {
                            writer.frame(Frames.RECORDS, buffer.array(), buffer.size());
                            buffer.clear();
                        }
                    }
                }
            }
            if (buffer.size() >= StreamSender.FRAME_BYTES) {
                writer.frame(Frames.RECORDS, buffer.array(), buffer.size());
                buffer.clear();
            }
        }
        for (int i = directories.size() - 1; i >= 0; i--) {
            buffer.times(directories.get(i).path(), directories.get(i).atimeNanos(), directories.get(i).mtimeNanos());
        }
        if (buffer.size() > 0) {
            writer.frame(Frames.RECORDS, buffer.array(), buffer.size());
            buffer.clear();
        }
        long frames = writer.frames();
        byte[] digest = writer.digest();
        String signature = Base64.getEncoder().encodeToString(signer.sign(StreamHeader.signedMessage(header.stream(), digest)));
        byte[] end = new StreamHeader.End(frames, buffer.records(), bytes, HexFormat.of().formatHex(digest), signature).encode();
        writer.frame(Frames.END, end, end.length);
        writer.flush();
    }

    /** The file's data as runs [from, to) of adjacent extents, within its size. */
    private static List<long[]> runs(BucketTree.Content content) {
        List<long[]> runs = new ArrayList<>();
        for (BucketTree.Extent x : content.extents.values()) {
            long end = Math.min(content.size, x.offset() + x.length());
            if (end <= x.offset()) {
                continue;
            }
            if (!runs.isEmpty() && runs.get(runs.size() - 1)[1] == x.offset()) {
                runs.get(runs.size() - 1)[1] = end;
            } else {
                runs.add(new long[]{x.offset(), end});
            }
        }
        return runs;
    }

    /**
     * Reads up to {@code length} bytes at {@code offset} of a file into {@code buffer}, holes as zeros.
     *
     * @return the bytes read: fewer only at the end of the file
     */
    static int read(BucketTree.Content content, long offset, byte[] buffer, int length, Blocks blocks) throws IOException {
        int n = (int) Math.max(0, Math.min(length, content.size - offset));
        Arrays.fill(buffer, 0, n, (byte) 0);
        long end = offset + n;
        Map.Entry<Long, BucketTree.Extent> start = content.extents.floorEntry(offset);
        Long from = start != null ? start.getKey() : content.extents.isEmpty() ? null : content.extents.firstKey();
        if (from == null || n == 0) {
            return n;
        }
        for (BucketTree.Extent x : content.extents.subMap(from, true, end, false).values()) {
            long a = Math.max(offset, x.offset());
            long b = Math.min(end, x.offset() + x.length());
            if (a >= b) {
                continue;
            }
            byte[] block = blocks.read(x.block());
            int inBlock = x.at() + (int) (a - x.offset());
            if (inBlock + (b - a) > block.length) {
                throw new StreamException("block " + x.block() + " is shorter than the tree says (corrupt)");
            }
            System.arraycopy(block, inBlock, buffer, (int) (a - offset), (int) (b - a));
        }
        return n;
    }

    /**
     * Refuses, before anything is written, a restore into {@code zone} of a path whose placement
     * (the rules it was sent under, and {@code policy} when not null) forbids that zone: what a
     * receiver checks as the stream arrives, checked here on the whole tree first.
     */
    void checkPlacement(ZonePath zone, Policy policy, String policyOwner) throws StreamException {
        for (BucketTree.Entry e : chosen) {
            if (!e.node.path().isEmpty()) {
                StreamReceiver.checkArrival(e.node.path(), e.constraint, zone, policy, policyOwner);
            }
        }
    }

    /**
     * What the stream carries, as a tree to write out directly (a restore into a directory: no
     * stream, no staging store): each file living in {@code zone} under {@code localRecord} (the
     * restoring side's), its {@code user.location.origins} the provenance it arrived with
     * followed by the bucket's record, its data read through the blocks in the stream's order
     * ({@link #blocks}), so packs are fetched whole and ahead as for the stream.
     */
    SnapshotTree tree(String zone, String localRecord) {
        BucketTree.Entry rootEntry = tree.get("");
        SnapshotTree.Header h = new SnapshotTree.Header(manifest.snapshot(), null,
                java.time.Instant.ofEpochSecond(0, manifest.createdNanos()), header.sender(), zone);
        return new SnapshotTree() {
            @Override
            public Header header() {
                return h;
            }

            @Override
            public List<String> removed() {
                return List.of();
            }

            @Override
            public Node root() {
                return node(rootEntry);
            }

            @Override
            public long files() {
                return header.files();
            }

            @Override
            public long bytes() {
                return header.bytes();
            }

            @Override
            public void walk(Visitor visitor) throws IOException {
                for (BucketTree.Entry e : chosen) {
                    visitor.visit(node(e));
                }
            }

            private Node node(BucketTree.Entry e) {
                SnapshotTree.Node n = e.node;
                String link = e.content == null ? null : linkTarget(e);
                Map<String, byte[]> xattrs = new java.util.LinkedHashMap<>(n.xattrs());
                String earlier = e.provenance == null ? "" : e.provenance.strip();
                String provenance = earlier.isEmpty() ? record : record.isBlank() ? earlier : earlier + "\n\n" + record;
                if (!provenance.isBlank()) {
                    xattrs.put(io.locusfs.xattr.ReservedAttributes.ORIGINS, provenance.getBytes(StandardCharsets.UTF_8));
                }
                FileContent content = e.content == null || link != null ? null : content(e.content);
                return new Node(n.path(), n.kind(), n.permissions(), n.uid(), n.gid(), n.atimeNanos(), n.mtimeNanos(), n.ctimeNanos(),
                        e.content != null ? e.content.size : n.size(), n.symlinkTarget(), n.rdev(), xattrs, zone, localRecord, link, content);
            }
        };
    }

    /** A file's data as the stream would carry it: runs of extents cut at FRAME_BYTES boundaries, each block read once. */
    private SnapshotTree.FileContent content(BucketTree.Content c) {
        List<SnapshotTree.Extent> pieces = new ArrayList<>();
        for (long[] run : runs(c)) {
            for (long at = run[0]; at < run[1]; ) {
                long next = Math.min(run[1], (at / StreamSender.FRAME_BYTES + 1) * StreamSender.FRAME_BYTES);
                pieces.add(new SnapshotTree.Extent(at, next - at));
                at = next;
            }
        }
        return new SnapshotTree.FileContent() {
            @Override
            public List<SnapshotTree.Extent> extents() {
                return pieces;
            }

            @Override
            public void read(long offset, byte[] buffer, int length) throws IOException {
                BucketStream.read(c, offset, buffer, length, blocks);
            }

            @Override
            public java.io.InputStream open() {
                throw new UnsupportedOperationException("a bucket's file is read by its extents");
            }
        };
    }

    /** Same bucket, snapshot, path and kind: same stream, same id (so a restore can resume it). */
    private static String streamId(String store, String snapshot, String path, boolean metadataOnly) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(("bucket\n" + store + "\n" + snapshot + "\n/" + path + (metadataOnly ? "\nmetadata" : ""))
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
