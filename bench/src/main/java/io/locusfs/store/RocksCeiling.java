package io.locusfs.store;

import io.locusfs.xattr.Location;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * The ceiling of the LocusFS design on this disk: how fast RocksDB itself accepts N bytes as
 * block-sized values in a tight put loop, into a store opened with exactly the options, WAL and
 * block family settings of a mounted store, ending with the same WAL sync an fsync does.
 * Lives in the store's package to reach the store's own RocksDB handles.
 *
 * <p>Usage: {@code RocksCeiling STORE_DIR BYTES}; prints {@code ceiling_mb_s=N block_kib=K}.
 */
public final class RocksCeiling {
    private RocksCeiling() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long total = Long.parseLong(args[1]);
        Store.create(dir, Location.of("bench"), 0, 0);
        try (Store store = Store.open(dir, StoreOptions.defaults())) {
            int blockSize = store.blockSize();
            byte[][] values = new byte[64][blockSize];
            Random random = new Random(42);
            for (byte[] v : values) {
                random.nextBytes(v);
            }
            long blocks = total / blockSize;
            long epoch = store.currentEpoch();
            long start = System.nanoTime();
            for (long i = 0; i < blocks; i++) {
                store.db().put(store.blocks, store.writeOptions(), Keys.versioned(Keys.blockPrefix(2, i), epoch),
                        values[(int) (i % values.length)]);
            }
            store.sync();
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.println(String.format(Locale.ROOT, "ceiling_mb_s=%.1f block_kib=%d",
                    blocks * (double) blockSize / 1e6 / seconds, blockSize / 1024));
        }
    }
}
