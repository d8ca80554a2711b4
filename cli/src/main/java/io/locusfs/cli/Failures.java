package io.locusfs.cli;

import io.locusfs.store.StoreException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.slf4j.LoggerFactory;

/** Turns an exception into the one line a user reads after "locusfs COMMAND:". */
final class Failures {
    private Failures() {
    }

    static String describe(Throwable e) {
        if (e instanceof StoreException || e instanceof IllegalArgumentException) {
            return e.getMessage();
        }
        if (e instanceof NoSuchFileException) {
            return e.getMessage() + ": no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return e.getMessage() + ": permission denied";
        }
        String message = e.getMessage();
        if (message == null) {
            // A failure without words is a bug: say so in the user's terms; the trace is for the log.
            LoggerFactory.getLogger(Failures.class).debug("unexplained failure", e);
            return "an internal error occurred (a bug; run again with LOCUSFS_LOG_LEVEL=DEBUG to see where)";
        }
        return message;
    }
}
