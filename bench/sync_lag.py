#!/usr/bin/env python3
"""Joins the conntrack event stamps of bench/sync.sh part B (bench/ct_event_stamp.cc output).

  sync_lag.py DIR1_FILE DIR2_FILE SRC_IP SENT REF

Lines: "<ns> <N|U> <seen_reply> <src ip> <src port> <start ns>". Only flows from SRC_IP count.
REF=kernel: lag = the kernel's creation stamps (CTA_TIMESTAMP_START), dir2's entry (inserted by
the sync daemon) - dir1's (the client's SYN): no user-space reading delay on either side; it
includes the handshake for a daemon that waits for SEEN_REPLY (only DESTROY events carry the
stamps: bench/sync.sh flushes both tables at the end of a run). Otherwise, per flow:
  ref  = dir1's first event that makes the flow worth syncing: REF=seen -> the first with
         SEEN_REPLY (directord syncs a flow from then on), REF=first -> its first event (NEW:
         conntrackd syncs from there)
  peer = dir2's first event of the flow (the synced entry created there)
  lag  = peer - ref. Prints: matched M sent S ref R p50 X p99 Y max Z (ms), plus how many dir2
  entries had no dir1 reference and how many lags were negative (clipped to 0 in the figures).
"""
import sys


def load(path, src, want_seen, kernel=False):
    first = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) != 6 or p[3] != src:
                continue
            if want_seen and p[2] != "1":
                continue
            if p[1] == "D" and not kernel:
                continue
            k = int(p[4])
            if k not in first:
                t = int(p[5]) if kernel else int(p[0])
                if t > 0:
                    first[k] = t
    return first


def pct(v, q):
    return v[min(len(v) - 1, int(q / 100.0 * len(v)))]


def main():
    d1, d2, src, sent, ref = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    r = load(d1, src, ref == "seen", ref == "kernel")
    p = load(d2, src, False, ref == "kernel")
    lags = []
    orphans = neg = 0
    for k, t in p.items():
        if k not in r:
            orphans += 1
            continue
        d = (t - r[k]) / 1e6
        if d < 0:
            neg += 1
            d = 0.0
        lags.append(d)
    lags.sort()
    if not lags:
        print(f"matched 0 sent {sent} ref {len(r)} p50 - p99 - max - no-ref {orphans} negative {neg}")
        return 0
    print(f"matched {len(lags)} sent {sent} ref {len(r)} p50 {pct(lags, 50):.2f} p99 {pct(lags, 99):.2f} "
          f"max {lags[-1]:.2f} no-ref {orphans} negative {neg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
