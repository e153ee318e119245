#!/usr/bin/python3
"""scale-insert.py - puts the jobs of bench/scale into a store (standard library only).

  scale-insert.py --spec sqlite:PATH|postgresql:DSN --count N --doc FILE.tif
                  [--wake SOCKET]...

Puts N fax jobs straight into the store in one transaction, with the rows
the milter's store_submit() writes (one message, one one-page TIFF
document and one queued job each, every job to its own number so the
one-call-per-number rule does not limit the dialers). The store must
exist (the dialers create it when they start). Then wakes the dialers:
the PostgreSQL transaction NOTIFYs the store's channel as the milter's
does; for SQLite one datagram goes to each --wake socket. Prints nothing;
exit status 0 once the rows are committed.
"""
import argparse
import os
import socket
import sqlite3
import subprocess
import time


def rows(count, data):
    now = int(time.time())
    for i in range(count):
        mid = "scale.%d@sender.test" % i
        number = "+1202558%04d" % i
        raw = ("From: <alice@sender.test>\r\nTo: <FAX=%s@fax.example.test>\r\n"
               "Subject: scale %d\r\nMessage-ID: <%s>\r\n\r\n(attachment)\r\n"
               % (number, i, mid)).encode()
        yield i, mid, number, raw, now


def insert_sqlite(path, count, data):
    db = sqlite3.connect(path, timeout=30)
    with db:
        for i, mid, number, raw, now in rows(count, data):
            msg = db.execute(
                "INSERT INTO messages (dedup_key, message_id, queue_id, sender, client_addr,"
                " subject, received_at, size, raw) VALUES (?, ?, ?, 'alice@sender.test',"
                " '127.0.0.1', ?, ?, ?, ?)",
                ("mid:" + mid, mid, "S%06d" % i, "scale %d" % i, now, len(raw), raw)).lastrowid
            db.execute("INSERT INTO documents (message, seq, kind, content_type, filename, pages,"
                       " data) VALUES (?, 1, 'tiff', 'image/tiff', 'one.tif', 1, ?)", (msg, data))
            db.execute(
                "INSERT INTO jobs (message, dedup_key, recipient, number, dial, domain,"
                " created_at, updated_at, next_attempt_at)"
                " VALUES (?, ?, ?, ?, ?, 'fax.example.test', ?, ?, ?)",
                (msg, "mid:" + mid, "FAX=%s@fax.example.test" % number, number, number[1:],
                 now, now, now))
    db.close()


def insert_pg(dsn, count, data):
    sql = ["BEGIN;"]
    doc = "'\\x%s'::bytea" % data.hex()
    for i, mid, number, raw, now in rows(count, data):
        sql.append(
            "WITH m AS (INSERT INTO messages (dedup_key, message_id, queue_id, sender,"
            " client_addr, subject, received_at, size, raw) VALUES ('mid:%s', '%s', 'S%06d',"
            " 'alice@sender.test', '127.0.0.1', 'scale %d', %d, %d, '\\x%s'::bytea) RETURNING id),"
            " d AS (INSERT INTO documents (message, seq, kind, content_type, filename, pages, data)"
            " SELECT id, 1, 'tiff', 'image/tiff', 'one.tif', 1, %s FROM m)"
            " INSERT INTO jobs (message, dedup_key, recipient, number, dial, domain, created_at,"
            " updated_at, next_attempt_at) SELECT id, 'mid:%s', 'FAX=%s@fax.example.test', '%s',"
            " '%s', 'fax.example.test', %d, %d, %d FROM m;"
            % (mid, mid, i, i, now, len(raw), raw.hex(), doc, mid, number, number, number[1:],
               now, now, now))
    sql.append("NOTIFY faxgate_jobs; COMMIT;")
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", dsn],
                   input="\n".join(sql).encode(), check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--doc", required=True)
    ap.add_argument("--wake", action="append", default=[])
    a = ap.parse_args()
    data = open(a.doc, "rb").read()
    if a.spec.startswith("postgresql:"):
        insert_pg(a.spec[len("postgresql:"):], a.count, data)
    elif a.spec.startswith("sqlite:"):
        insert_sqlite(a.spec[len("sqlite:"):], a.count, data)
    else:
        raise SystemExit("scale-insert.py: --spec sqlite:PATH or postgresql:DSN")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    for path in a.wake:
        try:
            s.sendto(b"1", path)
        except OSError:
            pass  # the dialer polls too
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
