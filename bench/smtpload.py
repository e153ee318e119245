#!/usr/bin/python3
"""smtpload.py - the helper of bench/milter (standard library only).

  smtpload.py send --port P --clients C --count N --tag TAG --fixtures DIR
                   [--first I] [--out FILE.json]
      C concurrent SMTP clients (one asyncio loop, one connection per
      message, PIPELINING for MAIL/RCPT/DATA as Postfix's own client does)
      send N messages in a fixed mix: one-page TIFF, two-page PDF, plain
      text (DIR/one.tif, DIR/two.pdf, DIR/text.txt), each to one fax
      recipient, each with its own Message-ID <bench.TAG.I@sender.test>.
      Prints (and writes to --out) a JSON summary: accepted (250 after the
      final "."), failures with the first replies, wall time from the first
      connect to the last reply, messages per second, and per message the
      time from sending the final "." to its reply. Exit status 1 unless
      every message got 250.

  smtpload.py report --results DIR ... [--benchmarks BENCHMARKS.md]
      The summary of a bench/milter run from the JSON files in DIR; with
      --benchmarks, replaces that file's "## Milter" section with it.

  smtpload.py eomcapture --port MPORT --ready FILE [--out FILE.json]
      Passive packet capture on the loopback interface (AF_PACKET with a
      BPF filter "tcp port MPORT", kernel receive timestamps SO_TIMESTAMPNS)
      of the milter protocol between the MTA and the milter, until SIGTERM
      or SIGINT. Both directions are reassembled by TCP sequence number and
      split into milter packets (4-byte length, 1-byte command). For every
      SMFIC_BODYEOB ('E') sent by the MTA it records the time to the
      milter's final reply to it (accept 'a', continue 'c', discard 'd',
      reject 'r', tempfail 't', replycode 'y'; modification replies such as
      delrcpt '-' come before and are skipped). Nothing sits between the MTA
      and the milter, and the timestamps are the kernel's (taken when the
      sender's segment passes the loopback device), so the capture process
      being slow to read cannot stretch the figures. Writes the latencies
      (ms) as JSON; exit status 1 if packets were dropped or a stream could
      not be followed. For a milter on 127.0.0.1 TCP (bench/milter --socket
      inet).

  smtpload.py eomproxy --listen PATH --connect PATH --ready FILE
                       [--trace FILE] [--out FILE.json]
      The same figure for a milter on a unix socket, which cannot be
      captured: a relay (asyncio) that listens on PATH for the MTA, connects
      to the milter's socket for each session, passes the bytes on as they
      come and times, with the same parsing, each SMFIC_BODYEOB to the final
      reply. It adds two socket hops and its own scheduling, so its figures
      are upper bounds; run it at a high priority (bench/milter: nice -10).
      --trace writes one line per milter packet: session, ms, direction,
      command. Until SIGTERM or SIGINT.
"""
import argparse
import asyncio
import base64
import ctypes
import json
import os
import signal
import socket
import struct
import sys
import time


def pct(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


# ------------------------------------------------------------------ send

FAX_DOMAIN = "fax.example.test"
BOUNDARY = "=_faxgate_bench_boundary"


def b64(data):
    s = base64.b64encode(data).decode("ascii")
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def templates(fx):
    """The three message bodies (after the per-message headers), as bytes."""
    tif = open(os.path.join(fx, "one.tif"), "rb").read()
    pdf = open(os.path.join(fx, "two.pdf"), "rb").read()
    txt = open(os.path.join(fx, "text.txt"), "rb").read().decode()

    def multipart(note, ctype, name, data):
        return ("MIME-Version: 1.0\r\n"
                "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
                "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s\r\n"
                "--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
                "Content-Disposition: attachment; filename=\"%s\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--%s--\r\n"
                % (BOUNDARY, BOUNDARY, note, BOUNDARY, ctype, name, name, b64(data),
                   BOUNDARY))

    text = ("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            + txt.replace("\r\n", "\n").replace("\n", "\r\n"))
    bodies = [
        ("tiff", multipart("see scan", "image/tiff", "one.tif", tif)),
        ("pdf", multipart("see pdf", "application/pdf", "two.pdf", pdf)),
        ("text", text),
    ]
    out = []
    for kind, body in bodies:
        # SMTP dot-stuffing, done once per template.
        lines = body.split("\r\n")
        body = "\r\n".join("." + l if l.startswith(".") else l for l in lines)
        if not body.endswith("\r\n"):
            body += "\r\n"
        out.append((kind, body.encode("ascii")))
    return out


class Stats:
    def __init__(self):
        self.first_connect = None
        self.last_reply = None
        self.accepted = 0
        self.failures = []
        self.eom_ms = []
        self.kinds = {}


async def read_reply(reader):
    """One (multi-line) SMTP reply: (code, text of the last line)."""
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("connection closed by server")
        if len(line) < 4 or line[3:4] != b"-":
            return line[:3].decode("ascii", "replace"), line.decode("utf-8", "replace").rstrip()


async def one_message(args, st, i, kind, body):
    now = time.monotonic
    t = now()
    if st.first_connect is None or t < st.first_connect:
        st.first_connect = t
    reader, writer = await asyncio.open_connection(args.host, args.port)
    try:
        code, text = await read_reply(reader)
        if code != "220":
            raise RuntimeError("banner: " + text)
        writer.write(b"EHLO load%d.sender.test\r\n" % (i % args.clients))
        code, text = await read_reply(reader)
        if code != "250":
            raise RuntimeError("EHLO: " + text)
        sender = "bench%d@sender.test" % (i % 100)
        rcpt = "FAX=+1202555%04d@%s" % (i % 10000, FAX_DOMAIN)
        mid = "<bench.%s.%d@sender.test>" % (args.tag, i)
        writer.write(("MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (sender, rcpt)).encode())
        for what, want in (("MAIL", "250"), ("RCPT", "250"), ("DATA", "354")):
            code, text = await read_reply(reader)
            if code != want:
                raise RuntimeError("%s: %s" % (what, text))
        head = ("From: <%s>\r\nTo: <%s>\r\nSubject: bench %s %d (%s)\r\n"
                "Date: %s\r\nMessage-ID: %s\r\n"
                % (sender, rcpt, args.tag, i, kind,
                   time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()), mid))
        writer.write(head.encode() + body + b".\r\n")
        await writer.drain()
        t_dot = now()
        code, text = await read_reply(reader)
        t_reply = now()
        if code != "250":
            raise RuntimeError("end of DATA: " + text)
        st.accepted += 1
        st.kinds[kind] = st.kinds.get(kind, 0) + 1
        st.eom_ms.append((t_reply - t_dot) * 1000.0)
        writer.write(b"QUIT\r\n")
        await read_reply(reader)
    finally:
        st.last_reply = now()
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass


async def send_main(args):
    tmpl = templates(args.fixtures)
    st = Stats()
    todo = iter(range(args.first, args.first + args.count))

    async def client():
        for i in todo:
            kind, body = tmpl[i % len(tmpl)]
            try:
                await asyncio.wait_for(one_message(args, st, i, kind, body), args.timeout)
            except (OSError, RuntimeError, ConnectionError, asyncio.TimeoutError) as e:
                st.failures.append("message %d (%s): %s" % (i, kind, str(e) or type(e).__name__))
                st.last_reply = time.monotonic()

    cpu0 = os.times()
    await asyncio.gather(*(client() for _ in range(args.clients)))
    cpu1 = os.times()
    wall = (st.last_reply - st.first_connect) if st.first_connect else 0.0
    res = {
        "tag": args.tag,
        "clients": args.clients,
        "sent": args.count,
        "accepted": st.accepted,
        "failed": len(st.failures),
        "failures": st.failures[:10],
        "kinds": st.kinds,
        "wall_s": round(wall, 4),
        "msg_per_s": round(st.accepted / wall, 2) if wall > 0 else 0.0,
        "client_cpu_s": round((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system), 3),
        "dot_to_reply_ms": {
            "p50": round(pct(st.eom_ms, 50), 3) if st.eom_ms else None,
            "p99": round(pct(st.eom_ms, 99), 3) if st.eom_ms else None,
        },
        "dot_to_reply_all_ms": [round(x, 3) for x in st.eom_ms],
    }
    return res


def cmd_send(args):
    res = asyncio.run(send_main(args))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f)
    short = {k: v for k, v in res.items() if k != "dot_to_reply_all_ms"}
    print(json.dumps(short))
    return 0 if res["accepted"] == res["sent"] else 1


# ------------------------------------------------------------ eomcapture

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
SO_ATTACH_FILTER = 26
SO_RCVBUFFORCE = 33
SO_TIMESTAMPNS = 35
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_OUTGOING = 4

SMFIC_BODYEOB = ord("E")
FINAL_REPLIES = set(b"acdrty")


def bpf_tcp_port(port):
    """Classic BPF for "ip and tcp and port PORT, not a fragment" on an
    Ethernet-framed device (lo is one); what tcpdump -dd compiles it to."""
    ins = [
        (0x28, 0, 0, 12),           # ldh [12]           ethertype
        (0x15, 0, 8, ETH_P_IP),     # jne IPv4 -> drop
        (0x30, 0, 0, 23),           # ldb [23]           protocol
        (0x15, 0, 6, 6),            # jne TCP -> drop
        (0x28, 0, 0, 20),           # ldh [20]           fragment offset
        (0x45, 4, 0, 0x1fff),       # jset -> drop
        (0xb1, 0, 0, 14),           # ldxb 4*([14]&0xf)
        (0x48, 0, 0, 14),           # ldh [x+14]         source port
        (0x15, 2, 0, port),         # jeq -> accept
        (0x48, 0, 0, 16),           # ldh [x+16]         destination port
        (0x15, 0, 1, port),         # jne -> drop
        (0x06, 0, 0, 262144),       # accept
        (0x06, 0, 0, 0),            # drop
    ]
    prog = b"".join(struct.pack("HBBI", *i) for i in ins)
    buf = ctypes.create_string_buffer(prog)
    fprog = struct.pack("HL", len(ins), ctypes.addressof(buf))
    return fprog, buf          # keep buf alive while attaching


class Frames:
    """A byte stream split into milter packets (4-byte length, command)."""
    __slots__ = ("hdr", "skip", "cmd", "broken")

    def __init__(self):
        self.hdr = b""
        self.skip = 0
        self.cmd = 0
        self.broken = False

    def feed(self, data):
        """Yield the command byte of every milter packet that ends in data."""
        pos, n = 0, len(data)
        while pos < n and not self.broken:
            if self.skip:
                k = min(self.skip, n - pos)
                self.skip -= k
                pos += k
                if self.skip == 0:
                    yield self.cmd
                continue
            need = 5 - len(self.hdr)
            self.hdr += data[pos:pos + need]
            pos += min(need, n - pos)
            if len(self.hdr) == 5:
                length, cmd = struct.unpack("!IB", self.hdr)
                self.hdr = b""
                self.cmd = cmd
                if length == 0:
                    self.broken = True
                    return
                self.skip = length - 1
                if self.skip == 0:
                    yield cmd


class Direction(Frames):
    """One direction of one captured TCP connection, in sequence order."""
    __slots__ = ("next_seq",)

    def __init__(self, seq):
        super().__init__()
        self.next_seq = seq

    def feed_seq(self, seq, data):
        if self.broken:
            return ()
        if seq != self.next_seq:
            d = (seq - self.next_seq) & 0xffffffff
            if d >= 0x80000000 and (self.next_seq - seq) & 0xffffffff >= len(data):
                return ()       # a pure retransmission of bytes already seen
            self.broken = True  # a gap (capture drop) or an overlap
            return ()
        self.next_seq = (seq + len(data)) & 0xffffffff
        return self.feed(data)


def latency_summary(lat):
    return {
        "eom": len(lat),
        "p50_ms": round(pct(lat, 50), 3) if lat else None,
        "p90_ms": round(pct(lat, 90), 3) if lat else None,
        "p99_ms": round(pct(lat, 99), 3) if lat else None,
        "max_ms": round(max(lat), 3) if lat else None,
    }


def cmd_eomcapture(args):
    port = args.port
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    fprog, _keep = bpf_tcp_port(port)
    s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 256 << 20)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind(("lo", ETH_P_ALL))
    # Packets queued before the filter was attached: throw them away.
    s.setblocking(False)
    try:
        while True:
            s.recv(65536)
    except BlockingIOError:
        pass
    s.settimeout(0.2)
    stop = False

    def on_signal(signum, frame):
        nonlocal stop
        stop = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with open(args.ready, "w") as f:
        f.write("%d\n" % os.getpid())

    flows = {}          # (mta_ip, mta_port) -> [to_milter Direction, from_milter Direction]
    pending = {}        # (mta_ip, mta_port) -> timestamp of the EOB
    lat = []
    truncated = late = packets = 0
    cmsg_space = socket.CMSG_SPACE(16)
    while True:
        try:
            data, anc, flags, addr = s.recvmsg(262144 + 64, cmsg_space)
        except socket.timeout:
            if stop:
                break
            continue
        except InterruptedError:
            continue
        if addr[2] != PACKET_OUTGOING:
            continue    # lo shows every packet twice: keep the sending side
        packets += 1
        if flags & socket.MSG_TRUNC:
            truncated += 1
            continue
        ts = None
        for level, typ, cdata in anc:
            if level == socket.SOL_SOCKET and typ == SCM_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", cdata[:16])
                ts = sec + nsec / 1e9
        if ts is None:
            truncated += 1
            continue
        ihl = (data[14] & 0x0f) * 4
        tot = struct.unpack("!H", data[16:18])[0]
        ip = 14
        src, dst = data[ip + 12:ip + 16], data[ip + 16:ip + 20]
        t = ip + ihl
        sport, dport, seq = struct.unpack("!HHI", data[t:t + 8])
        tflags = data[t + 13]
        doff = (data[t + 12] >> 4) * 4
        payload = data[t + doff:ip + tot]
        to_milter = dport == port
        key = (src, sport) if to_milter else (dst, dport)
        if tflags & 0x02:                                   # SYN
            f = flows.setdefault(key, [None, None])
            f[0 if to_milter else 1] = Direction((seq + 1) & 0xffffffff)
            pending.pop(key, None)
            continue
        f = flows.get(key)
        if f is None or f[0 if to_milter else 1] is None:
            if payload:
                late += 1   # a connection opened before the capture started
            continue
        if not payload:
            continue
        d = f[0 if to_milter else 1]
        for cmd in d.feed_seq(seq, payload):
            if to_milter:
                if cmd == SMFIC_BODYEOB:
                    pending[key] = ts
            elif cmd in FINAL_REPLIES and key in pending:
                lat.append((ts - pending.pop(key)) * 1000.0)
    st = s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
    kpackets, drops = struct.unpack("II", st)
    broken = sum(1 for f in flows.values() for d in f if d is not None and d.broken)
    res = dict(latency_summary(lat), **{
        "method": "capture",
        "connections": len(flows),
        "packets": packets,
        "kernel_drops": drops,
        "truncated": truncated,
        "broken_streams": broken,
        "late_streams": late,
        "unanswered_eom": len(pending),
        "latencies_ms": [round(x, 4) for x in lat],
    })
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(res, fh)
    print(json.dumps({k: v for k, v in res.items() if k != "latencies_ms"}))
    ok = drops == 0 and truncated == 0 and broken == 0
    return 0 if ok else 1


# -------------------------------------------------------------- eomproxy

def cmd_eomproxy(args):
    """A milter-protocol relay on unix sockets that times each SMFIC_BODYEOB
    to the milter's final reply; see the module docstring."""
    now = time.monotonic
    lat = []
    counts = {"connections": 0, "unanswered_eom": 0, "broken_streams": 0, "connect_errors": 0}
    trace = open(args.trace, "w") if args.trace else None
    t_start = now()

    class FromMilter(asyncio.Protocol):
        def __init__(self, mta):
            self.mta = mta
            self.frames = Frames()

        def data_received(self, data):
            ts = now()
            self.mta.transport.write(data)
            for cmd in self.frames.feed(data):
                if trace:
                    trace.write("%d %.3f < %s\n" % (self.mta.id, (ts - t_start) * 1000, chr(cmd)))
                if cmd in FINAL_REPLIES and self.mta.eob is not None:
                    lat.append((ts - self.mta.eob) * 1000.0)
                    self.mta.eob = None

        def connection_lost(self, exc):
            if self.frames.broken:
                counts["broken_streams"] += 1
            self.mta.transport.close()

    class FromMTA(asyncio.Protocol):
        def connection_made(self, transport):
            counts["connections"] += 1
            self.id = counts["connections"]
            self.transport = transport
            self.milter = None
            self.eob = None
            self.early = []
            self.frames = Frames()
            asyncio.ensure_future(self.connect())

        async def connect(self):
            loop = asyncio.get_running_loop()
            try:
                t, _ = await loop.create_unix_connection(lambda: FromMilter(self), args.connect)
            except OSError:
                counts["connect_errors"] += 1
                self.transport.close()
                return
            if self.transport.is_closing():
                t.close()
                return
            self.milter = t
            for d in self.early:
                t.write(d)
            self.early = None

        def data_received(self, data):
            ts = now()
            if self.milter is not None:
                self.milter.write(data)
            else:
                self.early.append(data)
            for cmd in self.frames.feed(data):
                if trace:
                    trace.write("%d %.3f > %s\n" % (self.id, (ts - t_start) * 1000, chr(cmd)))
                if cmd == SMFIC_BODYEOB:
                    self.eob = ts

        def connection_lost(self, exc):
            if self.eob is not None:
                counts["unanswered_eom"] += 1
            if self.frames.broken:
                counts["broken_streams"] += 1
            if self.milter is not None:
                self.milter.close()

    async def main():
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        try:
            os.unlink(args.listen)
        except FileNotFoundError:
            pass
        server = await loop.create_unix_server(FromMTA, args.listen)
        os.chmod(args.listen, 0o666)
        with open(args.ready, "w") as f:
            f.write("%d\n" % os.getpid())
        await stop.wait()
        server.close()

    asyncio.run(main())
    if trace:
        trace.close()
    res = dict(latency_summary(lat), method="proxy", **counts)
    res["latencies_ms"] = [round(x, 4) for x in lat]
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(res, fh)
    print(json.dumps({k: v for k, v in res.items() if k != "latencies_ms"}))
    return 0 if counts["broken_streams"] == 0 and counts["connect_errors"] == 0 else 1


# ---------------------------------------------------------------- report

def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2.0


def cpu_usage(path, count):
    """CPU over one batch: machine busy % and iowait %, and per message the
    CPU ms of the milter and of the private Postfix (all its processes)."""
    f = [float(x) for x in open(path).read().split()]
    b0, i0, w0, b1, i1, w1, m0, m1, p0, p1, hz = f
    busy, idle, wait = b1 - b0, i1 - i0, w1 - w0
    tot = busy + idle + wait or 1.0
    return {
        "busy": 100.0 * busy / tot,
        "iowait": 100.0 * wait / tot,
        "milter": (m1 - m0) / hz * 1000.0 / count,
        "postfix": (p1 - p0) / hz * 1000.0 / count,
    }


def cmd_report(args):
    d = args.results
    load = lambda name: json.load(open(os.path.join(d, name + ".json")))
    rounds = []
    dots = {"base": [], "milter": []}
    usage = {"base": [], "milter": []}
    for r in range(1, args.rounds + 1):
        row = {}
        for side in ("base", "milter"):
            res = load("r%d-%s" % (r, side))
            row[side] = res["msg_per_s"]
            dots[side] += res["dot_to_reply_all_ms"]
            u = cpu_usage(os.path.join(d, "r%d-%s.cpu" % (r, side)), res["sent"])
            u["client"] = 1000.0 * res["client_cpu_s"] / res["sent"]
            usage[side].append(u)
        row["ratio"] = row["milter"] / row["base"]
        rounds.append(row)
    base = median([x["base"] for x in rounds])
    milt = median([x["milter"] for x in rounds])
    ratio = median([x["ratio"] for x in rounds])
    eom = load("eom")
    lat = eom["latencies_ms"]
    p50, p90, p99, pmax = pct(lat, 50), pct(lat, 90), pct(lat, 99), max(lat)
    env = os.environ.get

    block = [
        "milter bench: %d clients, %d messages per side, %d rounds (median)"
        % (args.clients, args.messages, args.rounds),
        "  postfix alone:        %.0f msg/s" % base,
        "  postfix + milter:     %.0f msg/s" % milt,
        "  ratio:                %.2f   (goal >= 0.85)" % ratio,
        "  milter eom latency:   p50 %.1f ms, p99 %.1f ms   (goal p99 <= 20 ms)" % (p50, p99),
        "reproduce: %s" % args.reproduce,
    ]
    verdict = "goals: ratio %s, p99 %s" % (
        "met" if ratio >= 0.85 else "NOT met", "met" if p99 <= 20 else "NOT met")

    def side_line(side, name):
        v = dots[side]
        u = lambda k: median([x[k] for x in usage[side]])
        return ("| %s | %s | %.1f / %.1f | %.2f | %s | %.2f | %.0f %% |"
                % (name, " / ".join("%.0f" % x[side] for x in rounds),
                   pct(v, 50), pct(v, 99), u("postfix"),
                   "%.2f" % u("milter") if side == "milter" else "-",
                   u("client"), u("busy")))

    details = [
        "| side | msg/s per round | client \".\" to reply, p50 / p99 ms | Postfix CPU ms/msg | milter CPU ms/msg | load generator CPU ms/msg | machine CPU busy |",
        "|---|---|---|---|---|---|---|",
        side_line("base", "postfix alone"),
        side_line("milter", "postfix + milter"),
    ]
    ratios = " / ".join("%.3f" % x["ratio"] for x in rounds)
    if eom.get("method") == "capture":
        probe = "passive capture on lo: %d connections, %d packets, none dropped" % (
            eom["connections"], eom["packets"])
    else:
        probe = "through eomproxy: %d connections" % eom["connections"]
    latline = ("end-of-message latency, %d samples: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, "
               "max %.2f ms (%s)" % (len(lat), p50, p90, p99, pmax, probe))

    print()
    print("per-round ratios: %s" % ratios)
    print("\n".join(details))
    print(latline)
    print("bench took %s s" % env("BENCH_SECONDS", "?"))
    print(verdict)
    print()
    print("\n".join(block))

    if not args.benchmarks:
        return 0
    sec = []
    sec.append("## Milter")
    sec.append("")
    sec.append("Throughput of a Postfix that takes fax mail, with and without")
    sec.append("`faxgate-milter`, and the milter's end-of-message latency, from")
    sec.append("`bench/milter` (`make bench` runs it with the defaults; the command for these")
    sec.append("figures is the last line of the block). Both sides run in the same Postfix in")
    sec.append("the same run, interleaved, so the ratio holds on a busy machine where the")
    sec.append("absolute rates do not.")
    sec.append("")
    sec.append("```")
    sec += block
    sec.append("```")
    sec.append("")
    sec.append("%s." % (verdict[0].upper() + verdict[1:]))
    sec.append("")
    sec.append("Machine: `nproc` = %s, CPU `%s` (/proc/cpuinfo), Debian %s, kernel %s,"
               % (env("MACH_NPROC", "?"), env("MACH_CPU", "?"), env("MACH_DEBIAN", "?"),
                  env("MACH_KERNEL", "?")))
    sec.append("Postfix %s, SQLite %s. Run on %s on a shared machine (load average %s"
               % (env("MACH_POSTFIX", "?"), env("MACH_SQLITE", "?"), env("MACH_DATE", "?"),
                  env("MACH_LOAD", "?")))
    sec.append("at the end); the whole bench took %s s." % env("BENCH_SECONDS", "?"))
    sec.append("")
    sec.append("Per round (ABBA order), ratios %s:" % ratios)
    sec.append("")
    sec += details
    sec.append("")
    sec.append("Milter %s." % latline)
    sec.append("")
    sec.append("### Method")
    sec.append("")
    sec.append("- One private Postfix (`t/lib/mta.sh`) with smtpd listeners that differ only")
    sec.append("  in `smtpd_milters`. %d concurrent SMTP clients (`bench/smtpload.py`, one"
               % args.clients)
    sec.append("  connection per message, MAIL/RCPT/DATA pipelined) send the same mix: a")
    sec.append("  one-page TIFF, a two-page PDF (both as attachments) and a plain text, made")
    sec.append("  once with Ghostscript; one `FAX=+1202555NNNN@fax.example.test` recipient and")
    sec.append("  a distinct Message-ID per message, so nothing is deduplicated.")
    if args.socket == "unix":
        sec.append("- The milter listens on a unix socket, as `contrib/` sets it up, with the test")
    else:
        sec.append("- The milter listens on 127.0.0.1 TCP (`--socket inet`), with the test")
    sec.append("  configuration of `t/lib/faxgate.sh` (`log_level = info` to a file, store in")
    sec.append("  SQLite WAL with `synchronous = FULL`) and `rate_per_hour = %d`, so the"
               % args.rate_per_hour)
    sec.append("  rate-limit query runs for every recipient without refusing any.")
    sec.append("- Baseline: the fax domain is routed to `discard:`. Postfix still makes each")
    sec.append("  message durable before its 250 (cleanup fsyncs the queue file), then")
    sec.append("  delivers it to discard(8). With the milter, the message, its documents and")
    sec.append("  the job are committed to SQLite (an fsync of the WAL), the milter removes")
    sec.append("  the recipient and Postfix discards the message (`milter-discard`). So both")
    sec.append("  sides make every message durable once and deliver nothing costly; the")
    sec.append("  difference is the milter. A Maildir baseline would add a second fsync and")
    sec.append("  file per message to the baseline only and flatter the ratio.")
    sec.append("- Postfix runs with `in_flow_delay = %s` on both sides. Postfix does not give"
               % env("MACH_FLOW", "?"))
    sec.append("  back the in_flow token of a message a milter discards (`cleanup_flush`:")
    sec.append("  `#if 0 mail_flow_put(1)`); with the default `in_flow_delay = 1s` the milter")
    sec.append("  side is throttled to about one message per second per SMTP session once")
    sec.append("  qmgr's 100 tokens are spent, whatever the milter does. That is a setting")
    sec.append("  of the deployment (`--postconf 'in_flow_delay = 1s'` shows it), not the")
    sec.append("  milter's cost.")
    sec.append("- %d warm-up messages per side, then %d rounds of %d messages per side in ABBA"
               % (args.warmup, args.rounds, args.messages))
    sec.append("  order. Messages per second = messages answered 250 after the final \".\" /")
    sec.append("  wall time from the first connect to the last reply. The figures are the")
    sec.append("  medians of the rounds; the ratio is the median of the per-round ratios.")
    sec.append("  The bench fails unless every message got 250, the store holds exactly one")
    sec.append("  job per message sent to the milter side and none from the baseline, and")
    sec.append("  Postfix logged one milter-discard or discard delivery per message.")
    sec.append("- End-of-message latency: from each SMFIC_BODYEOB (`E`) Postfix sends to the")
    sec.append("  milter's final reply to it (`d`/`c`/`a`/`r`/`t`/`y`, after the `-` delrcpt),")
    sec.append("  in a separate round of %d messages to the milter side (same clients, same"
               % args.messages)
    sec.append("  mix), so that the probe does not touch the throughput figures.")
    if args.socket == "unix":
        sec.append("  A unix socket cannot be captured, so `smtpload.py eomproxy` relays the")
        sec.append("  milter protocol between a third smtpd listener and the milter's socket")
        sec.append("  (asyncio, at nice -10), splits both directions into milter packets")
        sec.append("  (4-byte length, command byte) and timestamps them as they arrive. It adds")
        sec.append("  two unix-socket hops and its own scheduling to every figure, so they are")
        sec.append("  upper bounds.")
    else:
        sec.append("  `smtpload.py eomcapture` captures the milter protocol on the loopback")
        sec.append("  device (AF_PACKET, BPF `tcp port <milter>`, kernel timestamps), follows")
        sec.append("  both directions by TCP sequence number and splits them into milter")
        sec.append("  packets. Passive: nothing sits between Postfix and the milter; the bench")
        sec.append("  fails if the kernel dropped a packet or a stream could not be followed.")
    sec.append("  The client-side \".\" to reply times in the table include Postfix's own")
    sec.append("  end-of-data work and the body transfer to the milter; their difference")
    sec.append("  between the sides is only a rough cross-check.")
    sec.append("- CPU per message over each batch (medians of the rounds): Postfix = its")
    sec.append("  master, the children it reaped and the live ones (`/proc/PID/stat`,")
    sec.append("  taken once the queue has drained, so the baseline's deliveries count);")
    sec.append("  milter = its process; load generator = the Python client, which runs on")
    sec.append("  the same cores. Machine CPU busy is from `/proc/stat` and includes")
    sec.append("  whatever else the shared machine was running.")
    text = "\n".join(sec) + "\n"

    path = args.benchmarks
    try:
        old = open(path).read()
    except FileNotFoundError:
        old = "# Benchmarks\n\nFigures from the scripts in `bench/`; `make bench` runs them all.\n"
    lines = old.split("\n")
    start = next((i for i, l in enumerate(lines) if l.rstrip() == "## Milter"), None)
    if start is None:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                   len(lines))
        before = "\n".join(lines[:start])
        after = "\n".join(lines[end:])
        new = before + ("\n" if before else "") + text + ("\n" + after if after.strip() else "")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)
    print("wrote the Milter section of %s" % path)
    return 0


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("send")
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--clients", type=int, default=20)
    a.add_argument("--count", type=int, required=True)
    a.add_argument("--first", type=int, default=0)
    a.add_argument("--tag", required=True)
    a.add_argument("--fixtures", required=True)
    a.add_argument("--timeout", type=float, default=60.0)
    a.add_argument("--out")
    c = sub.add_parser("eomcapture")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--ready", required=True)
    c.add_argument("--out")
    x = sub.add_parser("eomproxy")
    x.add_argument("--listen", required=True)
    x.add_argument("--connect", required=True)
    x.add_argument("--ready", required=True)
    x.add_argument("--trace")
    x.add_argument("--out")
    p = sub.add_parser("report")
    p.add_argument("--results", required=True)
    p.add_argument("--messages", type=int, required=True)
    p.add_argument("--clients", type=int, required=True)
    p.add_argument("--rounds", type=int, required=True)
    p.add_argument("--warmup", type=int, required=True)
    p.add_argument("--rate-per-hour", type=int, required=True)
    p.add_argument("--socket", default="unix")
    p.add_argument("--reproduce", required=True)
    p.add_argument("--benchmarks")
    args = ap.parse_args()
    if args.cmd == "send":
        return cmd_send(args)
    if args.cmd == "report":
        return cmd_report(args)
    if args.cmd == "eomproxy":
        return cmd_eomproxy(args)
    return cmd_eomcapture(args)


if __name__ == "__main__":
    sys.exit(main())
