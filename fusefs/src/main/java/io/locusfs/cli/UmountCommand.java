package io.locusfs.cli;

import io.locusfs.fuse.MountDaemon;
import io.locusfs.fuse.MountTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
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
        Path pidFile = Path.of(mount.source()).resolve(MountDaemon.PID_FILE);
        Long pid = Files.exists(pidFile) ? Long.parseLong(Files.readAllLines(pidFile).get(0).trim()) : null;
        Process fusermount = new ProcessBuilder("fusermount3", "-u", mountPoint.toString()).inheritIO().start();
        if (fusermount.waitFor() != 0) {
            System.err.println("locusfs umount: " + mountPoint + " could not be unmounted (is it in use? see 'fuser -m "
                    + mountPoint + "')");
            return 1;
        }
        if (pid != null) {
            var daemon = ProcessHandle.of(pid);
            if (daemon.isPresent()) {
                daemon.get().onExit().get(120, TimeUnit.SECONDS);
            }
        }
        System.out.println("unmounted " + mountPoint + "; store " + mount.source() + " closed");
        return 0;
    }
}
