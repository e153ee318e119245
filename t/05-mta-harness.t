#!/bin/bash
# 05-mta-harness.t - the MTA test harness (t/lib/mta.sh) works, without
# faxgate: a private Postfix delivers to Maildirs, generates DSNs, keeps
# unfiltered fax mail deferred; a private Sendmail accepts mail, and with
# F=T refuses it when its milter is unreachable.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/mta.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root"
command -v postfix >/dev/null && command -v swaks >/dev/null ||
	skip_all "postfix/swaks missing (run contrib/install-deps)"

T0=$SECONDS
WORK=$(mktemp -d /tmp/faxgate-t05.XXXXXX) || bail "mktemp failed"
on_exit rm -rf "$WORK"

# ------------------------------------------------------------ smtp_send
DEAD=$(free_port)
out=$(echo QUIT | smtp_send "$DEAD" 2>&1)
ok $((!$?)) "smtp_send fails (status 1) when nothing listens"
like "$out" 'cannot connect' "and says why"

# ------------------------------------------------------------ Postfix
PF=$WORK/postfix
PF_PORT=$(free_port)
postfix_start "$PF" "$PF_PORT" || bail "postfix_start failed"
ok 0 "private postfix listens on 127.0.0.1:$PF_PORT ($((SECONDS - T0)) s)"

ALICE=$(postfix_mailbox "$PF" alice@sender.test)
CAROL=$(postfix_mailbox "$PF" carol@sender.test)
is "$ALICE" "$PF/mail/alice/Maildir" "postfix_mailbox prints the Maildir path"
is "$(maildir_count "$ALICE")" 0 "alice's Maildir starts empty"

out=$(swaks --server "127.0.0.1:$PF_PORT" --from carol@sender.test \
	--to alice@sender.test --h-Subject "harness test 1" 2>&1)
like "$out" '<- +250 2\.0\.0 Ok: queued' "swaks to alice@sender.test: 250 queued"
maildir_wait "$ALICE" 1 15
ok $? "the message lands in alice's Maildir"
grep -q '^Subject: harness test 1' "$(maildir_last "$ALICE")"
ok $? "maildir_last is that message"

out=$(swaks --server "127.0.0.1:$PF_PORT" --from carol@sender.test \
	--to nobody@sender.test 2>&1)
like "$out" '<\*\* +550 5\.1\.1 .*nobody@sender\.test' "unknown test mailbox: 550 at RCPT"

# A success DSN requested with NOTIFY=SUCCESS: swaks cannot do it.
out=$(smtp_send "$PF_PORT" <<'EOF'
MAIL FROM:<carol@sender.test> RET=HDRS ENVID=harness-dsn-1
RCPT TO:<bob@sender.test> NOTIFY=SUCCESS ORCPT=rfc822;bob@sender.test
DATA
From: carol@sender.test
To: bob@sender.test
Subject: harness dsn test

.line starting with a dot
.
QUIT
EOF
)
ok $? "smtp_send completes the dialogue"
like "$out" '^220 ' "smtp_send prints the greeting"
like "$out" '^250-DSN' "Postfix advertises DSN"
like "$out" '^250 2\.1\.0 Ok' "MAIL FROM with RET/ENVID: 250 2.1.0"
like "$out" '^250 2\.1\.5 Ok' "RCPT TO with NOTIFY/ORCPT: 250 2.1.5"
like "$out" '^354 ' "DATA: 354"
like "$out" '^250 2\.0\.0 Ok: queued as' "end of data: 250 queued"
like "$out" '^221 ' "QUIT: 221"
BOB=$(postfix_mailbox "$PF" bob@sender.test)
maildir_wait "$BOB" 1 15
ok $? "the message lands in bob's Maildir"
grep -q '^\.line starting with a dot' "$(maildir_last "$BOB")"
ok $? "smtp_send dot-stuffs body lines"
maildir_wait "$CAROL" 1 15
ok $? "a DSN lands in the sender's (carol's) Maildir"
dsn=$(cat "$(maildir_last "$CAROL")")
like "$dsn" 'Content-Type: multipart/report; report-type=delivery-status' "it is a delivery-status report"
like "$dsn" 'Action: delivered' "Action: delivered"
like "$dsn" 'Original-Envelope-Id: harness-dsn-1' "ENVID came through"
like "$dsn" 'Original-Recipient: rfc822; ?bob@sender\.test' "ORCPT came through"

# Fax mail with the milter bypassed: accepted, then deferred forever.
out=$(swaks --server "127.0.0.1:$PF_PORT" --from carol@sender.test \
	--to 'FAX=+12025550100@fax.example.test' 2>&1)
like "$out" '<- +250 2\.0\.0 Ok: queued as ([0-9A-F]+)' "fax recipient without milter: 250 queued"
qid=$(sed -n 's/.*250 2\.0\.0 Ok: queued as \([0-9A-F]*\).*/\1/p' <<<"$out")
_deferred() { grep -q "$qid: .*status=deferred (deferred transport)" "$PF/maillog"; }
wait_until 15 _deferred
ok $? "the fax mail is deferred (faxhold is a deferred transport)"
# A '*' after the id while the queue manager still has it in the active queue.
_in_deferred() { postfix_postqueue "$PF" -p | grep -q "^$qid "; }
wait_until 10 _in_deferred
ok $? "it moves to the deferred queue"
q=$(postfix_postqueue "$PF" -p)
like "$q" "^$qid .*carol@sender\.test" "postqueue -p lists it"
like "$q" '\(deferred transport\)' "with the reason"
like "$q" 'FAX=\+12025550100@fax\.example\.test' "for the fax recipient"
postfix_flush "$PF"
_refused() { grep -q "$qid: .*status=deferred (connect to 127\.0\.0\.1.*:9: Connection refused)" "$PF/maillog"; }
wait_until 15 _refused
ok $? "postfix_flush retries it: deferred again (connection refused)"
unlike "$(grep "$qid" "$PF/maillog")" 'status=(bounced|sent)' "never bounced nor sent"
is "$(maildir_count "$CAROL")" 1 "no bounce reached the sender (only the DSN)"
postfix_wait_queue_empty "$PF" 1
ok $((!$?)) "postfix_wait_queue_empty times out while mail is deferred"

# A notice injected with sendmail(1) -C, as the gateway does.
postfix_sendmail "$PF" -f '' -t -oi <<'EOF'
From: MAILER-DAEMON@postfix.faxgate.test
To: alice@sender.test
Subject: injected notice

body
EOF
ok $? "postfix_sendmail -f '' -t exits 0"
maildir_wait "$ALICE" 2 15
ok $? "the injected notice lands in alice's Maildir"
like "$(cat "$(maildir_last "$ALICE")")" '^Return-Path: <>' "with the null reverse-path"

postfix_stop "$PF"
ok $? "postfix_stop"
mta_port_listening "$PF_PORT"
ok $((!$?)) "the port is closed after postfix_stop"
pid=$(tr -dc 0-9 <"$PF/queue/pid/master.pid" 2>/dev/null)
[ -n "$pid" ] && mta_pid_gone "$pid"
ok $? "the master process is gone"
T_PF=$((SECONDS - T0))

# ------------------------------------------------------------ Sendmail
if ! sendmail_available; then
	ok 0 "# SKIP no unpacked sendmail (run contrib/install-deps)"
	done_testing
	exit
fi
T1=$SECONDS
SM=$WORK/sendmail
SM_PORT=$(free_port)
sendmail_start "$SM" "$SM_PORT" "" || bail "sendmail_start failed"
ok 0 "private sendmail listens on 127.0.0.1:$SM_PORT ($((SECONDS - T1)) s)"
unlike "$(cat "$SM/sendmail.cf")" 'Xfaxgate' "no milter in the milter-less config"

out=$(swaks --server "127.0.0.1:$SM_PORT" --from carol@sender.test \
	--to alice@sender.test --h-Subject "sendmail harness" 2>&1)
like "$out" '<- +250 2\.0\.0 [0-9A-Za-z]+ Message accepted for delivery' "swaks to sendmail: 250 accepted"
like "$out" '<- +250-DSN' "Sendmail advertises DSN"
SM_ALICE=$(sendmail_mailbox "$SM" alice@sender.test)
maildir_wait "$SM_ALICE" 1 15
ok $? "sendmail delivers to alice's Maildir"
grep -q '^Subject: sendmail harness' "$(maildir_last "$SM_ALICE")"
ok $? "the right message"

out=$(smtp_send "$SM_PORT" <<'EOF'
MAIL FROM:<carol@sender.test> RET=HDRS ENVID=sm-1
RCPT TO:<FAX=+12025550100@fax.example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;FAX+3D+2B12025550100@fax.example.test
DATA
Subject: fax via sendmail

hello
.
EOF
)
like "$out" '^250 2\.1\.5 .*Recipient ok' "sendmail: fax recipient accepted (relay domain)"
like "$out" '^250 2\.0\.0 .*Message accepted for delivery' "sendmail: fax mail accepted"
_sm_queued() { sendmail_sendmail "$SM" -bp 2>/dev/null | grep -q 'fax gateway not reached\|Deferred'; }
wait_until 15 _sm_queued
ok $? "sendmail keeps the fax mail queued (tempfail mailer)"
diag "$(sendmail_sendmail "$SM" -bp 2>&1 | head -6)"

printf 'From: MAILER-DAEMON@sendmail.faxgate.test\nTo: bob@sender.test\nSubject: sm injected\n\nbody\n' |
	sendmail_sendmail "$SM" -f '' -t -oi
ok $? "sendmail_sendmail -f '' -t exits 0 (command-line submission)"
maildir_wait "$(sendmail_mailbox "$SM" bob@sender.test)" 1 15
ok $? "the injected message lands in bob's Maildir"

sendmail_stop "$SM"
ok $? "sendmail_stop"
mta_port_listening "$SM_PORT"
ok $((!$?)) "the port is closed after sendmail_stop"
spid=$(cat "$SM/daemon.pid")
[ -n "$spid" ] && mta_pid_gone "$spid"
ok $? "the daemon process is gone"

# F=T: with the milter configured but not reachable, Sendmail refuses to
# take mail unfiltered and answers with a temporary failure.
SM2=$WORK/sendmail-ft
SM2_PORT=$(free_port)
DEAD_MILTER=$(free_port)
sendmail_start "$SM2" "$SM2_PORT" "$DEAD_MILTER" || bail "sendmail_start (milter) failed"
like "$(grep '^Xfaxgate' "$SM2/sendmail.cf")" "S=inet:$DEAD_MILTER@127.0.0.1, F=T, T=C:5s;S:10s;R:10s;E:30s" \
	"the milter config line"
out=$(swaks --server "127.0.0.1:$SM2_PORT" --from carol@sender.test \
	--to alice@sender.test 2>&1)
like "$out" '<\*\* +4[0-9][0-9] 4\.' "F=T with the milter down: 4xx temporary failure"
diag "$(grep -E '^<\*\*|^\*\*\*' <<<"$out" | head -3)"
sendmail_stop "$SM2"
ok $? "sendmail_stop (second instance)"
T_SM=$((SECONDS - T1))

diag "timings: postfix part ${T_PF} s, sendmail part ${T_SM} s, total $((SECONDS - T0)) s"
done_testing
