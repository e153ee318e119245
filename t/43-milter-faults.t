#!/bin/bash
# faxgate-milter behind a real, private Postfix when things break under it:
# the milter killed (kill -9) while a client is in the middle of its DATA
# and while the end-of-message commit waits, the store's file system full,
# the store locked by another writer for longer than the busy timeout.
# Each time the client gets a temporary failure (4xx), nothing half-written
# is left in the store, and once the fault clears the client's retry is
# accepted and stored exactly once (a further retry is a duplicate).
#
# Covered elsewhere, not repeated here: an unwritable store (451 4.3.0) and
# the milter down before a session (t/20-milter-postfix.t); the dialer
# killed mid-call (t/41-dialer-crash.t) and at random moments of 50 jobs
# (t/44-dialer-chaos.t); the MTA down while notices are due
# (t/40-dialer-sim.t, "the MTA's sendmail failing").
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Postfix and a tmpfs"
command -v sqlite3 >/dev/null || skip_all "no sqlite3"

fg_workdir
# The store lives on its own small file system, so it can be filled up.
mount -t tmpfs -o size=4m,mode=755 faxgate-t43 "$W/store" || skip_all "cannot mount a tmpfs"
on_exit "umount -l '$W/store'"
chown nobody:nogroup "$W/store"
MPORT=$(free_port)
SPORT=$(free_port)
FD=fax.example.test
# debug: the milter logs "commit=start" before it waits for the store.
fg_conf "$W/faxgate.conf" general.log_level=debug
milter_start "$W/faxgate.conf" "$MPORT"
postfix_start "$W/pf" "$SPORT" "inet:127.0.0.1:$MPORT"

# fax NUMBER MSGID [BODYFILE] - one fax mail through Postfix; prints the replies
fax() {
	smtp_send "$SPORT" <<SMTP
MAIL FROM:<alice@sender.test>
RCPT TO:<FAX=$1@$FD>
DATA
Subject: fault $2
Message-ID: <$2@t43>

$(if [ -n "${3:-}" ]; then cat "$3"; else echo "Please fax this ($2)."; fi)
.
SMTP
}
# data_reply OUTPUT - the reply to the end of DATA (the line after 354)
data_reply() { sed -n '/^354 /{n;p;q}' <<<"$1"; }
jobs_for() { sql "SELECT count(*) FROM jobs WHERE number = '$1'"; }
msgs_for() { sql "SELECT count(*) FROM messages WHERE message_id = '$1@t43'"; }
commits() { grep -c 'commit=start' "$W/milter.log"; }

# lock_store - another writer takes the store's write lock and keeps it
lock_store() {
	rm -f "$W/lock.fifo" "$W/lock.out"
	mkfifo "$W/lock.fifo"
	sqlite3 -batch "$W/store/faxgate.db" <"$W/lock.fifo" >"$W/lock.out" 2>&1 &
	LOCK_PID=$!
	on_exit "kill -9 $LOCK_PID"
	exec 7>"$W/lock.fifo"
	printf '.timeout 10000\nBEGIN IMMEDIATE;\n.print locked\n' >&7
	wait_until 15 grep -q '^locked' "$W/lock.out" && ! grep -q 'Error' "$W/lock.out"
}
unlock_store() {
	printf 'ROLLBACK;\n' >&7
	exec 7>&-
	wait "$LOCK_PID"
}

# A client that stops in the middle of its DATA: it sends the headers and
# half the body, prints "MIDBODY", waits (at most 60 s) until the file
# $3 exists, sends the rest, and prints every reply. Args: PORT NUMBER GATE.
cat >"$W/slowclient.py" <<'PY'
import os, socket, sys, time
port, number, gate = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=60)
f = s.makefile("rb")
def reply():
    while True:
        l = f.readline().decode().rstrip("\r\n")
        print(l, flush=True)
        if len(l) < 4 or l[3] != "-":
            return l
def cmd(c):
    s.sendall(c.encode() + b"\r\n")
    return reply()
reply()
cmd("EHLO slow.test")
cmd("MAIL FROM:<bob@sender.test>")
cmd("RCPT TO:<FAX=%s@fax.example.test>" % number)
cmd("DATA")
s.sendall(b"Subject: killed mid-body\r\nMessage-ID: <middata@t43>\r\n\r\nfirst half\r\n")
print("MIDBODY", flush=True)
deadline = time.monotonic() + 60
while not os.path.exists(gate) and time.monotonic() < deadline:
    time.sleep(0.05)
s.sendall(b"second half\r\n.\r\n")
reply()
cmd("QUIT")
PY

# --- kill -9 while the client is in the middle of DATA
"$PY" "$W/slowclient.py" "$SPORT" +12025550401 "$W/gate" >"$W/slow.out" 2>&1 &
SLOW=$!
wait_until 30 grep -q '^MIDBODY' "$W/slow.out"
ok $? "the client is in the middle of its message body"
like "$(cat "$W/slow.out")" '^354 ' "Postfix took DATA (the milter approved the recipient)"
milter_kill
touch "$W/gate"
wait_until 30 eval '! kill -0 $SLOW 2>/dev/null'
wait "$SLOW"
like "$(sed -n '/^MIDBODY/{n;p;q}' "$W/slow.out")" '^4[0-9][0-9] 4\.[0-9]+\.[0-9]+ ' \
    "milter killed mid-DATA: the end of DATA gets a temporary failure"
is "$(jobs_for +12025550401)" 0 "nothing stored"
milter_start "$W/faxgate.conf" "$MPORT"
# The client's retry (smtp_send, the same message).
retry_middata() {
	smtp_send "$SPORT" <<SMTP
MAIL FROM:<bob@sender.test>
RCPT TO:<FAX=+12025550401@$FD>
DATA
Subject: killed mid-body
Message-ID: <middata@t43>

first half
second half
.
SMTP
}
like "$(data_reply "$(retry_middata)")" '^250 2\.0\.0 ' "after a restart the client's retry is accepted"
retry_middata >/dev/null
is "$(jobs_for +12025550401)/$(msgs_for middata)" 1/1 "and stored once (a second retry is a duplicate)"

# --- kill -9 while the end-of-message commit waits for the store
lock_store
ok $? "another writer holds the store's write lock"
n=$(commits)
fax +12025550402 eom >"$W/eom.out" 2>&1 &
EOM=$!
wait_until 30 eval '[ "$(commits)" -gt "$n" ]'
ok $? "the milter is at end-of-message, waiting to commit (commit=start logged)"
milter_kill
wait_until 30 eval '! kill -0 $EOM 2>/dev/null'
wait "$EOM"
like "$(data_reply "$(cat "$W/eom.out")")" '^4[0-9][0-9] 4\.[0-9]+\.[0-9]+ ' \
    "milter killed during eom: the client gets a temporary failure"
unlock_store
is "$(jobs_for +12025550402)/$(msgs_for eom)" 0/0 "nothing stored"
milter_start "$W/faxgate.conf" "$MPORT"
like "$(data_reply "$(fax +12025550402 eom)")" '^250 2\.0\.0 ' "after a restart the retry is accepted"
fax +12025550402 eom >/dev/null
is "$(jobs_for +12025550402)/$(msgs_for eom)" 1/1 "and stored once"

# --- the store locked by another writer for longer than the busy timeout
lock_store
SECONDS=0
out=$(data_reply "$(fax +12025550403 locked)")
T=$SECONDS
like "$out" '^451 4\.3\.0 Fax gateway store unavailable' "store locked past the busy timeout -> 451 4.3.0"
ok "$([ "$T" -ge 4 ] && [ "$T" -le 20 ]; echo $?)" "after waiting for the lock (${T} s; the busy timeout is 5 s)"
grep -q 'tempfail=message, reply=451, reason=".*database is locked' "$W/milter.log"
ok $? "the milter logs why (database is locked)"
unlock_store
is "$(jobs_for +12025550403)" 0 "nothing stored"
like "$(data_reply "$(fax +12025550403 locked)")" '^250 2\.0\.0 ' "lock released: the retry is accepted"
fax +12025550403 locked >/dev/null
is "$(jobs_for +12025550403)/$(msgs_for locked)" 1/1 "and stored once"

# --- the store's file system full
# full_case NUMBER MSGID - fill the file system, mail, free it, retry
full_case() {
	local before out
	before=$(sql "SELECT count(*) FROM messages")
	dd if=/dev/zero of="$W/store/filler" bs=64k 2>/dev/null
	is "$(df --output=avail "$W/store" | tail -1 | tr -d ' ')" 0 "$3: the store's file system is full"
	out=$(data_reply "$(fax "$1" "$2" "$W/big.txt")")
	like "$out" '^452 4\.3\.1 Fax gateway store is full, try again later' "$3: 452 4.3.1, the store is full"
	grep -Eq "tempfail=message, reply=452, reason=\".*$4" "$W/milter.log"
	ok $? "$3: the milter logs why ($4)"
	rm -f "$W/store/filler"
	is "$(sql "PRAGMA integrity_check")" ok "$3: the store is intact"
	is "$(sql "SELECT count(*) FROM messages")/$(jobs_for "$1")" "$before/0" "$3: nothing half-written"
	like "$(data_reply "$(fax "$1" "$2" "$W/big.txt")")" '^250 2\.0\.0 ' "$3: space freed, the retry is accepted"
	fax "$1" "$2" "$W/big.txt" >/dev/null
	is "$(jobs_for "$1")/$(msgs_for "$2")" 1/1 "$3: and stored once"
	like "$(sql "SELECT d.kind || ' ' || length(d.data) FROM documents d JOIN messages m ON m.id = d.message WHERE m.message_id = '$2@t43'")" \
	    "^text $(stat -c %s "$W/big.txt")\$" "$3: with the whole body"
}
head -c 150000 /dev/urandom | base64 -w 76 >"$W/big.txt"
# The milter alone: its store connection cannot even map the WAL index.
full_case +12025550404 full1 "disk full" "no space left|full"
# Another process (a dialer, say) keeps the store open: the milter's
# connection opens, its write is what fails (SQLITE_FULL).
rm -f "$W/open.fifo"; mkfifo "$W/open.fifo"
sqlite3 -batch "$W/store/faxgate.db" <"$W/open.fifo" >"$W/open.out" 2>&1 &
OPEN_PID=$!
on_exit "kill -9 $OPEN_PID"
exec 8>"$W/open.fifo"
printf 'SELECT count(*) FROM jobs;\n' >&8
wait_until 10 grep -q '^[0-9]' "$W/open.out"
full_case +12025550405 full2 "disk full, store held open" "database or disk is full"
exec 8>&-
wait "$OPEN_PID"

kill -0 "$MILTER_PID"
ok $? "the milter is still running"
# SIGTERM: a clean exit (libmilter takes a few seconds), so a sanitizer
# report at exit (make check-asan) fails the test.
kill -TERM "$MILTER_PID"
wait_until 30 eval '! kill -0 $MILTER_PID 2>/dev/null'
wait "$MILTER_PID"
ok $? "the milter exits cleanly on SIGTERM"
! grep -Eq 'Sanitizer|runtime error' "$W/milter.log"
ok $? "no sanitizer report in the milter's log"
done_testing
