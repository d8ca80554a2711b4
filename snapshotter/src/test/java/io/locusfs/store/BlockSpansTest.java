package io.locusfs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockSpansTest {
    private static List<String> pieces(long offset, int length, int blockSize) {
        List<String> out = new ArrayList<>();
        BlockSpans.forEach(offset, length, blockSize, (index, within, done, n) -> out.add(index + ":" + within + "+" + n + "@" + done));
        return out;
    }

    @Test
    void aRangeIsCutAtEveryBlockBoundaryAndCoversItselfExactly() {
        assertEquals(List.of("0:10+20@0"), pieces(10, 20, 100), "inside one block");
        assertEquals(List.of("0:90+10@0", "1:0+100@10", "2:0+5@110"), pieces(90, 115, 100), "across three");
        assertEquals(List.of("3:0+100@0"), pieces(300, 100, 100), "exactly one block");
        assertEquals(List.of(), pieces(50, 0, 100), "nothing");
        long huge = 5L * Integer.MAX_VALUE;
        assertEquals(List.of((huge / 4096) + ":" + (huge % 4096) + "+1@0"), pieces(huge, 1, 4096), "offsets past 2 GiB");
    }
}
