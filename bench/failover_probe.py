#!/usr/bin/env python3
"""Failover probe for bench/failover.sh (stdlib only; bounded in time and in open sockets).

  failover_probe.py HOST PORT --out FILE [--every-ms 2] [--timeout-ms 150] [--max-seconds 20]
                    [--stop-file F]

Starts a new TCP connection + "GET /" every --every-ms, non-blocking, at most 256 in flight, each
abandoned after --timeout-ms. Appends one line per finished attempt to FILE:
    <launch_ns> <done_ns> ok|fail
(CLOCK_REALTIME nanoseconds, comparable with `date +%s%N` in any namespace). The crash-to-first-
success time is then min(done_ns) over ok attempts launched after the crash.
"""
import argparse
import errno
import os
import selectors
import socket
import time

MAX_IN_FLIGHT = 256


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--every-ms", type=float, default=2.0)
    ap.add_argument("--timeout-ms", type=float, default=150.0)
    ap.add_argument("--max-seconds", type=float, default=20.0)
    ap.add_argument("--stop-file")
    a = ap.parse_args()
    request = ("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % a.host).encode()
    sel = selectors.DefaultSelector()
    out = open(a.out, "a", buffering=1)
    end = time.monotonic() + a.max_seconds
    next_launch = time.monotonic()
    in_flight = {}  # sock -> [launch_ns, deadline, sent, buf]

    def finish(sock, ok):
        st = in_flight.pop(sock)
        sel.unregister(sock)
        sock.close()
        out.write("%d %d %s\n" % (st[0], time.time_ns(), "ok" if ok else "fail"))

    while time.monotonic() < end:
        if a.stop_file and os.path.exists(a.stop_file):
            break
        now = time.monotonic()
        if now >= next_launch and len(in_flight) < MAX_IN_FLIGHT:
            next_launch = now + a.every_ms / 1000.0
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex((a.host, a.port))
            if rc not in (0, errno.EINPROGRESS):
                s.close()
                out.write("%d %d fail\n" % (time.time_ns(), time.time_ns()))
            else:
                in_flight[s] = [time.time_ns(), now + a.timeout_ms / 1000.0, False, b""]
                sel.register(s, selectors.EVENT_WRITE)
        wait = max(0.0, min(next_launch, end) - time.monotonic())
        for key, _ in sel.select(timeout=min(wait, 0.002)):
            s = key.fileobj
            st = in_flight.get(s)
            if st is None:
                continue
            try:
                if not st[2]:
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                        finish(s, False)
                        continue
                    s.send(request)
                    st[2] = True
                    sel.modify(s, selectors.EVENT_READ)
                    continue
                chunk = s.recv(65536)
                if chunk:
                    st[3] += chunk
                    continue
                finish(s, st[3].startswith(b"HTTP/1.1 200") or st[3].startswith(b"HTTP/1.0 200"))
            except OSError:
                finish(s, False)
        now = time.monotonic()
        for s in [s for s, st in in_flight.items() if st[1] < now]:
            finish(s, False)
    for s in list(in_flight):
        finish(s, False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
