package io.locusfs.store;

import io.locusfs.xattr.Location;
import io.locusfs.xattr.LocationRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.MutableColumnFamilyOptions;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBufferManager;
import org.rocksdb.WriteOptions;

/**
 * A LocusFS store: one RocksDB database in {@code STORE/db} holding inodes, directory entries,
 * blocks and xattrs, every record keyed with the epoch it was born in (see FORMAT.md). A Store is
 * safe for concurrent use; operations that change the namespace are serialised by {@link Tree}.
 * Only one process may open a store at a time (RocksDB's own lock enforces it).
 */
public final class Store implements AutoCloseable {
    /**
     * The newest store format this code reads and writes. 2: inode records carry a name hint and
     * the meta family holds snapshot records. 3: a block version may be a base and patches (the
     * {@code patches} family, {@link Blocks}). An older store is upgraded in place when first
     * opened for writing, in O(1): its records stay readable as they are (a format-2 block is a
     * version without patches), the new family is created empty, and the marker is rewritten so
     * that older code refuses the store rather than misread its patched blocks.
     */
    public static final int FORMAT_VERSION = 3;
    public static final long ROOT_INO = 1;
    /** The epoch of a new store; until the first snapshot ends it, no older versions exist. */
    static final long FIRST_EPOCH = 1;
    public static final String MARKER_FILE = "LOCUSFS";
    /**
     * Written by the process that holds the store open for long (the mount daemon): its pid on the
     * first line, its mount point on the second. Read here only to say who holds a busy store.
     */
    public static final String HOLDER_FILE = "locusfs.pid";

    static final String CF_INODES = "inodes";
    static final String CF_DIRENTS = "dirents";
    static final String CF_BLOCKS = "blocks";
    static final String CF_XATTRS = "xattrs";
    static final String CF_BIRTHS = "births";
    static final String CF_BLOCKMAP = "blockmap";
    static final String CF_PATCHES = "patches";

    static final byte[] META_FORMAT = bytes("format");
    static final byte[] META_EPOCH = bytes("epoch");
    static final byte[] META_NEXT_INO = bytes("next-ino");
    static final byte[] META_LOCATION = bytes("location");
    static final byte[] META_CREATED = bytes("created");
    static final byte[] META_BLOCK_SIZE = bytes("block-size");
    static final byte[] META_STORE_ID = bytes("store-id");
    static final byte[] META_LOCATION_RECORD = bytes("location-record");
    static final byte[] META_HISTORY_PREFIX = bytes("location-history/");
    static final byte[] META_HISTORY_INO_PREFIX = bytes("location-history-ino/");

    /** Data block size: matches the 128 KiB FUSE writes so a sequential write needs no read. */
    public static final int DEFAULT_BLOCK_SIZE = 128 * 1024;

    private final Path path;
    private final RocksDB db;
    private final List<ColumnFamilyHandle> handles;
    private final List<AutoCloseable> nativeResources = new ArrayList<>();
    final ColumnFamilyHandle meta;
    final ColumnFamilyHandle inodes;
    final ColumnFamilyHandle dirents;
    final ColumnFamilyHandle blocks;
    final ColumnFamilyHandle xattrs;
    final ColumnFamilyHandle births;
    final ColumnFamilyHandle blockmap;
    /** Patches of block versions ({@link Blocks}); null in a format-2 store opened read-only, which has none. */
    final ColumnFamilyHandle patches;
    private final WriteOptions logged;
    private final WriteOptions logless;
    final ReadOptions readOptions;
    private final int blockSize;
    private final boolean readOnly;
    private volatile long epoch;
    /** Opened for bulk writes ({@link StoreOptions#bulk}): memtables flush atomically, so writes may skip the log. */
    private final boolean bulk;
    /**
     * Writes skip the write-ahead log now; they are durable at a sync, which flushes the memtables.
     * A bulk store's default; {@link #writeLog} changes it.
     */
    private volatile boolean noLog;
    /** Held shared by each write and exclusively while {@link #writeLog} switches: no write straddles a switch. */
    private final ReentrantReadWriteLock logSwitch = new ReentrantReadWriteLock();
    /**
     * Held shared by every writer that builds a batch outside the tree lock (data commits) and
     * exclusively while the epoch changes, so no batch is built in one epoch and written in the next.
     */
    final ReentrantReadWriteLock epochLock = new ReentrantReadWriteLock();
    private Snapshots snapshots;
    private final Versions versions;
    private final Tree tree;
    private final FileData data;
    private final Blocks blockVersions;

    static {
        HardwareCrc32c.install(); // before RocksDB's library, so that its CRC32C calls bind to it
        RocksDB.loadLibrary();
    }

    private Store(Path path, StoreOptions options) throws RocksDBException {
        this.path = path;
        this.readOnly = options.readOnly();
        this.bulk = options.bulk();
        // Memtables are charged to the cache, so it holds them and options.blockCacheBytes() of blocks.
        LRUCache cache = track(new LRUCache(options.blockCacheBytes() + options.memtableBytes()));
        WriteBufferManager writeBuffers = track(new WriteBufferManager(options.memtableBytes(), cache));
        DBOptions dbOptions = track(new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setWriteBufferManager(writeBuffers)
                .setMaxBackgroundJobs(2)
                .setBytesPerSync(1 << 20)
                .setKeepLogFileNum(5)
                .setAtomicFlush(options.bulk())
                // Files are stored in key order, so reading one (or sending a snapshot) reads table and
                // blob files forward: let the kernel read ahead (RocksDB's default advises random access).
                .setAdviseRandomOnOpen(false)
                .setInfoLogLevel(InfoLogLevel.WARN_LEVEL));
        BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(cache)
                .setFilterPolicy(track(new BloomFilter(10)))
                .setCacheIndexAndFilterBlocks(true);
        ColumnFamilyOptions metadataOptions = track(new ColumnFamilyOptions()
                .setTableFormatConfig(table)
                .setWriteBufferSize(32 << 20)
                .setCompressionType(CompressionType.LZ4_COMPRESSION));
        // Block values go to blob files: they stay out of the LSM tree, so compaction moves keys only.
        // Values under a page stay in the table (a blob would cost them a second read); with the
        // threshold at 16 KiB most small files' data sat in the tree, and every compaction of
        // 'blocks' rewrote it (hundreds of MB for a 1% change of a 2 GiB store).
        // No blob garbage collection in the background: it relocates every live blob of the oldest
        // quarter of the blob files that a compaction meets, work in proportion to the store, not
        // to the change. Blob files whose blocks are all dropped are deleted by any compaction;
        // the rest is collected by compact(), after a snapshot is deleted.
        ColumnFamilyOptions blockOptions = track(new ColumnFamilyOptions()
                .setTableFormatConfig(table)
                .setWriteBufferSize(64 << 20)
                .setMaxWriteBufferNumber(3)
                .setCompressionType(CompressionType.NO_COMPRESSION)
                .setEnableBlobFiles(true)
                .setMinBlobSize(4096)
                .setBlobFileSize(256L << 20)
                .setEnableBlobGarbageCollection(false));
        // Patches are small values read together with their block: they stay in the table, where one
        // seek reads them all (in blob files each would be a read of its own).
        ColumnFamilyOptions patchOptions = track(new ColumnFamilyOptions()
                .setTableFormatConfig(table)
                .setWriteBufferSize(64 << 20)
                .setCompressionType(CompressionType.NO_COMPRESSION));
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>(List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, metadataOptions),
                new ColumnFamilyDescriptor(bytes(CF_INODES), metadataOptions),
                new ColumnFamilyDescriptor(bytes(CF_DIRENTS), metadataOptions),
                new ColumnFamilyDescriptor(bytes(CF_BLOCKS), blockOptions),
                new ColumnFamilyDescriptor(bytes(CF_XATTRS), metadataOptions),
                new ColumnFamilyDescriptor(bytes(CF_BIRTHS), metadataOptions),
                new ColumnFamilyDescriptor(bytes(CF_BLOCKMAP), metadataOptions)));
        handles = new ArrayList<>();
        String dbPath = path.resolve("db").toString();
        if (!readOnly || hasFamily(dbPath, CF_PATCHES)) { // opened for writing, a format-2 store gains it
            descriptors.add(new ColumnFamilyDescriptor(bytes(CF_PATCHES), patchOptions));
        }
        db = readOnly ? RocksDB.openReadOnly(dbOptions, dbPath, descriptors, handles)
                : RocksDB.open(dbOptions, dbPath, descriptors, handles);
        meta = handles.get(0);
        inodes = handles.get(1);
        dirents = handles.get(2);
        blocks = handles.get(3);
        xattrs = handles.get(4);
        births = handles.get(5);
        blockmap = handles.get(6);
        patches = handles.size() > 7 ? handles.get(7) : null;
        logged = track(new WriteOptions());
        logless = track(new WriteOptions().setDisableWAL(true));
        noLog = bulk;
        readOptions = track(new ReadOptions());
        byte[] epochBytes = db.get(meta, META_EPOCH);
        epoch = epochBytes == null ? FIRST_EPOCH : Keys.getLong(epochBytes, 0);
        byte[] blockSizeBytes = db.get(meta, META_BLOCK_SIZE);
        blockSize = blockSizeBytes == null ? DEFAULT_BLOCK_SIZE : (int) Keys.getLong(blockSizeBytes, 0);
        versions = new Versions(this);
        tree = new Tree(this, versions);
        blockVersions = new Blocks(this, versions);
        data = new FileData(this, versions);
        snapshots = new Snapshots(this, versions);
    }

    private static boolean hasFamily(String dbPath, String family) throws RocksDBException {
        try (Options options = new Options()) {
            return RocksDB.listColumnFamilies(options, dbPath).stream().anyMatch(name -> Arrays.equals(name, bytes(family)));
        }
    }

    private <T extends AutoCloseable> T track(T resource) {
        nativeResources.add(resource);
        return resource;
    }

    /**
     * Creates a new, empty store at {@code path} (a missing or empty directory) whose data lives
     * at {@code location}, with a root directory owned by {@code uid:gid}.
     *
     * @throws StoreException EXISTS when {@code path} already holds files
     */
    public static void create(Path path, Location location, int uid, int gid) throws IOException {
        create(path, location, uid, gid, DEFAULT_BLOCK_SIZE);
    }

    /**
     * As {@link #create(Path, Location, int, int)}, with data blocks of {@code blockSize} bytes
     * (a power of two from 4 KiB to 1 MiB; fixed for the life of the store).
     */
    public static void create(Path path, Location location, int uid, int gid, int blockSize) throws IOException {
        if (blockSize < 4096 || blockSize > (1 << 20) || Integer.bitCount(blockSize) != 1) {
            throw new StoreException(StoreException.Kind.INVALID, "block size " + blockSize
                    + " must be a power of two from 4 KiB to 1 MiB");
        }
        if (Files.exists(path)) {
            if (!Files.isDirectory(path)) {
                throw new StoreException(StoreException.Kind.NOT_DIRECTORY, path + " exists and is not a directory");
            }
            if (Files.isRegularFile(path.resolve(MARKER_FILE))) {
                throw new StoreException(StoreException.Kind.EXISTS, path + " is already a LocusFS store");
            }
            try (var entries = Files.list(path)) {
                if (entries.findAny().isPresent()) {
                    throw new StoreException(StoreException.Kind.EXISTS, path + " is not empty; a store needs an empty or missing directory");
                }
            }
        }
        Files.createDirectories(path);
        try (Store store = new Store(path, StoreOptions.defaults());
             WriteBatch batch = new WriteBatch()) {
            long now = System.currentTimeMillis() * 1_000_000L;
            Inode root = new Inode(ROOT_INO);
            root.mode = Inode.S_IFDIR | 0755;
            root.uid = uid;
            root.gid = gid;
            root.nlink = 2;
            root.parent = ROOT_INO;
            root.atimeNanos = root.mtimeNanos = root.ctimeNanos = now;
            store.versions.put(batch, store.inodes, Versions.INODES, Keys.inodePrefix(ROOT_INO), root.encode());
            batch.put(store.meta, META_FORMAT, longBytes(FORMAT_VERSION));
            batch.put(store.meta, META_EPOCH, longBytes(FIRST_EPOCH));
            batch.put(store.meta, META_NEXT_INO, longBytes(ROOT_INO + 1));
            batch.put(store.meta, META_BLOCK_SIZE, longBytes(blockSize));
            batch.put(store.meta, META_LOCATION, bytes(location.encode()));
            batch.put(store.meta, META_CREATED, longBytes(now));
            batch.put(store.meta, META_STORE_ID, bytes(UUID.randomUUID().toString()));
            store.write(batch, true);
        } catch (RocksDBException e) {
            throw new IOException("cannot create store at " + path + ": " + e.getMessage(), e);
        }
        // The marker goes last: a store interrupted while being created is not mistaken for one.
        Files.writeString(path.resolve(MARKER_FILE), "locusfs-store " + FORMAT_VERSION + "\n");
    }

    /**
     * Opens an existing store.
     *
     * @throws StoreException NOT_FOUND if {@code path} is not a LocusFS store, INVALID if it was
     *                        written by a newer format, BUSY if another process has it open
     */
    public static Store open(Path path, StoreOptions options) throws IOException {
        checkFormat(path);
        try {
            Store store = new Store(path, options);
            if (!options.readOnly() && readFormat(path) < FORMAT_VERSION) {
                // Older locusfs versions must now refuse this store rather than misread its new records.
                try (WriteBatch batch = new WriteBatch()) {
                    batch.put(store.meta, META_FORMAT, longBytes(FORMAT_VERSION));
                    store.write(batch, true);
                }
                Files.writeString(path.resolve(MARKER_FILE), "locusfs-store " + FORMAT_VERSION + "\n");
            }
            return store;
        } catch (RocksDBException e) {
            String message = e.getMessage() == null ? "RocksDB gave no reason" : e.getMessage();
            if (message.contains("lock")) {
                throw new StoreException(StoreException.Kind.BUSY, path + " is in use by " + holder(path), e);
            }
            throw new IOException("cannot open store " + path + ": " + message, e);
        }
    }

    /**
     * Checks that {@code path} is a store this code can read, without opening it.
     *
     * @throws StoreException NOT_FOUND if it is not a LocusFS store, INVALID if a newer format
     */
    public static void checkFormat(Path path) throws IOException {
        int format = readFormat(path);
        if (format > FORMAT_VERSION) {
            throw new StoreException(StoreException.Kind.INVALID, path + " was written by store format " + format
                    + "; this locusfs reads formats up to " + FORMAT_VERSION + " (upgrade locusfs)");
        }
    }

    /** Who holds the store, as its {@link #HOLDER_FILE} says, for the message that refuses a second opener. */
    private static String holder(Path path) {
        return mountedBy(path).orElse("another process (a mount or a mirror; 'locusfs umount' unmounts a mount)");
    }

    /**
     * "process PID, mounted at MOUNTPOINT (…)" when a live mount daemon holds the store, as its
     * {@link #HOLDER_FILE} says; empty otherwise (not mounted, or held by a mirror).
     */
    public static Optional<String> mountedBy(Path path) {
        try {
            List<String> lines = Files.readAllLines(path.resolve(HOLDER_FILE));
            long pid = Long.parseLong(lines.get(0).trim());
            if (lines.size() > 1 && ProcessHandle.of(pid).isPresent()) {
                return Optional.of("process " + pid + ", mounted at " + lines.get(1).trim()
                        + " (unmount it with 'locusfs umount " + lines.get(1).trim() + "')");
            }
        } catch (IOException | RuntimeException e) {
            // No holder file, or not one we can read: nothing known.
        }
        return Optional.empty();
    }

    /** The format version in the store's marker file. */
    static int readFormat(Path path) throws IOException {
        Path marker = path.resolve(MARKER_FILE);
        if (!Files.isRegularFile(marker)) {
            throw new StoreException(StoreException.Kind.NOT_FOUND, path + " is not a LocusFS store (no "
                    + MARKER_FILE + " file; create one with 'locusfs init')");
        }
        String text = Files.readString(marker).trim();
        String[] words = text.split(" ");
        if (words.length != 2 || !words[0].equals("locusfs-store")) {
            throw new StoreException(StoreException.Kind.NOT_FOUND, marker + " is not a LocusFS store marker");
        }
        try {
            return Integer.parseInt(words[1]);
        } catch (NumberFormatException e) {
            throw new StoreException(StoreException.Kind.NOT_FOUND, marker + " has no valid format version");
        }
    }

    public Path path() {
        return path;
    }

    public Tree tree() {
        return tree;
    }

    public FileData data() {
        return data;
    }

    public Snapshots snapshots() {
        return snapshots;
    }

    Blocks blockVersions() {
        return blockVersions;
    }

    /** Bytes the store occupies on disk (its database directory). */
    public long diskBytes() {
        try (var files = Files.walk(path.resolve("db"))) {
            return files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0; // A file RocksDB deleted while we walked.
                }
            }).sum();
        } catch (IOException | UncheckedIOException e) {
            throw new StoreException(StoreException.Kind.IO, "measuring " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Compacts every family so that versions deleted by a snapshot deletion or rollback give
     * their space back: keys are dropped, blob files whose every block was dropped are deleted,
     * and the live blocks of the oldest blob files are moved out of them (blob garbage
     * collection, on for this compaction only) so that those files go too.
     */
    public void compact() {
        try {
            for (ColumnFamilyHandle h : handles) {
                if (h != blocks) {
                    db.compactRange(h);
                }
            }
            blobGarbageCollection(true);
            try {
                db.compactRange(blocks);
            } finally {
                blobGarbageCollection(false);
            }
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "compacting " + path + ": " + e.getMessage(), e);
        }
    }

    private void blobGarbageCollection(boolean on) throws RocksDBException {
        db.setOptions(blocks, MutableColumnFamilyOptions.builder().setEnableBlobGarbageCollection(on).build());
    }

    public int blockSize() {
        return blockSize;
    }

    /** The epoch new versions are born in. */
    public long currentEpoch() {
        return epoch;
    }

    /** The location of the whole store, held once for every file. */
    public Location location() {
        try {
            return Location.decode(new String(db.get(meta, META_LOCATION), StandardCharsets.UTF_8));
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "reading the store location: " + e.getMessage(), e);
        }
    }

    /**
     * Starts a new epoch after adding {@code extra} to the same batch (a snapshot's record): the
     * versions born so far are never overwritten again and stay readable at the old epoch. Waits
     * for data commits in progress and holds off new ones and namespace changes meanwhile.
     *
     * @param durable      synced now; else durable with the store's next sync (the log keeps order, so never after a later write)
     * @param newMemtables start new memtables, so that the epochs' blocks land in different blob files (not for
     *                     sync points, which come as often as fsyncs and would make as many small files)
     * @return the epoch that just ended
     */
    long beginEpoch(Consumer<WriteBatch> extra, boolean durable, boolean newMemtables) {
        epochLock.writeLock().lock();
        tree.lock.lock();
        try (WriteBatch batch = new WriteBatch()) {
            extra.accept(batch);
            batch.put(meta, META_EPOCH, longBytes(epoch + 1));
            write(batch, durable);
            epoch++;
            if (newMemtables) {
                // Start new memtables (without waiting for the flush): blocks of different epochs then land in
                // different blob files, so deleting a snapshot tends to free whole files, not scattered blobs.
                try (FlushOptions flush = new FlushOptions().setWaitForFlush(false)) {
                    db.flush(flush, blocks);
                }
            }
            return epoch - 1;
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "starting a new epoch: " + e.getMessage(), e);
        } finally {
            tree.lock.unlock();
            epochLock.writeLock().unlock();
        }
    }

    /** Runs {@code body} with every writer of the store held off (epoch lock, then tree lock). */
    <T> T exclusively(Supplier<T> body) {
        epochLock.writeLock().lock();
        tree.lock.lock();
        try {
            return body.get();
        } finally {
            tree.lock.unlock();
            epochLock.writeLock().unlock();
        }
    }

    /** The store's id, a UUID chosen at creation; location records name it. */
    public String storeId() {
        try {
            byte[] id = db.get(meta, META_STORE_ID);
            return id == null ? "" : new String(id, StandardCharsets.UTF_8);
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "reading the store id: " + e.getMessage(), e);
        }
    }

    /** The signed record of the whole store's location, if one has been made (see {@code locusfs init}). */
    public Optional<LocationRecord> locationRecord() {
        try {
            byte[] text = db.get(meta, META_LOCATION_RECORD);
            return text == null ? Optional.empty() : Optional.of(LocationRecord.parse(new String(text, StandardCharsets.UTF_8)));
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "reading the location record: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new StoreException(StoreException.Kind.CORRUPT, "the store's location record is unreadable: " + e.getMessage(), e);
        }
    }

    /**
     * Moves the whole store to {@code location} in O(1): one batch writes the location, its signed
     * record and an entry of the location history; no per-file record is touched.
     */
    public void relabel(Location location, LocationRecord record) {
        try (WriteBatch batch = new WriteBatch()) {
            batch.put(meta, META_LOCATION, bytes(location.encode()));
            batch.put(meta, META_LOCATION_RECORD, bytes(record.encode()));
            long seq = locationHistory().size();
            batch.put(meta, historyKey(META_HISTORY_PREFIX, seq), bytes(record.encode()));
            batch.put(meta, historyKey(META_HISTORY_INO_PREFIX, seq), longBytes(tree().inodesAllocated() + 1));
            write(batch, true);
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "relabelling the store: " + e.getMessage(), e);
        }
    }

    /** Every signed location the store has had, oldest first. */
    public List<LocationRecord> locationHistory() {
        List<LocationRecord> history = new ArrayList<>();
        try (RocksIterator it = db.newIterator(meta, readOptions)) {
            for (it.seek(META_HISTORY_PREFIX); it.isValid() && Keys.startsWith(it.key(), META_HISTORY_PREFIX); it.next()) {
                history.add(LocationRecord.parse(new String(it.value(), StandardCharsets.UTF_8)));
            }
        }
        return history;
    }

    /**
     * For each record of {@link #locationHistory()}, the first inode number allocated after it was
     * made (0 where the store did not keep it): a file whose number is at least that was made after.
     */
    public List<Long> locationHistoryInodes() {
        List<Long> firsts = new ArrayList<>();
        try {
            int records = locationHistory().size();
            for (int i = 0; i < records; i++) {
                byte[] v = db.get(meta, historyKey(META_HISTORY_INO_PREFIX, i));
                firsts.add(v == null ? 0L : Keys.getLong(v, 0));
            }
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "reading the location history: " + e.getMessage(), e);
        }
        return firsts;
    }

    private static byte[] historyKey(byte[] prefix, long sequence) {
        byte[] key = Arrays.copyOf(prefix, prefix.length + 8);
        Keys.putLong(key, prefix.length, sequence);
        return key;
    }

    /** Meta keys under this prefix belong to replication (FORMAT.md, "Replication notes"). */
    private static final String NOTE_PREFIX = "note/";

    /**
     * The value of replication note {@code name} (meta key {@code note/NAME}), if set. Notes are
     * small records other modules keep with the store: a mirror's resume token, the origin it
     * replicates, the replicas an origin knows of.
     */
    public Optional<byte[]> note(String name) {
        try {
            return Optional.ofNullable(db.get(meta, bytes(NOTE_PREFIX + name)));
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "reading note " + name + ": " + e.getMessage(), e);
        }
    }

    /** Sets (or with a null value removes) note {@code name}, durably: the store is synced with it. */
    public void putNote(String name, byte[] value) {
        putNote(name, value, true);
    }

    /**
     * As {@link #putNote(String, byte[])}; with {@code durable} false the note is written like
     * any other change, durable at the next sync (the caller's, which then covers both).
     */
    public void putNote(String name, byte[] value, boolean durable) {
        try (WriteBatch batch = new WriteBatch()) {
            putNote(batch, name, value);
            write(batch, durable);
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "writing note " + name + ": " + e.getMessage(), e);
        }
    }

    /** Adds to {@code batch} the setting (or with a null value the removal) of note {@code name}. */
    void putNote(WriteBatch batch, String name, byte[] value) throws RocksDBException {
        if (value == null) {
            batch.delete(meta, bytes(NOTE_PREFIX + name));
        } else {
            batch.put(meta, bytes(NOTE_PREFIX + name), value);
        }
    }

    /** The notes whose names start with {@code prefix}, by name. */
    public SortedMap<String, byte[]> notes(String prefix) {
        SortedMap<String, byte[]> found = new TreeMap<>();
        byte[] start = bytes(NOTE_PREFIX + prefix);
        try (RocksIterator it = db.newIterator(meta, readOptions)) {
            for (it.seek(start); it.isValid() && Keys.startsWith(it.key(), start); it.next()) {
                found.put(new String(it.key(), StandardCharsets.UTF_8).substring(NOTE_PREFIX.length()), it.value());
            }
        }
        return found;
    }

    /** Inode numbers handed out so far (the next one to allocate). */
    long readNextIno() throws RocksDBException {
        byte[] v = db.get(meta, META_NEXT_INO);
        return v == null ? ROOT_INO + 1 : Keys.getLong(v, 0);
    }

    RocksDB db() {
        return db;
    }

    /** True when opened read-only ({@link StoreOptions#readOnly()}): every write is refused. */
    public boolean isReadOnly() {
        return readOnly;
    }

    /** The options a plain write takes now: with or without the log ({@link #writeLog}). */
    WriteOptions writeOptions() {
        return noLog ? logless : logged;
    }

    /** Applies a batch atomically; {@code sync} also makes it and everything before it durable. */
    void write(WriteBatch batch, boolean sync) throws RocksDBException {
        if (readOnly) {
            throw new StoreException(StoreException.Kind.READ_ONLY, "store " + path + " is open read-only");
        }
        logSwitch.readLock().lock();
        try {
            if (noLog) {
                db.write(logless, batch);
                if (sync) {
                    flushMemtables();
                }
            } else if (sync) {
                try (WriteOptions syncing = new WriteOptions().setSync(true)) {
                    db.write(syncing, batch);
                }
            } else {
                db.write(logged, batch);
            }
        } finally {
            logSwitch.readLock().unlock();
        }
    }

    /**
     * Writes every memtable out to table and blob files, all families at one sequence number
     * (atomic flush): in bulk mode, with no write-ahead log, this is what makes writes durable.
     */
    private void flushMemtables() throws RocksDBException {
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            db.flush(flush, handles);
        }
    }

    /**
     * Whether writes go through the write-ahead log from now on, in a store opened for bulk writes
     * (elsewhere they always do). Without it data is written once, and a sync flushes every
     * memtable: right for a large stream. With it a sync is one append and fsync of the log, and
     * the memtables live on: right for a small one, whose flush would cost more than its writes.
     * Before writes go to the log again, those made without it are flushed: a crash must not
     * recover later writes (from the log) without the earlier ones (lost with the memtables).
     */
    public void writeLog(boolean log) {
        if (!bulk || log != noLog) {
            return;
        }
        logSwitch.writeLock().lock();
        try {
            if (log) {
                flushMemtables();
            }
            noLog = !log;
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "flushing store " + path + ": " + e.getMessage(), e);
        } finally {
            logSwitch.writeLock().unlock();
        }
    }

    /** Makes every write so far durable (syncs the write-ahead log; without it, flushes the memtables). */
    public void sync() {
        if (readOnly) {
            return;
        }
        try {
            if (noLog) {
                flushMemtables();
            } else {
                db.flushWal(true);
            }
        } catch (RocksDBException e) {
            throw new StoreException(StoreException.Kind.IO, "syncing the store: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (!readOnly) {
            try {
                db.flushWal(true);
                flushMemtables();
            } catch (RocksDBException e) {
                throw new StoreException(StoreException.Kind.IO, "flushing store " + path + ": " + e.getMessage(), e);
            } finally {
                closeNative();
            }
        } else {
            closeNative();
        }
    }

    private void closeNative() {
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        db.close();
        for (int i = nativeResources.size() - 1; i >= 0; i--) {
            try {
                nativeResources.get(i).close();
            } catch (Exception ignored) {
                // Closing native options cannot fail in a way the caller could act on.
            }
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        Keys.putLong(b, 0, v);
        return b;
    }
}
