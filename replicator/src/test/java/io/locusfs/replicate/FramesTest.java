package io.locusfs.replicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FramesTest {
    /** Frames of text (compressible) and random bytes (not), as a sender writes them. */
    private static byte[][] payloads() {
        Random random = new Random(7);
        byte[] noise = new byte[300_000];
        random.nextBytes(noise);
        byte[] text = "the same line again and again\n".repeat(20_000).getBytes();
        return new byte[][] {"{\"header\":1}".getBytes(), text, noise, new byte[0]};
    }

    private static byte[] write(Codec codec, long first) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Frames.Writer w = new Frames.Writer(out, codec, first);
        byte[][] p = payloads();
        w.frame(Frames.HEADER, p[0], p[0].length);
        for (int i = 1; i < p.length; i++) {
            w.frame(Frames.RECORDS, p[i], p[i].length);
        }
        byte[] digest = w.digest();
        w.frame(Frames.END, digest, digest.length);
        return out.toByteArray();
    }

    @Test
    void everyCodecRoundTripsAndTheDigestChainMatchesTheWriters() throws IOException {
        for (Codec codec : Codec.values()) {
            byte[] stream = write(codec, 0);
            Frames.Reader r = new Frames.Reader(new ByteArrayInputStream(stream), first -> null);
            byte[][] p = payloads();
            for (int i = 0; i < p.length; i++) {
                Frames.Frame f = r.next();
                assertEquals(i, f.index());
                assertArrayEquals(p[i], f.payload(), codec + " frame " + i);
            }
            byte[] chain = r.digest();
            Frames.Frame end = r.next();
            assertEquals(Frames.END, end.type());
            assertArrayEquals(chain, end.payload(), "the END frame carries the chain over every frame before it");
        }
        assertTrue(write(Codec.ZSTD, 0).length < write(Codec.NONE, 0).length / 2, "text compresses");
    }

    @Test
    void afterAnIncompressibleFrameTheNextOnesAreSentAsTheyAreThenSampledAgain() throws IOException {
        Random random = new Random(3);
        byte[] noise = new byte[200_000];
        random.nextBytes(noise);
        byte[] text = "compressible text\n".repeat(20_000).getBytes();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Frames.Writer w = new Frames.Writer(out, Codec.ZSTD, 0);
        w.frame(Frames.RECORDS, noise, noise.length);
        long afterNoise = w.bytesWritten();
        w.frame(Frames.RECORDS, text, text.length);
        long skipped = w.bytesWritten() - afterNoise;
        assertEquals(text.length + 14, skipped, "the frame after an incompressible one is stored raw");
        for (int i = 0; i < 8; i++) {
            w.frame(Frames.RECORDS, text, text.length);
        }
        long before = w.bytesWritten();
        w.frame(Frames.RECORDS, text, text.length);
        assertTrue(w.bytesWritten() - before < text.length / 10, "compression is tried again after 8 frames");
        Frames.Reader r = new Frames.Reader(new ByteArrayInputStream(out.toByteArray()), f -> null);
        assertArrayEquals(noise, r.next().payload());
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(text, r.next().payload());
        }
    }

    @Test
    void aFlippedByteAnywhereIsCaughtByTheFramesCrc() throws IOException {
        byte[] stream = write(Codec.ZSTD, 0);
        for (int at = 18; at < stream.length; at += 997) {
            byte[] bad = stream.clone();
            bad[at] ^= 0x10;
            StreamException e = assertThrows(StreamException.class, () -> readAll(bad), "flip at " + at);
            assertFalse(e.resumable(), "a corrupt frame is not a stopped stream: " + e.getMessage());
        }
    }

    @Test
    void aStreamCutShortIsResumableAndAnImpossibleSizeIsRefused() throws IOException {
        byte[] stream = write(Codec.LZ4, 0);
        StreamException cut = assertThrows(StreamException.class, () -> readAll(Arrays.copyOf(stream, stream.length / 2)));
        assertTrue(cut.resumable(), cut.getMessage());
        byte[] huge = stream.clone();
        huge[18 + 2] = 0x7f; // raw length of frame 0: about 2 GiB
        StreamException refused = assertThrows(StreamException.class, () -> readAll(huge));
        assertTrue(refused.getMessage().contains("impossible size"), refused.getMessage());
        assertThrows(StreamException.class, () -> new Frames.Reader(new ByteArrayInputStream("not a stream".getBytes()), f -> null));
    }

    @Test
    void aResumedStreamContinuesTheChainFromTheToken() throws IOException {
        byte[] whole = write(Codec.ZSTD, 0);
        Frames.Reader r = new Frames.Reader(new ByteArrayInputStream(whole), f -> null);
        for (int i = 0; i < 3; i++) {
            r.next();
        }
        byte[] afterThree = r.digest();
        byte[] resumed = write(Codec.ZSTD, 3);
        assertTrue(resumed.length < 100, "frames before the resume point are not sent: " + resumed.length + " bytes");
        Frames.Reader rr = new Frames.Reader(new ByteArrayInputStream(resumed), first -> first == 3 ? afterThree : null);
        assertEquals(3, rr.next().index());
        byte[] chain = rr.digest();
        assertArrayEquals(chain, rr.next().payload(), "the resumed chain ends where the whole stream's does");
        assertThrows(StreamException.class, () -> new Frames.Reader(new ByteArrayInputStream(resumed), first -> null),
                "a resumed stream without a matching token is refused");
    }

    private static void readAll(byte[] stream) throws IOException {
        Frames.Reader r = new Frames.Reader(new ByteArrayInputStream(stream), f -> null);
        while (r.next().type() != Frames.END) {
            // read on
        }
    }
}
