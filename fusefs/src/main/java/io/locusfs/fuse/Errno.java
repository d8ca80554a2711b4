package io.locusfs.fuse;

import io.locusfs.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;

/**
 * The one place where failures become errno values for the kernel. A {@link StoreException}
 * maps by its kind; anything else is a bug or an I/O failure, logged with the operation and path,
 * and reported as EIO.
 */
final class Errno {
    private static final Logger log = LoggerFactory.getLogger(Errno.class);

    private Errno() {
    }

    /** The negative errno FUSE expects for {@code failure} during {@code operation} on {@code path}. */
    static int of(Throwable failure, String operation, String path) {
        if (failure instanceof StoreException e) {
            int errno = switch (e.kind()) {
                case NOT_FOUND -> ErrorCodes.ENOENT();
                case EXISTS -> ErrorCodes.EEXIST();
                case NOT_EMPTY -> ErrorCodes.ENOTEMPTY();
                case IS_DIRECTORY -> ErrorCodes.EISDIR();
                case NOT_DIRECTORY -> ErrorCodes.ENOTDIR();
                case NAME_TOO_LONG -> ErrorCodes.ENAMETOOLONG();
                case INVALID -> ErrorCodes.EINVAL();
                case NOT_PERMITTED -> ErrorCodes.EPERM();
                case ACCESS_DENIED -> ErrorCodes.EACCES();
                case NO_ATTRIBUTE -> ErrorCodes.ENODATA();
                case RANGE -> ErrorCodes.ERANGE();
                case FILE_TOO_BIG -> ErrorCodes.EFBIG();
                case TOO_MANY_LINKS -> ErrorCodes.EMLINK();
                case BUSY -> ErrorCodes.EBUSY();
                case READ_ONLY -> ErrorCodes.EROFS();
                case UNSUPPORTED -> ErrorCodes.EOPNOTSUPP();
                case CORRUPT, IO -> {
                    log.error("{} {}: {}", operation, path, e.getMessage(), e);
                    yield ErrorCodes.EIO();
                }
            };
            if (errno != ErrorCodes.EIO() && log.isDebugEnabled()) {
                log.debug("{} {} refused: {}", operation, path, e.getMessage());
            }
            return -errno;
        }
        log.error("{} {} failed", operation, path, failure);
        return -ErrorCodes.EIO();
    }
}
