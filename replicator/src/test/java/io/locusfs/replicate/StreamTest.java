package io.locusfs.replicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.locusfs.store.FileData;
import io.locusfs.store.Inode;
import io.locusfs.store.Snapshots;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.tree.Progress;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.LocationRecord;
import io.locusfs.xattr.NodeIdentity;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stream between two real stores, in one process and in memory: a full stream and an
 * incremental one arrive whole; a changed byte is refused with the mirror left at its last
 * snapshot; a stream cut short keeps what arrived and resumes from there. (ReplicationTest does
 * the same over TLS between two processes; this runs in a second.)
 */
class StreamTest {
    @TempDir
    Path dir;
    private Store origin;
    private Store mirror;
    private NodeIdentity node;

    @BeforeEach
    void stores() throws Exception {
        Store.create(dir.resolve("origin"), Location.of("eu/de/fra"), 0, 0);
        Store.create(dir.resolve("mirror"), Location.of("eu/fr/par"), 0, 0);
        origin = Store.open(dir.resolve("origin"), StoreOptions.defaults());
        mirror = Store.open(dir.resolve("mirror"), StoreOptions.defaults());
        node = NodeIdentity.create(Files.createDirectories(dir.resolve("keys")));
        origin.relabel(Location.of("eu/de/fra"), LocationRecord.sign(node, Location.of("eu/de/fra"), origin.storeId(),
                LocationRecord.EVERY_FILE, Instant.now(), node.nodeId()));
    }

    @AfterEach
    void close() {
        origin.close();
        mirror.close();
    }

    private static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** Writes {@code content} as file {@code name} in the origin's root, creating it if need be. */
    private void write(String name, byte[] content) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        long ino = origin.tree().lookup(Store.ROOT_INO, n);
        if (ino == 0) {
            ino = origin.tree().create(Store.ROOT_INO, n, Inode.S_IFREG | 0644, 0, 0, 0, null).ino;
        }
        int block = origin.data().blockSize();
        List<FileData.BlockWrite> writes = new java.util.ArrayList<>();
        for (int at = 0; at < content.length; at += block) {
            int length = Math.min(block, content.length - at);
            writes.add(new FileData.BlockWrite(at / block, java.util.Arrays.copyOfRange(content, at, at + length), length));
        }
        origin.data().commit(ino, writes, content.length, System.nanoTime(), origin.data().storedBlocks(ino));
    }

    private static byte[] read(Store store, String name) {
        long ino = store.tree().lookup(Store.ROOT_INO, name.getBytes(StandardCharsets.UTF_8));
        Inode inode = store.tree().inode(ino);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int block = store.data().blockSize();
        for (long index = 0; index * block < inode.size; index++) {
            byte[] data = store.data().readBlock(ino, index);
            int length = (int) Math.min(block, inode.size - index * block);
            out.write(data == null ? new byte[length] : data, 0, length);
        }
        return out.toByteArray();
    }

    private byte[] stream(String snapshot, String since) throws IOException {
        StreamSender sender = new StreamSender(origin, node, null, null, Codec.ZSTD);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sender.send(sender.header(snapshot, since), out, 0, Progress.NONE);
        return out.toByteArray();
    }

    private StreamReceiver.Result receive(byte[] stream, boolean resume) throws IOException {
        return new StreamReceiver(mirror, null, ino -> false).receive(new ByteArrayInputStream(stream), resume,
                StreamReceiver.Listener.NONE, Progress.NONE);
    }

    private List<String> mirrorSnapshots() {
        return mirror.snapshots().list().stream().map(Snapshots.Snapshot::name).toList();
    }

    @Test
    void aFullThenAnIncrementalStreamArriveWholeAndAChangedByteIsRefusedBeforeAnythingChanges() throws Exception {
        byte[] big = random(3 << 20, 1);
        write("big", big);
        write("small", "hello".getBytes(StandardCharsets.UTF_8));
        origin.snapshots().create("s1", System.currentTimeMillis() * 1_000_000L, true);
        receive(stream("s1", null), false);
        assertEquals(List.of("s1"), mirrorSnapshots());
        assertArrayEquals(big, read(mirror, "big"));

        byte[] added = random(200 << 10, 2);
        write("added", added);
        write("small", "hello again".getBytes(StandardCharsets.UTF_8));
        origin.snapshots().create("s2", System.currentTimeMillis() * 1_000_000L, true);
        byte[] incremental = stream("s2", "s1");
        // The unchanged 3 MiB file does not travel again.
        assertTrue(incremental.length < 300 << 10, "only the changed files travel: " + incremental.length + " bytes");

        byte[] flipped = incremental.clone();
        flipped[flipped.length / 2] ^= 0x40;
        assertThrows(StreamException.class, () -> receive(flipped, false));
        assertEquals(List.of("s1"), mirrorSnapshots(), "the mirror stays at its last whole snapshot");
        assertArrayEquals(big, read(mirror, "big"));
        assertFalse(new StreamReceiver(mirror, null, ino -> false).token().isPresent(), "a refused stream leaves no resume point");

        receive(incremental, false);
        assertEquals(List.of("s1", "s2"), mirrorSnapshots());
        assertArrayEquals(big, read(mirror, "big"));
        assertArrayEquals(added, read(mirror, "added"));
        assertArrayEquals("hello again".getBytes(StandardCharsets.UTF_8), read(mirror, "small"));
    }

    /** Rewrites block {@code index} of file {@code name} to hold {@code content}'s bytes there. */
    private void rewriteBlock(String name, byte[] content, long index) {
        long ino = origin.tree().lookup(Store.ROOT_INO, name.getBytes(StandardCharsets.UTF_8));
        int block = origin.data().blockSize();
        int at = (int) (index * block);
        int length = (int) Math.min(block, content.length - at);
        byte[] data = java.util.Arrays.copyOfRange(content, at, at + length);
        origin.data().commit(ino, List.of(new FileData.BlockWrite(index, data, length)), content.length, System.nanoTime(),
                origin.data().storedBlocks(ino));
    }

    @Test
    void aFileChangedInPlaceTravelsAsItsChangeAndComesOutTheSame() throws Exception {
        int block = origin.data().blockSize();
        byte[] image = random(24 * block, 3);
        write("image", image);
        write("shrunk", random(10 * block, 4));
        origin.snapshots().create("s1", System.currentTimeMillis() * 1_000_000L, true);
        receive(stream("s1", null), false);

        // One block of the image rewritten; the other file cut to 1.5 blocks, then grown to 6 with a hole.
        byte[] changed = image.clone();
        System.arraycopy(random(block, 5), 0, changed, 7 * block, block);
        rewriteBlock("image", changed, 7);
        long shrunk = origin.tree().lookup(Store.ROOT_INO, "shrunk".getBytes(StandardCharsets.UTF_8));
        origin.data().truncate(shrunk, block + block / 2);
        origin.data().truncate(shrunk, 6L * block);
        byte[] expectedShrunk = new byte[6 * block];
        System.arraycopy(random(10 * block, 4), 0, expectedShrunk, 0, block + block / 2);
        origin.tree().setXattr(shrunk, "user.colour".getBytes(StandardCharsets.UTF_8), "blue".getBytes(StandardCharsets.UTF_8), 0);
        origin.snapshots().create("s2", System.currentTimeMillis() * 1_000_000L, true);

        byte[] incremental = stream("s2", "s1");
        assertTrue(incremental.length < 3 * block, "one block of the image and one of the other file: " + incremental.length + " bytes");
        receive(incremental, false);
        assertArrayEquals(changed, read(mirror, "image"));
        assertArrayEquals(expectedShrunk, read(mirror, "shrunk"), "cut, grown, the hole zeros");
        long mirrored = mirror.tree().lookup(Store.ROOT_INO, "shrunk".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("blue".getBytes(StandardCharsets.UTF_8),
                mirror.tree().getXattr(mirrored, "user.colour".getBytes(StandardCharsets.UTF_8)));
        assertEquals(origin.data().storedBlocks(shrunk), mirror.data().storedBlocks(mirrored), "the hole stays a hole");
        assertEquals(2, mirror.data().storedBlocks(mirrored).cardinality(), "a block and a half of data, then the hole");
    }

    @Test
    void aFileTheReceiverMayLackIsSentWholeAndOtherwiseTheStreamIsRefusedUnapplied() throws Exception {
        int block = origin.data().blockSize();
        byte[] kept = random(8 * block, 6);
        write("kept", kept);
        origin.snapshots().create("s1", System.currentTimeMillis() * 1_000_000L, true);
        receive(stream("s1", null), false);
        // As if placement had kept the file from this mirror: it does not have it.
        mirror.tree().unlink(Store.ROOT_INO, "kept".getBytes(StandardCharsets.UTF_8), ino -> false);
        byte[] changed = kept.clone();
        System.arraycopy(random(block, 7), 0, changed, 2 * block, block);
        rewriteBlock("kept", changed, 2);
        origin.snapshots().create("s2", System.currentTimeMillis() * 1_000_000L, true);

        StreamException refused = assertThrows(StreamException.class, () -> receive(stream("s2", "s1"), false));
        assertTrue(refused.getMessage().contains("'kept' in place") && refused.getMessage().contains("full stream"),
                refused.getMessage());
        assertEquals(List.of("s1"), mirrorSnapshots());

        long ino = origin.tree().lookup(Store.ROOT_INO, "kept".getBytes(StandardCharsets.UTF_8));
        StreamSender sender = new StreamSender(origin, node, null, null, Codec.ZSTD).receiverMayLack(java.util.Set.of(ino));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sender.send(sender.header("s2", "s1"), out, 0, Progress.NONE);
        receive(out.toByteArray(), false);
        assertArrayEquals(changed, read(mirror, "kept"));
    }

    @Test
    void aStreamCutShortKeepsWhatArrivedAndResumesFromThere() throws Exception {
        for (int i = 0; i < 40; i++) {
            write("f" + i, random(256 << 10, i));
        }
        origin.snapshots().create("s1", System.currentTimeMillis() * 1_000_000L, true);
        byte[] whole = stream("s1", null);
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length * 3 / 4);
        assertThrows(IOException.class, () -> receive(cut, false));
        assertEquals(List.of(), mirrorSnapshots(), "no snapshot, not part of one");
        StreamReceiver.Token token = new StreamReceiver(mirror, null, ino -> false).token().orElseThrow();
        assertTrue(token.frames() > 0, "frames made durable before the cut are kept");

        StreamReceiver.Result resumed = receive(whole, true);
        assertTrue(resumed.resumed() && resumed.framesSkipped() > 0, "resumed after the frames it had: " + resumed.framesSkipped());
        assertEquals(List.of("s1"), mirrorSnapshots());
        for (int i = 0; i < 40; i++) {
            assertArrayEquals(random(256 << 10, i), read(mirror, "f" + i), "f" + i);
        }
    }
}
