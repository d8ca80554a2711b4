package io.locusfs.replicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The wrappers around a mirror link: each adds its one behaviour to a send and passes everything else on. */
class MirrorLinkTest {
    /** A link that writes the shipment into memory: the wrappers are what is tested here. */
    private static final class MemoryLink implements MirrorLink {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        int hellos;
        boolean aborted;

        @Override
        public Info hello() {
            hellos++;
            return new Info("m", "eu/de", "", "", null, null, List.of(), null, 0, null, null);
        }

        @Override
        public Info helloThenSend() {
            return hello();
        }

        @Override
        public Outcome send(Info mirror, StreamHeader header, Shipment shipment, AtomicLong acked) throws IOException {
            StreamSender.Result r = shipment.writeTo(received, 0, (files, bytes) -> { });
            return new Outcome(mirror, mirror.zone(), "", r, 0, 0);
        }

        @Override
        public <T> T fetch(FetchRequest request, FetchReader<T> reader) throws IOException {
            return reader.read(new Fetched("s", request.snapshot(), 0, 0, 0), new ByteArrayInputStream(received.toByteArray()));
        }

        @Override
        public int read(String snapshot, String path, long offset, byte[] buffer, int length) throws IOException {
            throw new IOException("this link holds no files");
        }

        @Override
        public void abort() {
            aborted = true;
        }

        @Override
        public void close() {
        }
    }

    /** A shipment of {@code bytes} bytes in 4 KiB writes, reporting each write as progress. */
    private static MirrorLink.Shipment bytes(int bytes) {
        return (out, first, progress) -> {
            byte[] chunk = new byte[4096];
            for (int sent = 0; sent < bytes; sent += chunk.length) {
                out.write(chunk, 0, Math.min(chunk.length, bytes - sent));
                progress.advance(0, Math.min(chunk.length, bytes - sent));
            }
            return new StreamSender.Result(null, 1, 1, bytes, 1, bytes, List.of(), Set.of());
        };
    }

    @Test
    void aRateLimitedSendTakesAsLongAsItsBytesAllowAfterASecondOfBurst() throws Exception {
        MemoryLink memory = new MemoryLink();
        MirrorLink link = RateLimitedLink.of(memory, 200_000);
        long started = System.nanoTime();
        link.send(link.hello(), null, bytes(600_000), new AtomicLong());
        double seconds = (System.nanoTime() - started) / 1e9;
        assertEquals(600_000, memory.received.size(), "every byte arrives");
        assertTrue(seconds >= 1.8, "600 kB at 200 kB/s with one second of burst takes 2 s, took " + seconds);
        assertSame(memory, RateLimitedLink.of(memory, 0), "no limit: no wrapper");
    }

    @Test
    void aProgressLinkCountsWhatItsSendWritesAndPassesTheRestOn() throws Exception {
        MemoryLink memory = new MemoryLink();
        AtomicLong counted = new AtomicLong();
        MirrorLink link = new ProgressLink(RateLimitedLink.of(memory, 0), (files, bytes) -> counted.addAndGet(bytes));
        MirrorLink.Outcome outcome = link.send(link.hello(), null, bytes(10_000), new AtomicLong());
        assertEquals(10_000, counted.get());
        assertEquals(10_000, outcome.result().bytesSent());
        assertEquals("eu/de", outcome.zone());
        assertEquals(1, memory.hellos);
        link.abort();
        assertTrue(memory.aborted, "an abort reaches the link that holds the connection");
    }
}
