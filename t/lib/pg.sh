# pg.sh - a private PostgreSQL server on loopback for the store's tests.
# Source after tap.sh.
#
#   pg_start           initdb a cluster in a temporary directory (owned by
#                      user postgres), start it on 127.0.0.1:$PG_PORT with
#                      its socket in that directory, create database
#                      faxgate; sets PG_DSN (a libpq conninfo string).
#                      Stopped and removed at exit. skip_all when no
#                      server is installed (contrib/install-deps installs it).
#   pg_sql QUERY       run QUERY on the faxgate database, print the rows
#                      as sqlite3 -batch does (columns joined by '|')
#   pg_compat          define ifnull(), group_concat() and hex() in the database,
#                      so the tests' SQLite queries run unchanged

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

pg_start() {
	[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] ||
	    skip_all "no PostgreSQL server (contrib/install-deps installs postgresql)"
	PG_DIR=$(mktemp -d /tmp/faxgate-pg.XXXXXX)
	chown postgres: "$PG_DIR"
	on_exit "rm -rf '$PG_DIR'"
	runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres \
	    -E UTF8 --locale=C.UTF-8 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
	    { cat "$PG_DIR/initdb.log" >&2; bail "initdb failed"; }
	PG_PORT=$(free_port)
	runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
	    -o "-k $PG_DIR -c listen_addresses=127.0.0.1 -p $PG_PORT -c max_connections=100 ${PG_OPTS:-}" \
	    start >/dev/null || { cat "$PG_DIR/server.log" >&2; bail "PostgreSQL did not start"; }
	on_exit "runuser -u postgres -- '$PG_BIN/pg_ctl' -D '$PG_DIR/data' -m fast -w stop"
	PG_DSN="host=127.0.0.1 port=$PG_PORT user=postgres dbname=faxgate"
	psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE faxgate" ||
	    bail "cannot create database faxgate"
}

pg_sql() { psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 "$PG_DSN" -c "$1"; }

pg_compat() {
	pg_sql "CREATE OR REPLACE FUNCTION ifnull(anyelement, anyelement) RETURNS anyelement
	    LANGUAGE sql IMMUTABLE AS 'SELECT coalesce(\$1, \$2)';
	  CREATE OR REPLACE FUNCTION faxgate_gc(text, text, text) RETURNS text
	    LANGUAGE sql IMMUTABLE AS 'SELECT CASE WHEN \$1 IS NULL THEN \$2 ELSE \$1 || \$3 || \$2 END';
	  CREATE OR REPLACE FUNCTION faxgate_gc(text, text) RETURNS text
	    LANGUAGE sql IMMUTABLE AS 'SELECT CASE WHEN \$1 IS NULL THEN \$2 ELSE \$1 || '','' || \$2 END';
	  CREATE OR REPLACE AGGREGATE group_concat(text, text) (SFUNC = faxgate_gc, STYPE = text);
	  CREATE OR REPLACE AGGREGATE group_concat(text) (SFUNC = faxgate_gc, STYPE = text);
	  CREATE OR REPLACE FUNCTION hex(bytea) RETURNS text
	    LANGUAGE sql IMMUTABLE AS 'SELECT upper(encode(\$1, ''hex''))';" >/dev/null
}
