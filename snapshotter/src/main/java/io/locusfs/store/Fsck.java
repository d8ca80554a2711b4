package io.locusfs.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Checks the invariants of a store's live tree and, when asked, repairs what it can:
 * every directory entry points to a live inode of the kind it says; link counts match the
 * entries; every inode is reachable from the root (or is a recorded orphan); directories know
 * their parent; every block and xattr belongs to a live inode; blocks lie within the file size
 * and match their block map; stored block counts are right. Reads everything once: its cost
 * grows with the size of the store. Not thread-safe; run it on an unmounted store.
 */
public final class Fsck {
    /** One broken invariant, with what a repair does about it. */
    public record Problem(String description, String repair) {
    }

    private final Store store;
    private final Versions versions;
    private final List<Problem> problems = new ArrayList<>();
    private final List<Runnable> repairs = new ArrayList<>();
    private long inodeCount;
    private long blockCount;

    public Fsck(Store store) {
        this.store = store;
        this.versions = new Versions(store);
    }

    public long inodesChecked() {
        return inodeCount;
    }

    public long blocksChecked() {
        return blockCount;
    }

    /** Runs every check; returns the problems found, in the order found (empty when clean). */
    public List<Problem> check() {
        long epoch = store.currentEpoch();
        Map<Long, Inode> inodes = new HashMap<>();
        versions.scan(store.inodes, new byte[0], null, epoch, (prefix, value) -> {
            long ino = Keys.getLong(prefix, 0);
            inodes.put(ino, Inode.decode(ino, value));
            return true;
        });
        inodeCount = inodes.size();
        Inode root = inodes.get(Store.ROOT_INO);
        if (root == null || !root.isDirectory()) {
            problems.add(new Problem("the root directory (inode 1) is missing or not a directory", "none: restore from a mirror"));
            return problems;
        }
        Map<Long, Integer> links = new HashMap<>();
        Map<Long, Integer> subdirs = new HashMap<>();
        Map<Long, Long> parentOf = new HashMap<>();
        versions.scan(store.dirents, new byte[0], null, epoch, (prefix, value) -> {
            long dir = Keys.getLong(prefix, 0);
            byte[] name = Keys.nameOf(prefix);
            long child = Keys.getLong(value, 0);
            Inode target = inodes.get(child);
            Inode parent = inodes.get(dir);
            if (parent == null || !parent.isDirectory() || target == null) {
                problems.add(new Problem("entry '" + Tree.display(name) + "' in directory " + dir + " points to "
                        + (target == null ? "missing inode " + child : "inode " + child + " but its directory is missing"),
                        "remove the entry"));
                repairs.add(() -> batch(b -> versions.remove(b, store.dirents, Versions.DIRENTS, prefix)));
                return true;
            }
            int type = value[Keys.LONG] & 0xff;
            if (type != (target.mode & Inode.S_IFMT) >>> 12) {
                problems.add(new Problem("entry '" + Tree.display(name) + "' in directory " + dir
                        + " records the wrong file type for inode " + child, "rewrite the entry"));
                byte[] fixed = value.clone();
                fixed[Keys.LONG] = (byte) ((target.mode & Inode.S_IFMT) >>> 12);
                repairs.add(() -> batch(b -> versions.put(b, store.dirents, Versions.DIRENTS, prefix, fixed)));
            }
            links.merge(child, 1, Integer::sum);
            if (target.isDirectory()) {
                subdirs.merge(dir, 1, Integer::sum);
                parentOf.put(child, dir);
            }
            return true;
        });
        Set<Long> orphans = new HashSet<>(store.tree().orphans());
        for (Inode inode : inodes.values()) {
            checkInode(inode, links, subdirs, parentOf, orphans);
        }
        checkBlocks(inodes);
        checkXattrs(inodes);
        checkNextIno(inodes);
        return problems;
    }

    private void checkInode(Inode inode, Map<Long, Integer> links, Map<Long, Integer> subdirs,
                            Map<Long, Long> parentOf, Set<Long> orphans) {
        long ino = inode.ino;
        int entries = links.getOrDefault(ino, 0);
        if (ino != Store.ROOT_INO && entries == 0) {
            if (!orphans.contains(ino) || inode.nlink != 0) {
                problems.add(new Problem("inode " + ino + " is not reachable from the root", "free it"));
                repairs.add(() -> batch(b -> store.tree().purge(b, ino)));
            }
            return;
        }
        int expected = inode.isDirectory() ? 2 + subdirs.getOrDefault(ino, 0) : entries;
        if (inode.isDirectory() && ino != Store.ROOT_INO && entries > 1) {
            problems.add(new Problem("directory inode " + ino + " has " + entries + " entries", "none: remove the extra entries by hand"));
        }
        if (inode.nlink != expected) {
            problems.add(new Problem("inode " + ino + " has link count " + inode.nlink + " but " + expected + " links",
                    "set the link count to " + expected));
            repairs.add(() -> rewrite(ino, i -> i.nlink = expected));
        }
        if (inode.isDirectory()) {
            long parent = ino == Store.ROOT_INO ? Store.ROOT_INO : parentOf.getOrDefault(ino, 0L);
            if (inode.parent != parent) {
                problems.add(new Problem("directory inode " + ino + " records parent " + inode.parent + " but lives in " + parent,
                        "record parent " + parent));
                repairs.add(() -> rewrite(ino, i -> i.parent = parent));
            }
        }
    }

    private void checkBlocks(Map<Long, Inode> inodes) {
        long epoch = store.currentEpoch();
        int blockSize = store.blockSize();
        Map<Long, Long> storedPerInode = new HashMap<>();
        Set<String> mapped = new HashSet<>();
        versions.scan(store.blockmap, new byte[0], null, epoch, (prefix, value) -> {
            long ino = Keys.getLong(prefix, 0);
            long index = Keys.getLong(prefix, Keys.LONG);
            int length = java.nio.ByteBuffer.wrap(value).getInt();
            blockCount++;
            mapped.add(ino + ":" + index);
            Inode inode = inodes.get(ino);
            if (inode == null || !inode.isRegular()) {
                problems.add(new Problem("block " + index + " belongs to missing inode " + ino, "free it"));
                repairs.add(() -> batch(b -> store.data().removeBlocksFrom(b, ino, 0)));
                return true;
            }
            long end = index * blockSize + length;
            if (length <= 0 || length > blockSize || end > inode.size) {
                problems.add(new Problem("block " + index + " of inode " + ino + " (" + length + " bytes) lies beyond its size "
                        + inode.size, "cut the file's blocks to its size"));
                repairs.add(() -> store.data().truncate(ino, inode.size));
            }
            byte[] stored = versions.get(store.blocks, prefix, epoch);
            if (stored == null || stored.length != length) {
                problems.add(new Problem("block " + index + " of inode " + ino + " is " + (stored == null ? "missing" : stored.length + " bytes")
                        + " but its block map says " + length + " bytes", "free the block (the range reads as zeros)"));
                repairs.add(() -> batch(b -> dropBlock(b, prefix)));
            }
            storedPerInode.merge(ino, 1L, Long::sum);
            return true;
        });
        versions.scan(store.blocks, new byte[0], null, epoch, (prefix, value) -> {
            long ino = Keys.getLong(prefix, 0);
            long index = Keys.getLong(prefix, Keys.LONG);
            if (!mapped.contains(ino + ":" + index)) {
                problems.add(new Problem("block " + index + " of inode " + ino + " is missing from the block map", "free it"));
                repairs.add(() -> batch(b -> dropBlock(b, prefix)));
            }
            return true;
        });
        for (Inode inode : inodes.values()) {
            long counted = storedPerInode.getOrDefault(inode.ino, 0L);
            if (inode.isRegular() && inode.storedBlocks != counted) {
                problems.add(new Problem("inode " + inode.ino + " counts " + inode.storedBlocks + " stored blocks but has " + counted,
                        "set the count to " + counted));
                repairs.add(() -> rewrite(inode.ino, i -> i.storedBlocks = counted));
            }
        }
    }

    private void checkXattrs(Map<Long, Inode> inodes) {
        versions.scan(store.xattrs, new byte[0], null, store.currentEpoch(), (prefix, value) -> {
            long ino = Keys.getLong(prefix, 0);
            if (!inodes.containsKey(ino)) {
                problems.add(new Problem("an xattr belongs to missing inode " + ino, "free it"));
                repairs.add(() -> batch(b -> versions.remove(b, store.xattrs, Versions.XATTRS, prefix)));
            }
            return true;
        });
    }

    private void checkNextIno(Map<Long, Inode> inodes) {
        long highest = inodes.keySet().stream().mapToLong(Long::longValue).max().orElse(Store.ROOT_INO);
        long next = store.tree().inodesAllocated() + 1;
        if (next <= highest) {
            problems.add(new Problem("the next inode number " + next + " is already in use (highest is " + highest + ")",
                    "set it to " + (highest + 1)));
            repairs.add(() -> batch(b -> {
                try {
                    b.put(store.meta, Store.META_NEXT_INO, Store.longBytes(highest + 1));
                } catch (RocksDBException e) {
                    throw new StoreException(StoreException.Kind.IO, e.getMessage(), e);
                }
            }));
        }
    }

    /**
     * Applies the repair of every problem the last {@link #check} found and frees recorded
     * orphans. Run {@link #check} again afterwards to confirm.
     */
    public void repair() {
        for (Runnable repair : repairs) {
            repair.run();
        }
        store.tree().releaseAllOrphans();
        store.sync();
    }

    private void dropBlock(WriteBatch batch, byte[] prefix) {
        versions.remove(batch, store.blocks, Versions.BLOCKS, prefix);
        try {
            batch.delete(store.blockmap, Keys.versioned(prefix, store.currentEpoch()));
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, e.getMessage(), e);
        }
    }

    private void rewrite(long ino, java.util.function.Consumer<Inode> change) {
        Inode inode = store.tree().inodeOrNull(ino);
        if (inode != null) {
            change.accept(inode);
            batch(b -> store.tree().putInode(b, inode));
        }
    }

    private void batch(java.util.function.Consumer<WriteBatch> fill) {
        try (WriteBatch batch = new WriteBatch()) {
            fill.accept(batch);
            store.write(batch, false);
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "repairing: " + e.getMessage(), e);
        }
    }
}
