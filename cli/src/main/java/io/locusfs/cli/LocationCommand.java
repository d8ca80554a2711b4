package io.locusfs.cli;

import io.locusfs.daemon.ControlProtocol;
import io.locusfs.daemon.ControlClient;
import io.locusfs.fuse.Locations;
import io.locusfs.fuse.MountTable;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.xattr.Coordinates;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.LocationRecord;
import io.locusfs.xattr.ZonePath;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "location",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "Manage where a store lives.",
        description = {"Commands about the location of a whole store. See 'locusfs location set --help'."},
        subcommands = {LocationCommand.Set.class})
final class LocationCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (set)");
    }

    @Command(name = "set",
            mixinStandardHelpOptions = true,
            versionProvider = VersionProvider.class,
            sortOptions = false,
            header = "Relabel a store: every file of it now lives in ZONE.",
            description = {
                "Records that the store's disk now lives in ZONE (it was carried to another site). "
                    + "The location is held once for the whole store, so this is one write whatever "
                    + "the number of files; files that carry their own record (they came from "
                    + "elsewhere) keep it. The new location is signed with the node's key and "
                    + "appended to the location history ('locusfs where --history').",
                "",
                "TARGET is a store (unmounted) or the mount point of a mounted store.",
                "",
                "Example:",
                "  locusfs location set /srv/store eu/de/berlin/dc2 --coords 52.52,13.405"})
    static final class Set implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "TARGET", description = "Store directory or mount point.")
        Path target;

        @Parameters(index = "1", paramLabel = "ZONE", description = "The new zone path, e.g. eu/de/berlin/dc2.")
        String zone;

        @Option(names = "--coords", paramLabel = "LAT,LON", description = "Coordinates of the new site.")
        String coords;

        @Option(names = "--label", paramLabel = "TEXT", description = "Free text describing the new site.")
        String label;

        @Override
        public Integer call() throws Exception {
            Location location = new Location(ZonePath.parse(zone),
                    Optional.ofNullable(coords).map(Coordinates::parse), Optional.ofNullable(label));
            var mount = MountTable.at(target).filter(m -> m.type().equals(MountTable.FS_TYPE));
            if (mount.isPresent()) {
                String node = ControlClient.of(Path.of(mount.get().source())).call(new ControlProtocol.Relabel(location.zone().toString(),
                        coords == null ? "" : location.coordinates().get().toString(), label == null ? "" : label));
                System.out.println("signed by node " + node);
            } else {
                try (Store store = Store.open(target, StoreOptions.defaults())) {
                    LocationRecord record = Locations.open(store).relabel(location);
                    System.out.println("signed by node " + record.node());
                }
            }
            System.out.println(target + " now lives in " + location.zone());
            return 0;
        }
    }
}
