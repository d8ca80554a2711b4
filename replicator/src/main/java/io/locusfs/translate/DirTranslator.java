package io.locusfs.translate;

import io.locusfs.tree.Progress;
import io.locusfs.tree.SnapshotTree;
import io.locusfs.tree.TreeBuilder;
import io.locusfs.xattr.ReservedAttributes;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * The {@code dir} format: a plain directory tree on any filesystem (for rsync, for a restore by
 * hand). Keeps modes, owners (when run as root), times with nanoseconds, symlinks, hard links,
 * holes, FIFOs and devices, and {@code user.*} xattrs, the zone and location record included
 * where the filesystem takes them. Sockets are left out, as tar does.
 */
public final class DirTranslator implements Translator {
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final int CHUNK = 1 << 20;

    @Override
    public String name() {
        return "dir";
    }

    @Override
    public String description() {
        return "plain directory tree: modes, owners, ns times, links, holes, user xattrs (rsync, restore by hand)";
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.EXPORT, Capability.IMPORT);
    }

    @Override
    public void export(ExportJob job) throws IOException {
        Files.createDirectories(job.output());
        write(job.tree(), job.output(), job.progress());
    }

    /** Writes every node of {@code tree} below {@code dir} (which holds nothing at those paths). */
    static void write(SnapshotTree tree, Path dir, Progress progress) throws IOException {
        write(tree, dir, progress, false);
    }

    /**
     * Writes every node of {@code tree} below {@code dir}; directory attributes last, as adding to
     * a directory changes its times. With {@code replace} (a restore into a tree in use), what is
     * at a node's path is replaced, but a directory is never replaced by a file: that is refused.
     */
    public static void write(SnapshotTree tree, Path dir, Progress progress, boolean replace) throws IOException {
        List<SnapshotTree.Node> directories = new ArrayList<>();
        byte[] buffer = new byte[CHUNK];
        // Setting a file's attributes is several system calls, and xattrs as large as a signed
        // history make the filesystem write a block each: done by a few threads behind the data.
        try (Attributes attributes = new Attributes()) {
            tree.walk(node -> {
                Path path = node.path().isEmpty() ? dir : dir.resolve(node.path());
                if (replace && node.kind() != SnapshotTree.Kind.DIRECTORY && Files.exists(path, NOFOLLOW)) {
                    if (Files.isDirectory(path, NOFOLLOW)) {
                        throw new TranslationException(path + " is a directory; the " + node.kind().name().toLowerCase().replace('_', ' ')
                                + " restored there would replace it: move it away first");
                    }
                    Files.delete(path);
                }
                switch (node.kind()) {
                    case DIRECTORY -> {
                        Files.createDirectories(path);
                        directories.add(node);
                    }
                    case SYMLINK -> Files.createSymbolicLink(path, Path.of(node.symlinkTarget()));
                    case FIFO -> ExternalCommand.run("mkfifo", path.toString());
                    case CHAR_DEVICE, BLOCK_DEVICE -> ExternalCommand.run("mknod", path.toString(), node.kind() == SnapshotTree.Kind.CHAR_DEVICE ? "c" : "b",
                            Long.toString(((node.rdev() >>> 8) & 0xfff) | ((node.rdev() >>> 32) & ~0xfffL)),
                            Long.toString((node.rdev() & 0xff) | ((node.rdev() >>> 12) & ~0xffL)));
                    case SOCKET -> {
                        return;
                    }
                    case FILE -> {
                        if (node.hardLinkOf() != null) {
                            Files.createLink(path, dir.resolve(node.hardLinkOf()));
                            return; // one inode: its attributes are set through its first path
                        }
                        writeContent(node, path, buffer);
                    }
                }
                if (node.kind() != SnapshotTree.Kind.DIRECTORY) {
                    attributes.set(node, path);
                }
                progress.advance(1, SnapshotTree.dataBytes(node));
            });
            attributes.finish();
        }
        for (int i = directories.size() - 1; i >= 0; i--) {
            SnapshotTree.Node node = directories.get(i);
            attributes(node, node.path().isEmpty() ? dir : dir.resolve(node.path()));
        }
    }

    /** Sets nodes' attributes on a few threads; the first failure is thrown by the next call, or by {@link #finish}. */
    private static final class Attributes implements AutoCloseable {
        private static final int THREADS = 4;
        private final java.util.concurrent.ExecutorService pool = new java.util.concurrent.ThreadPoolExecutor(THREADS, THREADS, 0,
                java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.ArrayBlockingQueue<>(1024), r -> {
                    Thread t = new Thread(r, "set-attributes");
                    t.setDaemon(true);
                    return t;
                }, new java.util.concurrent.ThreadPoolExecutor.CallerRunsPolicy());
        private final java.util.concurrent.atomic.AtomicReference<IOException> failed = new java.util.concurrent.atomic.AtomicReference<>();

        void set(SnapshotTree.Node node, Path path) throws IOException {
            rethrow();
            pool.execute(() -> {
                try {
                    if (failed.get() == null) {
                        attributes(node, path);
                    }
                } catch (IOException e) {
                    failed.compareAndSet(null, e);
                } catch (RuntimeException e) {
                    failed.compareAndSet(null, new IOException(path + ": " + e.getMessage(), e));
                }
            });
        }

        void finish() throws IOException {
            pool.shutdown();
            try {
                if (!pool.awaitTermination(1, java.util.concurrent.TimeUnit.HOURS)) {
                    throw new IOException("setting attributes did not finish in an hour");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while setting attributes");
            }
            rethrow();
        }

        private void rethrow() throws IOException {
            IOException e = failed.get();
            if (e != null) {
                throw e;
            }
        }

        @Override
        public void close() {
            pool.shutdownNow();
        }
    }

    /**
     * Writes every node of {@code tree} below {@code dir} all or nothing: into a directory of its
     * own inside {@code dir} first (the same filesystem), then, once every byte was read and
     * written, moved into place (a whole subtree in one rename where {@code dir} has nothing at its
     * path; file by file over what is there, as {@link #write} with {@code replace} does). A read
     * that fails (a damaged source) leaves {@code dir} as it was.
     */
    public static void writeWhole(SnapshotTree tree, Path dir, Progress progress) throws IOException {
        Files.createDirectories(dir);
        try (var left = Files.newDirectoryStream(dir, ".locusfs-restore-*")) {
            for (Path p : left) {
                Translation.deleteRecursively(p); // what a killed run had written
            }
        }
        Path staged = Files.createTempDirectory(dir, ".locusfs-restore-");
        try {
            write(tree, staged, progress, false);
            List<SnapshotTree.Node> merged = new ArrayList<>();
            List<String> moved = new ArrayList<>();
            // First every refusal, so that nothing moves unless everything can.
            tree.walk(node -> {
                Path at = dir.resolve(node.path());
                if (!node.path().isEmpty() && node.kind() != SnapshotTree.Kind.DIRECTORY && Files.isDirectory(at, NOFOLLOW)) {
                    throw new TranslationException(at + " is a directory; the " + node.kind().name().toLowerCase().replace('_', ' ')
                            + " restored there would replace it: move it away first");
                }
            });
            tree.walk(node -> {
                String p = node.path();
                if (p.isEmpty() || node.kind() == SnapshotTree.Kind.SOCKET
                        || moved.stream().anyMatch(m -> p.startsWith(m + "/"))) {
                    if (p.isEmpty()) {
                        merged.add(node);
                    }
                    return;
                }
                Path at = dir.resolve(p);
                if (node.kind() == SnapshotTree.Kind.DIRECTORY && Files.isDirectory(at, NOFOLLOW)) {
                    merged.add(node); // its entries move one by one; its attributes are set again after
                    return;
                }
                Files.move(staged.resolve(p), at, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                if (node.kind() == SnapshotTree.Kind.DIRECTORY) {
                    moved.add(p);
                }
            });
            Translation.deleteRecursively(staged);
            for (int i = merged.size() - 1; i >= 0; i--) {
                SnapshotTree.Node node = merged.get(i);
                attributes(node, node.path().isEmpty() ? dir : dir.resolve(node.path()));
            }
        } finally {
            if (Files.exists(staged, NOFOLLOW)) {
                Translation.deleteRecursively(staged);
            }
        }
    }

    private static void writeContent(SnapshotTree.Node node, Path path, byte[] buffer) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw"); FileChannel channel = file.getChannel()) {
            for (SnapshotTree.Extent extent : node.content().extents()) {
                for (long done = 0; done < extent.length(); ) {
                    int n = (int) Math.min(buffer.length, extent.length() - done);
                    node.content().read(extent.offset() + done, buffer, n);
                    ByteBuffer data = ByteBuffer.wrap(buffer, 0, n);
                    long at = extent.offset() + done;
                    while (data.hasRemaining()) {
                        at += channel.write(data, at);
                    }
                    done += n;
                }
            }
            file.setLength(node.size()); // what is past the last extent is a hole
        }
    }

    /** Sets a written node's xattrs, owner, mode and times (in that order: chown clears set-id bits). */
    private static void attributes(SnapshotTree.Node node, Path path) throws IOException {
        boolean hasXattrs = node.kind() == SnapshotTree.Kind.FILE || node.kind() == SnapshotTree.Kind.DIRECTORY;
        if (hasXattrs) {
            UserDefinedFileAttributeView xattrs = Files.getFileAttributeView(path, UserDefinedFileAttributeView.class, NOFOLLOW);
            for (var xattr : node.xattrs().entrySet()) {
                if (xattr.getKey().startsWith("user.") && !ReservedAttributes.isReserved(xattr.getKey())) {
                    xattrs.write(xattr.getKey().substring(5), ByteBuffer.wrap(xattr.getValue()));
                }
            }
            try {
                byte[] origins = node.xattrs().get(ReservedAttributes.ORIGINS);
                if (origins != null) {
                    xattrs.write(ReservedAttributes.ORIGINS.substring(5), ByteBuffer.wrap(origins));
                }
                xattrs.write(ReservedAttributes.LOCATION.substring(5), ByteBuffer.wrap(PaxWriter.utf8(node.zone())));
                xattrs.write(ReservedAttributes.RECORD.substring(5), ByteBuffer.wrap(PaxWriter.utf8(node.locationRecord())));
            } catch (FileSystemException e) {
                // A LocusFS mount (or a filesystem without xattrs) refuses them: the location is its own there.
            }
        }
        try {
            Files.setAttribute(path, "unix:uid", node.uid(), NOFOLLOW);
            Files.setAttribute(path, "unix:gid", node.gid(), NOFOLLOW);
        } catch (FileSystemException e) {
            // Not root: the files are the caller's, as with tar run by a user.
        }
        if (node.kind() != SnapshotTree.Kind.SYMLINK) {
            Files.setPosixFilePermissions(path, permissions(node.permissions()));
            if ((node.permissions() & 07000) != 0) {
                ExternalCommand.run("chmod", Integer.toOctalString(node.permissions()), path.toString()); // the JDK sets no set-id bits
            }
        }
        if (node.kind() == SnapshotTree.Kind.FIFO || node.kind() == SnapshotTree.Kind.CHAR_DEVICE
                || node.kind() == SnapshotTree.Kind.BLOCK_DEVICE || node.kind() == SnapshotTree.Kind.SYMLINK) {
            // The JDK opens a file to set its times, which blocks on a FIFO, and sets a symlink's in
            // microseconds (lutimes); touch -h opens nothing and sets nanoseconds (utimensat).
            ExternalCommand.run("touch", "-h", "-m", "-d", "@" + PaxWriter.time(node.mtimeNanos()), path.toString());
            ExternalCommand.run("touch", "-h", "-a", "-d", "@" + PaxWriter.time(node.atimeNanos()), path.toString());
            return;
        }
        Files.getFileAttributeView(path, BasicFileAttributeView.class, NOFOLLOW).setTimes(
                FileTime.from(node.mtimeNanos(), TimeUnit.NANOSECONDS), FileTime.from(node.atimeNanos(), TimeUnit.NANOSECONDS), null);
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
        for (int i = 0; i < 9; i++) {
            if ((mode & (0400 >> i)) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }

    @Override
    public void verify(ExportJob job) throws IOException {
        compare(job.tree(), job.output());
    }

    /**
     * Reads {@code dir} back and compares it with {@code tree}: every node there with its kind
     * and size, and every file's content by CRC32C.
     *
     * @throws TranslationException naming the first difference
     */
    static void compare(SnapshotTree tree, Path dir) throws IOException {
        byte[] buffer = new byte[CHUNK];
        tree.walk(node -> {
            if (node.kind() == SnapshotTree.Kind.SOCKET) {
                return;
            }
            Path path = node.path().isEmpty() ? dir : dir.resolve(node.path());
            if (!Files.exists(path, NOFOLLOW)) {
                throw new TranslationException(path + " is missing when read back");
            }
            SnapshotTree.Kind kind = SnapshotTree.Kind.of((Integer) Files.getAttribute(path, "unix:mode", NOFOLLOW));
            if (kind != node.kind()) {
                throw new TranslationException(path + " is a " + kind + " when read back, not a " + node.kind());
            }
            if (kind == SnapshotTree.Kind.FILE) {
                long size = Files.size(path);
                if (size != node.size()) {
                    throw new TranslationException(path + " has " + size + " bytes when read back, not " + node.size());
                }
                if (node.content() != null) {
                    try (InputStream written = Files.newInputStream(path); InputStream original = node.content().open()) {
                        if (crc(written, buffer) != crc(original, buffer)) {
                            throw new TranslationException(path + " differs from the snapshot when read back (CRC32C)");
                        }
                    }
                }
            }
        });
    }

    private static long crc(InputStream in, byte[] buffer) throws IOException {
        CRC32C crc = new CRC32C();
        for (int n; (n = in.read(buffer)) > 0; ) {
            crc.update(buffer, 0, n);
        }
        return crc.getValue();
    }

    @Override
    public void importInto(ImportJob job) throws IOException {
        if (!Files.isDirectory(job.input(), NOFOLLOW)) {
            throw new TranslationException(job.input() + " is not a directory");
        }
        read(job.input(), job.target(), job.progress());
    }

    /**
     * Adds everything below {@code dir} to {@code target}, in path order (hard links to the path
     * seen first). {@code lost+found} at the top is left out: it belongs to the filesystem.
     */
    static void read(Path dir, TreeBuilder target, Progress progress) throws IOException {
        Map<String, String> firstPaths = new HashMap<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path path, BasicFileAttributes attrs) throws IOException {
                if (path.equals(dir.resolve("lost+found"))) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                add(path);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path path, BasicFileAttributes attrs) throws IOException {
                add(path);
                return FileVisitResult.CONTINUE;
            }

            private void add(Path path) throws IOException {
                Map<String, Object> unix = Files.readAttributes(path, "unix:*", NOFOLLOW);
                int mode = (Integer) unix.get("mode");
                SnapshotTree.Kind kind = SnapshotTree.Kind.of(mode);
                if (kind == SnapshotTree.Kind.SOCKET) {
                    return;
                }
                String relative = dir.relativize(path).toString();
                String linkOf = null;
                if (kind != SnapshotTree.Kind.DIRECTORY && (Integer) unix.get("nlink") > 1) {
                    String id = unix.get("dev") + ":" + unix.get("ino");
                    linkOf = firstPaths.putIfAbsent(id, relative);
                }
                Map<String, byte[]> xattrs = new LinkedHashMap<>();
                if (kind == SnapshotTree.Kind.FILE || kind == SnapshotTree.Kind.DIRECTORY) {
                    UserDefinedFileAttributeView view = Files.getFileAttributeView(path, UserDefinedFileAttributeView.class, NOFOLLOW);
                    for (String name : view.list()) {
                        if (!ReservedAttributes.isReserved("user." + name)) {
                            ByteBuffer value = ByteBuffer.allocate(view.size(name));
                            view.read(name, value);
                            xattrs.put("user." + name, Arrays.copyOf(value.array(), value.position()));
                        }
                    }
                }
                long size = (Long) unix.get("size");
                SnapshotTree.Node node = new SnapshotTree.Node(relative, kind, mode & 07777, (Integer) unix.get("uid"),
                        (Integer) unix.get("gid"), nanos(unix.get("lastAccessTime")), nanos(unix.get("lastModifiedTime")),
                        nanos(unix.get("ctime")), kind == SnapshotTree.Kind.FILE ? size : 0,
                        kind == SnapshotTree.Kind.SYMLINK ? Files.readSymbolicLink(path).toString() : null,
                        (Long) unix.get("rdev"), xattrs, null, null, linkOf, null);
                if (kind == SnapshotTree.Kind.FILE && linkOf == null) {
                    try (InputStream data = Files.newInputStream(path)) {
                        target.add(node, data);
                    }
                } else {
                    target.add(node, null);
                }
                progress.advance(1, node.size());
            }
        });
    }

    private static long nanos(Object time) {
        return TimeUnit.SECONDS.toNanos(((FileTime) time).toInstant().getEpochSecond()) + ((FileTime) time).toInstant().getNano();
    }
}
