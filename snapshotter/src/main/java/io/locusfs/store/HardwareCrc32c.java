package io.locusfs.store;

import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.LibraryLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives RocksDB a hardware CRC32C (native/rocksdb-crc32c.c): RocksJava's library computes it in
 * table-driven C, a quarter of the daemon's CPU on a large read. The helper library is opened,
 * asked whether this processor has SSE 4.2, and only then reopened into the global symbol scope,
 * before RocksDB's library loads, so that RocksDB's calls bind to its definition. Without the
 * helper (not built, another architecture, the directory unset in unit tests) RocksDB keeps its
 * own; the values are the same either way.
 */
final class HardwareCrc32c {
    private static final Logger log = LoggerFactory.getLogger(HardwareCrc32c.class);
    private static final String LIBRARY = "librocksdb-crc32c.so";
    private static final int RTLD_NOW = 2;
    private static final int RTLD_NOLOAD = 4;
    private static final int RTLD_GLOBAL = 0x100;

    private HardwareCrc32c() {
    }

    /** The helper's own question. */
    public interface Helper {
        int locusfs_crc32c_usable();
    }

    /** dlopen(3), to put an opened library into the global scope. */
    public interface Dl {
        jnr.ffi.Pointer dlopen(String file, int mode);
    }

    /** Installs the helper from the directory in the {@code locusfs.native} property, when it is there and usable. */
    static void install() {
        String dir = System.getProperty("locusfs.native");
        if (dir == null || dir.isEmpty()) {
            return; // Unit tests, or a launcher that found no helper.
        }
        Path library = Path.of(dir, LIBRARY).toAbsolutePath();
        if (!Files.isRegularFile(library)) {
            log.debug("no {}: RocksDB computes CRC32C in software", library);
            return;
        }
        try {
            Helper helper = LibraryLoader.create(Helper.class).failImmediately().load(library.toString());
            if (helper.locusfs_crc32c_usable() == 0) {
                log.debug("this processor has no SSE 4.2: RocksDB computes CRC32C in software");
                return;
            }
            Dl dl = LibraryLoader.create(Dl.class).failImmediately().load("c");
            if (dl.dlopen(library.toString(), RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL) == null) {
                log.warn("could not make {} global: RocksDB computes CRC32C in software", library);
            }
        } catch (LinkageError | RuntimeException e) {
            log.warn("could not load {} ({}): RocksDB computes CRC32C in software", library, e.getMessage());
        }
    }
}
