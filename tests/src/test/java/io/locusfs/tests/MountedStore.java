package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A real LocusFS store under a fresh temporary directory, mounted with the packaged
 * {@code locusfs} command (the daemon in the background, as a user runs it). Close unmounts.
 */
final class MountedStore implements AutoCloseable {
    static final Path HOME = Path.of(System.getProperty("locusfs.home", "..")).toAbsolutePath().normalize();
    static final String LOCUSFS = HOME.resolve("packaging/bin/locusfs").toString();

    final Path root;
    final Path store;
    final Path mnt;

    private MountedStore(Path root) {
        this.root = root;
        this.store = root.resolve("store");
        this.mnt = root.resolve("mnt");
    }

    /** Creates a store at location {@code zone} and mounts it. */
    static MountedStore create(String zone) {
        MountedStore m = unmounted(zone);
        m.mount();
        return m;
    }

    /** Creates a store at location {@code zone}, not mounted (a mirror's store, say). */
    static MountedStore unmounted(String zone) {
        try {
            // World-traversable, so that tests running as an unprivileged user reach the mount.
            MountedStore m = new MountedStore(Files.createTempDirectory("locusfs-e2e",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x"))));
            Files.createDirectories(m.mnt);
            Shell.ok(LOCUSFS + " init " + m.store + " --location " + zone);
            return m;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A store unpacked from {@code archive} (a .tar.gz holding {@code store/}), not mounted. */
    static MountedStore unpacked(Path archive) {
        try {
            MountedStore m = new MountedStore(Files.createTempDirectory("locusfs-e2e",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x"))));
            Files.createDirectories(m.mnt);
            Shell.ok("tar xzf " + Shell.quote(archive.toString()) + " -C " + m.root);
            return m;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    void mount() {
        mount("");
    }

    /** Mounts with extra options of {@code locusfs mount} ("--policy P --replicate C"). */
    void mount(String options) {
        Shell.ok(LOCUSFS + " mount " + store + " " + mnt + " " + options);
    }

    void unmount() {
        Shell.ok(LOCUSFS + " umount " + mnt);
    }

    void remount() {
        unmount();
        mount();
    }

    /** The mount daemon's process id. */
    long daemonPid() {
        try {
            return Long.parseLong(Files.readAllLines(store.resolve("locusfs.pid")).get(0).trim());
        } catch (IOException e) {
            throw new AssertionError("no daemon pid file in " + store, e);
        }
    }

    /** Kills the daemon with SIGKILL, as a crash would, and clears the dead mount. */
    void crash() {
        long pid = daemonPid();
        Shell.ok("kill -9 " + pid + "; while kill -0 " + pid + " 2>/dev/null; do sleep 0.05; done; fusermount3 -u -z " + mnt + " || true");
    }

    /** Runs fsck on the unmounted store and asserts it is clean. */
    void assertFsckClean() {
        Shell.Result r = Shell.run(300, LOCUSFS + " fsck " + store);
        assertEquals(0, r.exit(), () -> "fsck found problems:\n" + r.out() + r.err());
    }

    /** A path inside the mount, as a shell word. */
    String at(String relative) {
        return Shell.quote(mnt.resolve(relative).toString());
    }

    @Override
    public void close() {
        Shell.run(LOCUSFS + " umount " + mnt + " || fusermount3 -u -z " + mnt);
        Shell.run("rm -rf " + root);
    }
}
