/*
 * Unit tests: the SIP channel's side of the store (common/store_sqlite_inbound.c):
 * migration 4 on a version-3 store, received faxes in and out byte for
 * byte, NULLs, refused values, and T.38 per destination.
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

extern const char *const store_sqlite_migrations[];

static char dir[] = "/tmp/faxgate-inbound-XXXXXX";
static char dbpath[256];

/* count - one integer from a query on the file, through a connection of
 * its own (so it sees only what was committed); -1 on error */
static long count(const char *sql)
{
	return sqltest_count(dbpath, sql);
}

/* fine - ok() for a store call meant to succeed; its error as a diag if not */
static int fine(int pass, const char *err, const char *name)
{
	if (!ok(pass, "%s", name))
		diag("%s", err);
	return pass;
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
	if (!fine(st != NULL, err, "the version-3 store opens"))
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
	fine(store_dest_get_t38(st, "+12025550100", &t38, err, sizeof(err)) == 0, err,
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

	fine(store_dest_get_t38(st, "+442079460000", &t38, err, sizeof(err)) == 0, err,
	    "T.38 of an unknown destination: not an error");
	is_int(t38, -1, "but -1");
	fine(store_dest_set_t38(st, "+442079460000", 0, 1700000200, err, sizeof(err)) == 0, err,
	    "set T.38 0 (refused) on a destination with no row");
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

	fine(store_dest_set_t38(st, "+12025550100", 1, 1700000300, err, sizeof(err)) == 0, err,
	    "set T.38 1 (taken) on an existing destination");
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

/* row_is - every field of a row against what was added */
static void row_is(const store_inbound_row_t *r, const store_inbound_t *in, const char *what)
{
	int same = r->received_at == in->received_at && r->ended_at == in->ended_at &&
	    r->pages == in->pages && r->bytes == in->bytes && r->bit_rate == in->bit_rate &&
	    r->ecm == in->ecm;

	ok(same, "%s: times and numbers", what);
	is_str(r->channel, in->channel, "%s: channel", what);
	is_str(r->call_id, in->call_id, "%s: call id", what);
	is_str(r->did, in->did, "%s: did", what);
	is_str(r->caller, in->caller, "%s: caller", what);
	is_str(r->remote_ident, in->remote_ident, "%s: remote ident", what);
	is_str(r->transport, in->transport, "%s: transport", what);
	is_str(r->resolution, in->resolution, "%s: resolution", what);
	is_str(r->outcome, in->outcome, "%s: outcome", what);
	is_str(r->status, in->status, "%s: status", what);
	is_str(r->error_code, in->error_code, "%s: error code", what);
	is_str(r->error_text, in->error_text, "%s: error text", what);
	is_str(r->dtmf, in->dtmf, "%s: dtmf", what);
	is_str(r->state, "new", "%s: state new", what);
}

/* test_inbound - add, get, list, NULLs, refusals */
static void test_inbound(store_t *st)
{
	enum { TIFFLEN = 70001 };
	unsigned char *tiff = malloc(TIFFLEN);
	store_inbound_row_t r, *rows = NULL;
	char err[512], sql[128];
	long id1 = 0, id2 = 0, id3 = 0, id;
	size_t n = 0;
	unsigned x = 12345;

	/* Every byte value, NULs included, as a TIFF would have. */
	memcpy(tiff, "II*\0", 4);
	for (size_t i = 4; i < TIFFLEN; i++)
		tiff[i] = (unsigned char)((x = x * 1103515245 + 12345) >> 16);
	store_inbound_t full = { .received_at = 1700001000, .ended_at = 1700001095,
		.channel = "sip/3", .call_id = "a84b4c76e66710@gw.example.test",
		.did = "+12025550199", .caller = "+33142868200", .remote_ident = "+33 1 42 86 82 00",
		.transport = "t38", .pages = 3, .bytes = 51234, .resolution = "204x196",
		.bit_rate = 14400, .ecm = 1, .outcome = "ok", .status = "2.0.0",
		.error_code = "OK", .error_text = "OK", .dtmf = "1234#",
		.tiff = tiff, .tifflen = TIFFLEN };
	fine(store_inbound_add(st, &full, &id1, err, sizeof(err)) == 0 && id1 > 0, err,
	    "add a received fax with every field, get its id");
	is_int(count("SELECT count(*) FROM inbound"), 1, "committed: another connection sees it");
	ok(store_inbound_get(st, id1, &r, 1, err, sizeof(err)) == 1, "get it with its TIFF");
	row_is(&r, &full, "full");
	ok(r.id == id1 && r.tifflen == TIFFLEN && r.tiff && memcmp(r.tiff, tiff, TIFFLEN) == 0,
	    "the TIFF back byte for byte (%d bytes)", TIFFLEN);
	store_inbound_row_free(&r);
	ok(store_inbound_get(st, id1, &r, 0, err, sizeof(err)) == 1 && r.tiff == NULL &&
	    r.tifflen == TIFFLEN, "get without the TIFF: only its size");
	store_inbound_row_free(&r);
	is_int(count("SELECT tiff_size FROM inbound_overview WHERE received ="
	    " datetime(1700001000, 'unixepoch') AND did = '+12025550199' AND outcome = 'ok'"),
	    TIFFLEN, "inbound_overview: times as dates, the TIFF's size");

	/* Nothing known: every NULL pointer stored as NULL, did as "". */
	store_inbound_t bare = { .received_at = 1700002000, .bit_rate = 0, .ecm = -1 };
	fine(store_inbound_add(st, &bare, &id2, err, sizeof(err)) == 0, err, "add one with only a time");
	is_int(count("SELECT count(*) FROM inbound WHERE did = '' AND ended_at IS NULL"
	    " AND channel IS NULL AND call_id IS NULL AND caller IS NULL AND remote_ident IS NULL"
	    " AND transport IS NULL AND pages = 0 AND bytes = 0 AND resolution IS NULL"
	    " AND bit_rate IS NULL AND ecm IS NULL AND outcome IS NULL AND status IS NULL"
	    " AND error_code IS NULL AND error_text IS NULL AND dtmf IS NULL AND tiff IS NULL"
	    " AND state = 'new'"), 1, "stored as NULLs, did ''");
	ok(store_inbound_get(st, id2, &r, 1, err, sizeof(err)) == 1, "get it");
	bare.did = "";
	bare.bit_rate = -1;
	row_is(&r, &bare, "bare");
	ok(r.tiff == NULL && r.tifflen == 0, "no TIFF");
	store_inbound_row_free(&r);

	/* A failed call after one page, with an empty TIFF and a caller ''. */
	store_inbound_t part = { .received_at = 1700003000, .ended_at = 1700003040,
		.channel = "sip/0", .did = "+12025550198", .caller = "", .transport = "g711",
		.pages = 1, .bytes = 9000, .ecm = 0, .outcome = "partial", .status = "4.4.2",
		.error_code = "T30_ERR_RX_NOCARRIER", .error_text = "the far end hung up",
		.tiff = "", .tifflen = 0 };
	fine(store_inbound_add(st, &part, &id3, err, sizeof(err)) == 0, err, "add a partial one");
	is_int(count("SELECT count(*) FROM inbound WHERE caller = '' AND tiff IS NULL AND ecm = 0"
	    " AND outcome = 'partial'"), 1, "caller '' kept, an empty TIFF stored as none");

	/* Refused values: a precise reason, nothing written. */
	store_inbound_t bad = full;
	bad.outcome = "done";
	ok(store_inbound_add(st, &bad, &id, err, sizeof(err)) < 0, "outcome 'done' refused");
	is_str(err, "inbound fax: outcome 'done' is not ok, partial or failed", "with its reason");
	bad = full;
	bad.transport = "sip";
	ok(store_inbound_add(st, &bad, &id, err, sizeof(err)) < 0, "transport 'sip' refused");
	is_str(err, "inbound fax: transport 'sip' is not t38, t38-dtls, g711 or sim", "with its reason");
	bad = full;
	bad.received_at = 0;
	ok(store_inbound_add(st, &bad, &id, err, sizeof(err)) < 0, "no time refused");
	is_str(err, "inbound fax: received_at 0 is not a time", "with its reason");
	bad = full;
	bad.pages = -1;
	ok(store_inbound_add(st, &bad, &id, err, sizeof(err)) < 0, "negative pages refused");
	is_str(err, "inbound fax: -1 pages, 51234 bytes: not a count", "with its reason");
	bad = full;
	bad.tiff = NULL;
	ok(store_inbound_add(st, &bad, &id, err, sizeof(err)) < 0, "a TIFF length without data refused");
	is_str(err, "inbound fax: a TIFF of 70001 bytes without its data", "with its reason");
	bad = full;
	bad.transport = "t38-dtls";
	bad.outcome = "failed";
	bad.received_at = 1690000000;
	fine(store_inbound_add(st, &bad, &id, err, sizeof(err)) == 0, err,
	    "t38-dtls and failed accepted");
	is_int(count("SELECT count(*) FROM inbound"), 4, "nothing written by the refusals");

	/* Lists: newest first (by call start), limited, by state. */
	fine(store_inbound_list(st, 0, NULL, &rows, &n, err, sizeof(err)) == 0, err, "list all");
	ok(n == 4 && rows[0].id == id3 && rows[1].id == id2 && rows[2].id == id1 && rows[3].id == id,
	    "four, newest first");
	ok(n == 4 && rows[2].tiff == NULL && rows[2].tifflen == TIFFLEN && rows[0].tifflen == 0,
	    "without TIFFs, with their sizes");
	if (n == 4)
		row_is(&rows[2], &full, "listed");
	store_inbound_rows_free(rows, n);
	ok(store_inbound_list(st, 2, NULL, &rows, &n, err, sizeof(err)) == 0 && n == 2 &&
	    rows[0].id == id3 && rows[1].id == id2, "a limit of 2: the newest two");
	store_inbound_rows_free(rows, n);
	snprintf(sql, sizeof(sql), "UPDATE inbound SET state = 'mailed' WHERE id = %ld", id1);
	exec(sql);
	ok(store_inbound_list(st, 0, "mailed", &rows, &n, err, sizeof(err)) == 0 && n == 1 &&
	    rows[0].id == id1 && strcmp(rows[0].state, "mailed") == 0, "by state: mailed");
	store_inbound_rows_free(rows, n);
	ok(store_inbound_list(st, 0, "new", &rows, &n, err, sizeof(err)) == 0 && n == 3,
	    "by state: the three new");
	store_inbound_rows_free(rows, n);
	ok(store_inbound_list(st, 0, "held", &rows, &n, err, sizeof(err)) == 0 && n == 0 &&
	    rows == NULL, "by state: none held");
	store_inbound_rows_free(rows, n);

	ok(store_inbound_get(st, 999, &r, 1, err, sizeof(err)) == 0, "get an unknown id: 0");
	store_inbound_row_free(&r);
	free(tiff);
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
