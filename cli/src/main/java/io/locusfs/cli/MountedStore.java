package io.locusfs.cli;

import io.locusfs.fuse.MountTable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the LocusFS mount a path lives on, and its store. */
record MountedStore(Path mountPoint, Path store) {

    /** The LocusFS mount holding {@code path}, by walking up its parents. */
    static Optional<MountedStore> of(Path path) throws IOException {
        for (Path at = path.toAbsolutePath().normalize(); at != null; at = at.getParent()) {
            var mount = MountTable.at(at);
            if (mount.isPresent()) {
                return mount.get().type().equals(MountTable.FS_TYPE)
                        ? Optional.of(new MountedStore(at, Path.of(mount.get().source()))) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** The path of {@code path} inside the mount, starting with '/'. */
    String inside(Path path) {
        return "/" + mountPoint.relativize(path.toAbsolutePath().normalize());
    }
}
