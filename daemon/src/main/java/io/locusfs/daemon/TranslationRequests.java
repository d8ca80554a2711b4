package io.locusfs.daemon;

import io.locusfs.store.Store;
import io.locusfs.translate.Translation;
import io.locusfs.tree.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;

/**
 * Exports and imports asked of a mounted store through its control socket: the daemon holds the
 * store open, so it runs them (a second open of a mounted store is unsafe). Requests:
 * <ul>
 *   <li>{@code export<TAB>FORMAT<TAB>SNAPSHOT<TAB>SINCE or empty<TAB>SUBTREE<TAB>OUTPUT}</li>
 *   <li>{@code import<TAB>FORMAT<TAB>INPUT<TAB>INTO<TAB>SNAPSHOT or empty}</li>
 * </ul>
 * Both answer the job's summary as {@code KEY<TAB>VALUE} lines ({@link #lines}).
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

    /** Runs one request, telling {@code progress} how far it has come (the export's totals first). */
    List<String> answer(String[] request, Progress progress) throws IOException {
        try {
            if (request[0].equals("export") && request.length == 6) {
                var tree = Translation.tree(store, request[2], empty(request[3]), request[4]);
                progress.total(tree.files(), tree.bytes());
                return lines(translation.export(request[1], tree, Path.of(request[5]), progress));
            }
            if (request[0].equals("import") && request.length == 5) {
                commitAll.run(); // so that replacing a file replaces what its writers wrote
                try {
                    return lines(translation.importInto(store, request[1], Path.of(request[2]), request[3], empty(request[4]),
                            isOpen, progress));
                } finally {
                    forgetCached.run();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        throw new IllegalArgumentException("malformed " + request[0] + " request");
    }

    private static String empty(String field) {
        return field.isEmpty() ? null : field;
    }

    /** A summary as answer lines. */
    public static List<String> lines(Translation.Summary s) {
        List<String> lines = new ArrayList<>();
        lines.add("direction\t" + s.direction());
        lines.add("format\t" + s.format());
        lines.add("snapshot\t" + (s.snapshot() == null ? "" : s.snapshot()));
        lines.add("since\t" + (s.since() == null ? "" : s.since()));
        lines.add("path\t" + s.path());
        lines.add("files\t" + s.files());
        lines.add("bytes\t" + s.bytes());
        lines.add("nanos\t" + s.nanos());
        return lines;
    }

    /** The summary {@link #lines} wrote. */
    public static Translation.Summary summary(List<String> lines) {
        Map<String, String> fields = new HashMap<>();
        for (String line : lines) {
            int tab = line.indexOf('\t');
            fields.put(line.substring(0, tab), line.substring(tab + 1));
        }
        return new Translation.Summary(fields.get("direction"), fields.get("format"), empty(fields.get("snapshot")),
                empty(fields.get("since")), Path.of(fields.get("path")), Long.parseLong(fields.get("files")),
                Long.parseLong(fields.get("bytes")), Long.parseLong(fields.get("nanos")));
    }
}
