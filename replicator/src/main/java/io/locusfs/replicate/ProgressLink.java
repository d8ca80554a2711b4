package io.locusfs.replicate;

import io.locusfs.tree.Progress;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/** A link whose sends report the files and bytes they write to {@code progress} (the status's transfer line). */
final class ProgressLink extends MirrorLink.Forwarding {
    private final Progress progress;

    ProgressLink(MirrorLink inner, Progress progress) {
        super(inner);
        this.progress = progress;
    }

    @Override
    public Outcome send(Info mirror, StreamHeader header, Shipment shipment, AtomicLong acked) throws IOException {
        return inner.send(mirror, header, (out, first, downstream) -> shipment.writeTo(out, first, (files, bytes) -> {
            progress.advance(files, bytes);
            downstream.advance(files, bytes);
        }), acked);
    }
}
