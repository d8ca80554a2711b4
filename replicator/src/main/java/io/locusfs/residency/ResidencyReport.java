package io.locusfs.residency;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import io.locusfs.policy.Policy;
import io.locusfs.policy.PolicyEngine;
import io.locusfs.replicate.ReplicaBook;
import io.locusfs.store.Inode;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import io.locusfs.store.View;
import io.locusfs.tree.Progress;
import io.locusfs.wire.JsonLines;
import io.locusfs.xattr.Coordinates;
import io.locusfs.xattr.LocationRecord;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ReservedAttributes;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Writes a residency report (format in {@code replicator/RESIDENCY.md}): for every file and
 * directory under the asked paths of a store's live tree, every copy that exists or existed in
 * the period, each with its zone, coordinates, the signed record of the node that vouched for it
 * and its time span; then a summary by zone, and the copies the placement policy does not allow.
 * Streams: one file's entry is in memory at a time (plus the inode numbers of hard-linked files),
 * and the body is hashed as it is written; the node key signs the hash on the last line.
 */
public final class ResidencyReport {
    /** The first field of every report: its format and version. */
    public static final String FORMAT = "locusfs-residency 1";

    /** What to report on: paths of the store's tree ("/" based), and a period (empty: unbounded). */
    public record Scope(List<String> paths, Optional<Instant> since, Optional<Instant> until) {
    }

    private final Store store;
    private final Policy policy;
    private final NodeIdentity identity;
    private final Scope scope;
    private final Instant now;
    private final View live;
    /** The store's location history as copies "here" may cite: id → record, oldest first. */
    private final List<Stay> storeStays = new ArrayList<>();
    /** Records of the store superseded within a stay by another in the same zone: listed, not cited. */
    private final List<Stay> earlierRecords = new ArrayList<>();
    private final List<MirrorStay> mirrorStays = new ArrayList<>();
    private final Map<Long, String> firstPathOfLinked = new HashMap<>();
    private final SummaryBuilder summary = new SummaryBuilder();

    /**
     * A stay of the store in one zone: from its record's time until the next record's (null:
     * still); {@code endIno} is the first inode number allocated after it ended (0: unknown or
     * still open): a file numbered that or higher was made later and never lived in it.
     */
    private record Stay(String id, LocationRecord record, Instant from, Instant until, long endIno) {
        boolean mayHold(long ino) {
            return endIno == 0 || ino < endIno;
        }
    }

    /** A stay of a mirror in one zone, and how to tell whether it holds a file. */
    private record MirrorStay(String id, ReplicaBook.Span span, LocationRecord record, View held, Set<Long> leftOut) {
    }

    private ResidencyReport(Store store, Policy policy, NodeIdentity identity, Scope scope, Instant now) {
        this.store = store;
        this.policy = policy == null ? Policy.empty() : policy;
        this.identity = identity;
        this.scope = scope;
        this.now = now;
        this.live = store.tree().live();
    }

    /**
     * Writes the report on {@code scope} of {@code store} to {@code out}, signed by {@code identity};
     * copies are judged against {@code policy}'s placement rules (null: none).
     *
     * @throws StoreException NOT_FOUND naming a path that is not in the store
     */
    public static ResidencySummary write(Store store, Policy policy, NodeIdentity identity, Scope scope, Instant now,
                                         OutputStream out, Progress progress) throws IOException {
        return new ResidencyReport(store, policy, identity, scope, now).write(out, progress);
    }

    /** The forms a report is written in: the signed report itself, or the page for people that carries it. */
    public enum Form { JSON, HTML }

    /**
     * Writes the report to {@code output} in {@code form}, whole or not at all: it is written
     * beside, then renamed into place.
     */
    public static ResidencySummary writeFile(Store store, Policy policy, NodeIdentity identity, Scope scope, Form form,
                                             Path output, Progress progress) throws IOException {
        Path dir = output.toAbsolutePath().getParent();
        Path json = Files.createTempFile(dir, ".residency-", ".json.part");
        Path html = null;
        try {
            ResidencySummary summary;
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(json), 1 << 16)) {
                summary = write(store, policy, identity, scope, Instant.now(), out, progress);
            }
            Path done = json;
            if (form == Form.HTML) {
                html = Files.createTempFile(dir, ".residency-", ".html.part");
                ResidencyHtml.render(json, html);
                done = html;
            }
            // A file like any other the user writes (rw-r--r--), not a temporary file's 0600.
            Files.setPosixFilePermissions(done, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(done, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return summary;
        } finally {
            Files.deleteIfExists(json);
            if (html != null) {
                Files.deleteIfExists(html);
            }
        }
    }

    private ResidencySummary write(OutputStream out, Progress progress) throws IOException {
        List<String> paths = outermost(scope.paths());
        List<Long> roots = new ArrayList<>();
        for (String path : paths) {
            roots.add(resolve(path));
        }
        gatherStays();
        MessageDigest sha256 = sha256();
        DigestOutputStream body = new DigestOutputStream(out, sha256);
        try (JsonGenerator json = JsonLines.MAPPER.getFactory().createGenerator(body, JsonEncoding.UTF8)
                .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) {
            json.writeStartObject();
            json.writeStringField("format", FORMAT);
            json.writeStringField("generated", now.toString());
            json.writeStringField("node", identity.nodeId());
            json.writeStringField("store", store.storeId());
            json.writeArrayFieldStart("paths");
            for (String p : scope.paths()) {
                json.writeString(p);
            }
            json.writeEndArray();
            json.writeObjectFieldStart("period");
            json.writeStringField("since", scope.since().map(Instant::toString).orElse(null));
            json.writeStringField("until", scope.until().map(Instant::toString).orElse(null));
            json.writeEndObject();
            json.writeStringField("policy", policy.source() == null ? null : policy.source().toString());
            json.writeArrayFieldStart("records");
            for (Stay s : earlierRecords) {
                writeRecord(json, s.id(), "this store (" + s.record().zone() + ", superseded in the same zone)", s.record());
            }
            for (Stay s : storeStays) {
                writeRecord(json, s.id(), "this store (" + s.record().zone() + ")", s.record());
            }
            for (MirrorStay m : mirrorStays) {
                writeRecord(json, m.id(), "mirror " + m.span().name() + " (" + m.span().zone() + ")", m.record());
            }
            json.writeEndArray();
            json.writeArrayFieldStart("files");
            for (int i = 0; i < roots.size(); i++) {
                walk(json, paths.get(i), roots.get(i), progress);
            }
            json.writeEndArray();
            json.writeFieldName("summary");
            summary.build().write(json);
            json.writeArrayFieldStart("limits");
            for (String limit : ResidencySummary.LIMITS) {
                json.writeString(limit);
            }
            json.writeEndArray();
            json.writeEndObject();
        }
        body.write('\n');
        body.flush();
        String hex = ReportSignature.hex(sha256.digest());
        out.write(ReportSignature.line(identity, hex).getBytes(StandardCharsets.UTF_8));
        out.flush();
        return summary.build();
    }

    /** The paths without those inside another one given (each entry is listed once). */
    static List<String> outermost(List<String> paths) {
        List<String> sorted = paths.stream().map(p -> p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p)
                .distinct().sorted().toList();
        List<String> kept = new ArrayList<>();
        for (String p : sorted) {
            boolean inside = kept.stream().anyMatch(k -> k.equals("/") || p.startsWith(k + "/"));
            if (!inside) {
                kept.add(p);
            }
        }
        return kept;
    }

    private long resolve(String path) {
        long ino = Store.ROOT_INO;
        for (String name : path.split("/")) {
            if (name.isEmpty()) {
                continue;
            }
            ino = live.lookup(ino, name.getBytes(StandardCharsets.ISO_8859_1));
            if (ino == 0) {
                throw new StoreException(StoreException.Kind.NOT_FOUND, "no such file or directory: " + path);
            }
        }
        return ino;
    }

    /** The store's stays (its location history) and every mirror's, those that meet the period. */
    private void gatherStays() {
        List<LocationRecord> history = store.locationHistory();
        List<Long> firstInodes = store.locationHistoryInodes();
        if (history.isEmpty()) {
            store.locationRecord().ifPresent(history::add);
            firstInodes = List.of(0L);
        }
        // Records in a row in one zone (coordinates added, say) are one stay, from the first's time, citing the
        // last: the copy was in that zone throughout. Every record is in the report's table all the same.
        for (int i = 0; i < history.size(); ) {
            int last = i;
            while (last + 1 < history.size() && history.get(last + 1).zone().equals(history.get(i).zone())) {
                last++;
            }
            Instant until = last + 1 < history.size() ? history.get(last + 1).time() : null;
            long endIno = last + 1 < history.size() ? firstInodes.get(last + 1) : 0;
            if (meets(history.get(i).time(), until)) {
                for (int j = i; j < last; j++) {
                    earlierRecords.add(new Stay("store-" + j, history.get(j), history.get(j).time(), history.get(j + 1).time(), 0));
                }
                storeStays.add(new Stay("store-" + last, history.get(last), history.get(i).time(), until, endIno));
            }
            i = last + 1;
        }
        Map<String, ReplicaBook.Replica> current = new HashMap<>();
        for (ReplicaBook.Replica r : ReplicaBook.all(store)) {
            current.put(r.mirror(), r);
        }
        int n = 0;
        for (ReplicaBook.Span span : ReplicaBook.spans(store)) {
            Instant until = span.open() ? null : instant(span.endedNanos());
            if (!meets(instant(span.firstNanos()), until)) {
                continue;
            }
            LocationRecord record;
            try {
                record = LocationRecord.parse(span.record());
            } catch (IllegalArgumentException e) {
                continue; // A mirror that sent no record (an older one) vouches for nothing: left out, said in the limits.
            }
            ReplicaBook.Replica replica = current.get(span.mirror());
            View held = null;
            if (span.open() && replica != null) {
                Optional<Snapshots.Snapshot> s = store.snapshots().find(replica.snapshot());
                held = s.map(snapshot -> store.snapshots().view(snapshot)).orElse(null);
            }
            mirrorStays.add(new MirrorStay("mirror-" + n++, span, record, held,
                    replica == null ? Set.of() : replica.leftOut()));
        }
    }

    private boolean meets(Instant from, Instant until) {
        boolean afterStart = scope.since().isEmpty() || until == null || !until.isBefore(scope.since().get());
        boolean beforeEnd = scope.until().isEmpty() || !from.isAfter(scope.until().get());
        return afterStart && beforeEnd;
    }

    private static Instant instant(long nanos) {
        return Instant.ofEpochSecond(0, nanos);
    }

    private static void writeRecord(JsonGenerator json, String id, String describes, LocationRecord record) throws IOException {
        json.writeStartObject();
        json.writeStringField("id", id);
        json.writeStringField("describes", describes);
        json.writeStringField("text", record.encode());
        json.writeEndObject();
    }

    /** Depth first, each directory before what it holds, entries in name order. */
    private void walk(JsonGenerator json, String path, long ino, Progress progress) throws IOException {
        Inode inode = live.inodeOrNull(ino);
        if (inode == null) {
            return; // Removed while we walked.
        }
        writeEntry(json, path, inode);
        progress.advance(1, inode.isRegular() ? inode.size : 0);
        if (inode.isDirectory()) {
            List<Object[]> children = new ArrayList<>();
            live.list(ino, e -> children.add(new Object[] {new String(e.name(), StandardCharsets.ISO_8859_1), e.ino()}));
            String prefix = path.endsWith("/") ? path : path + "/";
            for (Object[] child : children) {
                walk(json, prefix + child[0], (Long) child[1], progress);
            }
        }
    }

    private void writeEntry(JsonGenerator json, String path, Inode inode) throws IOException {
        json.writeStartObject();
        json.writeStringField("path", path);
        json.writeStringField("kind", kind(inode));
        long bytes = inode.isRegular() ? inode.size : 0;
        json.writeNumberField("bytes", bytes);
        if (!inode.isDirectory() && inode.nlink > 1) {
            String first = firstPathOfLinked.putIfAbsent(inode.ino, path);
            if (first != null) {
                json.writeStringField("hard_link_of", first); // The same data: its copies are listed once, there.
                json.writeEndObject();
                return;
            }
        }
        SummaryBuilder.Entry entry = summary.entry(inode.isDirectory(), bytes);
        json.writeArrayFieldStart("copies");
        LocationRecord storeRecord = storeStays.isEmpty() ? null : storeStays.get(storeStays.size() - 1).record();
        LocationRecord own = storeRecord == null ? null : live.locationRecord(inode.ino, storeRecord);
        List<String> provenance = provenanceOf(inode.ino); // a replica: the stores its data came through
        if (own != null && own != storeRecord) {
            // Data placed here under a record of its own: it lives where that says, since it was made.
            writeCopy(json, entry, path, "here", own, null, own.time(), null);
        } else {
            for (Stay s : storeStays) {
                if (s.mayHold(inode.ino)) {
                    writeCopy(json, entry, path, "here", s.record(), s.id(), s.from(), s.until());
                }
            }
        }
        for (MirrorStay m : mirrorStays) {
            if (holds(m, inode.ino, path)) {
                writeCopy(json, entry, path, "mirror " + m.span().name(), m.record(), m.id(), instant(m.span().firstNanos()),
                        m.span().open() ? null : instant(m.span().endedNanos()));
            }
        }
        json.writeEndArray();
        if (!provenance.isEmpty()) {
            json.writeArrayFieldStart("provenance");
            for (String record : provenance) {
                json.writeString(record);
            }
            json.writeEndArray();
        }
        json.writeEndObject();
    }

    /**
     * Whether mirror stay {@code m} holds the file: for a mirror that still holds this store's
     * snapshots, the snapshot it last acknowledged has it and placement did not keep it back;
     * for a stay that has ended, whether placement would let it be sent there now (what was
     * sent then is not recorded per file: see the limits).
     */
    private boolean holds(MirrorStay m, long ino, String path) {
        if (m.span().open()) {
            return m.held() != null && m.held().inodeOrNull(ino) != null && !m.leftOut().contains(ino);
        }
        return PolicyEngine.placement(path, m.record().zone(), policy).allowed();
    }

    private List<String> provenanceOf(long ino) {
        byte[] origins;
        try {
            origins = live.getXattr(ino, ReservedAttributes.ORIGINS.getBytes(StandardCharsets.UTF_8));
        } catch (StoreException e) {
            return List.of();
        }
        List<String> records = new ArrayList<>();
        for (String paragraph : new String(origins, StandardCharsets.UTF_8).split("\n\n")) {
            if (!paragraph.isBlank()) {
                records.add(paragraph.strip() + "\n");
            }
        }
        return records;
    }

    private void writeCopy(JsonGenerator json, SummaryBuilder.Entry entry, String path, String where, LocationRecord record,
                           String recordId, Instant from, Instant until) throws IOException {
        PolicyEngine.Decision placement = PolicyEngine.placement(path, record.zone(), policy);
        json.writeStartObject();
        json.writeStringField("where", where);
        json.writeStringField("zone", record.zone().toString());
        json.writeStringField("coords", record.coordinates().map(Coordinates::toString).orElse(null));
        json.writeStringField("node", record.node());
        json.writeStringField("from", from.toString());
        json.writeStringField("until", until == null ? null : until.toString());
        if (recordId != null) {
            json.writeStringField("record", recordId);
        } else {
            json.writeStringField("record_text", record.encode());
        }
        json.writeBooleanField("allowed", placement.allowed());
        if (!placement.allowed()) {
            json.writeStringField("refused_by", placement.reason());
        }
        json.writeEndObject();
        entry.copy(record.zone().toString(), placement.allowed(), until == null);
    }

    private static String kind(Inode inode) {
        return switch (inode.mode & Inode.S_IFMT) {
            case Inode.S_IFDIR -> "directory";
            case Inode.S_IFREG -> "file";
            case Inode.S_IFLNK -> "symlink";
            default -> "special";
        };
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
