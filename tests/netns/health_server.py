#!/usr/bin/env python3
"""Servers for the health-check netns tests (stdlib asyncio, one process, a mode per port).

  health_server.py --name NAME --control DIR [--cert F --key F] PORT:MODE [PORT:MODE ...]

Modes (TCP, IPv4, all addresses):
  http            HTTP/1.1 with keep-alive and Content-Length.
                    GET /      -> 200 "<name> <peer-ip>\n" (like scripts/real_server.py)
                    GET other  -> status from DIR/<port>.status (default 200) and body from
                                  DIR/<port>.body (default "<name> healthy\n"), read per request
                  A request that does not start with an HTTP method (a TLS ClientHello, say) gets
                  "400 Bad Request" and the connection is closed, as nginx does.
  https           the same over TLS (--cert/--key).
  garbage         reads the request, answers bytes that are not HTTP, closes.
  silent          accepts and reads, never answers; closes when the peer does.
  trickle         a valid 200 response with a 64-byte body, one byte every 200 ms.
  endless-headers "HTTP/1.1 200 OK\\r\\n" then header lines, as fast as the peer reads, forever.
  endless-body    "HTTP/1.1 200 OK" without Content-Length, then body bytes forever.
  close-mid       "Content-Length: 100" and 10 body bytes, then closes.
  close-mid-head  part of the status line and headers, then closes.
  udp             UDP echo "<name> <peer-ip>\n" (the port is UDP, not TCP).
  smtp            an SMTP server as far as SMTP_CHECK goes: banner "220-<name>" "220 ESMTP", a
                  multi-line 250 to HELO/EHLO, 221 to QUIT. The banner code is read per connection
                  from DIR/<port>.status (default 220: e.g. 421 for "busy"). Each HELO line is
                  appended to DIR/<port>.helo.
  dns             DNS over UDP: answers every query with its question and, for type A, one A
                  record (10.9.9.9); the RCODE is read per query from DIR/<port>.rcode (default 0,
                  NOERROR; e.g. 2 for SERVFAIL).

Listener control (every mode): while DIR/<port>.closed exists the listening socket is closed (a
new connection is refused; UDP: ICMP port unreachable) but connections already accepted keep
being served; remove the file and it listens again (checked every 50 ms). Each change prints
"<epoch seconds> NAME: MODE on PORT: listening|closed" when the socket actually opened or closed.
Every connection a mode handles is counted in DIR/<port>.conns (rewritten on each new one).
"""
import argparse
import asyncio
import os
import signal
import socket
import ssl
import sys
import time

METHODS = (b"GET ", b"HEAD ", b"POST ", b"PUT ", b"DELETE ", b"OPTIONS ", b"PATCH ")
MAX_HEAD = 64 * 1024


class Port:
    def __init__(self, args, port, mode):
        self.args = args
        self.port = port
        self.mode = mode
        self.server = None      # asyncio.Server (TCP)
        self.transport = None   # DatagramTransport (UDP)
        self.conns = 0
        self.tls = None
        if mode == "https":
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(args.cert, args.key)

    def path(self, suffix):
        return os.path.join(self.args.control, f"{self.port}.{suffix}")

    def read_control(self, suffix, default):
        try:
            with open(self.path(suffix), "rb") as f:
                return f.read()
        except OSError:
            return default

    async def open(self):
        if self.mode in ("udp", "dns"):
            loop = asyncio.get_running_loop()
            proto = (lambda: Echo(self.args.name)) if self.mode == "udp" else (lambda: Dns(self))
            self.transport, _ = await loop.create_datagram_endpoint(
                proto, local_addr=("0.0.0.0", self.port), reuse_port=False)
        else:
            self.server = await asyncio.start_server(self.handle, "0.0.0.0", self.port, ssl=self.tls,
                                                     reuse_address=True, backlog=256)
        print(f"{time.time():.3f} {self.args.name}: {self.mode} on {self.port}: listening", flush=True)

    def close(self):
        if self.server is not None:
            self.server.close()  # the listener only: accepted connections stay open
            self.server = None
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        print(f"{time.time():.3f} {self.args.name}: {self.mode} on {self.port}: closed", flush=True)

    def is_open(self):
        return self.server is not None or self.transport is not None

    async def control_loop(self):
        while True:
            want_closed = os.path.exists(self.path("closed"))
            if want_closed and self.is_open():
                self.close()
            elif not want_closed and not self.is_open():
                try:
                    await self.open()
                except OSError as e:
                    print(f"{self.args.name}: reopen {self.port}: {e}", flush=True)
            await asyncio.sleep(0.05)

    async def handle(self, reader, writer):
        self.conns += 1
        try:
            with open(self.path("conns.tmp"), "w") as f:
                f.write(f"{self.conns}\n")
            os.replace(self.path("conns.tmp"), self.path("conns"))
        except OSError:
            pass
        peer = writer.get_extra_info("peername")[0]
        try:
            await getattr(self, "mode_" + self.mode.replace("-", "_"))(reader, writer, peer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, OSError):
            pass
        finally:
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - the peer is gone; nothing to do
                pass

    async def read_head(self, reader):
        """One request head, or None at EOF / on something that is not an HTTP request."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = await reader.read(4096)
            if not chunk:
                return None, data
            data += chunk
            if len(data) >= 8 and not data.startswith(METHODS):
                return None, data
            if len(data) > MAX_HEAD:
                return None, data
        head, _, _ = data.partition(b"\r\n\r\n")
        return head, data

    async def mode_http(self, reader, writer, peer):
        await self.serve_http(reader, writer, peer)

    async def mode_https(self, reader, writer, peer):
        await self.serve_http(reader, writer, peer)

    async def serve_http(self, reader, writer, peer):
        while True:
            head, raw = await self.read_head(reader)
            if head is None:
                if raw:
                    writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    await writer.drain()
                return
            line = head.split(b"\r\n", 1)[0].decode(errors="replace")
            parts = line.split()
            path = parts[1] if len(parts) > 1 else "/"
            close = b"connection: close" in head.lower()
            if path == "/":
                status, body = 200, f"{self.args.name} {peer}\n".encode()
            else:
                try:
                    status = int(self.read_control("status", b"200").strip() or b"200")
                except ValueError:
                    status = 200
                body = self.read_control("body", f"{self.args.name} healthy\n".encode())
            if self.args.log_requests:
                print(f"{time.time():.3f} {self.port} {peer} {path} -> {status}", flush=True)
            reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error",
                      503: "Service Unavailable"}.get(status, "Status")
            resp = (f"HTTP/1.1 {status} {reason}\r\nServer: health_server\r\nContent-Type: text/plain\r\n"
                    f"Content-Length: {len(body)}\r\n" + ("Connection: close\r\n" if close else "") + "\r\n").encode()
            writer.write(resp + body)
            await writer.drain()
            if close:
                return

    async def mode_garbage(self, reader, writer, peer):
        await reader.read(4096)
        writer.write(b"\x00\x01\x02 this is not HTTP at all \xff\xfe\r\n\r\n")
        await writer.drain()

    async def mode_silent(self, reader, writer, peer):
        while await reader.read(4096):
            pass

    async def mode_trickle(self, reader, writer, peer):
        await reader.read(4096)
        body = b"t" * 64
        resp = b"HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n" + body
        for i in range(len(resp)):
            writer.write(resp[i:i + 1])
            await writer.drain()
            await asyncio.sleep(0.2)
            if writer.is_closing() or reader.at_eof():
                return

    async def mode_endless_headers(self, reader, writer, peer):
        await reader.read(4096)
        writer.write(b"HTTP/1.1 200 OK\r\n")
        i = 0
        while True:
            writer.write(b"".join(b"X-Fill-%d: %s\r\n" % (i + k, b"h" * 64) for k in range(64)))
            i += 64
            await writer.drain()

    async def mode_endless_body(self, reader, writer, peer):
        await reader.read(4096)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")
        block = b"b" * 65536
        while True:
            writer.write(block)
            await writer.drain()

    async def mode_close_mid_head(self, reader, writer, peer):
        await reader.read(4096)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Le")
        await writer.drain()

    async def mode_smtp(self, reader, writer, peer):
        code = self.read_control("status", b"220").strip().decode() or "220"
        writer.write(f"{code}-{self.args.name} greets {peer}\r\n{code} ESMTP\r\n".encode())
        await writer.drain()
        if code != "220":
            return
        while True:
            line = await reader.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"HELO", b"EHLO"):
                with open(self.path("helo"), "ab") as f:
                    f.write(line)
                writer.write(f"250-{self.args.name} hello\r\n250 PIPELINING\r\n".encode())
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"500 5.5.1 what?\r\n")
            await writer.drain()

    async def mode_close_mid(self, reader, writer, peer):
        await reader.read(4096)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
        await writer.drain()


class Echo(asyncio.DatagramProtocol):
    def __init__(self, name):
        self.name = name
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(f"{self.name} {addr[0]}\n".encode(), addr)


class Dns(asyncio.DatagramProtocol):
    """Echoes the question with QR/RA set and RCODE from DIR/<port>.rcode; type A gets one answer."""
    def __init__(self, port):
        self.port = port
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if len(data) < 12:
            return
        end = 12
        while end < len(data) and data[end] != 0:
            end += 1 + data[end]
        question = data[12:end + 5]
        qtype = int.from_bytes(data[end + 1:end + 3], "big") if end + 3 <= len(data) else 0
        rcode = int(self.port.read_control("rcode", b"0").strip() or b"0") & 0xF
        answers = b""
        if rcode == 0 and qtype == 1:
            answers = b"\xc0\x0c" + (1).to_bytes(2, "big") + (1).to_bytes(2, "big") + \
                (30).to_bytes(4, "big") + (4).to_bytes(2, "big") + bytes([10, 9, 9, 9])
        flags = 0x8180 | rcode
        header = data[0:2] + flags.to_bytes(2, "big") + (1).to_bytes(2, "big") + \
            (1 if answers else 0).to_bytes(2, "big") + bytes(4)
        self.transport.sendto(header + question + answers, addr)


async def main_async(args):
    ports = []
    for spec in args.ports:
        port, _, mode = spec.partition(":")
        p = Port(args, int(port), mode or "http")
        if not hasattr(p, "mode_" + p.mode.replace("-", "_")) and p.mode not in ("udp", "dns"):
            print(f"unknown mode {p.mode}", file=sys.stderr)
            return 2
        ports.append(p)
    for p in ports:
        if not os.path.exists(p.path("closed")):
            await p.open()
    tasks = [asyncio.create_task(p.control_loop()) for p in ports]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for t in tasks:
        t.cancel()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--control", required=True, help="directory of the control files")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--log-requests", action="store_true", help="print a line per HTTP request")
    ap.add_argument("ports", nargs="+", metavar="PORT:MODE")
    args = ap.parse_args()
    socket.setdefaulttimeout(None)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
