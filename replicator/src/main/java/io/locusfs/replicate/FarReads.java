package io.locusfs.replicate;

import com.fasterxml.jackson.databind.JsonNode;
import io.locusfs.store.Store;
import io.locusfs.tree.StoreSnapshotTree;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The mirror's side of far reads (STREAM.md, "Reading from a mirror"): byte ranges of files in
 * its snapshots, for a node that mounted one of them without copying it first. One per
 * connection, which keeps the snapshots it has read from open, their paths resolved once.
 */
final class FarReads {
    /** The most one read answers: the reader asks for its readahead, not for a whole file. */
    static final int MAX_LENGTH = 8 << 20;

    private final Store store;
    private final Map<String, StoreSnapshotTree> trees = new HashMap<>();
    private byte[] buffer = new byte[1 << 20];

    FarReads(Store store) {
        this.store = store;
    }

    /**
     * Answers {@code {"op":"read","snapshot","path","offset","length"}} with
     * {@code {"length":N,"crc32c":C}} and N bytes (fewer than asked at the end of the file;
     * {@code "zero":true} and none when the range holds only zeros), or {@code {"error":…}}.
     */
    void read(JsonNode request, OutputStream out) throws IOException {
        String snapshot = request.path("snapshot").asText();
        String path = request.path("path").asText().replaceAll("^/+", "");
        long offset = request.path("offset").asLong(-1);
        int length = request.path("length").asInt(-1);
        if (offset < 0 || length < 0 || length > MAX_LENGTH) {
            MirrorProtocol.write(out, MirrorProtocol.object().put("error", "a read needs an offset and a length of at most "
                    + MAX_LENGTH + " bytes"));
            return;
        }
        int n;
        try {
            StoreSnapshotTree tree = trees.get(snapshot);
            if (tree == null) {
                tree = StoreSnapshotTree.full(store, snapshot, "/");
                trees.put(snapshot, tree);
            }
            if (buffer.length < length) {
                buffer = new byte[length];
            }
            n = tree.readFile(path, offset, buffer, length);
        } catch (IOException | RuntimeException e) {
            MirrorProtocol.write(out, MirrorProtocol.object().put("error", e.getMessage()));
            return;
        }
        boolean zero = true;
        for (int i = 0; i < n && zero; i++) {
            zero = buffer[i] == 0;
        }
        CRC32C crc = new CRC32C();
        if (!zero) {
            crc.update(buffer, 0, n);
        }
        MirrorProtocol.write(out, MirrorProtocol.object().put("length", n).put("zero", zero).put("crc32c", crc.getValue()));
        if (!zero) {
            out.write(buffer, 0, n);
        }
        out.flush();
    }
}
