package io.locusfs.translate;

import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.tree.Progress;
import io.locusfs.tree.SnapshotTree;
import io.locusfs.tree.StoreSnapshotTree;
import io.locusfs.tree.StoreTreeBuilder;
import io.locusfs.tree.TreeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.Semaphore;
import java.util.function.LongPredicate;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs exports and imports against a store. An export is written beside its destination, read
 * back and checked by its translator, and only then moved into place: a failed verification is
 * an error and leaves nothing behind. At most {@code maxConcurrent} jobs run at once; the rest
 * wait their turn, so a burst of requests cannot exhaust memory. Thread-safe.
 */
public final class Translation {
    private static final Logger log = LoggerFactory.getLogger(Translation.class);
    /** The default cap on jobs at once: each holds a few MiB of buffers and one reader of the store. */
    public static final int DEFAULT_CONCURRENT = 2;

    private final Semaphore slots;

    public Translation(int maxConcurrent) {
        this.slots = new Semaphore(maxConcurrent, true);
    }

    /** What a job did. {@code since} is null for a full export; {@code snapshot} null for an import that took none. */
    public record Summary(String direction, String format, String snapshot, String since, Path path, long files,
                          long bytes, long nanos) {
    }

    /**
     * What an export of snapshot {@code snapshot} of {@code store} writes: only what changed
     * since {@code since} when not null, else {@code subtree} of it ("/" for all).
     *
     * @throws TreeException for an unknown snapshot or subtree
     */
    public static SnapshotTree tree(Store store, String snapshot, String since, String subtree) throws TreeException {
        return since == null ? StoreSnapshotTree.full(store, snapshot, subtree) : StoreSnapshotTree.since(store, snapshot, since);
    }

    /**
     * Exports {@code tree} (see {@link #tree}) to {@code output} in {@code format}.
     *
     * @throws TranslationException for an unknown format, a format that cannot do it, or a failed verification
     */
    public Summary export(String format, SnapshotTree tree, Path output, Progress progress) throws IOException, InterruptedException {
        Translator translator = capable(format, Translator.Capability.EXPORT, tree.incremental());
        String snapshot = tree.header().snapshot();
        Path absolute = output.toAbsolutePath();
        if (Files.isDirectory(absolute) && !isEmptyDirectory(absolute)) {
            throw new TranslationException(absolute + " is a directory that is not empty; give a new path");
        }
        if (!Files.isDirectory(absolute.getParent())) {
            throw new TranslationException(absolute.getParent() + ", where " + absolute.getFileName() + " would go, "
                    + (Files.exists(absolute.getParent()) ? "is not a directory" : "does not exist"));
        }
        Path partial = absolute.resolveSibling("." + absolute.getFileName() + ".partial");
        acquire("export of " + snapshot + " to " + absolute);
        long start = System.nanoTime();
        try {
            deleteRecursively(partial);
            ExportJob job = new ExportJob(tree, partial, progress);
            translator.export(job);
            translator.verify(job);
            Files.move(partial, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            slots.release();
            deleteRecursively(partial);
        }
        return new Summary("export", format, snapshot, tree.header().since(), absolute, tree.files(), tree.bytes(),
                System.nanoTime() - start);
    }

    /**
     * Imports {@code input} in {@code format} into {@code store} below directory {@code into},
     * then takes snapshot {@code snapshot} (or the one the input names, if any). Bad input is
     * refused before the store changes.
     *
     * @param isOpen which inodes a mount has open (so that replacing one keeps its data), or none
     */
    public Summary importInto(Store store, String format, Path input, String into, String snapshot, LongPredicate isOpen,
                              Progress progress) throws IOException, InterruptedException {
        Translator translator = capable(format, Translator.Capability.IMPORT, false);
        if (!Files.exists(input)) {
            throw new TranslationException(input + " does not exist");
        }
        if (snapshot != null) {
            Snapshots.checkName(snapshot);
        }
        StoreTreeBuilder builder = new StoreTreeBuilder(store, into, isOpen, snapshot);
        acquire("import of " + input);
        long start = System.nanoTime();
        Snapshots.Snapshot taken;
        try {
            translator.importInto(new ImportJob(input, builder, progress));
            taken = builder.finish();
        } finally {
            slots.release();
        }
        return new Summary("import", format, taken == null ? null : taken.name(),
                builder.described() == null ? null : builder.described().since(), input.toAbsolutePath(), builder.files(),
                builder.bytes(), System.nanoTime() - start);
    }

    /** Takes a slot, saying so in the log when the job has to wait for one. */
    private void acquire(String job) throws InterruptedException {
        if (!slots.tryAcquire()) {
            log.info("{} waits: the most jobs allowed at once are running", job);
            slots.acquire();
        }
        log.debug("{} started", job);
    }

    private static Translator capable(String format, Translator.Capability needed, boolean incremental)
            throws TranslationException {
        Translator translator = Translators.named(format);
        if (!translator.capabilities().contains(needed)) {
            throw new TranslationException("format '" + format + "' cannot " + needed.name().toLowerCase());
        }
        if (incremental && !translator.capabilities().contains(Translator.Capability.INCREMENTAL)) {
            throw new TranslationException("format '" + format + "' has no incremental exports (--since)");
        }
        return translator;
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }

    /** Deletes {@code path} and, for a directory, everything below it; nothing when it does not exist. */
    public static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(path)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
