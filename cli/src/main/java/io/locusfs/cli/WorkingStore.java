package io.locusfs.cli;

import io.locusfs.fuse.Locations;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ZonePath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * A store a command keeps for its own work between runs (a restore's staging store, a far
 * mount's cache): made on first use in a directory only root reads (it holds a node key), in the
 * zone its files will say they live in.
 */
final class WorkingStore {
    private WorkingStore() {
    }

    /**
     * Makes a store at {@code dir} unless one is there, in {@code zone}, signing with the node
     * key of store {@code keyOf} when that is given and readable (else with a key of its own).
     */
    static void ensure(Path dir, ZonePath zone, Path keyOf) throws IOException {
        if (Files.isRegularFile(dir.resolve(Store.MARKER_FILE))) {
            return;
        }
        Files.createDirectories(dir.getParent());
        if (!Files.exists(dir)) {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Store.create(dir, new Location(zone, Optional.empty(), Optional.empty()), 0, 0);
        if (keyOf != null && Files.isReadable(keyOf.resolve(NodeIdentity.PRIVATE_KEY_FILE))) {
            for (String file : new String[] {NodeIdentity.PRIVATE_KEY_FILE, NodeIdentity.PUBLIC_KEY_FILE}) {
                Files.copy(keyOf.resolve(file), dir.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    /** Opens the store at {@code dir}, its location record signed on the first opening. */
    static Store open(Path dir, StoreOptions options) throws IOException {
        Store opened = Store.open(dir, options);
        try {
            Locations.open(opened);
        } catch (IOException | RuntimeException e) {
            opened.close();
            throw e;
        }
        return opened;
    }
}
