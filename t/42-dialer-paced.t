#!/bin/bash
# One fax in real time over audio (V.17 modems, 8 kHz samples paced at
# 20 ms): proves the timing path works, not just the unpaced shortcut.
# About 30 s: keep it to this one run.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/faxgate.sh"

fg_workdir
mkdir -p "$W/docs"
printf 'A one-page fax sent in real time.\n' >"$W/docs/page.txt"
fg_conf "$W/faxgate.conf" sim.mode=audio sim.paced=yes sim.speed=1 notices.sendmail=/bin/true
# No MTA here: the job goes straight into the store, as the milter would.
"$FAXGATE_BUILD/faxgate-milter" -t -c "$W/faxgate.conf" >/dev/null || bail "cannot create the store"
sql "INSERT INTO messages (dedup_key, sender, received_at, size, raw) VALUES ('mid:paced@t', 'a@sender.test', strftime('%s','now'), 10, CAST('x' AS BLOB));
     INSERT INTO documents (message, seq, kind, content_type, data) VALUES (1, 1, 'text', 'text/plain', CAST(readfile('$W/docs/page.txt') AS BLOB));
     INSERT INTO jobs (message, dedup_key, recipient, number, dial, domain, notify, created_at, updated_at, next_attempt_at)
       VALUES (1, 'mid:paced@t', 'FAX=+12025550300@fax.example.test', '+12025550300', '12025550300', 'fax.example.test', 'NEVER',
               strftime('%s','now'), strftime('%s','now'), 0);"
is "$(sql "SELECT count(*) FROM jobs")" 1 "one job in the store"
start=$SECONDS
dialer_start "$W/faxgate.conf"
wait_state 1 done 120
is "$(job_field 1 state)" done "the paced audio fax is delivered"
took=$((SECONDS - start))
[ "$took" -ge 10 ]
ok $? "it took real time (${took} s): the line was paced"
is "$(sql "SELECT bit_rate || ' ' || pages_sent FROM attempts WHERE job = 1")" "14400 1" "V.17 at 14400 bit/s, 1 page"
F=$(ls "$W"/sim/12025550300-1-1.tif)
page_same "$W/spool/render-1.tif" 1 "$F" 1
ok $? "the page arrives pixel for pixel"
dialer_stop
ok $? "the dialer exits cleanly"
done_testing
