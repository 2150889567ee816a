#!/usr/bin/env python3
"""A TUN real's decapsulator built on scapy's own IPIP dissector, not on directord's code.

scapy_decap.py IFACE COUNT SECONDS: sniffs IPv4-in-IPv4 packets on IFACE, strips the outer
header as scapy parses it (IP / IP / ...), and sends the inner packet into this host's own stack
through a raw socket (IP_HDRINCL: its source stays the client's), where the VIP on lo takes it.
Stops after COUNT packets or SECONDS; prints "sniffing" once ready, then a running count.
"""
import socket
import sys

from scapy.all import IP, sniff  # noqa: E402


def main():
    iface, count, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    done = 0

    def inner(pkt):
        nonlocal done
        if IP not in pkt or pkt[IP].proto != 4 or not isinstance(pkt[IP].payload, IP):
            return
        packet = bytes(pkt[IP].payload)
        raw.sendto(packet, (pkt[IP].payload.dst, 0))
        done += 1
        print(f"decapsulated {done}", flush=True)  # as it goes: the caller may end us any time

    print("sniffing", flush=True)
    sniff(iface=iface, filter="ip proto 4", prn=inner, count=count, timeout=seconds, store=False)


if __name__ == "__main__":
    main()
