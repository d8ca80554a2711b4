package io.locusfs.translate;

import io.locusfs.tree.Progress;
import io.locusfs.tree.TreeBuilder;
import java.nio.file.Path;

/** One import: what to read, and the tree it goes into. */
public record ImportJob(Path input, TreeBuilder target, Progress progress) {
}
