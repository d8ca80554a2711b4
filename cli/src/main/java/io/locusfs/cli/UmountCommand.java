package io.locusfs.cli;

import io.locusfs.daemon.MountDaemon;
import io.locusfs.fuse.MountTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "umount",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "Unmount a mounted store.",
        description = {
            "Unmounts the LocusFS mount at MOUNTPOINT and waits until its daemon has committed "
                + "every buffered write and closed the store, so the store can be used (fsck, "
                + "mount) as soon as this returns. Fails, changing nothing, while files on the "
                + "mount are in use.",
            "",
            "Example:",
            "  locusfs umount /mnt/locus"})
final class UmountCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "Where the store is mounted.")
    Path mountPoint;

    @Override
    public Integer call() throws Exception {
        var mount = MountTable.at(mountPoint)
                .filter(m -> m.type().equals(MountTable.FS_TYPE))
                .orElseThrow(() -> new IllegalArgumentException(mountPoint + " is not a LocusFS mount"));
        Long pid = daemonPid(Path.of(mount.source()));
        Process fusermount = new ProcessBuilder("fusermount3", "-u", mountPoint.toString()).inheritIO().start();
        if (fusermount.waitFor() != 0) {
            System.err.println("locusfs umount: " + mountPoint + " could not be unmounted (is it in use? see 'fuser -m "
                    + mountPoint + "')");
            return 1;
        }
        if (pid != null) {
            var daemon = ProcessHandle.of(pid);
            if (daemon.isPresent()) {
                try {
                    daemon.get().onExit().get(120, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    System.err.println("locusfs umount: " + mountPoint + " is unmounted, but its daemon (pid " + pid
                            + ") had not closed the store within 120 s; see " + mount.source() + "/locusfs.log");
                    return 1;
                }
            }
        }
        System.out.println("unmounted " + mountPoint + "; store " + mount.source() + " closed");
        return 0;
    }

    /**
     * The pid of the daemon that holds the store for this mount, from the store's holder file, or
     * null when the file names another mount (this one is read-only and holds nothing to close).
     */
    private Long daemonPid(Path store) throws IOException {
        Path pidFile = store.resolve(MountDaemon.PID_FILE);
        if (!Files.exists(pidFile)) {
            return null;
        }
        var lines = Files.readAllLines(pidFile);
        boolean ours = lines.size() > 1 && Path.of(lines.get(1).trim()).normalize().equals(mountPoint.toAbsolutePath().normalize());
        return ours ? Long.parseLong(lines.get(0).trim()) : null;
    }
}
