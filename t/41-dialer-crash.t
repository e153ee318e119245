#!/bin/bash
# A dialer that dies (kill -9) or is stopped (SIGTERM) in the middle of a
# call: the job comes back, resumes at the first page the far end did not
# confirm, every page arrives, and the sender gets exactly one DSN.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Postfix"

export MTA_USERS="alice bob"
fg_workdir
MPORT=$(free_port)
SPORT=$(free_port)
FD=fax.example.test
# The paced timing path, 20 times faster than real time: a page takes
# about a second, so a call can be caught in the middle.
fg_conf "$W/faxgate.conf" sim.paced=yes sim.speed=20 "notices.sendmail_config=$W/pf/conf"
milter_start "$W/faxgate.conf" "$MPORT"
postfix_start "$W/pf" "$SPORT" "inet:127.0.0.1:$MPORT"
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -o "$W/four.pdf" \
    -c "/Helvetica findfont 48 scalefont setfont 1 1 4 { 100 600 moveto 20 string cvs show showpage } for" >/dev/null

# fax FROM NUMBER MSGID - a 4-page PDF with NOTIFY=SUCCESS
fax() {
	smtp_send "$SPORT" <<SMTP
MAIL FROM:<$1@sender.test>
RCPT TO:<FAX=$2@$FD> NOTIFY=SUCCESS,FAILURE
DATA
Subject: crash $3
Message-ID: <$3@t>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: application/pdf; name="four.pdf"
Content-Transfer-Encoding: base64

$(base64 "$W/four.pdf")
--b--
.
SMTP
}
far() { echo "$W/sim/${1#+}-$2-$3.tif"; }
render_of() { echo "$W/spool/render-$(job_field "$1" message).tif"; }

# --- kill -9 in the middle of a call
dialer_start "$W/faxgate.conf"
like "$(fax alice +12025550200 kill9)" '^250 2\.0\.0' "4-page fax accepted"
J=$(job_of +12025550200)
wait_until 60 eval "[ \"\$(job_field $J pages_confirmed)\" -ge 1 ]"
ok $? "the first page is confirmed"
dialer_kill9
K=$(job_field "$J" pages_confirmed)
is "$(job_field "$J" state)" sending "killed mid-call: the store still says sending"
[ "$K" -ge 1 ] && [ "$K" -lt 4 ]
ok $? "with $K of 4 pages confirmed"
dialer_start "$W/faxgate.conf"
wait_state "$J" done 90
is "$(job_field "$J" state)" done "after a restart (and the lease running out) the job is done"
is "$(sql "SELECT outcome || ':' || error_code FROM attempts WHERE job = $J AND attempt = 1")" \
    "retry:LEASE_EXPIRED" "the dead dialer's attempt is closed as retry, LEASE_EXPIRED"
is "$(sql "SELECT first_page FROM attempts WHERE job = $J AND attempt = 2")" "$((K + 1))" \
    "the second attempt starts at page $((K + 1))"
F2=$(far +12025550200 "$J" 2)
is "$(tiff_pages "$F2")" "$((4 - K))" "and carries only the $((4 - K)) missing pages"
allsame=0
for ((p = K + 1; p <= 4; p++)); do
	page_same "$(render_of "$J")" "$p" "$F2" "$((p - K))" || allsame=1
done
ok $allsame "pages $((K + 1))-4 arrive pixel for pixel"
B=$(postfix_mailbox "$W/pf" alice@sender.test)
maildir_wait "$B" 1 30
postfix_wait_queue_empty "$W/pf" 20
is "$(maildir_count "$B")" 1 "exactly one DSN"
like "$(cat "$B"/new/*)" 'Action: delivered' "and it says delivered"

# --- SIGTERM in the middle of a call: handed back, resumed
like "$(fax bob +12025550201 term)" '^250 2\.0\.0' "second 4-page fax accepted"
J=$(job_of +12025550201)
wait_until 60 eval "[ \"\$(job_field $J pages_confirmed)\" -ge 1 ]"
ok $? "its first page is confirmed"
dialer_stop
ok $? "SIGTERM mid-call: the dialer exits cleanly (exit 0)"
is "$(job_field "$J" state)" retry_wait "SIGTERM hands the job back (retry_wait)"
is "$(sql "SELECT outcome FROM attempts WHERE job = $J AND attempt = 1")" retry "the interrupted attempt is recorded as retry"
K=$(job_field "$J" pages_confirmed)
dialer_start "$W/faxgate.conf"
wait_state "$J" done 60
is "$(job_field "$J" state)" done "the next dialer finishes it at once (no lease to wait for)"
is "$(sql "SELECT first_page FROM attempts WHERE job = $J ORDER BY attempt DESC LIMIT 1")" "$((K + 1))" \
    "resuming at page $((K + 1))"
B=$(postfix_mailbox "$W/pf" bob@sender.test)
maildir_wait "$B" 1 30
postfix_wait_queue_empty "$W/pf" 20
is "$(maildir_count "$B")" 1 "exactly one DSN"
dialer_stop
ok $? "the dialer exits cleanly"
done_testing
