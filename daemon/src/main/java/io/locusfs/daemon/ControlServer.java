package io.locusfs.daemon;

import io.locusfs.fuse.Locations;
import io.locusfs.fuse.PolicyGate;
import io.locusfs.store.ZoneQuery;
import io.locusfs.xattr.Coordinates;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.LocationRecord;
import io.locusfs.xattr.ZonePath;
import io.locusfs.xattr.ZonePattern;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running mount's control socket, {@code STORE/control.sock} (mode 0600: root or the store's
 * owner only), through which {@code locusfs} asks a mounted store what it cannot open itself.
 *
 * <p>Protocol: the client sends one line, the command and its arguments separated by tabs; the
 * server answers with data lines and a last line {@code ok} or {@code error<TAB>message}. Lines
 * are ISO-8859-1 so that file names pass as raw bytes; a newline or backslash inside a path is
 * written {@code \n} or {@code \\} (and a tab {@code \t}).
 * <ul>
 *   <li>{@code info}: lines {@code store-id}, {@code node}, {@code zone}, each a key, a tab, a value</li>
 *   <li>{@code where-zone<TAB>PATTERN<TAB>PREFIX}: one path per file whose data lives in a matching
 *       zone, each preceded by PREFIX (the mount point)</li>
 *   <li>{@code relabel<TAB>ZONE<TAB>LAT,LON or empty<TAB>LABEL or empty}: moves the whole store</li>
 *   <li>{@code history}: one line per signed location record, oldest first, its lines joined by {@code |}</li>
 *   <li>{@code snapshot-*}: snapshots, see {@link SnapshotService}</li>
 *   <li>{@code policy-explain<TAB>USER<TAB>ZONE or empty<TAB>LAT,LON or empty<TAB>PATH}: lines {@code policy},
 *       {@code caller}, {@code file}, then {@code read}, {@code write} and {@code placement}, each
 *       {@code allowed|refused<TAB>RULE<TAB>REASON}</li>
 *   <li>{@code policy-reload}: reloads the policy now (as SIGHUP does)</li>
 *   <li>{@code export}, {@code import}: snapshots to and from open formats, see {@link TranslationRequests};
 *       before their answer, lines {@code total<TAB>FILES<TAB>BYTES} (the job's size, once known) and
 *       {@code progress<TAB>FILES<TAB>BYTES} (work done since the last such line, at most four a second)</li>
 * </ul>
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    public static final String SOCKET_FILE = "control.sock";
    /** The first field of the lines that report a long job's progress before its answer. */
    public static final String PROGRESS = "progress";
    public static final String TOTAL = "total";
    private static final long PROGRESS_NANOS = 250_000_000L;

    private final Locations locations;
    private final SnapshotService snapshots;
    private final PolicyGate gate;
    private final TranslationRequests translations;
    private final ServerSocketChannel server;
    private final Path socket;
    private final Thread acceptor;

    private ControlServer(Locations locations, SnapshotService snapshots, PolicyGate gate, TranslationRequests translations,
                          ServerSocketChannel server, Path socket) {
        this.translations = translations;
        this.locations = locations;
        this.snapshots = snapshots;
        this.gate = gate;
        this.server = server;
        this.socket = socket;
        this.acceptor = new Thread(this::acceptLoop, "locusfs-control");
        this.acceptor.setDaemon(true);
    }

    /** Listens on {@code STORE/control.sock}, replacing a socket file left by a crash. */
    static ControlServer start(Locations locations, SnapshotService snapshots, PolicyGate gate,
                               TranslationRequests translations) throws IOException {
        Path socket = locations.store().path().resolve(SOCKET_FILE);
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        ControlServer control = new ControlServer(locations, snapshots, gate, translations, server, socket);
        control.acceptor.start();
        return control;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                Thread t = new Thread(() -> serve(client), "locusfs-control-client");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (server.isOpen()) {
                    log.warn("control socket: {}", e.getMessage());
                }
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client;
             BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.ISO_8859_1));
             Writer out = new BufferedWriter(new OutputStreamWriter(Channels.newOutputStream(client), StandardCharsets.ISO_8859_1), 1 << 16)) {
            String request = in.readLine();
            try {
                ProgressLines progress = new ProgressLines(out);
                for (String line : answer(request == null ? new String[] {""} : request.split("\t", -1), progress)) {
                    out.write(line + "\n");
                }
                out.write("ok\n");
            } catch (RuntimeException | IOException e) {
                String message = e.getMessage();
                if (message == null) {
                    log.warn("control request {} failed", request, e);
                    message = "an internal error in the mount daemon (a bug; its log has the details)";
                }
                out.write("error\t" + message.replace('\n', ' ') + "\n");
            }
        } catch (IOException e) {
            log.debug("control client went away: {}", e.getMessage());
        }
    }

    /**
     * Sends a job's progress to the client as it goes: the total at once, the work done at most
     * four times a second. A client gone away is noticed when the answer is written.
     */
    private static final class ProgressLines implements io.locusfs.tree.Progress {
        private final Writer out;
        private long files;
        private long bytes;
        private long sent = System.nanoTime();

        ProgressLines(Writer out) {
            this.out = out;
        }

        @Override
        public synchronized void total(long totalFiles, long totalBytes) {
            send(TOTAL + "\t" + totalFiles + "\t" + totalBytes);
        }

        @Override
        public synchronized void advance(long moreFiles, long moreBytes) {
            files += moreFiles;
            bytes += moreBytes;
            long now = System.nanoTime();
            if (now - sent >= PROGRESS_NANOS) {
                sent = now;
                send(PROGRESS + "\t" + files + "\t" + bytes);
                files = 0;
                bytes = 0;
            }
        }

        private void send(String line) {
            try {
                out.write(line + "\n");
                out.flush();
            } catch (IOException e) {
                log.debug("control client went away during a job: {}", e.getMessage());
            }
        }
    }

    private List<String> answer(String[] request, io.locusfs.tree.Progress progress) throws IOException {
        if (request[0].startsWith("snapshot-")) {
            return snapshots.answer(request);
        }
        switch (request[0]) {
            case "export":
            case "import":
                return translations.answer(request, progress);
            case "info":
                return List.of("store-id\t" + locations.store().storeId(), "node\t" + locations.node().nodeId(),
                        "zone\t" + locations.store().location().zone());
            case "where-zone":
                arguments(request, 3);
                return new ZoneQuery(locations.store()).paths(ZonePattern.parse(request[1])).stream()
                        .map(p -> request[2] + escape(p)).toList();
            case "relabel":
                arguments(request, 4);
                Location location = new Location(ZonePath.parse(request[1]),
                        request[2].isEmpty() ? Optional.empty() : Optional.of(Coordinates.parse(request[2])),
                        request[3].isEmpty() ? Optional.empty() : Optional.of(request[3]));
                LocationRecord record = locations.relabel(location);
                log.info("store relabelled to {} (signed by node {})", record.zone(), record.node());
                return List.of();
            case "policy-explain":
                arguments(request, 5);
                Optional<Location> from = request[2].isEmpty() ? Optional.empty()
                        : Optional.of(new Location(ZonePath.parse(request[2]),
                                request[3].isEmpty() ? Optional.empty() : Optional.of(Coordinates.parse(request[3])), Optional.empty()));
                long ino;
                try {
                    ino = locations.inodeAt(request[4]);
                } catch (io.locusfs.store.StoreException e) {
                    ino = 0; // A path that does not exist yet: explained as a file about to be created here.
                }
                return gate.explain(request[1], from, request[4], ino);
            case "policy-reload":
                gate.reload();
                return List.of();
            case "attribute":
                // A location attribute of any kind of file by path: the kernel shows user.* only on
                // regular files and directories, so FIFOs, sockets, devices and symlinks are asked here.
                arguments(request, 3);
                if (!io.locusfs.xattr.ReservedAttributes.isReserved(request[2])) {
                    throw new IllegalArgumentException("only location attributes are answered, not " + request[2]);
                }
                long node = locations.inodeAt(request[1]);
                byte[] value;
                try {
                    value = locations.reservedValue(node, request[2]);
                } catch (io.locusfs.store.StoreException e) {
                    if (e.kind() != io.locusfs.store.StoreException.Kind.NO_ATTRIBUTE) {
                        throw e;
                    }
                    value = null; // Not set: an answer without a value.
                }
                return value == null ? List.of() : List.of("value\t" + java.util.Base64.getEncoder().encodeToString(value));
            case "history":
                return locations.store().locationHistory().stream().map(r -> r.encode().trim().replace('\n', '|')).toList();
            default:
                throw new IllegalArgumentException("unknown control command '" + request[0] + "'");
        }
    }

    /** A path or name for one field of an answer line: backslash, newline and tab escaped. */
    static String escape(String text) {
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t");
    }

    /** As {@link #escape(String)}, for raw name bytes (one char per byte, as the protocol's charset). */
    static String escape(byte[] raw) {
        return escape(new String(raw, StandardCharsets.ISO_8859_1));
    }

    private static void arguments(String[] request, int count) {
        if (request.length != count) {
            throw new IllegalArgumentException(request[0] + " takes " + (count - 1) + " arguments, got " + (request.length - 1));
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
    }
}
