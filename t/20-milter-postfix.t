#!/bin/bash
# faxgate-milter behind a real, private Postfix: what an SMTP client sees
# (reply codes and texts), what the store holds, what the MTA delivers.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Postfix"

fg_workdir
fixtures
MPORT=$(free_port)
SPORT=$(free_port)
fg_conf "$W/faxgate.conf" policy.rate_per_hour=6 milter.max_message_size=300k
milter_start "$W/faxgate.conf" "$MPORT"
postfix_start "$W/pf" "$SPORT" "inet:127.0.0.1:$MPORT"
FD=fax.example.test

# send FROM ARGS... - swaks to the private Postfix; prints the server's replies
send() {
	local from=$1; shift
	swaks --server "127.0.0.1:$SPORT" --from "$from" --helo client.test "$@" 2>&1 |
	    sed -n 's/^ *<[-~*]* *//p'
}
jobs_for() { sql "SELECT count(*) FROM jobs WHERE number = '$1'"; }
queue_has() { postqueue -c "$W/pf/conf" -p 2>/dev/null | grep -qi "$1"; }

# --- a valid fax recipient, body-only mail becomes one text document
out=$(send t1@sender.test --to "FAX=+1-202-555-0100@$FD" --h-Message-Id '<t1@sender.test>' --body 'Hello fax')
like "$out" '^250 2\.0\.0 Ok: queued' "single fax recipient accepted with 250"
is "$(sql "SELECT number, dial, state, domain FROM jobs WHERE recipient = 'FAX=+1-202-555-0100@$FD'")" \
    "+12025550100|12025550100|queued|$FD" "job stored: canonical number, rewritten dial string, queued"
is "$(sql "SELECT d.kind, d.content_type FROM documents d JOIN jobs j ON j.message = d.message WHERE j.number = '+12025550100'")" \
    "text|text/plain" "body-only mail stored as one text document"
is "$(sql "SELECT sender, message_id FROM messages m JOIN jobs j ON j.message = m.id WHERE j.number = '+12025550100'")" \
    "t1@sender.test|t1@sender.test" "sender and Message-ID stored"
wait_until 5 grep -q 'milter-discard' "$W/pf/maillog"
ok $? "a fax-only message is discarded by the MTA once stored (no second copy queued)"
! queue_has "FAX="
ok $? "nothing for the fax domain waits in the Postfix queue"

# --- several fax recipients in one message
out=$(send t2@sender.test --to "FAX=+12025550101@$FD,FAX=+442079460000/T33S=12@$FD" --h-Message-Id '<t2@sender.test>' --body 'two')
like "$out" '^250 ' "two fax recipients accepted"
is "$(sql "SELECT group_concat(number || '/' || subaddress, ' ') FROM (SELECT j.number, j.subaddress FROM jobs j JOIN messages m ON m.id = j.message WHERE m.message_id = 't2@sender.test' ORDER BY j.id)")" \
    "+12025550101/ +442079460000/12" "one job per recipient, subaddress kept"
is "$(sql "SELECT dial FROM jobs WHERE number = '+442079460000'")" "011442079460000" "international rewrite applied"

# --- every refusal has its own reply
out=$(send t3@sender.test --to "FAX=12025550100@$FD" --body x)
like "$out" '^553 5\.1\.3 Bad fax address syntax: .*\+' "no '+' -> 553 5.1.3 with the reason"
out=$(send t3@sender.test --to "FAX=+12025550100/T33S=1/T33S=2@$FD" --body x)
like "$out" '^553 5\.1\.3 Bad fax address syntax: .*subaddress' "two subaddresses -> 553 5.1.3"
out=$(send t3@sender.test --to "FAX=+1234567890123456@$FD" --body x)
like "$out" '^553 5\.1\.3 Bad fax address syntax: the fax number has 16 digits; E\.164 allows at most 15' "16 digits -> 553 5.1.3"
out=$(send t3@sender.test --to "postmaster@$FD" --body x)
like "$out" "^553 5\.1\.3 Not a fax address: use FAX=\+<number>@$FD" "non-fax local part in the fax domain -> 553 5.1.3"
out=$(send t3@sender.test --to "FAX=+19005550100@$FD" --body x)
like "$out" '^550 5\.7\.1 Destination \+19005550100 not allowed by the dial plan' "denied prefix -> 550 5.7.1"
out=$(send t3@sender.test --to "FAX=+81312345678@$FD" --body x)
like "$out" '^550 5\.7\.1 Destination \+81312345678 not allowed by the dial plan' "prefix not allowed -> 550 5.7.1"
out=$(send t3@sender.test --xclient-addr 192.0.2.50 --to "FAX=+12025550102@$FD" --body x)
like "$out" '^550 5\.7\.1 Sender not allowed to send faxes: client 192\.0\.2\.50' "client outside the networks -> 550 5.7.1"
out=$(send t4@sender.test --xclient-addr 192.0.2.50 --xclient-login bob --to "FAX=+12025550102@$FD" --h-Message-Id '<t4@sender.test>' --body x)
like "$out" '^250 ' "same client after SMTP AUTH ({auth_authen}) is allowed"
is "$(sql "SELECT auth_user, client_addr FROM messages WHERE message_id = 't4@sender.test'")" "bob|192.0.2.50" "auth user and client stored"
is "$(jobs_for +12025550102)" 1 "and its job is stored"

# --- rate limit: 6 fax recipients per sender per hour
rcpts=$(for i in 1 2 3 4 5 6 7; do printf "FAX=+1202555020$i@$FD,"; done)
out=$(send rate@sender.test --to "${rcpts%,}" --h-Message-Id '<rate@sender.test>' --body x)
like "$out" '^450 4\.7\.1 fax rate limit of 6 recipients per hour' "7th recipient in the hour -> 450 4.7.1"
like "$out" '^250 2\.0\.0 Ok: queued' "the first six are accepted"
is "$(sql "SELECT count(*) FROM jobs j JOIN messages m ON m.id = j.message WHERE m.sender = 'rate@sender.test'")" 6 "six jobs stored"

# --- dedup: the same Message-ID twice, and a repeated recipient
out=$(send t5@sender.test --to "FAX=+12025550300@$FD" --h-Message-Id '<dup@sender.test>' --body 'dup')
out2=$(send t5@sender.test --to "FAX=+12025550300@$FD" --h-Message-Id '<dup@sender.test>' --body 'dup')
like "$out2" '^250 ' "a duplicate is accepted with 250"
is "$(jobs_for +12025550300)" 1 "and not queued again"
grep -q 'status=duplicate' "$W/milter.log"
ok $? "the milter logs the duplicate"
out=$(send t6@sender.test --to "FAX=+12025550301@$FD,FAX=+12025550302@$FD,FAX=+1.202.555.0301@$FD" --h-Message-Id '<three@sender.test>' --body 'x')
like "$out" '^250 ' "three recipients, one repeated in another spelling"
is "$(sql "SELECT count(*) FROM jobs j JOIN messages m ON m.id = j.message WHERE m.message_id = 'three@sender.test'")" 2 "two jobs"
# Without a Message-ID the body's SHA-256 is the key.
nomid() {
	smtp_send "$SPORT" <<SMTP
EHLO client.test
MAIL FROM:<t7@sender.test>
RCPT TO:<FAX=+12025550303@$FD>
DATA
Subject: no message-id

same body
.
QUIT
SMTP
}
out=$(nomid)
like "$out" '^250 2\.0\.0 Ok: queued' "message without Message-ID accepted"
nomid >/dev/null
is "$(sql "SELECT count(*) FROM jobs WHERE number = '+12025550303'")" 1 "no Message-ID: the body hash deduplicates"
like "$(sql "SELECT dedup_key FROM jobs WHERE number = '+12025550303'")" '^sha256:[0-9a-f]{64}$' "dedup key is sha256 of the body"

# --- mixed fax and normal recipients
AM=$(postfix_mailbox "$W/pf" alice@sender.test)
n0=$(maildir_count "$AM")
out=$(send t8@sender.test --to "alice@sender.test,FAX=+12025550400@$FD" --h-Message-Id '<mixed@sender.test>' --body 'mixed')
like "$out" '^250 ' "mixed recipients accepted"
maildir_wait "$AM" $((n0 + 1)) 20
ok $? "the normal recipient gets the message"
is "$(jobs_for +12025550400)" 1 "the fax job is stored"
postfix_wait_queue_empty "$W/pf" 20
ok $? "the queue drains: the fax recipient left the envelope"
! grep -q 'to=<FAX=+12025550400' "$W/pf/maillog"
ok $? "Postfix never tried to deliver to the fax recipient"

# --- content: TIFF, PDF, nothing faxable, oversize
out=$(send t9@sender.test --to "FAX=+12025550500@$FD" --h-Message-Id '<tiff@sender.test>' --body 'see scan' --attach-type image/tiff --attach "$W/fx/one.tif")
like "$out" '^250 ' "TIFF attachment accepted"
is "$(sql "SELECT group_concat(kind || ':' || ifnull(pages, '-'), ' ') FROM documents d JOIN messages m ON m.id = d.message WHERE m.message_id = 'tiff@sender.test'")" \
    "tiff:1" "only the TIFF is a document (the covering text is not faxed), 1 page"
out=$(send t9@sender.test --to "FAX=+12025550501@$FD" --h-Message-Id '<pdf@sender.test>' --body 'see pdf' --attach-type application/pdf --attach "$W/fx/two.pdf")
like "$out" '^250 ' "PDF attachment accepted"
is "$(sql "SELECT kind, length(data) = $(stat -c %s "$W/fx/two.pdf") FROM documents d JOIN messages m ON m.id = d.message WHERE m.message_id = 'pdf@sender.test'")" \
    "pdf|1" "PDF stored byte for byte"
out=$(send t9@sender.test --to "FAX=+12025550502@$FD" --body ' ' --attach-type image/png --attach "$W/fx/page.png")
like "$out" '^554 5\.6\.1 .*PDF' "PNG only -> 554 5.6.1 saying what is accepted"
is "$(jobs_for +12025550502)" 0 "nothing stored"
head -c 400000 /dev/urandom | base64 >"$W/fx/big.txt"
out=$(send t9@sender.test --to "FAX=+12025550503@$FD" --body "$W/fx/big.txt")
like "$out" '^552 5\.3\.4 Message too big for the fax gateway' "oversize -> 552 5.3.4"
is "$(jobs_for +12025550503)" 0 "nothing stored"

# --- DSN parameters stored exactly
out=$(smtp_send "$SPORT" <<SMTP
EHLO client.test
MAIL FROM:<dsn@sender.test> RET=HDRS ENVID=env+2B42
RCPT TO:<FAX=+12025550600@$FD> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;FAX+3D+2B12025550600@$FD
RCPT TO:<FAX=+12025550601@$FD>
DATA
Subject: dsn params
Message-ID: <dsn@sender.test>

body
.
QUIT
SMTP
)
like "$out" '^250 2\.0\.0 Ok: queued' "message with DSN parameters accepted"
is "$(sql "SELECT m.ret, m.envid, j.notify, j.orcpt FROM jobs j JOIN messages m ON m.id = j.message WHERE j.number = '+12025550600'")" \
    "HDRS|env+42|SUCCESS,FAILURE|rfc822;FAX=+12025550600@$FD" "RET, ENVID (xtext-decoded), NOTIFY, ORCPT stored exactly"
is "$(sql "SELECT ifnull(notify, 'NULL'), ifnull(orcpt, 'NULL') FROM jobs WHERE number = '+12025550601'")" \
    "NULL|NULL" "absent NOTIFY and ORCPT stay absent"

# --- the store unwritable: 451 and nothing lost; the retry is stored once
chmod 444 "$W/store/faxgate.db"
chmod 555 "$W/store"
out=$(send t10@sender.test --to "FAX=+12025550700@$FD" --h-Message-Id '<ro@sender.test>' --body 'retry me')
like "$out" '^451 4\.3\.0 Fax gateway store unavailable' "store unwritable -> 451 4.3.0"
grep -q 'read-only' "$W/milter.log"
ok $? "the milter logs why"
chmod 755 "$W/store"
chmod 644 "$W/store/faxgate.db"
out=$(send t10@sender.test --to "FAX=+12025550700@$FD" --h-Message-Id '<ro@sender.test>' --body 'retry me')
like "$out" '^250 ' "the client's retry is accepted once the store is writable"
send t10@sender.test --to "FAX=+12025550700@$FD" --h-Message-Id '<ro@sender.test>' --body 'retry me' >/dev/null
is "$(jobs_for +12025550700)" 1 "and stored exactly once"

# --- the milter down: mail is deferred, not passed
milter_kill
out=$(send t11@sender.test --to "FAX=+12025550800@$FD" --body x)
like "$out" '^4[0-9][0-9] 4\.' "milter down -> temporary failure (milter_default_action = tempfail)"

done_testing
