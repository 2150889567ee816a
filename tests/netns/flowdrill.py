#!/usr/bin/env python3
"""The client of the connection-sync drills (stdlib only, one process, every wait bounded).

  flowdrill.py run HOST PORT --count N --ready-file F --go-file G --push-file P --result R
                   [--timeout S] [--max-seconds S] [--src-port-base B] [--concurrency C] [--tag T]
      Opens N long-lived TCP connections to HOST:PORT (tests/netns/drill_server.py behind a
      director), at most C connecting at once, each bounded by --connect-timeout. Even-numbered
      connections are "client-first", odd ones "server-first"; each sends "hello <mode>" and
      records the answer: the real's name and the peer the real saw (in FULLNAT the director's
      local address and port). With --src-port-base, connection i binds source port B+i.
      With --tag T the hello is "hello <mode> T" and its push request says "only T", so several
      flow sets against the same servers are pushed one at a time (drill_server.py).
      When every connection is open (or has failed) it writes F (JSON: opened, per_real,
      per_laddr, failures, open_ms) and waits for G to exist (checking every 50 ms; meanwhile a
      connection that is closed or reset counts as failed). On go it appends a line to P (the
      reals push on every new line), then:
        client-first: sends "ping" and must get "<real> <peer> ping" from THE SAME real;
        server-first: sends nothing and must receive "push <real> <peer>" from the same real.
      Within --timeout (default 10 s) it writes R:
        {"opened", "client_first", "server_first", "client_first_ok", "server_first_ok",
         "failures": {reason: count}, "peer_changed", "ok_by_laddr", "fail_by_laddr",
         "examples": {reason: [...]}, "elapsed_ms", "open_ms", "per_real", "per_laddr"}
      and exits 0 (R written), 3 when G never appeared within --max-seconds (R says so too).

  flowdrill.py probe HOST PORT --src-ports A-B --out FILE [--timeout S] [--concurrency C]
      For each source port in A..B: a fresh connection from that port, "hello probe", the
      answering real recorded, closed with RST (no TIME_WAIT, so the port can be probed again at
      once). Writes {"<port>": "<real>" or "error:<reason>"} to FILE; exit 0.
"""
import argparse
import errno
import json
import os
import resource
import selectors
import socket
import struct
import sys
import time
from collections import Counter

CLIENT_FIRST = "client-first"
SERVER_FIRST = "server-first"


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, need + 256))
    if want > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            pass


def write_json(path, obj):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def parse_answer(line):
    """'<real> <peer> <rest...>' -> (real, peer, rest) or None."""
    parts = line.split(" ", 2)
    if len(parts) < 3:
        return None
    return parts[0], parts[1], parts[2]


class Flow:
    __slots__ = ("idx", "mode", "sock", "state", "deadline", "inbuf", "real", "peer", "reason", "src")

    def __init__(self, idx, mode):
        self.idx = idx
        self.mode = mode
        self.sock = None
        self.state = "new"  # new, connecting, hello, open, go, ok, failed
        self.deadline = 0.0
        self.inbuf = b""
        self.real = None
        self.peer = None
        self.reason = None
        self.src = None


def error_reason(err):
    return {
        errno.ECONNREFUSED: "refused",
        errno.ECONNRESET: "reset",
        errno.ETIMEDOUT: "timeout-kernel",
        errno.EHOSTUNREACH: "unreachable",
        errno.ENETUNREACH: "unreachable",
        errno.EADDRINUSE: "addr-in-use",
        errno.EADDRNOTAVAIL: "addr-not-avail",
        errno.EPIPE: "reset",
    }.get(err, f"errno-{errno.errorcode.get(err, err)}")


class Drill:
    def __init__(self, args):
        self.a = args
        self.sel = selectors.DefaultSelector()
        self.flows = [Flow(i, CLIENT_FIRST if i % 2 == 0 else SERVER_FIRST) for i in range(args.count)]
        self.open_failures = Counter()
        self.examples = {}

    def example(self, reason, f, detail):
        lst = self.examples.setdefault(reason, [])
        if len(lst) < 5:
            ex = {"idx": f.idx, "mode": f.mode, "src": f.src, "real": f.real, "peer": f.peer}
            if detail:
                ex["detail"] = detail
            lst.append(ex)

    def fail(self, f, reason, detail=None):
        f.state = "failed"
        f.reason = reason
        self.example(reason, f, detail)
        self.drop(f)

    def drop(self, f):
        if f.sock is not None:
            try:
                self.sel.unregister(f.sock)
            except (KeyError, ValueError):
                pass
            f.sock.close()
            f.sock = None

    # ---- phase 1: open ----
    def start(self, f, now):
        fam = family_of(self.a.host)
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f.sock = s
        f.deadline = now + self.a.connect_timeout
        try:
            if self.a.src_port_base:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", self.a.src_port_base + f.idx))
            err = s.connect_ex((self.a.host, self.a.port))
        except OSError as e:
            self.fail(f, error_reason(e.errno))
            return
        if err not in (0, errno.EINPROGRESS):
            self.fail(f, error_reason(err))
            return
        f.state = "connecting"
        self.sel.register(s, selectors.EVENT_WRITE, f)

    def on_event_open(self, f, mask):
        if f.state == "connecting":
            err = f.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.fail(f, error_reason(err))
                return
            f.src = f.sock.getsockname()[1]
            try:
                f.sock.send(f"{self.hello(f)}\n".encode())
            except OSError as e:
                self.fail(f, error_reason(e.errno))
                return
            f.state = "hello"
            self.sel.modify(f.sock, selectors.EVENT_READ, f)
            return
        line = self.read_line(f)
        if line is None:
            return
        ans = parse_answer(line)
        if ans is None or ans[2] != self.hello(f):
            self.fail(f, "bad-hello")
            return
        f.real, f.peer = ans[0], ans[1]
        f.state = "open"

    def hello(self, f):
        return f"hello {f.mode}" + (f" {self.a.tag}" if self.a.tag else "")

    def read_line(self, f):
        """Reads what is there; returns one complete line, or None (maybe after failing f)."""
        try:
            data = f.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as e:
            self.fail(f, error_reason(e.errno) + ("-before-go" if f.state == "open" else ""))
            return None
        if not data:
            self.fail(f, "closed" + ("-before-go" if f.state == "open" else ""))
            return None
        f.inbuf += data
        if b"\n" not in f.inbuf:
            if len(f.inbuf) > 4096:
                self.fail(f, "bad-reply")
            return None
        line, f.inbuf = f.inbuf.split(b"\n", 1)
        return line.decode(errors="replace").rstrip("\r")

    def open_all(self, hard_deadline):
        t0 = time.monotonic()
        pending = list(self.flows)
        pending.reverse()
        inflight = set()
        while (pending or inflight) and time.monotonic() < hard_deadline:
            now = time.monotonic()
            while pending and len(inflight) < self.a.concurrency:
                f = pending.pop()
                self.start(f, now)
                if f.state == "connecting":
                    inflight.add(f)
            for key, mask in self.sel.select(timeout=0.05):
                f = key.data
                if f.state in ("connecting", "hello"):
                    self.on_event_open(f, mask)
                elif f.state == "open":  # data or close on an already open flow
                    line = self.read_line(f)
                    if line is not None:
                        self.fail(f, "unexpected-data-before-go")
            now = time.monotonic()
            for f in list(inflight):
                if f.state in ("connecting", "hello") and now > f.deadline:
                    self.fail(f, "connect-timeout" if f.state == "connecting" else "hello-timeout")
                if f.state not in ("connecting", "hello"):
                    inflight.discard(f)
        for f in self.flows:
            if f.state in ("new", "connecting", "hello"):
                self.fail(f, "not-opened")
        return int((time.monotonic() - t0) * 1000)

    # ---- phase 2: wait for go ----
    def wait_go(self, hard_deadline):
        while time.monotonic() < hard_deadline:
            if os.path.exists(self.a.go_file):
                return True
            for key, _ in self.sel.select(timeout=0.05):
                f = key.data
                line = self.read_line(f)
                if line is not None:
                    self.fail(f, "unexpected-data-before-go")
        return False

    # ---- phase 3: after go ----
    def go(self):
        # One appended line per push request (O_APPEND, one write: atomic beside other sets').
        with open(self.a.push_file, "a") as pf:
            pf.write(f"{time.time_ns()} {os.getpid()}" + (f" only {self.a.tag}" if self.a.tag else "") + "\n")
        live = [f for f in self.flows if f.state == "open"]
        for f in live:
            f.state = "go"
            if f.mode == CLIENT_FIRST:
                try:
                    f.sock.send(b"ping\n")
                except OSError as e:
                    self.fail(f, "send-" + error_reason(e.errno))
        t0 = time.monotonic()
        deadline = t0 + self.a.timeout
        waiting = {f for f in live if f.state == "go"}
        peer_changed = 0
        while waiting and time.monotonic() < deadline:
            for key, _ in self.sel.select(timeout=0.05):
                f = key.data
                if f.state != "go":
                    continue
                line = self.read_line(f)
                if f.state == "failed":
                    waiting.discard(f)
                    continue
                if line is None:
                    continue
                ans = parse_answer(line)
                if f.mode == CLIENT_FIRST:
                    okshape = ans is not None and ans[2] == "ping"
                    real, peer = (ans[0], ans[1]) if ans else (None, None)
                else:
                    parts = line.split(" ")
                    okshape = len(parts) == 3 and parts[0] == "push"
                    real, peer = (parts[1], parts[2]) if okshape else (None, None)
                if not okshape:
                    self.fail(f, "bad-reply", line[:100])
                elif real != f.real:
                    self.fail(f, "wrong-real", f"answered by {real} via {peer}")
                else:
                    if peer != f.peer:
                        peer_changed += 1
                    f.state = "ok"
                    self.drop(f)
                waiting.discard(f)
        for f in waiting:
            if f.state == "go":
                self.fail(f, "timeout")
        return int((time.monotonic() - t0) * 1000), peer_changed

    def laddr(self, f):
        return f.peer.rsplit(":", 1)[0] if f.peer else "-"

    def summary(self):
        opened = [f for f in self.flows if f.real is not None]
        return {
            "count": len(self.flows),
            "opened": len(opened),
            "per_real": dict(Counter(f.real for f in opened)),
            "per_laddr": dict(Counter(self.laddr(f) for f in opened)),
        }

    def run(self):
        start = time.monotonic()
        hard = start + self.a.max_seconds
        open_ms = self.open_all(hard)
        ready = self.summary()
        ready["failures"] = dict(Counter(f.reason for f in self.flows if f.state == "failed"))
        ready["open_ms"] = open_ms
        ready["examples"] = self.examples
        write_json(self.a.ready_file, ready)
        print(f"flowdrill: {ready['opened']}/{ready['count']} open in {open_ms} ms "
              f"per real {ready['per_real']} per laddr {ready['per_laddr']} failures {ready['failures']}",
              flush=True)
        if not self.wait_go(hard):
            ready["go"] = False
            ready["error"] = f"no go file within --max-seconds {self.a.max_seconds}"
            write_json(self.a.result, ready)
            return 3
        elapsed_ms, peer_changed = self.go()
        res = self.summary()
        entered = [f for f in self.flows if f.real is not None]
        res.update({
            "go": True,
            "open_ms": open_ms,
            "client_first": sum(1 for f in entered if f.mode == CLIENT_FIRST),
            "server_first": sum(1 for f in entered if f.mode == SERVER_FIRST),
            "client_first_ok": sum(1 for f in self.flows if f.state == "ok" and f.mode == CLIENT_FIRST),
            "server_first_ok": sum(1 for f in self.flows if f.state == "ok" and f.mode == SERVER_FIRST),
            "failures": dict(Counter(f.reason for f in self.flows if f.state == "failed")),
            "failures_by_mode": dict(Counter(f"{f.mode} {f.reason}" for f in self.flows if f.state == "failed")),
            "peer_changed": peer_changed,
            "ok_by_laddr": dict(Counter(self.laddr(f) for f in self.flows if f.state == "ok")),
            "fail_by_laddr": dict(Counter(self.laddr(f) for f in entered if f.state == "failed")),
            "examples": self.examples,
            "elapsed_ms": elapsed_ms,
        })
        write_json(self.a.result, res)
        print(f"flowdrill: after go: client-first {res['client_first_ok']}/{res['client_first']} "
              f"server-first {res['server_first_ok']}/{res['server_first']} in {elapsed_ms} ms, "
              f"failures {res['failures']}", flush=True)
        for f in self.flows:
            self.drop(f)
        return 0


def probe(args):
    a, _, b = args.src_ports.partition("-")
    ports = list(range(int(a), int(b or a) + 1))
    fam = family_of(args.host)
    sel = selectors.DefaultSelector()
    out = {}
    pending = list(reversed(ports))
    inflight = {}  # sock -> [port, state, deadline, buf]
    hard = time.monotonic() + args.timeout + len(ports) * 0.5 + 5

    def finish(s, result):
        st = inflight.pop(s)
        out[str(st[0])] = result
        try:
            sel.unregister(s)
        except (KeyError, ValueError):
            pass
        try:  # RST: no TIME_WAIT anywhere, the port can be probed again at once
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        s.close()

    while (pending or inflight) and time.monotonic() < hard:
        now = time.monotonic()
        while pending and len(inflight) < args.concurrency:
            port = pending.pop()
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port))
                err = s.connect_ex((args.host, args.port))
            except OSError as e:
                out[str(port)] = "error:" + error_reason(e.errno)
                s.close()
                continue
            if err not in (0, errno.EINPROGRESS):
                out[str(port)] = "error:" + error_reason(err)
                s.close()
                continue
            inflight[s] = [port, "connecting", now + args.timeout, b""]
            sel.register(s, selectors.EVENT_WRITE)
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            st = inflight.get(s)
            if st is None:
                continue
            if st[1] == "connecting":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    finish(s, "error:" + error_reason(err))
                    continue
                try:
                    s.send(b"hello probe\n")
                except OSError as e:
                    finish(s, "error:" + error_reason(e.errno))
                    continue
                st[1] = "hello"
                sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                finish(s, "error:" + error_reason(e.errno))
                continue
            if not data:
                finish(s, "error:closed")
                continue
            st[3] += data
            if b"\n" in st[3]:
                ans = parse_answer(st[3].split(b"\n", 1)[0].decode(errors="replace"))
                finish(s, ans[0] if ans and ans[2] == "hello probe" else "error:bad-reply")
        now = time.monotonic()
        for s, st in list(inflight.items()):
            if now > st[2]:
                finish(s, "error:timeout")
    for s in list(inflight):
        finish(s, "error:timeout")
    for port in pending:
        out[str(port)] = "error:not-tried"
    write_json(args.out, out)
    c = Counter(v if not v.startswith("error:") else "error" for v in out.values())
    print(f"flowdrill probe: {len(out)} ports: {dict(sorted(c.items()))}", flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("host")
    r.add_argument("port", type=int)
    r.add_argument("--count", type=int, default=1000)
    r.add_argument("--ready-file", required=True)
    r.add_argument("--go-file", required=True)
    r.add_argument("--push-file", required=True)
    r.add_argument("--result", required=True)
    r.add_argument("--timeout", type=float, default=10.0, help="after go (default 10 s)")
    r.add_argument("--max-seconds", type=float, default=300.0, help="bound on the whole run")
    r.add_argument("--connect-timeout", type=float, default=3.0)
    r.add_argument("--concurrency", type=int, default=200)
    r.add_argument("--src-port-base", type=int, default=0)
    r.add_argument("--tag", default="", help="push only this set's server-first flows")
    p = sub.add_parser("probe")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--src-ports", required=True, help="A-B")
    p.add_argument("--out", required=True)
    p.add_argument("--timeout", type=float, default=3.0, help="per probe")
    p.add_argument("--concurrency", type=int, default=50)
    args = ap.parse_args()
    if args.cmd == "run":
        raise_nofile(args.count)
        return Drill(args).run()
    raise_nofile(args.concurrency)
    return probe(args)


if __name__ == "__main__":
    sys.exit(main())
