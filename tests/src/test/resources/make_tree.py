#!/usr/bin/env python3
"""Fills a directory with a tree that exercises every kind of file a translator must carry.

Files of random sizes (some empty, some a few blocks), nested directories, hard links (some
across directories), symlinks (relative, absolute, dangling), sparse files (a hole inside, one
ending in a hole), text and binary user xattrs, names that are not ASCII, a FIFO, modes with
set-id bits, other owners, and mtimes with nanoseconds. Deterministic for one seed.
usage: make_tree.py ROOT SEED [FILES]
"""
import os
import random
import sys

root, seed = sys.argv[1], int(sys.argv[2])
count = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
rng = random.Random(seed)
names = ['a', 'b', 'données', '日本語', 'emoji-🙂', 'space name', 'x' * 120]
dirs = ['']
for i in range(60):
    parent = rng.choice(dirs)
    d = os.path.join(parent, '%s-%d' % (rng.choice(names), i))
    os.makedirs(os.path.join(root, d), exist_ok=True)
    dirs.append(d)
files = []
for i in range(count):
    path = os.path.join(rng.choice(dirs), 'f%d-%s.dat' % (i, rng.choice(names)[:20]))
    size = rng.choice([0, 1, 100, 4096, 5000, 70000, 300000])
    with open(os.path.join(root, path), 'wb') as f:
        f.write(rng.randbytes(size))
    files.append(path)
for i, path in enumerate(rng.sample(files, 60)):
    os.link(os.path.join(root, path), os.path.join(root, rng.choice(dirs), 'hard%d' % i))
for i in range(40):
    where = os.path.join(root, rng.choice(dirs), 'sym%d' % i)
    os.symlink(rng.choice([rng.choice(files), '/etc/hostname', 'does/not/exist', '../' + rng.choice(names)]), where)
for i, (size, at) in enumerate([(10 << 20, 3 << 20), (50 << 20, 10 << 20), (1 << 20, 0)]):
    with open(os.path.join(root, 'sparse%d' % i), 'wb') as f:
        f.seek(at)
        f.write(rng.randbytes(200000))
        f.truncate(size)
for path in rng.sample(files, 150):
    full = os.path.join(root, path)
    os.setxattr(full, 'user.note', ('note é %d' % rng.randrange(1000)).encode())
    if rng.random() < 0.3:
        os.setxattr(full, 'user.bin', bytes([0, 255, 128, 7]) + rng.randbytes(8))
os.setxattr(os.path.join(root, dirs[1]), 'user.dirnote', b'on a directory')
os.mkfifo(os.path.join(root, 'fifo'))
for path in rng.sample(files, 30):
    os.chown(os.path.join(root, path), 1234, 5678)
for path in rng.sample(files, 10):
    os.chmod(os.path.join(root, path), rng.choice([0o4755, 0o2750, 0o600, 0o444]))
os.chmod(os.path.join(root, dirs[2]), 0o1777)
for dirpath, dirnames, filenames in os.walk(root, topdown=False):
    for name in filenames + dirnames:
        ns = rng.randrange(10**18, 27 * 10**17)  # 2001 to 2055: past 2038 too
        os.utime(os.path.join(dirpath, name), ns=(ns, ns), follow_symlinks=False)
