package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Many processes at once, through the multi-threaded FUSE loop. */
class ConcurrencyTest extends SharedMountTest {

    @Override
    protected String zone() {
        return "eu/de/berlin";
    }

    @Test
    void eightProcessesWritingDifferentFilesConcurrentlyAllReadBack() {
        Shell.ok("mkdir " + m.at("par") + " && cd " + m.root
                + " && for i in 1 2 3 4 5 6 7 8; do head -c 40M /dev/urandom > src$i; done"
                + " && for i in 1 2 3 4 5 6 7 8; do dd if=src$i of=mnt/par/f$i bs=64k status=none & done; wait");
        for (int i = 1; i <= 8; i++) {
            Shell.ok("cmp " + m.root + "/src" + i + " " + m.at("par/f" + i));
        }
        m.remount();
        for (int i = 1; i <= 8; i++) {
            Shell.ok("cmp " + m.root + "/src" + i + " " + m.at("par/f" + i));
        }
        Shell.ok("rm -f " + m.root + "/src*");
    }

    @Test
    void fourAppendersToOneFileInterleaveWholeRecordsAndLoseNone() {
        // Each printf is one write(2) on an O_APPEND descriptor ('>>'): records must never tear.
        Shell.ok("cd " + m.mnt + " && for w in a b c d; do"
                + " (for i in $(seq -w 1 1500); do printf '%s-%s-%s\\n' $w $i 0123456789abcdefghijklmnopqrstuvwxyz >> app.log; done) &"
                + " done; wait");
        String[] lines = Shell.ok("cat " + m.at("app.log")).split("\n");
        assertEquals(6000, lines.length);
        Map<String, List<Integer>> byWriter = new HashMap<>();
        for (String line : lines) {
            assertTrue(line.matches("[abcd]-\\d{4}-0123456789abcdefghijklmnopqrstuvwxyz"), "torn record: " + line);
            byWriter.computeIfAbsent(line.substring(0, 1), k -> new ArrayList<>()).add(Integer.parseInt(line.substring(2, 6)));
        }
        for (String w : List.of("a", "b", "c", "d")) {
            List<Integer> seq = byWriter.get(w);
            assertEquals(1500, seq.size(), "records of writer " + w);
            for (int i = 0; i < seq.size(); i++) {
                assertEquals(i + 1, seq.get(i), "writer " + w + " records out of order");
            }
        }
    }
}
