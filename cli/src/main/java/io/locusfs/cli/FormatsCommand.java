package io.locusfs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.locusfs.translate.Translator;
import io.locusfs.translate.Translators;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "formats",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "List the formats snapshots can be exported to and imported from.",
        description = {
            "Lists every installed translator: the built-in ones and those in plug-in jars. A plug-in "
                + "is a jar that implements io.locusfs.translate.Translator and names its class in "
                + "META-INF/services/io.locusfs.translate.Translator; drop it into the plug-in directory "
                + "($LOCUSFS_PLUGINS, default /usr/local/lib/locusfs/plugins) and it is listed here.",
            "",
            "Columns: EXPORT, IMPORT (restore), INCREMENTAL (--since) say what each can do."})
final class FormatsCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print a JSON array for scripts.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        ArrayNode all = mapper.createArrayNode();
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%-14s %-6s %-6s %-11s %s%n",
                "FORMAT", "EXPORT", "IMPORT", "INCREMENTAL", "DESCRIPTION"));
        for (Translator t : Translators.installed()) {
            var caps = t.capabilities();
            all.addObject().put("name", t.name()).put("description", t.description())
                    .put("export", caps.contains(Translator.Capability.EXPORT))
                    .put("import", caps.contains(Translator.Capability.IMPORT))
                    .put("incremental", caps.contains(Translator.Capability.INCREMENTAL))
                    .put("class", t.getClass().getName());
            text.append(String.format(Locale.ROOT, "%-14s %-6s %-6s %-11s %s%n", t.name(), yes(caps.contains(Translator.Capability.EXPORT)),
                    yes(caps.contains(Translator.Capability.IMPORT)), yes(caps.contains(Translator.Capability.INCREMENTAL)),
                    t.description()));
        }
        System.out.print(json ? mapper.writerWithDefaultPrettyPrinter().writeValueAsString(all) + "\n" : text);
        return 0;
    }

    private static String yes(boolean b) {
        return b ? "yes" : "-";
    }
}
