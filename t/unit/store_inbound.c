/*
 * Unit tests: received faxes in the SQLite store (common/store_sqlite_inbound.c,
 * store_sqlite_onramp.c): migration 4 on a version-3 store, T.38 per
 * destination, then the checks every backend gets (t/inboundtest.h: in
 * and out byte for byte, NULLs, refused values, lists, the mailer's
 * claims, leases, marks and requeues, delivery reports).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"
#include "sqltest.h"
#include "inboundtest.h"

extern const char *const store_sqlite_migrations[];

static char dir[] = "/tmp/faxgate-inbound-XXXXXX";
static char dbpath[256];

/* count - one integer from a query on the file, through a connection of
 * its own (so it sees only what was committed); -1 on error */
static long count(const char *sql)
{
	return sqltest_count(dbpath, sql);
}

/* exec - run SQL on the file through a connection of its own; 0 or -1 */
static int exec(const char *sql)
{
	sqlite3 *db;
	int rc = -1;

	if (sqlite3_open(dbpath, &db) == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	if (rc < 0)
		diag("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

/* make_v3 - a store as the program before migration 4 left it, with a
 * message, a job and a destination in it; 0 or -1 */
static int make_v3(void)
{
	sqlite3 *db;
	int rc = 0;

	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return -1;
	for (int i = 0; i < 3 && rc == 0; i++)
		rc = sqlite3_exec(db, store_sqlite_migrations[i], NULL, NULL, NULL);
	if (rc == 0)
		rc = sqlite3_exec(db, "PRAGMA user_version = 3;"
		    "INSERT INTO messages (id, dedup_key, sender, received_at, size, raw)"
		    " VALUES (1, 'mid:v3@example.test', 'alice@example.test', 1700000000, 3, 'raw');"
		    "INSERT INTO jobs (message, dedup_key, recipient, number, dial, domain,"
		    " created_at, updated_at, next_attempt_at) VALUES (1, 'mid:v3@example.test',"
		    " 'FAX=+12025550100@fax.test', '+12025550100', '12025550100', 'fax.test',"
		    " 1700000000, 1700000000, 1700000000);"
		    "INSERT INTO destinations (number, ecm, modems, updated_at)"
		    " VALUES ('+12025550100', 0, 'v29', 1700000100);", NULL, NULL, NULL);
	if (rc != 0)
		diag("v3 store: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc == 0 ? 0 : -1;
}

/* test_upgrade - a version-3 store upgraded in place, its rows kept */
static store_t *test_upgrade(void)
{
	char err[512];
	store_t *st;
	int nmig = 0, t38 = 7, ecm = -1;
	char modems[16] = "";

	while (store_sqlite_migrations[nmig])
		nmig++;
	ok(nmig >= 4 && strstr(store_sqlite_migrations[3], "CREATE TABLE inbound") != NULL,
	    "migration 4 is the SIP one, embedded");
	if (make_v3() < 0)
		return NULL;
	is_int(count("PRAGMA user_version"), 3, "a version-3 store to start from");
	st = store_open(dbpath, err, sizeof(err));
	if (!inboundtest_fine(st != NULL, err, "the version-3 store opens"))
		return NULL;
	is_int(count("PRAGMA user_version"), nmig, "upgraded to version %d", nmig);
	is_int(count("SELECT count(*) FROM jobs j JOIN messages m ON m.id = j.message"
	    " WHERE j.number = '+12025550100' AND m.sender = 'alice@example.test'"), 1,
	    "its message and job are kept");
	is_int(count("SELECT count(*) FROM destinations WHERE number = '+12025550100' AND ecm = 0"
	    " AND modems = 'v29' AND updated_at = 1700000100 AND t38 IS NULL"
	    " AND t38_updated_at IS NULL"), 1, "its destination is kept, T.38 not known");
	is_int(count("SELECT count(*) FROM sqlite_master WHERE name IN ('inbound',"
	    " 'inbound_state', 'inbound_did', 'inbound_overview')"), 4,
	    "table inbound, its two indexes and the view exist");
	inboundtest_fine(store_dest_get_t38(st, "+12025550100", &t38, err, sizeof(err)) == 0, err,
	    "T.38 of an old destination");
	is_int(t38, -1, "is unknown");
	is_int(store_dest_get(st, "+12025550100", &ecm, modems, sizeof(modems), err, sizeof(err)), 1,
	    "store_dest_get still reads it");
	ok(ecm == 0 && strcmp(modems, "v29") == 0, "ECM off, v29");
	return st;
}

/* test_t38 - get and set on a missing and on an existing destination */
static void test_t38(store_t *st)
{
	char err[512], modems[16] = "";
	int t38 = 7, ecm = -1;

	inboundtest_fine(store_dest_get_t38(st, "+442079460000", &t38, err, sizeof(err)) == 0, err,
	    "T.38 of an unknown destination: not an error");
	is_int(t38, -1, "but -1");
	inboundtest_fine(store_dest_set_t38(st, "+442079460000", 0, 1700000200, err, sizeof(err)) == 0,
	    err, "set T.38 0 (refused) on a destination with no row");
	is_int(count("SELECT count(*) FROM destinations WHERE number = '+442079460000' AND t38 = 0"
	    " AND t38_updated_at = 1700000200 AND ecm = 1 AND modems = 'v17'"), 1,
	    "the row is created with the default ECM and modems");
	store_dest_get_t38(st, "+442079460000", &t38, err, sizeof(err));
	is_int(t38, 0, "and reads back as 0");
	is_int(store_dest_get(st, "+442079460000", &ecm, modems, sizeof(modems), err, sizeof(err)), 0,
	    "store_dest_get still knows nothing of its ECM and modems");
	ok(store_dest_set(st, "+442079460000", 0, "v17", 1700000250, err, sizeof(err)) == 0 &&
	    store_dest_get(st, "+442079460000", &ecm, modems, sizeof(modems), err, sizeof(err)) == 1 &&
	    ecm == 0, "until they are learnt");

	inboundtest_fine(store_dest_set_t38(st, "+12025550100", 1, 1700000300, err, sizeof(err)) == 0,
	    err, "set T.38 1 (taken) on an existing destination");
	is_int(count("SELECT count(*) FROM destinations WHERE number = '+12025550100' AND t38 = 1"
	    " AND t38_updated_at = 1700000300 AND ecm = 0 AND modems = 'v29'"
	    " AND updated_at = 1700000100"), 1, "its ECM, modems and updated_at are untouched");
	store_dest_get_t38(st, "+12025550100", &t38, err, sizeof(err));
	is_int(t38, 1, "reads back as 1");
	ok(store_dest_set(st, "+12025550100", 1, "v27ter", 1700000400, err, sizeof(err)) == 0,
	    "store_dest_set afterwards");
	is_int(count("SELECT count(*) FROM destinations WHERE number = '+12025550100' AND t38 = 1"
	    " AND ecm = 1 AND modems = 'v27ter'"), 1, "store_dest_set leaves T.38 alone");
	ok(store_dest_get(st, "+12025550100", &ecm, modems, sizeof(modems), err, sizeof(err)) == 1 &&
	    ecm == 1 && strcmp(modems, "v27ter") == 0, "store_dest_get reads what it set");

	ok(store_dest_set_t38(st, "+12025550100", -1, 1700000500, err, sizeof(err)) == 0 &&
	    store_dest_get_t38(st, "+12025550100", &t38, err, sizeof(err)) == 0 && t38 == -1,
	    "-1 forgets it");
	is_int(count("SELECT count(*) FROM destinations WHERE t38 IS NULL AND number = '+12025550100'"),
	    1, "stored as NULL");
	ok(store_dest_set_t38(st, "+12025550100", 2, 1700000600, err, sizeof(err)) < 0, "2 refused");
	is_str(err, "destination +12025550100: T.38 2 is not -1 (unknown), 0 or 1", "with its reason");
	ok(store_dest_set_t38(st, "", 1, 1700000600, err, sizeof(err)) < 0, "an empty number refused");
	is_str(err, "destination T.38: no number", "with its reason");
	is_int(count("SELECT count(*) FROM destinations"), 2, "nothing written by the refusals");
}

/* test_inbound - the checks every backend gets (t/inboundtest.h), with a
 * second handle on the file as the other host, and the view's dates as
 * SQLite writes them */
static void test_inbound(store_t *a)
{
	inboundtest_db_t sq = { count, exec };
	inboundtest_ids_t ids;
	char err[512];
	store_t *b = store_open(dbpath, err, sizeof(err));

	if (!inboundtest_fine(b != NULL, err, "a second handle on the store"))
		return;
	inboundtest_rows(a, b, &sq, &ids);
	is_int(count("SELECT tiff_size FROM inbound_overview WHERE received ="
	    " datetime(1700001000, 'unixepoch') AND did = '+12025550199' AND outcome = 'ok'"),
	    INBOUNDTEST_TIFFLEN, "inbound_overview: times as dates, the TIFF's size");
	inboundtest_due(a, &ids);
	is_int(store_inbound_claim(a, ids.full, 1700004000, 1700004600, err, sizeof(err)), 1,
	    "claim one");
	inboundtest_leases(a, b, &sq, &ids);
	inboundtest_bounces(a, b, &sq, &ids);
	store_close(b);
}

int main(void)
{
	char err[512], cmd[300];
	store_t *st;

	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/fax.db", dir);
	st = test_upgrade();
	if (st) {
		test_t38(st);
		test_inbound(st);
		store_close(st);
		/* Reopened: no migration runs again, the rows are there. */
		st = store_open(dbpath, err, sizeof(err));
		ok(st != NULL && count("SELECT count(*) FROM inbound") == 4,
		    "reopened: the received faxes persist");
		store_close(st);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
	return done_testing();
}
