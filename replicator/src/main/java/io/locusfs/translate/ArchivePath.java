package io.locusfs.translate;

import java.util.ArrayList;
import java.util.List;

/** Paths read from an archive or a directory, made safe to use below an import's root. */
final class ArchivePath {
    private ArchivePath() {
    }

    /**
     * {@code raw} as a path relative to the import's root: leading "/" and "./" dropped, "."
     * components and a trailing '/' removed; "" is the root.
     *
     * @throws TranslationException for a ".." component, which would reach outside the root
     */
    static String normalise(String raw) throws TranslationException {
        List<String> parts = new ArrayList<>();
        for (String part : raw.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw new TranslationException("refusing '" + raw + "': a path with '..' would reach outside the import");
            }
            parts.add(part);
        }
        return String.join("/", parts);
    }
}
