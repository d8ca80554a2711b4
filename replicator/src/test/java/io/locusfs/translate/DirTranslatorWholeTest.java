package io.locusfs.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.locusfs.tree.Progress;
import io.locusfs.tree.SnapshotTree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DirTranslator#writeWhole}: all or nothing into a directory in use. */
class DirTranslatorWholeTest {
    @TempDir
    Path dir;

    private static final long T = 1_700_000_000_000_000_000L;

    /** A tree of {@code nodes}; a file whose content is "FAIL" fails when read (a damaged source). */
    private static SnapshotTree tree(List<SnapshotTree.Node> nodes) {
        return new SnapshotTree() {
            public Header header() {
                return new Header("s", null, Instant.EPOCH, "store", "eu");
            }

            public List<String> removed() {
                return List.of();
            }

            public Node root() {
                return nodes.get(0);
            }

            public long files() {
                return nodes.size();
            }

            public long bytes() {
                return 0;
            }

            public void walk(Visitor visitor) throws IOException {
                for (Node n : nodes) {
                    visitor.visit(n);
                }
            }
        };
    }

    private static SnapshotTree.Node dir(String path) {
        return new SnapshotTree.Node(path, SnapshotTree.Kind.DIRECTORY, 0755, 0, 0, T, T, T, 0, null, 0, Map.of(), "eu", "", null, null);
    }

    private static SnapshotTree.Node file(String path, String text, String linkOf) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        SnapshotTree.FileContent content = linkOf != null ? null : new SnapshotTree.FileContent() {
            public List<SnapshotTree.Extent> extents() {
                return List.of(new SnapshotTree.Extent(0, bytes.length));
            }

            public void read(long offset, byte[] buffer, int length) throws IOException {
                if (text.equals("FAIL")) {
                    throw new IOException("block 42 fails its authentication tag");
                }
                System.arraycopy(bytes, (int) offset, buffer, 0, length);
            }

            public InputStream open() {
                throw new UnsupportedOperationException();
            }
        };
        return new SnapshotTree.Node(path, SnapshotTree.Kind.FILE, 0644, 0, 0, T, T, T, bytes.length, null, 0, Map.of(), "eu", "",
                linkOf, content);
    }

    private List<String> listing() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> all = Files.walk(dir)) {
            all.filter(p -> !p.equals(dir)).forEach(p -> found.add(dir.relativize(p).toString()));
        }
        found.sort(null);
        return found;
    }

    @Test
    void everythingArrivesAndWhatWasThereBesideItStays() throws Exception {
        Files.createDirectories(dir.resolve("docs"));
        Files.writeString(dir.resolve("docs/mine.txt"), "mine");
        Files.writeString(dir.resolve("docs/a.txt"), "old");
        DirTranslator.writeWhole(tree(List.of(dir(""), dir("docs"), file("docs/a.txt", "new", null), dir("new"),
                file("new/b.txt", "b", null), file("new/b-link", "b", "new/b.txt"))), dir, Progress.NONE);
        assertEquals(List.of("docs", "docs/a.txt", "docs/mine.txt", "new", "new/b-link", "new/b.txt"), listing());
        assertEquals("new", Files.readString(dir.resolve("docs/a.txt")));
        assertEquals("mine", Files.readString(dir.resolve("docs/mine.txt")));
        assertEquals(2, Files.getAttribute(dir.resolve("new/b.txt"), "unix:nlink"));
        assertEquals(T / 1_000_000, Files.getLastModifiedTime(dir.resolve("docs")).toMillis(), "a merged directory's time is set after");
        assertEquals(T / 1_000_000, Files.getLastModifiedTime(dir).toMillis());
    }

    @Test
    void aFailedReadLeavesTheDirectoryAsItWas() throws Exception {
        Files.createDirectories(dir.resolve("docs"));
        Files.writeString(dir.resolve("docs/a.txt"), "old");
        IOException e = assertThrows(IOException.class, () -> DirTranslator.writeWhole(tree(List.of(dir(""), dir("docs"),
                file("docs/a.txt", "new", null), file("docs/z.txt", "FAIL", null))), dir, Progress.NONE));
        assertTrue(e.getMessage().contains("authentication tag"), e.getMessage());
        assertEquals(List.of("docs", "docs/a.txt"), listing());
        assertEquals("old", Files.readString(dir.resolve("docs/a.txt")));
    }

    @Test
    void aFileOverADirectoryIsRefusedBeforeAnythingMoves() throws Exception {
        Files.createDirectories(dir.resolve("x"));
        TranslationException e = assertThrows(TranslationException.class, () -> DirTranslator.writeWhole(tree(List.of(dir(""),
                file("a.txt", "a", null), file("x", "file", null))), dir, Progress.NONE));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
        assertEquals(List.of("x"), listing());
        assertFalse(Arrays.asList(dir.toFile().list()).contains("a.txt"));
    }
}
