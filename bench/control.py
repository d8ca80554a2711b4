#!/usr/bin/env python3
"""Sends one request to a mounted store's control socket and prints the seconds it took and the
number of items in the answer (1 for an answer that is not a list), so a benchmark times the
operation without the CLI's JVM start-up.
usage: control.py STORE COMMAND [FIELD=VALUE...]
  e.g. control.py /srv/store snapshot-create name=s1 manual=true hooks=false
The protocol: daemon/src/main/java/io/locusfs/daemon/ControlProtocol.java (JSON lines)."""
import json
import socket
import sys
import time

store, command, fields = sys.argv[1], sys.argv[2], sys.argv[3:]
request = {"command": command}
for field in fields:
    key, value = field.split("=", 1)
    request[key] = {"true": True, "false": False}.get(value, value)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(store + "/control.sock")
start = time.perf_counter()
s.sendall((json.dumps(request) + "\n").encode())
data = b""
while True:
    chunk = s.recv(1 << 16)
    if not chunk:
        break
    data += chunk
elapsed = time.perf_counter() - start
last = json.loads(data.decode().rstrip("\n").split("\n")[-1])
if "ok" not in last:
    sys.exit("control command failed: " + last.get("error", str(last)))
answer = last["ok"]
print("%.6f %d" % (elapsed, len(answer) if isinstance(answer, list) else 1))
