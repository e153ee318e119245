#!/bin/bash
# The PostgreSQL store against a real server: a private cluster on
# loopback, then the store's unit test (t/unit/store_pg.c) run against it.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/pg.sh"

[ -x "$FAXGATE_BUILD/t/store_pg.t" ] || bail "build first: $FAXGATE_BUILD/t/store_pg.t missing"
pg_start

# The unit test prints its own TAP; fold it into ours, one point per line.
out=$(FAXGATE_PG_DSN=$PG_DSN "$FAXGATE_BUILD/t/store_pg.t" 2>&1)
rc=$?
while IFS= read -r line; do
	case $line in
	"ok "*) ok 0 "${line#ok [0-9]* - }" ;;
	"not ok "*) ok 1 "${line#not ok [0-9]* - }" ;;
	"#"*) echo "$line" ;;
	esac
done <<<"$out"
is "$rc" 0 "store_pg.t exits 0"
like "$(tail -n 1 <<<"$out")" '^1\.\.[0-9]+$' "store_pg.t ran to its plan"
unlike "$(cat "$PG_DIR/server.log")" 'PANIC|deadlock detected' "no deadlock or crash in the server log"

done_testing
