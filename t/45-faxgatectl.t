#!/bin/bash
# faxgatectl against a store holding jobs in every state, made without a
# dialer: every command, human and --json, every error text and exit status,
# the list filters, and that each state change is what the store holds after.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/faxgate.sh"
[ -x "$FAXGATE_BUILD/faxgatectl" ] || skip_all "faxgatectl not built"

export TZ=UTC	# the TIME arguments and the human times are local time
fg_workdir
fg_conf "$W/faxgate.conf" retry.max_attempts=4
"$FAXGATE_BUILD/faxgate-milter" -t -c "$W/faxgate.conf" >/dev/null 2>&1 ||
    bail "faxgate-milter -t could not create the store"

NOW=$(date +%s)
H=3600 D=86400
T0=$(date -d '2024-03-10 12:00:00' +%s)	# a fixed day for --since/--until

# --- the store: two messages, one job in every state, calls, a notice ---
sql "
INSERT INTO messages (id, dedup_key, message_id, queue_id, sender, envid, ret, client_addr,
  auth_user, subject, received_at, size, raw) VALUES
 (1, 'mid:m1@example.test', 'm1@example.test', '4Xk2c1', 'alice@example.test', 'E1', 'HDRS',
  '127.0.0.1', NULL, 'Quarterly report', $((NOW - 3 * D)), 2048, 'raw'),
 (2, 'mid:m2@example.test', 'm2@example.test', '4Xk2c2', 'Bob@Example.test', NULL, NULL,
  '127.0.0.1', 'bob', 'Tab' || char(9) || '\"quoted\" \\ Grüße' || char(27) || '[31mred', $((NOW - H)), 4096, 'raw');
INSERT INTO documents (message, seq, kind, content_type, filename, pages, data) VALUES
 (1, 1, 'pdf', 'application/pdf', 'report.pdf', NULL, zeroblob(1234)),
 (1, 2, 'tiff', 'image/tiff', NULL, 3, zeroblob(20480)),
 (2, 1, 'text', 'text/plain', NULL, NULL, 'hello');
INSERT INTO jobs (id, message, dedup_key, recipient, number, subaddress, dial, domain, notify,
  state, created_at, updated_at, next_attempt_at, attempts, pages_total, pages_confirmed,
  lease_owner, lease_until, status, diagnostic, notice_due) VALUES
 (1, 1, 'mid:m1@example.test', 'FAX=+12025550100@fax.example.test', '+12025550100', '', '12025550100',
  'fax.example.test', NULL, 'queued', $((NOW - 3 * D)), $((NOW - 3 * D)), $((NOW - 3 * D)), 0, NULL, 0,
  NULL, NULL, NULL, NULL, NULL),
 (2, 1, 'mid:m1@example.test', 'FAX=+12025550101@fax.example.test', '+12025550101', '', '12025550101',
  'fax.example.test', NULL, 'rendering', $((NOW - 2 * D + 60)), $NOW, $NOW, 0, NULL, 0,
  'gw:100', $((NOW + 600)), NULL, NULL, NULL),
 (3, 1, 'mid:m1@example.test', 'FAX=+12025550102@fax.example.test', '+12025550102', '', '12025550102',
  'fax.example.test', NULL, 'ready', $((NOW - 2 * D + 60)), $NOW, $NOW, 0, 5, 0,
  NULL, NULL, NULL, NULL, NULL),
 (4, 2, 'mid:m2@example.test', 'FAX=+442079460000/T33S=12@fax.example.test', '+442079460000', '12',
  '011442079460000', 'fax.example.test', NULL, 'sending', $((NOW - H)), $((NOW - 600)), $((NOW - 600)),
  1, 1, 0, 'gw:99', $((NOW - 60)), NULL, NULL, NULL),
 (5, 2, 'mid:m2@example.test', 'FAX=+33142868200@fax.example.test', '+33142868200', '', '01133142868200',
  'fax.example.test', 'DELAY,FAILURE', 'retry_wait', $((NOW - H)), $((NOW - 1800)), $((NOW + 600)),
  1, 1, 0, NULL, NULL, '4.4.1', 'X-Faxgate; busy', 'delayed'),
 (6, 1, 'mid:m1@example.test', 'FAX=+12025550103@fax.example.test', '+12025550103', '', '12025550103',
  'fax.example.test', 'SUCCESS', 'done', $((NOW - 3 * D + 60)), $((NOW - 3 * D + 200)), $((NOW - 3 * D)),
  1, 4, 4, NULL, NULL, '2.0.0', 'X-T30; OK, 4 pages', NULL),
 (7, 2, 'mid:m2@example.test', 'FAX=+12025550104@fax.example.test', '+12025550104', '', '12025550104',
  'fax.example.test', NULL, 'failed', $((NOW - H)), $((NOW - 120)), $((NOW - 120)), 4, 1, 0,
  NULL, NULL, '4.4.1', 'X-Faxgate; no answer', 'failed'),
 (8, 1, 'mid:m1@example.test', 'FAX=+12025550105@fax.example.test', '+12025550105', '', '12025550105',
  'fax.example.test', NULL, 'held', $((NOW - 2 * H)), $((NOW - 2 * H)), $((NOW - 2 * H)), 0, NULL, 0,
  NULL, NULL, NULL, NULL, NULL),
 (9, 2, 'mid:m2@example.test', 'FAX=+12025550106@fax.example.test', '+12025550106', '', '12025550106',
  'fax.example.test', NULL, 'cancelled', $T0, $T0, $T0, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL),
 (10, 2, 'mid:m2@example.test', 'FAX=+12025550107@fax.example.test', '+12025550107', '', '12025550107',
  'fax.example.test', NULL, 'failed', $((NOW - H)), $((NOW - 300)), $((NOW - 300)), 1, 1, 0,
  NULL, NULL, '5.4.0', 'X-Faxgate; not a fax machine', NULL),
 (11, 2, 'mid:m2@example.test', 'FAX=+12025550108@fax.example.test', '+12025550108', '', '12025550108',
  'fax.example.test', NULL, 'sending', $((NOW - H)), $NOW, $NOW, 1, 1, 0,
  'gw:100', $((NOW + 600)), NULL, NULL, NULL);
INSERT INTO attempts (job, attempt, started_at, ended_at, channel, call_id, first_page, pages_sent,
  bytes, resolution, bit_rate, ecm, outcome, status, error_code, error_text, notice_at) VALUES
 (6, 1, $((NOW - 3 * D + 100)), $((NOW - 3 * D + 190)), 'sim/0', 'c6-1@sim', 1, 4, 51234, '204x196',
  14400, 1, 'ok', '2.0.0', 'OK', 'OK', $((NOW - 3 * D + 200))),
 (5, 1, $((NOW - 1900)), $((NOW - 1800)), 'sim/1', NULL, 1, 0, 0, NULL, NULL, NULL, 'retry', '4.4.1',
  'BUSY', 'the line is busy', NULL),
 (7, 1, $((NOW - 50 * H)), $((NOW - 50 * H + 40)), 'sim/0', NULL, 1, 0, 0, NULL, NULL, NULL, 'retry',
  '4.4.1', 'NO_ANSWER', 'no answer', NULL),
 (7, 2, $((NOW - 900)), $((NOW - 860)), 'sim/0', NULL, 1, 0, 0, NULL, NULL, NULL, 'retry', '4.4.1',
  'NO_ANSWER', 'no answer', NULL),
 (7, 3, $((NOW - 600)), $((NOW - 560)), 'sim/0', NULL, 1, 0, 0, NULL, NULL, NULL, 'retry', '4.4.1',
  'NO_ANSWER', 'no answer', NULL),
 (7, 4, $((NOW - 300)), $((NOW - 260)), 'sim/0', NULL, 1, 0, 0, NULL, NULL, NULL, 'final', '4.4.1',
  'NO_ANSWER', 'no answer', NULL),
 (10, 1, $((NOW - 400)), $((NOW - 300)), 'sim/2', NULL, 1, 0, 0, '204x196', 9600, 0, 'final', '5.4.0',
  'T30_ERR_RX_NOCARRIER', 'not a fax machine', NULL),
 (4, 1, $((NOW - 600)), NULL, 'sim/3', NULL, 1, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (11, 1, $((NOW - 30)), NULL, 'sim/0', NULL, 1, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO notices (message, kind, action, jobs, sent_at, message_id) VALUES
 (1, 'dsn', 'delivered', '6', $((NOW - 3 * D + 200)), 'dsn.1@gw.faxgate.test');
UPDATE jobs SET notice_sent_at = $((NOW - 3 * D + 200)) WHERE id = 6;
UPDATE jobs SET first_attempt_at = (SELECT min(started_at) FROM attempts a WHERE a.job = jobs.id),
  last_attempt_at = (SELECT max(started_at) FROM attempts a WHERE a.job = jobs.id);
" || bail "could not fill the store"

CTL="$FAXGATE_BUILD/faxgatectl"
# run ARGS... - faxgatectl with the test configuration; sets OUT, ERR, RC
run() {
	OUT=$("$CTL" -c "$W/faxgate.conf" "$@" 2>"$W/stderr")
	RC=$?
	ERR=$(cat "$W/stderr")
}
# mlike GOT REGEX NAME - like, but REGEX may span lines (bash ERE on the
# whole text: '.' matches a newline, ^ and $ are its start and end)
mlike() {
	if [[ $1 =~ $2 ]]; then ok 0 "$3"; else
		ok 1 "$3"; diag "got:  '$1'"; diag "want match: /$2/"; return 1
	fi
}
# line_of ID - the line of job ID in a human list
line_of() { awk -v id="$1" '$1 == id' <<<"$OUT"; }
ids() { awk 'NR > 1 { print $1 }' <<<"$OUT" | tr '\n' ' ' | sed 's/ $//'; }

# One Python answers every JSON question: it starts slowly on a busy host.
coproc PY {
	python3 -u -c '
import json, sys
for line in sys.stdin:
    path, expr = line.rstrip("\n").split("\t", 1)
    try:
        d = json.load(open(path, encoding="utf-8"))
        v = eval(expr)
        out = v if isinstance(v, str) else repr(v)
    except Exception as e:
        out = "ERROR %s: %s" % (type(e).__name__, e)
    print(out.replace("\n", "\\n"), flush=True)
'
}
on_exit "kill $PY_PID"
JSON_N=0
# py EXPR - EXPR over the JSON in $OUT (as d), printed (strings as they are)
py() {
	local r
	printf '%s\n' "$OUT" >"$W/cur.json"
	printf '%s\t%s\n' "$W/cur.json" "$1" >&"${PY[1]}"
	IFS= read -r r <&"${PY[0]}"
	printf '%s\n' "$r"
}
# valid_json - 0 when $OUT is one JSON value; kept for json.tool at the end
valid_json() {
	JSON_N=$((JSON_N + 1))
	printf '%s\n' "$OUT" >"$W/out.$JSON_N.json"
	[ "$(py '"valid"')" = valid ]
}

# --- list ---
run list
is "$RC" 0 "list: exit 0"
like "$(head -1 <<<"$OUT")" '^ID +STATE +NUMBER +SENDER +TRIES +PAGES +STATUS +NEXT +CREATED$' "list: header"
is "$(ids)" "11 10 7 5 4 8 3 2 6 1 9" "list: every job, newest first"
like "$(line_of 5)" '^ +5 +retry_wait +\+33142868200 +Bob@Example\.test +1 +0/1 +4\.4\.1 +in (9|10)m [0-9]+s +[-0-9]+ [:0-9]+$' \
    "list: a retry_wait line: attempts, pages, status, next attempt, created"
like "$(line_of 4)" '^ +4 +sending +\+442079460000/12 ' "list: the subaddress after the number"
like "$(line_of 1)" '^ +1 +queued +\+12025550100 +alice@example\.test +0 +0/\? +- +now +' "list: a queued job is due now, pages unknown"
like "$(line_of 6)" '^ +6 +done .* +1 +4/4 +2\.0\.0 +- +' "list: a done job: pages, status, no next attempt"
like "$(line_of 9)" '^ +9 +cancelled .* 2024-03-10 12:00:00$' "list: created, local time"
is "$(awk 'NR > 1 { print index($0, $3) }' <<<"$OUT" | sort -u | wc -l)" 1 "list: columns aligned"

run --json list
valid_json
ok $? "list --json: valid JSON"
is "$(py 'len(d)')" 11 "list --json: an array of 11 jobs"
is "$(py '[j["id"] for j in d if j["state"] == "retry_wait"][0]')" 5 "list --json: ids and states"
is "$(py '[(j["sender"], j["attempts"], j["pages_total"], j["status"]) for j in d if j["id"] == 5][0]')" \
    "('Bob@Example.test', 1, 1, '4.4.1')" "list --json: sender, attempts, pages, status"
is "$(py '[j["pages_total"] for j in d if j["id"] == 1][0]')" None "list --json: unknown page total is null"
run list --json --state held
is "$(py '[j["id"] for j in d]')" "[8]" "--json after the command works too"

run list --state held
is "$(ids)" 8 "--state held"
run list --state failed,cancelled
is "$(ids)" "10 7 9" "--state failed,cancelled"
run list --state failed --state held
is "$(ids)" "10 7 8" "--state given twice"
run list --sender bob@example.test
is "$(ids)" "11 10 7 5 4 9" "--sender: case-insensitive"
run list --sender '<alice@example.test>'
is "$(ids)" "8 3 2 6 1" "--sender <addr>"
run list --number '+1 202-555-0107'
is "$(ids)" 10 "--number: separators ignored"
run list --number +442079460000 --state sending
is "$(ids)" 4 "--number and --state together"
run list --since -2d
is "$(ids)" "11 10 7 5 4 8 3 2" "--since -2d"
run list --since -90m --until -30m
is "$(ids)" "11 10 7 5 4" "--since -90m --until -30m"
run list --since 2024-03-10 --until 2024-03-10
is "$(ids)" 9 "--since/--until a date: the whole of that day"
run list --since '2024-03-10 12:00'
like "$(ids)" ' 9$' "--since YYYY-MM-DD HH:MM includes that minute"
run list --until '2024-03-10 12:00:01'
is "$(ids)" 9 "--until YYYY-MM-DD HH:MM:SS"
run list --until '2024-03-10 12:00:00'
is "$OUT" "no jobs" "--until is exclusive; an empty list says so"
run list --limit 3
is "$(ids)" "11 10 7" "--limit 3: the newest three"
is "$ERR" "faxgatectl: showing the newest 3 jobs; --limit 0 shows all" "--limit: says the list was cut"
run --json list --limit 0
is "$(py 'len(d)')" 11 "--limit 0: all"

# --- show ---
run show 7
is "$RC" 0 "show: exit 0"
mlike "$OUT" '^job 7
  state +failed
  recipient +FAX=\+12025550104@fax\.example\.test' "show: the job first"
mlike "$OUT" '  attempts +4
.*  first attempt +[-0-9]+ [:0-9]+ \(2d 2h ago\)
  last attempt +[-0-9]+ [:0-9]+ \(5m [0-9]+s ago\)' "show: attempts, first and last"
like "$OUT" '  diagnostic +X-Faxgate; no answer' "show: diagnostic"
mlike "$OUT" 'message 2
  sender +Bob@Example\.test
  message-id +m2@example\.test
  subject +Tab\?"quoted" \\ Grüße\?\[31mred
  queue id +4Xk2c2' "show: the message; controls in the subject shown as ?"
unlike "$OUT" $'\e' "show: no escape character reaches the terminal"
like "$OUT" '  auth user +bob' "show: auth user"
mlike "$OUT" 'documents
  # +KIND +CONTENT-TYPE +FILENAME +PAGES +SIZE
  1 +text +text/plain +- +\? +5 B' "show: documents with kinds and sizes"
mlike "$OUT" 'attempt 4
  start +[-0-9]+ [:0-9]+ \(5m [0-9]+s ago\)
  end +[-0-9]+ [:0-9]+ \(took 40s\)
  pages sent +0 \(from page 1\)' "show: each attempt with its start, end, pages"
mlike "$OUT" '  outcome +final
  status +4\.4\.1
  error code +NO_ANSWER
  error text +no answer
  channel +sim/0' "show: outcome, status, error code and text, channel"
mlike "$OUT" 'notices
  none' "show: no notice yet"
run show 6
mlike "$OUT" 'documents
  # +KIND +CONTENT-TYPE +FILENAME +PAGES +SIZE
  1 +pdf +application/pdf +report\.pdf +\? +1\.2 KiB
  2 +tiff +image/tiff +- +3 +20\.0 KiB' "show: two documents"
mlike "$OUT" '  bytes +51234
  resolution +204x196
  bit rate +14400
  ecm +yes' "show: bytes, resolution, bit rate, ECM"
mlike "$OUT" '  call id +c6-1@sim
  notice +[-0-9]+ [:0-9]+ \(' "show: call id, notice time"
mlike "$OUT" 'notices
  SENT +KIND +ACTION +JOBS +MESSAGE-ID
  [-0-9]+ [:0-9]+ +dsn +delivered +6 +dsn\.1@gw\.faxgate\.test' "show: the notices of its message"
run show 4
like "$OUT" '  lease +gw:99 until .* \(expired\)' "show: an expired lease says so"
like "$OUT" '  end +- \(in progress' "show: an open call"

run --json show 7
valid_json
ok $? "show --json: valid JSON"
is "$(py 'd["message"]["subject"]')" "$(printf 'Tab\t"quoted" \\ Grüße\e[31mred')" "show --json: the subject escaped and back intact"
is "$(py 'd["job"]["id"], d["job"]["state"], d["message"]["sender"], d["message"]["message_id"], d["message"]["queue_id"]')" \
    "(7, 'failed', 'Bob@Example.test', 'm2@example.test', '4Xk2c2')" "show --json: job and message"
is "$(py '[(a["attempt"], a["outcome"], a["error_code"], a["ended_at"] - a["started_at"]) for a in d["attempts"]][-1]')" \
    "(4, 'final', 'NO_ANSWER', 40)" "show --json: attempts"
is "$(py '[(x["kind"], x["size"]) for x in d["documents"]]')" "[('text', 5)]" "show --json: documents"
run --json show 6
is "$(py '[(a["bit_rate"], a["ecm"], a["resolution"], a["call_id"], a["notice_at"] is not None) for a in d["attempts"]]')" \
    "[(14400, 1, '204x196', 'c6-1@sim', True)]" "show --json: bit rate, ECM, resolution, call id, notice time"
is "$(py '[(n["action"], n["jobs"], n["message_id"]) for n in d["notices"]]')" \
    "[('delivered', '6', 'dsn.1@gw.faxgate.test')]" "show --json: notices"

run show 999
is "$RC:$ERR" "1:faxgatectl: job 999: no such job" "show: unknown job -> exit 1, one line"
is "$OUT" "" "show: nothing on stdout for an unknown job"

# --- stats (before any change) ---
run stats
is "$RC" 0 "stats: exit 0"
mlike "$OUT" '^STATE +JOBS
queued +1
rendering +1
ready +1
sending +2
retry_wait +1
done +1
failed +2
held +1
cancelled +1
total +11
' "stats: jobs by state"
mlike "$OUT" 'attempts ok +0 +1
attempts retry +3 +4
attempts final +2 +2
attempts open +2 +2
pages sent +0 +4
notices sent +0 +1' "stats: attempts by outcome, pages, notices: 24 h and overall"
like "$OUT" 'oldest queued job: 3d 0h \(job 1, created ' "stats: the oldest queued job's age"
run --json stats
valid_json
ok $? "stats --json: valid JSON"
is "$(py 'd["jobs"]["failed"], d["jobs"]["total"], d["attempts"]["overall"]["retry"], d["attempts"]["last_24h"]["final"]')" \
    "(2, 11, 4, 2)" "stats --json: counts"
is "$(py 'd["pages_sent"]["overall"], d["notices_sent"]["overall"], d["oldest_queued"]["job"], d["oldest_queued"]["age"] >= 3 * 86400')" \
    "(4, 1, 1, True)" "stats --json: pages, notices, oldest queued"

# --- state changes ---
state() { sql "SELECT state FROM jobs WHERE id = $1"; }
run retry 5
is "$RC:$OUT" "0:job 5: retry_wait -> queued" "retry: retry_wait -> queued"
is "$(sql "SELECT state, next_attempt_at <= strftime('%s', 'now'), notice_due FROM jobs WHERE id = 5")" \
    "queued|1|delayed" "retry: queued and due now in the store, the delayed notice still owed"
run retry 7
is "$OUT" "job 7: failed -> queued (one more attempt)" "retry a failed job at max_attempts: one more attempt"
is "$(sql "SELECT state, ifnull(notice_due, '-') FROM jobs WHERE id = 7")" "queued|-" \
    "retry: the pending 'failed' notice is dropped (the job is not failed any more)"
run --json retry 10
valid_json
ok $? "retry --json: valid JSON"
is "$(py 'd["job"], d["from"], d["to"], d["more_attempts"]')" "(10, 'failed', 'queued', 3)" "retry --json: job/from/to"
run retry 1
is "$RC:$ERR" "1:faxgatectl: job 1: cannot retry a job in state queued (only failed, retry_wait, held, cancelled)" \
    "retry a queued job: refused"

run hold 6
is "$RC:$ERR" "1:faxgatectl: job 6: cannot hold a job in state done (only queued, retry_wait)" "hold a done job: refused"
is "$(state 6)" done "the refused job is unchanged"
run hold 1
is "$RC:$OUT" "0:job 1: queued -> held" "hold: queued -> held"
is "$(state 1)" held "hold: held in the store"
run --json release 1
is "$(py 'd["job"], d["from"], d["to"]')" "(1, 'held', 'queued')" "release --json"
is "$(sql "SELECT state, next_attempt_at >= $NOW FROM jobs WHERE id = 1")" "queued|1" "release: queued, due now"
run release 1
is "$RC:$ERR" "1:faxgatectl: job 1: cannot release a job in state queued (only held)" "release a queued job: refused"

run cancel 2
is "$RC:$ERR" "1:faxgatectl: job 2: cannot cancel a job in state rendering: a dialer is working on it (only queued, retry_wait, held)" \
    "cancel a rendering job with a live lease: refused"
run cancel 11
is "$RC" 1 "cancel a sending job with a live lease: refused"
is "$(sql "SELECT state, lease_owner FROM jobs WHERE id = 11")" "sending|gw:100" "and it keeps its dialer"
run cancel 4
is "$RC:$OUT" "0:job 4: sending -> cancelled (the sender gets a failure report)" \
    "cancel a sending job whose dialer died (lease ran out); NOTIFY absent: a report"
is "$(sql "SELECT notice_due, notice_next_at >= $NOW, status, diagnostic FROM jobs WHERE id = 4")" \
    "failed|1|5.0.0|X-Faxgate; cancelled by the fax operator" \
    "cancel: a failure report is owed now, 5.0.0, cancelled by the fax operator"
is "$(sql "SELECT j.state, ifnull(j.lease_owner, '-'), a.outcome, a.error_code, a.ended_at IS NOT NULL FROM jobs j JOIN attempts a ON a.job = j.id WHERE j.id = 4")" \
    "cancelled|-|retry|LEASE_EXPIRED|1" "cancel: the dead dialer's call is closed"
run cancel --quiet 8
is "$RC:$OUT" "0:job 8: held -> cancelled" "cancel --quiet: held -> cancelled"
is "$(sql "SELECT state, ifnull(notice_due, '-'), ifnull(status, '-') FROM jobs WHERE id = 8")" \
    "cancelled|-|-" "cancel --quiet: no report owed"
run --json cancel 5
is "$(py 'd')" "{'job': 5, 'from': 'queued', 'to': 'cancelled', 'report': True}" \
    "cancel --json: queued -> cancelled, with a report"
is "$(sql "SELECT state, ifnull(notice_due, '-') FROM jobs WHERE id = 5")" "cancelled|failed" \
    "cancel: the pending 'delayed' notice becomes the failure report (NOTIFY=DELAY,FAILURE)"
run retry 9
is "$OUT" "job 9: cancelled -> queued" "retry a cancelled job"
sql "UPDATE jobs SET notify = 'SUCCESS' WHERE id = 9"
run cancel 9
is "$RC:$OUT:$(sql "SELECT ifnull(notice_due, '-') FROM jobs WHERE id = 9")" "0:job 9: queued -> cancelled:-" \
    "cancel with NOTIFY=SUCCESS: the sender asked for no failure report"
run retry --quiet 9
is "$RC" 64 "--quiet is cancel's alone: retry --quiet is a usage error"
run retry 9
is "$OUT" "job 9: cancelled -> queued" "retry it again"
run cancel 6
is "$RC:$ERR" "1:faxgatectl: job 6: cannot cancel a job in state done (only queued, retry_wait, held)" "cancel a done job: refused"
run hold 12345
is "$RC:$ERR" "1:faxgatectl: job 12345: no such job" "hold: unknown job"

# A dialer claiming the job while faxgatectl waits for the lock: the check
# happens under the lock, so the operator sees the dialer's state.
sqlite3 "$W/store/faxgate.db" >/dev/null 2>&1 <<EOF &
.timeout 5000
BEGIN IMMEDIATE;
UPDATE jobs SET state = 'rendering', lease_owner = 'race', lease_until = $((NOW + 600)) WHERE id = 3;
.system touch $W/locked
.system sleep 1
COMMIT;
EOF
LOCKER=$!
wait_until 5 test -e "$W/locked" || bail "the locking sqlite3 did not start"
run hold 3
wait $LOCKER
is "$RC:$ERR" "1:faxgatectl: job 3: cannot hold a job in state rendering: a dialer is working on it (only queued, retry_wait)" \
    "hold waits for a dialer's transaction and sees its claim"
is "$(sql "SELECT state, lease_owner FROM jobs WHERE id = 3")" "rendering|race" "the dialer's claim stands"

run --json stats
is "$(py 'd["jobs"]["queued"], d["jobs"]["cancelled"], d["jobs"]["held"]')" "(4, 3, 0)" "stats after the changes"

# --- usage, configuration and store errors ---
run
is "$RC" 64 "no command: exit 64"
mlike "$ERR" '^faxgatectl: which command\?
usage: faxgatectl ' "no command: usage text on stderr"
run frobnicate
is "$RC" 64 "unknown command: exit 64"
like "$ERR" "^faxgatectl: unknown command 'frobnicate'" "unknown command: says which"
run show
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: show: which job?" "show without a job: 64"
run show 12abc
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: show: '12abc' is not a job id" "show with a bad id: 64"
run retry 1 2
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: retry: one job at a time ('2')" "two jobs: 64"
run list --state sent
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: --state: unknown state 'sent'" "unknown state: 64"
run list --since yesterday
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: --since: bad time 'yesterday'" "bad time: 64"
run list --since 2024-02-30
is "$RC" 64 "February 30: 64"
run list --number 12025550100
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: --number: '12025550100' is not a +E.164 number" "number without +: 64"
run list --limit -1
is "$RC" 64 "negative limit: 64"
run list --bogus
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: list: unknown option --bogus" "unknown option: 64"
run list --since
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: list: option --since needs an argument" "missing argument: 64"
run stats extra
is "$RC" 64 "stats with an argument: 64"
OUT=$("$CTL" --help); RC=$?
like "$RC:$OUT" '^0:usage: faxgatectl \[-c FILE\] \[--json\] COMMAND' "--help: usage on stdout, exit 0"

OUT=$("$CTL" -c "$W/missing.conf" stats 2>&1); RC=$?
is "$RC" 78 "missing configuration: exit 78"
like "$OUT" "^faxgatectl: $W/missing.conf" "missing configuration: names the file"
fg_conf "$W/nostore.conf" general.store="sqlite:$W/nowhere/faxgate.db"
OUT=$("$CTL" -c "$W/nostore.conf" list 2>&1); RC=$?
is "$RC:$OUT" "75:faxgatectl: store $W/nowhere/faxgate.db: No such file or directory" "missing store: exit 75"
fg_conf "$W/nostore.conf" general.store="sqlite:$W/store/typo.db"
OUT=$("$CTL" -c "$W/nostore.conf" list 2>&1); RC=$?
is "$RC" 75 "a mistyped store path: exit 75"
[ ! -e "$W/store/typo.db" ]
ok $? "and no empty store is created there"

# Every JSON output above, checked once more by json.tool as one array.
{ echo '['; for ((i = 1; i <= JSON_N; i++)); do [ $i -gt 1 ] && echo ','; cat "$W/out.$i.json"; done; echo ']'; } >"$W/all.json"
python3 -m json.tool "$W/all.json" >/dev/null
ok $? "python3 -m json.tool accepts all $JSON_N JSON outputs"

done_testing
