#!/usr/bin/env python3
"""Measures how long a VIP stops answering (stdlib only; every wait bounded).

  outage_probe.py HOST PORT --max-seconds S --stop-file F [--interval S] [--timeout S]

Every --interval seconds it opens a NEW TCP connection to HOST:PORT, sends "GET /" and waits for
an answer (at most --timeout). Until --stop-file exists or --max-seconds pass. Then prints one
line:  attempts=N failures=N longest_outage_ms=N first_failure_s=T
where an outage runs from the start of a failed attempt to the end of the next good one, and
times are seconds since the probe started. A connection refused or reset fails at once, so the
outage is measured with the interval's resolution, not the timeout's.
"""
import argparse
import os
import socket
import time


def attempt(host, port, timeout):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
        return len(s.recv(256)) > 0
    except OSError:
        return False
    finally:
        s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--max-seconds", type=float, required=True)
    p.add_argument("--stop-file", required=True)
    p.add_argument("--interval", type=float, default=0.01)
    p.add_argument("--timeout", type=float, default=0.2)
    a = p.parse_args()
    start = time.monotonic()
    attempts = failures = 0
    longest = 0.0
    outage_start = None
    first_failure = None
    while time.monotonic() - start < a.max_seconds and not os.path.exists(a.stop_file):
        t0 = time.monotonic()
        ok = attempt(a.host, a.port, a.timeout)
        t1 = time.monotonic()
        attempts += 1
        if ok:
            if outage_start is not None:
                longest = max(longest, t1 - outage_start)
                outage_start = None
        else:
            failures += 1
            if first_failure is None:
                first_failure = t0 - start
            if outage_start is None:
                outage_start = t0
        rest = a.interval - (time.monotonic() - t0)
        if rest > 0:
            time.sleep(rest)
    if outage_start is not None:  # still down at the end: count it to the end
        longest = max(longest, time.monotonic() - outage_start)
    print("attempts=%d failures=%d longest_outage_ms=%d first_failure_s=%s" % (
        attempts, failures, int(longest * 1000),
        "-" if first_failure is None else "%.3f" % first_failure), flush=True)


if __name__ == "__main__":
    main()
