#!/usr/bin/env python3
"""Random 4 KiB writes with an fsync every 32, and the check after a crash that every fsync'd byte
is intact. The state lives outside the mount, in STATE: for each file, NAME.synced is its content
as of its last fsync and NAME.pending lists the writes made since (each listed before it is made).

  randwrite.py write MOUNT STATE SEED   # writes until killed
  randwrite.py check MOUNT STATE        # exits 1 naming the first byte that was lost

After a crash, a byte written after the last fsync may hold the old or the new data; every other
byte must be as of the last fsync. A check that passes makes the file's present content the new
baseline, so the next round starts from it.
"""
import os
import random
import sys

FILES = ['f0', 'f1', 'f2', 'f3']
SIZE = 8 << 20
BLOCK = 4096


def paths(mount, state, name):
    return os.path.join(mount, name), os.path.join(state, name + '.synced'), os.path.join(state, name + '.pending')


def write(mount, state, seed):
    rnd = random.Random(seed)
    shadows, fds, pending = {}, {}, {}
    for name in FILES:
        data, synced, log = paths(mount, state, name)
        if not os.path.exists(synced):
            with open(synced, 'wb') as f:
                f.write(bytes(SIZE))
        shadows[name] = bytearray(open(synced, 'rb').read())
        fds[name] = os.open(data, os.O_RDWR | os.O_CREAT, 0o644)
        pending[name] = open(log, 'a')
    writes = 0
    while True:
        name = rnd.choice(FILES)
        offset = rnd.randrange(0, SIZE // BLOCK) * BLOCK
        chunk = rnd.randbytes(BLOCK)
        pending[name].write('%d %d\n' % (offset, BLOCK))
        pending[name].flush()
        os.pwrite(fds[name], chunk, offset)
        shadows[name][offset:offset + BLOCK] = chunk
        writes += 1
        if writes % 32 == 0:
            for n in FILES:
                os.fsync(fds[n])
                _, synced, log = paths(mount, state, n)
                with open(synced + '.tmp', 'wb') as f:
                    f.write(shadows[n])
                os.replace(synced + '.tmp', synced)
                pending[n].truncate(0)
                pending[n].seek(0)


def check(mount, state):
    for name in FILES:
        data, synced, log = paths(mount, state, name)
        if not os.path.exists(synced):
            continue
        expected = open(synced, 'rb').read()
        actual = open(data, 'rb').read() if os.path.exists(data) else b''
        unsure = bytearray(len(expected))
        for line in open(log):
            offset, length = map(int, line.split())
            unsure[offset:offset + length] = b'\x01' * length
        actual = actual.ljust(len(expected), b'\x00')
        for i in range(0, len(expected), BLOCK):
            if expected[i:i + BLOCK] != actual[i:i + BLOCK] and not unsure[i]:
                print('%s: the fsync\'d 4 KiB at offset %d was lost' % (name, i))
                sys.exit(1)
        with open(synced, 'wb') as f:
            f.write(actual[:len(expected)])
        open(log, 'w').close()
    print('every fsync\'d byte intact')


if sys.argv[1] == 'write':
    write(sys.argv[2], sys.argv[3], int(sys.argv[4]))
else:
    check(sys.argv[2], sys.argv[3])
