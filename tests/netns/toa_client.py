#!/usr/bin/env python3
"""A FULLNAT director's client side, by hand (tests/netns/test_real_toa.sh): a TCP handshake with
scapy whose SYN carries a TOA option (kind 254: port + IPv4, len 8; port + IPv6, len 20) naming a
made-up client, then an HTTP GET; prints the response body. The caller drops this namespace's
kernel RSTs (it has no socket for the connection). Exit 1 when the handshake or reply fails."""
import argparse
import ipaddress
import random
import struct
import sys
import time

from scapy.all import IP, IPv6, TCP, AsyncSniffer, conf, send, sr1  # noqa: E402

conf.verb = 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--dport", type=int, required=True)
    p.add_argument("--toa", help="client address to put in the option (none: no option)")
    p.add_argument("--toa-port", type=int, default=4242)
    p.add_argument("--iface", default="eth0")
    a = p.parse_args()
    ip = (lambda: IPv6(src=a.src, dst=a.dst)) if ":" in a.dst else (lambda: IP(src=a.src, dst=a.dst))
    sport = random.randrange(20000, 60000)
    seq = random.randrange(1, 2**31)
    options = [("MSS", 1400)]
    if a.toa:
        addr = ipaddress.ip_address(a.toa)
        options.append((254, struct.pack("!H", a.toa_port) + addr.packed))
    synack = sr1(ip() / TCP(sport=sport, dport=a.dport, flags="S", seq=seq, options=options),
                 timeout=2, iface=a.iface)
    if synack is None or TCP not in synack or (int(synack[TCP].flags) & 0x12) != 0x12:
        print("no SYN-ACK", file=sys.stderr)
        return 1
    rcv = synack[TCP].seq + 1
    seq += 1
    send(ip() / TCP(sport=sport, dport=a.dport, flags="A", seq=seq, ack=rcv), iface=a.iface)
    request = f"GET / HTTP/1.0\r\nHost: {a.dst}\r\n\r\n".encode()
    flt = f"tcp and src port {a.dport} and dst port {sport}"
    # The reply may come in several segments; collect until FIN, acknowledging as we go.
    sniffer = AsyncSniffer(iface=a.iface, filter=flt, store=True,
                           stop_filter=lambda x: TCP in x and int(x[TCP].flags) & 0x01)
    sniffer.start()
    time.sleep(0.2)
    send(ip() / TCP(sport=sport, dport=a.dport, flags="PA", seq=seq, ack=rcv) / request, iface=a.iface)
    sniffer.join(timeout=3)
    packets = sniffer.stop() if sniffer.running else sniffer.results
    seq += len(request)
    data = {}
    fin_seq = None
    for pkt in packets:
        t = pkt[TCP]
        payload = bytes(t.payload)
        if payload:
            data[t.seq] = payload
        if int(t.flags) & 0x01:
            fin_seq = t.seq + len(payload)
    body = b"".join(data[k] for k in sorted(data))
    if fin_seq is not None:
        send(ip() / TCP(sport=sport, dport=a.dport, flags="FA", seq=seq, ack=fin_seq + 1), iface=a.iface)
    text = body.decode(errors="replace")
    if "\r\n\r\n" not in text:
        print(f"no HTTP reply (got {len(body)} bytes)", file=sys.stderr)
        return 1
    print(text.split("\r\n\r\n", 1)[1].strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
