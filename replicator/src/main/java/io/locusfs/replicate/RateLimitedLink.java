package io.locusfs.replicate;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;

/** A link whose sends write at most {@code bytesPerSecond} on average (a token bucket one second deep). */
final class RateLimitedLink extends MirrorLink.Forwarding {
    private final long bytesPerSecond;

    /** {@code bytesPerSecond} 0 or less: no limit (then prefer the inner link itself). */
    RateLimitedLink(MirrorLink inner, long bytesPerSecond) {
        super(inner);
        this.bytesPerSecond = bytesPerSecond;
    }

    /** {@code link}, limited to {@code bytesPerSecond} when that is above 0. */
    static MirrorLink of(MirrorLink link, long bytesPerSecond) {
        return bytesPerSecond > 0 ? new RateLimitedLink(link, bytesPerSecond) : link;
    }

    @Override
    public Outcome send(Info mirror, StreamHeader header, Shipment shipment, AtomicLong acked) throws IOException {
        return inner.send(mirror, header, (out, first, progress) -> shipment.writeTo(paced(out), first, progress), acked);
    }

    private OutputStream paced(OutputStream out) {
        if (bytesPerSecond <= 0) {
            return out;
        }
        return new FilterOutputStream(out) {
            private final long start = System.nanoTime();
            private long sent;

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    int n = (int) Math.min(len, Math.max(1, bytesPerSecond / 10));
                    pace(n);
                    out.write(b, off, n);
                    off += n;
                    len -= n;
                }
            }

            @Override
            public void write(int b) throws IOException {
                pace(1);
                out.write(b);
            }

            private void pace(int n) throws IOException {
                sent += n;
                long due = start + (long) ((sent - bytesPerSecond) * 1e9 / bytesPerSecond); // one second of burst
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    try {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted");
                    }
                }
            }
        };
    }
}
