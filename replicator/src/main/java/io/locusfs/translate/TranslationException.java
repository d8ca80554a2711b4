package io.locusfs.translate;

import io.locusfs.tree.TreeException;
import java.io.IOException;

/** A translation that cannot be done: an unknown format, bad input, a failed verification. */
public class TranslationException extends TreeException {
    public TranslationException(String message) {
        super(message);
    }

    public TranslationException(String message, Throwable cause) {
        super(message, cause);
    }
}
