#!/bin/bash
# The PostgreSQL store against a real server: a private cluster on
# loopback, then the store's unit tests (t/unit/store_pg.c, t/unit/store_pg_onramp.c)
# run against it.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/pg.sh"

for t in store_pg store_pg_onramp; do
	[ -x "$FAXGATE_BUILD/t/$t.t" ] || bail "build first: $FAXGATE_BUILD/t/$t.t missing"
done
pg_start

# The unit tests print their own TAP; fold it into ours, one point per
# line. They share the database, store_pg.t first (it creates the schema).
for t in store_pg store_pg_onramp; do
	out=$(FAXGATE_PG_DSN=$PG_DSN "$FAXGATE_BUILD/t/$t.t" 2>&1)
	rc=$?
	tap_fold "" <<<"$out"
	is "$rc" 0 "$t.t exits 0"
	like "$(tail -n 1 <<<"$out")" '^1\.\.[0-9]+$' "$t.t ran to its plan"
done
unlike "$(cat "$PG_DIR/server.log")" 'PANIC|deadlock detected' "no deadlock or crash in the server log"

done_testing
