#!/usr/bin/env python3
"""A mixed load through a VIP for the connection-count scheduler drills (stdlib only).

  mixed_load.py --vip 192.0.2.101 --port 9000 --count 150 --rate 20 --hold 0.3 \
                --slow real1 --slow-factor 10 [--weights real1=1,real2=1,real3=1]

Opens --count connections at --rate per second to drill_server.py reals behind the VIP, asks
each which real it reached, and holds it --hold seconds (--slow-factor times longer on the --slow
real: a real that answers slowly keeps its connections longer). Samples the open connections per
real every 20 ms. Then replays the same arrivals on a model of IPVS's wlc (active = open,
inactive = closed: TIME_WAIT outlives the run) and prints, for both, the mean open connections
per weight unit of each real and the share of connections each real took:

  measured active/weight real1=2.10 real2=1.90 real3=1.95 share real1=0.12 real2=0.44 real3=0.44
  model    active/weight real1=2.00 real2=1.98 real3=1.97 share real1=0.11 real2=0.45 real3=0.44

Bounded: at most 2,000 connections, 5 s per connect or answer, --count / --rate + the longest
hold seconds in all. Exits 1 on a failed connection.
"""
import argparse
import sys
import time

from hold_conns import open_one  # same directory: Python puts the script's own on sys.path


def model_wlc(arrivals, names, weights, hold_of):
    """IPVS wlc on the same arrival times: (active << 8) + inactive over weight, first of equals."""
    closes = []  # (time, real)
    active = {n: 0 for n in names}
    inactive = {n: 0 for n in names}
    placed = []
    for t in arrivals:
        for c in [c for c in closes if c[0] <= t]:
            closes.remove(c)
            active[c[1]] -= 1
            inactive[c[1]] += 1
        least, loh = None, 0
        for n in names:
            doh = (active[n] << 8) + inactive[n]
            if least is None or loh * weights[n] > doh * weights[least]:
                least, loh = n, doh
        active[least] += 1
        closes.append((t + hold_of(least), least))
        placed.append((t, least))
    return placed


def mean_open(placed, names, hold_of, end, step=0.02):
    totals = {n: 0.0 for n in names}
    samples = 0
    t = 0.0
    while t < end:
        for start, n in placed:
            if start <= t < start + hold_of(n):
                totals[n] += 1
        samples += 1
        t += step
    return {n: totals[n] / max(samples, 1) for n in names}


def line(label, placed, names, weights, hold_of, end):
    opened = mean_open(placed, names, hold_of, end)
    share = {n: sum(1 for _, m in placed if m == n) / max(len(placed), 1) for n in names}
    return "%-8s active/weight %s share %s" % (
        label,
        " ".join("%s=%.2f" % (n, opened[n] / weights[n]) for n in names),
        " ".join("%s=%.2f" % (n, share[n]) for n in names))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vip", required=True)
    p.add_argument("--port", type=int, default=9000)
    p.add_argument("--count", type=int, default=150)
    p.add_argument("--rate", type=float, default=20.0)
    p.add_argument("--hold", type=float, default=0.3)
    p.add_argument("--slow", default="real1")
    p.add_argument("--slow-factor", type=float, default=10.0)
    p.add_argument("--weights", default="real1=1,real2=1,real3=1")
    args = p.parse_args()
    if args.count > 2000:
        sys.exit("at most 2000 connections")
    weights = {k: int(v) for k, v in (kv.split("=") for kv in args.weights.split(","))}
    names = sorted(weights)

    def hold_of(name):
        return args.hold * (args.slow_factor if name == args.slow else 1.0)

    start = time.monotonic()
    held = []  # (close_at, socket)
    placed = []  # (arrival offset, real)
    try:
        for i in range(args.count):
            due = start + i / args.rate
            while True:
                now = time.monotonic()
                for item in [h for h in held if h[0] <= now]:
                    item[1].close()
                    held.remove(item)
                if now >= due:
                    break
                time.sleep(min(0.005, due - now))
            sock, name = open_one(args.vip, args.port, i)
            t = time.monotonic() - start
            placed.append((t, name))
            held.append((start + t + hold_of(name), sock))
        while held:
            now = time.monotonic()
            for item in [h for h in held if h[0] <= now]:
                item[1].close()
                held.remove(item)
            time.sleep(0.005)
    except OSError as e:
        print("error", e, flush=True)
        return 1
    finally:
        for _, s in held:
            s.close()
    end = args.count / args.rate
    print(line("measured", placed, names, weights, hold_of, end), flush=True)
    modelled = model_wlc([t for t, _ in placed], names, weights, hold_of)
    print(line("model", modelled, names, weights, hold_of, end), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
