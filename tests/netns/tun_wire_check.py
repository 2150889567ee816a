#!/usr/bin/env python3
"""Checks a capture of the director's TUN packets with scapy's own dissectors (not ours).

tun_wire_check.py PCAP: every IPv4 packet of protocol 4 must be an IPv4 header over a whole IPv4
packet (outer length = 20 + inner length, outer and inner header checksums right, the inner TCP
checksum right); every IPv6 packet of next header 41 must carry a whole IPv6 packet. Exit 0 when
at least one tunnel packet was seen and all are well-formed; prints the first problem otherwise.
"""
import sys

from scapy.all import IP, IPv6, TCP, rdpcap  # noqa: E402


def recomputed(layer, field):
    clone = layer.__class__(bytes(layer))
    setattr(clone, field, None)
    return getattr(layer.__class__(bytes(clone)), field)


def main():
    seen = 0
    for pkt in rdpcap(sys.argv[1]):
        if IP in pkt and pkt[IP].proto == 4:
            outer = pkt[IP]
            inner = outer.payload
            if not isinstance(inner, IP):
                print("IPIP payload is not IPv4"); return 1
            if outer.len != 20 + inner.len or outer.ihl != 5:
                print(f"outer length {outer.len} != 20 + inner {inner.len}"); return 1
            if outer.chksum != recomputed(outer, "chksum") or inner.chksum != recomputed(inner, "chksum"):
                print("an IPv4 header checksum is wrong"); return 1
            if TCP in inner:
                clone = IP(bytes(inner))
                clone[TCP].chksum = None
                if IP(bytes(clone))[TCP].chksum != inner[TCP].chksum:
                    print("the inner TCP checksum is wrong"); return 1
            seen += 1
        elif IPv6 in pkt and pkt[IPv6].nh == 41:
            outer = pkt[IPv6]
            inner = outer.payload
            if not isinstance(inner, IPv6) or outer.plen != 40 + inner.plen:
                print("IPv6-in-IPv6: payload is not a whole IPv6 packet"); return 1
            seen += 1
    print(f"{seen} tunnel packets, all well-formed")
    return 0 if seen > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
