#!/bin/bash
# The bad-input catalogue (t/bad-input/): every hostile or broken mail goes
# through a private Postfix and faxgate-milter, and its outcome is checked
# against its .expect file: the SMTP reply, the jobs stored, and for mails
# that get as far as the dialer (simulated line) the DSN in the sender's
# Maildir, in which no injected header may appear. Then malformed SIP
# requests go to a dialer with a SIP trunk, each answered as its .expect
# says. At the end the milter and the dialer are alive and a good mail
# still becomes a fax, and a dialer stopped while it hands a DSN to the
# MTA exits cleanly (it used to read its closed store: ASan saw it here).
#
# A mail case's .expect (one "key: value" a line; see t/bad-input/README):
#   rcpt, from, mail-params, rcpt-params   the envelope (t/bad-input/smtp-case)
#   smtp        ERE the deciding reply line must match (anchor it)
#   queued      jobs stored for the case's number +12025551NNN
#   dsn-status  the Status: of the DSN about the case (found in alice's
#               Maildir by the case's Message-ID, <caseNNN@bad-input.test>)
#   dsn-text    ERE that the DSN must match
#   not-in-dsn  ERE that no line of the DSN may match
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
. "$TOP/t/lib/sipua.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Postfix"
command -v qpdf >/dev/null || skip_all "qpdf is not installed (contrib/install-deps)"

BI=$TOP/t/bad-input
export MTA_USERS="alice"
fg_workdir
MPORT=$(free_port)
SPORT=$(free_port)
FD=fax.example.test
# Every case's number is "invalid" on the simulated line: a mail that
# renders fails at once with a DSN that quotes it, without waiting for a
# fax call. Renders that never end are cut at 30 s: renders run at nice 10,
# and on a loaded machine a one-page text can take 15 s. A bomb may not
# take the gateway's memory.
BEH=$(for i in $(seq 1000 1099); do printf '+1202555%s=invalid ' "$i"; done)
# Notices go through $W/sendmail; the one about case 099 waits for $W/go
# before it goes on to Postfix (the first time).
cat >"$W/sendmail" <<SH
#!/bin/sh
t=\$(mktemp "$W/notice.XXXXXX") || exit 75
cat >"\$t"
if grep -q 'case099@bad-input\.test' "\$t" && [ ! -e "$W/go" ]; then
	touch "$W/injecting"
	while [ ! -e "$W/go" ]; do sleep 0.05; done
fi
/usr/sbin/sendmail "\$@" <"\$t"
rc=\$?
rm -f "\$t"
exit \$rc
SH
chmod 755 "$W/sendmail"
fg_conf "$W/faxgate.conf" "notices.sendmail=$W/sendmail" "notices.sendmail_config=$W/pf/conf" \
    dialer.render_time_limit=30 dialer.render_mem_limit=512M "sim.behaviour=$BEH"
milter_start "$W/faxgate.conf" "$MPORT"
postfix_start "$W/pf" "$SPORT" "inet:127.0.0.1:$MPORT" || bail "postfix did not start"
BOX=$(postfix_mailbox "$W/pf" alice@sender.test)

"$BI/make-cases" "$W/cases" || bail "make-cases failed"
cp "$BI"/mail/*.eml "$W/cases/"

# field FILE KEY - the value of "KEY: " in an .expect file
field() { sed -n "s/^$2: //p" "$1" | head -1; }
# dsn_for NNN - the DSN about case NNN (it quotes the Message-ID)
dsn_for() { grep -l "case$1@bad-input\.test" "$BOX"/new/* "$BOX"/cur/* 2>/dev/null | head -1; }

# --- send every case, eight at a time; keep the replies
mkdir -p "$W/replies"
t0=$SECONDS
for e in "$BI"/mail/*.expect; do basename "$e" .expect; done |
    xargs -P8 -I{} sh -c '"$1/smtp-case" "$2" "$1/mail/$4.expect" "$3/cases/$4.eml" >"$3/replies/$4" 2>&1' \
    sh "$BI" "$SPORT" "$W" {}
diag "$(ls "$W/replies" | wc -l) cases sent in $((SECONDS - t0)) s"
declare -A REPLY
for e in "$BI"/mail/*.expect; do
	n=$(basename "$e" .expect)
	REPLY[$n]=$(cat "$W/replies/$n")
done

# The dialer starts only now: renders run at nice 10, and beside the SMTP
# burst above (and other load) the first ones could starve past their
# time limit, which would make their outcome depend on the machine.
dialer_start "$W/faxgate.conf"

# --- check each case; DSNs are waited for with one shared deadline
DEADLINE=$((SECONDS + 240))
for e in "$BI"/mail/*.expect; do
	n=$(basename "$e" .expect)
	num=12025551${n:0:3}
	why=""
	want=$(field "$e" smtp)
	grep -Eq -- "$want" <<<"${REPLY[$n]}" ||
	    why+="reply '${REPLY[$n]}' does not match /$want/; "
	want=$(field "$e" queued)
	if [ -n "$want" ]; then
		got=$(sql "SELECT count(*) FROM jobs WHERE number = '+$num'")
		[ "$got" = "$want" ] || why+="$got jobs stored, want $want; "
	fi
	st=$(field "$e" dsn-status)
	if [ -n "$st" ]; then
		left=$((DEADLINE - SECONDS)); [ $left -gt 0 ] || left=1
		wait_until $left eval "[ -n \"\$(dsn_for ${n:0:3})\" ]"
		d=$(dsn_for "${n:0:3}")
		if [ -z "$d" ]; then
			why+="no DSN for +$num (job: $(sql "SELECT state || ' ' || ifnull(status, '-') FROM jobs WHERE number = '+$num'")); "
		else
			grep -q "^Status: $st\b" "$d" || why+="DSN status: $(grep '^Status:' "$d"), want $st; "
			want=$(field "$e" dsn-text)
			[ -z "$want" ] || grep -Eq -- "$want" "$d" || why+="DSN does not match /$want/; "
			want=$(field "$e" not-in-dsn)
			[ -z "$want" ] || ! grep -Ea -- "$want" "$d" >/dev/null ||
			    why+="DSN has a line matching /$want/: $(grep -Ea -m1 -- "$want" "$d"); "
		fi
	fi
	ok "$([ -z "$why" ]; echo $?)" "mail/$n" || diag "$why"
	# BADINPUT_SHOW=1 prints what each case got, to write a new .expect.
	[ -z "${BADINPUT_SHOW:-}" ] || diag "$n: ${REPLY[$n]} | $(sql "SELECT count(*) || ' ' || group_concat(state || ' ' || ifnull(status, '-')) FROM jobs WHERE number = '+$num'") | $(grep -a '^Status:\|^Diagnostic-Code:' "$(dsn_for "${n:0:3}")" 2>/dev/null | tr '\n' ' ')"
done
is "$(ls "$BI"/mail/*.expect | wc -l)" "$(ls "$W"/cases/*.eml | wc -l)" \
    "every .eml has its .expect"

# --- the gateway survived: both daemons alive and a good mail is faxed
kill -0 "$MILTER_PID"; ok $? "faxgate-milter is alive after the catalogue"
kill -0 "$DIALER_PID"; ok $? "faxgate-dialer is alive after the catalogue"
out=$(smtp_send "$SPORT" <<SMTP
MAIL FROM:<alice@sender.test>
RCPT TO:<FAX=+12025559999@$FD> NOTIFY=SUCCESS,FAILURE
DATA
Subject: good mail after the catalogue
Message-ID: <case999@bad-input.test>

This one is fine.
.
SMTP
)
like "$out" '^250 2\.0\.0 Ok: queued' "a good mail is accepted"
wait_until 60 eval '[ -n "$(dsn_for 999)" ]'
grep -q '^Status: 2\.0\.0' "$(dsn_for 999)" 2>/dev/null
ok $? "and faxed: its DSN says 2.0.0"

# --- stopped while a notice is being handed over: the dialer exits cleanly
# without recording it (its runner has closed the store), and the next
# dialer hands it over again, with the same Message-ID
smtp_send "$SPORT" >/dev/null <<SMTP
MAIL FROM:<alice@sender.test>
RCPT TO:<FAX=+12025551099@$FD> NOTIFY=FAILURE
DATA
Subject: stopped while notifying
Message-ID: <case099@bad-input.test>

Stop the dialer while this one's DSN is on its way.
.
SMTP
wait_until 120 test -e "$W/injecting"
ok $? "a notice is on its way to the MTA"
kill -TERM "$DIALER_PID"
wait_until 20 grep -q 'stop: signal=15' "$W/dialer.log"
touch "$W/go"
# (not dialer_stop: a second SIGTERM would find the default action)
wait_until 20 eval '! kill -0 $DIALER_PID 2>/dev/null'
wait "$DIALER_PID"; ok $? "SIGTERM during the hand-over: faxgate-dialer stops cleanly"
grep -q 'notice: message=[0-9]*, status=unrecorded, sendmail_exit=0, reason="dialer stopping"' "$W/dialer.log"
ok $? "and logs the notice as handed over but unrecorded"
dialer_start "$W/faxgate.conf"
wait_until 60 eval '[ "$(grep -l "case099@bad-input\.test" "$BOX"/new/* | wc -l)" -ge 2 ]'
copies=$(grep -l "case099@bad-input\.test" "$BOX"/new/*)
is "$(wc -l <<<"$copies") $(for f in $copies; do grep -m1 '^Message-ID:' "$f"; done | sort -u | wc -l)" "2 1" \
    "the next dialer sends it again, with the same Message-ID"
dialer_stop; ok $? "faxgate-dialer stops cleanly"

# --- SIP: the dialer with a SIP trunk answers each bad request as expected
if command -v sipp >/dev/null; then
	APORT=$(free_port)
	MB=$((24000 + ($$ % 150) * 100))
	fg_conf "$W/sip.conf" dialer.driver=sip "sip.listen=sip:127.0.0.1:$APORT" \
	    "sip.trunk=sip:{dial}@127.0.0.1:9" "sip.from=sip:+12025550000@127.0.0.1" \
	    "sip.media_ports=$MB-$((MB + 99))" sip.t38=no "notices.sendmail_config=$W/pf/conf"
	"$FAXGATE_BUILD/faxgatectl" -c "$W/sip.conf" did add 15550009 faxes@example.test >/dev/null
	dialer_start "$W/sip.conf"
	for f in "$BI"/sip/*.sip; do
		n=$(basename "$f" .sip)
		got=$("$BI/sip-case" "$APORT" "$f" 2>&1)
		want=$(field "$BI/sip/$n.expect" response)
		is "$got" "$want" "sip/$n: $want"
	done
	kill -0 "$DIALER_PID"; ok $? "faxgate-dialer is alive after the bad SIP requests"
	sipp_uac uac-invite "$APORT" "$W/sipp" -s 15550009 -key expect 200
	is $? 0 "and a good call is answered (200), then hung up by the caller"
	dialer_stop; ok $? "the SIP dialer stops cleanly"
else
	ok 0 "# SKIP sipp (sip-tester) is not installed: no SIP cases"
fi

done_testing
