#!/bin/bash
# The onramp end to end: faxgate A (an offramp: Postfix, milter, dialer)
# faxes over SIP to faxgate B (an onramp: dialer answering, faxgate-onramp
# mailing through the same Postfix). A DID-mapped fax becomes mail with a
# Profile S TIFF equal to the pages A sent and a PDF; DTMF addressing
# (sent by A from the /DTMF= qualifier) direct, indirect to three
# addresses, with credentials, over RFC 4733 and in-band; refusals (wrong
# password, unknown index, caller ID not allowed, no digits) send nothing
# and end with SIP 403 before the answer or T.30 DCN after the digits;
# a direct number routed to the offramp domain goes back through Postfix
# and the milter as a new fax: fax in, fax out; a call cut after page 2
# of 3 is mailed with 2 pages, marked incomplete.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Postfix"
for c in tiffcp tiffinfo qpdf python3; do command -v $c >/dev/null || skip_all "no $c"; done

export MTA_USERS="alice bob carol dave erin frank"
fg_workdir
MPORT=$(free_port)
SPORT=$(free_port)
APORT=$(free_port)
BPORT=$(free_port)
FD=fax.example.test
MB=$((26000 + ($$ % 150) * 200))
mkdir -p "$W/b/store" "$W/b/spool"
chown nobody:nogroup "$W/b/store"
# B's store: SQLite, or with PostgreSQL (t/82) a database of its own. The
# onramp never polls ([onramp] poll is an hour): B's dialer wakes it when
# it has stored a fax, through [onramp] socket on SQLite and through the
# store's NOTIFY alone on PostgreSQL, as for an onramp on another host.
if [ "${FAXGATE_TEST_STORE:-}" = pg ]; then
	B_STORE="postgresql:${FAXGATE_TEST_PG_DSN_B:?B needs a database of its own}"
	B_WAKE=onramp.socket=
	bsql() { psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 "$FAXGATE_TEST_PG_DSN_B" -c "$1"; }
else
	B_STORE="sqlite:$W/b/store/faxgate.db"
	B_WAKE="onramp.socket=$W/b/onramp.sock"
	bsql() { sqlite3 -batch -noheader "$W/b/store/faxgate.db" "$1"; }
fi

a_conf() {
	fg_conf "$W/a.conf" dialer.driver=sip "sip.listen=sip:127.0.0.1:$APORT" \
	    "sip.trunk=sip:{dial}@127.0.0.1:$BPORT" "sip.from=sip:+12025550000@127.0.0.1" \
	    "sip.media_ports=$MB-$((MB + 99))" sip.inbound=no sip.speed=4 sip.t38_reinvite_delay=500 \
	    sip.dtmf_delay=1000 sip.jitter_buffer=320 "notices.sendmail_config=$W/pf/conf" retry.max_attempts=1 "$@"
}
b_conf() {
	fg_conf "$W/b.conf" "general.store=$B_STORE" \
	    "general.dialer_socket=$W/b/dialer.sock" "dialer.spool=$W/b/spool" \
	    dialer.driver=sip "sip.listen=sip:127.0.0.1:$BPORT" \
	    "sip.trunk=sip:{dial}@127.0.0.1:$APORT" "sip.media_ports=$((MB + 100))-$((MB + 199))" \
	    sip.speed=4 sip.jitter_buffer=320 sip.dtmf_first_timeout=4000 sip.dtmf_inter_timeout=3000 \
	    "sip.inbound_ident=+1 555 0100" "notices.sendmail_config=$W/pf/conf" \
	    onramp.domain=onramp.faxgate.test onramp.poll=3600 onramp.retry=1 "$B_WAKE" "$@"
}
b_start() {
	"$FAXGATE_BUILD/faxgate-dialer" -f -c "$W/b.conf" >>"$W/b/dialer.log" 2>&1 &
	B_PID=$!
	on_exit "kill -9 $B_PID"
	wait_until 10 grep -qs 'start: store' "$W/b/dialer.log" || bail "dialer B did not start"
}
ctl() { "$FAXGATE_BUILD/faxgatectl" -c "$W/b.conf" "$@"; }
box() { postfix_mailbox "$W/pf" "$1@sender.test"; }
mails() { maildir_count "$(box "$1")"; }
# fax NUMBER-AND-QUALIFIERS MSGID [PDF] - mail a PDF to FAX=...@FD
fax() {
	smtp_send "$SPORT" <<SMTP
MAIL FROM:<alice@sender.test>
RCPT TO:<FAX=$1@$FD>
DATA
Subject: onramp $2
Message-ID: <$2@t>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: application/pdf; name="doc.pdf"
Content-Transfer-Encoding: base64

$(base64 "${3:-$W/fx/two.pdf}")
--b--
.
SMTP
}
render_of() { echo "$W/spool/render-$(job_field "$1" message).tif"; }
# attachment MAILFILE DIR - unpack the attachments of a mail into DIR
attachment() {
	mkdir -p "$2"
	python3 -c 'import email, sys, os
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for p in m.walk():
    n = p.get_filename()
    if n and not p.is_multipart():
        open(os.path.join(sys.argv[2], os.path.basename(n)), "wb").write(p.get_payload(decode=True))
        print(os.path.join(sys.argv[2], os.path.basename(n)))' "$1" "$2"
}
# same_pages A B N - the first N pages of two TIFFs equal, pixel for pixel
same_pages() {
	tiffcp -c none "$1" "$W/cmp-a.tif" 2>/dev/null && tiffcp -c none "$2" "$W/cmp-b.tif" 2>/dev/null || return 2
	for p in $(seq 1 "$3"); do page_same "$W/cmp-a.tif" "$p" "$W/cmp-b.tif" "$p" || return 1; done
}

fixtures
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -o "$W/fx/one.pdf" \
    -c "/Helvetica findfont 48 scalefont setfont 100 600 moveto (one) show showpage" >/dev/null
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -o "$W/fx/three.pdf" \
    -c "/Helvetica findfont 48 scalefont setfont 1 1 3 { 100 600 moveto 20 string cvs show showpage } for" >/dev/null
a_conf
b_conf
milter_start "$W/a.conf" "$MPORT"
postfix_start "$W/pf" "$SPORT" "inet:127.0.0.1:$MPORT"
b_start
out=$( {
	ctl did add 15550100 alice@sender.test
	ctl did add 15550101 alice@sender.test --dtmf
	ctl did add 15550102 alice@sender.test --policy credentials --dtmf
	ctl did add 15550103 alice@sender.test --policy callerid
	ctl caller add '+1703*' --did 15550103
	ctl did add 15550200 carol@sender.test
	ctl index add 12 bob@sender.test dave@sender.test erin@sender.test
	ctl index add 13 frank@sender.test
	ctl route add default "$FD"
	echo 123456 | ctl user add 4711
} 2>&1)
is "$(grep -c added <<<"$out")" 10 "B's onramp tables are set with faxgatectl"
like "$(ctl did list)" '15550102 +credentials +yes +alice@sender\.test' "did list shows policy and DTMF"
like "$(ctl index list)" '12 +bob@sender\.test dave@sender\.test erin@sender\.test' "index list"
like "$(ctl route list)" "default +$FD" "route list: the default route"
like "$(ctl caller list)" 'callerid +15550103 +\+1703\*' "caller list"
is "$(ctl --json user list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["name"])')" 4711 \
    "user list --json: the user, never the hash"
! ctl --json user list | grep -qi 'hash\|salt'; ok $? "no hash or salt in the output"
"$FAXGATE_BUILD/faxgate-onramp" -f -c "$W/b.conf" >>"$W/b/onramp.log" 2>&1 &
ONRAMP=$!
on_exit "kill -9 $ONRAMP"
wait_until 10 grep -q 'start:' "$W/b/onramp.log" || bail "faxgate-onramp did not start"
if [ "${FAXGATE_TEST_STORE:-}" = pg ]; then want=notify; else want=$W/b/onramp.sock; fi
like "$(grep -m1 'start:' "$W/b/onramp.log")" "poll=3600s, wake=$want," \
    "the onramp waits to be woken ($want), never polls"
dialer_start "$W/a.conf"

# --- a DID-mapped fax: mail to alice with a Profile S TIFF and a PDF
like "$(fax +15550100 did)" '^250 2\.0\.0' "did: mail accepted by A"
J=$(job_of +15550100)
wait_state "$J" done 120; is "$(job_field "$J" state)" done "did: A's fax was delivered"
maildir_wait "$(box alice)" 1 60; ok $? "did: alice got mail from the onramp"
M=$(ls "$(box alice)"/new/* | head -1)
like "$(grep -m1 '^From:' "$M")" 'FAX=\+12025550000@onramp\.faxgate\.test' "did: From is the caller at the onramp domain"
files=$(attachment "$M" "$W/m-did")
T=$(grep '\.tif$' <<<"$files"); P=$(grep '\.pdf$' <<<"$files")
is "$(tiff_pages "$T")" 2 "did: the TIFF has both pages"
is "$(tiffinfo "$T" 2>/dev/null | grep -c 'Compression Scheme: CCITT Group 3$')" 2 "did: Profile S (MH) on every page"
is "$(tiffinfo "$T" 2>/dev/null | grep -c 'Image Width: 1728 ')" 2 "did: 1728 wide"
same_pages "$(render_of "$J")" "$T" 2; ok $? "did: the pages equal what A sent, pixel for pixel"
is "$(qpdf --show-npages "$P" 2>/dev/null)" 2 "did: the PDF has 2 pages"

# --- DTMF direct (RFC 4733): the number is routed back to the offramp
# domain, through Postfix and A's milter: a new fax, to DID 15550200
like "$(fax '+15550101/T33S=77/DTMF=15550200#' direct)" '^250 2\.0\.0' "direct: mail accepted (with a T.33 subaddress)"
J=$(job_of +15550101)
wait_state "$J" done 120; is "$(job_field "$J" state)" done "direct: A's fax with DTMF was delivered"
grep -q 'dtmf=collected, digits=15550200#, end=terminated, via=rfc4733, decision=accept' "$W/b/dialer.log"
ok $? "direct: B collected the digits and accepted"
wait_until 60 eval '[ -n "$(job_of +15550200)" ]'
ok $? "direct: the onramp's mail to FAX=+15550200@$FD became a new job at A"
J2=$(job_of +15550200)
is "$(job_field "${J2:-0}" subaddress)" 77 "direct: the sender's T.33 subaddress (SUB) was carried on: FAX=+15550200/T33S=77"
wait_state "${J2:-0}" done 120; is "$(job_field "${J2:-0}" state)" done "direct: and was faxed on"
maildir_wait "$(box carol)" 1 60; ok $? "direct: fax in, fax out, mail in: carol (DID 15550200) got it"
T=$(attachment "$(ls "$(box carol)"/new/* | head -1)" "$W/m-direct" | grep '\.tif$')
is "$(tiff_pages "$T")" 2 "direct: 2 pages (the offramp got the TIFF only, no PDF to fax twice)"
same_pages "$(render_of "$J")" "$T" 2; ok $? "direct: still the same pages, pixel for pixel"

# --- DTMF indirect, in-band, to three addresses
dialer_stop; a_conf sip.dtmf_mode=inband; dialer_start "$W/a.conf"
like "$(fax '+15550101/DTMF=*12#' indirect)" '^250 2\.0\.0' "indirect: mail accepted"
J=$(job_of +15550101)
wait_state "$J" done 120; is "$(job_field "$J" state)" done "indirect: delivered"
maildir_wait "$(box bob)" 1 60 && maildir_wait "$(box dave)" 1 30 && maildir_wait "$(box erin)" 1 30
ok $? "indirect (in-band): bob, dave and erin each got it"
grep -q 'digits=\*12#, end=terminated, via=inband, decision=accept' "$W/b/dialer.log"; ok $? "indirect: digits read in-band"

# --- credentials
like "$(fax '+15550102/DTMF=*13*4711*123456#' creds)" '^250 2\.0\.0' "credentials: mail accepted"
J=$(job_of +15550102)
wait_state "$J" done 120; is "$(job_field "$J" state)" done "credentials: delivered"
maildir_wait "$(box frank)" 1 60; ok $? "credentials: frank (index 13) got it"
! bsql "SELECT dtmf FROM inbound" | grep -q 123456; ok $? "credentials: the password is not stored"

# --- direct number with credentials: routed on to the offramp
before=$(mails carol)
like "$(fax '+15550102/DTMF=15550200*4711*123456#' direct-creds)" '^250 2\.0\.0' "direct+credentials: mail accepted"
J=$(job_of +15550102)
wait_state "$J" done 120; is "$(job_field "$J" state)" done "direct+credentials: delivered"
maildir_wait "$(box carol)" $((before + 1)) 120; ok $? "direct+credentials: relayed through the offramp to carol"

# --- every addressing form the other way too: direct in-band, then
# indirect, indirect with credentials and direct with credentials as
# RFC 4733 events (one page each: the digits are what is tested)
accepted() {	# accepted NAME ADDRESS DIGITS VIA
	local j n0
	n0=$(($(wc -l <"$W/b/dialer.log") + 1))
	like "$(fax "$2" "$1" "$W/fx/one.pdf")" '^250 2\.0\.0' "$1: mail accepted"
	j=$(job_of "${2%%/*}")
	wait_state "$j" done 120; is "$(job_field "$j" state)" done "$1: delivered"
	like "$(tail -n +"$n0" "$W/b/dialer.log" | grep 'dtmf=collected')" \
	    "digits=$3, end=terminated, via=$4, decision=accept" "$1: B read $3 as $4 and accepted"
}
before=$(mails carol)
accepted direct-inband '+15550101/DTMF=15550200#' '15550200#' inband
maildir_wait "$(box carol)" $((before + 1)) 120; ok $? "direct-inband: relayed through the offramp to carol"
dialer_stop; a_conf sip.dtmf_mode=rfc4733; dialer_start "$W/a.conf"
before="$(mails bob) $(mails dave) $(mails erin) $(mails frank) $(mails carol)"
accepted indirect-4733 '+15550101/DTMF=*12#' '\*12#' rfc4733
accepted creds-4733 '+15550102/DTMF=*13*4711*123456#' '\*13\*4711\*123456#' rfc4733
accepted direct-creds-4733 '+15550102/DTMF=15550200*4711*123456#' '15550200\*4711\*123456#' rfc4733
read -r b d e f c <<<"$before"
maildir_wait "$(box bob)" $((b + 1)) 60 && maildir_wait "$(box dave)" $((d + 1)) 30 &&
    maildir_wait "$(box erin)" $((e + 1)) 30
ok $? "indirect-4733: bob, dave and erin each got it"
maildir_wait "$(box frank)" $((f + 1)) 60; ok $? "creds-4733: frank got it"
maildir_wait "$(box carol)" $((c + 1)) 120; ok $? "direct-creds-4733: relayed through the offramp to carol"

# --- refusals: nothing is sent
refused() {	# refused NAME ADDRESS REASON-REGEX [answered]
	local j before last n0
	n0=$(($(wc -l <"$W/b/dialer.log") + 1))
	before=$(bsql "SELECT count(*) FROM inbound WHERE state = 'mailed'")
	last=$(bsql "SELECT coalesce(max(id), 0) FROM inbound")
	like "$(fax "$2" "$1")" '^250 2\.0\.0' "$1: mail accepted"
	j=$(job_of "${2%%/*}")
	wait_state "$j" failed 120; is "$(job_field "$j" state)" failed "$1: A's fax failed"
	like "$(grep -E 'status=refused|decision=refuse' "$W/b/dialer.log" | tail -1)" "$3" "$1: B logged why"
	if [ -n "${4:-}" ]; then
		# answered, then refused: the call is stored, and the onramp
		# marks it failed instead of mailing it
		wait_until 30 eval "[ \"\$(bsql \"SELECT state FROM inbound WHERE id > $last\")\" = failed ]"
		like "$(bsql "SELECT state || ' ' || decision FROM inbound WHERE id > $last")" "^failed refuse" \
		    "$1: stored with the refusal, not mailed"
		# RFC 4161 3.1, a clear end: B's T.30 answers the caller's
		# DCS with DCN, which A reads as a refusal (no fallback)
		wait_until 10 eval "tail -n +$n0 \"\$W/b/dialer.log\" | grep -q t30=refused"
		like "$(tail -n +"$n0" "$W/b/dialer.log" | grep t30=refused)" 'error=T30_ERR_PWD_UNACCEPTABLE' \
		    "$1: B's T.30 refused the document with DCN"
		is "$(sql "SELECT error_code FROM attempts WHERE job = $j")" T30_ERR_TX_GOTDCN \
		    "$1: A's T.30 got DCN before the transfer"
	else
		is "$(bsql "SELECT count(*) FROM inbound WHERE id > $last")" 0 "$1: refused before the answer, nothing stored"
	fi
	is "$(bsql "SELECT count(*) FROM inbound WHERE state = 'mailed'")" "$before" "$1: nothing was mailed"
}
refused badpass '+15550102/DTMF=*13*4711*999999#' 'credentials_bad' answered
refused noindex '+15550101/DTMF=*99#' 'no_such_index' answered
refused callerid '+15550103' 'caller_not_allowed'
is "$(sql "SELECT error_text FROM attempts WHERE job = $(job_of +15550103)")" "SIP 403 Forbidden" \
    "callerid: refused before the answer (403)"
refused nodigits '+15550101' 'dtmf_timeout' answered

# --- cut after page 2 of 3: mailed with 2 pages, marked incomplete
dialer_stop; a_conf; dialer_start "$W/a.conf"
before=$(mails alice)
like "$(fax +15550100 partial "$W/fx/three.pdf")" '^250 2\.0\.0' "partial: mail accepted"
J=$(job_of +15550100)
wait_until 180 eval "[ \"\$(job_field $J pages_confirmed)\" -ge 2 ]"; ok $? "partial: 2 pages confirmed"
dialer_stop	# hangs up in the middle of page 3
ok $? "partial: A stops cleanly, hanging up in the middle of a page"
maildir_wait "$(box alice)" $((before + 1)) 90; ok $? "partial: alice got a mail"
M=$(ls -tr "$(box alice)"/new/* | tail -1)
like "$(grep -m1 '^Subject:' "$M")" 'incomplete' "partial: its subject says incomplete"
T=$(attachment "$M" "$W/m-partial" | grep '\.tif$')
is "$(tiff_pages "$T")" 2 "partial: with the 2 pages that arrived"

kill -TERM "$B_PID" 2>/dev/null
wait_until 20 eval '! kill -0 $B_PID 2>/dev/null'
wait "$B_PID"; ok $? "B stops cleanly"
kill -TERM "$ONRAMP" 2>/dev/null
wait_until 20 eval '! kill -0 $ONRAMP 2>/dev/null'
wait "$ONRAMP"; ok $? "faxgate-onramp stops cleanly"
done_testing
