#!/bin/bash
# faxgate-dialer killed (kill -9) at pseudo-random moments while it works
# through 50 jobs (1-4 page PDFs to a handful of numbers) on the paced
# simulated line, restarted each time: every job ends done or failed,
# every page of a done job reached the far end (pixel for pixel), and the
# sender gets exactly one final DSN per job. Before that, a hostile PDF
# (form XObjects nested ten deep, ten calls each: 10^10 strokes) runs into
# the [dialer] render_time_limit: the job fails with the reason in its
# DSN and the same dialer goes on to fax the next job; and the dialer is
# killed while sendmail(8) is about to read a large (RET=FULL) notice:
# sendmail still gets all of it.
#
# Notices are handed to the MTA at least once: a dialer killed after
# sendmail took a notice but before the store recorded it sends it again,
# with the same Message-ID. "One DSN per job" counts distinct Message-IDs
# and prints how many repeated copies there were.
#
# The moments are drawn from CHAOS_SEED (default below, printed), so a
# failing run can be repeated: CHAOS_SEED=1234 prove -v t/44-dialer-chaos.t.
# CHAOS_JOBS and CHAOS_KILLS change the counts (bounded: at most 200, 30).
#
# Covered elsewhere: one kill -9 and one SIGTERM in the middle of a call,
# resumed at the failed page (t/41-dialer-crash.t); Ghostscript's time and
# memory limits on faxgate-render itself (t/30-render.t); broken and
# encrypted PDFs and the MTA down while notices are due (t/40-dialer-sim.t).
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Postfix"

SEED=${CHAOS_SEED:-20261123}
NJOBS=${CHAOS_JOBS:-50}
NKILLS=${CHAOS_KILLS:-8}
[ "$NJOBS" -ge 1 ] && [ "$NJOBS" -le 200 ] && [ "$NKILLS" -ge 0 ] && [ "$NKILLS" -le 30 ] ||
    bail "CHAOS_JOBS 1-200, CHAOS_KILLS 0-30"
diag "CHAOS_SEED=$SEED CHAOS_JOBS=$NJOBS CHAOS_KILLS=$NKILLS"
RANDOM=$SEED

export MTA_USERS="alice bob carol"
fg_workdir
MPORT=$(free_port)
SPORT=$(free_port)
FD=fax.example.test
# Paced at 50 times real time (the most [sim] allows): a page takes under half a second, so a kill
# lands in calls, not only between them. The shortest lease allowed (10 s)
# brings a dead dialer's jobs back soonest; enough attempts that kills
# alone never exhaust a job.
# sendmail(8) as the dialer runs it: while $W/hold exists it says it has
# started ($W/held) and waits (30 s at most) before it reads the notice.
cat >"$W/sendmail" <<SH
#!/bin/sh
if [ -e "$W/hold" ]; then
	touch "$W/held"
	i=0
	while [ -e "$W/hold" ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i + 1)); done
fi
exec /usr/sbin/sendmail "\$@"
SH
chmod 755 "$W/sendmail"
fg_conf "$W/faxgate.conf" sim.paced=yes sim.speed=50 dialer.channels=8 dialer.lease=10 \
    retry.max_attempts=20 dialer.render_time_limit=15 "sim.behaviour=+12025550997=notfax" \
    "notices.sendmail=$W/sendmail" "notices.sendmail_config=$W/pf/conf"
milter_start "$W/faxgate.conf" "$MPORT"
postfix_start "$W/pf" "$SPORT" "inet:127.0.0.1:$MPORT"
for n in 1 2 3 4; do
	gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -o "$W/p$n.pdf" \
	    -c "/Helvetica findfont 48 scalefont setfont 1 1 $n { 100 600 moveto 20 string cvs show 50 50 moveto ($n pages) show showpage } for" >/dev/null
done

# fax FROM NUMBER MSGID PDF - a PDF with NOTIFY=SUCCESS,FAILURE; the replies
fax() {
	smtp_send "$SPORT" <<SMTP
MAIL FROM:<$1@sender.test>
RCPT TO:<FAX=$2@$FD> NOTIFY=SUCCESS,FAILURE
DATA
Subject: chaos $3
Message-ID: <$3@t44>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: application/pdf; name="doc.pdf"
Content-Transfer-Encoding: base64

$(base64 "$4")
--b--
.
SMTP
}
render_of() { echo "$W/spool/render-$(job_field "$1" message).tif"; }
# descendants PID - every process below PID, one "pid comm" a line
descendants() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$c $(cat /proc/"$c"/comm 2>/dev/null)"
		descendants "$c"
	done
}

# --- a hostile PDF: rendering runs into the time limit
"$PY" - "$W/bomb.pdf" <<'PY'
import sys
objs = ["<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /F 5 0 R >> >> /Contents 4 0 R >>"]
def stream(d, s):
    return "<< %s /Length %d >>\nstream\n%s\nendstream" % (d, len(s), s)
objs.append(stream("", "/F Do"))
depth = 10
for i in range(depth):	# objects 5 .. 5+depth-1: each form draws the next ten times
    n = 5 + i
    if i < depth - 1:
        objs.append(stream("/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /XObject << /F %d 0 R >> >>" % (n + 1),
                           " ".join(["/F Do"] * 10)))
    else:
        objs.append(stream("/Type /XObject /Subtype /Form /BBox [0 0 595 842]", "10 10 m 500 800 l S"))
out = "%PDF-1.4\n"
offs = []
for i, o in enumerate(objs):
    offs.append(len(out))
    out += "%d 0 obj\n%s\nendobj\n" % (i + 1, o)
x = len(out)
out += "xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
out += "".join("%010d 00000 n \n" % o for o in offs)
out += "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
open(sys.argv[1], "w").write(out)
PY
dialer_start "$W/faxgate.conf"
FIRST_DIALER=$DIALER_PID
SECONDS=0
like "$(fax bob +12025550999 bomb "$W/bomb.pdf")" '^250 2\.0\.0' "a PDF of nested forms is accepted"
J=$(job_of +12025550999)
wait_state "$J" failed 60
is "$(job_field "$J" state)" failed "the job failed"
T=$SECONDS
ok "$([ "$T" -le 40 ]; echo $?)" "within the render time limit (15 s) (${T} s)"
like "$(job_field "$J" status)" '^5\.6\.[0-9]$' "status 5.6.x (media error)"
B=$(postfix_mailbox "$W/pf" bob@sender.test)
maildir_wait "$B" 1 30
dsn=$(cat "$B"/new/* 2>/dev/null)
like "$dsn" 'Action: failed' "bob gets a failed DSN"
like "$dsn" 'Status: 5\.6\.[0-9]' "with Status 5.6.x"
like "$dsn" 'longer than 15 s' "saying rendering took longer than 15 s"
kill -0 "$DIALER_PID"
ok $? "the dialer is unharmed"
is "$(descendants "$DIALER_PID" | grep -c -E ' (gs|faxgate-render)$')" 0 "no Ghostscript left behind"
like "$(fax bob +12025550998 next "$W/p1.pdf")" '^250 2\.0\.0' "the next fax is accepted"
J=$(job_of +12025550998)
wait_state "$J" done 60
is "$(job_field "$J" state)" done "and the same dialer sends it"
is "$DIALER_PID" "$FIRST_DIALER" "(the same process)"
maildir_wait "$B" 2 30

# --- the dialer killed while sendmail has a large notice (RET=FULL) to
# read: sendmail still gets all of it (the dialer hands it over in a file,
# not a pipe that would end early), and the next dialer's copy of the
# notice is the same message (same Message-ID)
"$PY" - "$W/large.pdf" <<'PY'
import os, sys
page = b"BT /F1 36 Tf 72 700 Td (large) Tj ET"
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(page) + page + b"\nendstream"]
junk = os.urandom(400000)	# an object nobody refers to: bulk, not pages
objs.append(b"<< /Length %d >>\nstream\n" % len(junk) + junk + b"\nendstream")
out, offs = b"%PDF-1.4\n", []
for i, o in enumerate(objs):
    offs.append(len(out))
    out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
x = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
out += b"".join(b"%010d 00000 n \n" % o for o in offs)
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
open(sys.argv[1], "wb").write(out)
PY
touch "$W/hold"
out=$(smtp_send "$SPORT" <<SMTP
MAIL FROM:<carol@sender.test> RET=FULL
RCPT TO:<FAX=+12025550997@$FD>
DATA
Subject: large notice
Message-ID: <large@t44>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: application/pdf; name="large.pdf"
Content-Transfer-Encoding: base64

$(base64 "$W/large.pdf")
--b--
.
SMTP
)
like "$out" '^250 2\.0\.0' "a fax with a $(($(stat -c %s "$W/large.pdf") / 1000)) kB PDF to a number that is not a fax machine, RET=FULL"
wait_until 60 test -e "$W/held"
ok $? "its failed DSN goes to sendmail (held before reading)"
dialer_kill9
rm -f "$W/hold"
dialer_start "$W/faxgate.conf"
C=$(postfix_mailbox "$W/pf" carol@sender.test)
maildir_wait "$C" 2 60
postfix_wait_queue_empty "$W/pf" 30
is "$(maildir_count "$C")" 2 "two copies: the killed dialer's (sendmail went on) and the next dialer's"
# complete COPY... - 0 when each DSN returns the original PDF byte for byte
"$PY" - "$W/large.pdf" "$C"/new/* >"$W/large.check" 2>&1 <<'PY'
import email, sys
pdf = open(sys.argv[1], "rb").read()
ids = set()
for f in sys.argv[2:]:
    m = email.message_from_binary_file(open(f, "rb"))
    ids.add(m["Message-ID"])
    got = None
    for part in m.walk():
        if part.get_content_type() == "application/pdf":
            got = part.get_payload(decode=True)
    print("%s: %s" % (f.rsplit("/", 1)[-1], "complete" if got == pdf else "TRUNCATED or missing"))
print("message-ids: %d" % len(ids))
PY
is "$(grep -c ': complete$' "$W/large.check")" 2 "both carry the whole original (RET=FULL), not a truncated one"
grep -q '^message-ids: 1$' "$W/large.check"
ok $? "and both have the same Message-ID: one notice, sent twice"

# --- 50 jobs, the dialer killed at random moments
NUMS=(+12025550600 +12025550601 +12025550602 +12025550603 +12025550604
    +12025550605 +12025550606 +12025550607 +12025550608 +12025550609)
declare -a JPAGES JNUM
declare -A FARPAGE
total=0
for ((k = 1; k <= NJOBS; k++)); do
	JPAGES[k]=$((RANDOM % 4 + 1))
	JNUM[k]=${NUMS[RANDOM % ${#NUMS[@]}]}
	total=$((total + JPAGES[k]))
done
# Kill points: the moment the far end has confirmed a random number of
# pages in all (sorted), plus a random 0-999 ms, so kills land in page
# transfers, call set-up, rendering and notice sending alike.
declare -a KAT KJIT
for ((i = 0; i < NKILLS; i++)); do
	KAT[i]=$((RANDOM % (total * 9 / 10) + 1))
	KJIT[i]=$((RANDOM % 1000))
done
mapfile -t KAT < <(printf '%s\n' "${KAT[@]}" | sort -n)
diag "$NJOBS jobs, $total pages; kills after ${KAT[*]} pages confirmed"

SECONDS=0
# The mail goes in while the dialer works (and dies).
for ((k = 1; k <= NJOBS; k++)); do
	fax alice "${JNUM[k]}" "c$k" "$W/p${JPAGES[k]}.pdf" | grep -c '^250 2\.0\.0'
done >"$W/accepted" &
SENDER=$!
on_exit "kill $SENDER"
confirmed() {
	sql "SELECT ifnull(sum(j.pages_confirmed), 0) FROM jobs j JOIN messages m ON m.id = j.message WHERE m.message_id LIKE 'c%@t44'"
}
kills=0
for ((i = 0; i < NKILLS; i++)); do
	wait_until 120 eval '[ "$(confirmed)" -ge "${KAT[i]}" ]' || break
	sleep "$(printf '0.%03d' "${KJIT[i]}")"	# the random part of the moment
	dialer_kill9
	kills=$((kills + 1))
	dialer_start "$W/faxgate.conf"
done
is "$kills" "$NKILLS" "the dialer was killed $NKILLS times (and restarted)"
wait "$SENDER"
is "$(grep -c '^1$' "$W/accepted")" "$NJOBS" "$NJOBS faxes accepted"
unfinished() {
	sql "SELECT count(*) FROM jobs j JOIN messages m ON m.id = j.message WHERE m.message_id LIKE 'c%@t44' AND j.state NOT IN ('done', 'failed')"
}
wait_until 240 eval '[ "$(unfinished)" = 0 ]'
is "$(unfinished)" 0 "every job ended done or failed ($SECONDS s)"
ndone=$(sql "SELECT count(*) FROM jobs j JOIN messages m ON m.id = j.message WHERE m.message_id LIKE 'c%@t44' AND j.state = 'done'")
diag "done: $ndone, failed: $((NJOBS - ndone)); attempts closed by a lease running out: $(sql "SELECT count(*) FROM attempts WHERE error_code = 'LEASE_EXPIRED'")"
is "$(sql "SELECT count(*) FROM jobs j JOIN messages m ON m.id = j.message WHERE m.message_id LIKE 'c%@t44' AND j.state = 'failed' AND ifnull(j.diagnostic, '') = ''")" 0 \
    "a failed job says why"
is "$(sql "SELECT count(*) FROM attempts a JOIN jobs j ON j.id = a.job JOIN messages m ON m.id = j.message WHERE m.message_id LIKE 'c%@t44' AND a.outcome IS NULL")" 0 \
    "no attempt is left open"
is "$(sql "SELECT count(*) FROM jobs j JOIN messages m ON m.id = j.message WHERE m.message_id LIKE 'c%@t44' AND j.state = 'done' AND j.pages_confirmed <> j.pages_total")" 0 \
    "the store counts every page of a done job as confirmed"

# Every page of a done job at the far end: for each page, an attempt whose
# far-end TIFF holds it (attempt a starts at its first_page), and the
# latest such copy equals the rendered page pixel for pixel. The machine
# may be busy: few processes per page (each TIFF is split once).
# split TIFF DIR - the pages of TIFF as DIR/aaa.tif...; sets PAGES=(...)
split() {
	[ -d "$2" ] || { mkdir -p "$2" && tiffsplit "$1" "$2/" >/dev/null 2>&1; }
	PAGES=("$2"/*.tif)
	[ -e "${PAGES[0]}" ] || PAGES=()
}
missing="" differ=""
declare -A STATE JOBOF
while IFS='|' read -r mid jid num state msg a f; do
	k=${mid#c}; k=${k%@t44}
	STATE[$k]=$state; JOBOF[$k]=$jid
	[ "$state" = done ] && [ -n "$a" ] || continue
	split "$W/sim/${num#+}-$jid-$a.tif" "$W/split/f$jid-$a"
	for ((i = 0; i < ${#PAGES[@]}; i++)); do
		FARPAGE[$jid.$((f + i))]=${PAGES[i]}	# a later attempt overwrites
	done
done < <(sql "SELECT m.message_id, j.id, j.number, j.state, j.message, a.attempt, a.first_page FROM jobs j
    JOIN messages m ON m.id = j.message LEFT JOIN attempts a ON a.job = j.id
    WHERE m.message_id LIKE 'c%@t44' ORDER BY j.id, a.attempt")
for ((k = 1; k <= NJOBS; k++)); do
	jid=${JOBOF[$k]:-}
	[ "${STATE[$k]:-}" = done ] || continue
	split "$(render_of "$jid")" "$W/split/r$jid"
	[ "${#PAGES[@]}" = "${JPAGES[k]}" ] || differ+=" c$k:rendered-${#PAGES[@]}-pages"
	for ((p = 1; p <= JPAGES[k]; p++)); do
		if [ -z "${FARPAGE[$jid.$p]:-}" ]; then
			missing+=" c$k/p$p"
		elif ! tiffcmp -t "${PAGES[p - 1]}" "${FARPAGE[$jid.$p]}" >/dev/null 2>&1; then
			differ+=" c$k/p$p"
		fi
	done
done
is "$missing" "" "no page of a done job is missing at the far end"
is "$differ" "" "and every page arrived pixel for pixel"

# Exactly one final DSN per job, saying what the store says. A dialer
# killed after sendmail took a notice but before the store recorded it
# sends it again (at least once): the copy has the same Message-ID, so
# it is the same message; such copies are counted, not failures.
A=$(postfix_mailbox "$W/pf" alice@sender.test)
maildir_wait "$A" "$NJOBS" 60
postfix_wait_queue_empty "$W/pf" 30
# one line per DSN file: ORIGINAL-MESSAGE-ID OWN-MESSAGE-ID ACTION
"$PY" - "$A" >"$W/dsns" <<'PY'
import glob, re, sys
for f in glob.glob(sys.argv[1] + "/new/*") + glob.glob(sys.argv[1] + "/cur/*"):
    t = open(f, errors="replace").read()
    ids = re.findall(r"(?im)^Message-ID:\s*<([^>]*)>", t)
    act = re.findall(r"(?m)^Action:\s*(\S+)", t)
    print(ids[1] if len(ids) > 1 else "-", ids[0] if ids else "-", ",".join(act) or "-")
PY
is "$(sort -u -k1,2 "$W/dsns" | wc -l)" "$NJOBS" "$NJOBS distinct DSNs in alice's Maildir"
dups=$(( $(wc -l <"$W/dsns") - NJOBS ))
diag "repeated copies of a DSN (same Message-ID, the dialer killed after handing it over): $dups"
bad=""
for ((k = 1; k <= NJOBS; k++)); do
	n=$(grep "^c$k@t44 " "$W/dsns" | sort -u -k1,2 | wc -l)
	want=delivered
	[ "${STATE[$k]:-}" = done ] || want=failed
	[ "$n" = 1 ] || { bad+=" c$k:$n"; continue; }
	grep "^c$k@t44 " "$W/dsns" | grep -qv " $want\$" && bad+=" c$k:not-$want"
done
is "$bad" "" "exactly one DSN per job, delivered for done, failed for failed"
dialer_stop
ok $? "the last dialer stops cleanly"
! grep -Eq 'Sanitizer|runtime error' "$W/dialer.log" "$W/milter.log"
ok $? "no sanitizer report in the dialers' or the milter's log"
done_testing
