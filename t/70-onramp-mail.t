#!/bin/bash
# The onramp: faxes received from the phone side (rows of table inbound,
# written here with sqlite3 as the dialer would) become mail through a
# real Postfix. The tables are set up with faxgatectl; faxgate-onramp
# runs as a daemon woken through its socket ([onramp] poll is an hour, so
# nothing here is found by polling). The mails are read back from the
# Maildirs: headers, the text part's fields, the TIFF (Profile S, pixel
# for pixel) and the PDF; refusals, a fax without pages, a decision made
# at call time, a direct number mailed to its offramp (the envelope
# recipient in Postfix's delivery), and an MTA outage.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Postfix"
for c in gs tiffcp tiffinfo tiffsplit tiffcmp tiff2pdf qpdf sqlite3 python3; do
	command -v $c >/dev/null || skip_all "no $c (contrib/install-deps)"
done
[ -x "$FAXGATE_BUILD/faxgate-onramp" ] || skip_all "faxgate-onramp not built"

export MTA_USERS="alice bob carol dave erin frank grace heidi"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3	# a version manager's shim costs a second a call
fg_workdir
SPORT=$(free_port)
CTL="$FAXGATE_BUILD/faxgatectl"

# A second mail domain, offramp.test, stands for the offramp the routes
# name: whatever is addressed there lands in one Maildir, "offramp", with
# the envelope recipient in Delivered-To.
boxes=""
for u in $MTA_USERS postmaster; do boxes+="${boxes:+, }$u@sender.test=$u/Maildir/"; done
export POSTFIX_MAIN_EXTRA="virtual_mailbox_domains = sender.test, offramp.test
virtual_mailbox_maps = inline:{ $boxes, @offramp.test=offramp/Maildir/ }
transport_maps = inline:{ { fax.example.test = faxhold:[127.0.0.1]:9 }, { bounces.faxgate.test = faxbounce: } }"
# The onramp's envelope sender, fax-bounces@bounces.faxgate.test, is piped
# into faxgatectl inbound bounce, as README's onramp section shows.
export POSTFIX_MASTER_EXTRA="faxbounce/unix=faxbounce unix - n n - - pipe flags=q user=nobody argv=$CTL -c $W/faxgate.conf inbound bounce"
postfix_start "$W/pf" "$SPORT" || bail "Postfix did not start"

# sendmail(8) as faxgate-onramp runs it; down while $W/mta-down exists.
cat >"$W/sendmail" <<SH
#!/bin/sh
[ -e "$W/mta-down" ] && { echo "sendmail: simulated MTA outage" >&2; exit 75; }
exec /usr/sbin/sendmail "\$@"
SH
chmod 755 "$W/sendmail"
fg_conf "$W/faxgate.conf" "notices.sendmail=$W/sendmail" "notices.sendmail_config=$W/pf/conf" \
    onramp.domain=onramp.faxgate.test onramp.poll=3600 onramp.retry=1 onramp.alert_after=3 \
    "onramp.socket=$W/onramp.sock" onramp.envelope_from=fax-bounces@bounces.faxgate.test

# --- fixtures: received pages as the dialer stores them
mkdir -p "$W/fx"
ps='/Helvetica findfont 40 scalefont setfont'
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=tiffg4 -r204x196 -g1728x2292 -o "$W/fx/fine3.tif" \
    -c "$ps 72 2000 moveto (fine page 1 of 3) show showpage
        72 1800 moveto (fine page 2 of 3) show 100 100 moveto 1600 2100 lineto stroke showpage
        72 1600 moveto (fine page 3 of 3) show showpage" >/dev/null || bail "gs fine3"
for p in 1 2; do
	gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=tiffg3 -r204x98 -g1728x1146 -o "$W/fx/std$p.tif" \
	    -c "$ps 72 900 moveto (standard page $p) show showpage" >/dev/null || bail "gs std$p"
done
# Two single pages joined by tiffcp into one T.4 2-D file, as another fax
# machine might have sent them.
tiffcp -c g3:2d "$W/fx/std1.tif" "$W/fx/std2.tif" "$W/fx/std2p.tif" || bail "tiffcp"
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=tiffg4 -r204x196 -g2048x2800 -o "$W/fx/b4.tif" \
    -c "$ps 72 2500 moveto (a B4 page, wider than a fax line) show showpage" >/dev/null || bail "gs b4"
is "$(tiff_pages "$W/fx/fine3.tif") $(tiff_pages "$W/fx/std2p.tif") $(tiff_pages "$W/fx/b4.tif")" \
    "3 2 1" "fixtures: a 3-page G4 fine fax, a 2-page T.4 standard fax, a B4 page"

# The store, made by the mailer's first (empty) run, then the tables.
"$FAXGATE_BUILD/faxgate-onramp" -1 -c "$W/faxgate.conf" >>"$W/onramp.log" 2>&1 ||
    bail "faxgate-onramp -1 could not create the store"
# The bounce pipe runs as nobody: the store is theirs (SQLite gives the
# files it makes as root to the database's owner).
chown -R nobody:nogroup "$W/store"
ctl() { "$CTL" -c "$W/faxgate.conf" "$@"; }
out=$( {
	ctl did add +12025550100 alice@sender.test bob@sender.test
	ctl did add +12025550101 carol@sender.test --policy callerid
	ctl caller add '+1703*' --did +12025550101
	ctl did add +12025550102 dave@sender.test --dtmf
	ctl did add +12025550103 frank@sender.test --policy credentials --dtmf
	ctl did add +12025550104 heidi@sender.test
	ctl index add 12 erin@sender.test +442079460000
	ctl route add 44 offramp.test
	echo 123456 | ctl user add 4711
} 2>&1)
is "$out" "did +12025550100 added
did +12025550101 added
caller +1703* added
did +12025550102 added
did +12025550103 added
did +12025550104 added
index 12 added
route 44 added
user 4711 added" "faxgatectl: DIDs, a caller, an index, a route and a user"
is "$(sql 'SELECT count(*) FROM users WHERE length(hash) = 32 AND length(salt) = 16')" 1 \
    "the password is stored as a salted hash only"
! sql "SELECT hex(hash) || hex(salt) || name FROM users" | grep -q 123456
ok $? "no trace of the password in the table"

# fax COLUMNS VALUES - insert a received fax with sqlite3, print its id
fax() {
	sql "INSERT INTO inbound (received_at, ended_at, channel, call_id, $1)
	     VALUES (1700000000, 1700000095, 'sip/1', 'call-$RANDOM', $2); SELECT last_insert_rowid();"
}
wake() {
	$PY -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"w", sys.argv[1])' "$W/onramp.sock"
}
state() { sql "SELECT state FROM inbound WHERE id = $1"; }
wait_state() { wait_until "${3:-30}" eval "[ \"\$(state $1)\" = \"$2\" ]"; }
box() { postfix_mailbox "$W/pf" "$1@sender.test"; }
# mail_of BOX N - the Nth message delivered to BOX, oldest first
mail_of() { ls -tr "$1"/new/* 2>/dev/null | sed -n "${2:-1}p"; }
# hdr FILE NAME - a header, decoded
hdr() {
	$PY -c 'import email, email.header, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
v = m.get(sys.argv[2])
print(str(email.header.make_header(email.header.decode_header(v))) if v is not None else "")' "$1" "$2"
}
# unpack FILE DIR - the text part as DIR/text.txt, attachments by name
unpack() {
	mkdir -p "$2"
	$PY -c 'import email, sys, os
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for p in m.walk():
    if p.is_multipart():
        continue
    name = p.get_filename() or ("text.txt" if p.get_content_type() == "text/plain" else None)
    if name:
        open(os.path.join(sys.argv[2], os.path.basename(name)), "wb").write(p.get_payload(decode=True))
    print(p.get_content_type(), p.get("Content-Type").split(";", 1)[1].strip() if ";" in p.get("Content-Type") else "", name)
' "$1" "$2"
}

: >"$W/onramp.log"
"$FAXGATE_BUILD/faxgate-onramp" -f -c "$W/faxgate.conf" >>"$W/onramp.log" 2>&1 &
ONRAMP_PID=$!
on_exit "kill -9 $ONRAMP_PID"
wait_until 10 grep -q "start: store=.*wake=$W/onramp.sock" "$W/onramp.log" ||
    { cat "$W/onramp.log" >&2; bail "faxgate-onramp did not start"; }

# --- a complete 3-page fine fax to an open DID: two recipients
F1=$(fax "did, caller, remote_ident, pages, bytes, resolution, outcome, status, tiff" \
    "'+12025550100', '+17035550123', 'ACME FAX  ', 3, 61234, '204x196', 'ok', '2.0.0', readfile('$W/fx/fine3.tif')")
wake
wait_state "$F1" mailed
is "$(state "$F1")" mailed "fax $F1: mailed"
maildir_wait "$(box alice)" 1 20 && maildir_wait "$(box bob)" 1 20
ok $? "alice and bob each get it"
M=$(mail_of "$(box alice)")
is "$(hdr "$M" From)" "FAX=+17035550123@onramp.faxgate.test" "From: FAX=+caller@[onramp] domain"
is "$(hdr "$M" To)" "alice@sender.test, bob@sender.test" "To: both recipients"
is "$(hdr "$M" Subject)" 'Fax from +17035550123 (TSI "ACME FAX"), 3 pages' "Subject: caller, TSI, pages"
like "$(hdr "$M" Date)" '^[A-Z][a-z][a-z], [0-9]+ [A-Z][a-z][a-z] 20[0-9][0-9] ' "Date: present"
is "$(hdr "$M" Message-ID)" "<faxgate.inbound.$F1.1700000000@gw.faxgate.test>" "Message-ID: from the fax"
is "$(hdr "$M" Auto-Submitted)" "auto-generated" "Auto-Submitted: auto-generated"
like "$(hdr "$M" Content-Type)" '^multipart/mixed' "multipart/mixed"
parts=$(unpack "$M" "$W/m1")
is "$(awk '{print $1}' <<<"$parts" | tr '\n' ' ')" "text/plain image/tiff application/pdf " \
    "parts: text, TIFF, PDF"
like "$parts" "image/tiff name=fax-$F1.tif; application=faxbw fax-$F1.tif" "the TIFF: application=faxbw, a file name"
T="$W/m1/fax-$F1.tif"
info=$(tiffinfo "$T" 2>&1)
is "$(tiff_pages "$T")" 3 "the TIFF has the 3 pages"
is "$(grep -c 'Compression Scheme: CCITT Group 3$' <<<"$info")" 3 "every page: Compression 3 (CCITT Group 3)"
is "$(grep -c 'Group 3 Options: (0 = 0x0)' <<<"$info")" 3 "every page: T4Options 0 (1-D, MH)"
is "$(grep -c 'Image Width: 1728 ' <<<"$info")" 3 "every page: 1728 wide"
is "$(grep -c 'Resolution: 204, 196 pixels/inch' <<<"$info")" 3 "every page: 204x196 dpi"
is "$(grep -c 'FillOrder: lsb-to-msb' <<<"$info")" 3 "every page: FillOrder 2"
is "$(grep -c 'Photometric Interpretation: min-is-white' <<<"$info")" 3 "every page: white is zero"
like "$info" 'TIFF Directory at offset 0x8 \(8\)' "the first IFD at offset 8 (Profile S)"
is "$(head -c 2 "$T")" "II" "byte order II"
same=0
for p in 1 2 3; do page_same "$W/fx/fine3.tif" $p "$T" $p || same=$p; done
is "$same" 0 "every page equals the stored page pixel for pixel"
! page_same "$W/fx/fine3.tif" 1 "$T" 2
ok $? "(and the comparison does tell different pages apart)"
is "$(qpdf --show-npages "$W/m1/fax-$F1.pdf")" 3 "the PDF has 3 pages"
txt=$(cat "$W/m1/text.txt")
for f in "Start of reception: +Tue, 14 Nov 2023 22:13:20 \+0000" \
    "End of reception: +Tue, 14 Nov 2023 22:14:55 \+0000" "Pages received: +3" \
    "Bytes received: +61234" "Resolution: +204x196" "Caller: +\+17035550123" \
    "Station ID \(TSI\): +ACME FAX" "Number dialled: +\+12025550100" \
    "Recipients: +alice@sender.test bob@sender.test" "Mailed: +[A-Z]" "Attempts: +1" \
    "Status: +complete \(2\.0\.0\)"; do
	like "$txt" "^  $f" "text part: ${f%%:*}"
done
unlike "$txt" "incomplete" "a complete fax is not called incomplete"
is "$(sql "SELECT targets || ' | ' || decision FROM inbound WHERE id = $F1")" \
    "alice@sender.test bob@sender.test | allow ok: DID +12025550100, policy open, the DID's addresses: 2 recipients" \
    "store: the decision and targets recorded"
ok "$([ -n "$(sql "SELECT mailed_at FROM inbound WHERE id = $F1")" ] && echo 0 || echo 1)" "store: mailed_at set"
like "$(grep "inbound=$F1: status=mailed" "$W/onramp.log")" \
    "from=<FAX=\+17035550123@onramp.faxgate.test>, to=<alice@sender.test>,<bob@sender.test>, did=\+12025550100, caller=\+17035550123, tsi=\"ACME FAX  \", start=2023-11-14T22:13:20Z, end=2023-11-14T22:14:55Z, pages=3, bytes=61234, resolution=204x196, outcome=ok, mailed=[-0-9T:]+Z, attempts=1, message_id=<faxgate.inbound.$F1.1700000000@gw.faxgate.test>" \
    "one log line with the RFC 4161 3.2 fields"

# --- a partial fax without caller ID: standard resolution, "incomplete"
F2=$(fax "did, caller, pages, bytes, resolution, outcome, status, error_code, error_text, tiff" \
    "'+12025550100', '', 2, 30000, '204x98', 'partial', '4.4.2', 'T30_ERR_RX_NOCARRIER', 'carrier lost', readfile('$W/fx/std2p.tif')")
wake
wait_state "$F2" mailed
maildir_wait "$(box alice)" 2 20
M=$(mail_of "$(box alice)" 2)
is "$(hdr "$M" From)" "fax-noreply@onramp.faxgate.test" "no caller ID: From is [onramp] from_no_caller"
is "$(hdr "$M" Subject)" "Fax from unknown caller, 2 pages, incomplete" "Subject says incomplete"
unpack "$M" "$W/m2" >/dev/null
txt=$(cat "$W/m2/text.txt")
like "$txt" "incomplete: the call ended after 2 pages" "text: incomplete after 2 pages"
like "$txt" "Error: +T30_ERR_RX_NOCARRIER: carrier lost" "text: the error"
info=$(tiffinfo "$W/m2/fax-$F2.tif" 2>&1)
is "$(grep -c 'Resolution: 204, 98 pixels/inch' <<<"$info") $(grep -c 'Group 3 Options: (0 = 0x0)' <<<"$info")" \
    "2 2" "standard resolution kept (204x98), MH"
page_same "$W/fx/std2p.tif" 1 "$W/m2/fax-$F2.tif" 1 && page_same "$W/fx/std2p.tif" 2 "$W/m2/fax-$F2.tif" 2
ok $? "T.4 2-D pages arrive as MH, pixel for pixel"
is "$(qpdf --show-npages "$W/m2/fax-$F2.pdf")" 2 "its PDF has 2 pages"

# --- a B4 page: scaled down to a fax line
F3=$(fax "did, caller, pages, outcome, tiff" "'+12025550104', '+17035550123', 1, 'ok', readfile('$W/fx/b4.tif')")
wake
wait_state "$F3" mailed
maildir_wait "$(box heidi)" 1 20
unpack "$(mail_of "$(box heidi)")" "$W/m3" >/dev/null
info=$(tiffinfo "$W/m3/fax-$F3.tif" 2>&1)
like "$info" "Image Width: 1728 Image Length: 2363" "a 2048-pixel B4 page becomes 1728 wide, scaled in proportion"
like "$info" "Compression Scheme: CCITT Group 3" "  still MH"

# --- refusals: not mailed, "failed" with the reason
F4=$(fax "did, caller, pages, outcome, tiff" "'+12025550101', '+12125550000', 3, 'ok', readfile('$W/fx/fine3.tif')")
F5=$(fax "did, caller, pages, outcome, dtmf, tiff" "'+12025550102', '+17035550123', 3, 'ok', '33140000000#', readfile('$W/fx/fine3.tif')")
F6=$(fax "did, caller, pages, outcome, dtmf, tiff" "'+12025550103', '+17035550123', 3, 'ok', '*12*4711*999999#', readfile('$W/fx/fine3.tif')")
F7=$(fax "did, caller, pages, outcome, tiff" "'+19995550000', '+17035550123', 3, 'ok', readfile('$W/fx/fine3.tif')")
F8=$(fax "did, caller, pages, outcome, targets, decision, tiff" "'+12025550100', '+17035550123', 3, 'ok', NULL, 'refuse credentials_bad: decided at call time', readfile('$W/fx/fine3.tif')")
F9=$(fax "did, caller, pages, outcome, error_code" "'+12025550100', '+17035550123', 0, 'failed', 'T30_ERR_RX_NOCARRIER'")
wake
for f in $F4 $F5 $F6 $F7 $F8 $F9; do wait_state "$f" failed; done
is "$(sql "SELECT mail_error FROM inbound WHERE id = $F4")" \
    "refuse caller_not_allowed: caller +12125550000 is not allowed on DID +12025550101" \
    "caller ID not allowed: failed, with the reason"
is "$(sql "SELECT mail_error FROM inbound WHERE id = $F5")" \
    "refuse no_route: no offramp route for +33140000000" "a direct number without a route"
is "$(sql "SELECT mail_error FROM inbound WHERE id = $F6")" \
    "refuse credentials_bad: user 4711: unknown user or wrong password" "a wrong password"
is "$(sql "SELECT mail_error FROM inbound WHERE id = $F7")" \
    "refuse no_such_number: +19995550000 is not a fax number of this gateway" "an unknown DID"
is "$(sql "SELECT mail_error FROM inbound WHERE id = $F8")" \
    "refuse credentials_bad: decided at call time" "a refusal decided at call time is kept"
is "$(sql "SELECT mail_error FROM inbound WHERE id = $F9")" \
    "no page was received: nothing to mail" "a fax without pages"
is "$(sql "SELECT count(*) FROM auth_failures WHERE caller = '+17035550123'")" 1 "the failed login is counted"
grep -q "inbound=$F4: status=refused, did=+12025550101, caller=+12125550000" "$W/onramp.log"
ok $? "a refusal is logged with its reason"
postfix_wait_queue_empty "$W/pf" 20
is "$(maildir_count "$(box carol)") $(maildir_count "$(box alice)")" "0 2" "nobody got a refused fax"
run_show=$(ctl inbound show "$F4")
like "$run_show" "decision +refuse caller_not_allowed" "faxgatectl inbound show: the decision"
like "$run_show" "mail error +refuse caller_not_allowed" "  and the mail error"

# --- DTMF addressing: a direct number to its offramp, an index
F10=$(fax "did, caller, pages, outcome, dtmf, tiff" "'+12025550102', '+17035550123', 3, 'ok', '442079460000#', readfile('$W/fx/fine3.tif')")
F11=$(fax "did, caller, pages, outcome, dtmf, tiff" "'+12025550103', '+17035550123', 3, 'ok', '*12*4711*123456#', readfile('$W/fx/fine3.tif')")
wake
wait_state "$F10" mailed && wait_state "$F11" mailed
is "$(state "$F10") $(state "$F11")" "mailed mailed" "a direct number and an index with credentials: mailed"
OFF="$W/pf/mail/offramp/Maildir"
maildir_wait "$OFF" 2 20 && maildir_wait "$(box erin)" 1 20
is "$(maildir_count "$OFF") $(maildir_count "$(box erin)")" "2 1" "the offramp got two, erin one"
is "$(hdr "$(mail_of "$OFF" 1)" Delivered-To)" "FAX=+442079460000@offramp.test" \
    "the direct number: envelope recipient FAX=+442079460000@offramp.test (longest route 44)"
is "$(hdr "$(mail_of "$OFF" 1)" To)" "FAX=+442079460000@offramp.test" "  and To:"
grep -q 'to=<FAX=+442079460000@offramp.test>.*status=sent (delivered to maildir)' "$W/pf/maillog"
ok $? "Postfix's log: delivered to FAX=+442079460000@offramp.test"
is "$(sql "SELECT targets FROM inbound WHERE id = $F11")" \
    "erin@sender.test FAX=+442079460000@offramp.test" "the index: its address, and its number routed"
is "$(hdr "$(mail_of "$(box erin)")" To)" "erin@sender.test, FAX=+442079460000@offramp.test" "  both in To:"
! sql "SELECT dtmf || decision || targets FROM inbound WHERE id = $F11" | grep -q 'decision.*123456'
ok $? "the password is not in the decision"

# --- a decision made at call time is used as it is
F12=$(fax "did, caller, pages, outcome, targets, decision, tiff" "'+19990000000', '+17035550123', 3, 'ok', 'grace@sender.test', 'allow ok: decided by the dialer', readfile('$W/fx/fine3.tif')")
wake
wait_state "$F12" mailed
maildir_wait "$(box grace)" 1 20
ok $? "targets stored at call time are mailed (the DID is not looked up again)"

# --- the MTA is down: retried, then mailed
touch "$W/mta-down"
F13=$(fax "did, caller, pages, outcome, tiff" "'+12025550100', '+17035550123', 3, 'ok', readfile('$W/fx/fine3.tif')")
wake
wait_until 20 eval "[ \"\$(sql 'SELECT mail_tries FROM inbound WHERE id = $F13')\" -ge 1 ]"
# ("mailing" already when a loaded machine got to the retry first)
like "$(sql "SELECT state || ' ' || mail_error FROM inbound WHERE id = $F13")" \
    "^(new|mailing) $W/sendmail failed: sendmail: simulated MTA outage \\(exit 75\\)\$" \
    "a failed injection: due again, the error kept"
grep -q "inbound=$F13: status=deferred, failures=1, retry_in=1s" "$W/onramp.log"
ok $? "logged as deferred, retry in [onramp] retry seconds"
rm -f "$W/mta-down"
wait_state "$F13" mailed 20
is "$(state "$F13")" mailed "after the MTA is back, the retry (found without a poll) mails it"
maildir_wait "$(box alice)" 3 20
is "$(maildir_count "$(box alice)")" 3 "exactly once"
# (a loaded machine may fit a second failure in before the MTA is back)
n=$(grep -c "inbound=$F13: status=deferred" "$W/onramp.log")
like "$(grep "inbound=$F13: status=mailed" "$W/onramp.log")" "attempts=$((n + 1))," \
    "the log counts the attempts ($n failed, then mailed)"

# --- down for good: alerted after [onramp] alert_after failures, then retried by hand
touch "$W/mta-down"
F14=$(fax "did, caller, pages, outcome, tiff" "'+12025550100', '+17035550123', 3, 'ok', readfile('$W/fx/fine3.tif')")
wake
wait_state "$F14" failed 30
is "$(sql "SELECT state || ' ' || mail_tries FROM inbound WHERE id = $F14")" "failed 3" \
    "three failed injections: failed"
grep -q "inbound=$F14: status=alert, failures=3, reason=\"received fax not mailed after 3 attempts: $W/sendmail failed: sendmail: simulated MTA outage (exit 75); it is kept in the store (faxgatectl inbound retry $F14)\"" "$W/onramp.log"
ok $? "and the administrator is alerted in the log"
grep -q "inbound=$F14: status=deferred, failures=2, retry_in=2s" "$W/onramp.log"
ok $? "the second retry waited twice as long"
rm -f "$W/mta-down"
is "$(ctl inbound retry "$F14")" "inbound fax $F14: failed -> new, to be mailed again" "faxgatectl inbound retry"
wake
wait_state "$F14" mailed 20
is "$(state "$F14")" mailed "then it is mailed"
out=$(ctl inbound retry "$F14" 2>&1); rc=$?
is "$rc:$out" "1:faxgatectl: inbound fax $F14 is mailed: only a failed or held fax is mailed again" \
    "retrying a mailed fax: exit 1"

# --- a bounce: the mail of a fax for a mailbox that does not exist comes
# back to [onramp] envelope_from, is piped into faxgatectl inbound bounce
# and recorded against the fax
ctl did add +12025550105 ghost@sender.test >/dev/null
F15=$(fax "did, caller, pages, outcome, tiff" "'+12025550105', '+17035550123', 3, 'ok', readfile('$W/fx/fine3.tif')")
wake
wait_state "$F15" mailed 20
is "$(state "$F15")" mailed "bounce: the fax for ghost@sender.test is mailed (the MTA takes it)"
wait_until 30 eval "[ -n \"\$(sql \"SELECT 1 FROM inbound_bounces WHERE inbound = $F15\")\" ]"
is "$(sql "SELECT recipient || ' ' || action || ' ' || status FROM inbound_bounces WHERE inbound = $F15")" \
    "ghost@sender.test failed 5.1.1" "bounce: Postfix's report is recorded: recipient, action, status"
like "$(sql "SELECT diagnostic FROM inbound_bounces WHERE inbound = $F15")" '[Uu]nknown' \
    "bounce: with the diagnostic"
like "$(ctl inbound show "$F15")" "bounces +ghost@sender\.test failed 5\.1\.1" "bounce: faxgatectl inbound show"
is "$(sql "SELECT bounced FROM inbound_overview WHERE id = $F15")" "ghost@sender.test 5.1.1" \
    "bounce: the inbound_overview view"
# a report about mail this gateway did not send is returned, not dropped
out=$(printf 'From: someone@example.org\nSubject: hello\n\nnot a report\n' | ctl inbound bounce 2>&1); rc=$?
is "$rc:$out" "65:faxgatectl: inbound bounce: not a delivery report (no message/delivery-status part)" \
    "bounce: a plain mail is refused with exit 65 (the MTA returns it)"
forged=$(sed "s/faxgate\.inbound\.[0-9]*\.[0-9]*/faxgate.inbound.$F15.12345/" <<'EOF_DSN'
Content-Type: multipart/report; report-type=delivery-status; boundary="x"
MIME-Version: 1.0

--x
Content-Type: message/delivery-status

Original-Envelope-Id: faxgate.inbound.1.1

Final-Recipient: rfc822; alice@sender.test
Action: failed
Status: 5.1.1

--x--
EOF_DSN
)
out=$(ctl inbound bounce <<<"$forged" 2>&1); rc=$?
is "$rc:$out" "65:faxgatectl: inbound bounce: the report names inbound fax $F15, which this store does not hold" \
    "bounce: a report with the right id but the wrong time is refused"
is "$(sql "SELECT count(*) FROM inbound_bounces")" 1 "bounce: nothing else was recorded"

# --- stop
kill -TERM "$ONRAMP_PID"
wait_until 10 eval '! kill -0 $ONRAMP_PID 2>/dev/null'
wait "$ONRAMP_PID"
is "$?" 0 "SIGTERM: faxgate-onramp exits 0"
ok "$([ ! -e "$W/onramp.sock" ] && echo 0 || echo 1)" "and removes its socket"
postfix_wait_queue_empty "$W/pf" 20
ok $? "Postfix's queue is empty: nothing deferred or bounced"
is "$(maildir_count "$(box postmaster)")" 0 "no bounce for the postmaster"
done_testing
