package io.locusfs.translate;

/**
 * Receives how far a job has come. Called from the job's thread; implementations must be cheap,
 * since it is called for every file.
 */
public interface Progress {
    Progress NONE = (files, bytes) -> { };

    /** Adds {@code files} files and {@code bytes} bytes of content to the work done. */
    void advance(long files, long bytes);
}
