package io.locusfs.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import io.locusfs.store.Diff;
import io.locusfs.tree.Progress;
import io.locusfs.wire.JsonLines;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Asks a mounted store's daemon over its control socket ({@link ControlProtocol}). */
public final class ControlClient {
    /** Longest answer line read: a where-zone answer lists every matching file. */
    private static final int MAX_ANSWER = Integer.MAX_VALUE - 16;

    private final Path store;

    private ControlClient(Path store) {
        this.store = store;
    }

    /** A client of the daemon of {@code store}, which must be mounted. */
    public static ControlClient of(Path store) {
        return new ControlClient(store);
    }

    /**
     * A client of the daemon of {@code store} when a daemon serves it; empty when the store is not
     * mounted (no socket, or a socket file left by a crash that nobody serves).
     */
    public static Optional<ControlClient> ifMounted(Path store) throws IOException {
        Path socket = store.resolve(ControlProtocol.SOCKET_FILE);
        if (!Files.exists(socket)) {
            return Optional.empty();
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return Optional.of(new ControlClient(store));
        } catch (ConnectException e) {
            return Optional.empty();
        }
    }

    /**
     * Sends one request and returns its answer.
     *
     * @throws IOException when the daemon cannot be reached or refuses (its message)
     */
    public <A> A call(ControlProtocol.Request<A> request) throws IOException {
        return call(request, Progress.NONE);
    }

    /** As {@link #call(ControlProtocol.Request)}, for a long job whose progress the daemon reports to {@code progress}. */
    public <A> A call(ControlProtocol.Request<A> request, Progress progress) throws IOException {
        Path socket = store.resolve(ControlProtocol.SOCKET_FILE);
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            JsonLines.write(Channels.newOutputStream(channel), JsonLines.MAPPER.valueToTree(request));
            InputStream in = new BufferedInputStream(Channels.newInputStream(channel), 1 << 16);
            for (JsonNode line = JsonLines.readOrEnd(in, MAX_ANSWER); line != null; line = JsonLines.readOrEnd(in, MAX_ANSWER)) {
                if (line.has("ok")) {
                    return JsonLines.MAPPER.treeToValue(line.get("ok"), request.answerType());
                } else if (line.has("error")) {
                    throw new IOException(line.get("error").asText());
                } else if (line.has("progress")) {
                    ControlProtocol.Amount a = JsonLines.MAPPER.treeToValue(line.get("progress"), ControlProtocol.Amount.class);
                    progress.advance(a.files(), a.bytes());
                } else if (line.has("total")) {
                    ControlProtocol.Amount a = JsonLines.MAPPER.treeToValue(line.get("total"), ControlProtocol.Amount.class);
                    progress.total(a.files(), a.bytes());
                }
            }
        } catch (SocketException | NoSuchFileException e) {
            throw new IOException("cannot reach the mount daemon at " + socket + ": " + e.getMessage(), e);
        }
        throw new IOException("the mount daemon closed the control socket without an answer");
    }

    /** The snapshot operations of the mounted store, run by its daemon. */
    public SnapshotOperations snapshots() {
        return new SnapshotOperations() {
            @Override
            public Created create(String name, long timeNanos, boolean manual, boolean hooks) throws IOException {
                return call(new ControlProtocol.SnapshotCreate(name, timeNanos, manual, hooks));
            }

            @Override
            public Listing list() throws IOException {
                return call(new ControlProtocol.SnapshotList());
            }

            @Override
            public Deleted delete(String name) throws IOException {
                return call(new ControlProtocol.SnapshotDelete(name));
            }

            @Override
            public List<Diff.Change> diff(String from, String to) throws IOException {
                return Arrays.asList(call(new ControlProtocol.SnapshotDiff(from, to)));
            }

            @Override
            public long rollback(String name, boolean force) throws IOException {
                return call(new ControlProtocol.SnapshotRollback(name, force));
            }

            @Override
            public List<Thinned> thin(long nowNanos, boolean dryRun) throws IOException {
                return Arrays.asList(call(new ControlProtocol.SnapshotThin(nowNanos, dryRun)));
            }
        };
    }
}
