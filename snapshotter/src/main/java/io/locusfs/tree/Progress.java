package io.locusfs.tree;

/**
 * Receives how far a job has come. Called from the job's thread; implementations must be cheap,
 * since it is called for every file.
 */
public interface Progress {
    Progress NONE = (files, bytes) -> { };

    /** Adds {@code files} files and {@code bytes} bytes of content to the work done. */
    void advance(long files, long bytes);

    /** The whole job's size, when it is known only once the job has started (a stream's header tells it). */
    default void total(long files, long bytes) {
    }
}
