package io.locusfs.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
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
    /** The epoch the tree being checked is read at. */
    private long epoch;
    /** Names the snapshot being checked in each problem; empty for the live tree, the only one repaired. */
    private String label = "";

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

    /**
     * Runs every check on the live tree, on every snapshot's tree, and on the versions that make
     * them up; returns the problems found, in the order found (empty when clean).
     */
    public List<Problem> check() {
        epoch = store.currentEpoch();
        label = "";
        checkTree();
        for (Snapshots.Snapshot snapshot : store.snapshots().list()) {
            epoch = snapshot.epoch();
            label = "snapshot '" + snapshot.name() + "': ";
            checkTree();
        }
        epoch = store.currentEpoch();
        label = "";
        new VersionCheck().run();
        return problems;
    }

    /** Checks the tree as read at {@link #epoch}: the live one, or a snapshot's (then nothing is repaired). */
    private void checkTree() {
        Map<Long, Inode> inodes = new HashMap<>();
        versions.scan(store.inodes, new byte[0], null, epoch, (prefix, value) -> {
            long ino = Keys.getLong(prefix, 0);
            inodes.put(ino, Inode.decode(ino, value));
            return true;
        });
        inodeCount += inodes.size();
        Inode root = inodes.get(Store.ROOT_INO);
        if (root == null || !root.isDirectory()) {
            report("the root directory (inode 1) is missing or not a directory", "none: restore from a mirror");
            return;
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
                report("entry '" + Tree.display(name) + "' in directory " + dir + " points to "
                        + (target == null ? "missing inode " + child : "inode " + child + " but its directory is missing"),
                        "remove the entry");
                repairLive(() -> batch(b -> versions.remove(b, store.dirents, Versions.DIRENTS, prefix)));
                return true;
            }
            int type = value[Keys.LONG] & 0xff;
            if (type != (target.mode & Inode.S_IFMT) >>> 12) {
                report("entry '" + Tree.display(name) + "' in directory " + dir
                        + " records the wrong file type for inode " + child, "rewrite the entry");
                byte[] fixed = value.clone();
                fixed[Keys.LONG] = (byte) ((target.mode & Inode.S_IFMT) >>> 12);
                repairLive(() -> batch(b -> versions.put(b, store.dirents, Versions.DIRENTS, prefix, fixed)));
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
        if (label.isEmpty()) {
            checkNextIno(inodes);
        }
    }

    private void checkInode(Inode inode, Map<Long, Integer> links, Map<Long, Integer> subdirs,
                            Map<Long, Long> parentOf, Set<Long> orphans) {
        long ino = inode.ino;
        int entries = links.getOrDefault(ino, 0);
        if (ino != Store.ROOT_INO && entries == 0) {
            // A snapshot may hold a file that was deleted while open at the time (an orphan then).
            boolean orphan = inode.nlink == 0 && (orphans.contains(ino) || !label.isEmpty());
            if (!orphan) {
                report("inode " + ino + " is not reachable from the root", "free it");
                repairLive(() -> batch(b -> store.tree().purge(b, ino)));
            }
            return;
        }
        int expected = inode.isDirectory() ? 2 + subdirs.getOrDefault(ino, 0) : entries;
        if (inode.isDirectory() && ino != Store.ROOT_INO && entries > 1) {
            report("directory inode " + ino + " has " + entries + " entries", "none: remove the extra entries by hand");
        }
        if (inode.nlink != expected) {
            report("inode " + ino + " has link count " + inode.nlink + " but " + expected + " links",
                    "set the link count to " + expected);
            repairLive(() -> rewrite(ino, i -> i.nlink = expected));
        }
        if (inode.isDirectory()) {
            long parent = ino == Store.ROOT_INO ? Store.ROOT_INO : parentOf.getOrDefault(ino, 0L);
            if (inode.parent != parent) {
                report("directory inode " + ino + " records parent " + inode.parent + " but lives in " + parent,
                        "record parent " + parent);
                repairLive(() -> rewrite(ino, i -> i.parent = parent));
            }
        }
    }

    private void checkBlocks(Map<Long, Inode> inodes) {
        int blockSize = store.blockSize();
        Map<Long, Long> storedPerInode = new HashMap<>();
        Set<String> mapped = new HashSet<>();
        byte[] scratch = new byte[blockSize];
        versions.scan(store.blockmap, new byte[0], null, epoch, (prefix, value) -> {
            long ino = Keys.getLong(prefix, 0);
            long index = Keys.getLong(prefix, Keys.LONG);
            int length = Blocks.Entry.decode(value).length();
            blockCount++;
            mapped.add(ino + ":" + index);
            Inode inode = inodes.get(ino);
            if (inode == null || !inode.isRegular()) {
                report("block " + index + " belongs to missing inode " + ino, "free it");
                repairLive(() -> batch(b -> store.data().removeBlocksFrom(b, ino, 0)));
                return true;
            }
            long end = index * blockSize + length;
            if (length <= 0 || length > blockSize || end > inode.size) {
                report("block " + index + " of inode " + ino + " (" + length + " bytes) lies beyond its size "
                        + inode.size, "cut the file's blocks to its size");
                repairLive(() -> store.data().truncate(ino, inode.size));
            }
            int stored;
            try {
                stored = store.blockVersions().readInto(ino, index, epoch, scratch);
            } catch (StoreException e) {
                if (e.kind() != StoreException.Kind.CORRUPT) {
                    throw e;
                }
                report("block " + index + " of inode " + ino + " cannot be read (" + e.getMessage() + ")",
                        "free the block (the range reads as zeros); a mount that replicates reads it from a mirror instead");
                repairLive(() -> dropCountedBlock(ino, prefix));
                storedPerInode.merge(ino, 1L, Long::sum);
                return true;
            }
            if (stored != length) {
                report("block " + index + " of inode " + ino + " is " + (stored <= 0 ? "missing" : stored + " bytes")
                        + " but its block map says " + length + " bytes", "free the block (the range reads as zeros)");
                repairLive(() -> dropCountedBlock(ino, prefix));
            }
            storedPerInode.merge(ino, 1L, Long::sum);
            return true;
        });
        try {
            versions.scan(store.blocks, new byte[0], null, epoch, (prefix, value) -> {
                long ino = Keys.getLong(prefix, 0);
                long index = Keys.getLong(prefix, Keys.LONG);
                if (!mapped.contains(ino + ":" + index)) {
                    report("block " + index + " of inode " + ino + " is missing from the block map", "free it");
                    repairLive(() -> batch(b -> dropBlock(b, prefix)));
                }
                return true;
            });
        } catch (StoreException e) {
            // A scan reads each block's bytes: a damaged one (reported above) stops it there.
            report("the scan for blocks missing from the block map stopped at a damaged block (" + e.getMessage() + ")",
                    "leave it: check again once the damaged blocks are freed or mended");
        }
        for (Inode inode : inodes.values()) {
            long counted = storedPerInode.getOrDefault(inode.ino, 0L);
            if (inode.isRegular() && inode.storedBlocks != counted) {
                report("inode " + inode.ino + " counts " + inode.storedBlocks + " stored blocks but has " + counted,
                        "set the count to " + counted);
                repairLive(() -> rewrite(inode.ino, i -> i.storedBlocks = counted));
            }
        }
    }

    /** Frees a block the file's count of stored blocks includes, and counts it out. */
    private void dropCountedBlock(long ino, byte[] prefix) {
        batch(b -> dropBlock(b, prefix));
        rewrite(ino, i -> i.storedBlocks = Math.max(0, i.storedBlocks - 1));
    }

    private void checkXattrs(Map<Long, Inode> inodes) {
        versions.scan(store.xattrs, new byte[0], null, epoch, (prefix, value) -> {
            long ino = Keys.getLong(prefix, 0);
            if (!inodes.containsKey(ino)) {
                report("an xattr belongs to missing inode " + ino, "free it");
                repairLive(() -> batch(b -> versions.remove(b, store.xattrs, Versions.XATTRS, prefix)));
            }
            return true;
        });
    }

    private void checkNextIno(Map<Long, Inode> inodes) {
        long highest = inodes.keySet().stream().mapToLong(Long::longValue).max().orElse(Store.ROOT_INO);
        long next = store.tree().inodesAllocated() + 1;
        if (next <= highest) {
            report("the next inode number " + next + " is already in use (highest is " + highest + ")",
                    "set it to " + (highest + 1));
            repairLive(() -> batch(b -> {
                try {
                    b.put(store.meta, Store.META_NEXT_INO, Store.longBytes(highest + 1));
                } catch (RocksDBException e) {
                    throw new StoreException(StoreException.Kind.IO, e.getMessage(), e);
                }
            }));
        }
    }

    private void report(String description, String repair) {
        problems.add(new Problem(label + description, label.isEmpty() ? repair : "none: a snapshot is read-only (delete it)"));
    }

    private void repairLive(Runnable repair) {
        if (label.isEmpty()) {
            repairs.add(repair);
        }
    }

    /**
     * The version invariants behind snapshots: every snapshot's epoch lies before the current
     * one; every version has its births entry and every births entry its version; nothing is born
     * after the current epoch; and no version is garbage (seen by no snapshot and not by the live
     * tree). Reads every key once.
     */
    private final class VersionCheck {
        private final NavigableSet<Long> readers = store.snapshots().readers();
        /** Patches stored per block version ({@link #id}); each version takes its own out. */
        private final Map<String, Integer> patches = new HashMap<>();

        void run() {
            for (Snapshots.Snapshot s : store.snapshots().list()) {
                if (s.epoch() >= store.currentEpoch()) {
                    report("snapshot '" + s.name() + "' has epoch " + s.epoch() + ", not before the current epoch "
                            + store.currentEpoch(), "none: the epoch counter was damaged");
                }
            }
            Set<String> births = new HashSet<>();
            versions.births(0, Long.MAX_VALUE, (born, family, prefix) -> {
                births.add(id(born, family, prefix));
                return true;
            });
            store.blockVersions().allPatches((prefix, born, seq) -> patches.merge(id(born, Versions.BLOCKS, prefix), 1, Integer::sum));
            for (byte family : new byte[] {Versions.INODES, Versions.DIRENTS, Versions.BLOCKS, Versions.XATTRS}) {
                checkFamily(family, births);
            }
            for (Map.Entry<String, Integer> stray : patches.entrySet()) {
                report("the patches of a block version that does not exist (" + stray.getKey() + ") are stored", "none: they are ignored");
            }
            for (String orphan : births) {
                report("the births index lists a version that does not exist (" + orphan + ")", "remove the entry");
                repairLive(() -> batch(b -> deleteBirth(b, orphan)));
            }
        }

        private void checkFamily(byte family, Set<String> births) {
            byte[][] previous = {null};
            List<Versions.Version> group = new ArrayList<>();
            try (var it = store.db().newIterator(versions.listing(family), store.readOptions)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    byte[] key = it.key();
                    byte[] prefix = Keys.prefixOf(key);
                    long born = Keys.epochOf(key);
                    if (previous[0] != null && !Arrays.equals(previous[0], prefix)) {
                        checkGroup(family, previous[0], group);
                        group.clear();
                    }
                    previous[0] = prefix;
                    Versions.Version version = Versions.version(family, born, it.value());
                    group.add(version);
                    if (family == Versions.BLOCKS) {
                        int found = Objects.requireNonNullElse(patches.remove(id(born, family, prefix)), 0);
                        if (found != version.patches()) {
                            report("the version of " + describe(family, prefix) + " born in epoch " + born + " has "
                                    + found + " patches stored but its block map says " + version.patches(),
                                    "none: the block reads as its block map and base say");
                        }
                    }
                    if (!births.remove(id(born, family, prefix))) {
                        report("a version of " + describe(family, prefix) + " born in epoch " + born + " is missing from the births index",
                                "add it");
                        repairLive(() -> batch(b -> putBirth(b, born, family, prefix)));
                    }
                    if (born > store.currentEpoch()) {
                        report("a version of " + describe(family, prefix) + " is born in epoch " + born
                                + ", after the current epoch " + store.currentEpoch(), "none: the epoch counter was damaged");
                    }
                }
            }
            if (previous[0] != null) {
                checkGroup(family, previous[0], group);
            }
        }

        /** {@code group}: the versions of one key, newest first. */
        private void checkGroup(byte family, byte[] prefix, List<Versions.Version> group) {
            for (Versions.Version v : Snapshots.unseen(group, readers)) {
                long born = v.epoch();
                report("the version of " + describe(family, prefix) + " born in epoch " + born
                        + " is seen by no snapshot nor the live tree", "free it");
                repairLive(() -> batch(b -> versions.drop(b, family, prefix, v)));
            }
        }

        private String id(long born, byte family, byte[] prefix) {
            return born + ":" + family + ":" + HexFormat.of().formatHex(prefix);
        }

        private void deleteBirth(WriteBatch b, String id) {
            String[] parts = id.split(":");
            try {
                b.delete(store.births, Keys.birth(Long.parseLong(parts[0]), Byte.parseByte(parts[1]),
                        HexFormat.of().parseHex(parts[2])));
            } catch (RocksDBException e) {
                throw new StoreException(StoreException.Kind.IO, e.getMessage(), e);
            }
        }

        private void putBirth(WriteBatch b, long born, byte family, byte[] prefix) {
            try {
                b.put(store.births, Keys.birth(born, family, prefix), Versions.TOMBSTONE);
            } catch (RocksDBException e) {
                throw new StoreException(StoreException.Kind.IO, e.getMessage(), e);
            }
        }

        private String describe(byte family, byte[] prefix) {
            long ino = Keys.getLong(prefix, 0);
            return switch (family) {
                case Versions.INODES -> "inode " + ino;
                case Versions.DIRENTS -> "entry '" + Tree.display(Keys.nameOf(prefix)) + "' of directory " + ino;
                case Versions.BLOCKS -> "block " + Keys.getLong(prefix, Keys.LONG) + " of inode " + ino;
                default -> "attribute '" + Tree.display(Keys.nameOf(prefix)) + "' of inode " + ino;
            };
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
        store.blockVersions().removeLive(batch, prefix);
    }

    private void rewrite(long ino, Consumer<Inode> change) {
        Inode inode = store.tree().inodeOrNull(ino);
        if (inode != null) {
            change.accept(inode);
            batch(b -> store.tree().putInode(b, inode));
        }
    }

    private void batch(Consumer<WriteBatch> fill) {
        try (WriteBatch batch = new WriteBatch()) {
            fill.accept(batch);
            store.write(batch, false);
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "repairing: " + e.getMessage(), e);
        }
    }
}
