package io.locusfs.fuse;

import io.locusfs.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become errno values for the kernel. A {@link StoreException}
 * maps by its kind; anything else is a bug or an I/O failure, logged with the operation and path,
 * and reported as EIO. The numbers are Linux's ({@code asm-generic/errno-base.h}, {@code errno.h}).
 */
final class Errno {
    private static final Logger log = LoggerFactory.getLogger(Errno.class);
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EIO = 5;
    static final int ENXIO = 6;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int EEXIST = 17;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int EFBIG = 27;
    static final int EROFS = 30;
    static final int EMLINK = 31;
    static final int ERANGE = 34;
    static final int ENAMETOOLONG = 36;
    static final int ENOTEMPTY = 39;
    static final int ENODATA = 61;
    static final int EOPNOTSUPP = 95;

    private Errno() {
    }

    /** The (positive) errno for {@code failure} during {@code operation} on {@code path}. */
    static int of(Throwable failure, String operation, String path) {
        if (failure instanceof StoreException e) {
            int errno = switch (e.kind()) {
                case NOT_FOUND -> ENOENT;
                case EXISTS -> EEXIST;
                case NOT_EMPTY -> ENOTEMPTY;
                case IS_DIRECTORY -> EISDIR;
                case NOT_DIRECTORY -> ENOTDIR;
                case NAME_TOO_LONG -> ENAMETOOLONG;
                case INVALID -> EINVAL;
                case NOT_PERMITTED -> EPERM;
                case ACCESS_DENIED -> EACCES;
                case NO_ATTRIBUTE -> ENODATA;
                case RANGE -> ERANGE;
                case FILE_TOO_BIG -> EFBIG;
                case TOO_MANY_LINKS -> EMLINK;
                case BUSY -> EBUSY;
                case READ_ONLY -> EROFS;
                case UNSUPPORTED -> EOPNOTSUPP;
                case NO_SUCH_POSITION -> ENXIO;
                case CORRUPT, IO -> {
                    log.error("{} {}: {}", operation, path, e.getMessage(), e);
                    yield EIO;
                }
            };
            if (errno != EIO && log.isDebugEnabled()) {
                log.debug("{} {} refused: {}", operation, path, e.getMessage());
            }
            return errno;
        }
        log.error("{} {} failed", operation, path, failure);
        return EIO;
    }
}
