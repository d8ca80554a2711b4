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
import io.locusfs.xattr.ZonePath;
import io.locusfs.xattr.ZonePattern;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
            "Every copy of the file (here, and each mirror that acknowledged it) is listed with its "
                + "distance from the reader (km between coordinates, else how much of the zone path they "
                + "share) and whether the mount's policy lets the reader read it there; read-from names "
                + "the nearest permitted copy. The reader is --user (default: you) where a valid claim "
                + "puts them, else at this node; --from ZONE [--coords LAT,LON] puts them there instead.",
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
            "  locusfs where --from us/ny --coords 40.71,-74.01 /mnt/locus/a",
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

    @Option(names = "--user", paramLabel = "USER", description = "Rank the copies for USER (default: you).")
    String user = System.getProperty("user.name");

    @Option(names = "--from", paramLabel = "ZONE", description = "Rank the copies for a reader in ZONE.")
    String from;

    @Option(names = "--coords", paramLabel = "LAT,LON", description = "With --from: the reader's coordinates.")
    String coords;

    private final ObjectMapper mapper = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        if (zone != null) {
            return listZone();
        }
        if (history) {
            return listHistory();
        }
        if (coords != null && from == null) {
            throw new IllegalArgumentException("--coords needs --from ZONE");
        }
        if (from != null) {
            ZonePath.parse(from);
        }
        if (coords != null) {
            Coordinates.parse(coords);
        }
        ArrayNode out = mapper.createArrayNode();
        RecordCheck.Checker checker = new RecordCheck.Checker(trustedKeys);
        for (Path path : paths) {
            RecordCheck check = checker.check(path);
            Copies copies = Copies.of(path, checker.keysOf(path));
            List<Ranked> ranked = ranked(path);
            if (json) {
                ObjectNode node = toJson(check, copies);
                putRanked(node, ranked);
                out.add(node);
            } else {
                System.out.println(describe(check, copies) + describe(ranked));
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

    /** A copy as the mount ranks it for the reader: nearest permitted first (PolicyGate#copies). */
    record Ranked(String name, String zone, String coordinates, String distance, boolean permitted, String rule, String reason,
                  String snapshot) {
    }

    /** The copies of the file at {@code path} ranked by its mount; empty when it is not in a mount that answers. */
    private List<Ranked> ranked(Path path) throws IOException {
        Optional<MountedStore> mount = MountedStore.of(path);
        if (mount.isEmpty() || !Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        // A mount without a control socket (read-only beside another, a mirror's snapshot): its copies are not known here.
        Optional<ControlClient> control = ControlClient.ifMounted(mount.get().store());
        if (control.isEmpty()) {
            return List.of();
        }
        String[] lines = control.get().call(new ControlProtocol.Copies(user, from == null ? "" : from,
                coords == null ? "" : coords, mount.get().inside(path)));
        List<Ranked> ranked = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split("\t", -1);
            if (f.length >= 8) {
                ranked.add(new Ranked(f[0], f[1], f[2], f[3], f[4].equals("allowed"), f[5], f[6], f[7]));
            }
        }
        return ranked;
    }

    private static String describe(List<Ranked> ranked) {
        if (ranked.isEmpty()) {
            return "";
        }
        String copies = ranked.stream().map(r -> r.name() + " " + r.zone() + " " + r.distance()
                + (r.permitted() ? "" : " refused: " + r.reason())).collect(Collectors.joining("; "));
        return "\tcopies=" + copies + "\tread-from=" + (ranked.get(0).permitted() ? ranked.get(0).name() : "none permitted");
    }

    private void putRanked(ObjectNode node, List<Ranked> ranked) {
        if (ranked.isEmpty()) {
            return;
        }
        ArrayNode list = node.putArray("copies");
        for (Ranked r : ranked) {
            ObjectNode c = list.addObject();
            c.put("name", r.name());
            c.put("zone", r.zone());
            c.put("coordinates", r.coordinates().equals("-") ? null : r.coordinates());
            c.put("distance", r.distance());
            c.put("permitted", r.permitted());
            c.put("rule", r.rule().equals("-") ? null : r.rule());
            c.put("reason", r.reason());
            c.put("snapshot", r.snapshot().equals("-") ? null : r.snapshot());
        }
        node.put("read_from", ranked.get(0).permitted() ? ranked.get(0).name() : null);
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
