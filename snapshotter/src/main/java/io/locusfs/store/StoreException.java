package io.locusfs.store;

/**
 * A refused or failed store operation. The {@link Kind} says what went wrong in POSIX terms so
 * that the mount can map it to an errno in one place; the message says which object and why.
 */
public class StoreException extends RuntimeException {

    /** What went wrong, in the terms a POSIX caller understands. */
    public enum Kind {
        NOT_FOUND, EXISTS, NOT_EMPTY, IS_DIRECTORY, NOT_DIRECTORY, NAME_TOO_LONG, INVALID,
        NOT_PERMITTED, ACCESS_DENIED, NO_ATTRIBUTE, RANGE, FILE_TOO_BIG, TOO_MANY_LINKS,
        BUSY, READ_ONLY, UNSUPPORTED, CORRUPT, IO,
        /** A seek for data or a hole past the end of a file (ENXIO). */
        NO_SUCH_POSITION;

        /** An ordinary answer to a question, not a failure: a missing name or attribute, a name taken. */
        boolean isAnswer() {
            return this == NOT_FOUND || this == NO_ATTRIBUTE || this == EXISTS;
        }
    }

    private final Kind kind;

    public StoreException(Kind kind, String message) {
        // The answers a file system gives all day (no such name, no such attribute, exists) carry no
        // stack trace: filling one costs more than the lookup that failed. The rest keep theirs.
        super(message, null, false, !kind.isAnswer());
        this.kind = kind;
    }

    public StoreException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
