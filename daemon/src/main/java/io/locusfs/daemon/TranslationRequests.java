package io.locusfs.daemon;

import io.locusfs.store.Store;
import io.locusfs.translate.Translation;
import io.locusfs.tree.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.LongPredicate;

/**
 * Exports and imports asked of a mounted store through its control socket
 * ({@link ControlProtocol.Export}, {@link ControlProtocol.Import}): the daemon holds the store
 * open, so it runs them (a second open of a mounted store is unsafe). Both answer the job's
 * summary.
 */
public final class TranslationRequests {
    private final Store store;
    private final Translation translation;
    private final LongPredicate isOpen;
    private final Runnable commitAll;
    private final Runnable forgetCached;

    /** {@code forgetCached} makes the kernel forget what an import changed behind its back. */
    TranslationRequests(Store store, Translation translation, LongPredicate isOpen, Runnable commitAll, Runnable forgetCached) {
        this.store = store;
        this.translation = translation;
        this.isOpen = isOpen;
        this.commitAll = commitAll;
        this.forgetCached = forgetCached;
    }

    /** Runs an export, telling {@code progress} its totals first, then how far it has come. */
    Translation.Summary export(ControlProtocol.Export request, Progress progress) throws IOException {
        try {
            var tree = Translation.tree(store, request.snapshot(), request.since(), request.subtree());
            progress.total(tree.files(), tree.bytes());
            return translation.export(request.format(), tree, Path.of(request.output()), progress);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Runs an import into the live tree, telling {@code progress} how far it has come. */
    Translation.Summary importInto(ControlProtocol.Import request, Progress progress) throws IOException {
        commitAll.run(); // so that replacing a file replaces what its writers wrote
        try {
            return translation.importInto(store, request.format(), Path.of(request.input()), request.into(), request.snapshot(),
                    isOpen, progress);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            forgetCached.run();
        }
    }
}
