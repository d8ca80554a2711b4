/*
 * Hardware CRC32C for RocksDB's JNI library (librocksdb-crc32c.so).
 *
 * RocksJava's release builds compute CRC32C in portable, table-driven C: every WAL record, blob
 * record and table block RocksDB writes or verifies goes through it, and it was a quarter of the
 * daemon's CPU while reading a large file (docs/PERFORMANCE.md). This library defines
 * rocksdb::crc32c::Extend with the SSE 4.2 instruction. Loaded into the process's global symbol
 * scope before RocksDB's library (snapshotter's HardwareCrc32c), it is the definition RocksDB's
 * calls bind to: they all go through its procedure linkage table. The function and its values
 * are RocksDB's own (CRC32C, Castagnoli), so stores written with either implementation read with
 * the other.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <nmmintrin.h>

/* Whether this processor has the instruction; the loader asks before making Extend global. */
int locusfs_crc32c_usable(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}

/* uint32_t rocksdb::crc32c::Extend(uint32_t init_crc, const char *data, size_t n) */
__attribute__((target("sse4.2")))
uint32_t _ZN7rocksdb6crc32c6ExtendEjPKcm(uint32_t init_crc, const char *data, size_t n) {
    uint64_t crc = (uint32_t) ~init_crc;
    while (n > 0 && ((uintptr_t) data & 7) != 0) {
        crc = _mm_crc32_u8((uint32_t) crc, (uint8_t) *data++);
        n--;
    }
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, data, 8);
        crc = _mm_crc32_u64(crc, word);
        data += 8;
        n -= 8;
    }
    while (n > 0) {
        crc = _mm_crc32_u8((uint32_t) crc, (uint8_t) *data++);
        n--;
    }
    return ~(uint32_t) crc;
}
