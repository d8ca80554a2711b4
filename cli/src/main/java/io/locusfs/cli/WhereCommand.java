package io.locusfs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.locusfs.daemon.ControlClient;
import io.locusfs.daemon.ControlProtocol;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.xattr.Coordinates;
import io.locusfs.xattr.LocationRecord;
import io.locusfs.xattr.ReservedAttributes;
import io.locusfs.xattr.ZonePattern;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "where",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        header = "Say where files live.",
        description = {
            "For each PATH on a LocusFS mount, prints where its data lives: zone, coordinates, the "
                + "node where it originated, the node that signed the record, and whether the "
                + "signature checks out; on an origin, the zones of the file's replicas (as the mirrors "
                + "acknowledged them); on a replica, the stores it came through, oldest first, each signature checked "
                + "(the keys of the stores a mirror replicates are kept in STORE/sources/).",
            "",
            "With --zone PATTERN MOUNTPOINT, lists every file of the mount whose data lives in a "
                + "zone matching PATTERN ('*' one segment, '**' any number, e.g. 'eu/**'), from the "
                + "store's tables rather than a walk of the directories.",
            "",
            "With --history STORE|MOUNTPOINT, lists every location the store has had, signed.",
            "",
            "Examples:",
            "  locusfs where /mnt/locus/report.pdf",
            "  locusfs where --json /mnt/locus/a /mnt/locus/b",
            "  locusfs where --zone 'eu/**' /mnt/locus",
            "  locusfs where --history /srv/store"})
final class WhereCommand implements Callable<Integer> {

    @Parameters(paramLabel = "PATH", arity = "1..*", description = "Files or directories; the mount or store with --zone/--history.")
    List<Path> paths;

    @Option(names = "--json", description = "Print JSON for scripts.")
    boolean json;

    @Option(names = "--zone", paramLabel = "PATTERN", description = "List the files in zones matching PATTERN.")
    String zone;

    @Option(names = "--history", description = "List the store's signed location history.")
    boolean history;

    @Option(names = "--trusted-keys", paramLabel = "DIR", description = "Directory of trusted node public keys (*.pub).")
    Path trustedKeys;

    private final ObjectMapper mapper = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        if (zone != null) {
            return listZone();
        }
        if (history) {
            return listHistory();
        }
        ArrayNode out = mapper.createArrayNode();
        RecordCheck.Checker checker = new RecordCheck.Checker(trustedKeys);
        for (Path path : paths) {
            RecordCheck check = checker.check(path);
            Copies copies = Copies.of(path, checker.keysOf(path));
            if (json) {
                out.add(toJson(check, copies));
            } else {
                System.out.println(describe(check, copies));
            }
        }
        if (json) {
            System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(out));
        }
        return 0;
    }

    private static String describe(RecordCheck check, Copies copies) {
        LocationRecord r = check.record();
        if (r == null) {
            return check.path() + "\t" + check.problem();
        }
        return check.path() + "\t" + r.zone() + "\tcoords=" + coords(r)
                + "\torigin=" + r.origin() + "\tsigned-by=" + r.node() + "\tsignature=" + (check.ok() ? "valid" : check.problem())
                + "\trecord=" + (r.file().equals(LocationRecord.EVERY_FILE) ? "store-wide" : "own")
                + "\treplicas=" + (copies.replicas().isEmpty() ? "none recorded" : String.join("; ", copies.replicas()))
                + (copies.provenance().isEmpty() ? "" : "\tcame-from=" + copies.provenance().stream()
                        .map(h -> h.record().zone() + " (node " + h.record().node() + ", store " + h.record().store() + ", signature "
                                + h.signature() + ")")
                        .collect(Collectors.joining(" -> ")));
    }

    /** One hop of a replica's provenance: the signed record of a store it came through, and whether its signature checks out. */
    record Hop(LocationRecord record, String signature) {
    }

    /**
     * Where else a file lives: on an origin, the zones of its replicas ({@code user.location.replicas});
     * on a replica, the stores it came through, oldest first ({@code user.location.origins}).
     */
    record Copies(List<String> replicas, List<Hop> provenance) {
        static Copies of(Path path, Map<String, PublicKey> keys) throws IOException {
            List<String> replicas = new ArrayList<>();
            for (String line : read(path, ReservedAttributes.REPLICAS).split("\n")) {
                if (!line.isBlank()) {
                    replicas.add(line);
                }
            }
            List<Hop> hops = new ArrayList<>();
            for (String paragraph : read(path, ReservedAttributes.ORIGINS).split("\n\n")) {
                if (paragraph.isBlank()) {
                    continue;
                }
                try {
                    LocationRecord r = LocationRecord.parse(paragraph.strip() + "\n");
                    PublicKey key = keys.get(r.node());
                    hops.add(new Hop(r, key == null ? "unknown signer" : r.verify(key) ? "valid" : "FORGED"));
                } catch (IllegalArgumentException e) {
                    hops.add(new Hop(null, "unreadable: " + e.getMessage()));
                }
            }
            hops.removeIf(h -> h.record() == null);
            return new Copies(replicas, hops);
        }

        /** The attribute's value, "" when it is not set (no replica recorded, or not a replica). */
        private static String read(Path path, String name) throws IOException {
            return Xattrs.get(path, name).map(v -> new String(v, StandardCharsets.UTF_8)).orElse("");
        }
    }

    private static String coords(LocationRecord r) {
        return r.coordinates().map(Coordinates::toString).orElse("-");
    }

    private static void putCoordinates(ObjectNode node, LocationRecord r) {
        r.coordinates().ifPresent(c -> node.putArray("coordinates").add(c.latitude()).add(c.longitude()));
    }

    private ObjectNode toJson(RecordCheck check, Copies copies) {
        ObjectNode node = mapper.createObjectNode();
        node.put("path", check.path().toString());
        LocationRecord r = check.record();
        if (r != null) {
            node.put("zone", r.zone().toString());
            putCoordinates(node, r);
            node.put("origin", r.origin());
            node.put("signed_by", r.node());
            node.put("time", r.time().toString());
            node.put("record", r.file().equals(LocationRecord.EVERY_FILE) ? "store-wide" : "own");
        }
        node.put("signature", check.ok() ? "valid" : check.problem());
        ArrayNode replicas = node.putArray("replicas");
        copies.replicas().forEach(replicas::add);
        ArrayNode hops = node.putArray("came_from");
        for (Hop h : copies.provenance()) {
            ObjectNode hop = hops.addObject();
            hop.put("zone", h.record().zone().toString());
            hop.put("node", h.record().node());
            hop.put("store", h.record().store());
            hop.put("time", h.record().time().toString());
            hop.put("signature", h.signature());
        }
        return node;
    }

    private int listZone() throws Exception {
        ZonePattern pattern = ZonePattern.parse(zone);
        Path mountPoint = paths.get(0);
        MountedStore mount = MountedStore.of(mountPoint).filter(m -> m.mountPoint().equals(mountPoint.toAbsolutePath().normalize()))
                .orElseThrow(() -> new IllegalArgumentException(mountPoint + " is not a LocusFS mount point"));
        String[] paths = ControlClient.of(mount.store()).call(new ControlProtocol.WhereZone(pattern.toString()));
        String prefix = mount.mountPoint().toString();
        if (json) {
            ArrayNode out = mapper.createArrayNode();
            for (String p : paths) {
                out.add(prefix + new String(p.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
            }
            System.out.println(mapper.writeValueAsString(out));
        } else {
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            byte[] prefixBytes = prefix.getBytes(StandardCharsets.UTF_8);
            for (String p : paths) { // one char per byte of the raw name: file names need not be UTF-8
                text.writeBytes(prefixBytes);
                text.writeBytes(p.replace("\\", "\\\\").replace("\n", "\\n").getBytes(StandardCharsets.ISO_8859_1));
                text.write('\n');
            }
            System.out.write(text.toByteArray());
            System.out.flush();
        }
        return 0;
    }

    private int listHistory() throws Exception {
        Path target = paths.get(0);
        var mount = MountedStore.of(target).filter(m -> m.mountPoint().equals(target.toAbsolutePath().normalize()));
        Path store = mount.map(MountedStore::store).orElse(target);
        List<LocationRecord> records = new ArrayList<>();
        if (mount.isPresent()) {
            for (String text : ControlClient.of(store).call(new ControlProtocol.History())) {
                records.add(LocationRecord.parse(text));
            }
        } else {
            try (Store opened = Store.open(store, StoreOptions.defaults().asReadOnly())) {
                records.addAll(opened.locationHistory());
            }
        }
        Map<String, PublicKey> keys = RecordCheck.trustedKeys(store, trustedKeys);
        ArrayNode out = mapper.createArrayNode();
        for (LocationRecord r : records) {
            PublicKey key = keys.get(r.node());
            String signature = key == null ? "unknown signer" : r.verify(key) ? "valid" : "FORGED";
            if (json) {
                ObjectNode node = out.addObject();
                node.put("time", r.time().toString());
                node.put("zone", r.zone().toString());
                putCoordinates(node, r);
                node.put("signed_by", r.node());
                node.put("signature", signature);
            } else {
                System.out.println(r.time() + "\t" + r.zone() + "\tcoords=" + coords(r)
                        + "\tsigned-by=" + r.node() + "\tsignature=" + signature);
            }
        }
        if (json) {
            System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(out));
        }
        return 0;
    }
}
