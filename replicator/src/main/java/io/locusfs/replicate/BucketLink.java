package io.locusfs.replicate;

import io.locusfs.policy.PlacementConstraint;
import io.locusfs.policy.Policy;
import io.locusfs.tree.Progress;
import io.locusfs.tree.SnapshotTree;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.LocationRecord;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ZonePath;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mirror in an object-store bucket (S3 API), behind the same link as a LocusFS mirror
 * (BUCKET.md): a send applies the stream to the tree of the snapshot it continues and stores
 * new blocks in packs, the tree's change as a layer, and last the snapshot's manifest, signed by
 * the origin's node key, so a snapshot is in the bucket whole or not at all. A fetch turns a
 * snapshot's tree back into a full stream, a read fetches the blocks of a byte range: restore
 * and {@code mount --from} go through the same path as for a LocusFS mirror. Everything but
 * {@code locusfs/mirror.json} is encrypted with the mirror's keys ({@link BucketKeys}).
 */
public final class BucketLink implements MirrorLink {
    private static final Logger log = LoggerFactory.getLogger(BucketLink.class);
    static final String MIRROR = "locusfs/mirror.json";
    static final String SNAPSHOTS = "snapshots/";
    static final String TREES = "trees/";
    static final String LOCKS = "locks/";
    /** Another sender's lock younger than this stops a collection (it may be uploading packs no manifest names yet). */
    private static final java.time.Duration LOCK_LIFETIME = java.time.Duration.ofHours(1);
    /** A snapshot's tree is written whole again once its manifest lists this many layers. */
    private static final int MAX_LAYERS = 16;

    private final ReplicationConfig.Bucket bucket;
    private final NodeIdentity identity;
    /** Signs fetched streams: the node's key, else one of this process (a restore reads them in the same process). */
    private final NodeIdentity streams;
    private BucketObjects objects;
    private BucketPacks packs;
    private BucketKeys keys;
    private FileTime keysRead;
    private boolean ensured;
    private Identity self;
    private final Map<String, BucketManifest> manifests = new LinkedHashMap<>();
    /** Snapshots found unreadable with the keys held now (said once, not at every heartbeat). */
    private final Map<String, String> unreadable = new java.util.HashMap<>(); // name -> why
    private String treeOf; // the snapshot whose tree is kept
    private BucketTree tree;
    private volatile Thread working;

    /** What {@code locusfs/mirror.json} says: the bucket's store id, and the origin whose snapshots it holds. */
    record Identity(int format, String store, String source, String sourceKey) {
    }

    /**
     * @param identity the origin's node key, which signs manifests and the bucket's location record; null to only read
     */
    public BucketLink(ReplicationConfig.Bucket bucket, NodeIdentity identity) {
        this.bucket = bucket;
        this.identity = identity;
        this.streams = identity != null ? identity : NodeIdentity.ephemeral();
    }

    private synchronized BucketObjects objects() throws IOException {
        if (objects == null) {
            objects = new BucketObjects(bucket);
            packs = new BucketPacks(objects);
        }
        return objects;
    }

    /** The keys, read again when the key file changed (a rotation, a revocation). */
    private synchronized BucketKeys keys() throws IOException {
        FileTime modified = Files.exists(bucket.keyFile()) ? Files.getLastModifiedTime(bucket.keyFile()) : null;
        if (keys == null || !java.util.Objects.equals(modified, keysRead)) {
            BucketKeys loaded = BucketKeys.load(bucket.keyFile());
            if (keys != null && !keys.ids().equals(loaded.ids())) {
                log.info("{}: keys now {} (encrypting with {})", bucket.keyFile(), loaded.ids(), loaded.active());
                // What a revoked key protected is unreadable now: the manifests and indexes are read again.
                manifests.clear();
                unreadable.clear();
                treeOf = null;
                tree = null;
                if (packs != null) {
                    packs.close();
                    packs = new BucketPacks(objects);
                }
            }
            keys = loaded;
            keysRead = modified;
        }
        return keys;
    }

    String describe() {
        return "bucket " + bucket.name() + " at " + bucket.endpoint();
    }

    @Override
    public synchronized Info hello() throws IOException {
        BucketObjects o = objects();
        BucketKeys k = keys();
        if (!ensured) {
            o.ensure();
            ensured = true;
        }
        self = identity(o);
        readManifests(o, k, true);
        packs.refresh(k);
        List<String> names = snapshots();
        return new Info(self.store(), bucket.zone(), record(), null, self.source(), names.isEmpty() ? null : names.get(names.size() - 1),
                names, null, 0, null, null);
    }

    /**
     * Brings {@link #manifests} up to the bucket's listing: forgets the deleted, reads the new ones
     * (eight at a time), and sets aside (in {@link #unreadable}, with the reason) those this link
     * cannot read, logging each once when {@code warn}.
     */
    private void readManifests(BucketObjects o, BucketKeys k, boolean warn) throws IOException {
        Map<String, Long> listed = o.list(SNAPSHOTS);
        manifests.keySet().retainAll(listed.keySet().stream().map(key -> key.substring(SNAPSHOTS.length())).toList());
        List<String> unread = new ArrayList<>();
        for (String key : listed.keySet()) {
            String name = key.substring(SNAPSHOTS.length());
            if (!manifests.containsKey(name) && !unreadable.containsKey(name)) {
                unread.add(key);
            }
        }
        for (Map.Entry<String, byte[]> read : o.getAll(unread).entrySet()) {
            String name = read.getKey().substring(SNAPSHOTS.length());
            try {
                manifests.put(name, BucketManifest.open(k, read.getKey(), read.getValue(), self.sourceKey()));
            } catch (StreamException e) {
                unreadable.put(name, e.getMessage());
                if (warn) {
                    log.warn("{}: snapshot {} is unreadable and left aside: {}", describe(), name, e.getMessage());
                }
            }
        }
    }

    /** The bucket's location record, signed by this node (empty for a link that only reads). */
    private String record() {
        return identity == null ? "" : LocationRecord.sign(identity, Location.of(bucket.zone()), self.store(), LocationRecord.EVERY_FILE,
                Instant.now(), identity.nodeId()).encode();
    }

    /** The snapshots the bucket holds that this link can read, oldest first. */
    private List<String> snapshots() {
        return manifests.values().stream().sorted(Comparator.comparingLong(BucketManifest::createdNanos)).map(BucketManifest::snapshot)
                .toList();
    }

    /** The bucket's identity, made (with a new store id) when the bucket holds none yet. */
    private Identity identity(BucketObjects o) throws IOException {
        Optional<byte[]> json = o.get(MIRROR);
        if (json.isPresent()) {
            try {
                Identity id = StreamHeader.JSON.readValue(json.get(), Identity.class);
                if (id.format() != 1 || id.store() == null) {
                    throw new StreamException(describe() + ": " + MIRROR + " is of format " + id.format() + " (this locusfs reads 1)");
                }
                return id;
            } catch (IOException e) {
                throw e instanceof StreamException s ? s : new StreamException(describe() + ": " + MIRROR + " is not readable: " + e.getMessage());
            }
        }
        Identity id = new Identity(1, UUID.randomUUID().toString(), null, null);
        o.put(MIRROR, StreamHeader.JSON.writeValueAsBytes(id));
        return id;
    }

    @Override
    public Info helloThenSend() throws IOException {
        return hello();
    }

    @Override
    public Outcome send(Info mirror, StreamHeader header, Shipment shipment, AtomicLong acked) throws IOException {
        if (identity == null) {
            throw new IllegalStateException("a bucket link made to read cannot send");
        }
        PipedInputStream in = new PipedInputStream(4 << 20);
        PipedOutputStream out = new PipedOutputStream(in);
        CompletableFuture<StreamSender.Result> written = new CompletableFuture<>();
        Thread writer = new Thread(() -> {
            try (out) {
                written.complete(shipment.writeTo(out, 0, Progress.NONE));
            } catch (IOException | RuntimeException e) {
                written.completeExceptionally(e);
            }
        }, "bucket-stream");
        writer.setDaemon(true);
        working = Thread.currentThread();
        writer.start();
        synchronized (this) {
            BucketKeys k = keys();
            String lock = LOCKS + self.store() + "-" + UUID.randomUUID();
            try (in) {
                objects.put(lock, StreamHeader.JSON.writeValueAsBytes(java.util.Map.of("snapshot", header.snapshot(),
                        "started", Instant.now().toString())));
                Received received = receive(in, header, k);
                StreamSender.Result result;
                try {
                    result = written.join();
                } catch (java.util.concurrent.CompletionException e) {
                    throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e.getCause());
                }
                acked.set(result.frames());
                log.info("{}: snapshot {} stored: {} bytes of new packs, tree {} ({} bytes), {} layer(s); stream read in {} s, then {} s waiting for uploads",
                        describe(), header.snapshot(), received.packBytes,
                        received.manifest.layers().get(received.manifest.layers().size() - 1).id().substring(0, 12), received.treeBytes,
                        received.manifest.layers().size(), String.format(java.util.Locale.ROOT, "%.2f", received.streamNanos / 1e9),
                        String.format(java.util.Locale.ROOT, "%.2f", received.uploadWaitNanos / 1e9));
                thin(lock);
                return new Outcome(mirror, bucket.zone(), mirror.record(), result, 0, result.frames());
            } catch (IOException | RuntimeException e) {
                packs.discard();
                treeOf = null;
                tree = null;
                writer.interrupt();
                throw e;
            } finally {
                working = null;
                try {
                    objects.delete(List.of(lock));
                } catch (IOException e) {
                    log.warn("{}: the upload lock {} stays (it expires): {}", describe(), lock, e.getMessage());
                }
            }
        }
    }

    private record Received(BucketManifest manifest, long packBytes, long treeBytes, long streamNanos, long uploadWaitNanos) {
    }

    /** Reads and checks the stream, storing blocks as they come; after its END, the tree layer and the manifest. */
    private Received receive(InputStream in, StreamHeader expected, BucketKeys k) throws IOException {
        long started = System.nanoTime();
        Frames.Reader reader = new Frames.Reader(in, i -> null);
        Frames.Frame first = reader.next();
        if (first.type() != Frames.HEADER) {
            throw new StreamException("the stream does not start with its header");
        }
        StreamHeader header = StreamHeader.decode(first.payload());
        if (!header.stream().equals(expected.stream())) {
            throw new StreamException("the stream is not the one announced");
        }
        if (self.sourceKey() != null && !self.sourceKey().equals(header.senderKey())) {
            throw new StreamException(describe() + " holds the snapshots of another node (its manifests are signed by another key)");
        }
        BucketManifest base = null;
        BucketTree t;
        if (header.since() == null) {
            t = new BucketTree();
        } else {
            base = manifests.get(header.since());
            if (base == null) {
                throw new StreamException(describe() + " does not hold snapshot " + header.since() + ", which the stream continues");
            }
            t = tree(header.since());
        }
        // From here the kept tree is being changed: if the send fails it is read again.
        treeOf = null;
        tree = null;
        t.settle();
        ZonePath zone = ZonePath.parse(bucket.zone());
        long framesBeforeEnd = 1;
        Frames.Frame frame;
        while ((frame = reader.next()).type() != Frames.END) {
            if (frame.type() != Frames.RECORDS) {
                throw new StreamException("frame " + frame.index() + " has an unknown type " + frame.type());
            }
            Records.read(frame.payload(), frame.index(), new Records.Visitor() {
                @Override
                public void remove(String path) {
                    t.remove(path);
                }

                @Override
                public void node(Records.NodeRecord record) throws IOException {
                    String path = record.node().path();
                    if (!path.isEmpty()) {
                        var decision = PlacementConstraint.check("/" + path, record.constraint(), zone);
                        if (!decision.allowed()) {
                            throw new StreamException("refused /" + path + ": placement forbids zone " + zone + " (" + decision.reason() + ")");
                        }
                    }
                    t.node(record);
                }

                @Override
                public void rename(String from, String to) {
                    t.rename(from, to);
                }

                @Override
                public void data(Records.Data data) throws IOException {
                    byte[] bytes = data.bytes();
                    String id = k.blockId(bytes, 0, bytes.length);
                    packs.add(k, id, bytes, bytes.length);
                    t.data(data.path(), data.offset(), bytes.length, id);
                }

                @Override
                public void times(Records.Times times) throws IOException {
                    t.times(times.path(), times.atimeNanos(), times.mtimeNanos());
                }
            });
            framesBeforeEnd++;
        }
        StreamHeader.End end = StreamHeader.End.decode(frame.payload());
        byte[] digest = reader.digest();
        if (end.frames() != framesBeforeEnd || end.digest() == null || !end.digest().equals(HexFormat.of().formatHex(digest))) {
            throw new StreamException("the stream's digest or frame count does not match its END frame (corrupt or spliced)");
        }
        PublicKey key = header.publicKey();
        if (!NodeIdentity.verify(key, StreamHeader.signedMessage(header.stream(), digest), Base64.getDecoder().decode(String.valueOf(end.signature())))) {
            throw new StreamException("the stream's signature does not verify with the sender's key (forged)");
        }
        long streamRead = System.nanoTime();
        long packBytes = packs.finish(k);
        long uploaded = System.nanoTime();
        // The tree: a layer of the change on top of the base's layers, or the whole tree again when they pile up.
        byte[] changes = t.changes();
        List<BucketManifest.Layer> layers = new ArrayList<>();
        long layered = changes.length;
        if (base != null) {
            layers.addAll(base.layers());
            for (BucketManifest.Layer l : base.layers()) {
                layered += l.whole() ? 0 : l.bytes();
            }
        }
        byte[] layer;
        boolean whole = base == null || layers.size() + 1 > MAX_LAYERS || layered > wholeBytes(base);
        if (whole) {
            layer = t.whole();
            layers.clear();
        } else {
            layer = changes;
        }
        String layerId = BucketPacks.sha256(layer);
        byte[] compressed = com.github.luben.zstd.Zstd.compress(layer, 3);
        byte[] sealed = k.seal(compressed, 0, compressed.length, TREES + layerId);
        objects.put(TREES + layerId, sealed);
        layers.add(new BucketManifest.Layer(layerId, sealed.length, whole, k.active()));
        if (self.source() == null) {
            self = new Identity(1, self.store(), header.sender(), header.senderKey());
            objects.put(MIRROR, StreamHeader.JSON.writeValueAsBytes(self));
        }
        java.util.Set<String> used = packs.keysOf(t.blocks());
        used.add(k.active()); // the layer's, and the manifest's own
        for (BucketManifest.Layer l : layers) {
            used.add(l.key());
        }
        BucketManifest manifest = BucketManifest.sign(identity, header, bucket.zone(), record(), layers, List.copyOf(used), t.size());
        objects.put(SNAPSHOTS + header.snapshot(), manifest.seal(k));
        manifests.put(header.snapshot(), manifest);
        t.settle();
        treeOf = header.snapshot();
        tree = t;
        return new Received(manifest, packBytes, sealed.length, streamRead - started, uploaded - streamRead);
    }

    /**
     * Applies the bucket's retention grid, then deletes what no kept snapshot needs: tree layers,
     * and packs none of whose blocks a kept tree reads (with their indexes, index first). Skipped
     * while a snapshot is unreadable (its key revoked: what it needs is unknown) or another
     * sender's lock is younger than {@link #LOCK_LIFETIME} (its packs are named by no manifest yet).
     * A pack some of whose blocks are still needed stays whole (no repacking).
     */
    private void thin(String ownLock) throws IOException {
        if (bucket.retention() == io.locusfs.store.Retention.KEEP_EVERYTHING) {
            return;
        }
        List<io.locusfs.store.Snapshots.Snapshot> held = new ArrayList<>();
        long order = 0;
        for (String name : snapshots()) {
            held.add(new io.locusfs.store.Snapshots.Snapshot(name, order++, manifests.get(name).createdNanos(), false, false, 0, ""));
        }
        List<String> drop = bucket.retention().thin(held, Instant.now());
        if (!drop.isEmpty()) {
            objects.delete(drop.stream().map(n -> SNAPSHOTS + n).toList());
            drop.forEach(manifests::remove);
            log.info("{}: thinned by its retention grid: {}", describe(), String.join(", ", drop));
        }
        if (!unreadable.isEmpty()) {
            log.info("{}: nothing collected while {} snapshot(s) cannot be read ({})", describe(), unreadable.size(),
                    String.join(", ", unreadable.keySet()));
            return;
        }
        Instant now = Instant.now();
        for (Map.Entry<String, BucketObjects.Stored> l : objects.listed(LOCKS).entrySet()) {
            if (!l.getKey().equals(ownLock) && l.getValue().modified().plus(LOCK_LIFETIME).isAfter(now)) {
                log.info("{}: nothing collected while another upload holds {}", describe(), l.getKey());
                return;
            }
        }
        java.util.Set<String> layers = new java.util.HashSet<>();
        java.util.Set<String> blocks = new java.util.HashSet<>();
        String kept = treeOf;
        BucketTree keptTree = tree;
        for (String name : snapshots()) {
            manifests.get(name).layers().forEach(l -> layers.add(l.id()));
            blocks.addAll(tree(name).blocks());
        }
        treeOf = kept;
        tree = keptTree;
        List<String> doomed = new ArrayList<>();
        for (String key : objects.list(TREES).keySet()) {
            if (!layers.contains(key.substring(TREES.length()))) {
                doomed.add(key);
            }
        }
        java.util.Set<String> packsNeeded = new java.util.HashSet<>();
        for (String block : blocks) {
            BucketPacks.Location at = packs.find(block);
            if (at != null) {
                packsNeeded.add(at.pack());
            }
        }
        List<String> doomedPacks = new ArrayList<>();
        for (String key : objects.list(BucketPacks.PACKS).keySet()) {
            if (!packsNeeded.contains(key.substring(BucketPacks.PACKS.length()))) {
                doomedPacks.add(key);
            }
        }
        // Indexes first: a pack without its index is never read; an index without its pack would be.
        objects.delete(doomedPacks.stream().map(k -> BucketPacks.INDEX + k.substring(BucketPacks.PACKS.length())).toList());
        objects.delete(doomedPacks);
        objects.delete(doomed);
        packs.forget(doomedPacks.stream().map(k -> k.substring(BucketPacks.PACKS.length())).collect(java.util.stream.Collectors.toSet()));
        if (!doomed.isEmpty() || !doomedPacks.isEmpty()) {
            log.info("{}: collected {} pack(s) and {} tree layer(s) no kept snapshot needs", describe(), doomedPacks.size(), doomed.size());
        }
    }

    /** The bytes of the newest whole layer of {@code base}: the layers on top of it are not allowed to outgrow it. */
    private static long wholeBytes(BucketManifest base) {
        long whole = 0;
        for (BucketManifest.Layer l : base.layers()) {
            if (l.whole()) {
                whole = l.bytes();
            }
        }
        return whole;
    }

    /** The tree of {@code snapshot}: its layers read and applied (the last one read is kept). */
    private BucketTree tree(String snapshot) throws IOException {
        if (snapshot.equals(treeOf) && tree != null) {
            return tree;
        }
        BucketManifest manifest = manifests.get(snapshot);
        if (manifest == null) {
            throw new StreamException(describe() + " holds no readable snapshot '" + snapshot + "'");
        }
        BucketKeys k = keys();
        BucketTree t = new BucketTree();
        for (BucketManifest.Layer layer : manifest.layers()) {
            byte[] sealed = objects.get(TREES + layer.id()).orElseThrow(() -> new StreamException(describe() + ": the tree layer "
                    + layer.id() + " of snapshot " + snapshot + " is missing"));
            byte[] plain = BucketPacks.decompress(k.open(sealed, TREES + layer.id()));
            if (!BucketPacks.sha256(plain).equals(layer.id())) {
                throw new StreamException(describe() + ": the tree layer " + layer.id() + " does not match its id (corrupt)");
            }
            t.apply(plain);
        }
        t.settle();
        treeOf = snapshot;
        tree = t;
        return t;
    }

    /** The snapshot a fetch or read names: {@code snapshot}, or the newest when it is null. */
    private String resolve(String snapshot) throws IOException {
        if (self == null || (snapshot != null && !manifests.containsKey(snapshot))) {
            hello();
        }
        if (snapshot == null) {
            List<String> names = snapshots();
            if (names.isEmpty()) {
                throw new StreamException(describe() + " holds no snapshot yet");
            }
            return names.get(names.size() - 1);
        }
        if (!manifests.containsKey(snapshot)) {
            throw new StreamException(describe() + " has no snapshot '" + snapshot + "' (it has "
                    + (manifests.isEmpty() ? "none" : String.join(", ", snapshots())) + ")");
        }
        return snapshot;
    }

    /**
     * A snapshot of the bucket (or the part at {@code path}) as a tree to write out directly, its
     * packs read whole and ahead; close it when done. Placement is checked on the whole tree
     * first: a path whose rules (or {@code policy}) forbid {@code zone} refuses it all.
     *
     * @param localRecord the record the written files live under (the restoring side's, in {@code zone})
     */
    public Direct direct(String snapshot, String path, ZonePath zone, String localRecord, Policy policy, String policyOwner)
            throws IOException {
        synchronized (this) {
            String name = resolve(snapshot);
            BucketManifest manifest = manifests.get(name);
            String record = manifest.record() == null ? "" : manifest.record();
            BucketStream stream = new BucketStream(tree(name), manifest, self.store(), record, streams,
                    new FetchRequest(name, path, zone.toString(), null, 0, false), this::readBlock);
            stream.checkPlacement(zone, policy, policyOwner);
            BucketPacks.Reading reading = packs.new Reading(keys(), stream.blocks());
            stream.readThrough(reading::block);
            return new Direct(stream.fetched(), stream.tree(zone.toString(), localRecord), reading);
        }
    }

    /** What {@link #direct} opened: the tree, and the pack reads ahead of it (closed with it). */
    public record Direct(Fetched fetched, SnapshotTree tree, BucketPacks.Reading reading) implements AutoCloseable {
        @Override
        public void close() {
            reading.close();
        }
    }

    @Override
    public <T> T fetch(FetchRequest request, FetchReader<T> reader) throws IOException {
        BucketStream stream;
        BucketPacks.Reading reading;
        synchronized (this) {
            String snapshot = resolve(request.snapshot());
            BucketManifest manifest = manifests.get(snapshot);
            // The record the origin signed for the bucket when it sent the snapshot: the last hop of each file's provenance.
            String record = manifest.record() == null ? "" : manifest.record();
            stream = new BucketStream(tree(snapshot), manifest, self.store(), record, streams, request, this::readBlock);
            // A whole snapshot reads most packs: each one whole, ahead of the stream, rather than a request per block.
            reading = packs.new Reading(keys(), stream.blocks());
            stream.readThrough(reading::block);
        }
        PipedInputStream in = new PipedInputStream(4 << 20);
        PipedOutputStream out = new PipedOutputStream(in);
        CompletableFuture<Void> written = new CompletableFuture<>();
        Thread writer = new Thread(() -> {
            try (out) {
                stream.write(out);
                written.complete(null);
            } catch (IOException | RuntimeException e) {
                written.completeExceptionally(e);
            }
        }, "bucket-fetch");
        writer.setDaemon(true);
        writer.start();
        try (in) {
            T result = reader.read(stream.fetched(), in);
            written.join();
            return result;
        } catch (IOException | RuntimeException e) {
            // A stream cut short because the bucket could not give a block: say why, not that it was cut.
            Throwable cause = e instanceof java.util.concurrent.CompletionException ? e.getCause() : null;
            if (cause == null && written.isCompletedExceptionally()) {
                try {
                    written.join();
                } catch (java.util.concurrent.CompletionException c) {
                    cause = c.getCause();
                }
            }
            if (cause == null) {
                throw e;
            }
            throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
        } finally {
            writer.interrupt();
            reading.close();
        }
    }

    /** Blocks recently read, for reads that go through a file in small steps. */
    private final Map<String, byte[]> recent = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
            return size() > 64;
        }
    };

    private byte[] readBlock(String id) throws IOException {
        synchronized (recent) {
            byte[] hit = recent.get(id);
            if (hit != null) {
                return hit;
            }
        }
        byte[] bytes = packs.read(keys(), id);
        synchronized (recent) {
            recent.put(id, bytes);
        }
        return bytes;
    }

    @Override
    public int read(String snapshot, String path, long offset, byte[] buffer, int length) throws IOException {
        BucketTree.Entry entry;
        synchronized (this) {
            String name = resolve(snapshot);
            entry = tree(name).get(path.replaceAll("^/+", ""));
            if (entry == null || entry.content == null) {
                throw new StreamException("snapshot " + name + " in " + describe() + " has no file " + path);
            }
        }
        return BucketStream.read(entry.content, offset, buffer, length, this::readBlock);
    }

    /** What {@code locusfs check} of this bucket found. */
    public record Check(List<String> snapshots, long packs, long blocks, long blocksRead, List<String> problems) {
    }

    /**
     * Checks the bucket as {@code restic check} does: every manifest opens and verifies, every
     * tree layer is there and matches its id, every block a tree reads from is in a pack the
     * indexes list and that pack exists with the size the index needs; with {@code readData},
     * every such block is read and its authentication tag checked.
     */
    public synchronized Check check(boolean readData, Progress progress) throws IOException {
        BucketObjects o = objects();
        BucketKeys k = keys();
        List<String> problems = new ArrayList<>();
        self = identity(o);
        manifests.clear();
        unreadable.clear();
        readManifests(o, k, false);
        unreadable.forEach((name, why) -> problems.add("snapshot " + name + ": " + why));
        packs.refresh(k);
        Map<String, Long> packSizes = o.list(BucketPacks.PACKS);
        java.util.Set<String> needed = new java.util.TreeSet<>();
        for (String snapshot : snapshots()) {
            try {
                needed.addAll(tree(snapshot).blocks());
            } catch (StreamException e) {
                problems.add("snapshot " + snapshot + ": " + e.getMessage());
            }
        }
        long read = 0;
        for (String block : needed) {
            BucketPacks.Location at = packs.find(block);
            Long size = at == null ? null : packSizes.get(BucketPacks.PACKS + at.pack());
            if (at == null) {
                problems.add("block " + block + " is in no indexed pack");
            } else if (size == null || size < (long) at.offset() + at.length()) {
                problems.add("pack " + at.pack() + " is " + (size == null ? "missing" : "shorter than its index says") + " (block " + block + ")");
            } else if (readData) {
                try {
                    packs.read(k, block);
                    read++;
                    progress.advance(0, at.length());
                } catch (StreamException e) {
                    problems.add(e.getMessage());
                }
            }
        }
        return new Check(snapshots(), packSizes.size(), needed.size(), read, problems);
    }

    @Override
    public void abort() {
        Thread t = working;
        if (t != null) {
            t.interrupt();
        }
    }

    @Override
    public synchronized void close() {
        if (objects != null) {
            packs.close();
            objects.close();
            objects = null;
            packs = null;
        }
    }
}
