package io.locusfs.replicate;

import com.github.luben.zstd.Zstd;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * The blocks of an object-store mirror (BUCKET.md, "Packs" and "Index"): each block of file data
 * is stored once, under its keyed content hash, compressed and encrypted on its own, in packs of
 * about {@link #PACK_BYTES}; each pack's index (which block is where in it) is a small object of
 * its own, written right after the pack, so a pack uploaded before a kill is found and its blocks
 * not sent again. Uploads run on a few threads while the stream is read. Thread-safe.
 */
final class BucketPacks implements AutoCloseable {
    static final String PACKS = "packs/";
    static final String INDEX = "index/";
    /** A pack is sent when it holds this much: large enough for few requests, small enough to resume close to a kill. */
    static final int PACK_BYTES = 16 << 20;
    private static final int UPLOADS = 3;
    private static final int ID_BYTES = 32;

    /** Where a block is: {@code length} bytes at {@code offset} of pack {@code pack}, encrypted with key {@code key}. */
    record Location(String pack, int offset, int length, String key) {
    }

    private final BucketObjects objects;
    private final Map<String, Location> index = new ConcurrentHashMap<>();
    private final Set<String> indexesRead = ConcurrentHashMap.newKeySet();
    private final ExecutorService uploads = Executors.newFixedThreadPool(UPLOADS, r -> {
        Thread t = new Thread(r, "bucket-upload");
        t.setDaemon(true);
        return t;
    });
    private final Semaphore inFlight = new Semaphore(UPLOADS);

    /** The pack being filled, and the blocks in it or in packs not yet uploaded (not sent twice). */
    private ByteArrayOutputStream pack = new ByteArrayOutputStream();
    private Map<String, int[]> packed = new LinkedHashMap<>();
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private final List<Future<?>> sent = new ArrayList<>();
    private long bytesUploaded;

    BucketPacks(BucketObjects objects) {
        this.objects = objects;
    }

    /** Reads the indexes of the packs uploaded since the last look (by this or an earlier process). */
    void refresh(BucketKeys keys) throws IOException {
        List<String> unread = new ArrayList<>();
        for (String key : objects.list(INDEX).keySet()) {
            if (!indexesRead.contains(key)) {
                unread.add(key);
            }
        }
        // A cold link reads every index: a few at once, not one round trip after another.
        for (Map.Entry<String, byte[]> read : objects.getAll(unread).entrySet()) {
            String key = read.getKey();
            String pack = key.substring(INDEX.length());
            byte[] sealed = read.getValue();
            byte[] plain;
            String sealedWith = BucketKeys.keyOf(sealed); // a pack and its index are sealed with the same key
            try {
                plain = decompress(keys.open(sealed, key));
            } catch (StreamException e) {
                continue; // a revoked key's pack: its blocks are unreadable, so not known
            }
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(plain));
            int count = in.readInt();
            byte[] id = new byte[ID_BYTES];
            for (int i = 0; i < count; i++) {
                in.readFully(id);
                index.put(HexFormat.of().formatHex(id), new Location(pack, in.readInt(), in.readInt(), sealedWith));
            }
            indexesRead.add(key);
        }
    }

    boolean holds(String block) {
        return index.containsKey(block) || pending.contains(block);
    }

    Location find(String block) {
        return index.get(block);
    }

    /** Forgets the blocks of {@code deleted} packs (collected). */
    void forget(Set<String> deleted) {
        index.values().removeIf(at -> deleted.contains(at.pack()));
        indexesRead.removeIf(key -> deleted.contains(key.substring(INDEX.length())));
    }

    /** The keys the packs holding {@code blocks} are encrypted with (the blocks must all be indexed). */
    Set<String> keysOf(Iterable<String> blocks) throws StreamException {
        Set<String> keys = new java.util.TreeSet<>();
        for (String block : blocks) {
            Location at = index.get(block);
            if (at == null) {
                throw new StreamException("block " + block + " is in no pack the bucket's indexes list");
            }
            keys.add(at.key());
        }
        return keys;
    }

    /** Stores {@code length} bytes of {@code data} as block {@code id}, unless the bucket holds it already. */
    synchronized void add(BucketKeys keys, String id, byte[] data, int length) throws IOException {
        if (holds(id)) {
            return;
        }
        byte[] compressed = Zstd.compress(java.util.Arrays.copyOf(data, length), 3);
        byte[] plain;
        if (compressed.length + 1 < length) {
            plain = new byte[compressed.length + 1];
            plain[0] = 1;
            System.arraycopy(compressed, 0, plain, 1, compressed.length);
        } else {
            plain = new byte[length + 1];
            System.arraycopy(data, 0, plain, 1, length);
        }
        byte[] sealed = keys.seal(plain, 0, plain.length, blockContext(id));
        packed.put(id, new int[]{pack.size(), sealed.length});
        pending.add(id);
        pack.writeBytes(sealed);
        if (pack.size() >= PACK_BYTES) {
            ship(keys);
        }
    }

    /** Sends the pack being filled, if it holds anything, on an upload thread. */
    private void ship(BucketKeys keys) throws IOException {
        if (packed.isEmpty()) {
            return;
        }
        byte[] bytes = pack.toByteArray();
        Map<String, int[]> blocks = packed;
        pack = new ByteArrayOutputStream();
        packed = new LinkedHashMap<>();
        try {
            inFlight.acquire(); // at most UPLOADS packs in memory waiting
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        sent.add(uploads.submit(() -> {
            try {
                String id = sha256(bytes);
                objects.put(PACKS + id, bytes);
                ByteArrayOutputStream listing = new ByteArrayOutputStream();
                DataOutputStream out = new DataOutputStream(listing);
                out.writeInt(blocks.size());
                for (Map.Entry<String, int[]> b : blocks.entrySet()) {
                    out.write(HexFormat.of().parseHex(b.getKey()));
                    out.writeInt(b.getValue()[0]);
                    out.writeInt(b.getValue()[1]);
                }
                byte[] plain = listing.toByteArray();
                byte[] compressed = Zstd.compress(plain, 3);
                objects.put(INDEX + id, keys.seal(compressed, 0, compressed.length, INDEX + id));
                for (Map.Entry<String, int[]> b : blocks.entrySet()) {
                    index.put(b.getKey(), new Location(id, b.getValue()[0], b.getValue()[1], keys.active()));
                }
                indexesRead.add(INDEX + id);
                synchronized (this) {
                    bytesUploaded += bytes.length;
                }
                return null;
            } finally {
                pending.removeAll(blocks.keySet());
                inFlight.release();
            }
        }));
    }

    /**
     * Sends what is left and waits for every upload.
     *
     * @return the bytes of packs uploaded since the last call
     * @throws IOException the first upload's failure
     */
    long finish(BucketKeys keys) throws IOException {
        List<Future<?>> waiting;
        synchronized (this) {
            ship(keys);
            waiting = new ArrayList<>(sent);
            sent.clear();
        }
        IOException failure = null;
        for (Future<?> f : waiting) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof IOException io ? io : new IOException(String.valueOf(e.getCause().getMessage()), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the packs were uploading");
            }
        }
        if (failure != null) {
            throw failure;
        }
        synchronized (this) {
            long n = bytesUploaded;
            bytesUploaded = 0;
            return n;
        }
    }

    /** Drops the pack being filled and what waits to upload (a send that failed). */
    synchronized void discard() {
        for (Future<?> f : sent) {
            f.cancel(true);
        }
        sent.clear();
        pending.removeAll(packed.keySet());
        pack = new ByteArrayOutputStream();
        packed = new LinkedHashMap<>();
    }

    /** Reads block {@code id}, checked by its authentication tag. */
    byte[] read(BucketKeys keys, String id) throws IOException {
        Location at = index.get(id);
        if (at == null) {
            throw new StreamException("block " + id + " is in no pack the bucket's indexes list (deleted, or its key revoked)");
        }
        return open(keys, id, objects.range(PACKS + at.pack(), at.offset(), at.length()));
    }

    /** A block's plaintext from its sealed bytes. */
    private static byte[] open(BucketKeys keys, String id, byte[] sealed) throws IOException {
        byte[] plain = keys.open(sealed, blockContext(id));
        if (plain.length == 0) {
            throw new StreamException("block " + id + " is empty (corrupt)");
        }
        if (plain[0] == 0) {
            return java.util.Arrays.copyOfRange(plain, 1, plain.length);
        }
        return decompress(java.util.Arrays.copyOfRange(plain, 1, plain.length));
    }

    /** How many packs a {@link Reading} fetches ahead of the one being read, and holds at most (the heap is 256 MiB). */
    private static final int PACKS_AHEAD = 1;
    private static final int PACKS_HELD = 4;

    /**
     * Reads blocks in an order known beforehand (a restore's stream): each pack whole, in one GET,
     * {@link #PACKS_AHEAD} pack ahead of the one being read, on a thread of its own, and held until
     * the stream has read every block it needs from it (a snapshot made by later uploads reads
     * from an old pack and a new one by turns). At most {@link #PACKS_HELD} packs are held; a block
     * whose pack is not is read alone.
     */
    final class Reading implements AutoCloseable {
        private final BucketKeys keys;
        private final List<String> order = new ArrayList<>();
        private final Map<String, Integer> position = new java.util.HashMap<>();
        private final Map<String, Integer> uses = new java.util.HashMap<>();
        private final Map<String, java.util.concurrent.CompletableFuture<byte[]>> loaded = new ConcurrentHashMap<>();
        private final ExecutorService fetchers = Executors.newFixedThreadPool(PACKS_AHEAD, r -> {
            Thread t = new Thread(r, "bucket-read");
            t.setDaemon(true);
            return t;
        });
        private int at = -1;

        Reading(BucketKeys keys, Iterable<String> blocks) {
            this.keys = keys;
            for (String block : blocks) {
                Location l = index.get(block);
                if (l == null) {
                    continue;
                }
                uses.merge(l.pack(), 1, Integer::sum);
                if (!position.containsKey(l.pack())) {
                    position.put(l.pack(), order.size());
                    order.add(l.pack());
                }
            }
            advance(0);
        }

        /** Starts the fetches of the packs from {@code next} to PACKS_AHEAD after it, as far as PACKS_HELD allows. */
        private synchronized void advance(int next) {
            if (next <= at) {
                return;
            }
            at = next;
            for (int i = next; i <= Math.min(order.size() - 1, next + PACKS_AHEAD) && loaded.size() < PACKS_HELD; i++) {
                String pack = order.get(i);
                if (uses.getOrDefault(pack, 0) == 0) {
                    continue;
                }
                loaded.computeIfAbsent(pack, p -> java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return objects.get(PACKS + p).orElseThrow(() -> new java.io.UncheckedIOException(
                                new StreamException("pack " + p + " is missing from the bucket")));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, fetchers));
            }
        }

        /** One block of {@code pack} read: the pack is let go once nothing more is read from it. */
        private synchronized void used(String pack) {
            if (uses.merge(pack, -1, Integer::sum) <= 0) {
                loaded.remove(pack);
            }
        }

        byte[] block(String id) throws IOException {
            Location l = index.get(id);
            Integer i = l == null ? null : position.get(l.pack());
            if (i == null) {
                return read(keys, id);
            }
            advance(i);
            java.util.concurrent.CompletableFuture<byte[]> pack = loaded.get(l.pack());
            try {
                if (pack == null) {
                    return read(keys, id); // more packs held than allowed
                }
                byte[] whole;
                try {
                    whole = pack.join();
                } catch (java.util.concurrent.CompletionException e) {
                    throw e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause()
                            : new IOException(e.getCause().getMessage(), e.getCause());
                }
                if (whole.length < (long) l.offset() + l.length()) {
                    throw new StreamException("pack " + l.pack() + " is shorter than its index says (block " + id + ")");
                }
                return open(keys, id, java.util.Arrays.copyOfRange(whole, l.offset(), l.offset() + l.length()));
            } finally {
                used(l.pack());
            }
        }

        @Override
        public void close() {
            fetchers.shutdownNow();
            loaded.clear();
        }
    }

    static String blockContext(String id) {
        return "block " + id;
    }

    static byte[] decompress(byte[] compressed) throws StreamException {
        long size = Zstd.getFrameContentSize(compressed);
        if (size < 0 || size > (1L << 30)) {
            throw new StreamException("a compressed object declares an impossible size (" + size + " bytes)");
        }
        try {
            return Zstd.decompress(compressed, (int) size);
        } catch (RuntimeException e) {
            throw new StreamException("a compressed object does not decompress: " + e.getMessage());
        }
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(Crypto.sha256().digest(bytes));
    }

    @Override
    public void close() {
        uploads.shutdownNow();
    }
}
