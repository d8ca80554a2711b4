#!/usr/bin/env python3
"""Prints a manifest of a tree, one JSON object per path, for comparing trees in tests.

For every path (relative, starting with '/'; the root is '/'): type, mode, uid, gid, mtime in ns,
size and sha256 (files), target (symlinks), nlink and the other paths of the same inode (files),
and xattrs except user.location* (which the filesystem writes itself). Directory sizes and
atimes are left out: they differ between filesystems without meaning anything.
usage: manifest.py ROOT [--seconds] [--symlink-usec] [--exclude NAME]
  --seconds       compare mtimes to the whole second (ext4 images made with mke2fs -d)
  --symlink-usec  compare symlink mtimes to the microsecond (lutimes, as the JDK sets them)
  --exclude NAME  leave out the top-level entry NAME (lost+found of an image)
"""
import hashlib
import json
import os
import stat
import sys

root = sys.argv[1]
seconds = '--seconds' in sys.argv
symlink_usec = '--symlink-usec' in sys.argv
excluded = {sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == '--exclude'}
entries = {}
inodes = {}
for dirpath, dirnames, filenames in os.walk(root):
    if dirpath == root:
        dirnames[:] = [d for d in dirnames if d not in excluded]
        filenames = [f for f in filenames if f not in excluded]
    dirnames.sort()
    for name in [''] + sorted(dirnames + filenames) if dirpath == root else sorted(dirnames + filenames):
        full = os.path.join(dirpath, name) if name else dirpath
        rel = '/' + os.path.relpath(full, root) if full != root else '/'
        st = os.lstat(full)
        e = {'type': stat.S_IFMT(st.st_mode), 'mode': stat.S_IMODE(st.st_mode), 'uid': st.st_uid,
             'gid': st.st_gid, 'mtime': st.st_mtime_ns}
        if stat.S_ISREG(st.st_mode):
            with open(full, 'rb') as f:
                e['sha256'] = hashlib.sha256(f.read()).hexdigest()
            e['size'] = st.st_size
            e['nlink'] = st.st_nlink
            inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            e['_key'] = (st.st_dev, st.st_ino)
        elif stat.S_ISLNK(st.st_mode):
            e['target'] = os.readlink(full)
        if not stat.S_ISLNK(st.st_mode):
            xattrs = {}
            for x in sorted(os.listxattr(full, follow_symlinks=False)):
                if not x.startswith('user.location'):
                    xattrs[x] = os.getxattr(full, x, follow_symlinks=False).hex()
            e['xattrs'] = xattrs
        if seconds:
            e['mtime'] -= e['mtime'] % 1_000_000_000
        elif symlink_usec and stat.S_ISLNK(st.st_mode):
            e['mtime'] -= e['mtime'] % 1000
        entries[rel] = e
for rel, e in sorted(entries.items()):
    key = e.pop('_key', None)
    if key is not None:
        e['links'] = sorted(p for p in inodes[key] if p != rel)
    print(json.dumps({'path': rel, **e}, sort_keys=True))
