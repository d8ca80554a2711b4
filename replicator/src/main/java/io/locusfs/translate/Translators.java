package io.locusfs.translate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/** The translators installed: the built-in ones and every plug-in jar on the class path. */
public final class Translators {
    private Translators() {
    }

    /** Every installed translator, by name. A plug-in that fails to load is left out, not fatal. */
    public static List<Translator> installed() {
        List<Translator> found = new ArrayList<>();
        var loader = ServiceLoader.load(Translator.class, Translators.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!loader.hasNext()) {
                    break;
                }
                found.add(loader.next());
            } catch (ServiceConfigurationError e) {
                LoggerFactory.getLogger(Translators.class).warn("a translator plug-in did not load: {}", e.getMessage());
            }
        }
        found.sort(Comparator.comparing(Translator::name));
        return found;
    }

    /**
     * The translator called {@code name}.
     *
     * @throws TranslationException naming the formats there are, when there is none by that name
     */
    public static Translator named(String name) throws TranslationException {
        List<Translator> all = installed();
        return all.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow(() -> new TranslationException(
                "unknown format '" + name + "'; installed: " + all.stream().map(Translator::name).collect(Collectors.joining(", "))
                        + " (see 'locusfs formats')"));
    }
}
