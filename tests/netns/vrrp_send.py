#!/usr/bin/env python3
"""Craft VRRP advertisements, good or deliberately broken, and send them over raw sockets.

Used by tests/netns/test_vrrp_bad_packets.sh to prove that directord drops each kind of bad
packet (and counts it by reason) and, as a control, yields to a valid one. Standard library only.

  IPv4: socket(AF_INET, SOCK_RAW, IPPROTO_RAW) with our own IP header, so TTL and protocol are
        whatever we say (the kernel fills in the IP header checksum and the total length).
  IPv6: socket(AF_INET6, SOCK_RAW, 112); the hop limit is set with IPV6_MULTICAST_HOPS /
        IPV6_UNICAST_HOPS and the source by bind() (needed for the v3 pseudo-header).

The VRRP checksum is correct unless --checksum says otherwise: over the message alone for v2
(RFC 3768 §5.3.8), over the IPv4/IPv6 pseudo-header plus the message for v3 (RFC 5798 §5.2.8).
Faults are applied to the finished message before the checksum is computed (--truncate, --pad,
--count-field, --type, --version), so each packet carries exactly the one fault asked for.

Examples:
  vrrp_send.py --dev lan0 --src 198.51.100.3 --vrid 51 --priority 254 --address 192.0.2.51
  vrrp_send.py --dev lan0 --src 198.51.100.3 --vrid 52 -V 2 --auth-pass secret12 --interval 1 \\
      --address 192.0.2.52 --ttl 64 --repeat 3
  vrrp_send.py --dev lan0 --src fe80::1 --dst ff02::12 --vrid 53 --address fd00:2::53 \\
      --repeat 20 --gap 0.1
"""

import argparse
import ipaddress
import socket
import struct
import sys
import time

VRRP_PROTO = 112
MCAST4 = "224.0.0.18"
MCAST6 = "ff02::12"
SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)
IPV6_MULTICAST_IF = getattr(socket, "IPV6_MULTICAST_IF", 17)
IPV6_MULTICAST_HOPS = getattr(socket, "IPV6_MULTICAST_HOPS", 18)
IPV6_UNICAST_HOPS = getattr(socket, "IPV6_UNICAST_HOPS", 16)


def ones_sum(data, acc=0):
    """RFC 1071 one's-complement sum (unfolded); an odd last byte is padded with zero."""
    if len(data) % 2:
        data = data + b"\0"
    for (word,) in struct.iter_unpack("!H", data):
        acc += word
    return acc


def fold(acc):
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


def pseudo_header(src, dst, length):
    """RFC 5798 §5.2.8: IPv4 (src, dst, 0, 112, 16-bit length) or IPv6 (RFC 8200 §8.1)."""
    if src.version == 4:
        return src.packed + dst.packed + struct.pack("!BBH", 0, VRRP_PROTO, length)
    return src.packed + dst.packed + struct.pack("!I3xB", length, VRRP_PROTO)


def vrrp_checksum(message, version, src, dst, mode):
    """The checksum field's value for `message` (whose checksum bytes must be zero)."""
    covered = message
    if version == 3 and mode != "nopseudo":
        covered = pseudo_header(src, dst, len(message)) + message
    value = (~fold(ones_sum(covered))) & 0xFFFF
    if mode == "bad":
        value ^= 0x5A5A  # any other value fails the receiver's check
    elif mode == "zero":
        value = 0
    return value


def build_message(a, src, dst):
    version = a.version
    v2_layout = a.layout == "v2"
    addrs = [ipaddress.ip_address(x) for x in a.address]
    for x in addrs:
        if x.version != src.version:
            sys.exit(f"vrrp_send: address {x} is not of the source's family")
    count = len(addrs) if a.count_field is None else a.count_field
    msg = bytearray()
    msg += struct.pack("!BBBB", ((version & 0xF) << 4) | (a.type & 0xF), a.vrid, a.priority,
                       count & 0xFF)
    if v2_layout:
        secs = int(round(a.interval))
        msg += struct.pack("!BB", a.auth_type if a.auth_type is not None
                           else (1 if a.auth_pass is not None else 0), secs & 0xFF)
    else:
        cs = int(round(a.interval * 100))
        msg += struct.pack("!H", cs & 0x0FFF)  # reserved nibble zero, 12-bit centiseconds
    msg += b"\0\0"  # checksum, filled in last
    for x in addrs:
        msg += x.packed
    if v2_layout:
        pw = (a.auth_pass or "").encode()[:8]
        msg += pw + b"\0" * (8 - len(pw))
    if a.truncate:
        if a.truncate >= len(msg):
            sys.exit("vrrp_send: --truncate removes the whole message")
        del msg[len(msg) - a.truncate:]
    if a.pad:
        msg += b"\xab" * a.pad
    if len(msg) >= 8:
        # The receiver sums the checksum field too; what it must hold is computed with it zeroed.
        msg[6:8] = b"\0\0"
        csum = vrrp_checksum(bytes(msg), 2 if v2_layout else 3, src, dst, a.checksum)
        msg[6:8] = struct.pack("!H", csum)
    return bytes(msg)


def ipv4_header(src, dst, ttl, proto, payload_len, tos=0xC0):
    total = 20 + payload_len
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, total, 0, 0, ttl, proto, 0, src.packed,
                      dst.packed)
    csum = (~fold(ones_sum(hdr))) & 0xFFFF
    return hdr[:10] + struct.pack("!H", csum) + hdr[12:]


def open_v4(dev):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)  # implies IP_HDRINCL
    s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, dev.encode())
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    return s


def open_v6(dev, src, ttl):
    ifindex = socket.if_nametoindex(dev)
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, VRRP_PROTO)
    s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, dev.encode())
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex)
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl)
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
    # The pseudo-header names the source, so it must be the one the kernel puts on the wire.
    s.bind((str(src), 0, 0, ifindex if src.is_link_local else 0))
    return s, ifindex


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dev", required=True, help="interface to send on (SO_BINDTODEVICE)")
    p.add_argument("--src", required=True, help="source address (also used in the pseudo-header)")
    p.add_argument("--dst", help="destination (default 224.0.0.18 / ff02::12)")
    p.add_argument("-V", "--version", type=int, default=3, help="version nibble (default 3)")
    p.add_argument("--layout", choices=["auto", "v2", "v3"], default="auto",
                   help="header layout when --version is neither 2 nor 3 (default v3)")
    p.add_argument("--type", type=int, default=1, help="type nibble (1 = advertisement)")
    p.add_argument("--vrid", type=int, required=True)
    p.add_argument("--priority", type=int, default=100)
    p.add_argument("--interval", type=float, default=None,
                   help="advert interval in seconds (default 1 for v2, 0.1 for v3)")
    p.add_argument("--address", action="append", default=[], help="virtual address (repeatable)")
    p.add_argument("--count-field", type=int, help="address count to write (default: actual)")
    p.add_argument("--auth-type", type=int, help="v2 auth type (default 1 with --auth-pass, else 0)")
    p.add_argument("--auth-pass", help="v2 simple password (zero-padded to 8 bytes)")
    p.add_argument("--ttl", type=int, default=255, help="IPv4 TTL / IPv6 hop limit (default 255)")
    p.add_argument("--protocol", type=int, default=VRRP_PROTO, help="IPv4 protocol (default 112)")
    p.add_argument("--checksum", choices=["good", "bad", "nopseudo", "zero"], default="good",
                   help="nopseudo: v3 checksum without the pseudo-header (a v2-style mistake)")
    p.add_argument("--truncate", type=int, default=0, help="drop N bytes off the end")
    p.add_argument("--pad", type=int, default=0, help="append N junk bytes")
    p.add_argument("--repeat", type=int, default=1, help="packets to send (default 1)")
    p.add_argument("--gap", type=float, default=0.02, help="seconds between packets")
    p.add_argument("--hex", action="store_true", help="print each VRRP message in hex")
    a = p.parse_args()

    src = ipaddress.ip_address(a.src.split("%")[0])
    dst = ipaddress.ip_address(a.dst or (MCAST4 if src.version == 4 else MCAST6))
    if src.version != dst.version:
        sys.exit("vrrp_send: --src and --dst of different families")
    if a.interval is None:
        a.interval = 1.0 if a.version == 2 else 0.1
    if a.layout == "auto":
        a.layout = "v2" if a.version == 2 else "v3"

    msg = build_message(a, src, dst)
    if src.version == 4:
        sock = open_v4(a.dev)
        packet = ipv4_header(src, dst, a.ttl, a.protocol, len(msg)) + msg
        target = (str(dst), 0)
    else:
        sock, ifindex = open_v6(a.dev, src, a.ttl)
        packet = msg
        target = (str(dst), 0, 0, ifindex if (dst.is_link_local or dst.is_multicast) else 0)
    try:
        for i in range(a.repeat):
            if a.hex:
                print(msg.hex(), flush=True)
            n = sock.sendto(packet, target)
            if n != len(packet):
                sys.exit(f"vrrp_send: short send ({n} of {len(packet)} bytes)")
            if i + 1 < a.repeat:
                time.sleep(a.gap)
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
