package io.locusfs.store;

import static io.locusfs.store.StoreException.Kind;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import java.util.function.Predicate;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The namespace of a store: inodes, directory entries and xattrs, with POSIX semantics (link
 * counts, rename rules, setgid directories). Every change is one atomic WriteBatch, so a crash
 * leaves either the old namespace or the new one. Changes are serialised by one lock; reads
 * need none. Permission checks belong to the caller (the mount), not here.
 */
public final class Tree {
    public static final int NAME_MAX = 255;
    public static final int XATTR_CREATE = 1;
    public static final int XATTR_REPLACE = 2;
    private static final byte XATTR_PRESENT = 1;
    private static final byte[] ORPHAN_PREFIX = Store.bytes("orphan/");

    private final Store store;
    private final Versions versions;
    private final View live;
    /** Serialises every read-modify-write of inodes and entries. */
    final ReentrantLock lock = new ReentrantLock();
    private long nextIno;

    Tree(Store store, Versions versions) throws RocksDBException {
        this.store = store;
        this.versions = versions;
        this.live = View.live(store, versions);
        this.nextIno = store.readNextIno();
    }

    /** How many inode numbers have been handed out (an upper bound on the inodes in use). */
    public long inodesAllocated() {
        return nextIno - 1;
    }

    /** One entry of a directory listing. */
    public record Entry(byte[] name, long ino, int type) {
        /** Whether the entry names a directory ({@code type} is the mode's file type, {@code mode >>> 12}). */
        public boolean isDirectory() {
            return type == Inode.S_IFDIR >>> 12;
        }
    }

    /** The tree as it is now; the read methods below are shorthands for it. */
    public View live() {
        return live;
    }

    /**
     * The inode {@code ino} as it is now.
     *
     * @throws StoreException NOT_FOUND when it does not exist
     */
    public Inode inode(long ino) {
        return live.inode(ino);
    }

    Inode inodeOrNull(long ino) {
        return live.inodeOrNull(ino);
    }

    /**
     * The inode number {@code name} refers to in directory {@code parent}, or 0 when there is no
     * such entry.
     */
    public long lookup(long parent, byte[] name) {
        return live.lookup(parent, name);
    }

    /** Lists directory {@code dir} in name order, giving each entry to {@code visitor} until it returns false. */
    public void list(long dir, Predicate<Entry> visitor) {
        live.list(dir, visitor);
    }

    /**
     * Creates {@code name} in {@code parent}: a directory, regular file, FIFO, device or symlink
     * according to {@code mode}. In a setgid directory the new node takes the directory's group,
     * and a new directory inherits the setgid bit.
     *
     * @return the new inode
     * @throws StoreException EXISTS, NOT_DIRECTORY, NOT_FOUND, NAME_TOO_LONG, INVALID
     */
    public Inode create(long parent, byte[] name, int mode, int uid, int gid, long rdev, byte[] symlinkTarget) {
        return create(parent, name, mode, uid, gid, rdev, symlinkTarget, null, Map.of());
    }

    /**
     * As {@link #create(long, byte[], int, int, int, long, byte[])}, then {@code init} changes the
     * new inode (its times, size, mode bits, as an import says) and {@code xattrs} (name to value)
     * are set, all in the same batch: an import of a file is one write instead of several.
     */
    public Inode create(long parent, byte[] name, int mode, int uid, int gid, long rdev, byte[] symlinkTarget,
                        Consumer<Inode> init, Map<byte[], byte[]> xattrs) {
        checkName(name);
        lock.lock();
        try (WriteBatch batch = new WriteBatch()) {
            Inode dir = directory(parent);
            if (lookup(parent, name) != 0) {
                throw new StoreException(Kind.EXISTS, "'" + display(name) + "' already exists");
            }
            Inode inode = newInode(batch, dir, name, mode, uid, gid, rdev, symlinkTarget, init, xattrs);
            store.write(batch, false);
            nextIno++;
            return inode;
        } catch (RocksDBException e) {
            throw io("creating '" + display(name) + "'", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * What {@link #find} found at {@code parent/name}: its entry (null when there is none) and the
     * epoch the entry's stored version was born in; it spares {@link #unlink(Found, LongPredicate)}
     * and {@link #replace} reading the entry again.
     */
    public record Found(long parent, byte[] name, Entry entry, long born) {
        /** {@code parent/name} known to be absent (removed just now). */
        public static Found absent(long parent, byte[] name) {
            return new Found(parent, name, null, BORN_UNKNOWN);
        }
    }

    /** The entry {@code name} in directory {@code parent}, as {@link #entry}, with when it was born. */
    public Found find(long parent, byte[] name) {
        Versions.Newest newest = versions.newest(store.dirents, Keys.namedKey(parent, name), store.currentEpoch());
        return newest == null ? Found.absent(parent, name)
                : new Found(parent, name, View.entry(name, newest.value()), newest.born());
    }

    /**
     * Creates {@code found}'s name as {@link #create(long, byte[], int, int, int, long, byte[], Consumer, Map)}
     * does, and in the same batch removes the non-directory {@code found} says is there, as
     * {@link #unlink(long, byte[], LongPredicate)} would: one write where an unlink and a create
     * make two, and neither the entry nor the name's absence is read again. Only for a caller that
     * has the store to itself (a receive), so that {@code found} is still what is there.
     *
     * @throws StoreException IS_DIRECTORY when a directory is there, and as create does
     */
    public Inode replace(Found found, int mode, int uid, int gid, long rdev, byte[] symlinkTarget, Consumer<Inode> init,
                         Map<byte[], byte[]> xattrs, LongPredicate isOpen) {
        checkName(found.name());
        lock.lock();
        try (WriteBatch batch = new WriteBatch()) {
            Inode dir = directory(found.parent());
            if (found.entry() != null) {
                Existing replaced = existingVersions(found);
                if (replaced.inode().isDirectory()) {
                    throw new StoreException(Kind.IS_DIRECTORY, "'" + display(found.name()) + "' is a directory");
                }
                // Its entry is overwritten by the new one (a version born in this epoch) below.
                dropLink(batch, replaced.inode(), replaced.inodeBorn(), now(), isOpen);
            }
            Inode inode = newInode(batch, dir, found.name(), mode, uid, gid, rdev, symlinkTarget, init, xattrs);
            store.write(batch, false);
            nextIno++;
            return inode;
        } catch (RocksDBException e) {
            throw io("replacing '" + display(found.name()) + "'", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds to {@code batch} a new inode {@link #nextIno} named {@code name} in {@code dir} (whose
     * entry it overwrites), with its xattrs, and {@code dir}'s new times; the caller writes the
     * batch, then counts the inode number as used.
     */
    private Inode newInode(WriteBatch batch, Inode dir, byte[] name, int mode, int uid, int gid, long rdev, byte[] symlinkTarget,
                           Consumer<Inode> init, Map<byte[], byte[]> xattrs) throws RocksDBException {
        long now = now();
        Inode inode = new Inode(nextIno);
        inode.mode = mode;
        inode.uid = uid;
        inode.gid = gid;
        if ((dir.mode & Inode.S_ISGID) != 0) {
            inode.gid = dir.gid;
            if (inode.isDirectory()) {
                inode.mode |= Inode.S_ISGID;
            }
        }
        inode.nlink = inode.isDirectory() ? 2 : 1;
        inode.parent = dir.ino; // For a file, with the name, a hint for finding its path (snapshot diff).
        inode.name = name;
        inode.rdev = rdev;
        inode.atimeNanos = inode.mtimeNanos = inode.ctimeNanos = now;
        if (symlinkTarget != null) {
            inode.symlinkTarget = symlinkTarget;
            inode.size = symlinkTarget.length;
        }
        if (init != null) {
            init.accept(inode);
        }
        for (Map.Entry<byte[], byte[]> xattr : xattrs.entrySet()) {
            byte[] stored = new byte[xattr.getValue().length + 1];
            stored[0] = XATTR_PRESENT;
            System.arraycopy(xattr.getValue(), 0, stored, 1, xattr.getValue().length);
            versions.put(batch, store.xattrs, Versions.XATTRS, Keys.namedKey(inode.ino, xattr.getKey()), stored);
        }
        putInode(batch, inode);
        putEntry(batch, dir.ino, name, inode);
        if (inode.isDirectory()) {
            dir.nlink++;
        }
        dir.mtimeNanos = dir.ctimeNanos = now;
        putInode(batch, dir);
        batch.put(store.meta, Store.META_NEXT_INO, Store.longBytes(nextIno + 1));
        return inode;
    }

    /**
     * Adds a hard link {@code parent/name} to {@code ino}.
     *
     * @throws StoreException NOT_PERMITTED for a directory, EXISTS, TOO_MANY_LINKS
     */
    public Inode link(long ino, long parent, byte[] name) {
        checkName(name);
        lock.lock();
        try (WriteBatch batch = new WriteBatch()) {
            Inode target = inode(ino);
            if (target.isDirectory()) {
                throw new StoreException(Kind.NOT_PERMITTED, "hard links to directories are not allowed");
            }
            if (target.nlink >= 65000) {
                throw new StoreException(Kind.TOO_MANY_LINKS, "inode " + ino + " has too many links");
            }
            Inode dir = directory(parent);
            if (lookup(parent, name) != 0) {
                throw new StoreException(Kind.EXISTS, "'" + display(name) + "' already exists");
            }
            long now = now();
            target.nlink++;
            target.ctimeNanos = now;
            dir.mtimeNanos = dir.ctimeNanos = now;
            putInode(batch, target);
            putInode(batch, dir);
            putEntry(batch, parent, name, target);
            store.write(batch, false);
            return target;
        } catch (RocksDBException e) {
            throw io("linking '" + display(name) + "'", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes the non-directory entry {@code parent/name}. When that was the last link the inode
     * and its data are freed, unless {@code isOpen} says it is still open: then it is kept as an
     * orphan until {@link #releaseOrphan} (or the next mount) frees it.
     *
     * @return the inode as it is after the unlink
     * @throws StoreException NOT_FOUND, IS_DIRECTORY
     */
    public Inode unlink(long parent, byte[] name, LongPredicate isOpen) {
        lock.lock();
        try {
            return unlink(find(parent, name), isOpen);
        } finally {
            lock.unlock();
        }
    }

    /** As {@link #unlink(long, byte[], LongPredicate)}, for the entry {@link #find} found (still there). */
    public Inode unlink(Found found, LongPredicate isOpen) {
        lock.lock();
        try (WriteBatch batch = new WriteBatch()) {
            Inode dir = directory(found.parent());
            // With the epochs the entry and the inode were born in: removing a version born before
            // this epoch needs no seek to learn that an older one lives (the common case).
            Existing existing = existingVersions(found);
            Inode target = existing.inode();
            if (target.isDirectory()) {
                throw new StoreException(Kind.IS_DIRECTORY, "'" + display(found.name()) + "' is a directory");
            }
            long now = now();
            versions.removeNewest(batch, store.dirents, Versions.DIRENTS, Keys.namedKey(found.parent(), found.name()),
                    existing.entryBorn());
            dir.mtimeNanos = dir.ctimeNanos = now;
            putInode(batch, dir);
            dropLink(batch, target, existing.inodeBorn(), now, isOpen);
            store.write(batch, false);
            return target;
        } catch (RocksDBException e) {
            throw io("unlinking '" + display(found.name()) + "'", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes the empty directory {@code parent/name}.
     *
     * @throws StoreException NOT_FOUND, NOT_DIRECTORY, NOT_EMPTY
     */
    public void rmdir(long parent, byte[] name) {
        lock.lock();
        try (WriteBatch batch = new WriteBatch()) {
            Inode dir = directory(parent);
            Inode target = existing(parent, name);
            if (!target.isDirectory()) {
                throw new StoreException(Kind.NOT_DIRECTORY, "'" + display(name) + "' is not a directory");
            }
            if (!isEmpty(target.ino)) {
                throw new StoreException(Kind.NOT_EMPTY, "directory '" + display(name) + "' is not empty");
            }
            long now = now();
            versions.remove(batch, store.dirents, Versions.DIRENTS, Keys.namedKey(parent, name));
            dir.nlink--;
            dir.mtimeNanos = dir.ctimeNanos = now;
            putInode(batch, dir);
            purge(batch, target.ino);
            store.write(batch, false);
        } catch (RocksDBException e) {
            throw io("removing directory '" + display(name) + "'", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Renames {@code fromParent/fromName} to {@code toParent/toName} with rename(2) semantics:
     * an existing target is replaced atomically if it is of a compatible kind.
     *
     * @return the inode the rename replaced, as it is after it (its link count one lower), or
     *         null when it replaced nothing
     * @throws StoreException NOT_FOUND, IS_DIRECTORY, NOT_DIRECTORY, NOT_EMPTY, INVALID (a
     *                        directory moved into itself), NAME_TOO_LONG
     */
    public Inode rename(long fromParent, byte[] fromName, long toParent, byte[] toName, LongPredicate isOpen) {
        checkName(toName);
        lock.lock();
        try (WriteBatch batch = new WriteBatch()) {
            Inode source = existing(fromParent, fromName);
            Inode toDir = directory(toParent);
            long replacedIno = lookup(toParent, toName);
            if (replacedIno == source.ino) {
                return null; // Both names are links to one inode: POSIX says do nothing.
            }
            if (source.isDirectory() && isAncestorOrSelf(source.ino, toParent)) {
                throw new StoreException(Kind.INVALID, "cannot move directory '" + display(fromName) + "' into itself");
            }
            long now = now();
            Inode replaced = replacedIno == 0 ? null : inode(replacedIno);
            if (replaced != null) {
                if (source.isDirectory() && !replaced.isDirectory()) {
                    throw new StoreException(Kind.NOT_DIRECTORY, "'" + display(toName) + "' is not a directory");
                }
                if (!source.isDirectory() && replaced.isDirectory()) {
                    throw new StoreException(Kind.IS_DIRECTORY, "'" + display(toName) + "' is a directory");
                }
                if (replaced.isDirectory() && !isEmpty(replaced.ino)) {
                    throw new StoreException(Kind.NOT_EMPTY, "directory '" + display(toName) + "' is not empty");
                }
            }
            versions.remove(batch, store.dirents, Versions.DIRENTS, Keys.namedKey(fromParent, fromName));
            putEntry(batch, toParent, toName, source);
            Inode fromDir = fromParent == toParent ? toDir : directory(fromParent);
            if (replaced != null) {
                if (replaced.isDirectory()) {
                    toDir.nlink--;
                    purge(batch, replaced.ino);
                } else {
                    dropLink(batch, replaced, BORN_UNKNOWN, now, isOpen);
                }
            }
            if (source.isDirectory() && fromParent != toParent) {
                fromDir.nlink--;
                toDir.nlink++;
            }
            source.parent = toParent;
            source.name = toName;
            source.ctimeNanos = now;
            putInode(batch, source);
            fromDir.mtimeNanos = fromDir.ctimeNanos = now;
            toDir.mtimeNanos = toDir.ctimeNanos = now;
            putInode(batch, fromDir);
            if (toDir != fromDir) {
                putInode(batch, toDir);
            }
            store.write(batch, false);
            return replaced;
        } catch (RocksDBException e) {
            throw io("renaming '" + display(fromName) + "'", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Changes attributes of {@code ino}: {@code change} edits a copy, which is then stored with a
     * new ctime. Use {@link FileData#truncate} to change a size.
     *
     * @return the inode as stored
     */
    public Inode update(long ino, Consumer<Inode> change) {
        lock.lock();
        try (WriteBatch batch = new WriteBatch()) {
            Inode inode = inode(ino);
            change.accept(inode);
            inode.ctimeNanos = now();
            putInode(batch, inode);
            store.write(batch, false);
            return inode;
        } catch (RocksDBException e) {
            throw io("updating inode " + ino, e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The value of xattr {@code name} of {@code ino}.
     *
     * @throws StoreException NO_ATTRIBUTE when it has none
     */
    public byte[] getXattr(long ino, byte[] name) {
        return live.getXattr(ino, name);
    }

    /** The names of the xattrs of {@code ino}, in byte order. */
    public List<byte[]> listXattrs(long ino) {
        return live.listXattrs(ino);
    }

    /**
     * Sets xattr {@code name}; {@code flags} may hold {@link #XATTR_CREATE} (fail with EXISTS if
     * present) or {@link #XATTR_REPLACE} (fail with NO_ATTRIBUTE if absent).
     */
    public void setXattr(long ino, byte[] name, byte[] value, int flags) {
        lock.lock();
        try (WriteBatch batch = new WriteBatch()) {
            Inode inode = inode(ino);
            byte[] key = Keys.namedKey(ino, name);
            boolean present = versions.get(store.xattrs, key, store.currentEpoch()) != null;
            if ((flags & XATTR_CREATE) != 0 && present) {
                throw new StoreException(Kind.EXISTS, "attribute '" + display(name) + "' already exists");
            }
            if ((flags & XATTR_REPLACE) != 0 && !present) {
                throw new StoreException(Kind.NO_ATTRIBUTE, "no attribute '" + display(name) + "'");
            }
            byte[] stored = new byte[value.length + 1];
            stored[0] = XATTR_PRESENT;
            System.arraycopy(value, 0, stored, 1, value.length);
            versions.put(batch, store.xattrs, Versions.XATTRS, key, stored);
            inode.ctimeNanos = now();
            putInode(batch, inode);
            store.write(batch, false);
        } catch (RocksDBException e) {
            throw io("setting attribute '" + display(name) + "'", e);
        } finally {
            lock.unlock();
        }
    }

    /** Removes xattr {@code name}; NO_ATTRIBUTE when absent. */
    public void removeXattr(long ino, byte[] name) {
        lock.lock();
        try (WriteBatch batch = new WriteBatch()) {
            Inode inode = inode(ino);
            byte[] key = Keys.namedKey(ino, name);
            if (versions.get(store.xattrs, key, store.currentEpoch()) == null) {
                throw new StoreException(Kind.NO_ATTRIBUTE, "no attribute '" + display(name) + "'");
            }
            versions.remove(batch, store.xattrs, Versions.XATTRS, key);
            inode.ctimeNanos = now();
            putInode(batch, inode);
            store.write(batch, false);
        } catch (RocksDBException e) {
            throw io("removing attribute '" + display(name) + "'", e);
        } finally {
            lock.unlock();
        }
    }

    /** Frees an orphan (an unlinked inode that was still open) once its last user is gone. */
    public void releaseOrphan(long ino) {
        lock.lock();
        try (WriteBatch batch = new WriteBatch()) {
            Inode inode = inodeOrNull(ino);
            if (inode != null && inode.nlink == 0) {
                purge(batch, ino);
            }
            batch.delete(store.meta, orphanKey(ino));
            store.write(batch, false);
        } catch (RocksDBException e) {
            throw io("freeing orphan inode " + ino, e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Frees every orphan left by a crash or an unclean unmount; called when a store is mounted.
     *
     * @return how many were freed
     */
    public int releaseAllOrphans() {
        List<Long> orphans = orphans();
        for (long ino : orphans) {
            releaseOrphan(ino);
        }
        return orphans.size();
    }

    List<Long> orphans() {
        List<Long> orphans = new ArrayList<>();
        try (RocksIterator it = store.db().newIterator(store.meta, store.readOptions)) {
            for (it.seek(ORPHAN_PREFIX); it.isValid() && Keys.startsWith(it.key(), ORPHAN_PREFIX); it.next()) {
                orphans.add(Keys.getLong(it.key(), ORPHAN_PREFIX.length));
            }
        }
        return orphans;
    }

    private static byte[] orphanKey(long ino) {
        return ByteBuffer.allocate(ORPHAN_PREFIX.length + Keys.LONG).put(ORPHAN_PREFIX).putLong(ino).array();
    }

    /** For {@link #dropLink} and {@link #purge}: when the inode's stored version was born is not known (a seek finds out). */
    private static final long BORN_UNKNOWN = Long.MAX_VALUE;

    /** Drops one link of {@code target}, whose stored version was born in epoch {@code born} (or {@link #BORN_UNKNOWN}). */
    private void dropLink(WriteBatch batch, Inode target, long born, long now, LongPredicate isOpen) throws RocksDBException {
        target.nlink--;
        target.ctimeNanos = now;
        if (target.nlink > 0) {
            putInode(batch, target);
        } else if (isOpen.test(target.ino)) {
            putInode(batch, target);
            batch.put(store.meta, orphanKey(target.ino), Versions.TOMBSTONE);
        } else {
            purge(batch, target.ino, target, born);
        }
    }

    /** Adds to {@code batch} the removal of an inode with all its blocks and xattrs. */
    void purge(WriteBatch batch, long ino) {
        Versions.Newest stored = versions.newest(store.inodes, Keys.inodePrefix(ino), store.currentEpoch());
        if (stored == null) {
            purge(batch, ino, null, BORN_UNKNOWN);
        } else {
            purge(batch, ino, Inode.decode(ino, stored.value()), stored.born());
        }
    }

    /** As {@link #purge(WriteBatch, long)}, the inode read already ({@code inode}, null if none) and born in {@code born}. */
    private void purge(WriteBatch batch, long ino, Inode inode, long born) {
        if (inode == null || inode.storedBlocks > 0 || store.currentEpoch() != Store.FIRST_EPOCH) {
            // Only a file that never stored a block, in a store without older epochs, has none to scan for.
            store.data().removeBlocksFrom(batch, ino, 0);
        }
        byte[] xattrs = Keys.namedPrefix(ino);
        versions.scanForRemoval(store.xattrs, xattrs, xattrs, (prefix, olderLive, current) ->
                versions.remove(batch, store.xattrs, Versions.XATTRS, prefix, olderLive));
        if (inode == null) {
            versions.remove(batch, store.inodes, Versions.INODES, Keys.inodePrefix(ino));
        } else {
            versions.removeNewest(batch, store.inodes, Versions.INODES, Keys.inodePrefix(ino), born);
        }
    }

    void putInode(WriteBatch batch, Inode inode) {
        versions.put(batch, store.inodes, Versions.INODES, Keys.inodePrefix(inode.ino), inode.encode());
    }

    private void putEntry(WriteBatch batch, long parent, byte[] name, Inode child) {
        byte[] value = new byte[Keys.LONG + 1];
        Keys.putLong(value, 0, child.ino);
        value[Keys.LONG] = (byte) ((child.mode & Inode.S_IFMT) >>> 12);
        versions.put(batch, store.dirents, Versions.DIRENTS, Keys.namedKey(parent, name), value);
    }

    private boolean isEmpty(long dir) {
        boolean[] empty = {true};
        versions.scan(store.dirents, Keys.namedPrefix(dir), null, store.currentEpoch(), (prefix, value) -> {
            empty[0] = false;
            return false;
        });
        return empty[0];
    }

    /** True when {@code dir} is {@code ancestor} or lies somewhere below it. */
    private boolean isAncestorOrSelf(long ancestor, long dir) {
        long current = dir;
        for (int depth = 0; depth < 100_000; depth++) {
            if (current == ancestor) {
                return true;
            }
            if (current == Store.ROOT_INO) {
                return false;
            }
            current = inode(current).parent;
        }
        throw new StoreException(Kind.CORRUPT, "directory parent chain from inode " + dir + " does not reach the root");
    }

    private Inode directory(long ino) {
        Inode dir = inode(ino);
        if (!dir.isDirectory()) {
            throw new StoreException(Kind.NOT_DIRECTORY, "inode " + ino + " is not a directory");
        }
        return dir;
    }

    private Inode existing(long parent, byte[] name) {
        return existingVersions(find(parent, name)).inode();
    }

    /** An entry's inode, with the epochs the entry and the inode's stored version were born in. */
    private record Existing(Inode inode, long entryBorn, long inodeBorn) {
    }

    /** The inode {@code found} names, as {@link #existing}, with when its versions were born. */
    private Existing existingVersions(Found found) {
        if (found.entry() == null) {
            throw new StoreException(Kind.NOT_FOUND, "'" + display(found.name()) + "' does not exist");
        }
        long ino = found.entry().ino();
        Versions.Newest stored = versions.newest(store.inodes, Keys.inodePrefix(ino), store.currentEpoch());
        if (stored == null) {
            throw new StoreException(Kind.NOT_FOUND, "inode " + ino + " does not exist");
        }
        return new Existing(Inode.decode(ino, stored.value()), found.born(), stored.born());
    }

    public static void checkName(byte[] name) {
        if (name.length == 0) {
            throw new StoreException(Kind.NOT_FOUND, "empty file name");
        }
        if (name.length > NAME_MAX) {
            throw new StoreException(Kind.NAME_TOO_LONG, "name of " + name.length + " bytes is longer than " + NAME_MAX);
        }
        for (byte b : name) {
            if (b == '/' || b == 0) {
                throw new StoreException(Kind.INVALID, "a name may not contain '/' or NUL");
            }
        }
    }

    static long now() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    static String display(byte[] name) {
        return new String(name, StandardCharsets.UTF_8);
    }

    private static StoreException io(String what, RocksDBException e) {
        return new StoreException(Kind.IO, what + ": " + e.getMessage(), e);
    }
}
