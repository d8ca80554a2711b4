package io.locusfs.translate;

import java.io.IOException;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * A format snapshots can be exported to or imported from. Implementations are found with
 * {@link ServiceLoader}: a jar on the class path that lists its class in
 * {@code META-INF/services/io.locusfs.translate.Translator} adds a format. An instance may run
 * several jobs at once, so it must keep no per-job state in fields.
 *
 * <p>An export writes {@code job.output()} from {@code job.tree()} and then {@link #verify}
 * reads it back; an import reads everything it needs from the input and must throw
 * {@link TranslationException} before it calls the builder when the input is corrupt, so that
 * bad input changes nothing.
 */
public interface Translator {

    /** What a translator can do. */
    enum Capability {
        /** Writes a snapshot out. */
        EXPORT,
        /** Brings data back into a store. */
        IMPORT,
        /** Exports only what changed since an older snapshot, and imports such exports in series. */
        INCREMENTAL
    }

    /** The name users give to {@code --format}: lower case letters, digits and '-'. */
    String name();

    /** One line for {@code locusfs formats}. */
    String description();

    Set<Capability> capabilities();

    /**
     * Writes {@code job.tree()} to {@code job.output()}.
     *
     * @throws TranslationException when the snapshot cannot be expressed in this format
     * @throws IOException          when writing fails
     */
    default void export(ExportJob job) throws IOException {
        throw new TranslationException("format '" + name() + "' cannot export");
    }

    /**
     * Reads back what {@link #export} wrote and compares it with {@code job.tree()}.
     *
     * @throws TranslationException naming the first difference found
     */
    default void verify(ExportJob job) throws IOException {
        throw new TranslationException("format '" + name() + "' cannot verify its exports");
    }

    /**
     * Reads {@code job.input()} into {@code job.target()}. Checks the whole input first: a
     * corrupt or truncated input throws before the target is touched.
     *
     * @throws TranslationException when the input is not valid for this format
     */
    default void importInto(ImportJob job) throws IOException {
        throw new TranslationException("format '" + name() + "' cannot import");
    }
}
