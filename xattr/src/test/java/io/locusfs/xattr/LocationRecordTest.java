package io.locusfs.xattr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocationRecordTest {
    @TempDir
    Path dir;

    @Test
    void signedRecordVerifiesWithTheNodesPublicKeyAfterAReload() throws Exception {
        NodeIdentity node = NodeIdentity.create(dir);
        LocationRecord record = LocationRecord.sign(node, Location.of("eu/gb/london/hq"), "store-1",
                LocationRecord.EVERY_FILE, Instant.parse("2026-11-24T01:00:00Z"), node.nodeId());
        LocationRecord parsed = LocationRecord.parse(record.encode());
        assertTrue(parsed.verify(NodeIdentity.loadPublicKey(dir.resolve(NodeIdentity.PUBLIC_KEY_FILE))));
        assertEquals(record.encode(), parsed.encode());
        assertEquals(node.nodeId(), NodeIdentity.load(dir).nodeId());
    }

    @Test
    void privateKeyIsReadableByItsOwnerOnly() throws Exception {
        NodeIdentity.create(dir);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(NodeIdentity.PRIVATE_KEY_FILE))));
    }

    @Test
    void anEditedRecordOrAnotherNodesKeyFailsVerification() throws Exception {
        NodeIdentity node = NodeIdentity.create(dir);
        LocationRecord record = LocationRecord.sign(node, Location.of("eu/gb"), "s", "42", Instant.now(), node.nodeId());
        LocationRecord moved = LocationRecord.parse(record.encode().replace("zone=eu/gb", "zone=us/ny"));
        assertFalse(moved.verify(node.publicKey()));
        LocationRecord otherFile = LocationRecord.parse(record.encode().replace("file=42", "file=43"));
        assertFalse(otherFile.verify(node.publicKey()));
        Path elsewhere = Files.createDirectory(dir.resolve("other"));
        assertFalse(record.verify(NodeIdentity.create(elsewhere).publicKey()));
    }

    @Test
    void malformedRecordsAreRefusedWithTheReason() {
        assertThrows(IllegalArgumentException.class, () -> LocationRecord.parse("hello"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> LocationRecord.parse("locusfs-location 1\nzone=eu\n"));
        assertTrue(missing.getMessage().contains("no 'coords' line"), missing.getMessage());
    }
}
