package io.locusfs.replicate;

import java.io.IOException;

/**
 * A stream that cannot be applied. Either it is wrong (corrupt, forged, out of order, refused by
 * placement: the receiver undoes it) or it stopped (cut short, the link broke: {@link #resumable},
 * the receiver keeps what is durable so the same stream can continue).
 */
public class StreamException extends IOException {
    private final boolean resumable;

    public StreamException(String message) {
        this(message, false, null);
    }

    public StreamException(String message, Throwable cause) {
        this(message, false, cause);
    }

    private StreamException(String message, boolean resumable, Throwable cause) {
        super(message, cause);
        this.resumable = resumable;
    }

    /** The stream stopped before its end: nothing wrong with what came, more is missing. */
    public static StreamException stopped(String message, Throwable cause) {
        return new StreamException(message, true, cause);
    }

    public boolean resumable() {
        return resumable;
    }
}
