package io.locusfs.translate;

import io.locusfs.tree.SnapshotTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code ext4-image} format: a raw ext4 disk image of the snapshot, ready for
 * {@code mount -o loop,ro} or a VM. Built with {@code mke2fs -d} from a directory export (so
 * modes, owners, links, holes and xattrs carry over), with the times then set to the
 * nanosecond by {@code debugfs}, and checked with {@code e2fsck -fn}. An import checks the
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
            setTimes(job, staging.resolveSibling(staging.getFileName() + ".times"));
        } finally {
            Translation.deleteRecursively(staging);
        }
    }

    /**
     * Sets every inode's mtime and atime to the nanosecond with one {@code debugfs} run:
     * {@code mke2fs -d} copies whole seconds only, wraps times past 2038, and moves the root's
     * mtime when it adds lost+found. The low 32 bits of the seconds go in the time field; the
     * extra field holds the nanoseconds (shifted by 2) and the two epoch bits above them.
     */
    private static void setTimes(ExportJob job, Path commands) throws IOException {
        StringBuilder script = new StringBuilder();
        job.tree().walk(node -> {
            if (node.kind() == SnapshotTree.Kind.SOCKET || node.hardLinkOf() != null || node.path().contains("\n")) {
                return; // sockets are not in the image; a link's inode is set through its first path
            }
            String path = "\"/" + node.path().replace("\"", "\"\"") + "\"";
            time(script, path, "mtime", node.mtimeNanos());
            time(script, path, "atime", node.atimeNanos());
        });
        Files.writeString(commands, script);
        try {
            ExternalCommand.Result result = ExternalCommand.exec(List.of("debugfs", "-w", "-f", commands.toString(),
                    job.output().toString()));
            for (String line : result.output().split("\n")) {
                if (!line.startsWith("debugfs") && !line.isBlank()) {
                    throw new TranslationException("setting times in the image failed: " + line);
                }
            }
        } finally {
            Files.deleteIfExists(commands);
        }
    }

    private static void time(StringBuilder script, String path, String field, long nanos) {
        long seconds = Math.floorDiv(nanos, 1_000_000_000L);
        long extra = (Math.floorMod(nanos, 1_000_000_000L) << 2) | (((seconds - (int) seconds) >> 32) & 3);
        script.append("set_inode_field ").append(path).append(' ').append(field).append(" @").append(seconds).append('\n');
        script.append("set_inode_field ").append(path).append(' ').append(field).append("_extra ").append(extra).append('\n');
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
