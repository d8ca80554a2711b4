package io.locusfs.tree;

import java.io.IOException;

/** A tree that cannot be walked or built as asked: an unknown snapshot or path, an input that does not fit the store. */
public class TreeException extends IOException {
    public TreeException(String message) {
        super(message);
    }

    public TreeException(String message, Throwable cause) {
        super(message, cause);
    }
}
