#!/bin/bash
# efax, a fax program with its own T.30 and T.4 code, at the other end of
# faxgate-dialer's SIP channel over G.711: contrib/faxmodem --sip runs
# SpanDSP's T.31 Class 1 modem on a pseudo-terminal for efax and carries
# its audio as RTP in a SIP call (see contrib/README-faxmodem.md), so the
# faxgate side is the product's own code: mail through a real Postfix and
# the milter, the dialer's SIP trunk, its inbound line and the store.
#   1. faxgate sends 3 pages (the dialer calls faxmodem, PCMA; efax
#      answers on the first RING) and the sender gets a delivered DSN;
#   2. efax sends 3 pages (ATD: faxmodem calls the dialer, PCMU) and they
#      land in the store as an inbound fax.
# faxmodem refuses the dialer's T.38 re-INVITE (488) in both calls: the
# dialer must fall back to G.711 and fax on. Pages are compared pixel for
# pixel. Both calls are real time, about a minute each: keep it to these.
# The dialer runs on a slow disk (t/lib/slowfsync.c: 150 ms more for each
# fsync) and efax's modem plays out with 100 ms of buffer: a store commit on
# the dialer's loop during a call would starve the audio and cost efax
# lines of a page that it still confirms (MCF, without ECM).
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
. "$TOP/t/lib/efax.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Postfix"
efax_require sqlite3

export MTA_USERS="alice"
fg_workdir
MPORT=$(free_port)
SPORT=$(free_port)
DPORT=$(free_port)	# the dialer's SIP
FPORT=$(free_port)	# faxmodem's SIP
MB=$((28000 + ($$ % 150) * 100))
FD=fax.example.test
FM_ARGS=(--sip "sip:127.0.0.1:$FPORT")

# T.38 stays on (the default): the dialer asks for it and must fall back.
fg_conf "$W/faxgate.conf" dialer.driver=sip "sip.listen=sip:127.0.0.1:$DPORT" \
    "sip.trunk=sip:{dial}@127.0.0.1:$FPORT" "sip.from=sip:+12025550000@127.0.0.1" \
    "sip.media_ports=$MB-$((MB + 99))" "sip.inbound_ident=+1 202 555 0000" \
    "notices.sendmail_config=$W/pf/conf" retry.max_attempts=1

efax_pages "faxgate <-> efax, SIP"
is "${#SRC[@]}" 3 "the document has 3 pages"

# field FILE KEY - KEY's value in faxmodem's result line
field() { sed -n "s/^result: .* $2=\([^ ]*\).*/\1/p" "$1"; }

milter_start "$W/faxgate.conf" "$MPORT"
postfix_start "$W/pf" "$SPORT" "inet:127.0.0.1:$MPORT"
"$FAXGATE_BUILD/faxgatectl" -c "$W/faxgate.conf" did add 5550100 alice@sender.test >/dev/null
is $? 0 "the dialer takes calls for DID 5550100"
cc -shared -fPIC -o "$W/slowfsync.so" "$TOP/t/lib/slowfsync.c" -ldl || bail "cc slowfsync.so"
# (an ASan dialer wants its runtime first; this library needs nothing of it)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    LD_PRELOAD="$W/slowfsync.so" dialer_start "$W/faxgate.conf"

# send_mail - the 3-page TIFF to FAX=+15550100, NOTIFY=SUCCESS,FAILURE
send_mail() {
	SMTP_REPLY=$(smtp_send "$SPORT" <<SMTP
MAIL FROM:<alice@sender.test>
RCPT TO:<FAX=+15550100@$FD> NOTIFY=SUCCESS,FAILURE
DATA
Subject: efax over SIP
Message-ID: <efax-sip@t>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: image/tiff; name="doc.tif"
Content-Transfer-Encoding: base64

$(base64 "$W/doc.tif")
--b--
.
SMTP
)
}

# --- 1. faxgate sends, efax receives --------------------------------------
# efax waits (-w) and the modem answers by itself on the first RING
# (S0=1), whenever the dialer's INVITE comes.
THEN=send_mail run_pair send --codec pcma --jitter 100 -- -iS0=1 -w -r "$W/rx/page"
like "$SMTP_REPLY" '^250 2\.0\.0' "faxgate -> efax: the mail is accepted"
ok $EFAX_RC "faxgate -> efax: efax receives and exits 0 (${SECS} s)"
is "$FM_RC" 0 "faxgate -> efax: faxmodem saw the call answered and ended by BYE"
R=$W/send.result
is "$(field "$R" direction) $(field "$R" codec) $(field "$R" t38_refused) $(field "$R" ended)" \
    "in PCMA 1 remote" "faxgate -> efax: the dialer called, PCMA, asked for T.38 once (488), hung up"
J=$(job_of +15550100)
wait_state "${J:-0}" done 20
is "$(sql "SELECT state || ' ' || pages_confirmed FROM jobs WHERE id = ${J:-0}")" "done 3" \
    "faxgate -> efax: the job is done, 3 pages confirmed"
is "$(sql "SELECT outcome || ' ' || status || ' ' || pages_sent || ' ' || bit_rate || ' ' || ecm || ' ' || resolution
    FROM attempts WHERE job = ${J:-0}")" "ok 2.0.0 3 14400 0 204x196" \
    "faxgate -> efax: the attempt: ok, 3 pages at 14400, no ECM, fine"
is "$(sql "SELECT call_id FROM attempts WHERE job = ${J:-0}")" "$(field "$R" call_id)" \
    "faxgate -> efax: the attempt's Call-ID is the call faxmodem took"
grep "call=$(field "$R" call_id)" "$W/dialer.log" | grep -q 't38=refused, sip_status=488.*fallback=g711'
ok $? "faxgate -> efax: the dialer logged the 488 and the fallback to G.711"
grep "call=$(field "$R" call_id)" "$W/dialer.log" | grep -q 'status=2.0.0.*transport=g711'
ok $? "faxgate -> efax: the dialer logged the call's end over g711"
efax_check_rx "$W/spool/render-$(job_field "${J:-0}" message).tif" " (as rendered, as mailed)"
maildir_wait "$(postfix_mailbox "$W/pf" alice@sender.test)" 1 30
dsn=$(grep -l "Action: delivered" "$(postfix_mailbox "$W/pf" alice@sender.test)"/new/* 2>/dev/null | head -1)
[ -n "$dsn" ]; ok $? "faxgate -> efax: a delivered DSN reached alice's Maildir"
like "$(cat "${dsn:-/dev/null}")" "Final-Recipient: rfc822; ?FAX=\\+15550100@$FD" \
    "faxgate -> efax: the DSN is for the fax recipient"
like "$(cat "${dsn:-/dev/null}")" "Status: 2\\.0\\.0" "faxgate -> efax: the DSN says 2.0.0"

# --- 2. efax sends, faxgate receives --------------------------------------
# efax dials 5550100; faxmodem calls the dialer; -h "" leaves efax's
# header band white.
THEN= run_pair recv --codec pcmu --call "sip:{dial}@127.0.0.1:$DPORT" \
    --from "sip:+15550199@127.0.0.1" -- -h "" -t 5550100 "$W"/doc-1.pbm "$W"/doc-2.pbm "$W"/doc-3.pbm
ok $EFAX_RC "efax -> faxgate: efax sends and exits 0 (${SECS} s)"
is "$FM_RC" 0 "efax -> faxgate: faxmodem saw the call answered and ended by BYE"
R=$W/recv.result
is "$(field "$R" direction) $(field "$R" codec) $(field "$R" t38_refused) $(field "$R" ended)" \
    "out PCMU 1 remote" "efax -> faxgate: faxmodem called, PCMU, the dialer asked for T.38 once (488), hung up"
CALL=$(field "$R" call_id)
wait_until 10 eval '[ -n "$(sql "SELECT id FROM inbound WHERE call_id = '"'$CALL'"'")" ]'
ID=$(sql "SELECT id FROM inbound WHERE call_id = '$CALL'")
is "$(sql "SELECT did || ' ' || caller || ' ' || remote_ident || ' ' || outcome || ' ' || pages || ' ' ||
    status || ' ' || transport || ' ' || bit_rate || ' ' || ecm || ' ' || resolution FROM inbound WHERE id = ${ID:-0}")" \
    "5550100 +15550199 +1 555 0199 ok 3 2.0.0 g711 14400 0 204x196" \
    "efax -> faxgate: the store has the fax: DID, caller, efax's TSI, 3 pages, ok, g711, 14400, no ECM, fine"
"$FAXGATE_BUILD/faxgatectl" -c "$W/faxgate.conf" inbound tiff "${ID:-0}" "$W/got.tif" >/dev/null 2>&1
is "$(tiff_pages "$W/got.tif")" 3 "efax -> faxgate: faxgatectl inbound tiff gives 3 pages"
efax_check_got "$W/got.tif"
# A wrong page must not compare equal (the comparisons can fail).
efax_check_differ

dialer_stop; ok $? "the dialer stops cleanly"
done_testing
