#!/bin/bash
# faxgatectl migrate --from sqlite:PATH --to postgresql:DSN: a SQLite
# store with a row in every table (NULLs, blobs with NUL bytes, jobs in
# several states) is copied into an empty PostgreSQL store, ids kept;
# faxgatectl then works on the new store, new rows get new ids, and a
# second copy into the now non-empty store is refused.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/faxgate.sh"
. "$TOP/t/lib/pg.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private PostgreSQL"
CTL=$FAXGATE_BUILD/faxgatectl
[ -x "$CTL" ] || bail "build first: $CTL missing"

fg_workdir
pg_start
DB=$W/store/faxgate.db
# The SQLite store exactly as the programs make it: the same migrations.
for f in "$TOP"/schema/sqlite/*.sql; do sqlite3 "$DB" <"$f" || bail "cannot apply $f"; done
nmig=$(ls "$TOP"/schema/sqlite/*.sql | wc -l)
sqlite3 "$DB" "PRAGMA user_version = $nmig"
now=$(date +%s)
sqlite3 "$DB" <<SQL || bail "cannot fill the SQLite store"
INSERT INTO messages (id, dedup_key, message_id, queue_id, sender, envid, ret, subject, received_at, size, raw, mdn_to)
  VALUES (7, 'mid:a@x', 'a@x', 'Q1', 'alice@sender.test', NULL, 'HDRS', 'héllo', $now, 5, X'410042000A', NULL),
         (9, 'mid:b@x', 'b@x', 'Q2', '', 'E2', NULL, NULL, $now, 1, X'00', 'alice@sender.test');
INSERT INTO documents (message, seq, kind, content_type, filename, pages, data)
  VALUES (7, 1, 'tiff', 'image/tiff', 'one.tif', 1, X'49492A0000'), (9, 1, 'text', 'text/plain', NULL, NULL, X'6869');
INSERT INTO jobs (id, message, dedup_key, recipient, number, dial, domain, notify, state, created_at, updated_at,
    next_attempt_at, attempts, pages_total, pages_confirmed, status, diagnostic, notice_due, first_attempt_at)
  VALUES (11, 7, 'mid:a@x', 'FAX=+12025550100@fax.example.test', '+12025550100', '12025550100', 'fax.example.test',
          'SUCCESS', 'done', $now, $now, $now, 1, 1, 1, '2.0.0', 'smtp; 250', NULL, $now),
         (12, 9, 'mid:b@x', 'FAX=+12025550101@fax.example.test', '+12025550101', '12025550101', 'fax.example.test',
          NULL, 'retry_wait', $now, $now, $now + 600, 1, NULL, 0, '4.4.1', NULL, 'delayed', $now),
         (13, 9, 'mid:b@x', 'FAX=+12025550102@fax.example.test', '+12025550102', '12025550102', 'fax.example.test',
          NULL, 'queued', $now, $now, $now, 0, NULL, 0, NULL, NULL, NULL, NULL);
INSERT INTO attempts (job, attempt, started_at, ended_at, channel, pages_sent, bytes, outcome, status, error_code)
  VALUES (11, 1, $now, $now, 'sim/0', 1, 1234, 'ok', '2.0.0', 'OK'),
         (12, 1, $now, $now, 'sim/1', 0, 0, 'retry', '4.4.1', 'Q850:17');
INSERT INTO renders VALUES (7, 1, '204x196', X'49492A00FF00', $now);
INSERT INTO destinations (number, ecm, modems, updated_at, t38) VALUES ('+12025550100', 0, 'v29', $now, 1);
INSERT INTO notices (message, kind, action, jobs, sent_at, message_id) VALUES (7, 'dsn', 'delivered', '11', $now, '<n@gw>');
INSERT INTO inbound (id, received_at, did, caller, transport, pages, bytes, outcome, state, tiff)
  VALUES (3, $now, '+12025550199', '', 'sim', 1, 6, 'ok', 'mailed', X'49492A000000');
INSERT INTO inbound_bounces VALUES (3, 'bob@x', 'failed', '5.1.1', 'smtp; 550', 'mx.x', $now);
INSERT INTO did_map VALUES ('+12025550199', 'bob@sender.test', 'open', 0);
INSERT INTO dtmf_index VALUES ('12', 'bob@sender.test');
INSERT INTO routes VALUES ('', 'fax.example.test');
INSERT INTO callers VALUES ('+1202*', '*', 'callerid');
INSERT INTO users VALUES ('42', X'0001', X'FF00', 1000, $now);
INSERT INTO auth_failures VALUES ('', $now);
SQL

out=$("$CTL" migrate --from "sqlite:$DB" --to "postgresql:$PG_DSN" 2>&1)
ok $? "migrate succeeds"
like "$out" 'jobs +3' "it reports three jobs copied"
tables="messages documents jobs attempts renders destinations notices inbound inbound_bounces did_map dtmf_index routes callers users auth_failures"
bad=""
for t in $tables; do
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM $t")" = "$(pg_sql "SELECT count(*) FROM $t")" ] || bad+=" $t"
done
is "$bad" "" "every table has as many rows as in SQLite"
q="SELECT id, state, number, notify, attempts, pages_total, status, notice_due, next_attempt_at FROM jobs ORDER BY id"
is "$(pg_sql "$q")" "$(sqlite3 "$DB" "$q")" "jobs copied column for column, NULLs kept, ids kept"
is "$(pg_sql "SELECT encode(raw, 'hex') || ' ' || coalesce(subject, '-') FROM messages ORDER BY id")" \
    "$(printf '410042000a héllo\n00 -')" "raw messages byte for byte (NUL bytes), UTF-8 subjects"
is "$(pg_sql "SELECT encode(salt, 'hex') || encode(hash, 'hex') FROM users")" "0001ff00" "user secrets byte for byte"
is "$(pg_sql "SELECT encode(tiff, 'hex') FROM inbound WHERE id = 3")" "49492a000000" "received fax pages"
like "$(pg_sql "SELECT nextval(pg_get_serial_sequence('jobs', 'id'))")" '^1[4-9]$' "new jobs get ids after the copied ones"

fg_conf "$W/pg.conf" "general.store=postgresql:$PG_DSN"
list=$("$CTL" -c "$W/pg.conf" list 2>&1)
ok $? "faxgatectl list works on the new store"
like "$list" '12025550101' "and shows the copied jobs"
like "$("$CTL" -c "$W/pg.conf" show 11 2>&1)" 'sim/0' "faxgatectl show: the job with its attempt"
"$CTL" -c "$W/pg.conf" hold 13 >/dev/null 2>&1
is "$(pg_sql "SELECT state FROM jobs WHERE id = 13")" held "faxgatectl hold changes a copied job"

out=$("$CTL" migrate --from "sqlite:$DB" --to "postgresql:$PG_DSN" 2>&1)
is "$?" 75 "a second copy is refused (exit 75)"
like "$out" 'not empty' "because the target is not empty"
is "$(pg_sql "SELECT count(*) FROM jobs")" 3 "and nothing was added"

sqlite3 "$DB" "PRAGMA user_version = 1"
psql -X -q "host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres" -c "CREATE DATABASE fresh" >/dev/null
out=$("$CTL" migrate --from "sqlite:$DB" --to "postgresql:host=127.0.0.1 port=$PG_PORT user=postgres dbname=fresh" 2>&1)
ok $((! $?)) "an old SQLite schema is refused"
like "$out" 'schema version 1' "naming its version"
out=$("$CTL" migrate --from "$DB" --to "postgresql:$PG_DSN" 2>&1)
is "$?" 64 "a source without sqlite: is a usage error"

done_testing
