package io.locusfs.replicate;

import io.locusfs.store.Inode;
import io.locusfs.store.Store;
import io.locusfs.store.Tree;
import io.locusfs.store.View;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Reads ahead, on a few threads, what applying an incremental stream's records will read: for
 * each path a REMOVE or NODE record names, its directory entry, the inode it names, that inode's
 * xattrs and block list. Applying a record reads these one after another, each a random read of
 * the store's table files, which on a mirror whose page cache holds little of them is mostly
 * waiting for the disk (a few hundred µs a file); read ahead in parallel, the applying thread
 * finds them in memory. Only reads, so what it finds never decides anything: a path changed by
 * an earlier record of the stream is merely read for nothing.
 */
final class ReadAhead implements AutoCloseable {
    /** Reads mostly wait for the disk: more threads than cores keep more reads in flight. */
    private static final int THREADS = 4;

    private final View live;
    private final Store store;
    private final ExecutorService pool;
    /** Directories by path, as the readers found them (a stale one only costs a useless read). */
    private final Map<String, Long> directories = new ConcurrentHashMap<>();

    ReadAhead(Store store) {
        this.store = store;
        this.live = store.tree().live();
        this.pool = Executors.newFixedThreadPool(THREADS, runnable -> {
            Thread thread = new Thread(runnable, "read-ahead");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Decodes the records of {@code payload}, starts reading ahead for them, and returns them to
     * be applied in order ({@link Frame#applyTo}).
     */
    Frame frame(byte[] payload, long index) throws IOException {
        Frame frame = new Frame();
        Records.read(payload, index, frame);
        for (String path : frame.paths) {
            pool.execute(() -> read(path));
        }
        return frame;
    }

    private void read(String path) {
        try {
            int slash = path.lastIndexOf('/');
            long dir = slash < 0 ? Store.ROOT_INO : directory(path.substring(0, slash));
            if (dir == 0) {
                return;
            }
            Tree.Entry entry = live.entry(dir, path.substring(slash + 1).getBytes(StandardCharsets.UTF_8));
            if (entry == null || entry.isDirectory()) {
                return;
            }
            Inode inode = live.inodeOrNull(entry.ino());
            if (inode != null) {
                live.listXattrs(entry.ino());
                store.data().storedBlocks(entry.ino());
            }
        } catch (RuntimeException e) {
            // Only a read ahead: whatever failed here, applying the record meets it again and says so.
        }
    }

    /** The inode of directory {@code path} (relative to the root), or 0. */
    private long directory(String path) {
        Long known = directories.get(path);
        if (known != null) {
            return known;
        }
        long ino = Store.ROOT_INO;
        for (String component : path.split("/")) {
            ino = live.lookup(ino, component.getBytes(StandardCharsets.UTF_8));
            if (ino == 0) {
                return 0;
            }
        }
        directories.put(path, ino);
        return ino;
    }

    /** Drops the reads not begun and waits for those under way: the store may be closed next. */
    @Override
    public void close() {
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("reads ahead of a receive did not stop within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A frame's records, decoded, in order, with the paths to read ahead for. */
    static final class Frame implements Records.Visitor {
        private interface Step {
            void applyTo(Records.Visitor visitor) throws IOException;
        }

        private final List<Step> steps = new ArrayList<>();
        private final List<String> paths = new ArrayList<>();

        /** Hands the records to {@code visitor} in the order the frame holds them. */
        void applyTo(Records.Visitor visitor) throws IOException {
            for (Step step : steps) {
                step.applyTo(visitor);
            }
        }

        @Override
        public void remove(String path) {
            steps.add(visitor -> visitor.remove(path));
            paths.add(path);
        }

        @Override
        public void node(Records.NodeRecord record) {
            steps.add(visitor -> visitor.node(record));
            paths.add(record.node().path());
        }

        @Override
        public void rename(String from, String to) {
            steps.add(visitor -> visitor.rename(from, to));
        }

        @Override
        public void data(Records.Data data) {
            steps.add(visitor -> visitor.data(data));
        }

        @Override
        public void times(Records.Times times) {
            steps.add(visitor -> visitor.times(times));
        }
    }
}
