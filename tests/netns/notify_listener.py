#!/usr/bin/env python3
"""A NOTIFY_SOCKET of the test's own, as systemd's: a unix datagram socket at PATH; each message
is appended to OUT as "<monotonic seconds> <fields joined by |>". Exits after LIMIT seconds."""
import os
import socket
import sys
import time

path, out, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
try:
    os.unlink(path)
except FileNotFoundError:
    pass
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
sock.settimeout(0.2)
end = time.monotonic() + limit
with open(out, "a", buffering=1) as f:
    while time.monotonic() < end:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        fields = data.decode(errors="replace").strip("\n").replace("\n", "|")
        f.write("%.3f %s\n" % (time.monotonic(), fields))
