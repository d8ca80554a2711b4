package io.locusfs.store;

/**
 * A byte range of a file split at block boundaries: the one place that turns an offset and a
 * length into the piece of each block they cover (writes into open files, reads of open files
 * and of snapshots).
 */
public final class BlockSpans {
    private BlockSpans() {
    }

    /** One piece of the range: inside block {@code index}, at {@code within}; at {@code done} into the range; {@code length} bytes. */
    public interface Piece {
        void accept(long index, int within, int done, int length);
    }

    /** Hands {@code piece} every piece of {@code [offset, offset + length)}, in order. */
    public static void forEach(long offset, int length, int blockSize, Piece piece) {
        int done = 0;
        while (done < length) {
            long position = offset + done;
            int within = (int) (position % blockSize);
            int chunk = Math.min(length - done, blockSize - within);
            piece.accept(position / blockSize, within, done, chunk);
            done += chunk;
        }
    }
}
