#!/bin/bash
# /metrics scraped with curl during a run: a real Postfix, the milter and
# the dialer on the simulated line (one channel, paced, so a call that is
# not answered holds it while we look). The milter's counters equal the
# replies the SMTP clients got and the rows the store holds; the dialer's
# figures equal what faxgatectl stats and the store show. A metrics address
# that is not loopback stops either program with a configuration error.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Postfix"
command -v curl >/dev/null || skip_all "needs curl"

export MTA_USERS="alice bob carol dave"
fg_workdir
fixtures
MPORT=$(free_port)
SPORT=$(free_port)
XM=$(free_port)
XD=$(free_port)
FD=fax.example.test
CTL="$FAXGATE_BUILD/faxgatectl"

# --- refused before anything starts: the endpoint is loopback only
fg_conf "$W/bad.conf" milter.metrics=0.0.0.0:9464
out=$("$FAXGATE_BUILD/faxgate-milter" -t -c "$W/bad.conf" 2>&1); rc=$?
is "$rc" 78 "milter: metrics on 0.0.0.0 is a configuration error (exit 78)"
like "$out" "bad\\.conf: \\[milter\\] metrics '0\\.0\\.0\\.0:9464': not a loopback address" \
    "the error names the file, section, key and value"
fg_conf "$W/bad.conf" dialer.metrics=192.0.2.1:9465
out=$("$FAXGATE_BUILD/faxgate-dialer" -f -c "$W/bad.conf" 2>&1); rc=$?
is "$rc" 78 "dialer: metrics on 192.0.2.1 is a configuration error (exit 78)"
like "$out" "\\[dialer\\] metrics '192\\.0\\.2\\.1:9465': not a loopback address" "and says why"
fg_conf "$W/bad.conf" dialer.metrics=localhost:9465
out=$("$FAXGATE_BUILD/faxgate-dialer" -f -c "$W/bad.conf" 2>&1)
like "$out" "\\[dialer\\] metrics 'localhost:9465' must be IPV4:PORT or \\[IPV6\\]:PORT" \
    "a host name is refused too (numeric loopback addresses only)"

# --- the run
fg_conf "$W/faxgate.conf" "milter.metrics=127.0.0.1:$XM" "dialer.metrics=127.0.0.1:$XD" \
    milter.max_message_size=100k dialer.channels=1 sim.paced=yes sim.speed=50 sim.ring_timeout=12 \
    "sim.behaviour=+12025550199=noanswer:1 +12025550130=notfax +12025550110=busy:1" \
    notices.sendmail=/usr/sbin/sendmail "notices.sendmail_config=$W/pf/conf"
milter_start "$W/faxgate.conf" "$MPORT"
postfix_start "$W/pf" "$SPORT" "inet:127.0.0.1:$MPORT"
dialer_start "$W/faxgate.conf"

scrape() { curl -sS --max-time 5 "http://127.0.0.1:$1/metrics"; }
# val TEXT SERIES - the value of one series ("name{labels}"), "" if absent
val() { awk -v k="$2" '$1 == k { print $2 }' <<<"$1"; }
send() {
	local from=$1; shift
	swaks --server "127.0.0.1:$SPORT" --from "$from" --helo client.test "$@" 2>&1 |
	    sed -n 's/^ *<[-~*]* *//p'
}

m=$(scrape "$XM")
is "$(val "$m" 'faxgate_messages_total{result="accepted"}')" 0 "milter: no message yet"
like "$m" '# TYPE faxgate_messages_total counter' "with its TYPE line"
like "$m" '# HELP faxgate_recipients_total ' "and HELP lines"
hdr=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code} %{content_type}' "http://127.0.0.1:$XD/metrics")
is "$hdr" "200 text/plain; version=0.0.4; charset=utf-8" "dialer: 200, the Prometheus text format"
is "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$XD/")" 404 "another path: 404"

# --- during a call: the one channel rings unanswered, the next job waits
out=$(send alice@sender.test --to "FAX=+12025550199@$FD" --h-Message-Id '<ring@t>' --body 'ring')
like "$out" '^250 ' "fax to a number that does not answer at first: accepted"
JR=$(job_of +12025550199)
wait_state "$JR" sending 10
out=$(send bob@sender.test --to "FAX=+12025550100@$FD" --h-Message-Id '<wait@t>' --body 'wait')
like "$out" '^250 ' "a second fax: accepted"
JW=$(job_of +12025550100)
d=$(scrape "$XD")
now=$(date +%s)
is "$(job_field "$JR" state):$(job_field "$JW" state)" "sending:queued" \
    "the store: the first job is calling, the second waits (the snapshot below is of this)"
is "$(val "$d" faxgate_channels)" 1 "faxgate_channels 1 ([dialer] channels)"
is "$(val "$d" faxgate_channels_busy)" 1 "faxgate_channels_busy 1 while the call rings"
is "$(val "$d" 'faxgate_jobs{state="sending"}')" 1 "jobs sending: 1"
is "$(val "$d" 'faxgate_jobs{state="queued"}')" 1 "jobs queued: 1"
is "$(val "$d" faxgate_attempts_open)" 1 "one attempt open"
age=$(val "$d" faxgate_queue_oldest_age_seconds)
want=$((now - $(job_field "$JW" created_at)))
[ -n "$age" ] && [ "$age" -ge $((want - 2)) ] && [ "$age" -le "$want" ]
ok $? "queue age ${age} s: the waiting job's age from the store (${want} s)"

# --- the rest: a PDF, a fax machine that never answers with tones, a busy
# line, a duplicate, and four the milter refuses
out=$(send carol@sender.test --to "FAX=+12025550101@$FD" --h-Message-Id '<pdf@t>' --body 'pdf' \
    --attach-type application/pdf --attach "$W/fx/two.pdf")
like "$out" '^250 ' "a 2-page PDF: accepted"
out=$(send dave@sender.test --to "FAX=+12025550130@$FD" --h-Message-Id '<notfax@t>' --body 'notfax')
like "$out" '^250 ' "fax to a number that is no fax machine: accepted"
out=$(send dave@sender.test --to "FAX=+12025550110@$FD" --h-Message-Id '<busy@t>' --body 'busy')
like "$out" '^250 ' "fax to a busy line: accepted"
out=$(send bob@sender.test --to "FAX=+12025550100@$FD" --h-Message-Id '<wait@t>' --body 'wait')
like "$out" '^250 ' "the second fax again (a client's retry): accepted, a duplicate"
out=$(send alice@sender.test --to "FAX=12025550100@$FD" --body 'x')
like "$out" '^553 5\.1\.3 ' "no + in the number: 553"
out=$(send alice@sender.test --to "FAX=+19005550100@$FD" --body 'x')
like "$out" '^550 5\.7\.1 .*dial plan' "a denied destination: 550"
out=$(send alice@sender.test --to "FAX=+12025550102@$FD" --body ' ' --attach-type image/png --attach "$W/fx/page.png")
like "$out" '^554 5\.6\.1 ' "nothing to fax: 554 5.6.1"
head -c 150000 /dev/urandom | base64 >"$W/fx/big.txt"
out=$(send alice@sender.test --to "FAX=+12025550103@$FD" --body "$W/fx/big.txt")
like "$out" '^552 5\.3\.4 ' "too big: 552"

# Every job ends, every notice is handed over.
settled() {
	[ "$(sql "SELECT count(*) FROM jobs WHERE state NOT IN ('done', 'failed')
	    OR notice_due IS NOT NULL OR mdn_due != 0")" = 0 ]
}
wait_until 90 settled
ok $? "every job done or failed, every notice sent"
is "$(sql "SELECT group_concat(state, ' ') FROM (SELECT state FROM jobs ORDER BY id) AS s")" \
    "done done done failed done" "the jobs: ring, wait, pdf, notfax, busy"

# --- the milter's counters against the replies and the store
m=$(scrape "$XM")
is "$(val "$m" 'faxgate_messages_total{result="accepted"}')" "$(sql 'SELECT count(*) FROM messages')" \
    "messages accepted: as many as the store holds (5)"
is "$(val "$m" 'faxgate_messages_total{result="duplicate"}')" 1 "one duplicate"
is "$(val "$m" 'faxgate_messages_total{result="rejected",reason="no_fax_content"}')" 1 "one without content to fax"
is "$(val "$m" 'faxgate_messages_total{result="rejected",reason="size"}')" 1 "one too big"
is "$(val "$m" 'faxgate_messages_total{result="rejected",reason="content"}')" 0 "none refused for its content"
# Accepted recipients: the jobs, the duplicate's, the two whose messages were refused later.
is "$(val "$m" 'faxgate_recipients_total{result="accepted"}')" $(( $(sql 'SELECT count(*) FROM jobs') + 3 )) \
    "recipients accepted: the 5 jobs + the duplicate + the 2 refused at end of message"
is "$(val "$m" 'faxgate_recipients_total{result="rejected",reason="bad_address"}')" 1 "one bad address"
is "$(val "$m" 'faxgate_recipients_total{result="rejected",reason="dialplan"}')" 1 "one denied by the dial plan"
is "$(val "$m" 'faxgate_recipients_total{result="tempfail",reason="rate_limit"}')" 0 "no rate limit hit"

# --- the dialer's figures against faxgatectl stats and the store
# Two received faxes, as the SIP channel would store them (the sim line
# receives none); the onramp is not running, so they stay new.
sql "INSERT INTO inbound (received_at, did, pages, outcome) VALUES ($(date +%s), '+12025550000', 3, 'ok'),
     ($(date +%s), '+12025550000', 2, 'partial')"
d=$(scrape "$XD")
# faxgatectl stats --json, flattened once: "jobs.queued=1" lines.
flat=$("$CTL" -c "$W/faxgate.conf" --json stats | python3 -c '
import json, sys
def walk(path, o):
    if isinstance(o, dict):
        for k, v in o.items():
            walk(path + [k], v)
    else:
        print(".".join(path) + "=" + str(o))
walk([], json.load(sys.stdin))')
ctl() { sed -n "s/^$1=//p" <<<"$flat"; }
for s in queued rendering ready sending retry_wait done failed held cancelled; do
	is "$(val "$d" "faxgate_jobs{state=\"$s\"}")" "$(ctl "jobs.$s")" "jobs $s: as faxgatectl stats says"
done
for o in ok retry final; do
	is "$(val "$d" "faxgate_attempts_total{outcome=\"$o\"}")" "$(ctl "attempts.overall.$o")" \
	    "attempts $o: as faxgatectl stats says"
done
is "$(val "$d" faxgate_attempts_open)" "$(ctl attempts.overall.open)" "attempts open: as faxgatectl stats says"
is "$(val "$d" 'faxgate_attempts_total{outcome="retry"}')" 2 "two retries (no answer, busy)"
is "$(val "$d" 'faxgate_pages_total{direction="sent"}')" "$(ctl pages_sent.overall)" \
    "pages sent: as faxgatectl stats says"
is "$(val "$d" 'faxgate_pages_total{direction="sent"}')" "$(sql 'SELECT sum(pages_sent) FROM attempts')" \
    "and as the attempts add up (5)"
is "$(val "$d" faxgate_notices_sent_total)" "$(ctl notices_sent.overall)" "notices sent: as faxgatectl stats says"
is "$(val "$d" faxgate_notices_sent_total)" "$(sql 'SELECT count(*) FROM notices')" "and as the notices table holds"
is "$(val "$d" 'faxgate_notices_pending{kind="dsn"}')" 0 "no notice pending"
is "$(val "$d" 'faxgate_pages_total{direction="received"}')" "$(sql 'SELECT sum(pages) FROM inbound')" \
    "pages received: as the inbound table adds up (5)"
is "$(val "$d" 'faxgate_inbound_faxes{state="new"}')" 2 "two received faxes waiting for the mailer"
is "$(val "$d" faxgate_queue_oldest_age_seconds)" 0 "nothing queued: age 0"
is "$(val "$d" faxgate_channels_busy)" 0 "the channel is free"

# A notice that cannot be handed over is pending, and shows.
# (Due in an hour, so the dialer does not send it meanwhile.)
sql "UPDATE jobs SET notice_due = 'failed', notice_tries = 1, notice_next_at = $(date +%s) + 3600
     WHERE id = $JW"
d=$(scrape "$XD")
is "$(val "$d" 'faxgate_notices_pending{kind="dsn"}'):$(val "$d" 'faxgate_notices_pending{kind="dsn_failing"}')" \
    "$(sql 'SELECT count(*) FROM jobs WHERE notice_due IS NOT NULL'):1" "a pending, failing notice shows"
sql "UPDATE jobs SET notice_due = NULL, notice_tries = 0 WHERE id = $JW"

dialer_stop
is "$?" 0 "the dialer stops cleanly with its metrics server"
! curl -s --max-time 2 "http://127.0.0.1:$XD/metrics" >/dev/null
ok $? "and its endpoint is gone"
done_testing
