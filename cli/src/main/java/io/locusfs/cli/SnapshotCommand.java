package io.locusfs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.locusfs.daemon.SnapshotOperations;
import io.locusfs.store.Diff;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "snapshot",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "Take, list, compare, roll back and delete snapshots.",
        description = {
            "A snapshot freezes the whole tree in one step, whatever its size: nothing is copied, "
                + "later writes go to new versions of the blocks they change. A mounted store shows "
                + "its snapshots read-only under MOUNTPOINT/.snapshots/NAME/ (hidden from listings of "
                + "the root, always reachable by name); there root may also take one with "
                + "'mkdir MOUNTPOINT/.snapshots/NAME' and delete one with rmdir, hooks included.",
            "",
            "Every subcommand takes the store as TARGET: a store directory (mounted or not) or, with "
                + "--mount, a mount point. A mounted store is asked through its control socket "
                + "(STORE/control.sock: root or the store's owner).",
            "",
            "Examples:",
            "  locusfs snapshot create /srv/store before-upgrade",
            "  locusfs snapshot list /srv/store",
            "  locusfs snapshot diff /srv/store before-upgrade   # against the live tree",
            "  locusfs snapshot rollback /srv/store before-upgrade",
            "  locusfs snapshot delete /srv/store before-upgrade",
            "  ls /mnt/locus/.snapshots/before-upgrade/",
            "",
            "Scheduled snapshots and retention are set in STORE/locusfs.toml ([snapshots]; see docs/REFERENCE.md)."},
        subcommands = {SnapshotCommand.Create.class, SnapshotCommand.ListSnapshots.class, SnapshotCommand.Delete.class,
            SnapshotCommand.DiffSnapshots.class, SnapshotCommand.Rollback.class, SnapshotCommand.Thin.class})
final class SnapshotCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "a subcommand is required (create, list, delete, diff, rollback, thin)");
    }

    @Command(name = "create", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            header = "Take a snapshot of the whole tree now.",
            description = {
                "Takes snapshot NAME in constant time. On a mounted store, data buffered by open files "
                    + "is committed first, so the snapshot holds everything written before the command. "
                    + "The store's pre_hook runs first (a failure aborts the snapshot with its message) "
                    + "and its post_hook after, always (see [snapshots] in STORE/locusfs.toml).",
                "",
                "NAME: 1 to 200 letters, digits and _ . : @ + -, not starting with . or -.",
                "",
                "Usage: locusfs snapshot create STORE NAME | --mount MOUNTPOINT NAME"})
    static final class Create implements Callable<Integer> {
        @Mixin
        StoreTarget target = new StoreTarget();

        @Parameters(paramLabel = "STORE NAME", description = "The store (unless --mount) and the snapshot's name.")
        List<String> given = new ArrayList<>();

        @Option(names = "--time", paramLabel = "INSTANT",
                description = "Record this creation time (ISO-8601, e.g. 2026-11-01T00:00:00Z) instead of now; "
                        + "for importing snapshots made elsewhere.")
        String time;

        @Option(names = "--scheduled", description = "Mark it as made by the schedule: the retention grid may thin it.")
        boolean scheduled;

        @Option(names = "--no-hooks", description = "Do not run the pre- and post-snapshot hooks.")
        boolean noHooks;

        @Override
        public Integer call() throws Exception {
            List<String> p = target.parameters(given, 1, "locusfs snapshot create STORE NAME");
            String name = target.rest(p).get(0);
            long nanos = time == null ? 0 : instantNanos(time);
            var created = target.run(target.storeOf(p), false, s -> s.create(name, nanos, !scheduled, !noHooks));
            System.out.println("snapshot " + created.name() + " taken");
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            header = "List the snapshots with their space.",
            description = {
                "One line per snapshot, oldest first: its name, when it was taken, USED (the data only it "
                    + "holds: what deleting it frees) and REFER (all the data it references), and whether a "
                    + "person or the schedule made it; like 'zfs list -t snapshot'. USED costs time "
                    + "proportional to what changed around each snapshot.",
                "",
                "Usage: locusfs snapshot list STORE | --mount MOUNTPOINT"})
    static final class ListSnapshots implements Callable<Integer> {
        @Mixin
        StoreTarget target = new StoreTarget();

        @Parameters(paramLabel = "STORE", description = "The store (unless --mount).")
        List<String> given = new ArrayList<>();

        @Option(names = "--json", description = "Print a JSON object for scripts.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            List<String> p = target.parameters(given, 0, "locusfs snapshot list STORE");
            SnapshotOperations.Listing listing = target.run(target.storeOf(p), true, SnapshotOperations::list);
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode out = mapper.createObjectNode();
            ArrayNode list = out.putArray("snapshots");
            StringBuilder text = new StringBuilder(String.format("%-32s %-20s %9s %9s  %s%n", "NAME", "CREATED (UTC)", "USED", "REFER", "MADE BY"));
            for (SnapshotOperations.Entry e : listing.snapshots()) {
                Instant created = Instant.ofEpochSecond(0, e.createdNanos());
                ObjectNode s = list.addObject();
                s.put("name", e.name());
                s.put("epoch", e.epoch());
                s.put("created", created.toString());
                s.put("manual", e.manual());
                s.put("used_bytes", e.usedBytes());
                s.put("referenced_bytes", e.referencedBytes());
                text.append(String.format("%-32s %-20s %9s %9s  %s%n", e.name(),
                        created.toString().replace('T', ' ').replaceAll("\\.\\d+Z$|Z$", ""),
                        human(e.usedBytes()), human(e.referencedBytes()), e.manual() ? "hand" : "schedule"));
            }
            out.put("disk_bytes", listing.diskBytes());
            out.put("live_referenced_bytes", listing.liveReferencedBytes());
            text.append(String.format("%nstore on disk: %s; the live tree references %s%n", human(listing.diskBytes()),
                    human(listing.liveReferencedBytes())));
            System.out.print(json ? mapper.writerWithDefaultPrettyPrinter().writeValueAsString(out) + "\n" : text);
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            header = "Delete a snapshot and free what only it held.",
            description = {
                "Deletes snapshot NAME and every version of data and metadata that no other snapshot and "
                    + "not the live tree can see, then compacts the store so the space returns to the disk. "
                    + "A file created and deleted between two remaining snapshots leaves nothing behind.",
                "",
                "Usage: locusfs snapshot delete STORE NAME | --mount MOUNTPOINT NAME"})
    static final class Delete implements Callable<Integer> {
        @Mixin
        StoreTarget target = new StoreTarget();

        @Parameters(paramLabel = "STORE NAME", description = "The store (unless --mount) and the snapshot.")
        List<String> given = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            List<String> p = target.parameters(given, 1, "locusfs snapshot delete STORE NAME");
            String name = target.rest(p).get(0);
            var d = target.run(target.storeOf(p), false, s -> s.delete(name));
            System.out.println("snapshot " + name + " deleted: " + d.versions() + " versions freed (" + human(d.blockBytes())
                    + " of data); store on disk " + human(d.diskBefore()) + " -> " + human(d.diskAfter()));
            return 0;
        }
    }

    @Command(name = "diff", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            header = "List the paths that changed between two snapshots, or a snapshot and now.",
            description = {
                "One line per path, like 'zfs diff': '+' added, '-' removed, 'M' modified (content, size, "
                    + "mode, owner, mtime, xattrs), 'R' renamed ('R<TAB>OLD -> NEW'; a renamed directory "
                    + "is one line). Without TO the older snapshot is compared with the live tree. The "
                    + "cost grows with the size of the change, not of the filesystem. Paths start at the "
                    + "root of the store ('/'); names are printed as raw bytes, a newline in a name as \\n.",
                "",
                "Usage: locusfs snapshot diff STORE FROM [TO] | --mount MOUNTPOINT FROM [TO]"})
    static final class DiffSnapshots implements Callable<Integer> {
        @Mixin
        StoreTarget target = new StoreTarget();

        @Parameters(paramLabel = "STORE FROM [TO]", description = "The store (unless --mount), the older snapshot, the newer one.")
        List<String> given = new ArrayList<>();

        @Option(names = "--json", description = "Print a JSON array for scripts.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            List<String> p = target.parameters(given, 1, "locusfs snapshot diff STORE FROM [TO]");
            List<String> names = target.rest(p);
            List<Diff.Change> diff = target.run(target.storeOf(p), true,
                    s -> s.diff(names.get(0), names.size() > 1 ? names.get(1) : null));
            ObjectMapper mapper = new ObjectMapper();
            ArrayNode changes = mapper.createArrayNode();
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            for (Diff.Change change : diff) {
                if (json) {
                    ObjectNode c = changes.addObject();
                    c.put("change", change.kind().name().toLowerCase(Locale.ROOT));
                    c.put("type", typeName(change.type()));
                    c.put("path", utf8(change.path()));
                    if (change.to() != null) {
                        c.put("to", utf8(change.to()));
                    }
                } else {
                    text.write(change.kind().symbol);
                    text.write('\t');
                    text.writeBytes(printable(change.path()));
                    if (change.to() != null) {
                        text.writeBytes(" -> ".getBytes(StandardCharsets.ISO_8859_1));
                        text.writeBytes(printable(change.to()));
                    }
                    text.write('\n');
                }
            }
            if (json) {
                System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(changes));
            } else {
                System.out.write(text.toByteArray()); // Raw bytes: names need not be UTF-8.
                System.out.flush();
            }
            return 0;
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            header = "Return the live tree to a snapshot.",
            description = {
                "Makes the live tree exactly what snapshot NAME shows; what was written since is gone "
                    + "(snapshots taken after NAME are kept). On a mounted store it is refused while any "
                    + "file is open for writing, unless --force (then open descriptors see the rolled-back "
                    + "file). One atomic step: a crash leaves the tree as it was or rolled back.",
                "",
                "Usage: locusfs snapshot rollback STORE NAME | --mount MOUNTPOINT NAME"})
    static final class Rollback implements Callable<Integer> {
        @Mixin
        StoreTarget target = new StoreTarget();

        @Parameters(paramLabel = "STORE NAME", description = "The store (unless --mount) and the snapshot.")
        List<String> given = new ArrayList<>();

        @Option(names = "--force", description = "Roll back even while files are open for writing.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            List<String> p = target.parameters(given, 1, "locusfs snapshot rollback STORE NAME");
            String name = target.rest(p).get(0);
            long restored = target.run(target.storeOf(p), false, s -> s.rollback(name, force));
            System.out.println("rolled back to " + name + " (" + restored + " keys restored)");
            return 0;
        }
    }

    @Command(name = "thin", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            header = "Apply the retention grid and the capacity bound now.",
            description = {
                "Deletes the snapshots the retention grid of STORE/locusfs.toml no longer keeps, then, "
                    + "while the store is over max_store_size, the oldest scheduled snapshots (never the "
                    + "newest). A mounted store does this by itself every second; this command runs it "
                    + "now, or shows what it would do (--dry-run), or as if the clock read --now.",
                "",
                "Usage: locusfs snapshot thin STORE | --mount MOUNTPOINT"})
    static final class Thin implements Callable<Integer> {
        @Mixin
        StoreTarget target = new StoreTarget();

        @Parameters(paramLabel = "STORE", description = "The store (unless --mount).")
        List<String> given = new ArrayList<>();

        @Option(names = "--now", paramLabel = "INSTANT", description = "Thin as if it were this time (ISO-8601).")
        String now;

        @Option(names = "--dry-run", description = "Only list what would be deleted.")
        boolean dryRun;

        @Override
        public Integer call() throws Exception {
            List<String> p = target.parameters(given, 0, "locusfs snapshot thin STORE");
            long nanos = now == null ? 0 : instantNanos(now);
            var answer = target.run(target.storeOf(p), false, s -> s.thin(nanos, dryRun));
            for (SnapshotOperations.Thinned t : answer) {
                System.out.println((dryRun ? "would thin " : "thinned ") + t.name() + " (" + t.reason() + ")");
            }
            if (answer.isEmpty()) {
                System.out.println("nothing to thin");
            }
            return 0;
        }
    }

    static long instantNanos(String text) {
        try {
            Instant t = Instant.parse(text);
            return t.getEpochSecond() * 1_000_000_000L + t.getNano();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' is not an ISO-8601 instant such as 2026-11-01T00:00:00Z");
        }
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + "B";
        }
        String units = "KMGTPE";
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length() - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, v < 10 ? "%.1f%c" : "%.0f%c", v, units.charAt(u));
    }

    private static String typeName(int type) {
        return switch (type) {
            case 4 -> "directory";
            case 8 -> "file";
            case 10 -> "symlink";
            case 1 -> "fifo";
            case 2 -> "char-device";
            case 6 -> "block-device";
            case 12 -> "socket";
            default -> "unknown";
        };
    }

    /** A path for a text line: raw bytes, but a newline escaped so one change is one line. */
    private static byte[] printable(byte[] path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(path.length);
        for (byte b : path) {
            if (b == '\n') {
                out.write('\\');
                out.write('n');
            } else {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    private static String utf8(byte[] raw) {
        return new String(raw, StandardCharsets.UTF_8);
    }
}
