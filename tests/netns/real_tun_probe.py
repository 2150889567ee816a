#!/usr/bin/env python3
"""Plays a TUN director from the client namespace (tests/netns/test_real_decap.sh): sends TCP SYNs
encapsulated IP-in-IP (outer OUTER_SRC -> REAL, inner CLIENT:sport -> VIP:PORT) and counts the
SYN-ACKs that come back straight from VIP:PORT to CLIENT:sport. Prints "synacks N/COUNT".
IPv6 addresses give IPv6-in-IPv6."""
import argparse
import random
import sys
import time

from scapy.all import IP, IPv6, TCP, AsyncSniffer, conf, send  # noqa: E402

conf.verb = 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--outer-src", required=True)
    p.add_argument("--real", required=True)
    p.add_argument("--client", required=True)
    p.add_argument("--vip", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=3)
    p.add_argument("--iface", default="eth0")
    p.add_argument("--wait", type=float, default=1.5)
    a = p.parse_args()
    v6 = ":" in a.vip
    ports = random.sample(range(20000, 60000), a.count)
    seqs = {sport: random.randrange(1, 2**31) for sport in ports}
    bpf = f"tcp and src port {a.port}"
    sniffer = AsyncSniffer(iface=a.iface, filter=bpf, store=True)
    sniffer.start()
    time.sleep(0.3)
    for sport in ports:
        if v6:
            pkt = IPv6(src=a.outer_src, dst=a.real) / IPv6(src=a.client, dst=a.vip)
        else:
            pkt = IP(src=a.outer_src, dst=a.real) / IP(src=a.client, dst=a.vip)
        send(pkt / TCP(sport=sport, dport=a.port, flags="S", seq=seqs[sport]), iface=a.iface)
    time.sleep(a.wait)
    packets = sniffer.stop() or []
    seen = set()
    layer = IPv6 if v6 else IP
    for pkt in packets:
        if layer not in pkt or TCP not in pkt:
            continue
        ip, tcp = pkt[layer], pkt[TCP]
        if ip.src != a.vip or ip.dst != a.client or tcp.dport not in seqs:
            continue
        if (int(tcp.flags) & 0x12) == 0x12 and tcp.ack == seqs[tcp.dport] + 1:
            seen.add(tcp.dport)
    print(f"synacks {len(seen)}/{a.count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
