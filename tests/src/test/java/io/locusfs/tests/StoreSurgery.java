package io.locusfs.tests;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * Edits an unmounted store behind LocusFS's back, with RocksDB itself, as an attacker with the
 * disk would; keys follow snapshotter/FORMAT.md. For tests that must see tampering caught.
 */
final class StoreSurgery implements AutoCloseable {
    private final RocksDB db;
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();
    private final List<byte[]> names;
    private final DBOptions options = new DBOptions();

    StoreSurgery(Path store) throws RocksDBException {
        RocksDB.loadLibrary();
        String path = store.resolve("db").toString();
        try (Options listing = new Options()) {
            names = RocksDB.listColumnFamilies(listing, path);
        }
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        for (byte[] name : names) {
            descriptors.add(new ColumnFamilyDescriptor(name));
        }
        db = RocksDB.open(options, path, descriptors, handles);
    }

    private ColumnFamilyHandle family(String name) {
        for (int i = 0; i < names.size(); i++) {
            if (new String(names.get(i), StandardCharsets.UTF_8).equals(name)) {
                return handles.get(i);
            }
        }
        throw new IllegalArgumentException("no column family " + name);
    }

    String meta(String key) throws RocksDBException {
        return new String(db.get(family("default"), key.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    void putMeta(String key, String value) throws RocksDBException {
        db.put(family("default"), key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    /** Stores xattr {@code name} = {@code value} on inode {@code ino} in the first epoch. */
    void putXattr(long ino, String name, String value) throws RocksDBException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] key = ByteBuffer.allocate(8 + n.length + 1 + 8).putLong(ino).put(n).put((byte) 0).putLong(~1L).array();
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        db.put(family("xattrs"), key, ByteBuffer.allocate(v.length + 1).put((byte) 1).put(v).array());
    }

    /** Every key and value of the families that hold per-file data, for before/after comparisons. */
    List<String> perFileRecords() {
        List<String> all = new ArrayList<>();
        for (String family : List.of("inodes", "dirents", "xattrs", "blocks", "blockmap")) {
            try (var it = db.newIterator(family(family))) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    all.add(family + ":" + java.util.HexFormat.of().formatHex(it.key()) + "=" + java.util.Arrays.hashCode(it.value()));
                }
            }
        }
        return all;
    }

    @Override
    public void close() {
        handles.forEach(ColumnFamilyHandle::close);
        db.close();
        options.close();
    }
}
