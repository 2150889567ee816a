#!/usr/bin/env python3
"""A real server for the netns lab: stdlib only, one process per real.

HTTP/1.1 (keep-alive, Content-Length) on every --tcp port and a UDP echo on every --udp port,
each on IPv4 and IPv6 (separate sockets, so peers never show up as ::ffff:a.b.c.d).

  GET /            -> "<name> <peer-ip>\n"   the address this real saw as the client
  GET /bytes/N     -> N bytes ("x" * N), for transfer tests
  POST /...        -> "<name> <peer> received N": an upload's size as it arrived
  UDP datagram     -> "<name> <peer-ip>\n", sent from the address the datagram was sent to
                      (IP_PKTINFO), so a DR real answers from the VIP it holds on lo.

Fast enough for functional tests (hundreds of requests per second), not for benchmarks.
"""
import argparse
import signal
import socket
import socketserver
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME = "real"
MAX_BYTES = 64 * 1024 * 1024

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
IPV6_RECVPKTINFO = getattr(socket, "IPV6_RECVPKTINFO", 49)
IPV6_PKTINFO = getattr(socket, "IPV6_PKTINFO", 50)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "real_server"
    disable_nagle_algorithm = True
    timeout = 600  # an idle keep-alive connection is dropped after this

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path.startswith("/bytes/"):
            try:
                n = min(int(self.path[len("/bytes/"):]), MAX_BYTES)
            except ValueError:
                n = 0
            body = b"x" * n
        else:
            body = f"{NAME} {self.client_address[0]}\n".encode()
        head = (
            f"HTTP/1.1 200 OK\r\nServer: {NAME}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        # One write: headers and body in separate segments would meet Nagle + delayed ACK.
        self.wfile.write(head + body)

    def do_POST(self):  # noqa: N802: an upload; answers how many bytes of it arrived
        try:
            want = min(int(self.headers.get("Content-Length", "0")), MAX_BYTES)
        except ValueError:
            want = 0
        got = 0
        while got < want:
            chunk = self.rfile.read(min(65536, want - got))
            if not chunk:
                break
            got += len(chunk)
        body = f"{NAME} {self.client_address[0]} received {got}\n".encode()
        head = (
            f"HTTP/1.1 200 OK\r\nServer: {NAME}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.wfile.write(head + body)

    def log_message(self, *args):
        pass


class Http4(ThreadingHTTPServer):
    address_family = socket.AF_INET
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True


class Http6(Http4):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


def udp_echo(family, port):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
        s.bind(("::", port))
    else:
        s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        s.bind(("0.0.0.0", port))

    def loop():
        while True:
            data, anc, _flags, peer = s.recvmsg(2048, 256)
            reply = f"{NAME} {peer[0]}\n".encode()
            cmsgs = []
            for level, ctype, cdata in anc:
                if family == socket.AF_INET and level == socket.IPPROTO_IP and ctype == IP_PKTINFO:
                    # struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; }
                    dst = cdata[8:12]
                    cmsgs = [(socket.IPPROTO_IP, IP_PKTINFO, struct.pack("i4s4s", 0, dst, b"\0" * 4))]
                elif family == socket.AF_INET6 and level == socket.IPPROTO_IPV6 and ctype == IPV6_PKTINFO:
                    # struct in6_pktinfo { in6_addr addr; int ifindex; }
                    cmsgs = [(socket.IPPROTO_IPV6, IPV6_PKTINFO, cdata[:16] + struct.pack("i", 0))]
            try:
                s.sendmsg([reply], cmsgs, 0, peer)
            except OSError as e:
                print(f"udp {port}: reply to {peer[0]} failed: {e}", file=sys.stderr)

    threading.Thread(target=loop, daemon=True).start()


def ports(text):
    return [int(p) for p in text.split(",") if p]


def main():
    global NAME
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--tcp", default="80,8080", help="comma-separated HTTP ports")
    ap.add_argument("--udp", default="53", help="comma-separated UDP echo ports")
    ap.add_argument("--no-ipv6", action="store_true")
    args = ap.parse_args()
    NAME = args.name

    servers = []
    for port in ports(args.tcp):
        servers.append(Http4(("0.0.0.0", port), Handler))
        if not args.no_ipv6:
            servers.append(Http6(("::", port), Handler))
    for port in ports(args.udp):
        udp_echo(socket.AF_INET, port)
        if not args.no_ipv6:
            udp_echo(socket.AF_INET6, port)
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(f"{NAME}: serving tcp {args.tcp} udp {args.udp}", flush=True)
    done.wait()


if __name__ == "__main__":
    main()
