#!/usr/bin/env python3
"""Fixed TCP flows to a VIP: for each source port, one HTTP GET; prints "<port> <real>" per line.

tun_flows.py SRC VIP PORT FIRST_SOURCE_PORT COUNT   (each connect/answer bounded by 2 s)
A flow that gets no answer prints "<port> none". Two runs over the same ports tell whether two
directors (or one before and after a failover) send each flow to the same real.
"""
import socket
import sys


def main():
    src, vip, port, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    family = socket.AF_INET6 if ":" in vip else socket.AF_INET
    for sport in range(first, first + count):
        real = "none"
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(2)
        try:
            s.bind((src, sport))
            s.connect((vip, port))
            s.sendall(f"GET / HTTP/1.1\r\nHost: {vip}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            body = data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip()
            real = body.split(" ", 1)[0] or "none"
        except OSError:
            pass
        finally:
            # No TIME_WAIT on the client: the next run reuses these ports at once.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
        print(sport, real, flush=True)


if __name__ == "__main__":
    main()
