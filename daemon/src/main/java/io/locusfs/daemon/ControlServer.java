package io.locusfs.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.locusfs.fuse.Locations;
import io.locusfs.fuse.PolicyGate;
import io.locusfs.residency.ResidencyReport;
import io.locusfs.residency.ResidencySummary;
import io.locusfs.store.StoreException;
import io.locusfs.store.ZoneQuery;
import io.locusfs.tree.Progress;
import io.locusfs.wire.JsonLines;
import io.locusfs.xattr.Coordinates;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.LocationRecord;
import io.locusfs.xattr.ReservedAttributes;
import io.locusfs.xattr.ZonePath;
import io.locusfs.xattr.ZonePattern;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running mount's control socket, {@code STORE/control.sock} (mode 0600: root or the store's
 * owner only), through which {@code locusfs} asks a mounted store what it cannot open itself.
 * What is said on it: {@link ControlProtocol}. One thread per client; each asks one request.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
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
        Path socket = locations.store().path().resolve(ControlProtocol.SOCKET_FILE);
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
        try (client; OutputStream out = new BufferedOutputStream(Channels.newOutputStream(client), 1 << 16)) {
            String what = "a request";
            try {
                JsonNode line = JsonLines.readOrEnd(new BufferedInputStream(Channels.newInputStream(client)),
                        ControlProtocol.MAX_REQUEST);
                if (line == null) {
                    return; // closed before asking: ControlClient.ifMounted checking that a daemon answers
                }
                what = line.path("command").asText("a request without a command");
                ControlProtocol.Request<?> request;
                try {
                    request = JsonLines.MAPPER.treeToValue(line, ControlProtocol.Request.class);
                } catch (JsonProcessingException e) {
                    throw new IllegalArgumentException("the control socket does not know '" + what + "' with these fields: "
                            + e.getOriginalMessage());
                }
                ProgressLines progress = new ProgressLines(out);
                Object answer = answer(request, progress);
                progress.finish();
                JsonLines.write(out, JsonLines.MAPPER.createObjectNode().set("ok", JsonLines.MAPPER.valueToTree(answer)));
            } catch (RuntimeException | IOException e) {
                String message = e.getMessage();
                if (message == null) {
                    log.warn("control request {} failed", what, e);
                    message = "an internal error in the mount daemon (a bug; its log has the details)";
                }
                JsonLines.write(out, JsonLines.MAPPER.createObjectNode().put("error", message));
            }
        } catch (IOException e) {
            log.debug("control client went away: {}", e.getMessage());
        }
    }

    /**
     * Sends a job's progress to the client as it goes: the total at once, the work done at most
     * four times a second, and what is left when the job ends (so a quick job's line still shows
     * it done). A client gone away is noticed when the answer is written.
     */
    private static final class ProgressLines implements Progress {
        private final OutputStream out;
        private long files;
        private long bytes;
        private long sent = System.nanoTime();

        ProgressLines(OutputStream out) {
            this.out = out;
        }

        @Override
        public synchronized void total(long totalFiles, long totalBytes) {
            send("total", new ControlProtocol.Amount(totalFiles, totalBytes));
        }

        @Override
        public synchronized void advance(long moreFiles, long moreBytes) {
            files += moreFiles;
            bytes += moreBytes;
            long now = System.nanoTime();
            if (now - sent >= PROGRESS_NANOS) {
                sent = now;
                send("progress", new ControlProtocol.Amount(files, bytes));
                files = 0;
                bytes = 0;
            }
        }

        /** Sends the work done since the last progress line, if any. */
        synchronized void finish() {
            if (files != 0 || bytes != 0) {
                send("progress", new ControlProtocol.Amount(files, bytes));
                files = 0;
                bytes = 0;
            }
        }

        private void send(String kind, ControlProtocol.Amount amount) {
            try {
                JsonLines.write(out, JsonLines.MAPPER.createObjectNode().set(kind, JsonLines.MAPPER.valueToTree(amount)));
            } catch (IOException e) {
                log.debug("control client went away during a job: {}", e.getMessage());
            }
        }
    }

    /** Runs one request; its answer is of the request's answer type. */
    private Object answer(ControlProtocol.Request<?> request, Progress progress) throws IOException {
        if (request instanceof ControlProtocol.SnapshotCreate r) {
            return snapshots.create(r.name(), r.timeNanos(), r.manual(), r.hooks());
        } else if (request instanceof ControlProtocol.SnapshotList) {
            return snapshots.list();
        } else if (request instanceof ControlProtocol.SnapshotDelete r) {
            return snapshots.delete(r.name());
        } else if (request instanceof ControlProtocol.SnapshotDiff r) {
            return snapshots.diff(r.from(), r.to());
        } else if (request instanceof ControlProtocol.SnapshotRollback r) {
            return snapshots.rollback(r.name(), r.force());
        } else if (request instanceof ControlProtocol.SnapshotThin r) {
            return snapshots.thin(r.nowNanos(), r.dryRun());
        } else if (request instanceof ControlProtocol.Export r) {
            return translations.export(r, progress);
        } else if (request instanceof ControlProtocol.Import r) {
            return translations.importInto(r, progress);
        } else if (request instanceof ControlProtocol.Info) {
            return new ControlProtocol.StoreInfo(locations.store().storeId(), locations.node().nodeId(),
                    locations.store().location().zone().toString());
        } else if (request instanceof ControlProtocol.WhereZone r) {
            return new ZoneQuery(locations.store()).paths(ZonePattern.parse(r.pattern()));
        } else if (request instanceof ControlProtocol.Relabel r) {
            Location location = new Location(ZonePath.parse(r.zone()),
                    r.coordinates().isEmpty() ? Optional.empty() : Optional.of(Coordinates.parse(r.coordinates())),
                    r.label().isEmpty() ? Optional.empty() : Optional.of(r.label()));
            LocationRecord record = locations.relabel(location);
            log.info("store relabelled to {} (signed by node {})", record.zone(), record.node());
            return record.node();
        } else if (request instanceof ControlProtocol.PolicyExplain r) {
            Optional<Location> from = callerAt(r.zone(), r.coordinates());
            long ino;
            try {
                ino = locations.inodeAt(r.path());
            } catch (StoreException e) {
                ino = 0; // A path that does not exist yet: explained as a file about to be created here.
            }
            return gate.explain(r.user(), from, r.path(), ino);
        } else if (request instanceof ControlProtocol.Copies r) {
            Optional<Location> from = callerAt(r.zone(), r.coordinates());
            return gate.copies(r.user(), from, r.path(), locations.inodeAt(r.path()));
        } else if (request instanceof ControlProtocol.PolicyReload) {
            gate.reload();
            return "policy reloaded";
        } else if (request instanceof ControlProtocol.Attribute r) {
            if (!ReservedAttributes.isReserved(r.name())) {
                throw new IllegalArgumentException("only location attributes are answered, not " + r.name());
            }
            long node = locations.inodeAt(r.path());
            try {
                return locations.reservedValue(node, r.name());
            } catch (StoreException e) {
                if (e.kind() != StoreException.Kind.NO_ATTRIBUTE) {
                    throw e;
                }
                return null; // Not set: an answer without a value.
            }
        } else if (request instanceof ControlProtocol.Residency r) {
            ResidencyReport.Scope scope = new ResidencyReport.Scope(r.paths(),
                    Optional.ofNullable(r.since()).map(Instant::parse), Optional.ofNullable(r.until()).map(Instant::parse));
            ResidencySummary summary = ResidencyReport.writeFile(locations.store(), gate.policyInForce().orElse(null), locations.node(),
                    scope, ResidencyReport.Form.valueOf(r.form().toUpperCase(java.util.Locale.ROOT)), Path.of(r.output()), progress);
            log.info("wrote a residency report on {} to {}: {} files, {} copies, {} outside the policy", r.paths(), r.output(),
                    summary.files(), summary.copies(), summary.outsidePolicy());
            return summary;
        } else if (request instanceof ControlProtocol.History) {
            return locations.store().locationHistory().stream().map(LocationRecord::encode).toList();
        }
        throw new IllegalArgumentException("the control socket cannot answer " + request.getClass().getSimpleName());
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
    }

    /** Where a request puts the caller: {@code zone} and {@code coordinates} (either may be empty), none without a zone. */
    private static Optional<Location> callerAt(String zone, String coordinates) {
        return zone.isEmpty() ? Optional.empty() : Optional.of(new Location(ZonePath.parse(zone),
                coordinates.isEmpty() ? Optional.empty() : Optional.of(Coordinates.parse(coordinates)), Optional.empty()));
    }
}
