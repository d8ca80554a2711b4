package io.locusfs.fuse;

import io.locusfs.store.FileData;
import io.locusfs.store.Inode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongFunction;

/**
 * Which regular files are open, by inode, each with its shared {@link OpenFile} and a count of
 * open descriptors. Thread-safe.
 */
final class OpenFiles {
    private final ConcurrentHashMap<Long, OpenFile> byIno = new ConcurrentHashMap<>();
    private final FileData data;
    private final LongFunction<Inode> inodes;
    private final BlockPool pool;
    /** Background commits of all open files; two threads match the two write paths RocksDB overlaps well. */
    private final ExecutorService committer = Executors.newFixedThreadPool(2, runnable -> {
        Thread t = new Thread(runnable, "locusfs-commit");
        t.setDaemon(true);
        return t;
    });

    OpenFiles(FileData data, LongFunction<Inode> inodes) {
        this.data = data;
        this.inodes = inodes;
        this.pool = new BlockPool(data.blockSize(), 4 * OpenFile.commitBlocks(data.blockSize()));
    }

    /**
     * Registers one more descriptor of {@code ino}. The first one reads the inode inside the
     * map's lock, so it sees everything the previous (just released) descriptor committed.
     */
    OpenFile acquire(long ino, boolean writable) {
        OpenFile opened = byIno.compute(ino, (key, open) -> {
            OpenFile file = open != null ? open : new OpenFile(inodes.apply(key), data, pool, committer);
            file.handles++;
            return file;
        });
        if (writable) {
            opened.addWriter(); // Outside the map's lock: it may wait for blocks offered to the kernel.
        }
        return opened;
    }

    /** How many files have a descriptor open for writing. */
    int openForWriting() {
        return (int) byIno.values().stream().filter(OpenFile::hasWriters).count();
    }

    /** The inodes that have a descriptor open for writing. */
    List<Long> writableInodes() {
        return byIno.values().stream().filter(OpenFile::hasWriters).map(f -> f.ino).toList();
    }

    /** After the tree changed under the open files (a forced rollback), each reads its inode again. */
    void reloadAll(LongFunction<Inode> inodeOrNull) {
        for (OpenFile file : byIno.values()) {
            Inode inode = inodeOrNull.apply(file.ino);
            if (inode != null) {
                file.reload(inode);
            }
        }
    }

    /** The open file of {@code ino}, or null when no descriptor has it open. */
    OpenFile get(long ino) {
        return byIno.get(ino);
    }

    boolean isOpen(long ino) {
        return byIno.containsKey(ino);
    }

    /**
     * Drops one descriptor of {@code ino}; the last one commits the buffered data.
     *
     * @return true when that was the last descriptor
     */
    boolean release(long ino, boolean writable) {
        OpenFile file = byIno.get(ino);
        if (file == null) {
            return false;
        }
        file.commit();
        if (writable) {
            file.removeWriter();
        }
        file.awaitShares(); // A block offered after the last descriptor went could land over a new writer's pages.
        boolean[] last = {false};
        byIno.computeIfPresent(ino, (key, open) -> {
            open.handles--;
            last[0] = open.handles <= 0;
            return last[0] ? null : open;
        });
        return last[0];
    }

    /** Commits every open file's buffers (before fsync of the whole store and at unmount). */
    void commitAll() {
        List<OpenFile> files = new ArrayList<>(byIno.values());
        for (OpenFile file : files) {
            file.commit();
        }
    }
}
