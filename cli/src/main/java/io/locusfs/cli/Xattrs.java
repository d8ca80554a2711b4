package io.locusfs.cli;

import io.locusfs.daemon.ControlClient;
import io.locusfs.daemon.ControlProtocol;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * Reads extended attributes by path, never opening the file (Java's attribute view opens it,
 * which blocks forever on a FIFO with no writer) and never following a symbolic link: with
 * {@code lgetxattr(2)} for regular files and directories, and for the other kinds on a LocusFS
 * mount (FIFO, socket, device node, symlink, on which the kernel shows no {@code user.*}
 * attribute) by asking the mount's daemon over its control socket.
 */
final class Xattrs {
    private static final int ENODATA = 61;
    private static final int ERANGE = 34;

    /** The C library's call. */
    public interface Libc {
        @SaveError
        long lgetxattr(String path, String name, @Out byte[] value, long size);

        String strerror(int errno);
    }

    private static final Libc LIBC = LibraryLoader.create(Libc.class).failImmediately().load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private Xattrs() {
    }

    /**
     * The value of attribute {@code name} (with its namespace, as {@code user.location}) of
     * {@code path} itself, or empty when it has none.
     *
     * @throws IOException when {@code path} cannot be read (missing, not permitted)
     */
    static Optional<byte[]> get(Path path, String name) throws IOException {
        var attributes = Files.readAttributes(path, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isRegularFile() && !attributes.isDirectory()) {
            Optional<MountedStore> mount = MountedStore.of(path);
            if (mount.isPresent()) {
                return Optional.ofNullable(ControlClient.of(mount.get().store())
                        .call(new ControlProtocol.Attribute(mount.get().inside(path), name)));
            }
        }
        String file = path.toString();
        for (int attempt = 0; attempt < 3; attempt++) { // The value may grow between the two calls.
            long size = LIBC.lgetxattr(file, name, null, 0);
            if (size < 0) {
                return absentOrFail(path, name);
            }
            byte[] value = new byte[(int) size];
            long read = LIBC.lgetxattr(file, name, value, value.length);
            if (read >= 0) {
                return Optional.of(read == value.length ? value : Arrays.copyOf(value, (int) read));
            }
            if (LastError.getLastError(RUNTIME) != ERANGE) {
                return absentOrFail(path, name);
            }
        }
        throw new IOException(path + ": the attribute " + name + " keeps changing size");
    }

    private static Optional<byte[]> absentOrFail(Path path, String name) throws IOException {
        int errno = LastError.getLastError(RUNTIME);
        if (errno == ENODATA) {
            return Optional.empty();
        }
        throw new IOException(path + ": cannot read " + name + " (" + LIBC.strerror(errno).toLowerCase(Locale.ROOT) + ")");
    }
}
