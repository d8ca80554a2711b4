package io.locusfs.cli;

import io.locusfs.daemon.ControlClient;
import io.locusfs.daemon.ControlProtocol;
import io.locusfs.replicate.StreamReceiver;
import io.locusfs.xattr.LocationRecord;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ReservedAttributes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Checks the location record of one file on a mount: it must be present, readable, signed by a
 * trusted node key, and belong to that file (a store-wide record of the same store, or the
 * file's own record naming the file).
 *
 * @param record  the record, or null when missing or unreadable
 * @param problem null when the record checks out, else why not
 */
record RecordCheck(Path path, LocationRecord record, String problem) {

    boolean ok() {
        return problem == null;
    }

    /** Public keys of trusted nodes by node id: the store's own and those in a directory of {@code *.pub}. */
    static Map<String, PublicKey> trustedKeys(Path store, Path trustedDir) throws IOException {
        Map<String, PublicKey> keys = trustedDir == null ? new HashMap<>() : directoryKeys(trustedDir);
        Path sources = store.resolve(StreamReceiver.SOURCE_KEYS_DIR);
        if (Files.isDirectory(sources)) {
            keys.putAll(directoryKeys(sources)); // the keys of the stores this one replicates (a mirror)
        }
        PublicKey own = NodeIdentity.loadPublicKey(store.resolve(NodeIdentity.PUBLIC_KEY_FILE));
        keys.put(NodeIdentity.nodeIdOf(own), own);
        return keys;
    }

    /** The public keys ({@code *.pub}) in {@code dir}, by node id. */
    static Map<String, PublicKey> directoryKeys(Path dir) throws IOException {
        Map<String, PublicKey> keys = new HashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.pub")) {
            for (Path file : files) {
                PublicKey key = NodeIdentity.loadPublicKey(file);
                keys.put(NodeIdentity.nodeIdOf(key), key);
            }
        }
        return keys;
    }

    /** Checks {@code path}'s record against {@code trusted} keys and, unless {@code storeId} is null, store {@code storeId}. */
    static RecordCheck of(Path path, String storeId, Map<String, PublicKey> trusted) throws IOException {
        // By path, never opening the file: a FIFO would block the open forever.
        Optional<byte[]> value = Xattrs.get(path, ReservedAttributes.RECORD);
        if (value.isEmpty()) {
            return new RecordCheck(path, null, "no location record");
        }
        LocationRecord record;
        try {
            record = LocationRecord.parse(new String(value.get(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return new RecordCheck(path, null, "unreadable record: " + e.getMessage());
        }
        PublicKey key = trusted.get(record.node());
        if (key == null) {
            return new RecordCheck(path, record, "signed by unknown node " + record.node() + " (not among the trusted keys)");
        }
        if (!record.verify(key)) {
            return new RecordCheck(path, record, "forged: the signature does not match the record");
        }
        if (storeId == null) {
            return new RecordCheck(path, record, null); // a copy outside LocusFS: the signature is all there is to check
        }
        long ino = (Long) Files.getAttribute(path, "unix:ino", LinkOption.NOFOLLOW_LINKS);
        boolean storeWide = record.file().equals(LocationRecord.EVERY_FILE) && record.store().equals(storeId);
        boolean ownRecord = record.file().equals(storeId + ":" + ino);
        if (!storeWide && !ownRecord) {
            return new RecordCheck(path, record, "the record belongs to another file (" + record.store() + ":" + record.file()
                    + ", this is " + storeId + ":" + ino + ")");
        }
        return new RecordCheck(path, record, null);
    }

    /**
     * Checks files on any LocusFS mounts, asking each mount's daemon for its store id and
     * loading its trusted keys once per store, however many files are checked.
     */
    static final class Checker {
        private final Path trustedDir;
        private final Map<Path, String> storeIds = new HashMap<>();
        private final Map<Path, Map<String, PublicKey>> keys = new HashMap<>();
        private Map<String, PublicKey> copyKeys;

        Checker(Path trustedDir) {
            this.trustedDir = trustedDir;
        }

        /**
         * The check of {@code path}'s record.
         *
         * @throws IllegalArgumentException when {@code path} is not on a LocusFS mount
         */
        RecordCheck check(Path path) throws IOException {
            var mounted = MountedStore.of(path);
            if (mounted.isEmpty()) {
                return ofCopy(path);
            }
            MountedStore mount = mounted.get();
            if (!storeIds.containsKey(mount.store())) {
                storeIds.put(mount.store(), storeIdOf(mount.store()));
                keys.put(mount.store(), trustedKeys(mount.store(), trustedDir));
            }
            return of(path, storeIds.get(mount.store()), keys.get(mount.store()));
        }

        /** The trusted keys for {@code path}: its store's, when it is on a mount, else --trusted-keys. */
        Map<String, PublicKey> keysOf(Path path) throws IOException {
            var mounted = MountedStore.of(path);
            if (mounted.isPresent()) {
                check(path);
                return keys.get(mounted.get().store());
            }
            return trustedDir == null ? Map.of() : directoryKeys(trustedDir);
        }

        /**
         * A file outside LocusFS that kept its record as a plain xattr (extracted with
         * {@code tar --xattrs}, copied with {@code cp -a}): the record can only be checked for its
         * signature by a key in --trusted-keys; which file it belonged to cannot be told.
         */
        private RecordCheck ofCopy(Path path) throws IOException {
            if (trustedDir == null) {
                throw new IllegalArgumentException(path + " is not on a LocusFS mount: give --trusted-keys DIR to check "
                        + "the signature of the record it carries");
            }
            if (copyKeys == null) {
                copyKeys = directoryKeys(trustedDir);
            }
            return of(path, null, copyKeys);
        }
    }

    /** The store id of a mounted store, from its daemon. */
    static String storeIdOf(Path store) throws IOException {
        return ControlClient.of(store).call(new ControlProtocol.Info()).storeId();
    }
}
