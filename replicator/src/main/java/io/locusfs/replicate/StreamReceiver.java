package io.locusfs.replicate;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.locusfs.policy.PlacementConstraint;
import io.locusfs.policy.Policy;
import io.locusfs.policy.PolicyEngine;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import io.locusfs.tree.Progress;
import io.locusfs.tree.SnapshotTree;
import io.locusfs.tree.StoreTreeBuilder;
import io.locusfs.xattr.LocationRecord;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ReservedAttributes;
import io.locusfs.xattr.ZonePath;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a replication stream (STREAM.md) to a store, all or nothing: the stream is written
 * into the live tree as it arrives and the snapshot it brings is taken only after its END frame
 * checked out (digest, signature, frame count). A stream that turns out corrupt, forged or
 * refused by placement is undone (the live tree rolled back to the snapshot it started from); a
 * stream that was cut short (kill -9, a dropped link) leaves a resume token, so the next
 * receive of the same stream continues after the last frame made durable. The store's
 * snapshots are thus always whole: the old one or the new one. Not thread-safe: one receive at a time.
 */
public final class StreamReceiver {
    private static final Logger log = LoggerFactory.getLogger(StreamReceiver.class);
    /** Note holding the resume token of an unfinished receive. */
    static final String TOKEN_NOTE = "receive";
    /** Note naming the store this one replicates, and its key: a mirror takes streams from one lineage. */
    static final String SOURCE_NOTE = "source";
    /** Directory of a store holding the public keys of the stores it replicates ({@code NODE-ID.pub}), for 'where'. */
    public static final String SOURCE_KEYS_DIR = "sources";
    /**
     * Make the applied frames durable and record the token this often (bytes of stream, time).
     * Without the log (a large stream) each checkpoint flushes the store's memtables, so they are
     * far enough apart for flushes to write large files; a crash redoes at most this much.
     */
    private static final long CHECKPOINT_BYTES = 64L << 20;
    private static final long CHECKPOINT_NANOS = 2_000_000_000L;
    /** Streams with less file content than this are written through the store's log ({@link Store#writeLog}). */
    private static final long LOGGED_BELOW_BYTES = CHECKPOINT_BYTES;

    private final Store store;
    private final Policy policy;
    private final LongPredicate isOpen;
    /** Who {@link #policy} is in a refusal's message: the store's own, or a restore's rules for where it writes. */
    private String policyOwner = "this store's policy";
    /** A stream other than the unfinished receive's undoes it (a mirror: its origin moved on); else it is refused. */
    private boolean replaceUnfinished;

    /** @param policy this store's own policy, whose placement rules a received file must also satisfy; null for none */
    public StreamReceiver(Store store, Policy policy, LongPredicate isOpen) {
        this.store = store;
        this.policy = policy;
        this.isOpen = isOpen;
    }

    /**
     * Where an unfinished receive stands.
     *
     * @param frames frames applied and durable: the next frame to apply
     * @param chain  the stream's digest chain after those frames (hex)
     * @param base   the snapshot the store was at when the stream started, null for none
     */
    public record Token(String stream, StreamHeader header, String base, long frames, String chain, long bytes) {
    }

    /** What this store replicates: the sender's store id and key, the last snapshot received. */
    public record Source(String store, String key, String zone, String snapshot, long createdNanos) {
    }

    /** What a receive did. */
    public record Result(StreamHeader header, Snapshots.Snapshot snapshot, long frames, long framesSkipped, long bytesRead,
                         long files, long contentBytes, boolean resumed) {
    }

    /** Told each time received frames are made durable (a mirror acknowledges them to its sender). */
    public interface Listener {
        Listener NONE = (frames, bytes) -> { };

        void durable(long frames, long bytes) throws IOException;
    }

    public Optional<Token> token() {
        return store.note(TOKEN_NOTE).map(b -> read(b, Token.class));
    }

    public Optional<Source> source() {
        return store.note(SOURCE_NOTE).map(b -> read(b, Source.class));
    }

    private static <T> T read(byte[] json, Class<T> type) {
        try {
            return StreamHeader.JSON.readValue(json, type);
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.CORRUPT, "an unreadable replication note: " + e.getMessage(), e);
        }
    }

    private void write(String note, Object value) {
        write(note, value, true);
    }

    /** Writes a note; not {@code durable}: with the store's next sync (without the log, syncs are memtable flushes, worth sharing). */
    private void write(String note, Object value, boolean durable) {
        store.putNote(note, value == null ? null : json(value), durable);
    }

    private static byte[] json(Object value) {
        try {
            return StreamHeader.JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * From now on a stream that does not continue the unfinished receive undoes it, instead of
     * being refused: for a mirror, whose origin sends another stream only when it can no longer
     * send the unfinished one (its snapshot was deleted, or the mirror's zone changed).
     */
    public StreamReceiver replacingUnfinished() {
        replaceUnfinished = true;
        return this;
    }

    /** Names the policy in refusals as {@code owner} ("the placement rules of ZONE") instead of "this store's policy". */
    public StreamReceiver describingPolicyAs(String owner) {
        this.policyOwner = owner;
        return this;
    }

    /**
     * Undoes an unfinished receive: the live tree goes back to the snapshot it started from (or
     * empty, if the store had none) and the token is dropped.
     *
     * @return true when there was one
     */
    public boolean abort() throws IOException {
        Optional<Token> token = token();
        if (token.isEmpty()) {
            return false;
        }
        undo(token.get());
        return true;
    }

    private void undo(Token token) throws IOException {
        if (store.snapshots().find(token.header().snapshot()).isEmpty()) {
            if (token.base() != null) {
                store.snapshots().rollback(token.base());
            } else {
                new StoreTreeBuilder(store, "/", isOpen, null).clear();
            }
            log.info("undid the unfinished receive of {} (back to {})", token.header().snapshot(),
                    token.base() == null ? "an empty tree" : token.base());
        }
        write(TOKEN_NOTE, null);
    }

    /**
     * Reads a stream from {@code in} and applies it. With {@code resume}, a stream matching the
     * unfinished receive continues after its last durable frame (a stream from a file is read
     * again from its start, its frames up to there checked and skipped; a resumed send starts
     * there); any other stream is refused while one is unfinished (unless {@link #replacingUnfinished}),
     * the unfinished receive kept.
     *
     * @throws StreamException for a stream that cannot be applied; the store is left as it was
     */
    public Result receive(InputStream in, boolean resume, Listener listener, Progress progress) throws IOException {
        Token token = token().orElse(null);
        if (token != null && store.snapshots().find(token.header().snapshot()).isPresent()) {
            write(TOKEN_NOTE, null); // finished, but the crash came before the token was dropped
            token = null;
        }
        Token known = token;
        Frames.Reader reader = new Frames.Reader(in,
                first -> known != null && known.frames() == first ? HexFormat.of().parseHex(known.chain()) : null);
        StreamHeader header;
        long skipUntil = 0;
        boolean resumed = false;
        if (reader.firstIndex() > 0) {
            header = token.header();
            skipUntil = token.frames();
            resumed = true;
        } else {
            Frames.Frame first = reader.next();
            if (first.type() != Frames.HEADER) {
                throw new StreamException("the stream does not start with its HEADER frame");
            }
            header = StreamHeader.decode(first.payload());
            if (token != null && resume && token.stream().equals(header.stream())) {
                skipUntil = token.frames();
                resumed = true;
            } else if (token != null && !replaceUnfinished) {
                // Refused before anything changes: what arrived of the unfinished one stays, to be resumed or abandoned.
                throw new StreamException(store.path() + " holds an unfinished receive of snapshot '" + token.header().snapshot()
                        + "' (" + token.frames() + " frames applied); "
                        + (token.stream().equals(header.stream()) ? "this is the same stream: run again with --resume to continue it"
                        : "this stream is of snapshot '" + header.snapshot() + "': continue the unfinished one with --resume and its stream")
                        + ", or abandon it with 'locusfs receive --abort " + store.path() + "'");
            } else if (token != null) {
                log.warn("a stream of snapshot {} replaces the unfinished receive of {} ({} frames applied), undone",
                        header.snapshot(), token.header().snapshot(), token.frames());
                undo(token);
                token = null;
            }
        }
        PublicKey key = accept(header);
        // A small stream goes through the store's log: its checkpoints and its end are a log sync
        // each, where a flush of every memtable (a few small table files) would cost more than
        // its writes; a large one is written once, without the log, made durable by flushes.
        store.writeLog(header.bytes() < LOGGED_BELOW_BYTES);
        if (!resumed) {
            String base = newestSnapshot();
            token = new Token(header.stream(), header, base, 1, HexFormat.of().formatHex(reader.digest()), reader.bytesRead());
            // A small stream's token is made durable by its next checkpoint or its end (the log keeps order):
            // a crash before either leaves nothing of it, the token included.
            write(TOKEN_NOTE, token, header.bytes() >= LOGGED_BELOW_BYTES);
        }
        if (!resumed) {
            progress.total(header.files(), header.bytes()); // a resumed receive does not know how much came before
        }
        Applier applier = new Applier(new StoreTreeBuilder(store, "/", isOpen, null).exclusive(), progress);
        try {
            if (!resumed && header.since() == null) {
                applier.builder.clear(); // a full stream replaces the whole tree
            }
            long lastCheckpointBytes = reader.bytesRead();
            long lastCheckpointNanos = System.nanoTime();
            long framesBeforeEnd;
            Frames.Frame frame;
            long readingNanos = 0; // waiting for and decoding frames, against applying them: who holds a transfer up
            long applyingNanos = 0;
            while (true) {
                long beforeRead = System.nanoTime();
                frame = reader.next();
                readingNanos += System.nanoTime() - beforeRead;
                if (frame.type() == Frames.END) {
                    framesBeforeEnd = frame.index();
                    break;
                }
                if (frame.type() != Frames.RECORDS) {
                    throw new StreamException("frame " + frame.index() + " has unexpected type " + frame.type());
                }
                if (frame.index() < skipUntil) {
                    if (frame.index() == skipUntil - 1 && !HexFormat.of().formatHex(reader.digest()).equals(token.chain())) {
                        throw new StreamException("the stream differs from the one this receive was resuming");
                    }
                    continue;
                }
                long beforeApply = System.nanoTime();
                Records.read(frame.payload(), frame.index(), applier);
                applyingNanos += System.nanoTime() - beforeApply;
                if (reader.bytesRead() - lastCheckpointBytes >= CHECKPOINT_BYTES
                        || System.nanoTime() - lastCheckpointNanos >= CHECKPOINT_NANOS) {
                    token = checkpoint(token, reader);
                    try {
                        listener.durable(token.frames(), reader.bytesRead());
                    } catch (IOException e) { // the acknowledgement did not get through: the link is gone, the frames stay
                        throw StreamException.stopped("the sender went away: " + e.getMessage(), e);
                    }
                    lastCheckpointBytes = reader.bytesRead();
                    lastCheckpointNanos = System.nanoTime();
                }
            }
            StreamHeader.End end = StreamHeader.End.decode(frame.payload());
            byte[] digest = reader.digest();
            if (end.frames() != framesBeforeEnd || end.digest() == null || !end.digest().equals(HexFormat.of().formatHex(digest))) {
                throw new StreamException("the stream's digest or frame count does not match its END frame (corrupt or spliced)");
            }
            byte[] signature;
            try {
                signature = Base64.getDecoder().decode(String.valueOf(end.signature()));
            } catch (IllegalArgumentException e) {
                throw new StreamException("the stream's signature is not base64");
            }
            if (!NodeIdentity.verify(key, StreamHeader.signedMessage(header.stream(), digest), signature)) {
                throw new StreamException("the stream's signature does not verify with the sender's key (forged)");
            }
            long finishing = System.nanoTime();
            // The snapshot, the source and the token's removal in one write, which makes everything before
            // it durable too (one log sync, or without the log one flush): a crash before it leaves the
            // store with the token, to resume; after it, with the new snapshot whole.
            applier.builder.applyDirectoryTimes();
            keepSourceKey(key);
            Map<String, byte[]> notes = new LinkedHashMap<>();
            notes.put(SOURCE_NOTE, json(new Source(header.sender(), header.senderKey(), zoneOf(header.senderRecord()),
                    header.snapshot(), header.createdNanos())));
            notes.put(TOKEN_NOTE, null);
            Snapshots.Snapshot snapshot = store.snapshots().create(header.snapshot(), header.createdNanos(), true, header.syncPoint(),
                    notes);
            log.debug("stream {} applied; reading frames took {} ms, applying them {} ms; directory times, snapshot and sync {} ms",
                    header.stream(), readingNanos / 1_000_000, applyingNanos / 1_000_000, (System.nanoTime() - finishing) / 1_000_000);
            listener.durable(framesBeforeEnd + 1, reader.bytesRead());
            return new Result(header, snapshot, framesBeforeEnd + 1, skipUntil, reader.bytesRead(), applier.files,
                    applier.contentBytes, resumed);
        } catch (StreamException e) {
            if (e.resumable()) {
                keepWhatArrived(token, reader);
                throw e;
            }
            undo(token);
            throw e;
        } catch (IOException | RuntimeException e) {
            undo(token);
            throw new StreamException("the stream cannot be applied: " + e.getMessage(), e);
        }
    }

    /**
     * Makes the frames read so far durable and records the token after them. Every frame the
     * reader has read was applied (or, resuming, skipped as applied before), so its count and
     * digest are where the stream stands.
     */
    private Token checkpoint(Token token, Frames.Reader reader) {
        Token next = new Token(token.stream(), token.header(), token.base(), reader.framesRead(),
                HexFormat.of().formatHex(reader.digest()), reader.bytesRead());
        write(TOKEN_NOTE, next, false);
        store.sync(); // the frames and the token after them, at once
        return next;
    }

    /**
     * A stream that stopped (cut short, the link broke) had every frame it delivered applied:
     * they are made durable, so that a resume continues after the last of them, not after the
     * last checkpoint. Should that fail, the last checkpoint still stands.
     */
    private void keepWhatArrived(Token token, Frames.Reader reader) {
        if (reader.framesRead() <= token.frames()) {
            return;
        }
        try {
            checkpoint(token, reader);
        } catch (RuntimeException e) {
            log.warn("could not keep the frames of the stopped stream past frame {}: {}", token.frames(), e.getMessage(), e);
        }
    }

    /** Writes the sender's key beside the store, so that 'locusfs where' can check the provenance it signed. */
    private void keepSourceKey(PublicKey key) throws IOException {
        Path dir = store.path().resolve(SOURCE_KEYS_DIR);
        Files.createDirectories(dir);
        Path file = dir.resolve(NodeIdentity.nodeIdOf(key) + ".pub");
        if (!Files.exists(file)) {
            Files.writeString(file, "-----BEGIN PUBLIC KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                    + "\n-----END PUBLIC KEY-----\n");
        }
    }

    /** The name of this store's newest snapshot, or null. */
    private String newestSnapshot() {
        return store.snapshots().newest().map(Snapshots.Snapshot::name).orElse(null);
    }

    private static String zoneOf(String record) {
        try {
            return LocationRecord.parse(record).zone().toString();
        } catch (RuntimeException e) {
            return "";
        }
    }

    /**
     * Checks that this store may take {@code header}'s stream: from the store it replicates
     * (with the same key), continuing from a snapshot it has, bringing one it has not.
     */
    private PublicKey accept(StreamHeader header) throws StreamException {
        PublicKey key = header.publicKey();
        Optional<Source> source = source();
        if (source.isPresent() && !source.get().store().equals(header.sender())) {
            throw new StreamException("this store replicates store " + source.get().store() + ", not " + header.sender());
        }
        if (source.isPresent() && !source.get().key().equals(header.senderKey())) {
            throw new StreamException("the sender's node key differs from the one store " + header.sender()
                    + " used before (a different node, or a forgery)");
        }
        if (source.isEmpty() && !store.snapshots().list().isEmpty()) {
            throw new StreamException("this store has snapshots of its own; a mirror must start empty");
        }
        if (store.snapshots().find(header.snapshot()).isPresent()) {
            throw new StreamException("this store has snapshot '" + header.snapshot() + "' already");
        }
        if (header.since() != null) {
            String latest = newestSnapshot();
            if (!header.since().equals(latest)) {
                throw new StreamException("the stream continues from snapshot '" + header.since() + "', but this store is at "
                        + (latest == null ? "no snapshot" : "'" + latest + "'") + ": send from '" + latest + "' or a full stream");
            }
        }
        return key;
    }

    /** Applies records to the store, checking placement as each file arrives. */
    private final class Applier implements Records.Visitor {
        final StoreTreeBuilder builder;
        private final Progress progress;
        private final ZonePath zone = store.location().zone();
        private String dataPath;
        private long dataIno;
        long files;
        long contentBytes;

        Applier(StoreTreeBuilder builder, Progress progress) {
            this.builder = builder;
            this.progress = progress;
        }

        @Override
        public void remove(String path) throws IOException {
            builder.remove(path);
            dataPath = null;
        }

        @Override
        public void node(Records.NodeRecord record) throws IOException {
            SnapshotTree.Node n = record.node();
            checkArrival(n.path(), record.constraint(), zone, policy, policyOwner);
            Map<String, byte[]> xattrs = new LinkedHashMap<>(n.xattrs());
            xattrs.keySet().removeIf(ReservedAttributes::isReserved);
            if (!record.provenance().isEmpty()) {
                xattrs.put(ReservedAttributes.ORIGINS, record.provenance().getBytes(StandardCharsets.UTF_8));
            }
            SnapshotTree.Node stamped = new SnapshotTree.Node(n.path(), n.kind(), n.permissions(), n.uid(), n.gid(),
                    n.atimeNanos(), n.mtimeNanos(), n.ctimeNanos(), n.size(), n.symlinkTarget(), n.rdev(), xattrs, null, null,
                    n.hardLinkOf(), null);
            long ino = record.continues() ? builder.update(stamped) : builder.create(stamped);
            dataPath = n.path();
            dataIno = n.kind() == SnapshotTree.Kind.FILE ? ino : 0;
            files++;
            progress.advance(1, 0);
        }

        @Override
        public void rename(String from, String to) throws IOException {
            if (!to.startsWith(Records.STAGING_PREFIX)) {
                checkOwnPolicy(to, "'" + from + "' moved to '" + to + "'");
            }
            if (!builder.rename(from, to)) {
                throw new StreamException("the stream moves '" + from + "', which this store does not have");
            }
            dataPath = null;
        }

        @Override
        public void data(Records.Data data) throws IOException {
            if (!data.path().equals(dataPath)) {
                long ino = builder.inoOf(data.path());
                dataIno = ino != 0 && store.tree().inode(ino).isRegular() ? ino : 0;
                dataPath = data.path();
            }
            if (dataIno == 0) {
                throw new StreamException("data for '" + data.path() + "', which is not a regular file here");
            }
            builder.writeAt(dataIno, data.offset(), data.bytes(), data.bytes().length);
            contentBytes += data.bytes().length;
            progress.advance(0, data.bytes().length);
        }

        /** Refuses {@code path} (relative) when this store's own placement rules forbid its zone. */
        private void checkOwnPolicy(String path, String what) throws StreamException {
            StreamReceiver.checkOwnPolicy(path, what, zone, policy, policyOwner);
        }

        @Override
        public void times(Records.Times times) throws IOException {
            builder.setTimes(times.path(), times.atimeNanos(), times.mtimeNanos());
        }
    }

    /**
     * Refuses a file arriving at {@code path} (relative) in {@code zone}: the placement rules it
     * was sent under ({@code constraint}, PlacementConstraint) must allow the zone, and so must
     * {@code policy} (this side's, null for none; {@code policyOwner} names it in the refusal).
     * One rule for every way data arrives: a stream, and a restore straight from a bucket.
     */
    static void checkArrival(String path, String constraint, ZonePath zone, Policy policy, String policyOwner) throws StreamException {
        PolicyEngine.Decision carried;
        try {
            carried = PlacementConstraint.check("/" + path, constraint == null ? "" : constraint, zone);
        } catch (IllegalArgumentException e) {
            throw new StreamException("'" + path + "' carries an unreadable placement constraint: " + e.getMessage());
        }
        if (!carried.allowed()) {
            throw new StreamException("refused: '" + path + "' may not be stored in " + zone + ": " + carried.reason());
        }
        checkOwnPolicy(path, "'" + path + "'", zone, policy, policyOwner);
    }

    private static void checkOwnPolicy(String path, String what, ZonePath zone, Policy policy, String policyOwner) throws StreamException {
        if (policy != null) {
            PolicyEngine.Decision own = PolicyEngine.placement("/" + path, zone, policy);
            if (!own.allowed()) {
                throw new StreamException("refused by " + policyOwner + ": " + what + ": " + own.reason());
            }
        }
    }
}
