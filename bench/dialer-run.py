#!/usr/bin/python3
"""dialer-run.py - the helper of bench/dialer (standard library only).

  dialer-run.py insert --db DB --count N --doc FILE --kind tiff|text --tag TAG
      Puts N fax jobs straight into the store, in one transaction, with the
      rows and columns the milter's store_submit() writes: per job one
      messages row (its own Message-ID <TAG.I@sender.test>), one documents
      row (FILE as the decoded attachment) and one queued jobs row to its
      own number +1202557IIII (the store lets one call per number at a
      time, so distinct numbers keep all channels busy).

  dialer-run.py throughput --dialer BIN --conf CONF --db DB --count N
                           --deadline S --log FILE --out FILE.json
      Starts BIN -f -c CONF, reads its stderr (the log) line by line with a
      monotonic timestamp per line, and polls the store every 20 ms until N
      jobs have ended (done or failed) or S seconds have passed. Then
      SIGTERM, and waits for the dialer to exit. Writes jobs/s (N / time
      from the spawn to the poll that saw the last job end), per-job
      claimed->dial and dial->end times from the log, the dialer's CPU (its
      own and its reaped render children's) and the machine's. Exit status
      1 unless all N jobs are done.

  dialer-run.py latency --milter BIN --dialer BIN --conf CONF --smtp-port P
                        --count M --spacing MS --doc FILE --log-dir DIR
                        --pids FILE --out FILE.json
      Starts faxgate-milter and faxgate-dialer (-f, logs on stderr, each
      read by this process with a monotonic timestamp per line as it
      arrives), then sends M messages, one every MS ms, each on its own SMTP
      connection to 127.0.0.1:P (a Postfix whose milter is that
      faxgate-milter), each with FILE attached (image/tiff) to its own fax
      number +1202556IIII. Per message: t_commit = when the milter's
      "number=..., status=queued" line arrived (the milter logs it right
      after the store COMMIT returns, before it wakes the dialer); t_250 =
      when the client read the 250 after the final "."; t_claim and t_dial
      = when the dialer's "job=N: claimed" and "job=N: dial=" lines
      arrived. Latency = t_dial - t_commit (and t_dial - t_250 as a
      cross-check). Writes the children's pids to FILE while they run.

  dialer-run.py render --render BIN --pdf FILE --pages N --rounds R --dir DIR
                       --out FILE.json
      R rounds, alternating (renderer first in odd rounds, gs first in even
      ones): BIN -o DIR/r.tif pdf:FILE, and the plain Ghostscript command
      the renderer runs for a PDF minus its page-fitting PostScript driver:
      gs -q -dSAFER -dBATCH -dNOPAUSE -dNOINTERPOLATE -sDEVICE=tiffg4
      -r204x196 -sOutputFile=DIR/g.tif FILE. Best (shortest) wall time of
      each; pages/s = N / best; also each side's CPU (children's rusage).

  dialer-run.py report --results DIR --reproduce CMD [--benchmarks FILE]
      The summary block from the JSON files in DIR; with --benchmarks,
      replaces the part of the "## Dialer" section of that file between the
      bench/dialer markers (or adds the section).
"""
import argparse
import asyncio
import base64
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time

import benchmd


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)


def median(values):
    return pct(values, 50)


def cpu_stat():
    f = open("/proc/stat").readline().split()
    v = [int(x) for x in f[1:]]
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    return busy, v[3], v[4]


def proc_ticks(pid):
    """utime, stime, cutime, cstime of a live process, in seconds"""
    try:
        s = open("/proc/%d/stat" % pid).read()
    except OSError:
        return None
    f = s[s.rindex(")") + 2:].split()
    hz = os.sysconf("SC_CLK_TCK")
    return [int(f[i]) / hz for i in (11, 12, 13, 14)]


# ---------------------------------------------------------------- insert

def cmd_insert(args):
    data = open(args.doc, "rb").read()
    now = int(time.time())
    db = sqlite3.connect(args.db, timeout=30)
    db.execute("PRAGMA foreign_keys = ON")
    ctype = {"tiff": "image/tiff", "text": "text/plain", "pdf": "application/pdf"}[args.kind]
    fname = os.path.basename(args.doc) if args.kind != "text" else None
    with db:
        for i in range(args.count):
            mid = "%s.%d@sender.test" % (args.tag, i)
            number = "+1202557%04d" % (args.first + i)
            raw = ("From: <alice@sender.test>\r\nTo: <FAX=%s@fax.example.test>\r\n"
                   "Subject: bench %d\r\nMessage-ID: <%s>\r\n\r\n(attachment)\r\n"
                   % (number, i, mid)).encode()
            cur = db.execute(
                "INSERT INTO messages (dedup_key, message_id, queue_id, sender, envid, ret,"
                " client_addr, auth_user, subject, received_at, size, raw)"
                " VALUES (?, ?, ?, ?, NULL, NULL, '127.0.0.1', NULL, ?, ?, ?, ?)",
                ("mid:" + mid, mid, "B%06d" % i, "alice@sender.test", "bench %d" % i, now,
                 len(raw), raw))
            msg = cur.lastrowid
            db.execute(
                "INSERT INTO documents (message, seq, kind, content_type, filename, pages, data)"
                " VALUES (?, 1, ?, ?, ?, ?, ?)",
                (msg, args.kind, ctype, fname, 1 if args.kind == "tiff" else None, data))
            db.execute(
                "INSERT INTO jobs (message, dedup_key, recipient, number, subaddress, qualifiers,"
                " dial, domain, notify, orcpt, created_at, updated_at, next_attempt_at)"
                " VALUES (?, ?, ?, ?, '', '', ?, 'fax.example.test', NULL, NULL, ?, ?, ?)",
                (msg, "mid:" + mid, "FAX=%s@fax.example.test" % number, number, number[1:],
                 now, now, now))
    db.close()
    return 0


# ------------------------------------------------------------ log reader

class LogReader:
    """Reads a child's stderr line by line; keeps (monotonic time, line)."""

    def __init__(self, stream, path):
        self.stream = stream
        self.lines = []
        self.out = open(path, "a")
        self.waiters = []

    async def run(self):
        while True:
            line = await self.stream.readline()
            t = time.monotonic()
            if not line:
                break
            s = line.decode(errors="replace").rstrip("\n")
            self.lines.append((t, s))
            self.out.write("%.6f %s\n" % (t, s))
            self.out.flush()
            for w in list(self.waiters):
                pat, fut = w
                if pat in s and not fut.done():
                    fut.set_result(t)
                    self.waiters.remove(w)
        self.out.flush()

    def wait_for(self, pat):
        fut = asyncio.get_running_loop().create_future()
        for t, s in self.lines:
            if pat in s:
                fut.set_result(t)
                return fut
        self.waiters.append((pat, fut))
        return fut


def field(line, key):
    i = line.find(key + "=")
    if i < 0:
        return None
    j = i + len(key) + 1
    k = j
    while k < len(line) and line[k] not in ", ":
        k += 1
    return line[j:k]


def job_of(line):
    i = line.find("job=")
    if i < 0:
        return None
    j = line.find(":", i)
    try:
        return int(line[i + 4:j])
    except ValueError:
        return None


async def stop_child(proc, sig=signal.SIGTERM, grace=20.0):
    if proc.returncode is not None:
        return proc.returncode
    try:
        proc.send_signal(sig)
    except ProcessLookupError:
        pass
    try:
        return await asyncio.wait_for(proc.wait(), grace)
    except asyncio.TimeoutError:
        proc.kill()
        return await proc.wait()


# ------------------------------------------------------------ throughput

async def throughput_main(args):
    db = sqlite3.connect(args.db, timeout=30)
    c0 = cpu_stat()
    cmd = [args.dialer, "-f", "-c", args.conf]
    if args.strace:
        cmd = ["strace", "-f", "-c", "-o", args.strace] + cmd
    t_spawn = time.monotonic()
    proc = await asyncio.create_subprocess_exec(*cmd, stdin=subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.PIPE)
    if args.pids:
        open(args.pids, "a").write("%d\n" % proc.pid)
    rd = LogReader(proc.stderr, args.log)
    rtask = asyncio.ensure_future(rd.run())
    deadline = t_spawn + args.deadline
    ended = done = 0
    t_end = None
    polls = 0
    dpid = None if args.strace else proc.pid
    while time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        if proc.returncode is not None:
            break
        if dpid is None:
            # under strace: the dialer is strace's child; note its pid at once
            try:
                dpid = int(open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)).read().split()[0])
                if args.pids:
                    open(args.pids, "a").write("%d\n" % dpid)
            except (OSError, IndexError, ValueError):
                pass
        try:
            done, ended = db.execute(
                "SELECT count(*) FILTER (WHERE state = 'done'),"
                " count(*) FILTER (WHERE state IN ('done', 'failed')) FROM jobs").fetchone()
        except sqlite3.OperationalError:
            continue
        polls += 1
        if ended >= args.count:
            t_end = time.monotonic()
            break
    c1 = cpu_stat()
    pid = dpid or proc.pid
    ticks = proc_ticks(pid)
    if pid != proc.pid:
        # under strace: stop the dialer itself, strace then exits with it
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    rc = await stop_child(proc)
    try:
        await asyncio.wait_for(rtask, 20)
    except asyncio.TimeoutError:
        print("throughput: the dialer's log did not end", file=sys.stderr)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    states = dict(db.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
    db.close()

    claimed, dial, end = {}, {}, {}
    for t, s in rd.lines:
        j = job_of(s)
        if j is None:
            continue
        if ": claimed," in s:
            claimed.setdefault(j, t)
        elif ": dial=" in s:
            dial.setdefault(j, t)
        elif ", outcome=" in s:
            end[j] = t
    c2d = [1000 * (dial[j] - claimed[j]) for j in dial if j in claimed]
    d2e = [1000 * (end[j] - dial[j]) for j in end if j in dial]
    busy = c1[0] - c0[0]
    tot = (c1[0] - c0[0]) + (c1[1] - c0[1]) + (c1[2] - c0[2]) or 1
    res = {
        "mode": args.mode, "count": args.count, "done": done, "ended": ended,
        "states": states, "exit": rc, "polls": polls,
        "seconds": (t_end - t_spawn) if t_end else None,
        "jobs_per_s": args.count / (t_end - t_spawn) if t_end else 0.0,
        "first_claim_s": (min(claimed.values()) - t_spawn) if claimed else None,
        "last_end_log_s": (max(end.values()) - t_spawn) if end else None,
        "claim_to_dial_ms": {"p50": median(c2d), "p99": pct(c2d, 99), "mean": sum(c2d) / len(c2d) if c2d else None},
        "dial_to_end_ms": {"p50": median(d2e), "p99": pct(d2e, 99), "mean": sum(d2e) / len(d2e) if d2e else None},
        "dialer_cpu_s": (ticks[0] + ticks[1]) if ticks else None,
        "children_cpu_s": (ticks[2] + ticks[3]) if ticks else None,
        "machine_busy": 100.0 * busy / tot,
        "machine_iowait": 100.0 * (c1[2] - c0[2]) / tot,
    }
    json.dump(res, open(args.out, "w"), indent=1)
    print(json.dumps(res))
    return 0 if done == args.count else 1


def cmd_throughput(args):
    return asyncio.run(throughput_main(args))


# --------------------------------------------------------------- latency

def make_message(i, number, doc, tag):
    b = "=_bench_%d" % i
    att = base64.encodebytes(doc).decode().replace("\n", "\r\n")
    return ("From: <alice@sender.test>\r\n"
            "To: <FAX=%s@fax.example.test>\r\n"
            "Subject: latency %d\r\n"
            "Message-ID: <%s.%d@sender.test>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
            "--%s\r\nContent-Type: text/plain\r\n\r\nsee the attachment\r\n"
            "--%s\r\nContent-Type: image/tiff; name=\"page.tif\"\r\n"
            "Content-Disposition: attachment; filename=\"page.tif\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s"
            "--%s--\r\n" % (number, i, tag, i, b, b, b, att, b)).encode()


async def smtp_one(port, number, body):
    """one message on its own connection; returns (code of the final reply, t)"""
    r, w = await asyncio.open_connection("127.0.0.1", port)

    async def reply():
        while True:
            line = await r.readline()
            if not line:
                raise ConnectionError("connection closed")
            if line[3:4] != b"-":
                return line.decode(errors="replace").strip()

    try:
        await reply()
        for cmd in (b"EHLO client.test", b"MAIL FROM:<alice@sender.test>",
                    b"RCPT TO:<FAX=%s@fax.example.test>" % number.encode(), b"DATA"):
            w.write(cmd + b"\r\n")
            rep = await reply()
            if rep[:1] not in ("2", "3"):
                return rep, None
        w.write(body.replace(b"\r\n.", b"\r\n..") + b"\r\n.\r\n")
        await w.drain()
        rep = await reply()
        t = time.monotonic()
        w.write(b"QUIT\r\n")
        await w.drain()
        try:
            await asyncio.wait_for(reply(), 2)
        except Exception:
            pass
        return rep, t
    finally:
        w.close()


async def latency_main(args):
    doc = open(args.doc, "rb").read()
    os.makedirs(args.log_dir, exist_ok=True)
    procs = []

    async def spawn(argv, log):
        p = await asyncio.create_subprocess_exec(*argv, stdin=subprocess.DEVNULL,
                                                 stderr=asyncio.subprocess.PIPE)
        procs.append(p)
        open(args.pids, "a").write("%d\n" % p.pid)
        rd = LogReader(p.stderr, os.path.join(args.log_dir, log))
        return p, rd, asyncio.ensure_future(rd.run())

    mp, mrd, mtask = await spawn([args.milter, "-f", "-c", args.conf], "milter.log")
    dp, drd, dtask = await spawn([args.dialer, "-f", "-c", args.conf], "dialer.log")
    try:
        await asyncio.wait_for(asyncio.gather(mrd.wait_for("start: socket="),
                                              drd.wait_for("start: store=")), 15)
    except asyncio.TimeoutError:
        print("latency: the milter or the dialer did not start", file=sys.stderr)
        for p in procs:
            await stop_child(p, signal.SIGKILL)
        return 1

    sent = []
    failures = []
    total = args.warmup + args.count
    t_first = time.monotonic()
    for i in range(total):
        slot = t_first + i * args.spacing / 1000.0
        d = slot - time.monotonic()
        if d > 0:
            await asyncio.sleep(d)
        number = "+1202556%04d" % i
        body = make_message(i, number, doc, args.tag)
        try:
            rep, t250 = await asyncio.wait_for(smtp_one(args.smtp_port, number, body), 30)
        except Exception as e:
            rep, t250 = "error %r" % e, None
        if not rep.startswith("250"):
            failures.append((number, rep))
        sent.append((i, number, t250))

    # every accepted message must reach its dial line
    want = [n for i, n, t in sent if t is not None]
    deadline = time.monotonic() + args.deadline
    while time.monotonic() < deadline:
        seen = {field(s, "number") for t, s in drd.lines if ": dial=" in s}
        if all(n in seen for n in want):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    dticks = proc_ticks(dp.pid)
    await stop_child(dp)
    await stop_child(mp, signal.SIGKILL)	# libmilter lingers ~5 s on TERM
    await dtask
    await mtask

    commit, claim, dial = {}, {}, {}
    jobnum = {}
    for t, s in mrd.lines:
        if "status=queued" in s:
            commit.setdefault(field(s, "number"), t)
    for t, s in drd.lines:
        j = job_of(s)
        if ": claimed," in s:
            n = field(s, "number")
            jobnum[j] = n
            claim.setdefault(n, t)
        elif ": dial=" in s:
            dial.setdefault(field(s, "number"), t)
    rows = []
    missing = []
    for i, n, t250 in sent:
        if i < args.warmup:
            continue
        if t250 is None or n not in commit or n not in dial or n not in claim:
            missing.append(n)
            continue
        rows.append({"number": n, "commit_to_dial": 1000 * (dial[n] - commit[n]),
                     "ok250_to_dial": 1000 * (dial[n] - t250),
                     "commit_to_claim": 1000 * (claim[n] - commit[n]),
                     "claim_to_dial": 1000 * (dial[n] - claim[n]),
                     "commit_to_250": 1000 * (t250 - commit[n])})

    def summ(k):
        v = [r[k] for r in rows]
        return {"p50": median(v), "p90": pct(v, 90), "p99": pct(v, 99), "max": max(v) if v else None,
                "min": min(v) if v else None}

    res = {"count": args.count, "warmup": args.warmup, "spacing_ms": args.spacing,
           "samples": len(rows), "missing": missing, "failures": failures,
           "commit_to_dial_ms": summ("commit_to_dial"),
           "ok250_to_dial_ms": summ("ok250_to_dial"),
           "commit_to_claim_ms": summ("commit_to_claim"),
           "claim_to_dial_ms": summ("claim_to_dial"),
           "commit_to_250_ms": summ("commit_to_250"),
           "dialer_cpu_s": (dticks[0] + dticks[1]) if dticks else None,
           "children_cpu_s": (dticks[2] + dticks[3]) if dticks else None,
           "rows": rows}
    json.dump(res, open(args.out, "w"), indent=1)
    print(json.dumps({k: v for k, v in res.items() if k != "rows"}))
    return 0 if not missing and not failures and len(rows) == args.count else 1


def cmd_latency(args):
    return asyncio.run(latency_main(args))


# ---------------------------------------------------------------- render

def count_pages(path):
    out = subprocess.run(["tiffinfo", path], capture_output=True, text=True).stdout
    return out.count("TIFF Directory")


def timed(argv, cwd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True)
    t1 = time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit("render: %s failed (%d): %s" % (argv[0], p.returncode,
                                                         p.stderr.decode(errors="replace")[:400]))
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return t1 - t0, cpu


def cmd_render(args):
    pdf = os.path.abspath(args.pdf)
    rtif = os.path.join(args.dir, "r.tif")
    gtif = os.path.join(args.dir, "g.tif")
    rend = [args.render, "-o", rtif, "-d", args.dir, "pdf:" + pdf]
    gs = ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dNOINTERPOLATE", "-sDEVICE=tiffg4",
          "-r204x196", "-sOutputFile=" + gtif, pdf]
    walls = {"render": [], "gs": []}
    cpus = {"render": [], "gs": []}
    for r in range(args.rounds):
        order = ("render", "gs") if r % 2 == 0 else ("gs", "render")
        for side in order:
            out = rtif if side == "render" else gtif
            if os.path.exists(out):
                os.unlink(out)
            w, c = timed(rend if side == "render" else gs, args.dir)
            walls[side].append(w)
            cpus[side].append(c)
    pr, pg = count_pages(rtif), count_pages(gtif)
    if pr != args.pages or pg != args.pages:
        raise SystemExit("render: %d pages from faxgate-render, %d from gs, want %d" % (pr, pg, args.pages))
    best = {k: min(v) for k, v in walls.items()}
    bcpu = {k: min(v) for k, v in cpus.items()}
    res = {"pages": args.pages, "rounds": args.rounds,
           "wall_s": walls, "cpu_s": cpus,
           "render_pages_per_s": args.pages / best["render"],
           "gs_pages_per_s": args.pages / best["gs"],
           "ratio": best["gs"] / best["render"],
           "cpu_ratio": bcpu["gs"] / bcpu["render"],
           "render_cmd": " ".join(rend), "gs_cmd": " ".join(gs)}
    json.dump(res, open(args.out, "w"), indent=1)
    print(json.dumps(res))
    return 0


# ---------------------------------------------------------------- report

BEGIN = "<!-- bench/dialer results: begin (rewritten by bench/dialer) -->"
END = "<!-- bench/dialer results: end -->"


def cmd_report(args):
    d = args.results
    load = lambda name: json.load(open(os.path.join(d, name + ".json")))
    env = os.environ.get
    modes = [m for m in ("t38", "audio") if os.path.exists(os.path.join(d, "tp-%s-1.json" % m))]
    rounds = args.rounds
    tp = {}
    for m in modes:
        rows = []
        for r in range(1, rounds + 1):
            dl = load("tp-%s-%d" % (m, r))
            rw = load("raw-%s-%d" % (m, r))
            rows.append({"dialer": dl["jobs_per_s"], "raw": rw["calls_per_s"],
                         "ratio": dl["jobs_per_s"] / rw["calls_per_s"], "d": dl, "w": rw})
        tp[m] = rows
    lat = load("latency")
    ren = load("render")

    block = ["dialer bench: %d jobs per run, 1-page TIFF, 4 channels, sim unpaced, %d rounds (median)"
             % (args.jobs, rounds)]
    for m in modes:
        rows = tp[m]
        block.append("  %-5s dialer:       %6.1f jobs/s   raw SpanDSP: %6.1f calls/s   ratio %.3f"
                     % (m, median([x["dialer"] for x in rows]), median([x["raw"] for x in rows]),
                        median([x["ratio"] for x in rows])))
    c2d = lat["commit_to_dial_ms"]
    block.append("  queue latency commit->dial: p50 %.1f ms, p99 %.1f ms   (goal p99 <= 50 ms; %d messages)"
                 % (c2d["p50"], c2d["p99"], lat["samples"]))
    block.append("  render 20-page PDF: faxgate-render %.2f pages/s, gs alone %.2f pages/s, ratio %.2f   (goal >= 0.9)"
                 % (ren["render_pages_per_s"], ren["gs_pages_per_s"], ren["ratio"]))
    block.append("reproduce: %s" % args.reproduce)
    verdict = "goals: queue latency p99 %s, render ratio %s" % (
        "met" if c2d["p99"] <= 50 else "NOT met", "met" if ren["ratio"] >= 0.9 else "NOT met")

    det = []
    det.append("| mode | round | dialer jobs/s | raw calls/s | ratio | dialer CPU ms/job (own + render children) | claimed->dial p50 ms | dial->end p50 ms | machine CPU busy |")
    det.append("|---|---|---|---|---|---|---|---|---|")
    for m in modes:
        for r, x in enumerate(tp[m], 1):
            dl = x["d"]
            cpu = "%.1f + %.1f" % (1000 * dl["dialer_cpu_s"] / dl["count"], 1000 * dl["children_cpu_s"] / dl["count"]) \
                if dl["dialer_cpu_s"] is not None else "-"
            det.append("| %s | %d | %.1f | %.1f | %.3f | %s | %.1f | %.1f | %.0f %% |"
                       % (m, r, x["dialer"], x["raw"], x["ratio"], cpu,
                          dl["claim_to_dial_ms"]["p50"], dl["dial_to_end_ms"]["p50"], dl["machine_busy"]))
    rawcpu = "; ".join("%s %.2f ms CPU per call (%.2f s of line time)"
                       % (m, 1000 * median([x["w"]["cpu_s"] / x["w"]["calls"] for x in tp[m]]),
                          tp[m][0]["w"]["line_s_per_call"]) for m in modes)
    L = lambda k: lat[k]
    latdet = [
        "| interval (ms) | p50 | p90 | p99 | max |",
        "|---|---|---|---|---|",
    ]
    for k, name in (("commit_to_dial_ms", "milter commit -> dialer `dial=` (the figure)"),
                    ("ok250_to_dial_ms", "client reads 250 -> `dial=` (cross-check)"),
                    ("commit_to_claim_ms", "commit -> `claimed` (wake-up, claim)"),
                    ("claim_to_dial_ms", "`claimed` -> `dial=` (render child, state, attempt)"),
                    ("commit_to_250_ms", "commit -> client reads 250 (Postfix)")):
        v = L(k)
        latdet.append("| %s | %.1f | %.1f | %.1f | %.1f |" % (name, v["p50"], v["p90"], v["p99"], v["max"]))
    rw = ren["wall_s"]
    rendet = ("wall s per run, faxgate-render: %s; gs: %s; CPU s (best): faxgate-render %.2f, gs %.2f (CPU ratio %.2f)"
              % (" ".join("%.2f" % x for x in rw["render"]), " ".join("%.2f" % x for x in rw["gs"]),
                 min(ren["cpu_s"]["render"]), min(ren["cpu_s"]["gs"]), ren["cpu_ratio"]))

    print()
    print("\n".join(det))
    print("raw SpanDSP: " + rawcpu)
    print("\n".join(latdet))
    print(rendet)
    print("bench took %s s" % env("BENCH_SECONDS", "?"))
    print(verdict)
    print()
    print("\n".join(block))

    if not args.benchmarks:
        return 0
    gen = [BEGIN, "", "```"] + block + ["```", "", "%s." % (verdict[0].upper() + verdict[1:]), ""]
    gen.append("Machine: `nproc` = %s, CPU `%s` (/proc/cpuinfo), Debian %s, kernel %s, SpanDSP %s,"
               % (env("MACH_NPROC", "?"), env("MACH_CPU", "?"), env("MACH_DEBIAN", "?"),
                  env("MACH_KERNEL", "?"), env("MACH_SPANDSP", "?")))
    gen.append("SQLite %s, Ghostscript %s, Postfix %s; store and spool on %s. Run on %s on a shared machine"
               % (env("MACH_SQLITE", "?"), env("MACH_GS", "?"), env("MACH_POSTFIX", "?"),
                  env("MACH_FS", "?"), env("MACH_DATE", "?")))
    gen.append("(load average %s at the end); the whole bench took %s s."
               % (env("MACH_LOAD", "?"), env("BENCH_SECONDS", "?")))
    gen.append("")
    gen.append("Throughput per round (raw and dialer alternate, ABBA):")
    gen.append("")
    gen += det
    gen.append("")
    gen.append("Raw SpanDSP: %s." % rawcpu)
    gen.append("")
    gen.append("Queue latency, %d messages %d ms apart (after %d warm-up), idle channels:"
               % (lat["samples"], lat["spacing_ms"], lat["warmup"]))
    gen.append("")
    gen += latdet
    gen.append("")
    gen.append("Render: %s." % rendet)
    gen.append("")
    gen.append(END)
    text = "\n".join(gen)

    intro = [
        "## Dialer", "",
        "Throughput of `faxgate-dialer` through the store on the simulated line, the",
        "queue latency from the milter's commit to the start of the call, and the",
        "renderer's speed, each against a baseline in the same run. Written by",
        "`bench/dialer` (the exact command is the last line of the block; not in",
        "`make bench` yet). The part between the markers is rewritten by each run;",
        "the method and the notes after it are by hand.", "",
    ]
    benchmd.write_section(args.benchmarks, BEGIN, END, text, intro, "Dialer")
    return 0


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("insert")
    p.add_argument("--db", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--doc", required=True)
    p.add_argument("--kind", default="tiff", choices=("tiff", "text", "pdf"))
    p.add_argument("--tag", default="bench")
    p.add_argument("--first", type=int, default=0)
    p = sub.add_parser("throughput")
    p.add_argument("--dialer", required=True)
    p.add_argument("--conf", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--deadline", type=float, default=120)
    p.add_argument("--log", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--mode", default="t38")
    p.add_argument("--pids")
    p.add_argument("--strace")
    p = sub.add_parser("latency")
    p.add_argument("--milter", required=True)
    p.add_argument("--dialer", required=True)
    p.add_argument("--conf", required=True)
    p.add_argument("--smtp-port", type=int, required=True)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--spacing", type=float, default=200)
    p.add_argument("--deadline", type=float, default=30)
    p.add_argument("--doc", required=True)
    p.add_argument("--tag", default="lat")
    p.add_argument("--log-dir", required=True)
    p.add_argument("--pids", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("render")
    p.add_argument("--render", required=True)
    p.add_argument("--pdf", required=True)
    p.add_argument("--pages", type=int, default=20)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--dir", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("report")
    p.add_argument("--results", required=True)
    p.add_argument("--rounds", type=int, required=True)
    p.add_argument("--jobs", type=int, required=True)
    p.add_argument("--reproduce", required=True)
    p.add_argument("--benchmarks")
    args = ap.parse_args()
    return {"insert": cmd_insert, "throughput": cmd_throughput, "latency": cmd_latency,
            "render": cmd_render, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
