package io.locusfs.translate;

import io.locusfs.tree.SnapshotTree;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

/** The hand-written pax writer, read back by an independent reader (commons-compress). */
class PaxWriterTest {

    private static PaxWriter.Header file(String path, long size, Map<String, byte[]> records) {
        return new PaxWriter.Header(path, PaxWriter.REGULAR, 0644, 1000, 1000, size, 1_500_000_000_123_456_789L,
                1_700_000_000_987_654_321L, 1_700_000_001_000_000_000L, null, 0, 0, records);
    }

    @Test
    void recordLengthsAreRightAcrossDigitBoundaries() throws Exception {
        // Path lengths that put the record length at 9/10, 99/100 and 999/1000 bytes.
        List<String> paths = new ArrayList<>();
        for (int n = 1; n < 1000; n += 1) {
            if (n < 4 || (n > 85 && n < 95) || (n > 985 && n < 995)) {
                paths.add("p".repeat(n));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PaxWriter pax = new PaxWriter(out)) {
            for (String path : paths) {
                pax.entry(file(path, 1, Map.of("SCHILY.xattr.user.k", "é".getBytes(StandardCharsets.UTF_8))));
                pax.data(new byte[] {42}, 1);
            }
        }
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()), "UTF-8")) {
            for (String path : paths) {
                TarArchiveEntry entry = in.getNextEntry();
                assertEquals(path, entry.getName());
                assertEquals("é", entry.getExtraPaxHeader("SCHILY.xattr.user.k"));
                assertEquals(1_700_000_000L, entry.getLastModifiedTime().toInstant().getEpochSecond());
                assertEquals(987_654_321, entry.getLastModifiedTime().toInstant().getNano());
                assertEquals(42, in.read());
            }
            assertEquals(null, in.getNextEntry());
        }
    }

    @Test
    void aSparseEntryReadsBackWithItsHoles() throws Exception {
        byte[] a = "first extent".getBytes(StandardCharsets.UTF_8);
        byte[] b = "second".getBytes(StandardCharsets.UTF_8);
        List<SnapshotTree.Extent> extents = List.of(new SnapshotTree.Extent(1000, a.length), new SnapshotTree.Extent(70_000, b.length),
                new SnapshotTree.Extent(100_000, 0));
        byte[] map = PaxWriter.sparseMap(extents);
        assertEquals(0, map.length % PaxWriter.BLOCK);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PaxWriter pax = new PaxWriter(out)) {
            pax.entry(file("d/GNUSparseFile.0/s", map.length + a.length + b.length, Map.of(
                    "GNU.sparse.major", "1".getBytes(), "GNU.sparse.minor", "0".getBytes(),
                    "GNU.sparse.name", "d/s".getBytes(), "GNU.sparse.realsize", "100000".getBytes())));
            pax.data(map, map.length);
            pax.data(a, a.length);
            pax.data(b, b.length);
        }
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()), "UTF-8")) {
            TarArchiveEntry entry = in.getNextEntry();
            assertEquals("d/s", entry.getName());
            assertEquals(100_000, entry.getRealSize());
            byte[] content = in.readAllBytes();
            byte[] expected = new byte[100_000];
            System.arraycopy(a, 0, expected, 1000, a.length);
            System.arraycopy(b, 0, expected, 70_000, b.length);
            assertArrayEquals(expected, content);
        }
    }

    @Test
    void anEntryMustGetExactlyItsSize() throws Exception {
        PaxWriter pax = new PaxWriter(new ByteArrayOutputStream());
        pax.entry(file("f", 2, Map.of()));
        assertThrows(IllegalStateException.class, () -> pax.data(new byte[3], 3));
        assertThrows(IllegalStateException.class, () -> pax.entry(file("g", 0, Map.of())));
    }

    @Test
    void archivePathsStayBelowTheRoot() throws Exception {
        assertEquals("a/b", ArchivePath.normalise("./a//b/"));
        assertEquals("a/b", ArchivePath.normalise("/a/./b"));
        assertEquals("", ArchivePath.normalise("./"));
        assertThrows(TranslationException.class, () -> ArchivePath.normalise("a/../../etc"));
        assertThrows(TranslationException.class, () -> ArchivePath.normalise(".."));
    }

    @Test
    void timesKeepTheirNanosecondsAndSign() {
        assertEquals("1700000000.123456789", PaxWriter.time(1_700_000_000_123_456_789L));
        assertEquals("-1.500000000", PaxWriter.time(-1_500_000_000L));
    }
}
