package io.locusfs.replicate;

import com.fasterxml.jackson.databind.JsonNode;
import io.locusfs.tree.Progress;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The link to a LocusFS mirror over TLS, the sender's side of the mirror protocol. One
 * connection per call, except that {@link #helloThenSend} leaves its connection to the send that
 * follows, and a send the mirror took whole leaves it to the next {@link #helloThenSend} (within
 * {@link #KEEP_NANOS}), so a link kept between transfers pays one TLS handshake, not one each.
 * Not thread-safe, but for {@link #abort}.
 */
public final class TlsMirrorLink implements MirrorLink {
    private static final Logger log = LoggerFactory.getLogger(TlsMirrorLink.class);
    private final SSLContext context;
    private final String host;
    private final int port;
    private final int timeoutMillis;

    public TlsMirrorLink(SSLContext context, String host, int port, int timeoutMillis) {
        this.context = context;
        this.host = host;
        this.port = port;
        this.timeoutMillis = timeoutMillis;
    }

    /** The connection in use, closed by {@link #abort}. */
    private volatile Socket current;

    /** Closes the connection in use: the call fails with an IOException. */
    @Override
    public void abort() {
        Socket s = current;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing is all that was asked
            }
        }
    }

    private SSLSocket connect() throws IOException {
        Socket raw = new Socket();
        current = raw;
        raw.setTcpNoDelay(true); // every message is flushed whole; a short one should not wait for an acknowledgement
        raw.connect(new InetSocketAddress(host, port), timeoutMillis);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(raw, host, port, true);
        socket.setEnabledProtocols(new String[] {Tls.PROTOCOL});
        socket.setSoTimeout(timeoutMillis);
        socket.startHandshake();
        return socket;
    }

    /**
     * A connection left open by {@link #helloThenSend} for the send that follows, and when it was
     * opened: a send within {@link #KEEP_NANOS} uses it, saving a TLS handshake.
     */
    private SSLSocket kept;
    private long keptSince;
    /** Well within the mirror's two-minute wait for the next request. */
    private static final long KEEP_NANOS = 30_000_000_000L;

    @Override
    public Info hello() throws IOException {
        return hello(false);
    }

    @Override
    public Info helloThenSend() throws IOException {
        return hello(true);
    }

    private Info hello(boolean keep) throws IOException {
        if (keep && kept != null) {
            SSLSocket reused = keptOrConnect();
            try {
                return hello(reused, true);
            } catch (IOException e) {
                log.debug("the connection kept to {}:{} is gone ({}); a new one", host, port, e.getMessage());
            }
        }
        return hello(connect(), keep);
    }

    /** The hello on {@code socket}, which is kept for the send that follows when {@code keep} and the mirror allows it. */
    private Info hello(SSLSocket socket, boolean keep) throws IOException {
        try {
            OutputStream out = socket.getOutputStream();
            MirrorProtocol.write(out, MirrorProtocol.object().put("op", "hello"));
            JsonNode info = MirrorProtocol.read(socket.getInputStream());
            if (info.has("error")) {
                throw new IOException("mirror " + host + ":" + port + ": " + info.path("error").asText());
            }
            List<String> snapshots = new ArrayList<>();
            info.path("snapshots").forEach(n -> snapshots.add(n.asText()));
            JsonNode source = info.path("source");
            JsonNode token = info.path("token");
            Info answer = new Info(info.path("store").asText(), info.path("zone").asText(), info.path("record").asText(),
                    fingerprint(socket.getSession().getPeerCertificates()),
                    source.isMissingNode() ? null : source.path("store").asText(),
                    source.isMissingNode() ? null : source.path("snapshot").asText(), snapshots,
                    token.isMissingNode() ? null : token.path("stream").asText(), token.path("frames").asLong(0),
                    token.hasNonNull("snapshot") ? token.path("snapshot").asText() : null,
                    token.hasNonNull("since") ? token.path("since").asText() : null);
            if (keep && info.path("then-send").asBoolean(false)) {
                closeKept();
                kept = socket;
                keptSince = System.nanoTime();
                socket = null;
            }
            return answer;
        } finally {
            if (socket != null) {
                socket.close();
            }
        }
    }

    /** The kept connection if still fresh, else a new one. */
    private SSLSocket keptOrConnect() throws IOException {
        SSLSocket socket = kept;
        kept = null;
        if (socket != null && System.nanoTime() - keptSince < KEEP_NANOS && !socket.isClosed()) {
            return socket;
        }
        if (socket != null) {
            socket.close();
        }
        return connect();
    }

    /** Closes a connection kept for a send that did not come. */
    @Override
    public void close() {
        closeKept();
        synchronized (reads) {
            closeReading();
        }
    }

    private void closeKept() {
        if (kept != null) {
            try {
                kept.close();
            } catch (IOException e) {
                // it was only being kept
            }
            kept = null;
        }
    }

    private static String fingerprint(Certificate[] chain) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(chain[0].getEncoded()));
        } catch (Exception e) {
            return "";
        }
    }

    @Override
    public Outcome send(Info mirror, StreamHeader header, Shipment shipment, AtomicLong acked) throws IOException {
        long first = header.stream().equals(mirror.tokenStream()) ? mirror.tokenFrames() : 0;
        SSLSocket socket = keptOrConnect();
        boolean keep = false;
        try {
            socket.setSoTimeout(0); // the mirror answers only at the end of a long stream; acks are not a heartbeat
            InputStream in = new BufferedInputStream(socket.getInputStream());
            AtomicReference<JsonNode> last = new AtomicReference<>();
            AtomicReference<IOException> readFailure = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                try {
                    while (true) {
                        JsonNode line = MirrorProtocol.read(in);
                        if (line.has("ack")) {
                            acked.set(line.path("ack").asLong());
                            continue;
                        }
                        last.set(line);
                        return;
                    }
                } catch (IOException e) {
                    readFailure.set(e);
                }
            }, "mirror-acks");
            reader.setDaemon(true);
            reader.start();
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            MirrorProtocol.write(out, MirrorProtocol.object().put("op", "send").put("stream", header.stream()).put("first", first));
            StreamSender.Result result;
            long started = System.nanoTime();
            long written;
            try {
                result = shipment.writeTo(out, first, Progress.NONE);
                out.flush();
                written = System.nanoTime();
            } catch (IOException e) {
                // The mirror may have refused mid-stream and closed: its answer says why.
                reader.join(2000);
                if (last.get() != null && last.get().has("error")) {
                    throw refusal(last.get());
                }
                throw e;
            }
            reader.join();
            log.debug("stream {} written in {} ms, the mirror's answer {} ms later", header.stream(), (written - started) / 1_000_000,
                    (System.nanoTime() - written) / 1_000_000);
            JsonNode answer = last.get();
            if (answer == null) {
                throw new IOException("mirror " + host + ":" + port + " closed the connection before answering"
                        + (readFailure.get() == null ? "" : ": " + readFailure.get().getMessage()));
            }
            if (answer.has("error")) {
                throw refusal(answer);
            }
            // A mirror that takes more on this connection: the next hello and send use it (a synchronous mirror's rounds).
            keep = answer.path("more").asBoolean(false);
            return new Outcome(mirror, answer.path("zone").asText(), answer.path("record").asText(), result, first, acked.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } finally {
            if (keep) {
                socket.setSoTimeout(timeoutMillis);
                closeKept();
                kept = socket;
                keptSince = System.nanoTime();
            } else {
                socket.close();
            }
        }
    }

    @Override
    public <T> T fetch(FetchRequest request, FetchReader<T> reader) throws IOException {
        try (SSLSocket socket = connect()) {
            var ask = MirrorProtocol.object().put("op", "fetch").put("snapshot", request.snapshot()).put("path", request.path())
                    .put("zone", request.zone()).put("metadata", request.metadataOnly());
            if (request.resumeStream() != null) {
                ask.putObject("resume").put("stream", request.resumeStream()).put("frames", request.resumeFrames());
            }
            MirrorProtocol.write(socket.getOutputStream(), ask);
            InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 20);
            JsonNode answer = MirrorProtocol.read(in);
            if (answer.has("error")) {
                throw refusal(answer);
            }
            Fetched fetched = new Fetched(answer.path("stream").asText(), answer.path("snapshot").asText(),
                    answer.path("first").asLong(), answer.path("files").asLong(), answer.path("bytes").asLong());
            return reader.read(fetched, in);
        }
    }

    /** The connection far reads share, kept open between them; guarded by {@link #reads}. */
    private SSLSocket reading;
    private InputStream readingIn;
    private final Object reads = new Object();

    @Override
    public int read(String snapshot, String path, long offset, byte[] buffer, int length) throws IOException {
        synchronized (reads) {
            for (int attempt = 0; ; attempt++) {
                try {
                    if (reading == null) {
                        reading = connect();
                        readingIn = new BufferedInputStream(reading.getInputStream(), 1 << 16);
                    }
                    MirrorProtocol.write(reading.getOutputStream(), MirrorProtocol.object().put("op", "read")
                            .put("snapshot", snapshot).put("path", path).put("offset", offset).put("length", length));
                    JsonNode answer = MirrorProtocol.read(readingIn);
                    if (answer.has("error")) {
                        throw new StreamException("mirror " + host + ":" + port + ": " + answer.path("error").asText());
                    }
                    int n = answer.path("length").asInt(-1);
                    if (n < 0 || n > length) {
                        throw new StreamException("mirror " + host + ":" + port + " answered " + n + " bytes to a read of " + length);
                    }
                    if (answer.path("zero").asBoolean(false)) {
                        Arrays.fill(buffer, 0, n, (byte) 0);
                        return n;
                    }
                    if (readingIn.readNBytes(buffer, 0, n) != n) {
                        throw new IOException("mirror " + host + ":" + port + " closed the connection in the middle of a read");
                    }
                    CRC32C crc = new CRC32C();
                    crc.update(buffer, 0, n);
                    if (crc.getValue() != answer.path("crc32c").asLong()) {
                        throw new StreamException("the bytes of " + path + " from mirror " + host + ":" + port + " fail their checksum");
                    }
                    return n;
                } catch (StreamException e) {
                    closeReading();
                    throw e;
                } catch (IOException e) {
                    closeReading(); // an idle connection the mirror dropped: one new one is tried
                    if (attempt > 0) {
                        throw e;
                    }
                }
            }
        }
    }

    private void closeReading() {
        if (reading != null) {
            try {
                reading.close();
            } catch (IOException e) {
                // it is being dropped
            }
            reading = null;
            readingIn = null;
        }
    }

    private IOException refusal(JsonNode answer) {
        String message = "mirror " + host + ":" + port + ": " + answer.path("error").asText();
        return answer.path("resumable").asBoolean(false) ? new IOException(message) : new StreamException(message);
    }
}
