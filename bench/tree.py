#!/usr/bin/env python3
"""The tree the replication benchmarks ship: 200 directories d0..d199 holding BIG files bigN of
1 MiB and SMALL files smallN of 1-20 KiB, random bytes; the same for the same arguments.

    bench/tree.py ROOT BIG SMALL
"""
import os
import random
import sys

root, big, small = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(1)
for d in range(200):
    os.mkdir(os.path.join(root, 'd%d' % d))
for i in range(big):
    with open(os.path.join(root, 'd%d' % (i % 200), 'big%d' % i), 'wb') as f: f.write(os.urandom(1 << 20))
for i in range(small):
    with open(os.path.join(root, 'd%d' % (i % 200), 'small%d' % i), 'wb') as f: f.write(os.urandom(rng.randint(1024, 20480)))
