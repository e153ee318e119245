#!/bin/bash
# The same faxgate-milter binary behind a real Sendmail (unpacked beside
# Postfix by contrib/install-deps): no Postfix-only assumptions.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Sendmail"
sendmail_available || skip_all "the unpacked Sendmail is missing (run contrib/install-deps)"

fg_workdir
MPORT=$(free_port)
SPORT=$(free_port)
fg_conf "$W/faxgate.conf"
milter_start "$W/faxgate.conf" "$MPORT"
sendmail_start "$W/sm" "$SPORT" "$MPORT"
FD=fax.example.test

send() {
	local from=$1; shift
	swaks --server "127.0.0.1:$SPORT" --from "$from" --helo client.test "$@" 2>&1 |
	    sed -n 's/^ *<[-~*]* *//p'
}

out=$(send alice@sender.test --to "FAX=+12025550100@$FD" --h-Message-Id '<sm1@sender.test>' --body 'via sendmail')
like "$out" '^250 2\.0\.0 .*Message accepted for delivery' "Sendmail: a valid fax recipient is accepted"
is "$(sql "SELECT number || ' ' || dial || ' ' || state FROM jobs WHERE recipient = 'FAX=+12025550100@$FD'")" \
    "+12025550100 12025550100 queued" "and its job is stored"
is "$(sql "SELECT count(*) FROM messages WHERE message_id = 'sm1@sender.test' AND queue_id IS NOT NULL")" 1 \
    "with Sendmail's queue id"

out=$(send alice@sender.test --to "FAX=12025550100@$FD" --body x)
like "$out" '^553 5\.1\.3 (<[^>]*>\.\.\. )?Bad fax address syntax' "Sendmail: bad syntax -> 553 5.1.3 (Sendmail puts the address in front)"
out=$(send alice@sender.test --to "FAX=+19005550100@$FD" --body x)
like "$out" '^550 5\.7\.1 (<[^>]*>\.\.\. )?Destination \+19005550100 not allowed by the dial plan' "Sendmail: dial plan -> 550 5.7.1"

# Mixed: the local recipient gets the mail, the fax recipient leaves the envelope.
AM=$(sendmail_mailbox "$W/sm" alice@sender.test)
out=$(send bob@sender.test --to "alice@sender.test,FAX=+12025550101@$FD" --h-Message-Id '<sm2@sender.test>' --body 'mixed')
like "$out" '^250 ' "Sendmail: mixed recipients accepted"
maildir_wait "$AM" 1 20
ok $? "the local recipient gets the message"
is "$(sql "SELECT count(*) FROM jobs WHERE number = '+12025550101'")" 1 "the fax job is stored"
wait_until 20 eval '! sendmail_sendmail "$W/sm" -bp 2>/dev/null | grep -q "FAX="'
ok $? "nothing for the fax domain stays in Sendmail's queue (the recipient was deleted)"

# Duplicate through Sendmail: accepted, not queued twice.
send alice@sender.test --to "FAX=+12025550100@$FD" --h-Message-Id '<sm1@sender.test>' --body 'via sendmail' >/dev/null
is "$(sql "SELECT count(*) FROM jobs WHERE number = '+12025550100'")" 1 "a duplicate is not queued again"

done_testing
