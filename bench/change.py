#!/usr/bin/env python3
"""A 1% change of a bench tree (bench/replicate.sh's layout: d0..d199 holding bigN and smallN):
files rewritten, added and removed, the same for the same seed. Prints the bytes written.

    bench/change.py TREE BIG_FILES SMALL_FILES SEED

Seed 2 adds files named newN; another seed makes another change (other files, names newSEED-N).
"""
import os
import random
import sys

root, big, small, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
new = 'new' if seed == 2 else 'new%d-' % seed
n = (big + small) // 100
changed = 0
for i in rng.sample(range(small), n * 4 // 10):            # 0.4%: small files rewritten
    p = os.path.join(root, 'd%d' % (i % 200), 'small%d' % i)
    data = os.urandom(rng.randint(1024, 20480)); changed += len(data)
    with open(p, 'wb') as f: f.write(data)
for i in rng.sample(range(big), max(1, big // 100)):       # 1% of the big files rewritten
    p = os.path.join(root, 'd%d' % (i % 200), 'big%d' % i)
    data = os.urandom(1 << 20); changed += len(data)
    with open(p, 'wb') as f: f.write(data)
for i in range(n * 3 // 10):                               # 0.3%: files added
    p = os.path.join(root, 'd%d' % (i % 200), '%s%d' % (new, i))
    data = os.urandom(rng.randint(1024, 20480)); changed += len(data)
    with open(p, 'wb') as f: f.write(data)
for i in rng.sample(range(small), n * 3 // 10):            # 0.3%: files removed
    p = os.path.join(root, 'd%d' % (i % 200), 'small%d' % i)
    if os.path.exists(p): os.remove(p)
print(changed)
