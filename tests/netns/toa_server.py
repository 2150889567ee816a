#!/usr/bin/env python3
"""An unmodified server for tests/netns/test_real_toa.sh: accepts on the given ports and, per
connection, prints "PORT accept ADDR PEERPORT getpeername ADDR PEERPORT" (what accept() and
getpeername() returned) and answers an HTTP/1.0 request with "peer ADDR PEERPORT". --dual ports
are AF_INET6 sockets that take IPv4 too (v4-mapped peers)."""
import argparse
import selectors
import socket
import sys


def listener(port, family, dual):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dual else 1)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    s.listen(64)
    return s


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--v4", type=int, action="append", default=[])
    p.add_argument("--dual", type=int, action="append", default=[])
    a = p.parse_args()
    sel = selectors.DefaultSelector()
    for port in a.v4:
        sel.register(listener(port, socket.AF_INET, False), selectors.EVENT_READ, port)
    for port in a.dual:
        sel.register(listener(port, socket.AF_INET6, True), selectors.EVENT_READ, port)
    print("listening", flush=True)
    while True:
        for key, _ in sel.select():
            conn, accepted = key.fileobj.accept()
            peer = conn.getpeername()
            print(f"{key.data} accept {accepted[0]} {accepted[1]} getpeername {peer[0]} {peer[1]}", flush=True)
            conn.settimeout(2)
            try:
                conn.recv(4096)
                body = f"peer {peer[0]} {peer[1]}\n".encode()
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            except OSError:
                pass
            conn.close()


if __name__ == "__main__":
    sys.exit(main())
