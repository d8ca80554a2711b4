package io.locusfs.fuse;

import java.util.Arrays;

/**
 * One block of an open file's write buffer: a block-sized image and the byte ranges of it that
 * writes filled, disjoint and in order. Bytes outside the ranges are undefined and never read:
 * a write of part of a block does not read the block first, and a commit stores only the ranges
 * (a patch) unless they cover the block. Not thread-safe; guarded by its {@link OpenFile}.
 */
final class DirtyBlock {
    final byte[] data;
    /** {@code [start, end)} pairs, sorted and disjoint, with no two adjacent. */
    private int[] ranges = new int[4];
    private int count;

    DirtyBlock(byte[] data) {
        this.data = data;
    }

    /** Records that {@code [start, end)} now holds written bytes, merging it with the ranges it meets. */
    void add(int start, int end) {
        int first = 0;
        while (first < count && ranges[2 * first + 1] < start) {
            first++;
        }
        int last = first;
        while (last < count && ranges[2 * last] <= end) {
            start = Math.min(start, ranges[2 * last]);
            end = Math.max(end, ranges[2 * last + 1]);
            last++;
        }
        int removed = last - first;
        int newCount = count - removed + 1;
        if (2 * newCount > ranges.length) {
            ranges = Arrays.copyOf(ranges, 2 * ranges.length);
        }
        System.arraycopy(ranges, 2 * last, ranges, 2 * (first + 1), 2 * (count - last));
        ranges[2 * first] = start;
        ranges[2 * first + 1] = end;
        count = newCount;
    }

    /** True when the ranges cover {@code [0, length)}. */
    boolean covers(int length) {
        return count > 0 && ranges[0] == 0 && ranges[1] >= length;
    }

    /** The ranges clipped to {@code [0, length)}, as (offset, length) pairs for a commit. */
    int[] clippedTo(int length) {
        int[] out = new int[2 * count];
        int n = 0;
        for (int i = 0; i < count; i++) {
            int start = ranges[2 * i];
            int end = Math.min(ranges[2 * i + 1], length);
            if (start < end) {
                out[n++] = start;
                out[n++] = end - start;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** The end of the last range: how far into the block written bytes reach. */
    int end() {
        return count == 0 ? 0 : ranges[2 * count - 1];
    }

    /**
     * Copies the written ranges onto {@code block}, which holds the block's bytes up to
     * {@code length}; bytes between {@code length} and a range read as zeros.
     *
     * @return the new length
     */
    int overlay(byte[] block, int length) {
        int end = end();
        if (end > length) {
            Arrays.fill(block, length, end, (byte) 0);
        }
        for (int i = 0; i < count; i++) {
            System.arraycopy(data, ranges[2 * i], block, ranges[2 * i], ranges[2 * i + 1] - ranges[2 * i]);
        }
        return Math.max(length, end);
    }

    /** Takes the ranges of {@code newer} (written later) on top of this block's. */
    void absorb(DirtyBlock newer) {
        for (int i = 0; i < newer.count; i++) {
            int start = newer.ranges[2 * i];
            int end = newer.ranges[2 * i + 1];
            System.arraycopy(newer.data, start, data, start, end - start);
            add(start, end);
        }
    }
}
