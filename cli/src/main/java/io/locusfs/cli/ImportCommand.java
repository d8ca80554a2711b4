package io.locusfs.cli;

import io.locusfs.daemon.ControlProtocol;
import io.locusfs.daemon.ControlClient;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.translate.Translation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "import",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        header = "Bring data in an open format into a store (and snapshot it, when asked).",
        description = {
            "Reads INPUT in --format (see 'locusfs formats') into the store's live tree below --into, "
                + "then takes a snapshot only when one is named: --snapshot NAME, or the name a LocusFS tar "
                + "export carries (with its original time). The whole input is checked first: a corrupt, "
                + "truncated or hostile input (a path with '..') is refused and the store is left as it was.",
            "",
            "An incremental tar (exported with --since OLDER) applies its removals and changes on top of "
                + "the tree, and is refused unless the store has snapshot OLDER: import a series in order.",
            "Data imported here lives here: files take this store's location, as every file written here.",
            "",
            "Examples:",
            "  locusfs import /srv/new --format tar /backup/full.tar   # snapshot as in it",
            "  locusfs import /srv/new --format tar /backup/inc.tar",
            "  locusfs import /srv/store --format dir /home/ann/photos --into /photos \\",
            "      --snapshot photos-in",
            "  locusfs import /srv/store --format sqlite /var/lib/app/app.db --into /db",
            "      (a live database, copied consistently)",
            "",
            "Usage: locusfs import STORE --format FORMAT INPUT | --mount MOUNTPOINT --format FORMAT INPUT"},
        footerHeading = "%nExit status:%n",
        footer = {"  0  imported", "  1  refused or failed (the message says why)"})
final class ImportCommand implements Callable<Integer> {
    @Mixin
    StoreTarget target = new StoreTarget();

    @Mixin
    FormatOptions options = new FormatOptions();

    @Parameters(paramLabel = "STORE INPUT", description = "The store (unless --mount) and what to import.")
    List<String> given = new ArrayList<>();

    @Option(names = "--into", paramLabel = "DIR", defaultValue = "/",
            description = "The directory of the store to import into, created if missing (default: ${DEFAULT-VALUE}).")
    String into;

    @Option(names = "--snapshot", paramLabel = "NAME", description = "Take this snapshot after the import.")
    String snapshot;

    @Override
    public Integer call() throws Exception {
        List<String> args = target.parameters(given, 1, "locusfs import STORE --format FORMAT INPUT");
        Path input = Path.of(target.rest(args).get(0)).toAbsolutePath();
        Path storePath = target.resolve(target.storeOf(args));
        long size = Files.isRegularFile(input) ? Files.size(input) : 0;
        Optional<ControlClient> daemon = ControlClient.ifMounted(storePath);
        Translation.Summary summary;
        if (daemon.isPresent()) {
            try (TerminalProgress progress = new TerminalProgress("importing", 0, size, options.json)) {
                summary = daemon.get().call(new ControlProtocol.Import(options.format, input.toString(), into, snapshot), progress);
            }
        } else {
            try (Store store = Store.open(storePath, StoreOptions.defaults());
                 TerminalProgress progress = new TerminalProgress("importing", 0, size, options.json)) {
                summary = new Translation(1).importInto(store, options.format, input, into, snapshot, ino -> false, progress);
            }
        }
        ExportCommand.print(summary, options.json);
        return 0;
    }
}
