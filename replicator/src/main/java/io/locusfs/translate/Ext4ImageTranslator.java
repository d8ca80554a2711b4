package io.locusfs.translate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code ext4-image} format: a raw ext4 disk image of the snapshot, ready for
 * {@code mount -o loop,ro} or a VM. Built with {@code mke2fs -d} from a directory export (so
 * modes, owners, links, holes and xattrs carry over; times to the whole second and up to
 * 2038, as {@code mke2fs -d} 1.47 copies them) and checked with {@code e2fsck -fn}. An import checks the
 * image the same way, then mounts it read-only through a loop device (root only) and reads the
 * tree from there.
 */
public final class Ext4ImageTranslator implements Translator {
    /** Room mke2fs needs beyond the data: metadata, journal, directories. */
    private static final long SLACK_BYTES = 32L << 20;

    @Override
    public String name() {
        return "ext4-image";
    }

    @Override
    public String description() {
        return "raw ext4 disk image (mount -o loop, VMs), made with mke2fs -d and checked with e2fsck";
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.EXPORT, Capability.IMPORT);
    }

    @Override
    public void export(ExportJob job) throws IOException {
        Path staging = job.output().resolveSibling(job.output().getFileName() + ".tree");
        Translation.deleteRecursively(staging);
        try {
            Files.createDirectories(staging);
            DirTranslator.write(job.tree(), staging, job.progress());
            long files;
            try (var all = Files.walk(staging)) {
                files = all.count();
            }
            ExternalCommand.Result du = ExternalCommand.exec(List.of("du", "-s", "--block-size=1", staging.toString()));
            long used = Long.parseLong(du.output().split("\\s+")[0]); // allocated bytes: holes cost nothing
            long inodes = files + files / 8 + 64;
            long bytes = used + used / 8 + inodes * 4096 + SLACK_BYTES;
            Files.deleteIfExists(job.output());
            ExternalCommand.run("mke2fs", "-q", "-F", "-t", "ext4", "-I", "256", "-N", Long.toString(inodes), "-L", label(job),
                    "-d", staging.toString(), job.output().toString(), (bytes / 1024 + 1) + "k");
            // mke2fs adds lost+found to the root after copying it, which moves the root's mtime to now.
            SnapshotTree.Node root = job.tree().root();
            ExternalCommand.run("debugfs", "-w", "-R", "set_inode_field / mtime @" + Math.floorDiv(root.mtimeNanos(), 1_000_000_000L),
                    job.output().toString());
        } finally {
            Translation.deleteRecursively(staging);
        }
    }

    private static String label(ExportJob job) {
        String name = job.tree().header().snapshot();
        return name.length() <= 16 ? name : name.substring(0, 16);
    }

    @Override
    public void verify(ExportJob job) throws IOException {
        check(job.output());
    }

    /** Refuses what is not a clean ext2/3/4 image, with the tool's own words. */
    private static void check(Path image) throws IOException {
        if (!Files.isRegularFile(image)) {
            throw new TranslationException(image + " is not a file");
        }
        ExternalCommand.Result probe = ExternalCommand.exec(List.of("dumpe2fs", "-h", image.toString()));
        if (probe.status() != 0) {
            throw new TranslationException(image + " is not an ext4 image (dumpe2fs: " + probe.lastLine() + ")");
        }
        ExternalCommand.Result fsck = ExternalCommand.exec(List.of("e2fsck", "-fn", image.toString()));
        if (fsck.status() != 0) {
            throw new TranslationException(image + " failed e2fsck -fn (status " + fsck.status() + "): " + fsck.lastLine());
        }
    }

    @Override
    public void importInto(ImportJob job) throws IOException {
        check(job.input());
        if (!Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
            throw new TranslationException("importing an ext4 image mounts it read-only through a loop device, which needs root");
        }
        Path mountPoint = Files.createTempDirectory("locusfs-image-");
        try {
            ExternalCommand.run("mount", "-o", "loop,ro,noload,nodev,nosuid,noexec", job.input().toString(), mountPoint.toString());
            try {
                DirTranslator.read(mountPoint, job.target(), job.progress());
            } finally {
                ExternalCommand.run("umount", mountPoint.toString());
            }
        } finally {
            Files.deleteIfExists(mountPoint);
        }
    }
}
