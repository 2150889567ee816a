#!/usr/bin/env python3
"""Small clients for the netns tests (stdlib only; every wait bounded).

  netclient.py udp HOST PORT [--timeout S]
      send one datagram, print the reply; exit 1 on timeout.
  netclient.py udp-burst HOST PORT [--count N] [--timeout S]
      from ONE socket, send N datagrams one after another (each waits for its reply or the
      timeout); print each reply, then "answered=K from=ADDR:PORT[,ADDR:PORT...]" (the sources seen).
  netclient.py keepalive HOST PORT --out FILE [--interval S] [--max-seconds S] [--stop-file F]
      open ONE TCP connection, then send "GET /" on it every --interval seconds, appending
      "ok <body>" per answer to FILE. Never reconnects: any error appends "err <reason>" and exits 1.
      Stops (exit 0) when --stop-file exists or after --max-seconds.
"""
import argparse
import os
import socket
import sys
import time


def udp(args):
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(args.timeout)
    s.sendto(b"ping\n", (args.host, args.port))
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        print("timeout", file=sys.stderr)
        return 1
    sys.stdout.write(data.decode(errors="replace"))
    return 0


def read_response(sock, buf):
    """Reads one HTTP/1.1 response with Content-Length; returns (body, rest-of-buffer)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by peer while reading headers")
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(buf) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by peer while reading body")
        buf += chunk
    return buf[:length], buf[length:]


def keepalive(args):
    deadline = time.monotonic() + args.max_seconds
    out = open(args.out, "a", buffering=1)
    try:
        sock = socket.create_connection((args.host, args.port), timeout=3)
        sock.settimeout(3)
        local = sock.getsockname()
        out.write(f"connected {local[0]} {local[1]}\n")
        req = f"GET / HTTP/1.1\r\nHost: {args.host}\r\n\r\n".encode()
        buf = b""
        while time.monotonic() < deadline:
            if args.stop_file and os.path.exists(args.stop_file):
                break
            sock.sendall(req)
            body, buf = read_response(sock, buf)
            out.write("ok " + body.decode(errors="replace").strip() + "\n")
            time.sleep(args.interval)
        sock.close()
        return 0
    except (OSError, ConnectionError, ValueError) as e:
        out.write(f"err {e}\n")
        return 1
    finally:
        out.close()


def udp_burst(args):
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(args.timeout)
    answered, sources = 0, set()
    for i in range(args.count):
        s.sendto(f"ping {i}\n".encode(), (args.host, args.port))
        try:
            data, peer = s.recvfrom(2048)
        except socket.timeout:
            print(f"timeout {i}")
            continue
        answered += 1
        sources.add(f"{peer[0]}:{peer[1]}")
        sys.stdout.write(data.decode(errors="replace"))
    print(f"answered={answered} from={','.join(sorted(sources))}")
    return 0 if answered == args.count else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("udp")
    u.add_argument("host")
    u.add_argument("port", type=int)
    u.add_argument("--timeout", type=float, default=2.0)
    b = sub.add_parser("udp-burst")
    b.add_argument("host")
    b.add_argument("port", type=int)
    b.add_argument("--count", type=int, default=100)
    b.add_argument("--timeout", type=float, default=1.0)
    k = sub.add_parser("keepalive")
    k.add_argument("host")
    k.add_argument("port", type=int)
    k.add_argument("--out", required=True)
    k.add_argument("--interval", type=float, default=0.2)
    k.add_argument("--max-seconds", type=float, default=60)
    k.add_argument("--stop-file")
    args = ap.parse_args()
    if args.cmd == "udp-burst":
        return udp_burst(args)
    return udp(args) if args.cmd == "udp" else keepalive(args)


if __name__ == "__main__":
    sys.exit(main())
