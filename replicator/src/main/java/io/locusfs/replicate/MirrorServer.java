package io.locusfs.replicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.locusfs.policy.Policy;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.store.StoreException;
import io.locusfs.tree.Progress;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ZonePath;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mirror: accepts senders over TLS 1.3 with client certificates and applies their streams to
 * its store, one at a time. A client whose certificate is untrusted or revoked fails the
 * handshake, before a byte of request is read. The TLS files are read again when they change
 * (a renewed CRL takes effect for the next connection). Thread-safe.
 */
public final class MirrorServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MirrorServer.class);
    /** A sender that goes silent this long is dropped (its receive stays resumable). */
    private static final int READ_TIMEOUT_MILLIS = 120_000;

    private final Store store;
    private final StreamReceiver receiver;
    private final Policy policy;
    private volatile NodeIdentity identity;
    private final Tls tls;
    private final ServerSocket listener;
    private final ReentrantLock receiving = new ReentrantLock();
    /** Open connections, closed at shutdown so that a receive in progress stops (resumable) before the store closes. */
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private volatile SSLContext context;
    private volatile long contextFiles;
    private volatile boolean closed;
    private Thread acceptor;

    public MirrorServer(Store store, Policy policy, Tls tls, InetSocketAddress listen) throws IOException {
        this.store = store;
        this.receiver = new StreamReceiver(store, policy, ino -> false).replacingUnfinished();
        this.policy = policy;
        this.tls = tls;
        this.context = tls.context();
        this.contextFiles = tls.lastModified();
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(listen);
    }

    /** Where it listens (the port chosen, when 0 was asked). */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    public void start() {
        acceptor = new Thread(this::acceptLoop, "mirror-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket raw = listener.accept();
                Thread t = new Thread(() -> serve(raw), "mirror-" + raw.getRemoteSocketAddress());
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("accepting a connection failed: {}", e.getMessage());
                }
            }
        }
    }

    private SSLContext currentContext() {
        long files = tls.lastModified();
        if (files != contextFiles) {
            try {
                context = tls.context();
                contextFiles = files;
                log.info("TLS files changed; using them from now on");
            } catch (IOException e) {
                log.error("TLS files changed but cannot be used, keeping the previous ones: {}", e.getMessage());
            }
        }
        return context;
    }

    private void serve(Socket raw) {
        String peer = String.valueOf(raw.getRemoteSocketAddress());
        connections.add(raw);
        try {
            raw.setTcpNoDelay(true); // answers and acknowledgements are flushed whole: none should wait (Nagle)
        } catch (SocketException e) {
            log.debug("TCP_NODELAY not set for {}: {}", peer, e.getMessage());
        }
        try (raw; SSLSocket socket = (SSLSocket) currentContext().getSocketFactory().createSocket(raw,
                raw.getInetAddress().getHostAddress(), raw.getPort(), true)) {
            socket.setUseClientMode(false);
            socket.setNeedClientAuth(true);
            socket.setEnabledProtocols(new String[] {Tls.PROTOCOL});
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            try {
                socket.startHandshake();
            } catch (SSLException e) {
                log.warn("refused {}: TLS handshake failed (untrusted or revoked certificate?): {}", peer, e.getMessage());
                return;
            }
            String who = socket.getSession().getPeerPrincipal().getName();
            FarReads reads = new FarReads(store);
            InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 20);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream());
            // Requests until the peer closes: a hello may be followed by the send it prepares (one
            // handshake for both), and a send taken whole by more (a synchronous mirror's rounds);
            // a send that failed, a fetch, or anything unknown ends the conversation.
            while (true) {
                JsonNode request = MirrorProtocol.readOrEnd(in);
                if (request == null) {
                    return;
                }
                String op = request.path("op").asText();
                switch (op) {
                    case "hello" -> MirrorProtocol.write(out, hello());
                    case "send" -> {
                        if (!receive(in, out, who)) {
                            return;
                        }
                    }
                    case "fetch" -> {
                        fetch(request, out, who);
                        return;
                    }
                    case "read" -> reads.read(request, out);
                    default -> {
                        MirrorProtocol.write(out, MirrorProtocol.object().put("error", "unknown request '" + op + "'"));
                        return;
                    }
                }
            }
        } catch (SocketTimeoutException e) {
            log.warn("{} went silent; dropped (an unfinished receive can resume)", peer);
        } catch (IOException e) {
            if (!closed) {
                log.warn("connection from {} ended: {}", peer, e.getMessage());
            }
        } finally {
            connections.remove(raw);
        }
    }

    /** Who this mirror is and what it holds. */
    private ObjectNode hello() {
        ObjectNode info = MirrorProtocol.object();
        info.put("store", store.storeId());
        info.put("zone", store.location().zone().toString());
        info.put("record", store.locationRecord().map(r -> r.encode()).orElse(""));
        receiver.source().ifPresent(s -> info.set("source", StreamHeader.JSON.valueToTree(s)));
        receiver.token().ifPresent(t -> info.putObject("token").put("stream", t.stream()).put("frames", t.frames())
                .put("chain", t.chain()).put("snapshot", t.header().snapshot()).put("since", t.header().since()));
        var names = info.putArray("snapshots");
        for (Snapshots.Snapshot s : store.snapshots().list()) {
            names.add(s.name());
        }
        info.put("receiving", receiving.isLocked());
        info.put("then-send", true); // a send may follow on this connection
        return info;
    }

    /** Receives one stream; true when it was taken whole and the connection may carry another request. */
    private boolean receive(InputStream in, OutputStream out, String who) throws IOException {
        if (!receiving.tryLock()) {
            MirrorProtocol.write(out, MirrorProtocol.object().put("error", "busy: another sender's stream is being applied")
                    .put("resumable", true));
            return false;
        }
        try {
            log.info("receiving a stream from {}", who);
            StreamReceiver.Result result = receiver.receive(in, true,
                    (frames, bytes) -> MirrorProtocol.write(out, MirrorProtocol.object().put("ack", frames).put("bytes", bytes)),
                    Progress.NONE);
            log.info("received snapshot {} from {} ({} files, {} bytes of stream{})", result.header().snapshot(), who,
                    result.files(), result.bytesRead(), result.resumed() ? ", resumed at frame " + result.framesSkipped() : "");
            MirrorProtocol.write(out, MirrorProtocol.object().put("done", result.header().snapshot())
                    .put("store", store.storeId()).put("zone", store.location().zone().toString())
                    .put("record", store.locationRecord().map(r -> r.encode()).orElse("")).put("more", true));
            out.flush();
            // After the answer, so that the sender's fsync does not wait for it: a newer snapshot replaces the sync points.
            try {
                List<String> dropped = store.snapshots().dropSyncPoints(Set.of());
                if (!dropped.isEmpty()) {
                    log.debug("sync points replaced by {} and dropped: {}", result.header().snapshot(), dropped);
                }
            } catch (StoreException e) {
                log.warn("dropping the sync points {} replaced failed (tried again after the next receive): {}",
                        result.header().snapshot(), e.getMessage());
            }
            return true;
        } catch (StreamException e) {
            log.warn("stream from {} {}: {}", who, e.resumable() ? "stopped" : "refused and undone", e.getMessage());
            try {
                MirrorProtocol.write(out, MirrorProtocol.object().put("error", e.getMessage()).put("resumable", e.resumable()));
            } catch (IOException ignored) {
                // the sender is gone; the log says what happened
            }
            return false;
        } finally {
            receiving.unlock();
        }
    }

    /**
     * Sends one of this store's snapshots back (STREAM.md, "Fetching from a mirror"): a full
     * stream signed by this node's key, limited to a path when one is asked, leaving out what this
     * store's policy forbids in the asker's zone, resumed at the asker's frame when it continues
     * the same stream.
     */
    private void fetch(JsonNode request, OutputStream out, String who) throws IOException {
        String snapshot = request.hasNonNull("snapshot") ? request.path("snapshot").asText()
                : store.snapshots().newest().map(Snapshots.Snapshot::name).orElse(null);
        if (snapshot == null) {
            MirrorProtocol.write(out, MirrorProtocol.object().put("error", "this mirror holds no snapshot yet"));
            return;
        }
        StreamHeader header;
        StreamSender sender;
        try {
            ZonePath zone = request.hasNonNull("zone") ? ZonePath.parse(request.path("zone").asText()) : null;
            sender = new StreamSender(store, identity(), policy, zone, Codec.named(request.path("codec").asText("zstd")))
                    .only(request.path("path").asText("/")).metadataOnly(request.path("metadata").asBoolean(false));
            header = sender.header(snapshot, null);
        } catch (IOException | IllegalArgumentException e) {
            MirrorProtocol.write(out, MirrorProtocol.object().put("error", e.getMessage()));
            return;
        }
        JsonNode resume = request.path("resume");
        long first = header.stream().equals(resume.path("stream").asText()) ? Math.max(0, resume.path("frames").asLong(0)) : 0;
        MirrorProtocol.write(out, MirrorProtocol.object().put("stream", header.stream()).put("snapshot", header.snapshot())
                .put("first", first).put("files", header.files()).put("bytes", header.bytes()));
        StreamSender.Result result = sender.send(header, out, first, Progress.NONE);
        out.flush();
        log.info("sent snapshot {} ({}) to {}: {} files, {} bytes of stream{}", header.snapshot(),
                request.path("path").asText("/"), who, result.files(), result.bytesSent(), first > 0 ? ", resumed at frame " + first : "");
    }

    /** This store's node key, which signs what it sends back. */
    private NodeIdentity identity() throws IOException {
        NodeIdentity known = identity;
        if (known == null) {
            try {
                known = NodeIdentity.load(store.path());
            } catch (IOException | RuntimeException e) {
                throw new IOException("this mirror's node key cannot be read (" + e.getMessage() + "); it cannot send snapshots back", e);
            }
            identity = known;
        }
        return known;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
        // A receive in progress stops at its next read; what it made durable stays resumable.
        for (Socket c : connections) {
            c.close();
        }
        try {
            if (receiving.tryLock(60, TimeUnit.SECONDS)) {
                receiving.unlock();
            } else {
                log.error("a receive did not stop within 60 s of the shutdown");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
