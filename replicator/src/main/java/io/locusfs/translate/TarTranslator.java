package io.locusfs.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.locusfs.tree.SnapshotTree;
import io.locusfs.tree.TreeBuilder;
import io.locusfs.xattr.ReservedAttributes;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The {@code tar} format: a POSIX pax archive GNU tar and bsdtar extract, keeping modes, owners,
 * times with nanoseconds, symlinks, hard links, sparse files, devices and xattrs, with each
 * file's zone and signed location record as {@code SCHILY.xattr.user.location*} records. A
 * first entry (the root directory) says in its pax {@code comment} which snapshot it is (and,
 * for an incremental export, the older snapshot and the paths removed since); a last entry (the
 * root again) holds every file's CRC32C and the entry count, so a corrupt or truncated archive is found before anything is imported.
 * Layout in {@code replicator/FORMATS.md}. Imports also read archives other tools made.
 */
public final class TarTranslator implements Translator {
    static final String XATTR = "SCHILY.xattr.";
    static final String BINARY_XATTR = "LIBARCHIVE.xattr.";
    private static final String COMMENT = "comment";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK = 1 << 20;
    private static final byte[] ZEROS = new byte[64 << 10];

    @Override
    public String name() {
        return "tar";
    }

    @Override
    public String description() {
        return "POSIX pax archive (GNU tar, bsdtar): modes, owners, ns times, links, sparse files, xattrs, signed locations";
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.allOf(Capability.class);
    }

    @Override
    public void export(ExportJob job) throws IOException {
        SnapshotTree tree = job.tree();
        Map<String, String> crcs = new TreeMap<>();
        long[] entries = {0};
        try (OutputStream file = Files.newOutputStream(job.output());
             PaxWriter pax = new PaxWriter(new BufferedOutputStream(file, CHUNK))) {
            SnapshotTree.Node root = tree.root();
            if (root.kind() != SnapshotTree.Kind.DIRECTORY) {
                throw new TranslationException("a tar export starts at a directory; '" + tree.header().snapshot()
                        + "' has a " + root.kind() + " there");
            }
            byte[] buffer = new byte[CHUNK];
            writeNode(pax, root, buffer, headerJson(tree));
            entries[0]++;
            tree.walk(node -> {
                if (node.kind() == SnapshotTree.Kind.SOCKET || node.path().isEmpty()) {
                    return; // tar has no sockets (GNU tar leaves them out too); the root went first
                }
                String crc = writeNode(pax, node, buffer, null);
                if (crc != null) {
                    crcs.put(node.path(), crc);
                }
                entries[0]++;
                job.progress().advance(1, SnapshotTree.dataBytes(node));
            });
            ObjectNode trailer = JSON.createObjectNode().put("locusfs-end", 1).put("entries", entries[0]);
            trailer.set("crc32c", JSON.valueToTree(crcs));
            writeNode(pax, root, buffer, JSON.writeValueAsString(trailer));
        }
    }

    private static String headerJson(SnapshotTree tree) throws IOException {
        SnapshotTree.Header h = tree.header();
        ObjectNode header = JSON.createObjectNode().put("locusfs", 1).put("snapshot", h.snapshot())
                .put("since", h.since()).put("created", h.created().toString()).put("store", h.storeId()).put("zone", h.zone());
        header.set("removed", JSON.valueToTree(tree.removed()));
        return JSON.writeValueAsString(header);
    }

    /**
     * Writes one entry, with {@code comment} (the LocusFS header or trailer) when not null;
     * returns the CRC32C of a regular file's content, else null.
     */
    private static String writeNode(PaxWriter pax, SnapshotTree.Node node, byte[] buffer, String comment) throws IOException {
        Map<String, byte[]> records = new LinkedHashMap<>();
        if (comment != null) {
            records.put(COMMENT, PaxWriter.utf8(comment));
        }
        for (var xattr : node.xattrs().entrySet()) {
            records.put(XATTR + xattr.getKey(), xattr.getValue());
            if (!isText(xattr.getValue())) {
                // Raw bytes are what GNU tar reads; readers that take values as text (ours too) need base64.
                records.put(BINARY_XATTR + URLEncoder.encode(xattr.getKey(), StandardCharsets.UTF_8),
                        PaxWriter.utf8(Base64.getEncoder().encodeToString(xattr.getValue())));
            }
        }
        if (node.kind() == SnapshotTree.Kind.FILE || node.kind() == SnapshotTree.Kind.DIRECTORY) {
            // Linux keeps user.* xattrs only on files and directories, so extracting would fail on others.
            records.put(XATTR + ReservedAttributes.LOCATION, PaxWriter.utf8(node.zone()));
            records.put(XATTR + ReservedAttributes.RECORD, PaxWriter.utf8(node.locationRecord()));
        }
        String path = node.path().isEmpty() ? "./" : node.path();
        char type;
        String link = null;
        long size = 0;
        long major = 0;
        long minor = 0;
        switch (node.kind()) {
            case DIRECTORY -> {
                type = PaxWriter.DIRECTORY;
                path = node.path().isEmpty() ? "./" : node.path() + "/";
            }
            case SYMLINK -> {
                type = PaxWriter.SYMLINK;
                link = node.symlinkTarget();
            }
            case FIFO -> type = PaxWriter.FIFO;
            case CHAR_DEVICE, BLOCK_DEVICE -> {
                type = node.kind() == SnapshotTree.Kind.CHAR_DEVICE ? PaxWriter.CHAR_DEVICE : PaxWriter.BLOCK_DEVICE;
                major = ((node.rdev() >>> 8) & 0xfff) | ((node.rdev() >>> 32) & ~0xfffL);
                minor = (node.rdev() & 0xff) | ((node.rdev() >>> 12) & ~0xffL);
            }
            default -> {
                type = node.hardLinkOf() != null ? PaxWriter.HARD_LINK : PaxWriter.REGULAR;
                link = node.hardLinkOf();
            }
        }
        if (type != PaxWriter.REGULAR) {
            pax.entry(new PaxWriter.Header(path, type, node.permissions(), node.uid(), node.gid(), 0, node.atimeNanos(),
                    node.mtimeNanos(), node.ctimeNanos(), link, major, minor, records));
            return null;
        }
        List<SnapshotTree.Extent> extents = node.content().extents();
        long stored = extents.stream().mapToLong(SnapshotTree.Extent::length).sum();
        byte[] map = null;
        if (stored < node.size()) {
            List<SnapshotTree.Extent> withEnd = new ArrayList<>(extents);
            if (withEnd.isEmpty() || end(withEnd.get(withEnd.size() - 1)) < node.size()) {
                withEnd.add(new SnapshotTree.Extent(node.size(), 0)); // says where the file ends, as GNU tar does
            }
            map = PaxWriter.sparseMap(withEnd);
            records.put("GNU.sparse.major", PaxWriter.utf8("1"));
            records.put("GNU.sparse.minor", PaxWriter.utf8("0"));
            records.put("GNU.sparse.name", PaxWriter.utf8(node.path()));
            records.put("GNU.sparse.realsize", PaxWriter.utf8(Long.toString(node.size())));
            int slash = node.path().lastIndexOf('/');
            path = node.path().substring(0, slash + 1) + "GNUSparseFile.0/" + node.path().substring(slash + 1);
        } else {
            extents = node.size() == 0 ? List.of() : List.of(new SnapshotTree.Extent(0, node.size()));
        }
        pax.entry(new PaxWriter.Header(path, type, node.permissions(), node.uid(), node.gid(),
                (map == null ? 0 : map.length) + (map == null ? node.size() : stored), node.atimeNanos(), node.mtimeNanos(),
                node.ctimeNanos(), null, 0, 0, records));
        if (map != null) {
            pax.data(map, map.length);
        }
        // The checksum covers the file as read back (holes as zeros), what an extractor produces.
        CRC32C crc = new CRC32C();
        long position = 0;
        for (SnapshotTree.Extent extent : extents) {
            crc = zeros(crc, extent.offset() - position);
            for (long done = 0; done < extent.length(); ) {
                int n = (int) Math.min(buffer.length, extent.length() - done);
                node.content().read(extent.offset() + done, buffer, n);
                pax.data(buffer, n);
                crc.update(buffer, 0, n);
                done += n;
            }
            position = end(extent);
        }
        crc = zeros(crc, node.size() - position);
        return Long.toHexString(crc.getValue());
    }

    private static long end(SnapshotTree.Extent extent) {
        return extent.offset() + extent.length();
    }

    /** Adds {@code count} zero bytes (a hole) to {@code crc}. */
    private static CRC32C zeros(CRC32C crc, long count) {
        for (long left = count; left > 0; ) {
            int n = (int) Math.min(ZEROS.length, left);
            crc.update(ZEROS, 0, n);
            left -= n;
        }
        return crc;
    }

    private static boolean isText(byte[] value) {
        for (byte b : value) {
            if (b == 0) {
                return false;
            }
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Override
    public void verify(ExportJob job) throws IOException {
        Scan scan = scan(job.output());
        if (scan.header == null || scan.trailer == null) {
            throw new TranslationException(job.output() + ": the LocusFS header or trailer is missing");
        }
        Map<String, SnapshotTree.Kind> written = scan.kinds;
        long[] expected = {1}; // the root
        job.tree().walk(node -> {
            if (node.kind() == SnapshotTree.Kind.SOCKET || node.path().isEmpty()) {
                return;
            }
            expected[0]++;
            SnapshotTree.Kind kind = written.get(node.path());
            SnapshotTree.Kind wanted = node.hardLinkOf() != null ? SnapshotTree.Kind.FILE : node.kind();
            if (kind != wanted) {
                throw new TranslationException(job.output() + ": '" + node.path() + "' is "
                        + (kind == null ? "missing" : "a " + kind + " instead of a " + wanted) + " when read back");
            }
        });
        if (expected[0] != written.size()) {
            throw new TranslationException(job.output() + ": " + written.size() + " entries read back, " + expected[0] + " expected");
        }
    }

    /** What a full read of an archive found; checksums and the entry count already checked against the trailer. */
    private static final class Scan {
        JsonNode header;
        JsonNode trailer;
        final Map<String, SnapshotTree.Kind> kinds = new LinkedHashMap<>();
    }

    /**
     * Reads the whole archive once: every header, every byte of data (CRC32C computed), the
     * LocusFS header and trailer when present, and checks the checksums and count.
     *
     * @throws TranslationException for a corrupt, truncated or hostile archive
     */
    private static Scan scan(Path input) throws IOException {
        Scan scan = new Scan();
        Map<String, String> crcs = new LinkedHashMap<>();
        byte[] buffer = new byte[CHUNK];
        try (TarArchiveInputStream tar = open(input)) {
            TarArchiveEntry entry;
            while ((entry = next(tar, input)) != null) {
                if (scan.trailer != null) {
                    throw new TranslationException(input + ": entries after the LocusFS trailer");
                }
                if (scan.kinds.isEmpty()) {
                    scan.header = locusComment(entry, "locusfs", input);
                }
                scan.trailer = locusComment(entry, "locusfs-end", input);
                if (scan.trailer != null) {
                    continue;
                }
                String path = pathOf(entry);
                checkParents(scan.kinds, path, input);
                if (entry.isLink()) {
                    String target = ArchivePath.normalise(entry.getLinkName());
                    boolean incremental = scan.header != null && !scan.header.path("since").isNull();
                    if (!incremental && scan.kinds.get(target) != SnapshotTree.Kind.FILE) {
                        throw new TranslationException(input + ": '" + path + "' is a hard link to '" + target
                                + "', which is not a file earlier in the archive");
                    }
                }
                SnapshotTree.Kind kind = kindOf(entry);
                scan.kinds.put(path, kind);
                if (kind == SnapshotTree.Kind.FILE && !entry.isLink()) {
                    CRC32C crc = new CRC32C();
                    InputStream content = contentOf(entry, tar, input);
                    for (int n; (n = read(content, buffer, input)) > 0; ) {
                        crc.update(buffer, 0, n);
                    }
                    crcs.put(path, Long.toHexString(crc.getValue()));
                }
            }
        }
        if (scan.header != null) {
            if (scan.trailer == null) {
                throw new TranslationException(input + ": truncated: the archive ends before its LocusFS trailer");
            }
            if (scan.trailer.path("entries").asLong() != scan.kinds.size()) {
                throw new TranslationException(input + ": " + scan.kinds.size() + " entries, but the trailer says "
                        + scan.trailer.path("entries").asLong());
            }
            JsonNode expected = scan.trailer.path("crc32c");
            for (var crc : crcs.entrySet()) {
                String want = expected.path(crc.getKey()).asText(null);
                if (!crc.getValue().equals(want)) {
                    throw new TranslationException(input + ": '" + crc.getKey() + "' is corrupt: its CRC32C is "
                            + crc.getValue() + ", the archive recorded " + want);
                }
            }
        }
        return scan;
    }

    /**
     * Refuses a path below something the archive made a non-directory (a symlink, say), which
     * an import could not apply, so that it is found before anything is written.
     */
    private static void checkParents(Map<String, SnapshotTree.Kind> kinds, String path, Path input) throws TranslationException {
        for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
            SnapshotTree.Kind parent = kinds.get(path.substring(0, slash));
            if (parent != null && parent != SnapshotTree.Kind.DIRECTORY) {
                throw new TranslationException(input + ": '" + path + "' lies below '" + path.substring(0, slash)
                        + "', which the archive made a " + parent.name().toLowerCase());
            }
        }
    }

    private static TarArchiveInputStream open(Path input) throws IOException {
        return new TarArchiveInputStream(GnuSparse.hidingSparseKeys(new BufferedInputStream(Files.newInputStream(input), CHUNK)), "UTF-8");
    }

    /** The path an entry extracts to (a sparse file's own, not GNU tar's {@code GNUSparseFile.0/} one). */
    private static String pathOf(TarArchiveEntry entry) throws TranslationException {
        return ArchivePath.normalise(GnuSparse.isSparse(entry) ? GnuSparse.name(entry) : entry.getName());
    }

    /** A regular file's content as an extractor writes it: a sparse file's holes read as zeros. */
    private static InputStream contentOf(TarArchiveEntry entry, TarArchiveInputStream tar, Path input) throws IOException {
        if (!GnuSparse.isSparse(entry)) {
            return tar;
        }
        try {
            return GnuSparse.expand(tar, GnuSparse.realSize(entry, input.toString()), entry.getSize(), input + ": '" + pathOf(entry) + "'");
        } catch (TranslationException e) {
            throw e;
        } catch (IOException e) {
            throw new TranslationException(input + ": truncated or corrupt tar data: " + e.getMessage(), e);
        }
    }

    private static TarArchiveEntry next(TarArchiveInputStream tar, Path input) throws TranslationException {
        try {
            return tar.getNextEntry();
        } catch (IOException | RuntimeException e) {
            throw new TranslationException(input + ": not a readable tar archive: " + e.getMessage(), e);
        }
    }

    private static int read(InputStream tar, byte[] buffer, Path input) throws TranslationException {
        try {
            return tar.read(buffer);
        } catch (IOException | RuntimeException e) {
            throw new TranslationException(input + ": truncated or corrupt tar data: " + e.getMessage(), e);
        }
    }

    /** The LocusFS header or trailer (the JSON comment that has {@code key}) an entry carries, or null. */
    private static JsonNode locusComment(TarArchiveEntry entry, String key, Path input) throws TranslationException {
        String comment = entry.getExtraPaxHeader(COMMENT);
        if (comment == null) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(comment);
            return node.has(key) ? node : null;
        } catch (IOException e) {
            throw new TranslationException(input + ": unreadable LocusFS header: " + e.getMessage(), e);
        }
    }

    private static SnapshotTree.Kind kindOf(TarArchiveEntry entry) {
        if (entry.isDirectory()) {
            return SnapshotTree.Kind.DIRECTORY;
        } else if (entry.isSymbolicLink()) {
            return SnapshotTree.Kind.SYMLINK;
        } else if (entry.isFIFO()) {
            return SnapshotTree.Kind.FIFO;
        } else if (entry.isCharacterDevice()) {
            return SnapshotTree.Kind.CHAR_DEVICE;
        } else if (entry.isBlockDevice()) {
            return SnapshotTree.Kind.BLOCK_DEVICE;
        }
        return SnapshotTree.Kind.FILE;
    }

    @Override
    public void importInto(ImportJob job) throws IOException {
        Scan scan = scan(job.input());
        TreeBuilder target = job.target();
        if (scan.header != null) {
            String since = scan.header.path("since").asText(null);
            if (since != null) {
                target.requireBase(since);
            }
            target.describe(new SnapshotTree.Header(scan.header.path("snapshot").asText(), since,
                    Instant.parse(scan.header.path("created").asText()), scan.header.path("store").asText(),
                    scan.header.path("zone").asText()));
            for (JsonNode removed : scan.header.path("removed")) {
                target.remove(ArchivePath.normalise(removed.asText()));
            }
        }
        try (TarArchiveInputStream tar = open(job.input())) {
            TarArchiveEntry entry;
            while ((entry = next(tar, job.input())) != null) {
                if (locusComment(entry, "locusfs-end", job.input()) != null) {
                    break;
                }
                SnapshotTree.Node node = nodeOf(entry, job.input());
                target.add(node, node.kind() == SnapshotTree.Kind.FILE && node.hardLinkOf() == null ? contentOf(entry, tar, job.input()) : null);
                job.progress().advance(1, node.size());
            }
        }
    }

    private static SnapshotTree.Node nodeOf(TarArchiveEntry entry, Path input) throws TranslationException {
        Map<String, byte[]> xattrs = new LinkedHashMap<>();
        for (var record : entry.getExtraPaxHeaders().entrySet()) {
            String key = record.getKey();
            if (key.startsWith(XATTR)) {
                xattrs.putIfAbsent(key.substring(XATTR.length()), PaxWriter.utf8(record.getValue()));
            } else if (key.startsWith(BINARY_XATTR)) {
                xattrs.put(URLDecoder.decode(key.substring(BINARY_XATTR.length()), StandardCharsets.UTF_8),
                        Base64.getDecoder().decode(record.getValue()));
            }
        }
        xattrs.keySet().removeIf(ReservedAttributes::isReserved);
        long mtime = nanos(entry.getLastModifiedTime());
        long atime = entry.getLastAccessTime() == null ? mtime : nanos(entry.getLastAccessTime());
        long ctime = entry.getStatusChangeTime() == null ? mtime : nanos(entry.getStatusChangeTime());
        SnapshotTree.Kind kind = kindOf(entry);
        long rdev = (entry.getDevMinor() & 0xffL) | ((entry.getDevMajor() & 0xfffL) << 8)
                | ((entry.getDevMinor() & ~0xffL) << 12) | ((entry.getDevMajor() & ~0xfffL) << 32);
        long size = kind != SnapshotTree.Kind.FILE ? 0
                : GnuSparse.isSparse(entry) ? GnuSparse.realSize(entry, input.toString()) : entry.getRealSize();
        return new SnapshotTree.Node(pathOf(entry), kind, entry.getMode() & 07777,
                (int) entry.getLongUserId(), (int) entry.getLongGroupId(), atime, mtime, ctime, size,
                kind == SnapshotTree.Kind.SYMLINK ? entry.getLinkName() : null, rdev, xattrs, null, null,
                entry.isLink() ? ArchivePath.normalise(entry.getLinkName()) : null, null);
    }

    private static long nanos(FileTime time) {
        Instant instant = time.toInstant();
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    }
}
