package io.locusfs.translate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The pieces of GNU 1.0 sparse reading: header sizes, the key renaming, the expansion of a map. */
class GnuSparseTest {
    @Test
    void sizesAreReadInOctalAndInBase256() {
        byte[] header = new byte[512];
        byte[] octal = "00000001750\0".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(octal, 0, header, 124, octal.length);
        assertEquals(01750, GnuSparse.size(header));
        Arrays.fill(header, 124, 136, (byte) 0);
        header[124] = (byte) 0x80;
        long big = 107374182400L; // 100 GiB: more than 11 octal digits hold
        for (int i = 0; i < 8; i++) {
            header[135 - i] = (byte) (big >>> (8 * i));
        }
        assertEquals(big, GnuSparse.size(header));
    }

    @Test
    void onlyTheSparseKeysAreRenamedAndLengthsStay() {
        String records = "31 GNU.sparse.realsize=3221225\n" + "22 GNU.sparse.major=1\n" + "27 GNU.sparse.realsizeX=12\n"
                + "24 path=GNU.sparse.name\n";
        byte[] bytes = records.getBytes(StandardCharsets.US_ASCII);
        GnuSparse.rename(bytes, bytes.length);
        assertEquals("31 LOCUSFS.sp.realsize=3221225\n" + "22 LOCUSFS.sp.major=1\n" + "27 GNU.sparse.realsizeX=12\n"
                + "24 path=GNU.sparse.name\n", new String(bytes, StandardCharsets.US_ASCII));
    }

    @Test
    void aMapExpandsToSegmentsAndZeros() throws IOException {
        byte[] map = Arrays.copyOf("2\n3\n2\n8\n1\n".getBytes(StandardCharsets.US_ASCII), 512);
        byte[] stored = new byte[515];
        System.arraycopy(map, 0, stored, 0, 512);
        stored[512] = 'a';
        stored[513] = 'b';
        stored[514] = 'c';
        InputStream content = GnuSparse.expand(new ByteArrayInputStream(stored), 12, stored.length, "t");
        assertArrayEquals(new byte[] {0, 0, 0, 'a', 'b', 0, 0, 0, 'c', 0, 0, 0}, content.readAllBytes());
    }

    @Test
    void aMapOutOfOrderOrBeyondTheSizeIsRefused() {
        byte[] unordered = Arrays.copyOf("2\n8\n1\n3\n1\n".getBytes(StandardCharsets.US_ASCII), 514);
        assertThrows(TranslationException.class, () -> GnuSparse.expand(new ByteArrayInputStream(unordered), 12, 514, "t"));
        byte[] beyond = Arrays.copyOf("1\n11\n5\n".getBytes(StandardCharsets.US_ASCII), 517);
        assertThrows(TranslationException.class, () -> GnuSparse.expand(new ByteArrayInputStream(beyond), 12, 517, "t"));
    }
}
