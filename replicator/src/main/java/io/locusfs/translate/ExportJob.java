package io.locusfs.translate;

import io.locusfs.tree.Progress;
import io.locusfs.tree.SnapshotTree;
import java.nio.file.Path;

/**
 * One export: the snapshot (or the part of it that changed since an older one) and where to
 * write it.
 */
public record ExportJob(SnapshotTree tree, Path output, Progress progress) {
}
