package io.locusfs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.locusfs.daemon.ControlClient;
import io.locusfs.daemon.ControlProtocol;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.translate.Translation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "export",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        header = "Write a snapshot out in an open format (tar, directory, ext4 image, SQLite file).",
        description = {
            "Writes snapshot SNAPSHOT of the store to OUTPUT in --format (see 'locusfs formats'), "
                + "then reads it back and checks it (checksums; for an image, e2fsck). Nothing is left at "
                + "OUTPUT unless that check passed: the export is written beside it and moved into place.",
            "",
            "With --since OLDER only what changed between snapshot OLDER and SNAPSHOT is written, with "
                + "the paths removed since (tar); importing a full export and then such exports in order "
                + "into an empty store rebuilds the same snapshots.",
            "",
            "A mounted store is exported by its mount daemon (through STORE/control.sock), so OUTPUT is "
                + "written by the daemon's user; an unmounted store is opened here.",
            "",
            "Examples:",
            "  locusfs export /srv/store nightly-2026-11-24 --format tar \\",
            "      --output /backup/full.tar",
            "  locusfs export /srv/store nightly-2026-11-25 --since nightly-2026-11-24 \\",
            "      --format tar --output /backup/inc.tar",
            "  locusfs export /srv/store before-upgrade --format ext4-image \\",
            "      --output /vm/disk.img",
            "  locusfs export /srv/store nightly --format sqlite \\",
            "      --path /var/lib/app/app.db --output app.db",
            "",
            "Usage: locusfs export STORE SNAPSHOT --format FORMAT --output PATH | --mount MOUNTPOINT SNAPSHOT ..."},
        footerHeading = "%nExit status:%n",
        footer = {"  0  written and verified", "  1  refused or failed (the message says why); nothing written at OUTPUT"})
final class ExportCommand implements Callable<Integer> {
    @Mixin
    StoreTarget target = new StoreTarget();

    @Mixin
    FormatOptions options = new FormatOptions();

    @Parameters(paramLabel = "STORE SNAPSHOT", description = "The store (unless --mount) and the snapshot to export.")
    List<String> given = new ArrayList<>();

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "PATH", description = "The file (or, for dir, the new directory) to write.")
    Path output;

    @Option(names = "--force", description = "Replace OUTPUT when it is an existing file.")
    boolean force;

    @Option(names = "--since", paramLabel = "OLDER", description = "Write only what changed since snapshot OLDER.")
    String since;

    @Option(names = "--path", paramLabel = "PATH", defaultValue = "/",
            description = "Export only this directory (or, for sqlite, this file) of the snapshot (default: ${DEFAULT-VALUE}).")
    String subtree;

    @Override
    public Integer call() throws Exception {
        List<String> args = target.parameters(given, 1, "locusfs export STORE SNAPSHOT --format FORMAT --output PATH");
        String snapshot = target.rest(args).get(0);
        Path storePath = target.resolve(target.storeOf(args));
        Path absolute = output.toAbsolutePath();
        if (!force && Files.exists(absolute, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(absolute)) {
            throw new IllegalArgumentException(absolute + " exists; add --force to replace it");
        }
        Optional<ControlClient> daemon = ControlClient.ifMounted(storePath);
        Translation.Summary summary;
        if (daemon.isPresent()) {
            try (TerminalProgress progress = new TerminalProgress("exporting", 0, 0, options.json)) { // the daemon sends the totals
                summary = daemon.get().call(new ControlProtocol.Export(options.format, snapshot, since, subtree, absolute.toString()),
                        progress);
            }
        } else {
            try (Store store = Store.open(storePath, StoreOptions.defaults().asReadOnly())) { // works while a mirror serves it
                // One tree for the progress line's totals and the export: it counts its nodes once.
                var tree = Translation.tree(store, snapshot, since, subtree);
                try (TerminalProgress progress = new TerminalProgress("exporting", tree.files(), tree.bytes(), options.json)) {
                    summary = new Translation(1).export(options.format, tree, absolute, progress);
                }
            }
        }
        print(summary, options.json);
        return 0;
    }

    /** Prints what an export or import did: one line, or a JSON object. */
    static void print(Translation.Summary s, boolean json) throws IOException {
        double seconds = s.nanos() / 1e9;
        if (json) {
            ObjectNode out = new ObjectMapper().createObjectNode().put("direction", s.direction()).put("format", s.format())
                    .put("snapshot", s.snapshot()).put("since", s.since()).put("path", s.path().toString())
                    .put("files", s.files()).put("bytes", s.bytes()).put("seconds", Math.round(seconds * 1000) / 1000.0)
                    .put("verified", s.direction().equals("export"));
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(out));
            return;
        }
        String what = s.direction().equals("export")
                ? String.format(Locale.ROOT, "exported snapshot %s%s to %s (%s), verified", s.snapshot(),
                        s.since() == null ? "" : " (changes since " + s.since() + ")", s.path(), s.format())
                : String.format(Locale.ROOT, "imported %s (%s)%s", s.path(), s.format(),
                        s.snapshot() == null ? "" : " as snapshot " + s.snapshot());
        System.out.printf(Locale.ROOT, "%s: %,d files, %s of data in %.1f s (%s/s)%n", what, s.files(), SnapshotCommand.human(s.bytes()),
                seconds, SnapshotCommand.human((long) (s.bytes() / Math.max(seconds, 1e-3))));
    }
}
