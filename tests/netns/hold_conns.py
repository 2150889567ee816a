#!/usr/bin/env python3
"""Long-lived connections through a VIP, for the connection-count scheduler drills (stdlib only).

  hold_conns.py --vip 192.0.2.101 --port 9000 --first 30 --then 20 [--pace 0.05] [--close-real NAME]

Opens --first connections one at a time (--pace seconds apart) to a drill_server.py behind the
VIP, asks each which real it reached, and keeps them all open. Then closes every connection held
by --close-real (default: the real named first in the first round), waits a second, and opens
--then more. Prints one line per round: "first real1=10 real2=10 real3=10", "closed real2=10",
"then real1=3 real2=13 real3=4". Exits 1 on any failed connection. Bounded: at most 1,000
connections, 5 s per connect or answer.
"""
import argparse
import socket
import sys
import time


def open_one(vip, port, index):
    s = socket.create_connection((vip, port), timeout=5)
    s.sendall(b"which %d\n" % index)
    answer = b""
    while not answer.endswith(b"\n"):
        chunk = s.recv(256)
        if not chunk:
            raise OSError("closed before answering")
        answer += chunk
    return s, answer.split()[0].decode()


def tally(names):
    counts = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    return " ".join("%s=%d" % (k, counts[k]) for k in sorted(counts))


def open_round(args, count, held, start):
    names = []
    for i in range(count):
        sock, name = open_one(args.vip, args.port, start + i)
        held.append((sock, name))
        names.append(name)
        time.sleep(args.pace)
    return names


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vip", required=True)
    p.add_argument("--port", type=int, default=9000)
    p.add_argument("--first", type=int, default=30)
    p.add_argument("--then", type=int, default=20)
    p.add_argument("--pace", type=float, default=0.05)
    p.add_argument("--close-real", default="")
    args = p.parse_args()
    if args.first + args.then > 1000:
        sys.exit("at most 1000 connections")
    held = []
    try:
        first = open_round(args, args.first, held, 0)
        print("first", tally(first), flush=True)
        victim = args.close_real or first[0]
        closing = [s for s, n in held if n == victim]
        for s in closing:
            s.close()
        held = [(s, n) for s, n in held if n != victim]
        print("closed %s=%d" % (victim, len(closing)), flush=True)
        time.sleep(1)
        then = open_round(args, args.then, held, args.first)
        print("then", tally(then), flush=True)
    except OSError as e:
        print("error", e, flush=True)
        return 1
    finally:
        for s, _ in held:
            s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
