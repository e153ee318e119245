#!/bin/bash
# One suite, two backends: end-to-end tests written for the SQLite store
# run unchanged against a PostgreSQL store (t/lib/faxgate.sh's fg_conf and
# sql honour FAXGATE_TEST_STORE=pg). Each gets a fresh database on one
# private server, and a second one (FAXGATE_TEST_PG_DSN_B) for a test
# that runs a second faxgate site (t/71's onramp). PG_SUITE= narrows or
# widens the list.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/pg.sh"

SUITE=${PG_SUITE:-t/40-dialer-sim.t t/70-onramp-mail.t t/71-onramp-sip.t t/88-metrics.t}
[ -x "$FAXGATE_BUILD/faxgate-dialer" ] || bail "build first: $FAXGATE_BUILD/faxgate-dialer missing"
pg_start
base_dsn=$PG_DSN

i=0
for t in $SUITE; do
	i=$((i + 1))
	psql -X -q "$base_dsn" -c "CREATE DATABASE suite_$i" -c "CREATE DATABASE suite_${i}_b" ||
	    bail "cannot create databases suite_$i and suite_${i}_b"
	PG_DSN="host=127.0.0.1 port=$PG_PORT user=postgres dbname=suite_${i}_b"
	pg_compat
	dsn_b=$PG_DSN
	PG_DSN="host=127.0.0.1 port=$PG_PORT user=postgres dbname=suite_$i"
	pg_compat
	out=$(cd "$TOP" && FAXGATE_TEST_STORE=pg FAXGATE_TEST_PG_DSN=$PG_DSN \
	    FAXGATE_TEST_PG_DSN_B=$dsn_b FAXGATE_BUILD=$FAXGATE_BUILD bash "$t" 2>&1)
	rc=$?
	# Every point of the inner test is one of ours, named after it.
	tap_fold "$t (postgresql): " <<<"$out"
	is "$rc" 0 "$t (postgresql) exits 0"
	like "$(grep -E '^1\.\.[0-9]+' <<<"$out")" '^1\.\.[1-9]' "$t (postgresql) ran to a plan with tests"
	# Jobs (the offramp) or received faxes (the onramp) in either
	# database (the second has no tables unless the test used it).
	used=$(for d in "$PG_DSN" "$dsn_b"; do
		[ "$(psql -X -A -t "$d" -c "SELECT to_regclass('jobs') IS NOT NULL")" = t ] &&
		    psql -X -A -t "$d" -c \
		    "SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM inbound) > 0"
	done)
	like "$used" t "$t (postgresql) really used the PostgreSQL store"
done

done_testing
