#!/usr/bin/env python3
"""Sends one command to a mounted store's control socket and prints the seconds it took and the
number of answer lines, so a benchmark times the operation without the CLI's JVM start-up.
usage: control.py STORE WORD [ARG...]   (the protocol: fusefs ControlServer / SnapshotService)"""
import socket
import sys
import time

store, words = sys.argv[1], sys.argv[2:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(store + "/control.sock")
start = time.perf_counter()
s.sendall(("\t".join(words) + "\n").encode("latin-1"))
data = b""
while True:
    chunk = s.recv(1 << 16)
    if not chunk:
        break
    data += chunk
elapsed = time.perf_counter() - start
lines = data.decode("latin-1").rstrip("\n").split("\n")
if lines[-1] != "ok":
    sys.exit("control command failed: " + lines[-1])
print("%.6f %d" % (elapsed, len(lines) - 1))
