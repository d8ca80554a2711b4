package io.locusfs.cli;

import com.sun.security.auth.module.UnixSystem;
import io.locusfs.fuse.Locations;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.xattr.Coordinates;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ZonePath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "init",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        header = "Create a new, empty store.",
        description = {
            "Creates a LocusFS store in STORE, which must be missing or an empty directory. "
                + "The store records where its data physically lives: every file in it carries "
                + "that location until it is moved or replicated.",
            "",
            "ZONE is a slash-separated zone path from the widest zone to the narrowest, for example "
                + "eu/gb/london/hq. Each segment is 1 to 63 characters of a-z, 0-9, '-' and '_', "
                + "starting with a letter or digit.",
            "",
            "Example:",
            "  locusfs init /srv/store --location eu/gb/london/hq \\",
            "      --coords 51.5072,-0.1276 --label 'rack 4'"})
final class InitCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "STORE", description = "Directory to create the store in.")
    Path store;

    @Option(names = "--location", required = true, paramLabel = "ZONE",
            description = "Zone path where the store's disk lives, e.g. eu/gb/london/hq.")
    String zone;

    @Option(names = "--coords", paramLabel = "LAT,LON",
            description = "Coordinates of the site in decimal degrees, e.g. 51.5072,-0.1276.")
    String coords;

    @Option(names = "--label", paramLabel = "TEXT", description = "Free text describing the site (one line).")
    String label;

    @Option(names = "--block-size", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "128K",
            description = "Size of data blocks, a power of two from 4K to 1M, fixed for the life of the store "
                    + "(default: ${DEFAULT-VALUE}, the size of one FUSE write; see snapshotter/FORMAT.md).")
    long blockSize;

    @Override
    public Integer call() throws Exception {
        Location location = new Location(ZonePath.parse(zone),
                Optional.ofNullable(coords).map(Coordinates::parse), Optional.ofNullable(label));
        UnixSystem user = new UnixSystem();
        boolean existed = Files.exists(store);
        Store.create(store, location, (int) user.getUid(), (int) user.getGid(), (int) Math.min(blockSize, Integer.MAX_VALUE));
        String node;
        try (Store created = Store.open(store, StoreOptions.defaults())) {
            node = Locations.open(created).node().nodeId();
        } catch (Exception e) {
            removeHalfCreated(existed);
            throw e;
        }
        System.out.println("created store " + store.toAbsolutePath() + " at location " + location.zone()
                + " (node " + node + ", key " + store.resolve(NodeIdentity.PRIVATE_KEY_FILE) + ")"
                + "\nmount it with: locusfs mount " + store + " MOUNTPOINT");
        return 0;
    }

    /** Undoes a failed init: the directory was missing or empty before, so it goes back to that. */
    private void removeHalfCreated(boolean existed) throws IOException {
        try (var walk = Files.walk(store)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                if (existed && p.equals(store)) {
                    continue;
                }
                Files.delete(p);
            }
        }
    }
}
