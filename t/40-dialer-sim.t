#!/bin/bash
# The whole offramp on the simulated line: mail through a real Postfix and
# the milter, faxgate-dialer renders and faxes it (unpaced), the far end's
# pages are compared pixel for pixel with the rendered ones, and the DSNs
# land in the senders' Maildirs through the same Postfix.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Postfix"

export MTA_USERS="alice bob carol dave erin frank grace heidi ivan judy kim leo mia nina olaf"
fg_workdir
fixtures
MPORT=$(free_port)
SPORT=$(free_port)
FD=fax.example.test

# sendmail(8) as the dialer runs it; down while $W/mta-down exists.
cat >"$W/sendmail" <<SH
#!/bin/sh
[ -e "$W/mta-down" ] && { echo "sendmail: simulated MTA outage" >&2; exit 75; }
exec /usr/sbin/sendmail "\$@"
SH
chmod 755 "$W/sendmail"

BEH="+12025550110=busy:2 +12025550120=drop:2:1 +12025550130=notfax +12025550131=voice"
BEH="$BEH +12025550132=notfax +12025550140=busy +12025550150=notfax +12025550180=trainfail:1 +12025550190=busy:1 +12025550133=notfax +12025550134=notfax"
fg_conf "$W/faxgate.conf" "sim.behaviour=$BEH" "notices.sendmail=$W/sendmail" \
    "notices.sendmail_config=$W/pf/conf" notices.alert_after=2
milter_start "$W/faxgate.conf" "$MPORT"
postfix_start "$W/pf" "$SPORT" "inet:127.0.0.1:$MPORT"
dialer_start "$W/faxgate.conf"

send() {
	local from=$1; shift
	swaks --server "127.0.0.1:$SPORT" --from "$from" --helo client.test "$@" 2>&1 |
	    sed -n 's/^ *<[-~*]* *//p'
}
# dsn_send FROM RCPT MAIL_PARAMS RCPT_PARAMS MSGID [ATTACH-PDF]
dsn_send() {
	smtp_send "$SPORT" <<SMTP
EHLO client.test
MAIL FROM:<$1> $3
RCPT TO:<$2> $4
DATA
From: <$1>
Subject: test $5
Message-ID: <$5>

Please fax this text for $5.
.
QUIT
SMTP
}
box() { postfix_mailbox "$W/pf" "$1@sender.test"; }
far() { ls "$W/sim/${1#+}-$2-$3.tif" 2>/dev/null; }
render_of() { echo "$W/spool/render-$(job_field "$1" message).tif"; }

# --- a PDF, a TIFF and a text mail are faxed; pages exact; delivered DSN
out=$(send alice@sender.test --to "FAX=+12025550100@$FD" --h-Message-Id '<pdf@t>' --body 'see pdf' \
    --attach-type application/pdf --attach "$W/fx/two.pdf")
like "$out" '^250 ' "PDF mail accepted"
send alice@sender.test --to "FAX=+12025550101@$FD" --h-Message-Id '<tiff@t>' --body 'see tiff' \
    --attach-type image/tiff --attach "$W/fx/one.tif" >/dev/null
dsn_send alice@sender.test "FAX=+12025550102@$FD" "RET=HDRS ENVID=env-text" \
    "NOTIFY=SUCCESS ORCPT=rfc822;FAX+3D+2B12025550102@$FD" text@t >/dev/null
J1=$(job_of +12025550100); J2=$(job_of +12025550101); J3=$(job_of +12025550102)
wait_state "$J1" done 60; is "$(job_field "$J1" state)" done "PDF job done"
wait_state "$J2" done 60; is "$(job_field "$J2" state)" done "TIFF job done"
wait_state "$J3" done 60; is "$(job_field "$J3" state)" done "text job done"
F1=$(far +12025550100 "$J1" 1)
is "$(tiff_pages "$F1")" 2 "the far end received the PDF's 2 pages"
page_same "$(render_of "$J1")" 1 "$F1" 1 && page_same "$(render_of "$J1")" 2 "$F1" 2
ok $? "both pages equal the rendered pages pixel for pixel"
F2=$(far +12025550101 "$J2" 1)
page_same "$W/fx/one.tif" 1 "$F2" 1
ok $? "the TIFF arrives pixel for pixel as sent (1728 wide, fine)"
F3=$(far +12025550102 "$J3" 1)
is "$(tiff_pages "$F3")" 1 "the text mail arrives as one page"
is "$(sql "SELECT pages_confirmed || '/' || pages_total || ' ' || status FROM jobs WHERE id = $J1")" "2/2 2.0.0" "store: 2 of 2 pages, 2.0.0"
is "$(sql "SELECT count(*) FROM attempts WHERE job = $J1 AND outcome = 'ok' AND pages_sent = 2 AND ended_at >= started_at")" 1 "one attempt row with the pages sent"
maildir_wait "$(box alice)" 1 30
ok $? "a DSN lands in alice's Maildir"
D=$(grep -l 'FAX=+12025550102' "$(box alice)"/new/* 2>/dev/null | head -1)
dsn=$(cat "$D" 2>/dev/null)
like "$dsn" '^Content-Type: multipart/report;' "DSN is multipart/report"
like "$dsn" 'report-type=delivery-status' "of report-type delivery-status"
like "$dsn" 'Action: delivered' "Action: delivered"
like "$dsn" 'Status: 2\.0\.0' "Status: 2.0.0"
like "$dsn" 'Final-Recipient: rfc822; *FAX=\+12025550102@fax\.example\.test' "Final-Recipient"
like "$dsn" 'Original-Recipient: rfc822; *FAX=\+12025550102@fax\.example\.test' "Original-Recipient from ORCPT"
like "$dsn" 'Original-Envelope-Id: env-text' "Original-Envelope-Id from ENVID"
like "$dsn" 'Reporting-MTA: dns; *gw\.faxgate\.test' "Reporting-MTA"
like "$dsn" 'text/rfc822-headers' "RET=HDRS returns the headers"
unlike "$dsn" 'Please fax this text' "and not the body"
is "$(grep -l 'FAX=+1202555010[01]' "$(box alice)"/new/* 2>/dev/null | wc -l)" 0 \
    "no DSN for the jobs without NOTIFY=SUCCESS (NOTIFY absent means FAILURE)"

# --- busy twice, then answer: three attempts with their reasons
dsn_send bob@sender.test "FAX=+12025550110@$FD" "" "NOTIFY=SUCCESS" busy@t >/dev/null
J=$(job_of +12025550110)
wait_state "$J" done 60
is "$(job_field "$J" state)" done "busy twice then answered: done"
is "$(sql "SELECT group_concat(outcome || ':' || ifnull(error_code, '-'), ' ') FROM (SELECT * FROM attempts WHERE job = $J ORDER BY attempt) AS a")" \
    "retry:Q850:17 retry:Q850:17 ok:OK" "three attempts: busy, busy, ok"
maildir_wait "$(box bob)" 1 30
like "$(cat "$(box bob)"/new/*)" 'Action: delivered' "one delivered DSN for bob"

# --- dropped after page 2 of 4: the next attempt sends pages 3-4 only
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -o "$W/fx/four.pdf" \
    -c "/Helvetica findfont 48 scalefont setfont 1 1 4 { 100 600 moveto 20 string cvs show showpage } for" >/dev/null
out=$(send carol@sender.test --to "FAX=+12025550120@$FD" --h-Message-Id '<drop@t>' --body 'four' \
    --attach-type application/pdf --attach "$W/fx/four.pdf")
J=$(job_of +12025550120)
wait_state "$J" done 60
is "$(job_field "$J" state)" done "drop after page 2, then done"
A1=$(far +12025550120 "$J" 1); A2=$(far +12025550120 "$J" 2); R=$(render_of "$J")
is "$(tiff_pages "$A1") $(tiff_pages "$A2")" "2 2" "first call delivered 2 pages, the second 2 more"
page_same "$R" 3 "$A2" 1 && page_same "$R" 4 "$A2" 2
ok $? "the second call carried exactly pages 3 and 4"
is "$(sql "SELECT group_concat(first_page || '+' || pages_sent, ' ') FROM (SELECT * FROM attempts WHERE job = $J ORDER BY attempt) AS a")" \
    "1+2 3+2" "attempts: pages 1-2, then 3-4"

# --- not a fax machine: no retry, failed DSN with 5.x; RET=FULL returns the message
dsn_send dave@sender.test "FAX=+12025550130@$FD" "RET=FULL" "" notfax@t >/dev/null
J=$(job_of +12025550130)
wait_state "$J" failed 60
is "$(job_field "$J" attempts)" 1 "not a fax machine: one attempt, no retry"
like "$(job_field "$J" status)" '^5\.' "status 5.x.x"
maildir_wait "$(box dave)" 1 30
dsn=$(cat "$(box dave)"/new/*)
like "$dsn" 'Action: failed' "failed DSN"
like "$dsn" 'Status: 5\.1\.1' "Status: 5.1.1"
like "$dsn" 'Diagnostic-Code: X-T30;' "Diagnostic-Code from T.30"
like "$dsn" 'message/rfc822' "RET=FULL returns the whole message"
like "$dsn" 'Please fax this text for notfax@t' "including its body"

# --- a voice answers: the same
dsn_send erin@sender.test "FAX=+12025550131@$FD" "" "" voice@t >/dev/null
J=$(job_of +12025550131)
wait_state "$J" failed 60
is "$(job_field "$J" state)/$(job_field "$J" attempts)" "failed/1" "voice answer: failed at once"

# --- retries exhausted: failed with the last real status
dsn_send frank@sender.test "FAX=+12025550140@$FD" "" "" exhaust@t >/dev/null
J=$(job_of +12025550140)
wait_state "$J" failed 60
is "$(job_field "$J" attempts)" 4 "four attempts ([retry] max_attempts)"
is "$(job_field "$J" status)" 4.4.1 "the last real status, busy 4.4.1"
maildir_wait "$(box frank)" 1 30
dsn=$(cat "$(box frank)"/new/*)
like "$dsn" 'Action: failed' "failed DSN after the last attempt"
like "$dsn" 'Diagnostic-Code: X-Q850; *17' "Diagnostic-Code: X-Q850; 17"

# --- NOTIFY=NEVER: no DSN at all
dsn_send grace@sender.test "FAX=+12025550150@$FD" "" "NOTIFY=NEVER" never@t >/dev/null
J=$(job_of +12025550150)
wait_state "$J" failed 60
is "$(job_field "$J" state)" failed "NOTIFY=NEVER job failed"
postfix_wait_queue_empty "$W/pf" 20
is "$(maildir_count "$(box grace)")" 0 "and no DSN was sent"

# --- broken and encrypted PDFs fail with a clear reason; the dialer lives on
printf '%%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n' >"$W/fx/broken.pdf"
send heidi@sender.test --to "FAX=+12025550160@$FD" --h-Message-Id '<broken@t>' --body x \
    --attach-type application/pdf --attach "$W/fx/broken.pdf" >/dev/null
J=$(job_of +12025550160)
wait_state "$J" failed 60
is "$(job_field "$J" status)" 5.6.1 "broken PDF: failed 5.6.1"
maildir_wait "$(box heidi)" 1 30
like "$(cat "$(box heidi)"/new/*)" 'PDF' "the DSN says why (the PDF)"
if command -v qpdf >/dev/null; then
	qpdf --encrypt secret secret 256 -- "$W/fx/two.pdf" "$W/fx/enc.pdf"
	send heidi@sender.test --to "FAX=+12025550161@$FD" --h-Message-Id '<enc@t>' --body x \
	    --attach-type application/pdf --attach "$W/fx/enc.pdf" >/dev/null
	J=$(job_of +12025550161)
	wait_state "$J" failed 60
	like "$(sql "SELECT error_text FROM jobs j JOIN attempts a ON a.job = j.id WHERE j.id = $J UNION ALL SELECT diagnostic FROM jobs WHERE id = $J") $(grep "job=$J:" "$W/dialer.log")" 'encrypt' "encrypted PDF: failed, reason says encrypted"
else
	ok 1 "qpdf missing: cannot make an encrypted PDF (contrib/install-deps installs it)"
fi
kill -0 "$DIALER_PID"
ok $? "the dialer is unharmed"

# --- one message to five numbers: one gathered DSN with five recipients
rcpts=$(for i in 1 2 3 4 5; do printf "FAX=+1202555017$i@$FD,"; done)
smtp_send "$SPORT" >/dev/null <<SMTP
EHLO client.test
MAIL FROM:<ivan@sender.test>
$(for i in 1 2 3 4 5; do echo "RCPT TO:<FAX=+1202555017$i@$FD> NOTIFY=SUCCESS,FAILURE"; done)
DATA
Subject: five
Message-ID: <five@t>

five recipients
.
QUIT
SMTP
for i in 1 2 3 4 5; do wait_state "$(job_of +1202555017$i)" done 60; done
maildir_wait "$(box ivan)" 1 30
postfix_wait_queue_empty "$W/pf" 20
is "$(maildir_count "$(box ivan)")" 1 "exactly one DSN for the message (gathered)"
dsn=$(cat "$(box ivan)"/new/*)
is "$(grep -c '^Final-Recipient:' <<<"$dsn")" 5 "with five recipients"
is "$(grep -c '^Action: delivered' <<<"$dsn")" 5 "all delivered"
unlike "$dsn" 'relayed' "no MTA 'relayed' report mixed in"
! grep -q 'relayed' "$(box ivan)"/new/* "$(box alice)"/new/* "$(box bob)"/new/*
ok $? "no second report from the MTA for any fax recipient"

# --- the MTA's sendmail failing: the notice waits and goes out later
touch "$W/mta-down"
dsn_send judy@sender.test "FAX=+12025550132@$FD" "" "" mtadown@t >/dev/null
J=$(job_of +12025550132)
wait_state "$J" failed 60
wait_until 20 grep -q 'simulated MTA outage\|status=deferred, sendmail_exit=75' "$W/dialer.log"
ok $? "the dialer saw the injection fail"
is "$(job_field "$J" notice_due)" failed "the notice is still owed"
wait_until 20 grep -q "notice: message=.*, status=alert, failures=2, reason=\"delivery report cannot be handed to" "$W/dialer.log"
ok $? "after [notices] alert_after failures the administrator is alerted in the log"
rm -f "$W/mta-down"
maildir_wait "$(box judy)" 1 30
ok $? "after the MTA is back the DSN arrives"
postfix_wait_queue_empty "$W/pf" 20
is "$(maildir_count "$(box judy)")" 1 "exactly once"

# --- training fails: the next attempt falls back (ECM off), remembered
dsn_send kim@sender.test "FAX=+12025550180@$FD" "" "NOTIFY=NEVER" train@t >/dev/null
J=$(job_of +12025550180)
wait_state "$J" done 60
is "$(sql "SELECT group_concat(outcome || ':' || error_code, ' ') FROM (SELECT * FROM attempts WHERE job = $J ORDER BY attempt) AS a")" \
    "retry:T30_ERR_CANNOT_TRAIN ok:OK" "training failure, then delivered"
is "$(sql "SELECT ecm FROM attempts WHERE job = $J AND attempt = 2")" 0 "the second attempt ran without ECM"
is "$(sql "SELECT ecm || ' ' || modems FROM destinations WHERE number = '+12025550180'")" "0 v17" \
    "the destination's fallback is remembered in the store"

# --- NOTIFY=DELAY: a delayed DSN after the first failed attempt, then delivered
dsn_send kim@sender.test "FAX=+12025550190@$FD" "" "NOTIFY=DELAY,SUCCESS" delay@t >/dev/null
J=$(job_of +12025550190)
wait_state "$J" done 60
maildir_wait "$(box kim)" 2 30
postfix_wait_queue_empty "$W/pf" 20
is "$(maildir_count "$(box kim)")" 2 "two reports: delayed, then delivered"
is "$(cat "$(box kim)"/new/* | grep -E '^Action:' | sort | tr '\n' ' ')" "Action: delayed Action: delivered " \
    "one delayed, one delivered"
like "$(cat "$(box kim)"/new/*)" 'Will-Retry-Until:' "the delayed report says until when it retries"

# --- an MDN when asked for by the envelope sender; none for anyone else
mdn_send() {
	smtp_send "$SPORT" <<SMTP
MAIL FROM:<$1@sender.test>
RCPT TO:<FAX=$2@$FD>
DATA
From: <$1@sender.test>
Subject: mdn test
Message-ID: <$3@t>
Disposition-Notification-To: <$4>

please confirm
.
SMTP
}
mdn_send leo +12025550133 mdn1 leo@sender.test >/dev/null
J=$(job_of +12025550133)
wait_state "$J" failed 60
maildir_wait "$(box leo)" 2 30
postfix_wait_queue_empty "$W/pf" 20
is "$(maildir_count "$(box leo)")" 2 "failed fax with Disposition-Notification-To = sender: a DSN and an MDN"
mdn=$(grep -l 'disposition-notification' "$(box leo)"/new/* | head -1)
like "$(cat "$mdn")" 'Disposition: automatic-action/MDN-sent-automatically; *processed/error' "the MDN is processed/error"
like "$(cat "$mdn")" 'Original-Message-ID: <mdn1@t>' "it names the original message"
mdn_send mia +12025550134 mdn2 someone.else@sender.test >/dev/null
J=$(job_of +12025550134)
wait_state "$J" failed 60
wait_until 20 grep -q "job=$J, kind=mdn, status=skipped" "$W/dialer.log"
ok $? "Disposition-Notification-To not the sender: no MDN, and the log says why"
postfix_wait_queue_empty "$W/pf" 20
is "$(grep -l 'disposition-notification' "$(box mia)"/new/* 2>/dev/null | wc -l)" 0 "mia gets no MDN"

# --- SIGHUP reloads the configuration; a broken one is refused
kill -HUP "$DIALER_PID"
wait_until 10 grep -q 'reload: status=ok' "$W/dialer.log"
ok $? "SIGHUP reloads"
cp "$W/faxgate.conf" "$W/good.conf"
echo "[dialer]" >>"$W/faxgate.conf"
echo "bogus = 1" >>"$W/faxgate.conf"
kill -HUP "$DIALER_PID"
wait_until 10 grep -q 'reload: status=failed, reason=".*unknown key .bogus' "$W/dialer.log"
ok $? "a broken configuration is refused with its reason"
kill -0 "$DIALER_PID"
ok $? "and the dialer keeps running on the old one"
cp "$W/good.conf" "$W/faxgate.conf"

dialer_stop
ok $? "SIGTERM stops the dialer cleanly (exit 0)"

# --- an operator cancels two queued faxes (no dialer runs): the sender of
# one gets a failure DSN that says so; --quiet sends none
dsn_send nina@sender.test "FAX=+12025550160@$FD" "" "" cancel1@t >/dev/null
dsn_send olaf@sender.test "FAX=+12025550161@$FD" "" "" cancel2@t >/dev/null
J=$(job_of +12025550160); JQ=$(job_of +12025550161)
is "$(job_field "$J" state) $(job_field "$JQ" state)" "queued queued" "both queued while no dialer runs"
out=$("$FAXGATE_BUILD/faxgatectl" -c "$W/faxgate.conf" cancel "$J" 2>&1)
is "$out" "job $J: queued -> cancelled (the sender gets a failure report)" "faxgatectl cancel says a report follows"
"$FAXGATE_BUILD/faxgatectl" -c "$W/faxgate.conf" cancel --quiet "$JQ" >/dev/null
is "$(job_field "$JQ" state)" cancelled "cancel --quiet"
dialer_start "$W/faxgate.conf"
maildir_wait "$(box nina)" 1 30
ok $? "the dialer sends the cancelled fax's DSN"
dsn=$(cat "$(box nina)"/new/* 2>/dev/null)
like "$dsn" 'Action: failed' "Action: failed"
like "$dsn" 'Status: 5\.0\.0' "Status: 5.0.0"
like "$dsn" 'Diagnostic-Code: X-Faxgate; *cancelled by the fax operator' "Diagnostic-Code: cancelled by the fax operator"
like "$dsn" 'Final-Recipient: rfc822; *FAX=\+12025550160@fax\.example\.test' "for the cancelled recipient"
is "$(job_field "$J" state)" cancelled "the job stays cancelled (never dialled)"
is "$(sql "SELECT count(*) FROM attempts WHERE job IN ($J, $JQ)")" 0 "no call was made for either"
postfix_wait_queue_empty "$W/pf" 20
is "$(maildir_count "$(box olaf)")" 0 "cancel --quiet: no report"
dialer_stop
ok $? "the dialer stops cleanly again"
done_testing
