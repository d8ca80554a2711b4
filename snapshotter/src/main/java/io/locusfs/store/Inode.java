package io.locusfs.store;

import java.nio.ByteBuffer;

/**
 * The attributes of one file, directory, symlink or FIFO as stored in the {@code inodes} family.
 * A mutable value: callers take a {@link #copy()} before changing one they did not create.
 * Times are nanoseconds since the Unix epoch. Not thread-safe.
 */
public final class Inode {
    public static final int S_IFMT = 0170000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFIFO = 0010000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_ISUID = 04000;
    public static final int S_ISGID = 02000;
    public static final int S_ISVTX = 01000;

    /** Version 2 added the name hint; version 1 records (no name) are still read. */
    private static final byte RECORD_VERSION = 2;
    private static final int FIXED_SIZE = 1 + 8 + 4 * 4 + 8 * 6;

    public final long ino;
    /**
     * For a directory, the directory holding it (the root is its own parent). For anything else,
     * the directory it was last created or renamed into: a hint for finding its name, which a
     * hard link elsewhere or an unlink may leave stale (0 in stores made before it was kept).
     */
    public long parent;
    public int mode;
    public int uid;
    public int gid;
    public int nlink;
    public long size;
    /** Blocks of data held in the store (holes and zero blocks are not); drives {@code st_blocks}. */
    public long storedBlocks;
    public long atimeNanos;
    public long mtimeNanos;
    public long ctimeNanos;
    public long rdev;
    /** The target of a symlink, raw bytes; empty for everything else. */
    public byte[] symlinkTarget = new byte[0];
    /**
     * The name it was last created or renamed under in {@link #parent}: with the parent, a hint
     * that finds its path in one lookup (snapshot diffs); empty when unknown.
     */
    public byte[] name = new byte[0];

    public Inode(long ino) {
        this.ino = ino;
    }

    public boolean isDirectory() {
        return (mode & S_IFMT) == S_IFDIR;
    }

    public boolean isRegular() {
        return (mode & S_IFMT) == S_IFREG;
    }

    public boolean isSymlink() {
        return (mode & S_IFMT) == S_IFLNK;
    }

    public Inode copy() {
        Inode c = new Inode(ino);
        c.parent = parent;
        c.mode = mode;
        c.uid = uid;
        c.gid = gid;
        c.nlink = nlink;
        c.size = size;
        c.storedBlocks = storedBlocks;
        c.atimeNanos = atimeNanos;
        c.mtimeNanos = mtimeNanos;
        c.ctimeNanos = ctimeNanos;
        c.rdev = rdev;
        c.symlinkTarget = symlinkTarget;
        c.name = name;
        return c;
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(FIXED_SIZE + 2 + name.length + symlinkTarget.length);
        b.put(RECORD_VERSION).putLong(parent).putInt(mode).putInt(uid).putInt(gid).putInt(nlink)
                .putLong(size).putLong(storedBlocks).putLong(atimeNanos).putLong(mtimeNanos)
                .putLong(ctimeNanos).putLong(rdev).putShort((short) name.length).put(name).put(symlinkTarget);
        return b.array();
    }

    static Inode decode(long ino, byte[] value) {
        ByteBuffer b = ByteBuffer.wrap(value);
        byte version = b.get();
        if (version < 1 || version > RECORD_VERSION || value.length < FIXED_SIZE + (version >= 2 ? 2 : 0)) {
            throw new StoreException(StoreException.Kind.CORRUPT,
                    "inode " + ino + ": unknown record version " + version + " or short record (" + value.length + " bytes)");
        }
        Inode inode = new Inode(ino);
        inode.parent = b.getLong();
        inode.mode = b.getInt();
        inode.uid = b.getInt();
        inode.gid = b.getInt();
        inode.nlink = b.getInt();
        inode.size = b.getLong();
        inode.storedBlocks = b.getLong();
        inode.atimeNanos = b.getLong();
        inode.mtimeNanos = b.getLong();
        inode.ctimeNanos = b.getLong();
        inode.rdev = b.getLong();
        if (version >= 2) {
            int nameLength = b.getShort() & 0xffff;
            if (nameLength > b.remaining()) {
                throw new StoreException(StoreException.Kind.CORRUPT, "inode " + ino + ": name longer than its record");
            }
            inode.name = new byte[nameLength];
            b.get(inode.name);
        }
        inode.symlinkTarget = new byte[b.remaining()];
        b.get(inode.symlinkTarget);
        return inode;
    }
}
