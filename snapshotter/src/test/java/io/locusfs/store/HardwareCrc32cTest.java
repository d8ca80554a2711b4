package io.locusfs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.CRC32C;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The helper's rocksdb::crc32c::Extend must give RocksDB's values: those of CRC32C (the JDK's is
 * the reference here), from any starting value, length and alignment, so that stores written with
 * RocksDB's own implementation read with the helper and the other way round. Built by
 * {@code make native} on x86-64, which {@code make test} runs first.
 */
@EnabledOnOs(value = OS.LINUX, architectures = "amd64")
class HardwareCrc32cTest {
    /** The helper's functions; Extend under its C++ name. */
    public interface Helper {
        int locusfs_crc32c_usable();

        int _ZN7rocksdb6crc32c6ExtendEjPKcm(int initCrc, Pointer data, long n);
    }

    @Test
    void extendGivesCrc32cForEveryLengthAlignmentAndStartingValue() {
        Path library = Path.of("..", "native", "build", "librocksdb-crc32c.so").toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(library), library + " is missing: run 'make native'");
        Helper helper = LibraryLoader.create(Helper.class).failImmediately().load(library.toString());
        assertEquals(1, Integer.signum(helper.locusfs_crc32c_usable()), "this x86-64 processor reports no SSE 4.2");
        Random random = new Random(42);
        byte[] bytes = new byte[70_000];
        random.nextBytes(bytes);
        Pointer memory = Memory.allocateDirect(Runtime.getSystemRuntime(), bytes.length, true);
        memory.put(0, bytes, 0, bytes.length);
        for (int trial = 0; trial < 500; trial++) {
            int offset = random.nextInt(64);
            int length = trial < 100 ? trial : random.nextInt(bytes.length - offset);
            CRC32C reference = new CRC32C();
            reference.update(bytes, offset, length);
            assertEquals((int) reference.getValue(), helper._ZN7rocksdb6crc32c6ExtendEjPKcm(0, memory.slice(offset), length),
                    "length " + length + " at offset " + offset);
            // Extend continues a CRC: the CRC of a whole equals extending the CRC of its first part.
            int split = length == 0 ? 0 : random.nextInt(length);
            int first = helper._ZN7rocksdb6crc32c6ExtendEjPKcm(0, memory.slice(offset), split);
            assertEquals((int) reference.getValue(),
                    helper._ZN7rocksdb6crc32c6ExtendEjPKcm(first, memory.slice(offset + split), length - split));
        }
        byte[] check = "123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        memory.put(0, check, 0, check.length);
        assertEquals(0xE3069283, helper._ZN7rocksdb6crc32c6ExtendEjPKcm(0, memory, check.length), "CRC32C's check value");
    }
}
