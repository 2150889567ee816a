#!/usr/bin/env python3
"""Bounded HTTP load for the drills (stdlib only; every wait bounded).

  loadgen.py HOST PORT --out FILE [--rate R] [--concurrency C] [--keepalive K]
                       [--max-seconds S] [--stop-file F] [--timeout T] [--progress-every P]

  --concurrency C threads each loop: a new TCP connection, "GET /" with "Connection: close", the
  answer's first word (the real's name, "<real> <peer>" from scripts/real_server.py or
  tests/netns/health_server.py) recorded, closed. Together they start at most R requests a second
  (0: as fast as they go). --keepalive K more threads each hold ONE keep-alive connection and send
  a GET on it every 1/R_k s (R_k = 5), reconnecting after an error (each error counted, and each
  reconnect). Runs until --max-seconds (always bounded) or until --stop-file exists.
  Writes FILE (JSON) every --progress-every seconds and at the end:
    {"elapsed_s", "requests", "ok", "per_real": {...}, "errors": {reason: n},
     "keepalive": {"requests", "ok", "errors": {...}, "reconnects"}, "done": bool}
  Exit 0 when the run ended (whatever the errors: the caller judges them).
"""
import argparse
import errno
import json
import os
import socket
import threading
import time
from collections import Counter

REQUEST_CLOSE = b"GET / HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n"
REQUEST_KEEP = b"GET / HTTP/1.1\r\nHost: vip\r\n\r\n"


def reason_of(exc):
    if isinstance(exc, socket.timeout):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if isinstance(exc, OSError) and exc.errno:
        return errno.errorcode.get(exc.errno, str(exc.errno)).lower()
    return type(exc).__name__


def read_response(sock, buf):
    """One HTTP/1.1 response with Content-Length: (body, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the headers")
        buf += chunk
        if len(buf) > 65536:
            raise ValueError("headers too long")
    head, buf = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    if length > 65536:
        raise ValueError("body too long")
    while len(buf) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the body")
        buf += chunk
    return buf[:length], buf[length:]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.ok = 0
        self.per_real = Counter()
        self.errors = Counter()
        self.ka_requests = 0
        self.ka_ok = 0
        self.ka_errors = Counter()
        self.ka_reconnects = 0

    def snapshot(self, elapsed, done):
        with self.lock:
            return {
                "elapsed_s": round(elapsed, 2),
                "requests": self.requests,
                "ok": self.ok,
                "per_real": dict(self.per_real),
                "errors": dict(self.errors),
                "keepalive": {"requests": self.ka_requests, "ok": self.ka_ok,
                              "errors": dict(self.ka_errors), "reconnects": self.ka_reconnects},
                "done": done,
            }


def write_json(path, obj):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(obj, f, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


class Pacer:
    """Hands out request start times at `rate` per second across threads (0: no pacing)."""

    def __init__(self, rate):
        self.rate = rate
        self.lock = threading.Lock()
        self.next = time.monotonic()

    def wait(self, stop_at):
        if self.rate <= 0:
            return time.monotonic() < stop_at
        with self.lock:
            now = time.monotonic()
            self.next = max(self.next, now - 1.0)  # no catch-up burst after a stall
            at = self.next
            self.next += 1.0 / self.rate
        if at >= stop_at:
            return False
        delay = at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return True


def one_request(args, family):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(args.timeout)
    try:
        s.connect((args.host, args.port))
        s.sendall(REQUEST_CLOSE)
        body, _ = read_response(s, b"")
        return body.split(b" ", 1)[0].decode(errors="replace")
    finally:
        s.close()


def closer_worker(args, family, stats, pacer, stop):
    while not stop.is_set() and pacer.wait(args.stop_at):
        try:
            real = one_request(args, family)
            with stats.lock:
                stats.requests += 1
                stats.ok += 1
                stats.per_real[real] += 1
        except (OSError, ValueError) as e:
            with stats.lock:
                stats.requests += 1
                stats.errors[reason_of(e)] += 1


def keepalive_worker(args, family, stats, stop):
    sock, buf = None, b""
    while not stop.is_set() and time.monotonic() < args.stop_at:
        try:
            if sock is None:
                sock = socket.socket(family, socket.SOCK_STREAM)
                sock.settimeout(args.timeout)
                sock.connect((args.host, args.port))
                buf = b""
            sock.sendall(REQUEST_KEEP)
            body, buf = read_response(sock, buf)
            with stats.lock:
                stats.ka_requests += 1
                stats.ka_ok += 1
        except (OSError, ValueError) as e:
            with stats.lock:
                stats.ka_requests += 1
                stats.ka_errors[reason_of(e)] += 1
                stats.ka_reconnects += 1
            if sock is not None:
                sock.close()
            sock = None
        stop.wait(0.2)
    if sock is not None:
        sock.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--keepalive", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=60.0)
    ap.add_argument("--stop-file")
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--progress-every", type=float, default=1.0)
    args = ap.parse_args()
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    start = time.monotonic()
    args.stop_at = start + args.max_seconds
    stats, stop, pacer = Stats(), threading.Event(), Pacer(args.rate)
    threads = [threading.Thread(target=closer_worker, args=(args, family, stats, pacer, stop), daemon=True)
               for _ in range(args.concurrency)]
    threads += [threading.Thread(target=keepalive_worker, args=(args, family, stats, stop), daemon=True)
                for _ in range(args.keepalive)]
    for t in threads:
        t.start()
    while time.monotonic() < args.stop_at:
        if args.stop_file and os.path.exists(args.stop_file):
            break
        write_json(args.out, stats.snapshot(time.monotonic() - start, False))
        time.sleep(min(args.progress_every, max(0.0, args.stop_at - time.monotonic())))
    stop.set()
    args.stop_at = time.monotonic()
    for t in threads:
        t.join(timeout=args.timeout + 1)
    write_json(args.out, stats.snapshot(time.monotonic() - start, True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
