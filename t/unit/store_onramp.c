/*
 * Unit tests: the onramp's side of the store (common/store_sqlite_onramp.c
 * and its checks in store.c): migration 5 on a version-4 store, add /
 * replace / remove / list for every table, refused values, the longest
 * route prefix, callers per DID, secrets, failed logins, and the mailer's
 * claim, marks and requeue of received faxes.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"
#include "sqltest.h"

extern const char *const store_sqlite_migrations[];

static char dir[] = "/tmp/faxgate-store-onramp-XXXXXX";
static char dbpath[256];

/* count - one integer from a query, through a connection of its own; -1 on error */
static long count(const char *sql)
{
	return sqltest_count(dbpath, sql);
}

/* text - one string from a query (static buffer), "" if none */
static const char *text(const char *sql)
{
	static char buf[1024];
	sqlite3 *db;
	sqlite3_stmt *st;

	buf[0] = '\0';
	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return buf;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(buf, sizeof(buf), "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return buf;
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

static void test_dids(store_t *st)
{
	store_did_t d = { "+12025550100", "alice@sender.test", "open", 0 }, got, *rows;
	size_t n;
	char err[512];

	is_int(store_did_add(st, &d, err, sizeof(err)), 0, "did add: new");
	strcpy(d.addresses, "bob@sender.test carol@sender.test");
	strcpy(d.policy, "callerid+credentials");
	d.dtmf = 1;
	is_int(store_did_add(st, &d, err, sizeof(err)), 1, "did add again: replaced");
	is_int(store_did_get(st, "+12025550100", &got, err, sizeof(err)), 1, "did get");
	ok(strcmp(got.addresses, "bob@sender.test carol@sender.test") == 0 &&
	    strcmp(got.policy, "callerid+credentials") == 0 && got.dtmf == 1, "  the new values");
	is_int(store_did_get(st, "12025550100", &got, err, sizeof(err)), 0,
	    "did get is exact (the + variants are the policy's)");
	store_did_t d2 = { "*", "postmaster@sender.test", "open", 0 };
	store_did_add(st, &d2, err, sizeof(err));
	ok(store_did_list(st, &rows, &n, err, sizeof(err)) == 0 && n == 2 &&
	    strcmp(rows[0].did, "*") == 0 && strcmp(rows[1].did, "+12025550100") == 0, "did list, sorted");
	free(rows);

	store_did_t bad = d;
	strcpy(bad.policy, "anyone");
	ok(store_did_add(st, &bad, err, sizeof(err)) < 0 && strstr(err, "policy 'anyone' is not"),
	    "a bad policy is refused: %s", err);
	bad = d;
	bad.dtmf = 2;
	ok(store_did_add(st, &bad, err, sizeof(err)) < 0 && strstr(err, "dtmf 2"),
	    "dtmf 2 is refused: %s", err);
	bad = d;
	strcpy(bad.did, "+1 202");
	ok(store_did_add(st, &bad, err, sizeof(err)) < 0 && strstr(err, "DID '+1 202'"),
	    "a DID with a space is refused: %s", err);
	bad = d;
	strcpy(bad.addresses, "   ");
	ok(store_did_add(st, &bad, err, sizeof(err)) < 0 && strstr(err, "addresses"),
	    "blank addresses are refused: %s", err);
	bad = d;
	bad.addresses[0] = '\x1b';
	ok(store_did_add(st, &bad, err, sizeof(err)) < 0, "a control character is refused");
	is_int(store_did_remove(st, "*", err, sizeof(err)), 1, "did remove: 1");
	is_int(store_did_remove(st, "*", err, sizeof(err)), 0, "did remove again: 0");
}

static void test_index_routes(store_t *st)
{
	store_index_t x = { "12", "alice@sender.test +442079460000" }, got, *xs;
	store_route_t r, *rs;
	size_t n;
	char err[512];

	is_int(store_index_add(st, &x, err, sizeof(err)), 0, "index add");
	is_int(store_index_add(st, &x, err, sizeof(err)), 1, "index add again: replaced");
	strcpy(x.idx, "9");
	store_index_add(st, &x, err, sizeof(err));
	ok(store_index_get(st, "12", &got, err, sizeof(err)) == 1 &&
	    strcmp(got.targets, "alice@sender.test +442079460000") == 0, "index get");
	is_int(store_index_get(st, "13", &got, err, sizeof(err)), 0, "index get: unknown");
	ok(store_index_list(st, &xs, &n, err, sizeof(err)) == 0 && n == 2 &&
	    strcmp(xs[0].idx, "9") == 0 && strcmp(xs[1].idx, "12") == 0,
	    "index list: 9 before 12 (by number)");
	free(xs);
	is_int(store_index_remove(st, "9", err, sizeof(err)), 1, "index remove");

	static const char *const routes[][2] = {
		{ "", "default.test" }, { "4", "four.test" }, { "44", "uk.test" },
		{ "4420", "london.test" }, { "1", "us.test" },
	};
	for (size_t i = 0; i < 5; i++) {
		store_route_t a;
		snprintf(a.prefix, sizeof(a.prefix), "%s", routes[i][0]);
		snprintf(a.domain, sizeof(a.domain), "%s", routes[i][1]);
		if (store_route_add(st, &a, err, sizeof(err)) != 0)
			diag("route add %s: %s", routes[i][0], err);
	}
	static const char *const look[][2] = {
		{ "442079460000", "london.test" }, { "441164960348", "uk.test" },
		{ "4930000000", "four.test" }, { "12025550100", "us.test" },
		{ "33140000000", "default.test" }, { "44", "uk.test" }, { "4", "four.test" },
	};
	for (size_t i = 0; i < 7; i++)
		ok(store_route_lookup(st, look[i][0], &r, err, sizeof(err)) == 1 &&
		    strcmp(r.domain, look[i][1]) == 0, "route for %s: %s (longest prefix)", look[i][0],
		    look[i][1]);
	is_int(store_route_remove(st, "", err, sizeof(err)), 1, "remove the default route");
	is_int(store_route_lookup(st, "33140000000", &r, err, sizeof(err)), 0,
	    "  then +33 has no route");
	store_route_t wild = { "%", "wild.test" };
	store_route_add(st, &wild, err, sizeof(err));
	is_int(store_route_lookup(st, "33140000000", &r, err, sizeof(err)), 0,
	    "a prefix is not a LIKE pattern");
	store_route_remove(st, "%", err, sizeof(err));
	ok(store_route_list(st, &rs, &n, err, sizeof(err)) == 0 && n == 4 &&
	    strcmp(rs[0].prefix, "1") == 0, "route list");
	free(rs);
	store_route_t bad = { "44", "" };
	ok(store_route_add(st, &bad, err, sizeof(err)) < 0 && strstr(err, "domain"),
	    "a route without a domain is refused: %s", err);
}

static void test_callers(store_t *st)
{
	store_caller_t c = { "+1703*", "+12025550100", "callerid" }, *rows;
	size_t n;
	char err[512];

	is_int(store_caller_add(st, &c, err, sizeof(err)), 0, "caller add");
	is_int(store_caller_add(st, &c, err, sizeof(err)), 0 + 1, "caller add again: replaced");
	strcpy(c.did, "*");
	is_int(store_caller_add(st, &c, err, sizeof(err)), 0, "the same pattern for every DID");
	strcpy(c.kind, "tsi");
	strcpy(c.pattern, "ACME FAX*");
	is_int(store_caller_add(st, &c, err, sizeof(err)), 0, "a TSI pattern with a space");
	store_caller_t other = { "+1212*", "+12025550199", "callerid" };
	store_caller_add(st, &other, err, sizeof(err));
	ok(store_caller_find(st, "+12025550100", "callerid", &rows, &n, err, sizeof(err)) == 0 &&
	    n == 2, "find callerid rows for a DID: its own and '*'");
	free(rows);
	ok(store_caller_find(st, "+12025550100", "tsi", &rows, &n, err, sizeof(err)) == 0 && n == 1 &&
	    strcmp(rows[0].pattern, "ACME FAX*") == 0, "find tsi rows");
	free(rows);
	ok(store_caller_list(st, &rows, &n, err, sizeof(err)) == 0 && n == 4, "caller list: 4");
	free(rows);
	store_caller_t bad = { "x", "*", "phone" };
	ok(store_caller_add(st, &bad, err, sizeof(err)) < 0 && strstr(err, "kind 'phone'"),
	    "a bad kind is refused: %s", err);
	store_caller_t rm = { "+1703*", "*", "callerid" };
	is_int(store_caller_remove(st, &rm, err, sizeof(err)), 1, "caller remove (pattern, DID, kind)");
	is_int(store_caller_remove(st, &rm, err, sizeof(err)), 0, "  again: none");
}

static void test_users(store_t *st)
{
	store_secret_t s, got;
	store_user_t *rows;
	size_t n;
	long failures = -1;
	char err[512];

	memset(&s, 0, sizeof(s));
	memset(s.salt, 0xa5, 16);
	memset(s.hash, 0x5a, 32);
	s.saltlen = 16;
	s.hashlen = 32;
	s.iterations = 100000;
	is_int(store_user_add(st, "4711", &s, 1700000000, err, sizeof(err)), 0, "user add");
	is_int(store_user_add(st, "4711", &s, 1700000100, err, sizeof(err)), 1, "user add: replaced");
	ok(store_user_get(st, "4711", &got, err, sizeof(err)) == 1 && got.saltlen == 16 &&
	    got.hashlen == 32 && got.iterations == 100000 && memcmp(got.salt, s.salt, 16) == 0 &&
	    memcmp(got.hash, s.hash, 32) == 0, "user get: salt, hash and rounds byte for byte");
	is_int(store_user_get(st, "4712", &got, err, sizeof(err)), 0, "user get: unknown");
	ok(store_user_list(st, &rows, &n, err, sizeof(err)) == 0 && n == 1 &&
	    strcmp(rows[0].name, "4711") == 0 && rows[0].created_at == 1700000100, "user list");
	free(rows);
	s.saltlen = 2;
	ok(store_user_add(st, "4712", &s, 1, err, sizeof(err)) < 0 && strstr(err, "salt"),
	    "a short salt is refused: %s", err);
	is_int(count("SELECT count(*) FROM users WHERE typeof(hash) = 'blob' AND length(hash) = 32"),
	    1, "the hash is a 32-byte blob");
	is_int(store_user_remove(st, "4711", err, sizeof(err)), 1, "user remove");

	for (int i = 0; i < 3; i++)
		store_auth_failure_add(st, "+15550001", 1700000000 + i, err, sizeof(err));
	store_auth_failure_add(st, "", 1700000000, err, sizeof(err));
	ok(store_auth_failure_count(st, "+15550001", 1700000001, &failures, err, sizeof(err)) == 0 &&
	    failures == 2, "failures since a time: 2");
	ok(store_auth_failure_count(st, NULL, 0, &failures, err, sizeof(err)) == 0 && failures == 1,
	    "no caller ID counts as \"\"");
	store_auth_failure_add(st, "+15550002", 1700000000 + 86400 + 10, err, sizeof(err));
	is_int(count("SELECT count(*) FROM auth_failures"), 1, "failures older than a day are pruned");
}

/* add_fax - a received fax, optionally already decided; its id */
static long add_fax(store_t *st, long at, const char *targets, const char *decision)
{
	static const unsigned char tiff[] = { 'I', 'I', 42, 0 };
	store_inbound_t in = { .received_at = at, .did = "+12025550100", .caller = "+15550001",
		.pages = 1, .outcome = "ok", .tiff = tiff, .tifflen = sizeof(tiff),
		.targets = targets, .decision = decision };
	char err[512];
	long id = 0;

	if (store_inbound_add(st, &in, &id, err, sizeof(err)) < 0)
		diag("inbound add: %s", err);
	return id;
}

static void test_mailer(store_t *st)
{
	store_inbound_row_t r;
	long ids[8], a, b, c;
	size_t n;
	char err[512], from[16];

	/* Fax 1 (from the v4 store) is due too. */
	store_inbound_mark(st, 1, "failed", "old", 0, 0, 1700000000, err, sizeof(err));
	a = add_fax(st, 1700001000, "alice@sender.test", "allow ok: test");
	b = add_fax(st, 1700000500, NULL, NULL);
	ok(a > 0 && b > 0, "two received faxes stored");
	ok(store_inbound_get(st, a, &r, 0, err, sizeof(err)) == 1 && r.targets && r.decision &&
	    strcmp(r.targets, "alice@sender.test") == 0 && strcmp(r.decision, "allow ok: test") == 0,
	    "targets and decision given at call time are kept");
	store_inbound_row_free(&r);
	store_inbound_t badin = { .received_at = 1, .targets = "   " };
	ok(store_inbound_add(st, &badin, NULL, err, sizeof(err)) < 0 && strstr(err, "targets"),
	    "blank targets are refused: %s", err);

	ok(store_inbound_due(st, 1700002000, ids, 8, &n, err, sizeof(err)) == 0 && n == 2 &&
	    ids[0] == b && ids[1] == a, "due: both, oldest call first");
	is_int(store_inbound_claim(st, b, 1700002000, 1700002600, err, sizeof(err)), 1, "claim one");
	is_int(store_inbound_claim(st, b, 1700002000, 1700002600, err, sizeof(err)), 0,
	    "  a second claim (another mailer) gets nothing");
	is_str(text("SELECT state FROM inbound WHERE id = (SELECT max(id) - 0 FROM inbound"
	    " WHERE received_at = 1700000500)"), "mailing", "  it is 'mailing'");
	ok(store_inbound_due(st, 1700002000, ids, 8, &n, err, sizeof(err)) == 0 && n == 1 &&
	    ids[0] == a, "  and no longer due");
	ok(store_inbound_due(st, 1700002600, ids, 8, &n, err, sizeof(err)) == 0 && n == 2,
	    "  until its lease runs out (its mailer died)");
	is_int(store_inbound_decide(st, b, "bob@sender.test", "allow ok: decided late", err,
	    sizeof(err)), 1, "decide records targets and decision");
	is_int(store_inbound_mark(st, b, "new", "sendmail: exit 75", 1700002300, 1, 1700002000, err,
	    sizeof(err)), 1, "mark new: a retry");
	ok(store_inbound_get(st, b, &r, 0, err, sizeof(err)) == 1 && strcmp(r.state, "new") == 0 &&
	    r.mail_tries == 1 && r.mail_next_at == 1700002300 && r.mail_error &&
	    strcmp(r.mail_error, "sendmail: exit 75") == 0 && r.targets &&
	    strcmp(r.targets, "bob@sender.test") == 0, "  tries 1, due later, the error kept");
	store_inbound_row_free(&r);
	ok(store_inbound_due(st, 1700002299, ids, 8, &n, err, sizeof(err)) == 0 && n == 1,
	    "  not due before its time");
	{
		long when = -1;
		ok(store_inbound_next_due(st, 1700002000, &when, err, sizeof(err)) == 0 &&
		    when == 1700002300, "next due: the retry's time");
		ok(store_inbound_next_due(st, 1700002300, &when, err, sizeof(err)) == 0 && when == 0,
		    "  nothing after it: 0");
	}
	store_inbound_claim(st, b, 1700002300, 1700002900, err, sizeof(err));
	is_int(store_inbound_mark(st, b, "mailed", NULL, 0, 0, 1700002301, err, sizeof(err)), 1,
	    "mark mailed");
	ok(store_inbound_get(st, b, &r, 0, err, sizeof(err)) == 1 && strcmp(r.state, "mailed") == 0 &&
	    r.mailed_at == 1700002301 && r.mail_tries == 1 && r.mail_error == NULL,
	    "  mailed_at set, the error cleared");
	store_inbound_row_free(&r);
	is_int(store_inbound_mark(st, b, "failed", "late", 0, 0, 1700002302, err, sizeof(err)), 0,
	    "a mailed fax cannot be marked again");
	ok(store_inbound_mark(st, b, "mailing", NULL, 0, 0, 1, err, sizeof(err)) < 0 &&
	    strstr(err, "state 'mailing'"), "mark only to new, mailed or failed: %s", err);

	c = add_fax(st, 1700003000, NULL, NULL);
	store_inbound_mark(st, c, "failed", "refuse no_route: x", 0, 0, 1700003001, err, sizeof(err));
	is_int(store_inbound_requeue(st, c, 1700003100, from, sizeof(from), err, sizeof(err)), 1,
	    "requeue a failed fax");
	ok(store_inbound_get(st, c, &r, 0, err, sizeof(err)) == 1 && strcmp(r.state, "new") == 0 &&
	    r.mail_next_at == 1700003100 && r.mail_error == NULL && r.mail_tries == 0,
	    "  new, due now, error and tries cleared");
	store_inbound_row_free(&r);
	ok(store_inbound_requeue(st, c, 1, from, sizeof(from), err, sizeof(err)) == 0 &&
	    strcmp(from, "new") == 0, "requeue a new fax: 0, and its state");
	ok(store_inbound_requeue(st, 999, 1, from, sizeof(from), err, sizeof(err)) == 0 &&
	    from[0] == '\0', "requeue an unknown fax: 0 and \"\"");
}

int main(void)
{
	store_t *st;
	char p[300];

	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/faxgate.db", dir);
	if ((st = test_upgrade()) != NULL) {
		test_dids(st);
		test_index_routes(st);
		test_callers(st);
		test_users(st);
		test_mailer(st);
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
