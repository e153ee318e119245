/*
 * onramptest.h - for the store's unit tests (header-only): the onramp's
 * tables (DIDs, the DTMF index, routes, callers, users, failed logins),
 * checked the same way on every backend.
 *
 * SYNOPSIS
 *	#include "tap.h"
 *	#include "onramptest.h"
 *	void onramptest_dids(store_t *st, onramptest_count_fn count);
 *	void onramptest_index_routes(store_t *st);
 *	void onramptest_callers(store_t *st, onramptest_count_fn count);
 *	void onramptest_users(store_t *st, onramptest_count_fn count);
 *	void onramptest_auth_failures(store_t *st, onramptest_count_fn count);
 *
 * DESCRIPTION
 *	Each function makes its checks through the store API; count() runs
 *	a query directly on the database (the backend's own connection, so
 *	it sees what was committed) and returns column 0 of its one row, or
 *	-1. The queries are written in SQL both SQLite and PostgreSQL accept;
 *	what is stored in a backend's own types is the backend test's to check.
 *
 *	Call them in this order on tables that start empty: each leaves rows
 *	the next ones do not mind. onramptest_users leaves user "12" (a
 *	32-byte hash whose first byte is 1, a 16-byte salt with a NUL) and
 *	nothing else; onramptest_auth_failures leaves one failure, for
 *	"+15550002".
 */
#ifndef FAXGATE_ONRAMPTEST_H
#define FAXGATE_ONRAMPTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

typedef long (*onramptest_count_fn)(const char *sql);

__attribute__((unused))
static void onramptest_dids(store_t *st, onramptest_count_fn count)
{
	store_did_t d = { "+12025550100", "alice@sender.test", "open", 0 }, got, *rows;
	size_t n;
	char err[512];

	is_int(store_did_add(st, &d, err, sizeof(err)), 0, "did add: new");
	strcpy(d.addresses, "bob@sender.test carol@sender.test");
	strcpy(d.policy, "callerid+credentials");
	d.dtmf = 1;
	is_int(store_did_add(st, &d, err, sizeof(err)), 1, "did add again: replaced");
	is_int(count("SELECT count(*) FROM did_map"), 1, "  one row, not two");
	is_int(store_did_get(st, "+12025550100", &got, err, sizeof(err)), 1, "did get");
	ok(strcmp(got.did, "+12025550100") == 0 &&
	    strcmp(got.addresses, "bob@sender.test carol@sender.test") == 0 &&
	    strcmp(got.policy, "callerid+credentials") == 0 && got.dtmf == 1, "  the new values");
	is_int(store_did_get(st, "12025550100", &got, err, sizeof(err)), 0,
	    "did get is exact (the + variants are the policy's)");
	ok(got.did[0] == '\0' && got.dtmf == 0, "  and leaves nothing behind");
	store_did_t d2 = { "*", "postmaster@sender.test", "open", 0 };
	is_int(store_did_add(st, &d2, err, sizeof(err)), 0, "did add '*'");
	ok(store_did_list(st, &rows, &n, err, sizeof(err)) == 0 && n == 2 &&
	    strcmp(rows[0].did, "*") == 0 && strcmp(rows[1].did, "+12025550100") == 0 &&
	    rows[1].dtmf == 1 && strcmp(rows[0].addresses, "postmaster@sender.test") == 0,
	    "did list, sorted byte by byte");
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
	is_int(count("SELECT count(*) FROM did_map WHERE policy = 'anyone' OR dtmf = 2"
	    " OR did LIKE '% %' OR addresses = '   '"), 0, "  none of them written");
	is_int(store_did_remove(st, "*", err, sizeof(err)), 1, "did remove: 1");
	is_int(store_did_remove(st, "*", err, sizeof(err)), 0, "did remove again: 0 (no such DID)");
	is_int(store_did_remove(st, "+19999999999", err, sizeof(err)), 0, "did remove unknown: 0");
	ok(store_did_list(st, &rows, &n, err, sizeof(err)) == 0 && n == 1, "did list: one left");
	free(rows);
}

__attribute__((unused))
static void onramptest_index_routes(store_t *st)
{
	store_index_t x = { "12", "alice@sender.test +442079460000" }, got, *xs;
	store_route_t r, *rs;
	size_t n;
	char err[512];

	is_int(store_index_add(st, &x, err, sizeof(err)), 0, "index add");
	is_int(store_index_add(st, &x, err, sizeof(err)), 1, "index add again: replaced");
	strcpy(x.idx, "9");
	strcpy(x.targets, "bob@sender.test");
	is_int(store_index_add(st, &x, err, sizeof(err)), 0, "index add 9");
	ok(store_index_get(st, "12", &got, err, sizeof(err)) == 1 &&
	    strcmp(got.idx, "12") == 0 &&
	    strcmp(got.targets, "alice@sender.test +442079460000") == 0, "index get");
	is_int(store_index_get(st, "13", &got, err, sizeof(err)), 0, "index get: unknown");
	ok(store_index_list(st, &xs, &n, err, sizeof(err)) == 0 && n == 2 &&
	    strcmp(xs[0].idx, "9") == 0 && strcmp(xs[1].idx, "12") == 0 &&
	    strcmp(xs[0].targets, "bob@sender.test") == 0, "index list: 9 before 12 (by number)");
	free(xs);
	store_index_t badx = { "7 7", "a@b.test" };
	ok(store_index_add(st, &badx, err, sizeof(err)) < 0 && strstr(err, "index '7 7'"),
	    "an index with a space is refused: %s", err);
	is_int(store_index_remove(st, "9", err, sizeof(err)), 1, "index remove");
	is_int(store_index_remove(st, "9", err, sizeof(err)), 0, "index remove again: 0");

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
	store_route_t us = { "1", "us2.test" };
	is_int(store_route_add(st, &us, err, sizeof(err)), 1, "route add again: replaced");
	static const char *const look[][2] = {
		{ "442079460000", "london.test" }, { "441164960348", "uk.test" },
		{ "4930000000", "four.test" }, { "12025550100", "us2.test" },
		{ "33140000000", "default.test" }, { "44", "uk.test" }, { "4", "four.test" },
	};
	for (size_t i = 0; i < 7; i++)
		ok(store_route_lookup(st, look[i][0], &r, err, sizeof(err)) == 1 &&
		    strcmp(r.domain, look[i][1]) == 0, "route for %s: %s (longest prefix)", look[i][0],
		    look[i][1]);
	is_int(store_route_remove(st, "", err, sizeof(err)), 1, "remove the default route");
	is_int(store_route_lookup(st, "33140000000", &r, err, sizeof(err)), 0,
	    "  then +33 has no route");
	/* Both backends match prefixes with SQL; neither may treat them as
	 * LIKE patterns. */
	store_route_t wild = { "%", "wild.test" }, under = { "3_", "under.test" };
	store_route_add(st, &wild, err, sizeof(err));
	store_route_add(st, &under, err, sizeof(err));
	is_int(store_route_lookup(st, "33140000000", &r, err, sizeof(err)), 0,
	    "a prefix is not a LIKE pattern (%% and _)");
	store_route_remove(st, "%", err, sizeof(err));
	store_route_remove(st, "3_", err, sizeof(err));
	ok(store_route_list(st, &rs, &n, err, sizeof(err)) == 0 && n == 4 &&
	    strcmp(rs[0].prefix, "1") == 0 && strcmp(rs[1].prefix, "4") == 0 &&
	    strcmp(rs[2].prefix, "44") == 0 && strcmp(rs[3].prefix, "4420") == 0, "route list, sorted");
	free(rs);
	store_route_t bad = { "44", "" };
	ok(store_route_add(st, &bad, err, sizeof(err)) < 0 && strstr(err, "domain"),
	    "a route without a domain is refused: %s", err);
	is_int(store_route_remove(st, "99", err, sizeof(err)), 0, "route remove unknown: 0");
}

__attribute__((unused))
static void onramptest_callers(store_t *st, onramptest_count_fn count)
{
	store_caller_t c = { "+1703*", "+12025550100", "callerid" }, *rows;
	size_t n;
	char err[512];

	is_int(store_caller_add(st, &c, err, sizeof(err)), 0, "caller add");
	is_int(store_caller_add(st, &c, err, sizeof(err)), 1, "caller add again: replaced");
	strcpy(c.did, "*");
	is_int(store_caller_add(st, &c, err, sizeof(err)), 0, "the same pattern for every DID");
	strcpy(c.kind, "tsi");
	strcpy(c.pattern, "ACME FAX*");
	is_int(store_caller_add(st, &c, err, sizeof(err)), 0, "a TSI pattern with a space");
	store_caller_t other = { "+1212*", "+12025550199", "callerid" };
	store_caller_add(st, &other, err, sizeof(err));
	ok(store_caller_find(st, "+12025550100", "callerid", &rows, &n, err, sizeof(err)) == 0 &&
	    n == 2 && strcmp(rows[0].did, "*") == 0 && strcmp(rows[1].did, "+12025550100") == 0 &&
	    strcmp(rows[0].pattern, "+1703*") == 0, "find callerid rows for a DID: '*', then its own");
	free(rows);
	ok(store_caller_find(st, "+12025550100", "tsi", &rows, &n, err, sizeof(err)) == 0 && n == 1 &&
	    strcmp(rows[0].pattern, "ACME FAX*") == 0 && strcmp(rows[0].kind, "tsi") == 0,
	    "find tsi rows");
	free(rows);
	ok(store_caller_find(st, "+12025550199", "callerid", &rows, &n, err, sizeof(err)) == 0 &&
	    n == 2 && strcmp(rows[1].pattern, "+1212*") == 0, "another DID: '*' and its own");
	free(rows);
	ok(store_caller_find(st, "+12025550100", "phone", &rows, &n, err, sizeof(err)) == 0 &&
	    n == 0 && rows == NULL, "no rows of a kind: none, no array");
	ok(store_caller_list(st, &rows, &n, err, sizeof(err)) == 0 && n == 4 &&
	    strcmp(rows[0].kind, "callerid") == 0 && strcmp(rows[3].kind, "tsi") == 0,
	    "caller list: 4, by kind");
	free(rows);
	store_caller_t bad = { "x", "*", "phone" };
	ok(store_caller_add(st, &bad, err, sizeof(err)) < 0 && strstr(err, "kind 'phone'"),
	    "a bad kind is refused: %s", err);
	store_caller_t rm = { "+1703*", "*", "callerid" };
	is_int(store_caller_remove(st, &rm, err, sizeof(err)), 1, "caller remove (pattern, DID, kind)");
	is_int(store_caller_remove(st, &rm, err, sizeof(err)), 0, "  again: none");
	is_int(count("SELECT count(*) FROM callers WHERE pattern = '+1703*'"), 1,
	    "  the DID's own row is kept");
}

__attribute__((unused))
static void onramptest_users(store_t *st, onramptest_count_fn count)
{
	store_secret_t s, got;
	store_user_t *rows;
	size_t n;
	char err[512];

	memset(&s, 0, sizeof(s));
	memset(s.salt, 0xa5, 16);
	memset(s.hash, 0x5a, 32);
	s.salt[3] = 0;	/* a NUL in the middle stays */
	s.saltlen = 16;
	s.hashlen = 32;
	s.iterations = 100000;
	is_int(store_user_add(st, "4711", &s, 1700000000, err, sizeof(err)), 0, "user add");
	s.hash[0] = 0x01;
	is_int(store_user_add(st, "4711", &s, 1700000100, err, sizeof(err)), 1, "user add: replaced");
	ok(store_user_get(st, "4711", &got, err, sizeof(err)) == 1 && got.saltlen == 16 &&
	    got.hashlen == 32 && got.iterations == 100000 && memcmp(got.salt, s.salt, 16) == 0 &&
	    memcmp(got.hash, s.hash, 32) == 0, "user get: salt, hash and rounds byte for byte");
	is_int(store_user_get(st, "4712", &got, err, sizeof(err)), 0, "user get: unknown");
	ok(got.saltlen == 0 && got.hashlen == 0, "  no secret");
	store_user_add(st, "12", &s, 1700000200, err, sizeof(err));
	ok(store_user_list(st, &rows, &n, err, sizeof(err)) == 0 && n == 2 &&
	    strcmp(rows[0].name, "12") == 0 && strcmp(rows[1].name, "4711") == 0 &&
	    rows[1].created_at == 1700000100, "user list: by number, created_at of the last add");
	free(rows);
	s.saltlen = 2;
	ok(store_user_add(st, "4712", &s, 1, err, sizeof(err)) < 0 && strstr(err, "salt"),
	    "a short salt is refused: %s", err);
	/* length() counts the bytes of a BLOB and of a bytea alike. */
	is_int(count("SELECT count(*) FROM users WHERE length(hash) = 32 AND length(salt) = 16"), 2,
	    "every hash 32 bytes, every salt 16 (its NUL kept)");
	is_int(store_user_remove(st, "4711", err, sizeof(err)), 1, "user remove");
	is_int(store_user_remove(st, "4711", err, sizeof(err)), 0, "user remove again: 0");
}

__attribute__((unused))
static void onramptest_auth_failures(store_t *st, onramptest_count_fn count)
{
	long failures = -1;
	char err[512];

	for (int i = 0; i < 3; i++)
		store_auth_failure_add(st, "+15550001", 1700000000 + i, err, sizeof(err));
	ok(store_auth_failure_add(st, "", 1700000000, err, sizeof(err)) == 0, "failure add");
	ok(store_auth_failure_count(st, "+15550001", 1700000001, &failures, err, sizeof(err)) == 0 &&
	    failures == 2, "failures since a time: 2");
	ok(store_auth_failure_count(st, "+15550001", 1700000000, &failures, err, sizeof(err)) == 0 &&
	    failures == 3, "  the window includes its start: 3");
	ok(store_auth_failure_count(st, "+15550001", 1700000003, &failures, err, sizeof(err)) == 0 &&
	    failures == 0, "  and none after the last");
	ok(store_auth_failure_count(st, NULL, 0, &failures, err, sizeof(err)) == 0 && failures == 1,
	    "no caller ID counts as \"\"");
	store_auth_failure_add(st, "+15550002", 1700000000 + 86400 + 10, err, sizeof(err));
	is_int(count("SELECT count(*) FROM auth_failures"), 1, "failures older than a day are pruned");
	ok(store_auth_failure_count(st, "+15550002", 0, &failures, err, sizeof(err)) == 0 &&
	    failures == 1, "  the new one counts");
}

#endif
