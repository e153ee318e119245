#!/bin/bash
# Several hosts, one PostgreSQL store: two milter hosts (each behind its
# own Postfix) and three dialers share a private PostgreSQL server. 200
# faxes, some sent to both milter hosts; one dialer is killed (kill -9)
# midway. Every job is faxed exactly once, nothing is lost, every sender
# gets one DSN, and no two calls to one number ever overlap (checked from
# the attempts' times; the paced sim line makes a call last a second or
# two, so an overlap would show).
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
. "$TOP/t/lib/pg.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Postfix and PostgreSQL"

N=${PG_HOSTS_MESSAGES:-200}	# messages
NUM=20				# destination numbers, so each gets N/NUM calls in turn
export MTA_USERS="alice"
fg_workdir
pg_start
pg_compat
export FAXGATE_TEST_STORE=pg FAXGATE_TEST_PG_DSN=$PG_DSN
FD=fax.example.test
MPA=$(free_port); SPA=$(free_port); MPB=$(free_port); SPB=$(free_port)
common=(sim.paced=yes sim.speed=20 "notices.sendmail_config=$W/pfa/conf" dialer.lease=10
	dialer.poll=5)

# Host A and host B: a Postfix and a milter each.
fg_conf "$W/ma.conf" "${common[@]}" "general.dialer_socket=$W/a.sock"
fg_conf "$W/mb.conf" "${common[@]}" "general.dialer_socket=$W/b.sock"
milter_start "$W/ma.conf" "$MPA"
postfix_start "$W/pfa" "$SPA" "inet:127.0.0.1:$MPA" || bail "Postfix A did not start"
milter_start "$W/mb.conf" "$MPB"
postfix_start "$W/pfb" "$SPB" "inet:127.0.0.1:$MPB" || bail "Postfix B did not start"

# Three dialers (A, B and a third host), each with its own wake socket
# and spool; only the store's notifications reach all of them.
declare -A DP
for d in 1 2 3; do
	fg_conf "$W/d$d.conf" "${common[@]}" "general.dialer_socket=$W/d$d.sock" \
	    "dialer.spool=$W/spool$d"
	mkdir -p "$W/spool$d" "$W/sim"
	"$FAXGATE_BUILD/faxgate-dialer" -f -c "$W/d$d.conf" >>"$W/d$d.log" 2>&1 &
	DP[$d]=$!
	on_exit "kill -9 ${DP[$d]}"
done
for d in 1 2 3; do
	wait_until 20 grep -q 'store notifications: status=listening' "$W/d$d.log" ||
	    { cat "$W/d$d.log" >&2; bail "dialer $d did not start listening"; }
done
ok 0 "three dialers listen for the store's notifications"

# A one-page TIFF attachment: imported as it is, so 200 renders do not
# each wait for Ghostscript on a busy machine.
fixtures
TIF=$(base64 "$W/fx/one.tif")
number() { printf '+1202555%04d' $((100 + $1 % NUM)); }
# fax PORT I - message I, a one-page TIFF fax to number(I)
fax() {
	smtp_send "$1" <<SMTP
MAIL FROM:<alice@sender.test>
RCPT TO:<FAX=$(number "$2")@$FD> NOTIFY=SUCCESS,FAILURE
DATA
Subject: scale $2
Message-ID: <scale-$2@faxgate.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: image/tiff; name="one.tif"
Content-Transfer-Encoding: base64

$TIF
--b--
.
SMTP
}
# lane L - send the messages I with I % LANES == L: odd ones to host A,
# even ones to B, and every seventh to the other host as well
LANES=8
lane() {
	local i
	for ((i = $1 + 1; i <= N; i += LANES)); do
		if ((i % 2)); then fax "$SPA" "$i"; else fax "$SPB" "$i"; fi | grep '^250 2\.0\.0'
		if ((i % 7 == 0)); then
			if ((i % 2)); then fax "$SPB" "$i"; else fax "$SPA" "$i"; fi | grep '^250 2\.0\.0'
		fi
	done >"$W/lane$1.out"
}
start=$SECONDS
lanes=()
for ((l = 0; l < LANES; l++)); do lane "$l" & lanes+=($!); done

# While mail still arrives, kill one dialer once a quarter of the jobs are
# done; the jobs it held come back when their leases run out.
wait_until 150 eval '[ "$(sql "SELECT count(*) FROM jobs WHERE state = '"'done'"'")" -ge $((N / 4)) ]'
ok $? "a quarter of the jobs done while mail arrives"
kill -9 "${DP[2]}"
wait "${DP[2]}" 2>/dev/null
held=$(sql "SELECT count(*) FROM jobs WHERE state IN ('rendering', 'sending') AND lease_owner LIKE '%:${DP[2]}:%'")
calling=$(sql "SELECT count(*) FROM jobs WHERE state = 'sending' AND lease_owner LIKE '%:${DP[2]}:%'")
diag "dialer 2 killed holding $held jobs, $calling of them in a call"

wait "${lanes[@]}"
dups=$((N / 7))
is "$(cat "$W"/lane*.out | grep -c '^250 ')" "$((N + dups))" \
    "$N messages and $dups second copies accepted by the two milter hosts"
diag "sent in $((SECONDS - start)) s"

is "$(sql "SELECT count(*) FROM messages")" "$N" "the store holds each message once"
is "$(sql "SELECT count(*) || ' ' || count(DISTINCT dedup_key) FROM jobs")" "$N $N" \
    "one job per message: the copies sent to both hosts were not queued twice"

wait_until 240 eval '[ "$(sql "SELECT count(*) FROM jobs WHERE state = '"'done'"'")" -ge $N ]'
ok $? "no job lost: all $N done after the kill"
diag "all done $((SECONDS - start)) s after the first message"

is "$(sql "SELECT count(*) FROM attempts WHERE outcome = 'ok'")" "$N" "$N successful calls in all"
is "$(sql "SELECT count(*) FROM (SELECT job FROM attempts WHERE outcome = 'ok' GROUP BY job
    HAVING count(*) = 1) AS x")" "$N" "exactly one per job"
missing=0
while IFS='|' read -r num job att; do
	[ "$(tiff_pages "$W/sim/${num#+}-$job-$att.tif" 2>/dev/null)" = 1 ] || missing=$((missing + 1))
done < <(sql "SELECT j.number, a.job, a.attempt FROM attempts a JOIN jobs j ON j.id = a.job
    WHERE a.outcome = 'ok'")
is "$missing" 0 "the far end received each fax's page (sim line output)"
if [ "$calling" -gt 0 ]; then
	like "$(sql "SELECT count(*) FROM attempts WHERE error_code = 'LEASE_EXPIRED'")" '^[1-9]' \
	    "the killed dialer's calls were closed as LEASE_EXPIRED and taken over"
fi
for d in 1 2 3; do
	calls[$d]=$(grep -c 'outcome=ok' "$W/d$d.log")
done
diag "calls completed by dialer 1, 2, 3: ${calls[1]} ${calls[2]} ${calls[3]}"
[ "${calls[1]}" -gt 0 ] && [ "${calls[2]}" -gt 0 ] && [ "${calls[3]}" -gt 0 ]
ok $? "every dialer made calls"

# One call at a time per number, across all dialers.
overlap="SELECT count(*) FROM attempts a JOIN jobs ja ON ja.id = a.job
    JOIN attempts b ON b.id > a.id JOIN jobs jb ON jb.id = b.job
    WHERE a.started_at < b.ended_at AND b.started_at < a.ended_at AND ja.number"
is "$(sql "$overlap = jb.number")" 0 "no two calls to one number overlap"
like "$(sql "$overlap <> jb.number")" '^[1-9]' "while calls to different numbers did (the check can see overlaps)"

# One DSN per message, through host A's Postfix.
B=$(postfix_mailbox "$W/pfa" alice@sender.test)
maildir_wait "$B" "$N" 120
postfix_wait_queue_empty "$W/pfa" 30
is "$(sql "SELECT count(*) || ' ' || count(DISTINCT message) FROM notices")" "$N $N" \
    "the store logged one DSN per message, sent by whichever dialer found it first"
# A DSN the killed dialer had handed to the MTA but not yet recorded is
# sent again by another host (at least once, never lost): at most one.
dsns=$(maildir_count "$B")
[ "$dsns" -ge "$N" ] && [ "$dsns" -le $((N + 1)) ]
ok $? "$N DSNs in the mailbox, one per message (+1 if the kill caught one in flight: $dsns)"
is "$(cat "$B"/new/* | grep -c '^Action: delivered')" "$dsns" "each says delivered"
for f in "$B"/new/*; do grep -o 'scale-[0-9]*@faxgate\.test' "$f" | sort -u; done >"$W/dsn-ids"
is "$(sort -u "$W/dsn-ids" | wc -l)" "$N" "the DSNs name all $N messages"
is "$(sort "$W/dsn-ids" | uniq -d | wc -l)" "$((dsns - N))" "none twice but for that one"

for d in 1 3; do
	kill -TERM "${DP[$d]}"
	wait_until 20 eval '! kill -0 ${DP[$d]} 2>/dev/null'
	wait "${DP[$d]}"
	is "$?" 0 "dialer $d stops cleanly"
done

done_testing
