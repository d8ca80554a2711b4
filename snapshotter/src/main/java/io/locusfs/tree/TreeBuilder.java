package io.locusfs.tree;

import java.io.IOException;
import java.io.InputStream;

/**
 * Where an import puts what it reads: a tree, written in path order. Paths are relative to the
 * import's root, as in {@link SnapshotTree}. A node added at an existing path replaces it
 * (a directory keeps what it holds and takes the new attributes).
 */
public interface TreeBuilder {

    /** For an incremental import: the export it continues from must be this store's snapshot {@code since}. */
    void requireBase(String since) throws IOException;

    /** Removes {@code path} and everything below it; a path that does not exist is ignored. */
    void remove(String path) throws IOException;

    /**
     * Adds {@code node}. For a regular file {@code data} gives its whole content (zeros are stored
     * as holes); for a hard link ({@code node.hardLinkOf() != null}) and other kinds it is null.
     * The node's {@code content}, {@code zone} and {@code locationRecord} are ignored: data
     * imported here lives where this store lives.
     */
    void add(SnapshotTree.Node node, InputStream data) throws IOException;

    /**
     * Names the snapshot the import describes, when the input says (the tar translator's header),
     * so that it is taken under that name unless the user chose one.
     *
     * @throws TreeException when that snapshot cannot be taken (it exists already)
     */
    void describe(SnapshotTree.Header header) throws TreeException;
}
