package com.example.listing;

import io.locusfs.translate.ExportJob;
import io.locusfs.translate.TranslationException;
import io.locusfs.translate.Translator;
import io.locusfs.tree.SnapshotTree;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.util.EnumSet;
import java.util.Set;

/** A third-party translator, as a plug-in author writes one: a text listing of a snapshot. */
public final class ListingTranslator implements Translator {
    @Override
    public String name() {
        return "listing";
    }

    @Override
    public String description() {
        return "text listing: kind, size and path, one line per node";
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.EXPORT);
    }

    @Override
    public void export(ExportJob job) throws IOException {
        try (Writer out = Files.newBufferedWriter(job.output())) {
            job.tree().walk(node -> out.write(node.kind() + " " + node.size() + " /" + node.path() + "\n"));
        }
    }

    @Override
    public void verify(ExportJob job) throws IOException {
        long[] count = {0};
        job.tree().walk(node -> count[0]++);
        if (Files.readAllLines(job.output()).size() != count[0]) {
            throw new TranslationException("the listing lost lines");
        }
    }
}
