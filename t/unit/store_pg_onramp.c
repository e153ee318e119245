/*
 * Unit tests: the onramp's tables in the PostgreSQL store
 * (common/store_pg_onramp.c) against a real server: the checks every
 * backend gets (t/onramptest.h), then what is PostgreSQL's own: secrets
 * as bytea, two hosts adding the same rows at once, errors that name the
 * operation.
 * FAXGATE_PG_DSN names a database (t/80-pg-store.t starts a private
 * server and runs this); without it the test is skipped.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"
#include "onramptest.h"
#include "pgtest.h"

/* count - one number from a query run directly on the database */
static long count(const char *sql)
{
	return pgtest_count(sql);
}

/* test_users_pg - what PostgreSQL stores in its own types: the secrets as
 * bytea, and a row another program wrote with a salt too long to be one */
static void test_users_pg(store_t *st)
{
	store_secret_t got;
	char err[512];

	is_int(count("SELECT count(*) FROM users WHERE octet_length(hash) = 32"
	    " AND get_byte(hash, 0) = 1 AND octet_length(salt) = 16"), 1, "the hash is 32 bytes of bytea");
	pgtest_exec("INSERT INTO users VALUES ('666', decode(repeat('ab', 65), 'hex'),"
	    " decode('00', 'hex'), 1, 1)");
	ok(store_user_get(st, "666", &got, err, sizeof(err)) == 1 && got.saltlen == 0,
	    "an oversized salt reads as no secret");
}

/* race - n processes (hosts) add the same DID at once; how many said
 * "added", or -1 */
static long race(const char *spec, int n)
{
	int added = 0, status;

	for (int i = 0; i < n; i++) {
		if (fork() == 0) {
			char err[512];
			store_did_t d = { "+12025550177", "race@sender.test", "open", 0 };
			store_t *st = store_open(spec, err, sizeof(err));
			int rc = st ? store_did_add(st, &d, err, sizeof(err)) : -1;
			if (rc < 0)
				fprintf(stderr, "# race: %s\n", err);
			_exit(rc < 0 ? 2 : rc);
		}
	}
	while (wait(&status) > 0) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
			return -1;
		added += WEXITSTATUS(status) == 0;
	}
	return added;
}

int main(void)
{
	char spec[512], err[512];
	int conn;
	store_t *st;

	if ((conn = pgtest_connect(spec, sizeof(spec))) <= 0)
		return conn < 0;
	st = store_open(spec, err, sizeof(err));
	ok(st != NULL, "open: %s", st ? "" : err);
	if (!st)
		return done_testing();
	/* The database may be another test's: start from empty tables. */
	PQclear(PQexec(pgtest_db, "DELETE FROM did_map; DELETE FROM dtmf_index; DELETE FROM routes;"
	    " DELETE FROM callers; DELETE FROM users; DELETE FROM auth_failures"));
	onramptest_dids(st, count);
	onramptest_index_routes(st);
	onramptest_callers(st, count);
	onramptest_users(st, count);
	test_users_pg(st);
	onramptest_auth_failures(st, count);
	is_int(race(spec, 6), 1, "six hosts adding one DID at once: one adds, five replace");
	is_int(count("SELECT count(*) FROM did_map WHERE did = '+12025550177'"), 1, "  one row");

	/* A failing statement: the operation is named, as SQLite names it. */
	PQclear(PQexec(pgtest_db, "ALTER TABLE routes RENAME TO routes_gone"));
	store_route_t r;
	ok(store_route_lookup(st, "4420", &r, err, sizeof(err)) < 0 &&
	    strstr(err, ": look up route: ") && !strstr(err, "SELECT"),
	    "an error names the operation, not the statement: %s", err);
	PQclear(PQexec(pgtest_db, "ALTER TABLE routes_gone RENAME TO routes"));
	store_close(st);
	PQfinish(pgtest_db);
	return done_testing();
}
