package io.locusfs.store;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Encodes and decodes the RocksDB keys of a store; the layout is documented in
 * {@code snapshotter/FORMAT.md}. Every versioned key is {@code prefix ‖ ~epoch}, big-endian, so
 * the newest version of a prefix sorts first and a seek to {@code prefix ‖ ~E} lands on the
 * newest version born at or before epoch E. Stateless and thread-safe.
 */
final class Keys {
    static final int LONG = Long.BYTES;
    /** Ends a name inside a key; sorts below every byte a name may hold (names never contain NUL). */
    static final byte NAME_END = 0;

    private Keys() {
    }

    static byte[] inodePrefix(long ino) {
        return ByteBuffer.allocate(LONG).putLong(ino).array();
    }

    static byte[] blockPrefix(long ino, long index) {
        return ByteBuffer.allocate(2 * LONG).putLong(ino).putLong(index).array();
    }

    /** Prefix of every entry of a directory (or every xattr of an inode). */
    static byte[] namedPrefix(long ino) {
        return inodePrefix(ino);
    }

    /** {@code ino ‖ name ‖ 0x00}: one directory entry or one xattr name. */
    static byte[] namedKey(long ino, byte[] name) {
        return ByteBuffer.allocate(LONG + name.length + 1).putLong(ino).put(name).put(NAME_END).array();
    }

    /** The name inside a named prefix ({@code ino ‖ name ‖ 0x00}). */
    static byte[] nameOf(byte[] namedPrefix) {
        return Arrays.copyOfRange(namedPrefix, LONG, namedPrefix.length - 1);
    }

    static byte[] versioned(byte[] prefix, long epoch) {
        byte[] key = Arrays.copyOf(prefix, prefix.length + LONG);
        putLong(key, prefix.length, ~epoch);
        return key;
    }

    /** The epoch a versioned key was born in. */
    static long epochOf(byte[] versionedKey) {
        return ~getLong(versionedKey, versionedKey.length - LONG);
    }

    /** The prefix part of a versioned key. */
    static byte[] prefixOf(byte[] versionedKey) {
        return Arrays.copyOf(versionedKey, versionedKey.length - LONG);
    }

    /** {@code epoch ‖ family ‖ prefix}: the birth index entry of a version. */
    static byte[] birth(long epoch, byte family, byte[] prefix) {
        return ByteBuffer.allocate(LONG + 1 + prefix.length).putLong(epoch).put(family).put(prefix).array();
    }

    static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    static void putLong(byte[] b, int offset, long v) {
        for (int i = 7; i >= 0; i--) {
            b[offset + i] = (byte) v;
            v >>>= 8;
        }
    }

    static void putInt(byte[] b, int offset, int v) {
        for (int i = 3; i >= 0; i--) {
            b[offset + i] = (byte) v;
            v >>>= 8;
        }
    }

    static int getInt(byte[] b, int offset) {
        return (b[offset] & 0xff) << 24 | (b[offset + 1] & 0xff) << 16 | (b[offset + 2] & 0xff) << 8 | (b[offset + 3] & 0xff);
    }

    static long getLong(byte[] b, int offset) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[offset + i] & 0xff);
        }
        return v;
    }
}
