package io.locusfs.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.locusfs.fuse.Locations;
import io.locusfs.fuse.LocusFs;
import io.locusfs.fuse.PolicyGate;
import io.locusfs.store.Diff;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.translate.Translation;
import io.locusfs.tree.Progress;
import io.locusfs.wire.JsonLines;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.LocationRecord;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control socket on a real store: a client gets what the store itself would answer, refusals included. */
class ControlServerTest {
    private static final LocusFs.Caller ROOT = new LocusFs.Caller(0, 0, 1);

    @TempDir
    Path dir;
    private Store store;
    private LocusFs fs;
    private SnapshotService local;
    private ControlServer server;
    private ControlClient client;

    @BeforeEach
    void start() throws Exception {
        Path path = dir.resolve("s");
        Store.create(path, Location.of("eu/gb"), 0, 0);
        store = Store.open(path, StoreOptions.defaults());
        Locations locations = Locations.open(store);
        PolicyGate gate = PolicyGate.open(locations);
        fs = new LocusFs(store, locations, gate);
        local = new SnapshotService(store, null, StoreConfig.load(path));
        server = ControlServer.start(locations, local, gate, new TranslationRequests(store, new Translation(1), ino -> false,
                () -> { }, () -> { }));
        client = ControlClient.of(path);
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        fs.flushAll();
        store.close();
    }

    private void createFile(byte[] name, String content) {
        long[] handle = new long[1];
        fs.create(ROOT, Store.ROOT_INO, name, 0644, 2, handle);
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        Pointer source = Memory.allocateDirect(Runtime.getSystemRuntime(), Math.max(1, bytes.length));
        source.put(0, bytes, 0, bytes.length);
        fs.write(handle[0], source, 0, bytes.length);
        fs.release(handle[0], 2);
    }

    @Test
    void snapshotOperationsAnswerThroughTheSocketAsOnTheStoreItself() throws Exception {
        SnapshotOperations remote = client.snapshots();
        createFile("a".getBytes(StandardCharsets.UTF_8), "one");
        SnapshotOperations.Created s1 = remote.create("s1", 0, true, false);
        assertEquals("s1", s1.name());
        byte[] raw = {'c', 'a', 'f', (byte) 0xe9, '\n', 'x'}; // Latin-1, not UTF-8, with a newline: names are bytes
        createFile(raw, "two");

        List<Diff.Change> overSocket = remote.diff("s1", null);
        List<Diff.Change> onStore = local.diff("s1", null);
        assertEquals(onStore.size(), overSocket.size());
        for (int i = 0; i < onStore.size(); i++) {
            assertEquals(onStore.get(i).kind(), overSocket.get(i).kind());
            assertArrayEquals(onStore.get(i).path(), overSocket.get(i).path());
        }
        Diff.Change added = overSocket.stream().filter(c -> c.kind() == Diff.Kind.ADDED).findFirst().orElseThrow();
        assertArrayEquals(("/" + new String(raw, StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.ISO_8859_1),
                added.path(), "a raw name travels byte for byte");

        remote.create("s2", 0, true, false);
        assertEquals(local.list(), remote.list());
        assertEquals(List.of("s1", "s2"), remote.list().snapshots().stream().map(SnapshotOperations.Entry::name).toList());
        SnapshotOperations.Deleted deleted = remote.delete("s1");
        assertTrue(deleted.diskBefore() > 0 && deleted.diskAfter() > 0, "the store's size before and after: " + deleted);
        assertEquals(List.of("s2"), local.list().snapshots().stream().map(SnapshotOperations.Entry::name).toList());
        assertEquals(List.of(), remote.thin(0, true), "no grid configured: nothing to thin");
    }

    @Test
    void aRefusalReachesTheClientAsTheStoresOwnMessage() {
        String there = assertThrows(IOException.class, () -> client.snapshots().delete("nope")).getMessage();
        String here = assertThrows(RuntimeException.class, () -> local.delete("nope")).getMessage();
        assertEquals(here, there);
        assertTrue(there.contains("nope"), there);
    }

    @Test
    void anExportSendsItsTotalBeforeItsAnswer() throws Exception {
        createFile("a".getBytes(StandardCharsets.UTF_8), "hello");
        local.create("s1", 0, true, false);
        List<String> events = new ArrayList<>();
        Path tar = dir.resolve("out.tar");
        Translation.Summary summary = client.call(new ControlProtocol.Export("tar", "s1", null, "/", tar.toString()),
                new Progress() {
                    @Override
                    public void total(long files, long bytes) {
                        events.add("total " + files + " " + bytes);
                    }

                    @Override
                    public void advance(long files, long bytes) {
                        events.add("progress");
                    }
                });
        assertEquals("total 1 5", events.get(0), "one file of 5 bytes");
        assertEquals(tar, summary.path());
        assertEquals("s1", summary.snapshot());
        assertTrue(Files.size(tar) > 5);
    }

    @Test
    void theStoresIdentityAndSignedHistoryComeBackWhole() throws Exception {
        assertEquals(store.storeId(), client.call(new ControlProtocol.Info()).storeId());
        assertEquals("eu/gb", client.call(new ControlProtocol.Info()).zone());
        List<LocationRecord> history = store.locationHistory();
        String[] texts = client.call(new ControlProtocol.History());
        assertEquals(history.size(), texts.length);
        for (int i = 0; i < texts.length; i++) {
            assertEquals(history.get(i).encode(), LocationRecord.parse(texts[i]).encode());
        }
    }

    /** The raw answer to one line written to the socket. */
    private JsonNode rawAnswer(byte[] line) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(store.path().resolve(ControlProtocol.SOCKET_FILE)));
            channel.write(ByteBuffer.wrap(line));
            InputStream in = Channels.newInputStream(channel);
            return JsonLines.read(in, 1 << 20);
        }
    }

    @Test
    void aRequestItCannotReadIsRefusedSayingWhat() throws Exception {
        JsonNode unknown = rawAnswer("{\"command\":\"format-disk\"}\n".getBytes(StandardCharsets.UTF_8));
        assertTrue(unknown.path("error").asText().contains("format-disk"), unknown.toString());
        JsonNode notJson = rawAnswer("snapshot-list\n".getBytes(StandardCharsets.UTF_8));
        assertTrue(notJson.path("error").asText().contains("not a JSON line"), notJson.toString());
        byte[] huge = new byte[ControlProtocol.MAX_REQUEST + 10];
        java.util.Arrays.fill(huge, (byte) ' ');
        JsonNode tooLong = rawAnswer(huge);
        assertTrue(tooLong.path("error").asText().contains("longer than"), tooLong.toString());
        assertEquals(List.of(), local.list().snapshots(), "nothing changed");
    }
}
