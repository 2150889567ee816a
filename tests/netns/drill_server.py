#!/usr/bin/env python3
"""The real server of the connection-sync drills (stdlib only, one process, non-blocking).

  drill_server.py --name real1 [--port 9000] [--push-file F]

Listens on TCP --port, IPv4 and IPv6 (separate sockets). Line protocol, per connection:
  any line L            -> "<name> <peer-ip>:<peer-port> L\\n"   (the peer as this real sees it:
                           in FULLNAT the director's local address and port)
  "hello server-first [TAG]"  -> the same answer, and the connection is registered for pushes
                           (under TAG, when given)
Every 50 ms it reads what was appended to --push-file since the last look (or since it
started): each new line is one push request, and it writes "push <name> <peer-ip>:<peer-port>\\n"
to every registered connection still open (the server speaks first on those after a failover) --
or, when the line says "only TAG", to the connections registered under TAG only. Appended lines,
not a rewritten file, so two flow sets pushed within the same 50 ms are both served. Thousands of connections; no
per-connection timers. Exits 0 on SIGTERM/SIGINT. Prints one line per push (to stdout).
"""
import argparse
import os
import resource
import selectors
import signal
import socket
import sys
import time

MAX_LINE = 4096


class Conn:
    __slots__ = ("sock", "peer", "inbuf", "outbuf", "registered", "tag", "events")

    def __init__(self, sock, peer):
        self.sock = sock
        self.peer = peer
        self.inbuf = b""
        self.outbuf = b""
        self.registered = False
        self.tag = None
        self.events = selectors.EVENT_READ


class Server:
    def __init__(self, name, port, push_file):
        self.name = name
        self.push_file = push_file
        self.sel = selectors.DefaultSelector()
        self.conns = {}
        self.push_offset = 0
        if push_file:
            try:
                self.push_offset = os.path.getsize(push_file)  # requests before our start are old
            except OSError:
                pass
        self.stop = False
        self.listeners = []
        for family, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((addr, port))
            s.listen(4096)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, None)
            self.listeners.append(s)

    def accept(self, lsock):
        for _ in range(256):
            try:
                sock, addr = lsock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:  # EMFILE and friends: try again on the next event
                print(f"accept: {e}", file=sys.stderr, flush=True)
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c = Conn(sock, f"{addr[0]}:{addr[1]}")
            self.conns[sock.fileno()] = c
            self.sel.register(sock, selectors.EVENT_READ, c)

    def close(self, c):
        try:
            self.sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        self.conns.pop(c.sock.fileno(), None)
        c.sock.close()

    def send(self, c, data):
        c.outbuf += data
        self.flush(c)

    def flush(self, c):
        while c.outbuf:
            try:
                n = c.sock.send(c.outbuf)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self.close(c)
                return
            c.outbuf = c.outbuf[n:]
        want = selectors.EVENT_READ | (selectors.EVENT_WRITE if c.outbuf else 0)
        if want != c.events:
            c.events = want
            self.sel.modify(c.sock, want, c)

    def readable(self, c):
        try:
            data = c.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close(c)
            return
        if not data:
            self.close(c)
            return
        c.inbuf += data
        while b"\n" in c.inbuf:
            line, c.inbuf = c.inbuf.split(b"\n", 1)
            text = line.decode(errors="replace").rstrip("\r")
            if text == "hello server-first" or text.startswith("hello server-first "):
                c.registered = True
                c.tag = text[len("hello server-first "):] or None
            self.send(c, f"{self.name} {c.peer} {text}\n".encode())
            if c.sock.fileno() < 0:
                return
        if len(c.inbuf) > MAX_LINE:
            self.close(c)

    def check_push(self):
        if not self.push_file:
            return
        try:
            with open(self.push_file, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size < self.push_offset:  # replaced by a shorter file: read it from the start
                    self.push_offset = 0
                if size == self.push_offset:
                    return
                f.seek(self.push_offset)
                data = f.read(min(size - self.push_offset, 65536))
        except OSError:
            return
        end = data.rfind(b"\n")
        if end < 0:
            return  # a line still being written
        self.push_offset += end + 1
        for request in data[:end].decode(errors="replace").splitlines():
            words = request.split()
            tag = words[words.index("only") + 1] if "only" in words[:-1] else None
            n = 0
            for c in list(self.conns.values()):
                if c.registered and c.sock.fileno() >= 0 and (tag is None or c.tag == tag):
                    self.send(c, f"push {self.name} {c.peer}\n".encode())
                    n += 1
            print(f"{time.strftime('%H:%M:%S')} push{' ' + tag if tag else ''}: {n} connection(s) of {len(self.conns)}",
                  flush=True)

    def run(self):
        next_check = 0.0
        while not self.stop:
            now = time.monotonic()
            if now >= next_check:
                self.check_push()
                next_check = now + 0.05
            try:
                events = self.sel.select(timeout=max(0.0, next_check - time.monotonic()))
            except InterruptedError:
                continue
            for key, mask in events:
                if key.data is None:
                    self.accept(key.fileobj)
                    continue
                c = key.data
                if c.sock.fileno() < 0:
                    continue
                if mask & selectors.EVENT_READ:
                    self.readable(c)
                if c.sock.fileno() >= 0 and mask & selectors.EVENT_WRITE:
                    self.flush(c)


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--port", type=int, default=9000)
    ap.add_argument("--push-file")
    args = ap.parse_args()
    raise_nofile()
    try:
        srv = Server(args.name, args.port, args.push_file)
    except OSError as e:
        print(f"drill_server: cannot listen on {args.port}: {e}", file=sys.stderr)
        return 1

    def on_signal(*_):
        srv.stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"{args.name} listening on {args.port} (push file {args.push_file})", flush=True)
    srv.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
