package io.locusfs.replicate;

import io.locusfs.tree.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One mirror as the replication daemon talks to it, whatever carries the bytes: a LocusFS mirror
 * over TLS ({@link TlsMirrorLink}) today. Behaviour is added by wrapping, not by flags:
 * {@link RateLimitedLink} paces a send, {@link ProgressLink} counts what it writes. Retrying is
 * the scheduler's ({@link MirrorState#failed}: backoff between transfers, each one visible in the
 * status), not a link's, so that a mirror that is down shows as down.
 */
public interface MirrorLink extends AutoCloseable {
    /** Asks the mirror who it is and what it holds (also the heartbeat). */
    Info hello() throws IOException;

    /** As {@link #hello}, keeping the connection for the {@link #send} that follows where the mirror allows it. */
    Info helloThenSend() throws IOException;

    /**
     * Sends the stream {@code header} describes, written by {@code shipment}, to the mirror that
     * said {@code mirror} in its hello just before: its unfinished receive of the same stream, if
     * any, is resumed. {@code acked} receives the frames the mirror has made durable.
     *
     * @throws StreamException when the mirror refused the stream (its message); other IOExceptions when the link failed
     */
    Outcome send(Info mirror, StreamHeader header, Shipment shipment, AtomicLong acked) throws IOException;

    /**
     * Asks the mirror for one of its snapshots back (a restore): the mirror answers with a full
     * stream, signed by its node key, which {@code reader} reads to its end.
     *
     * @throws StreamException when the mirror refused (no such snapshot or path: its message)
     */
    <T> T fetch(FetchRequest request, FetchReader<T> reader) throws IOException;

    /**
     * What to fetch: {@code snapshot} (null for the mirror's newest), limited to {@code path} ("/"
     * for all of it), for a reader in {@code zone} (the mirror leaves out what its policy forbids
     * there; null for no check); {@code resumeStream}/{@code resumeFrames} name an unfinished
     * receive of the same stream to continue (null/0 for none).
     */
    record FetchRequest(String snapshot, String path, String zone, String resumeStream, long resumeFrames, boolean metadataOnly) {
        /** A fetch into {@code receiver}'s store that continues the receive it left unfinished, if any. */
        static FetchRequest into(StreamReceiver receiver, String snapshot, String path, String zone, boolean metadataOnly) {
            Optional<StreamReceiver.Token> token = receiver.token();
            return new FetchRequest(snapshot, path, zone, token.map(StreamReceiver.Token::stream).orElse(null),
                    token.map(StreamReceiver.Token::frames).orElse(0L), metadataOnly);
        }
    }

    /**
     * Reads up to {@code length} bytes at {@code offset} of the file at {@code path} in the
     * mirror's snapshot {@code snapshot} into {@code buffer}, checked against the checksum the
     * mirror sends with them (a far read). Thread-safe; reads share one connection, kept open.
     *
     * @return the bytes read, fewer only at the end of the file
     * @throws StreamException when the mirror refused (no such file) or its bytes fail their checksum
     */
    int read(String snapshot, String path, long offset, byte[] buffer, int length) throws IOException;

    /** What the mirror says before the stream: its id, snapshot, the first frame sent, its size. */
    record Fetched(String stream, String snapshot, long first, long files, long bytes) {
    }

    /** Reads a fetched stream. */
    interface FetchReader<T> {
        T read(Fetched fetched, InputStream stream) throws IOException;
    }

    /** Stops a call in progress from another thread: it fails with an IOException. */
    void abort();

    /** Releases what the link keeps between calls (a connection kept for a send that did not come). */
    @Override
    void close();

    /** The bytes of one stream, from frame {@code firstFrame} on (the frames before it the mirror holds). */
    interface Shipment {
        StreamSender.Result writeTo(OutputStream out, long firstFrame, Progress progress) throws IOException;
    }

    /**
     * What a mirror says of itself. {@code certificate} is the SHA-256 of its TLS certificate, so
     * a changed certificate is noticed; {@code tokenStream}/{@code tokenFrames} describe an
     * unfinished receive (null/0 without one), of snapshot {@code tokenSnapshot} since
     * {@code tokenSince} (null for a full stream, or a mirror too old to say).
     */
    record Info(String store, String zone, String record, String certificate, String sourceStore, String lastSnapshot,
                List<String> snapshots, String tokenStream, long tokenFrames, String tokenSnapshot, String tokenSince) {
    }

    /** What a finished send did: the mirror's zone and signed record, the sender's result, where it resumed. */
    record Outcome(Info mirror, String zone, String record, StreamSender.Result result, long firstFrame, long acked) {
    }

    /** A link that passes every call to another; a wrapper overrides what it adds to. */
    abstract class Forwarding implements MirrorLink {
        protected final MirrorLink inner;

        protected Forwarding(MirrorLink inner) {
            this.inner = inner;
        }

        @Override
        public Info hello() throws IOException {
            return inner.hello();
        }

        @Override
        public Info helloThenSend() throws IOException {
            return inner.helloThenSend();
        }

        @Override
        public Outcome send(Info mirror, StreamHeader header, Shipment shipment, AtomicLong acked) throws IOException {
            return inner.send(mirror, header, shipment, acked);
        }

        @Override
        public <T> T fetch(FetchRequest request, FetchReader<T> reader) throws IOException {
            return inner.fetch(request, reader);
        }

        @Override
        public int read(String snapshot, String path, long offset, byte[] buffer, int length) throws IOException {
            return inner.read(snapshot, path, offset, buffer, length);
        }

        @Override
        public void abort() {
            inner.abort();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
