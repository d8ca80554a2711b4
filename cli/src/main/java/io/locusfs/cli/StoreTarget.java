package io.locusfs.cli;

import io.locusfs.daemon.ControlClient;
import io.locusfs.daemon.SnapshotOperations;
import io.locusfs.daemon.SnapshotService;
import io.locusfs.daemon.StoreConfig;
import io.locusfs.fuse.MountTable;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Which store a command works on: {@code STORE} as its first parameter, or {@code --mount
 * MOUNTPOINT} for the store mounted there. The snapshot subcommands, export and import share it
 * as a picocli mixin.
 */
final class StoreTarget {
    @Option(names = "--mount", paramLabel = "MOUNTPOINT", description = "The mount point of a mounted store (instead of STORE).")
    Path mountPoint;

    /** What one subcommand does with the snapshot operations of its store. */
    interface Operation<T> {
        T on(SnapshotOperations snapshots) throws IOException;
    }

    /**
     * Runs {@code operation} where the store is: by its mount daemon when it is mounted, else
     * on the store opened here (read-only for an operation that only reads, which works while
     * a mirror serves the store). Both give the same answers.
     */
    <T> T run(Path store, boolean onlyReads, Operation<T> operation) throws IOException {
        Path storePath = resolve(store);
        Optional<ControlClient> daemon = ControlClient.ifMounted(storePath);
        if (daemon.isPresent()) {
            return operation.on(daemon.get().snapshots());
        }
        try (Store opened = Store.open(storePath, onlyReads ? StoreOptions.defaults().asReadOnly() : StoreOptions.defaults())) {
            return operation.on(new SnapshotService(opened, null, StoreConfig.load(storePath)));
        }
    }

    /** The store directory: {@code store}, or the store mounted at --mount (or at {@code store} when it is a mount point). */
    Path resolve(Path store) throws IOException {
        if (mountPoint == null) {
            if (store == null) {
                throw new IllegalArgumentException("give the store directory, or --mount MOUNTPOINT");
            }
            var mounted = MountTable.at(store).filter(m -> m.type().equals(MountTable.FS_TYPE));
            return mounted.isPresent() ? Path.of(mounted.get().source()) : store;
        }
        var mounted = MountTable.at(mountPoint).filter(m -> m.type().equals(MountTable.FS_TYPE));
        if (mounted.isEmpty()) {
            throw new IllegalArgumentException(mountPoint + " is not a LocusFS mount point");
        }
        return Path.of(mounted.get().source());
    }

    /** STORE then the other parameters; with --mount, STORE is left out. */
    List<String> parameters(List<String> given, int needed, String usage) {
        int expected = mountPoint == null ? needed + 1 : needed;
        if (given.size() < expected) {
            throw new IllegalArgumentException("usage: " + usage);
        }
        return given;
    }

    Path storeOf(List<String> given) {
        return mountPoint == null ? Path.of(given.get(0)) : null;
    }

    List<String> rest(List<String> given) {
        return mountPoint == null ? given.subList(1, given.size()) : given;
    }
}
