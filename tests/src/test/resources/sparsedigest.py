#!/usr/bin/env python3
"""Prints "SIZE DIGEST" for each file given: the sha256 of the index and bytes of every 1 MiB
chunk that holds a non-zero byte, the chunks found with SEEK_DATA so that holes are never read.
Two files with the same size and digest hold the same bytes, however each stores its holes (a
100 GiB sparse file is compared in a moment, not by reading 100 GiB of zeros)."""
import hashlib
import os
import sys

CHUNK = 1 << 20
for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    digest = hashlib.sha256()
    next_chunk = 0  # chunks before it are hashed (or known to be zeros) already
    position = 0
    while position < size:
        try:
            data = os.lseek(fd, position, os.SEEK_DATA)
        except OSError:  # ENXIO: only a hole follows
            break
        hole = os.lseek(fd, data, os.SEEK_HOLE)
        for index in range(max(next_chunk, data // CHUNK), (hole + CHUNK - 1) // CHUNK):
            chunk = os.pread(fd, CHUNK, index * CHUNK)
            if chunk.count(0) != len(chunk):
                digest.update(index.to_bytes(8, 'big') + chunk)
            next_chunk = index + 1
        position = max(hole, next_chunk * CHUNK)
    os.close(fd)
    print(size, digest.hexdigest())
