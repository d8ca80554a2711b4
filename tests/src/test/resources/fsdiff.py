#!/usr/bin/env python3
"""Runs the same seeded random file-system operations on two directories (a LocusFS mount and a
native directory) and compares what every operation returns and what stat, readlink, listxattr
and read show afterwards. Exits 1 at the first difference, printing the operations that led to it.

  fsdiff.py MOUNT NATIVE SEED COUNT [REMOUNT-COMMAND]

REMOUNT-COMMAND, if given, runs (through the shell) every 500 operations: the comparison after it
checks what the store kept, not what the kernel cached.
"""
import errno
import os
import random
import stat
import subprocess
import sys

mount, native, seed, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
remount = sys.argv[5] if len(sys.argv) > 5 else None
rnd = random.Random(seed)
history = []
NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'long-name-' + 'x' * 40, 'sp ace', 'ü']
HIDDEN = ('user.location',)
SET_TIMES_BEFORE = 1577836800 * 10**9  # 2020-01-01


def paths_in(root):
    found = []
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            found.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(found)


def random_path(depth=2):
    parts = [rnd.choice(['d1', 'd2', 'd3'])] if rnd.random() < 0.6 else []
    if depth > 1 and parts and rnd.random() < 0.3:
        parts.append(rnd.choice(['d1', 'd2']))
    parts.append(rnd.choice(NAMES))
    return os.path.join(*parts)


def existing(kind=None):
    """A path that exists under the native root (optionally of one kind), or a random one."""
    candidates = paths_in(native)
    if kind is not None:
        candidates = [p for p in candidates if kind(os.lstat(os.path.join(native, p)).st_mode)]
    return rnd.choice(candidates) if candidates else random_path()


def outcome(fn, root):
    try:
        r = fn(root)
        return ('ok', r)
    except OSError as e:
        return ('err', errno.errorcode.get(e.errno, e.errno))


def describe(root, rel):
    """What a user sees of one path: type, mode, links, owner, size, link target, xattrs, content."""
    p = os.path.join(root, rel)
    try:
        st = os.lstat(p)
    except OSError as e:
        return ('missing', errno.errorcode.get(e.errno))
    d = {'mode': oct(st.st_mode), 'nlink': st.st_nlink, 'uid': st.st_uid, 'gid': st.st_gid}
    if stat.S_ISREG(st.st_mode):
        d['size'] = st.st_size
        with open(p, 'rb') as f:
            d['data'] = hash(f.read())
        # Times set by utime lie before 2020; a later one is the clock's, which differs between the two.
        d['mtime_set'] = st.st_mtime_ns if st.st_mtime_ns < SET_TIMES_BEFORE else None
    elif stat.S_ISLNK(st.st_mode):
        d['target'] = os.readlink(p)
    elif stat.S_ISDIR(st.st_mode):
        d['entries'] = sorted(os.listdir(p))
    if not stat.S_ISLNK(st.st_mode):
        d['xattrs'] = sorted((n, os.getxattr(p, n)) for n in os.listxattr(p) if not n.startswith(HIDDEN))
    return d


class Held:
    """A descriptor kept open across operations on one file: a second open file of the same inode."""
    def __init__(self):
        self.fds = None
        self.rel = None


held = Held()


def op_write():
    rel = existing(stat.S_ISREG) if rnd.random() < 0.7 else random_path()
    offset = rnd.choice([0, rnd.randrange(0, 300000), rnd.randrange(0, 4096)])
    data = rnd.randbytes(rnd.choice([1, 100, 4096, 5000, 131072, 200000]))
    def f(root):
        fd = os.open(os.path.join(root, rel), os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            return os.pwrite(fd, data, offset)
        finally:
            os.close(fd)
    return 'write %s @%d +%d' % (rel, offset, len(data)), f, [rel]


def op_append():
    rel = existing(stat.S_ISREG)
    data = rnd.randbytes(rnd.randrange(1, 9000))
    def f(root):
        with open(os.path.join(root, rel), 'ab') as out:
            return out.write(data)
    return 'append %s +%d' % (rel, len(data)), f, [rel]


def op_truncate():
    rel = existing(stat.S_ISREG)
    size = rnd.choice([0, 1, 4095, 131073, rnd.randrange(0, 400000)])
    try:
        if os.lstat(os.path.join(native, rel)).st_size == size:
            size += 1  # POSIX leaves the times of a truncate to the same size open; ext4 and FUSE differ.
    except OSError:
        pass
    return 'truncate %s %d' % (rel, size), lambda root: os.truncate(os.path.join(root, rel), size), [rel]


def op_mkdir():
    rel = random_path(1) if rnd.random() < 0.5 else rnd.choice(['d1', 'd2', 'd3', 'd1/d1', 'd2/d2'])
    return 'mkdir ' + rel, lambda root: os.mkdir(os.path.join(root, rel), 0o755), [rel, os.path.dirname(rel)]


def op_rmdir():
    rel = existing(stat.S_ISDIR)
    return 'rmdir ' + rel, lambda root: os.rmdir(os.path.join(root, rel)), [rel, os.path.dirname(rel)]


def op_unlink():
    rel = existing(lambda m: not stat.S_ISDIR(m))
    return 'unlink ' + rel, lambda root: os.unlink(os.path.join(root, rel)), [rel, os.path.dirname(rel)]


def op_rename():
    src = existing()
    dst = existing() if rnd.random() < 0.5 else random_path()
    return ('rename %s %s' % (src, dst), lambda root: os.rename(os.path.join(root, src), os.path.join(root, dst)),
            [src, dst, os.path.dirname(src), os.path.dirname(dst)])


def op_link():
    src = existing(stat.S_ISREG)
    dst = random_path()
    return ('link %s %s' % (src, dst), lambda root: os.link(os.path.join(root, src), os.path.join(root, dst)),
            [src, dst, os.path.dirname(dst)])


def op_symlink():
    dst = random_path()
    target = rnd.choice(['a', '../b', '/nowhere', 'd1/c'])
    return 'symlink %s -> %s' % (dst, target), lambda root: os.symlink(target, os.path.join(root, dst)), [dst]


def op_chmod():
    rel = existing(lambda m: not stat.S_ISLNK(m))
    mode = rnd.choice([0o600, 0o644, 0o755, 0o700, 0o4755, 0o1777])
    return 'chmod %s %o' % (rel, mode), lambda root: os.chmod(os.path.join(root, rel), mode), [rel]


def op_utime():
    rel = existing(lambda m: not stat.S_ISLNK(m))
    t = rnd.randrange(10**18, SET_TIMES_BEFORE)
    return ('utime %s %d' % (rel, t), lambda root: os.utime(os.path.join(root, rel), ns=(t, t)), [rel])


def op_xattr():
    rel = existing(lambda m: not stat.S_ISLNK(m))
    name = rnd.choice(['user.one', 'user.two'])
    if rnd.random() < 0.7:
        value = rnd.randbytes(rnd.randrange(0, 300))
        return ('setxattr %s %s' % (rel, name), lambda root: os.setxattr(os.path.join(root, rel), name, value), [rel])
    return 'removexattr %s %s' % (rel, name), lambda root: os.removexattr(os.path.join(root, rel), name), [rel]


def op_hold():
    """Opens (or reads through) a second descriptor of one file, kept across later operations."""
    if held.fds is None or rnd.random() < 0.3:
        rel = existing(stat.S_ISREG)
        def f(root):
            fd = os.open(os.path.join(root, rel), os.O_RDWR)
            return fd
        if held.fds is not None:
            for fd in held.fds:
                os.close(fd)
            held.fds = None
        got = [outcome(f, root) for root in (mount, native)]
        if got[0][0] == 'ok' and got[1][0] == 'ok':
            held.fds = [got[0][1], got[1][1]]
            held.rel = rel
        return 'hold ' + rel, None, [rel]
    offset = rnd.randrange(0, 300000)
    def read(i):
        fd = held.fds[i]
        st = os.fstat(fd)
        return (st.st_size, st.st_nlink, oct(st.st_mode), hash(os.pread(fd, 70000, offset)))
    return 'read-held %s @%d' % (held.rel, offset), read, []


OPS = [(op_write, 20), (op_append, 5), (op_truncate, 6), (op_mkdir, 8), (op_rmdir, 3), (op_unlink, 7), (op_rename, 10),
       (op_link, 6), (op_symlink, 4), (op_chmod, 5), (op_utime, 5), (op_xattr, 6), (op_hold, 8)]
WEIGHTED = [op for op, w in OPS for _ in range(w)]


def fail(message):
    print('after %d operations (seed %d): %s' % (len(history), seed, message))
    print('last operations:\n  ' + '\n  '.join(history[-25:]))
    sys.exit(1)


def compare(paths):
    for rel in paths:
        if rel in ('', '.'):
            rel = '.'
        a, b = describe(mount, rel), describe(native, rel)
        if a != b:
            fail('%s differs:\n  locusfs: %s\n  native:  %s' % (rel, a, b))


def compare_all():
    a, b = paths_in(mount), paths_in(native)
    if a != b:
        fail('trees differ: only on locusfs %s, only native %s' % (sorted(set(a) - set(b)), sorted(set(b) - set(a))))
    compare(['.'] + a)


for i in range(count):
    op = rnd.choice(WEIGHTED)
    text, fn, touched = op()
    history.append(text)
    if fn is not None:
        if op is op_hold:
            got = [outcome(lambda root, k=k: fn(k), None) for k in (0, 1)]
        else:
            got = [outcome(fn, mount), outcome(fn, native)]
        if got[0] != got[1]:
            fail('%s returned %s on locusfs, %s on native' % (text, got[0], got[1]))
    compare(touched)
    if (i + 1) % 100 == 0:
        compare_all()
    if remount and (i + 1) % 500 == 0:
        if held.fds is not None:
            for fd in held.fds:
                os.close(fd)
            held.fds = None
        subprocess.run(remount, shell=True, check=True)
        history.append('(remounted)')
        compare_all()
compare_all()
print('%d operations, no difference' % count)
