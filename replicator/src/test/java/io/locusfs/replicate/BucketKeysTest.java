package io.locusfs.replicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BucketKeysTest {
    @TempDir
    Path dir;

    private static final byte[] PLAIN = "the quarterly numbers".getBytes(StandardCharsets.UTF_8);

    @Test
    void sealedBytesOpenOnlyWithTheSameContextAndUnchanged() throws Exception {
        Path file = dir.resolve("k");
        String id = BucketKeys.addKey(file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        BucketKeys keys = BucketKeys.load(file);
        assertEquals(id, keys.active());
        byte[] sealed = keys.seal(PLAIN, 0, PLAIN.length, "packs/1");
        assertTrue(new String(sealed, StandardCharsets.ISO_8859_1).indexOf("quarterly") < 0);
        assertNotEquals(new String(sealed, StandardCharsets.ISO_8859_1), new String(keys.seal(PLAIN, 0, PLAIN.length, "packs/1"),
                StandardCharsets.ISO_8859_1), "a fresh nonce each time");
        assertArrayEquals(PLAIN, keys.open(sealed, "packs/1"));
        StreamException moved = assertThrows(StreamException.class, () -> keys.open(sealed, "packs/2"));
        assertTrue(moved.getMessage().contains("fails its authentication tag"), moved.getMessage());
        sealed[sealed.length - 1] ^= 1;
        assertThrows(StreamException.class, () -> keys.open(sealed, "packs/1"));
    }

    @Test
    void aRotatedKeyStillReadsARevokedOneDoesNot() throws Exception {
        Path file = dir.resolve("k");
        String first = BucketKeys.addKey(file);
        byte[] old = BucketKeys.load(file).seal(PLAIN, 0, PLAIN.length, "x");
        String second = BucketKeys.addKey(file);
        BucketKeys both = BucketKeys.load(file);
        assertEquals(List.of(second, first), both.ids());
        assertArrayEquals(PLAIN, both.open(old, "x"));
        assertEquals(second, BucketKeys.keyOf(both.seal(PLAIN, 0, PLAIN.length, "x")));

        Files.writeString(file, Files.readAllLines(file).get(0) + "\n");
        StreamException revoked = assertThrows(StreamException.class, () -> BucketKeys.load(file).open(old, "x"));
        assertTrue(revoked.getMessage().contains("encrypted with key " + first + ", which " + file + " does not hold (revoked?)"),
                revoked.getMessage());
    }

    @Test
    void blockIdsAreKeyedHashes() throws Exception {
        BucketKeys.addKey(dir.resolve("a"));
        BucketKeys.addKey(dir.resolve("b"));
        BucketKeys a = BucketKeys.load(dir.resolve("a"));
        assertEquals(a.blockId(PLAIN, 0, PLAIN.length), a.blockId(PLAIN, 0, PLAIN.length));
        assertNotEquals(a.blockId(PLAIN, 0, PLAIN.length), BucketKeys.load(dir.resolve("b")).blockId(PLAIN, 0, PLAIN.length),
                "the bucket cannot tell two stores hold the same content");
    }

    @Test
    void aBadKeyFileNamesItsLine() throws Exception {
        Path file = dir.resolve("k");
        Files.writeString(file, "# keys\nlocusfs-bucket-key 1 0011223344556677 bm90IGEga2V5\n");
        IOException e = assertThrows(IOException.class, () -> BucketKeys.load(file));
        assertTrue(e.getMessage().startsWith(file + ":2: not a key line"), e.getMessage());
        IOException missing = assertThrows(IOException.class, () -> BucketKeys.load(dir.resolve("none")));
        assertTrue(missing.getMessage().contains("locusfs mirror key"), missing.getMessage());
    }
}
