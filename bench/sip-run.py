#!/usr/bin/python3
"""sip-run.py - the helper of bench/sip (standard library only).

  sip-run.py pair --dialer BIN --a-conf A.conf --b-conf B.conf
                  --a-db A.db --b-db B.db --a-spool DIR --count N
                  --mode t38|g711 --deadline S --dir DIR --out FILE.json
                  [--wake SOCKET] [--pids FILE]
      One run of N concurrent calls from dialer A to dialer B. The N jobs
      are already in A's store (dialer-run.py insert). Starts B (-f -c
      B.conf) and waits for its "start:" line, then starts A; both logs
      (stderr) are read through pipes of 1 MB, each line stamped with
      time.monotonic() as it arrives (DIR/a.log, DIR/b.log). Polls A's
      store every 100 ms until all N jobs have ended (done or failed) or S
      seconds have passed since A's spawn: wall = that time. While jobs
      are still queued it sends a datagram to A's dialer socket (--wake),
      as the milter does after each commit: A claims at most 64 jobs per
      look at the store, and without a wake-up looks again only every
      [dialer] poll seconds. CPU = utime + stime of both processes
      (/proc/PID/stat) at the end minus at A's spawn. Every 0.5 s it
      samples both processes' CPU, the machine's (/proc/stat) and their
      open descriptors. Then it waits (at most 15 s) for B to store the
      received faxes, stops both (SIGTERM), and checks every page: B's
      inbound row with the Call-ID of A's attempt must be outcome ok with
      A's page count, and each page of its tiff blob must equal the page A
      sent (A's spool/render-MESSAGE.tif) pixel for pixel (tiffsplit, then
      tiffcmp -t, as page_same in t/lib/faxgate.sh). Writes the figures,
      the calls up at once (from A's dial= line to its call's end line),
      the failures by error and by dial order, and the media statistics
      from the logs to FILE.json. Exit status 0 when every call succeeded
      with every page exact, 1 otherwise.

  sip-run.py report --results DIR --reproduce CMD [--benchmarks FILE]
      The summary block from DIR/run-*.json and DIR/raw-*.json; with
      --benchmarks, replaces the part of the "## SIP" section of that file
      between the bench/sip markers (or adds the section).
"""
import argparse
import asyncio
import fcntl
import glob
import hashlib
import importlib.util
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

import benchmd
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True	# no __pycache__ in bench/
_here = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("dialer_run", os.path.join(_here, "dialer-run.py"))
dr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dr)

pct, median, cpu_stat, LogReader, field, job_of = \
    dr.pct, dr.median, dr.cpu_stat, dr.LogReader, dr.field, dr.job_of

HZ = os.sysconf("SC_CLK_TCK")
NPROC = os.cpu_count() or 1
PIPE_SIZE = 1 << 20


def ticks(pid):
    """utime + stime of a live process in seconds, or None"""
    t = dr.proc_ticks(pid)
    return (t[0] + t[1]) if t else None


def thread_ticks(pid):
    """{tid: (comm, utime + stime s)} of a live process"""
    out = {}
    for d in glob.glob("/proc/%d/task/*" % pid):
        try:
            s = open(d + "/stat").read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        f = s[s.rindex(")") + 2:].split()
        out[int(os.path.basename(d))] = (comm, (int(f[11]) + int(f[12])) / HZ)
    return out


def nfds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


async def spawn(argv, log, pids):
    """argv with stderr on a 1 MB pipe read by a LogReader; (proc, reader, task)"""
    r, w = os.pipe()
    try:
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    except (OSError, AttributeError):
        pass
    proc = await asyncio.create_subprocess_exec(*argv, stdin=subprocess.DEVNULL,
                                                stdout=subprocess.DEVNULL, stderr=w)
    os.close(w)
    if pids:
        with open(pids, "a") as f:
            f.write("%d\n" % proc.pid)
    loop = asyncio.get_running_loop()
    stream = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), os.fdopen(r, "rb"))
    rd = LogReader(stream, log)
    return proc, rd, asyncio.ensure_future(rd.run())


def kv_stats(line):
    """the key=number pairs after error=... in a call's end line"""
    out = {}
    for k, v in re.findall(r"\b(udptl_sent|udptl_received|recovered|lost|malformed|rtp_sent|"
                           r"rtp_received|late|concealed)=(\d+)", line):
        out[k] = int(v)
    return out


# ------------------------------------------------------------------ pages

def split_pages(path, tmp, prefix):
    d = tempfile.mkdtemp(prefix=prefix, dir=tmp)
    r = subprocess.run(["tiffsplit", path, d + "/p_"], capture_output=True)
    if r.returncode != 0:
        return None
    return sorted(os.path.join(d, x) for x in os.listdir(d))


def same(a, b):
    return subprocess.run(["tiffcmp", "-t", a, b], capture_output=True).returncode == 0


# ------------------------------------------------------------------- pair

async def pair_main(args):
    os.makedirs(args.dir, exist_ok=True)
    res = {"mode": args.mode, "count": args.count, "deadline_s": args.deadline,
           "nproc": NPROC}
    # B first: it must answer the first INVITE.
    bp, brd, btask = await spawn([args.dialer, "-f", "-c", args.b_conf],
                                 os.path.join(args.dir, "b.log"), args.pids)
    try:
        await asyncio.wait_for(brd.wait_for("start: store"), 15)
    except asyncio.TimeoutError:
        print("pair: dialer B did not start", file=sys.stderr)
        await dr.stop_child(bp, signal.SIGKILL)
        return 1
    db = sqlite3.connect(args.a_db, timeout=30)
    c0 = cpu_stat()
    b0 = ticks(bp.pid) or 0.0
    bth0 = thread_ticks(bp.pid)
    t_spawn = time.monotonic()
    ap, ard, atask = await spawn([args.dialer, "-f", "-c", args.a_conf],
                                 os.path.join(args.dir, "a.log"), args.pids)
    deadline = t_spawn + args.deadline
    samples = []
    next_sample = t_spawn
    ended = done = 0
    t_end = None
    died = None
    wake = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    wake.setblocking(False)
    wakes = 0
    while True:
        now = time.monotonic()
        if now >= next_sample:
            samples.append({"t": now - t_spawn, "a": ticks(ap.pid), "b": ticks(bp.pid),
                            "cpu": cpu_stat(), "a_fds": nfds(ap.pid), "b_fds": nfds(bp.pid)})
            next_sample += 0.5
        if ap.returncode is not None or bp.returncode is not None:
            died = "A" if ap.returncode is not None else "B"
            break
        try:
            done, ended, queued = db.execute(
                "SELECT count(*) FILTER (WHERE state = 'done'),"
                " count(*) FILTER (WHERE state IN ('done', 'failed')),"
                " count(*) FILTER (WHERE state = 'queued') FROM jobs").fetchone()
        except sqlite3.OperationalError:
            queued = 1
        if queued and args.wake:
            # What the milter does after each commit: one datagram, "look
            # at the store now". A claims at most 64 jobs per look.
            try:
                wake.sendto(b"w", args.wake)
                wakes += 1
            except OSError:
                pass
        if ended >= args.count:
            t_end = time.monotonic()
            break
        if now >= deadline:
            break
        await asyncio.sleep(0.1)
    t_stop = t_end or time.monotonic()
    c1 = cpu_stat()
    a1 = ticks(ap.pid)
    b1 = ticks(bp.pid)
    ath = thread_ticks(ap.pid)
    bth1 = thread_ticks(bp.pid)
    samples.append({"t": t_stop - t_spawn, "a": a1, "b": b1, "cpu": c1,
                    "a_fds": nfds(ap.pid), "b_fds": nfds(bp.pid)})

    # B stores each fax when its call ends: wait for the rows of the calls
    # A finished (at most 15 s).
    bdb = sqlite3.connect(args.b_db, timeout=30)
    want = db.execute("SELECT count(*) FROM attempts WHERE call_id IS NOT NULL").fetchone()[0]
    t_wait = time.monotonic() + 15
    nin = 0
    while time.monotonic() < t_wait:
        try:
            nin = bdb.execute("SELECT count(*) FROM inbound").fetchone()[0]
        except sqlite3.OperationalError:
            nin = 0
        if nin >= want:
            break
        await asyncio.sleep(0.1)

    rc_a = await dr.stop_child(ap)
    rc_b = await dr.stop_child(bp)
    for t in (atask, btask):
        try:
            await asyncio.wait_for(t, 20)
        except asyncio.TimeoutError:
            pass

    # ---- the stores
    states = dict(db.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
    jobs = {}
    for j, msg, st, dial in db.execute("SELECT id, message, state, dial FROM jobs"):
        jobs[j] = {"message": msg, "state": st, "dial": dial}
    att = {}
    for j, cid, outcome, status, code, pages in db.execute(
            "SELECT job, call_id, outcome, status, error_code, pages_sent FROM attempts"):
        att[j] = {"call_id": cid, "outcome": outcome, "status": status, "error": code,
                  "pages": pages}
    db.close()
    inbound = {}
    for iid, cid, did, pages, outcome, status, code, transport in bdb.execute(
            "SELECT id, call_id, did, pages, outcome, status, error_code, transport FROM inbound"):
        inbound[cid] = {"id": iid, "did": did, "pages": pages, "outcome": outcome,
                        "status": status, "error": code, "transport": transport}

    # ---- the pages, pixel for pixel
    tmp = tempfile.mkdtemp(prefix="pages.", dir=args.dir)
    ref = {}		# sha256 of A's render -> its split pages

    def a_pages(msg):
        path = os.path.join(args.a_spool, "render-%d.tif" % msg)
        try:
            h = hashlib.sha256(open(path, "rb").read()).hexdigest()
        except OSError:
            return None
        if h not in ref:
            ref[h] = split_pages(path, tmp, "a.")
        return ref[h]

    checks = []
    for j, jb in sorted(jobs.items()):
        a = att.get(j)
        if jb["state"] != "done" or not a or not a["call_id"]:
            continue
        checks.append((j, jb, a, inbound.get(a["call_id"]), a_pages(jb["message"])))

    def check(item):
        j, jb, a, inb, ap_ = item
        if inb is None:
            return j, "B stored no fax for the call"
        if ap_ is None:
            return j, "A's render-%d.tif is missing" % jb["message"]
        if inb["outcome"] != "ok" or inb["pages"] != len(ap_):
            return j, "B stored outcome %s with %s pages" % (inb["outcome"], inb["pages"])
        row = sqlite3.connect(args.b_db, timeout=30).execute(
            "SELECT tiff FROM inbound WHERE id = ?", (inb["id"],)).fetchone()
        if not row or not row[0]:
            return j, "B's inbound row has no tiff"
        path = os.path.join(tmp, "in-%d.tif" % inb["id"])
        open(path, "wb").write(row[0])
        bp_ = split_pages(path, tmp, "b.")
        if bp_ is None or len(bp_) != len(ap_):
            return j, "B's tiff has %s pages" % (len(bp_) if bp_ else "no")
        for k in range(len(ap_)):
            if not same(ap_[k], bp_[k]):
                return j, "page %d differs" % (k + 1)
        return j, None

    with ThreadPoolExecutor(max_workers=NPROC) as ex:
        verdicts = list(ex.map(check, checks))
    bdb.close()
    bad_pages = [{"job": j, "why": w} for j, w in verdicts if w]
    exact = sum(1 for j, w in verdicts if not w)
    subprocess.run(["rm", "-rf", tmp])

    # ---- the logs
    t_dial, t_call_end, t_t38 = {}, {}, {}
    cid_job = {}
    a_err, b_err = {}, {}
    a_stats, b_stats = [], []
    refused = []
    for t, s in ard.lines:
        if ": dial=" in s:
            j = job_of(s)
            t_dial.setdefault(j, t)
        elif "call=" in s and "direction=out, job=" in s:
            cid_job[s.split("call=", 1)[1].split(":", 1)[0]] = int(field(s, "job"))
        elif "direction=out, status=" in s:
            cid = s.split("call=", 1)[1].split(":", 1)[0]
            t_call_end[cid] = t
            e = field(s, "error") or "?"
            a_err[e] = a_err.get(e, 0) + 1
            st = kv_stats(s)
            st["ok"] = e == "OK"
            a_stats.append(st)
        elif ": t38=on" in s:
            cid = s.split("call=", 1)[1].split(":", 1)[0]
            t_t38.setdefault(cid, t)
    for t, s in brd.lines:
        if "direction=in, status=" in s and "refused" not in s:
            e = field(s, "error") or "?"
            b_err[e] = b_err.get(e, 0) + 1
            st = kv_stats(s)
            st["ok"] = e == "OK"
            b_stats.append(st)
        elif "status=refused" in s:
            refused.append(s.split(": ", 2)[-1][:200])
    errors = [s.split(": ", 2)[-1][:240] for t, s in ard.lines + brd.lines
              if re.search(r"\]: (emerg|alert|crit|error|warning): ", s)]
    durations, to_t38 = [], []
    for cid, j in cid_job.items():
        if cid in t_call_end and j in t_dial:
            durations.append(t_call_end[cid] - t_dial[j])
        if cid in t_t38 and j in t_dial:
            to_t38.append(t_t38[cid] - t_dial[j])
    dials = sorted(t_dial.values())
    ends = sorted(t_call_end.values())
    # calls up at once: from A's dial= line to its call's end line
    ev = sorted([(t, 1) for t in dials] + [(t, -1) for t in ends])
    up = peak_up = 0
    for t, k in ev:
        up += k
        peak_up = max(peak_up, up)
    # failures by dial order (fifths): early calls against late ones
    order = sorted((t_dial[j], cid) for cid, j in cid_job.items() if j in t_dial)
    call_ok = {}
    for t, s in ard.lines:
        if "direction=out, status=" in s:
            call_ok[s.split("call=", 1)[1].split(":", 1)[0]] = field(s, "error") == "OK"
    fifths = [0] * 5
    for i, (t, cid) in enumerate(order):
        if not call_ok.get(cid, False):
            fifths[min(4, i * 5 // len(order))] += 1

    def sums(stats):
        out = {}
        for st in stats:
            for k, v in st.items():
                if k != "ok":
                    out[k] = out.get(k, 0) + v
        return out

    def worst(stats, k):
        v = [st.get(k, 0) for st in stats]
        return max(v) if v else 0

    # ---- CPU
    cpu_a = (a1 - 0.0) if a1 is not None else None
    cpu_b = (b1 - b0) if b1 is not None else None
    wall = t_stop - t_spawn
    cpu = (cpu_a or 0) + (cpu_b or 0)

    def busy_between(s0, s1):
        b = s1["cpu"][0] - s0["cpu"][0]
        tot = b + (s1["cpu"][1] - s0["cpu"][1]) + (s1["cpu"][2] - s0["cpu"][2])
        return 100.0 * b / tot if tot else float("nan")

    # Plateau: from the last dial to the first call's end, when all N calls
    # are up at once (falls back to the whole run when shorter than 2 s).
    plateau = None
    if dials and ends:
        p0, p1 = dials[-1] - t_spawn, ends[0] - t_spawn
        inside = [s for s in samples if p0 <= s["t"] <= p1 and s["a"] is not None and s["b"] is not None]
        if p1 - p0 >= 2 and len(inside) >= 3:
            s0, s1 = inside[0], inside[-1]
            dt = s1["t"] - s0["t"]
            plateau = {"from_s": p0, "to_s": p1, "a_cores": (s1["a"] - s0["a"]) / dt,
                       "b_cores": (s1["b"] - s0["b"]) / dt,
                       "machine_busy": busy_between(s0, s1)}
    # busiest 2 s of the run (A + B), and the machine then
    peak = {"ab_cores": 0.0, "machine_busy": None, "at_s": None}
    good = [s for s in samples if s["a"] is not None and s["b"] is not None]
    for i in range(len(good)):
        for k in range(i + 1, len(good)):
            if good[k]["t"] - good[i]["t"] >= 2.0:
                dt = good[k]["t"] - good[i]["t"]
                c = ((good[k]["a"] - good[i]["a"]) + (good[k]["b"] - good[i]["b"])) / dt
                if c > peak["ab_cores"]:
                    peak = {"ab_cores": c, "machine_busy": busy_between(good[i], good[k]),
                            "at_s": good[i]["t"]}
                break
    busy_run = busy_between(samples[0], samples[-1]) if len(samples) > 1 else None
    if plateau:
        saturated = plateau["machine_busy"] >= 95.0 or \
            plateau["a_cores"] + plateau["b_cores"] >= 0.9 * NPROC
    else:
        saturated = (busy_run or 0) >= 95.0 or cpu / wall >= 0.9 * NPROC
    loop_a = ath.get(ap.pid, ("", None))[1]
    loop_b = None
    if bp.pid in bth1 and bp.pid in bth0:
        loop_b = bth1[bp.pid][1] - bth0[bp.pid][1]

    ok_calls = states.get("done", 0)
    res.update({
        "wall_s": wall, "all_ended": t_end is not None, "died": died, "wakes": wakes,
        "exit_a": rc_a, "exit_b": rc_b, "states": states,
        "done": ok_calls, "failed": states.get("failed", 0),
        "not_ended": args.count - sum(states.get(s, 0) for s in ("done", "failed")),
        "inbound_rows": len(inbound),
        "inbound_ok": sum(1 for x in inbound.values() if x["outcome"] == "ok"),
        "pages_checked": len(verdicts), "pages_exact": exact, "bad_pages": bad_pages[:20],
        "cpu_a_s": cpu_a, "cpu_b_s": cpu_b, "cpu_s": cpu,
        "cpu_ms_per_call": 1000.0 * cpu / args.count,
        "cores_used": cpu / wall if wall else None,
        "calls_per_core": args.count * wall / cpu if cpu else None,
        "loop_thread_cpu_a_s": loop_a, "loop_thread_cpu_b_s": loop_b,
        "threads_a": sorted({c for c, _ in ath.values()}),
        "machine_busy_run": busy_run, "plateau": plateau, "peak_2s": peak,
        "saturated": saturated,
        "fds_max_a": max([s["a_fds"] or 0 for s in samples] or [0]),
        "fds_max_b": max([s["b_fds"] or 0 for s in samples] or [0]),
        "peak_concurrent": peak_up, "failed_by_dial_fifth": fifths,
        "first_dial_s": (dials[0] - t_spawn) if dials else None,
        "last_dial_s": (dials[-1] - t_spawn) if dials else None,
        "first_end_s": (ends[0] - t_spawn) if ends else None,
        "last_end_s": (ends[-1] - t_spawn) if ends else None,
        "call_s": {"p50": median(durations), "max": max(durations) if durations else None,
                   "min": min(durations) if durations else None},
        "dial_to_t38_s": {"p50": median(to_t38), "p99": pct(to_t38, 99),
                          "max": max(to_t38) if to_t38 else None},
        "a_errors": a_err, "b_errors": b_err,
        "a_media": sums(a_stats), "b_media": sums(b_stats),
        "a_media_failed": sums([s for s in a_stats if not s["ok"]]),
        "worst_late_a": worst(a_stats, "late"), "worst_late_b": worst(b_stats, "late"),
        "worst_lost_a": worst(a_stats, "lost"), "worst_lost_b": worst(b_stats, "lost"),
        "refused": refused[:10], "log_problems": errors[:20],
        "samples": [{"t": round(s["t"], 2), "a": s["a"], "b": s["b"],
                     "a_fds": s["a_fds"], "b_fds": s["b_fds"],
                     "busy": s["cpu"][0], "idle": s["cpu"][1], "iowait": s["cpu"][2]}
                    for s in samples],
    })
    res["clean"] = (ok_calls == args.count and exact == args.count and died is None)
    json.dump(res, open(args.out, "w"), indent=1)
    print(json.dumps({k: v for k, v in res.items() if k != "samples"}))
    return 0 if res["clean"] else 1


def cmd_pair(args):
    return asyncio.run(pair_main(args))


# ----------------------------------------------------------------- report

BEGIN = "<!-- bench/sip results: begin (rewritten by bench/sip) -->"
END = "<!-- bench/sip results: end -->"
MODES = (("t38", "T.38"), ("g711", "G.711"))


def fmt(v, f="%.1f", none="-"):
    return none if v is None else f % v


def cmd_report(args):
    d = args.results
    env = os.environ.get
    runs = {}
    for p in sorted(glob.glob(os.path.join(d, "run-*.json"))):
        r = json.load(open(p))
        runs.setdefault(r["mode"], {}).setdefault(r["count"], []).append(r)
    raw = {}
    for p in sorted(glob.glob(os.path.join(d, "raw-*.json"))):
        r = json.load(open(p))
        raw.setdefault(r["mode"], []).append(1000.0 * r["cpu_s"] / r["calls"])
    raw_ms = {"t38": median(raw["t38"]) if raw.get("t38") else None,
              "g711": median(raw["audio"]) if raw.get("audio") else None}
    stops = json.load(open(os.path.join(d, "stops.json"))) if os.path.exists(
        os.path.join(d, "stops.json")) else {}
    goal = {"t38": int(env("GOAL_T38", "500")), "g711": int(env("GOAL_G711", "200"))}

    def agg(rs):
        """one row from the rounds of one N: medians, and the worst outcome"""
        m = lambda k: median([r[k] for r in rs if r.get(k) is not None])
        return {
            "n": rs[0]["count"], "rounds": len(rs),
            "wall": m("wall_s"), "done": min(r["done"] for r in rs),
            "exact": min(r["pages_exact"] for r in rs),
            "clean": all(r["clean"] for r in rs),
            "saturated": any(r["saturated"] for r in rs),
            "cpu": m("cpu_s"), "cpu_a": m("cpu_a_s"), "cpu_b": m("cpu_b_s"),
            "ms": m("cpu_ms_per_call"), "cores": m("cores_used"), "cpc": m("calls_per_core"),
            "call_p50": median([r["call_s"]["p50"] for r in rs if r["call_s"]["p50"] is not None]),
            "plateau_busy": median([r["plateau"]["machine_busy"] for r in rs if r.get("plateau")]),
            "plateau_ab": median([r["plateau"]["a_cores"] + r["plateau"]["b_cores"]
                                  for r in rs if r.get("plateau")]),
            "peak_ab": max(r["peak_2s"]["ab_cores"] for r in rs),
            "busy_run": m("machine_busy_run"),
            "ramp": m("last_dial_s"), "peak": min(r["peak_concurrent"] for r in rs), "runs": rs,
        }

    rows = {}
    for mode, _ in MODES:
        rows[mode] = [agg(runs[mode][n]) for n in sorted(runs.get(mode, {}))]

    pool = env("UV_THREADPOOL_SIZE")
    nrounds = max([x["rounds"] for m, _ in MODES for x in rows[m]] or [1])
    block = ["sip bench: A calls B over SIP on loopback UDP, [sip] speed = 1 (real time), 1-page TIFF, "
             "all N calls at once, %d round%s%s" % (nrounds, "s (medians, worst ok)" if nrounds > 1 else "",
                                                   ", UV_THREADPOOL_SIZE=%s" % pool if pool else "")]
    block.append("  mode     N     ok/N   pages exact  up at once  wall s  CPU ms/call  x SpanDSP  "
                 "calls/core  all N up: cores, busy")
    for mode, name in MODES:
        for x in rows[mode]:
            ratio = x["ms"] / raw_ms[mode] if raw_ms.get(mode) else None
            up = ("%.2f, %.0f %%" % (x["plateau_ab"], x["plateau_busy"])) \
                if x["plateau_ab"] == x["plateau_ab"] else "-"
            block.append("  %-5s %4d  %4d/%-4d  %4d/%-4d  %10d  %6.1f  %11.1f  %9s  %10s  %s"
                         % (name, x["n"], x["done"], x["n"], x["exact"], x["n"], x["peak"], x["wall"],
                            x["ms"], fmt(ratio, "%.1f"), fmt(x["cpc"], "%.0f"), up))
    block.append("  SpanDSP alone (bench/dialer-raw.c, both ends in one process): "
                 + ", ".join("%s %s ms CPU per call" % (name, fmt(raw_ms.get(mode), "%.2f"))
                             for mode, name in MODES if raw_ms.get(mode)))
    block.append("  CPU ms/call = CPU of A + B over the run / N; x SpanDSP = that / SpanDSP's;")
    block.append("  calls/core = N / (CPU s of A + B / wall s): concurrent calls, both ends, one busy core carries")
    verdicts = []
    for mode, name in MODES:
        if not rows[mode]:
            continue
        st = stops.get(mode)
        # a clean run counts for the calls that were really up at once
        clean = [min(x["n"], x["peak"]) for x in rows[mode] if x["clean"]]
        best = max(clean) if clean else 0
        met = best >= goal[mode]
        stop = ""
        if st:
            stop = "; stopped at N = %d: %s" % (st["n"], st["why"])
        block.append("  %s: %d calls at once with every page exact (goal >= %d: %s)%s"
                     % (name, best, goal[mode], "met" if met else "NOT met", stop))
        verdicts.append("%s >= %d %s" % (name, goal[mode], "met" if met else "NOT met"))
    block.append("reproduce: %s" % args.reproduce)

    det = ["| mode | N | ok | pages exact | up at once | wall s | last dial s | call p50 s | CPU s A / B | "
           "ms/call | A loop thread s | all N up: A+B cores, machine busy | busiest 2 s: A+B cores, machine busy | "
           "descriptors A / B | failures (A's T.30 error: calls) | failed calls by dial order, fifths |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for mode, name in MODES:
        for x in rows[mode]:
            for r in x["runs"]:
                pl = r.get("plateau")
                fails = ", ".join("%s: %d" % (k, v) for k, v in sorted(
                    r["a_errors"].items(), key=lambda kv: -kv[1]) if k != "OK")
                if r["not_ended"]:
                    fails = (fails + ", " if fails else "") + "not ended: %d" % r["not_ended"]
                det.append("| %s | %d | %d | %d | %d | %.1f | %s | %s | %.2f / %.2f | %.1f | %s | %s | %s | %d / %d | %s | %s |"
                           % (name, r["count"], r["done"], r["pages_exact"], r["peak_concurrent"], r["wall_s"],
                              fmt(r["last_dial_s"]), fmt(r["call_s"]["p50"]),
                              r["cpu_a_s"] or 0, r["cpu_b_s"] or 0, r["cpu_ms_per_call"],
                              fmt(r["loop_thread_cpu_a_s"], "%.2f"),
                              ("%.2f, %.0f %%" % (pl["a_cores"] + pl["b_cores"], pl["machine_busy"]))
                              if pl else "-",
                              "%.2f, %s" % (r["peak_2s"]["ab_cores"],
                                            fmt(r["peak_2s"]["machine_busy"], "%.0f %%")),
                              r["fds_max_a"], r["fds_max_b"],
                              fails or "none",
                              " ".join(str(x) for x in r["failed_by_dial_fifth"])
                              if any(r["failed_by_dial_fifth"]) else "-"))
    media = []
    for mode, name in MODES:
        for x in rows[mode]:
            r = x["runs"][-1]
            a, b = r["a_media"], r["b_media"]
            if mode == "t38":
                media.append("%s N=%d: A sent %d UDPTL datagrams, lost %d, recovered %d; B lost %d, recovered %d"
                             % (name, r["count"], a.get("udptl_sent", 0), a.get("lost", 0),
                                a.get("recovered", 0), b.get("lost", 0), b.get("recovered", 0)))
            else:
                media.append("%s N=%d: RTP late packets A %d (worst call %d), B %d (worst %d); lost A %d, B %d"
                             % (name, r["count"], a.get("late", 0), r["worst_late_a"],
                                b.get("late", 0), r["worst_late_b"], a.get("lost", 0), b.get("lost", 0)))

    verdict = "Goals: " + ", ".join(verdicts) + "."
    print()
    print("\n".join(det))
    print("\n".join(media))
    print(verdict)
    print()
    print("\n".join(block))
    if not args.benchmarks:
        return 0

    gen = [BEGIN, "", "```"] + block + ["```", "", verdict, ""]
    gen.append("Machine: `nproc` = %s, CPU `%s` (/proc/cpuinfo), Debian %s, kernel %s, SpanDSP %s,"
               % (env("MACH_NPROC", "?"), env("MACH_CPU", "?"), env("MACH_DEBIAN", "?"),
                  env("MACH_KERNEL", "?"), env("MACH_SPANDSP", "?")))
    gen.append("Sofia-SIP %s, libuv %s, SQLite %s; `ulimit -n` %s; stores and spools on %s;\nfaxgate: %s."
               % (env("MACH_SOFIA", "?"), env("MACH_UV", "?"), env("MACH_SQLITE", "?"),
                  env("MACH_NOFILE", "?"), env("MACH_FS", "?"), env("MACH_BUILD", "?")))
    gen.append("Run on %s on a shared machine (load average %s at the end); the whole bench took %s s."
               % (env("MACH_DATE", "?"), env("MACH_LOAD", "?"), env("BENCH_SECONDS", "?")))
    gen.append("")
    gen.append("Per run:")
    gen.append("")
    gen += det
    gen.append("")
    gen.append("Media, from the dialers' call lines (last round of each N):")
    gen.append("")
    gen += ["- %s" % x for x in media]
    gen.append("")
    gen.append(END)
    text = "\n".join(gen)
    intro = [
        "## SIP", "",
        "How many fax calls at once the SIP channel carries on this machine, and what",
        "each costs against SpanDSP alone. Two `faxgate-dialer` processes on loopback:",
        "A sends, B receives, in real time. Written by `bench/sip` (the exact command",
        "is the last line of the block; not in `make bench` yet). The part between the",
        "markers is rewritten by each run; the method and the notes after it are by hand.",
        "",
    ]
    benchmd.write_section(args.benchmarks, BEGIN, END, text, intro, "SIP")
    return 0


# ------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pair")
    p.add_argument("--dialer", required=True)
    p.add_argument("--a-conf", required=True)
    p.add_argument("--b-conf", required=True)
    p.add_argument("--a-db", required=True)
    p.add_argument("--b-db", required=True)
    p.add_argument("--a-spool", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--mode", required=True, choices=("t38", "g711"))
    p.add_argument("--deadline", type=float, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--wake", help="A's [general] dialer_socket: wake it while jobs are queued")
    p.add_argument("--pids")
    p = sub.add_parser("report")
    p.add_argument("--results", required=True)
    p.add_argument("--reproduce", required=True)
    p.add_argument("--benchmarks")
    args = ap.parse_args()
    return {"pair": cmd_pair, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
