package io.locusfs.replicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.locusfs.tree.SnapshotTree;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BucketTreeTest {
    private static SnapshotTree.Node node(String path, SnapshotTree.Kind kind, long size, String linkOf) {
        return new SnapshotTree.Node(path, kind, 0644, 0, 0, 1, 2, 3, size, null, 0, Map.of(), null, null, linkOf, null);
    }

    private static Records.NodeRecord file(String path, long size) {
        return new Records.NodeRecord(node(path, SnapshotTree.Kind.FILE, size, null), "", "", false);
    }

    private static Records.NodeRecord dir(String path) {
        return new Records.NodeRecord(node(path, SnapshotTree.Kind.DIRECTORY, 0, null), "", "", false);
    }

    private static List<String> extents(BucketTree t, String path) {
        List<String> out = new ArrayList<>();
        for (BucketTree.Extent x : t.get(path).content.extents.values()) {
            out.add(x.offset() + "+" + x.length() + "@" + x.block() + ":" + x.at());
        }
        return out;
    }

    @Test
    void aWriteOverExtentsKeepsTheirOutsideParts() throws Exception {
        BucketTree t = new BucketTree();
        t.node(dir(""));
        t.node(file("f", 300));
        t.data("f", 0, 100, "A");
        t.data("f", 100, 200, "B");
        t.data("f", 50, 100, "C"); // over the end of A and the start of B
        assertEquals(List.of("0+50@A:0", "50+100@C:0", "150+150@B:50"), extents(t, "f"));
        t.data("f", 160, 10, "D"); // inside B
        assertEquals(List.of("0+50@A:0", "50+100@C:0", "150+10@B:50", "160+10@D:0", "170+130@B:70"), extents(t, "f"));
        t.node(new Records.NodeRecord(node("f", SnapshotTree.Kind.FILE, 155, null), "", "", true)); // CHANGED, cut to 155
        assertEquals(List.of("0+50@A:0", "50+100@C:0", "150+5@B:50"), extents(t, "f"));
    }

    @Test
    void layersRebuildTheTreeWithRemovalsRenamesAndHardLinks() throws Exception {
        BucketTree t = new BucketTree();
        t.node(dir(""));
        t.node(dir("d"));
        t.node(file("d/a", 10));
        t.data("d/a", 0, 10, "A");
        t.node(new Records.NodeRecord(node("d/b", SnapshotTree.Kind.FILE, 10, "d/a"), "", "", false));
        t.node(file("gone", 4));
        t.data("gone", 0, 4, "G");
        byte[] whole = t.whole();
        t.settle();

        t.remove("gone");
        t.rename("d", "e");
        t.node(new Records.NodeRecord(node("e/a", SnapshotTree.Kind.FILE, 10, null), "", "", true));
        t.data("e/a", 0, 5, "N");
        byte[] change = t.changes();

        BucketTree back = new BucketTree();
        back.apply(whole);
        assertEquals(List.of("0+10@A:0"), extents(back, "d/b"));
        assertSame(back.get("d/a").content, back.get("d/b").content, "hard links share their data");
        back.apply(change);
        assertEquals(List.of("", "e", "e/a", "e/b"), new ArrayList<>(back.entries().keySet()));
        assertEquals(List.of("0+5@N:0", "5+5@A:5"), extents(back, "e/a"));
        assertSame(back.get("e/a").content, back.get("e/b").content, "a change to one name is a change to every name");
        assertNull(back.get("gone"));
    }

    @Test
    void aChangedRecordForAFileTheTreeLacksNeedsAFullStream() {
        BucketTree t = new BucketTree();
        StreamException e = assertThrows(StreamException.class,
                () -> t.node(new Records.NodeRecord(node("x", SnapshotTree.Kind.FILE, 1, null), "", "", true)));
        assertTrue(e.getMessage().contains("needs a full stream"), e.getMessage());
    }
}
