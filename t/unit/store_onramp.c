/*
 * Unit tests: the onramp's side of the SQLite store
 * (common/store_sqlite_onramp.c and its checks in store.c): migration 5 on
 * a version-4 store, then the checks every backend gets (t/onramptest.h:
 * add / replace / remove / list for every table, refused values, the
 * longest route prefix, callers per DID, secrets, failed logins) and the
 * secrets as blobs. The mailer's calls on received faxes are checked by
 * t/unit/store_inbound.c (t/inboundtest.h).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"
#include "sqltest.h"
#include "onramptest.h"

extern const char *const store_sqlite_migrations[];

static char dir[] = "/tmp/faxgate-store-onramp-XXXXXX";
static char dbpath[256];

/* count - one integer from a query, through a connection of its own; -1 on error */
static long count(const char *sql)
{
	return sqltest_count(dbpath, sql);
}

/* make_v4 - a store as migration 4 left it, with one received fax */
static int make_v4(void)
{
	sqlite3 *db;
	int rc = 0;

	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return -1;
	for (int i = 0; i < 4 && rc == 0; i++)
		rc = sqlite3_exec(db, store_sqlite_migrations[i], NULL, NULL, NULL);
	if (rc == 0)
		rc = sqlite3_exec(db, "PRAGMA user_version = 4;"
		    "INSERT INTO inbound (id, received_at, did, caller, pages, outcome, tiff)"
		    " VALUES (1, 1700000000, '+12025550100', '+15550001', 1, 'ok', x'49492a00');",
		    NULL, NULL, NULL);
	if (rc != 0)
		diag("v4 store: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc == 0 ? 0 : -1;
}

static store_t *test_upgrade(void)
{
	store_inbound_row_t r;
	char err[512];
	store_t *st;

	if (make_v4() < 0)
		return NULL;
	if ((st = store_open(dbpath, err, sizeof(err))) == NULL) {
		diag("%s", err);
		return NULL;
	}
	ok(count("PRAGMA user_version") >= 5, "a version-4 store is migrated");
	is_int(count("SELECT count(*) FROM sqlite_master WHERE name IN ('did_map', 'dtmf_index',"
	    " 'routes', 'callers', 'users', 'auth_failures', 'inbound_overview')"), 7,
	    "the onramp's tables and the view exist");
	is_int(store_inbound_get(st, 1, &r, 0, err, sizeof(err)), 1, "the old received fax is kept");
	ok(r.targets == NULL && r.decision == NULL && r.mail_error == NULL && r.mailed_at == 0 &&
	    r.mail_tries == 0 && r.mail_next_at == 0 && strcmp(r.state, "new") == 0,
	    "  with no decision, no tries, due at once");
	store_inbound_row_free(&r);
	is_int(count("SELECT count(*) FROM inbound_overview WHERE id = 1 AND mail_tries = 0"
	    " AND targets IS NULL"), 1, "the view shows the new columns");
	return st;
}

/* raw - run SQL on the file through a connection of its own; 0 or -1 */
static int raw(const char *sql)
{
	sqlite3 *db;
	int rc = sqlite3_open(dbpath, &db) == SQLITE_OK &&
	    sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;

	if (rc < 0)
		diag("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

/* test_users_sqlite - what SQLite stores in its own types: the secrets as
 * blobs (onramptest_users leaves user "12"), and a row another program
 * wrote with a salt too long to be one */
static void test_users_sqlite(store_t *st)
{
	store_secret_t got;
	char err[512];

	is_int(count("SELECT count(*) FROM users WHERE typeof(hash) = 'blob' AND length(hash) = 32"
	    " AND typeof(salt) = 'blob'"), 1, "the hash is a 32-byte blob");
	raw("INSERT INTO users VALUES ('666', zeroblob(130), x'00', 1, 1)");
	ok(store_user_get(st, "666", &got, err, sizeof(err)) == 1 && got.saltlen == 0,
	    "an oversized salt reads as no secret");
}

/* test_errors - a failing statement names the operation, not the SQL */
static void test_errors(store_t *st)
{
	store_route_t r;
	char err[512];

	raw("ALTER TABLE routes RENAME TO routes_gone");
	ok(store_route_lookup(st, "4420", &r, err, sizeof(err)) < 0 &&
	    strstr(err, ": look up route: ") && !strstr(err, "SELECT"),
	    "an error names the operation, not the statement: %s", err);
	raw("ALTER TABLE routes_gone RENAME TO routes");
}

int main(void)
{
	store_t *st;
	char p[300];

	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/faxgate.db", dir);
	if ((st = test_upgrade()) != NULL) {
		onramptest_dids(st, count);
		onramptest_index_routes(st);
		onramptest_callers(st, count);
		onramptest_users(st, count);
		test_users_sqlite(st);
		onramptest_auth_failures(st, count);
		test_errors(st);
		store_close(st);
	}
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	rmdir(dir);
	return done_testing();
}
