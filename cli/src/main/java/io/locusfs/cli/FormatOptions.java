package io.locusfs.cli;

import picocli.CommandLine.Option;

/** The options export and import share: which translator, and how to report. */
final class FormatOptions {
    @Option(names = {"-f", "--format"}, required = true, paramLabel = "FORMAT",
            description = "tar, dir, ext4-image, sqlite, or a plug-in's (see 'locusfs formats').")
    String format;

    @Option(names = "--json", description = "Print a JSON summary for scripts (and no progress line).")
    boolean json;
}
