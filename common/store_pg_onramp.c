/*
 * store_pg_onramp.c - the onramp's tables in the PostgreSQL store: the
 * DID map, the DTMF index, the offramp routes, the allowed callers, the
 * DTMF users and their failed logins; see store.h for the contract (the
 * same as store_sqlite_onramp.c's). store.c has already checked the values.
 *
 * An "add" is an INSERT ... ON CONFLICT DO NOTHING and, when the key was
 * there, an UPDATE of that row: each statement is atomic, so "replaced"
 * and "added" are reported truthfully even with two operators at work on
 * two hosts, and a key that exists never surfaces as a unique violation.
 * Lists sort with the "C" collation, byte by byte as SQLite does, so an
 * operator sees the same order whatever the database's locale.
 *
 * Errors name the operation as the SQLite backend does ("store NAME: add
 * DID: reason"), not the statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg_int.h"

/* The longest list anyone gets: a table is an operator's, not a flood. */
#define LIST_ROWS "100000"

/* An add whose row another operator removes between the two statements
 * inserts again; this many rounds of that is not an operator any more. */
#define ADD_TRIES 3

/* relabel - err as pgs_query wrote it ("store NAME: SQL: reason") with
 * the operation in place of the statement; any other message (out of
 * memory) is left as it is. Returns -1 */
static int relabel(pg_store_t *s, const char *what, const char *sql, char *err, size_t errlen)
{
	char head[1024], why[512];
	int l = snprintf(head, sizeof(head), "store %s: %s: ", s->name, sql);

	if (l < 0 || (size_t)l >= sizeof(head) || strncmp(err, head, (size_t)l) != 0)
		return -1;
	snprintf(why, sizeof(why), "%s", err + l);
	snprintf(err, errlen, "store %s: %s: %s", s->name, what, why);
	return -1;
}

/* cmd - one statement without rows; the number of rows changed, or -1 */
static long cmd(pg_store_t *s, const char *what, const char *sql, const pgp_t *p,
    char *err, size_t errlen)
{
	long changed = 0;

	if (pgs_cmd(s, sql, p, &changed, err, errlen) < 0)
		return relabel(s, what, sql, err, errlen);
	return changed;
}

/* add - insert a row (p holds its values) or, when its key is there,
 * update that row: 1 replaced, 0 added, -1 */
static int add(pg_store_t *s, const char *what, const char *insert, const char *update,
    const pgp_t *p, char *err, size_t errlen)
{
	long n;

	for (int i = 0; i < ADD_TRIES; i++) {
		if ((n = cmd(s, what, insert, p, err, errlen)) != 0)
			return n < 0 ? -1 : 0;
		if ((n = cmd(s, what, update, p, err, errlen)) != 0)
			return n < 0 ? -1 : 1;
	}
	snprintf(err, errlen, "store %s: %s: the row keeps changing; try again", s->name, what);
	return -1;
}

/* A row reader: fill the element at elem from row i of r. */
typedef void (*reader_fn)(const PGresult *r, int i, void *elem);

/* fetch - every row of a query into a malloc'ed array of size-byte
 * elements (NULL when there is none); 0 or -1 */
static int fetch(pg_store_t *s, const char *what, const char *sql, const pgp_t *p,
    size_t size, reader_fn read, void **rows, size_t *n, char *err, size_t errlen)
{
	PGresult *r;
	char *a;

	*rows = NULL;
	*n = 0;
	if (!(a = pgs_select(s, sql, p, 0, size, &r, err, errlen)))
		return relabel(s, what, sql, err, errlen);
	for (int i = 0; i < PQntuples(r); i++)
		read(r, i, a + (size_t)i * size);
	*n = (size_t)PQntuples(r);
	PQclear(r);
	if (*n == 0)
		free(a);	/* as SQLite's: no rows, no array */
	else
		*rows = a;
	return 0;
}

/* fetch_one - the first row of a query into elem (zeroed first); 1, 0 if
 * none, or -1. binary: the query returns bytea (see store_pg_int.h). */
static int fetch_one(pg_store_t *s, const char *what, const char *sql, const pgp_t *p,
    int binary, size_t size, reader_fn read, void *elem, char *err, size_t errlen)
{
	PGresult *r;
	int found;

	memset(elem, 0, size);
	if (!(r = pgs_query(s, sql, p, binary, err, errlen)))
		return relabel(s, what, sql, err, errlen);
	if ((found = PQntuples(r) > 0))
		read(r, 0, elem);
	PQclear(r);
	return found;
}

/* key - parameters holding one text value */
static pgp_t key(const char *k)
{
	pgp_t p = { 0 };

	pgp_text(&p, k);
	return p;
}

/* The DID map. */

#define DID_COLS "did, addresses, policy, dtmf::text"

static void read_did(const PGresult *r, int i, void *elem)
{
	store_did_t *d = elem;

	pgs_copy(d->did, sizeof(d->did), r, i, 0);
	pgs_copy(d->addresses, sizeof(d->addresses), r, i, 1);
	pgs_copy(d->policy, sizeof(d->policy), r, i, 2);
	d->dtmf = (int)pgs_long(r, i, 3);
}

int pgs_did_add(store_t *b, const store_did_t *d, char *err, size_t errlen)
{
	pgp_t p = { 0 };

	pgp_text(&p, d->did);
	pgp_text(&p, d->addresses);
	pgp_text(&p, d->policy);
	pgp_long(&p, d->dtmf ? 1 : 0);
	return add((pg_store_t *)b, "add DID", "INSERT INTO did_map (did, addresses, policy, dtmf)"
	    " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", "UPDATE did_map SET addresses = $2,"
	    " policy = $3, dtmf = $4 WHERE did = $1", &p, err, errlen);
}

int pgs_did_remove(store_t *b, const char *k, char *err, size_t errlen)
{
	pgp_t p = key(k);

	return (int)cmd((pg_store_t *)b, "remove DID", "DELETE FROM did_map WHERE did = $1", &p,
	    err, errlen);
}

int pgs_did_list(store_t *b, store_did_t **rows, size_t *n, char *err, size_t errlen)
{
	return fetch((pg_store_t *)b, "list DIDs", "SELECT " DID_COLS " FROM did_map"
	    " ORDER BY did COLLATE \"C\" LIMIT " LIST_ROWS, NULL, sizeof(**rows), read_did,
	    (void **)rows, n, err, errlen);
}

int pgs_did_get(store_t *b, const char *k, store_did_t *d, char *err, size_t errlen)
{
	pgp_t p = key(k);

	return fetch_one((pg_store_t *)b, "read DID", "SELECT " DID_COLS " FROM did_map"
	    " WHERE did = $1", &p, 0, sizeof(*d), read_did, d, err, errlen);
}

/* The DTMF index. */

static void read_index(const PGresult *r, int i, void *elem)
{
	store_index_t *x = elem;

	pgs_copy(x->idx, sizeof(x->idx), r, i, 0);
	pgs_copy(x->targets, sizeof(x->targets), r, i, 1);
}

int pgs_index_add(store_t *b, const store_index_t *x, char *err, size_t errlen)
{
	pgp_t p = { 0 };

	pgp_text(&p, x->idx);
	pgp_text(&p, x->targets);
	return add((pg_store_t *)b, "add index", "INSERT INTO dtmf_index (idx, targets)"
	    " VALUES ($1, $2) ON CONFLICT DO NOTHING", "UPDATE dtmf_index SET targets = $2"
	    " WHERE idx = $1", &p, err, errlen);
}

int pgs_index_remove(store_t *b, const char *k, char *err, size_t errlen)
{
	pgp_t p = key(k);

	return (int)cmd((pg_store_t *)b, "remove index", "DELETE FROM dtmf_index WHERE idx = $1",
	    &p, err, errlen);
}

int pgs_index_list(store_t *b, store_index_t **rows, size_t *n, char *err, size_t errlen)
{
	/* Digits sort as numbers would: shorter first, then in order. */
	return fetch((pg_store_t *)b, "list indexes", "SELECT idx, targets FROM dtmf_index"
	    " ORDER BY length(idx), idx COLLATE \"C\" LIMIT " LIST_ROWS, NULL, sizeof(**rows),
	    read_index, (void **)rows, n, err, errlen);
}

int pgs_index_get(store_t *b, const char *k, store_index_t *x, char *err, size_t errlen)
{
	pgp_t p = key(k);

	return fetch_one((pg_store_t *)b, "read index", "SELECT idx, targets FROM dtmf_index"
	    " WHERE idx = $1", &p, 0, sizeof(*x), read_index, x, err, errlen);
}

/* The offramp routes. */

static void read_route(const PGresult *r, int i, void *elem)
{
	store_route_t *x = elem;

	pgs_copy(x->prefix, sizeof(x->prefix), r, i, 0);
	pgs_copy(x->domain, sizeof(x->domain), r, i, 1);
}

int pgs_route_add(store_t *b, const store_route_t *x, char *err, size_t errlen)
{
	pgp_t p = { 0 };

	pgp_text(&p, x->prefix);
	pgp_text(&p, x->domain);
	return add((pg_store_t *)b, "add route", "INSERT INTO routes (prefix, domain)"
	    " VALUES ($1, $2) ON CONFLICT DO NOTHING", "UPDATE routes SET domain = $2"
	    " WHERE prefix = $1", &p, err, errlen);
}

int pgs_route_remove(store_t *b, const char *k, char *err, size_t errlen)
{
	pgp_t p = key(k);

	return (int)cmd((pg_store_t *)b, "remove route", "DELETE FROM routes WHERE prefix = $1",
	    &p, err, errlen);
}

int pgs_route_list(store_t *b, store_route_t **rows, size_t *n, char *err, size_t errlen)
{
	return fetch((pg_store_t *)b, "list routes", "SELECT prefix, domain FROM routes"
	    " ORDER BY prefix COLLATE \"C\" LIMIT " LIST_ROWS, NULL, sizeof(**rows), read_route,
	    (void **)rows, n, err, errlen);
}

/* pgs_route_lookup - the route with the longest prefix of number; 1, 0, -1 */
int pgs_route_lookup(store_t *b, const char *k, store_route_t *x, char *err, size_t errlen)
{
	pgp_t p = key(k);

	/* starts_with, not LIKE: a prefix holds no wildcard that way. */
	return fetch_one((pg_store_t *)b, "look up route", "SELECT prefix, domain FROM routes"
	    " WHERE starts_with($1, prefix) ORDER BY length(prefix) DESC LIMIT 1", &p, 0,
	    sizeof(*x), read_route, x, err, errlen);
}

/* The allowed callers. */

static void read_caller(const PGresult *r, int i, void *elem)
{
	store_caller_t *c = elem;

	pgs_copy(c->pattern, sizeof(c->pattern), r, i, 0);
	pgs_copy(c->did, sizeof(c->did), r, i, 1);
	pgs_copy(c->kind, sizeof(c->kind), r, i, 2);
}

/* caller_key - the parameters of a caller row: its whole row is its key */
static pgp_t caller_key(const store_caller_t *c)
{
	pgp_t p = { 0 };

	pgp_text(&p, c->pattern);
	pgp_text(&p, c->did);
	pgp_text(&p, c->kind);
	return p;
}

int pgs_caller_add(store_t *b, const store_caller_t *x, char *err, size_t errlen)
{
	pgp_t p = caller_key(x);

	/* The update writes what is there: it only says whether it was. */
	return add((pg_store_t *)b, "add caller", "INSERT INTO callers (pattern, did, kind)"
	    " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", "UPDATE callers SET kind = $3"
	    " WHERE pattern = $1 AND did = $2 AND kind = $3", &p, err, errlen);
}

int pgs_caller_remove(store_t *b, const store_caller_t *x, char *err, size_t errlen)
{
	pgp_t p = caller_key(x);

	return (int)cmd((pg_store_t *)b, "remove caller", "DELETE FROM callers WHERE"
	    " pattern = $1 AND did = $2 AND kind = $3", &p, err, errlen);
}

int pgs_caller_list(store_t *b, store_caller_t **rows, size_t *n, char *err, size_t errlen)
{
	return fetch((pg_store_t *)b, "list callers", "SELECT pattern, did, kind FROM callers"
	    " ORDER BY kind COLLATE \"C\", did COLLATE \"C\", pattern COLLATE \"C\""
	    " LIMIT " LIST_ROWS, NULL, sizeof(**rows), read_caller, (void **)rows, n, err, errlen);
}

int pgs_caller_find(store_t *b, const char *did, const char *kind, store_caller_t **rows,
    size_t *n, char *err, size_t errlen)
{
	pgp_t p = { 0 };

	pgp_text(&p, did);
	pgp_text(&p, kind);
	return fetch((pg_store_t *)b, "find callers", "SELECT pattern, did, kind FROM callers"
	    " WHERE did IN ($1, '*') AND kind = $2 ORDER BY did COLLATE \"C\","
	    " pattern COLLATE \"C\" LIMIT " LIST_ROWS, &p, sizeof(**rows), read_caller,
	    (void **)rows, n, err, errlen);
}

/* The DTMF users. */

static void read_user(const PGresult *r, int i, void *elem)
{
	store_user_t *u = elem;

	pgs_copy(u->name, sizeof(u->name), r, i, 0);
	u->created_at = pgs_long(r, i, 1);
}

/* pgs_user_add - a user and the hash of its password; 1 replaced, 0, -1 */
int pgs_user_add(store_t *b, const char *name, const store_secret_t *sec, long now,
    char *err, size_t errlen)
{
	pgp_t p = { 0 };

	pgp_text(&p, name);
	pgp_blob(&p, sec->salt, sec->saltlen);
	pgp_blob(&p, sec->hash, sec->hashlen);
	pgp_long(&p, (long)sec->iterations);
	pgp_long(&p, now);
	return add((pg_store_t *)b, "add user", "INSERT INTO users (name, salt, hash, iterations,"
	    " created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", "UPDATE users SET"
	    " salt = $2, hash = $3, iterations = $4, created_at = $5 WHERE name = $1", &p,
	    err, errlen);
}

int pgs_user_remove(store_t *b, const char *k, char *err, size_t errlen)
{
	pgp_t p = key(k);

	return (int)cmd((pg_store_t *)b, "remove user", "DELETE FROM users WHERE name = $1", &p,
	    err, errlen);
}

int pgs_user_list(store_t *b, store_user_t **rows, size_t *n, char *err, size_t errlen)
{
	return fetch((pg_store_t *)b, "list users", "SELECT name, created_at::text FROM users"
	    " ORDER BY length(name), name COLLATE \"C\" LIMIT " LIST_ROWS, NULL, sizeof(**rows),
	    read_user, (void **)rows, n, err, errlen);
}

/* read_secret - salt, hash and iterations of a binary result, bounded by
 * the struct */
static void read_secret(const PGresult *r, int i, void *elem)
{
	store_secret_t *sec = elem;
	int sl = PQgetlength(r, i, 0), hl = PQgetlength(r, i, 1);

	/* A row longer than the struct is not ours: it reads as no secret,
	 * which verifies nothing. */
	if (!PQgetisnull(r, i, 0) && !PQgetisnull(r, i, 1) && sl > 0 && hl > 0 &&
	    sl <= STORE_SECRET_MAX && hl <= STORE_SECRET_MAX) {
		memcpy(sec->salt, PQgetvalue(r, i, 0), (size_t)sl);
		memcpy(sec->hash, PQgetvalue(r, i, 1), (size_t)hl);
		sec->saltlen = (size_t)sl;
		sec->hashlen = (size_t)hl;
		sec->iterations = (unsigned)pgs_long(r, i, 2);
	}
}

int pgs_user_get(store_t *b, const char *k, store_secret_t *sec, char *err, size_t errlen)
{
	pgp_t p = key(k);

	return fetch_one((pg_store_t *)b, "read user", "SELECT salt, hash, iterations::text"
	    " FROM users WHERE name = $1", &p, 1, sizeof(*sec), read_secret, sec, err, errlen);
}

/* Failed logins. */

/* pgs_auth_failure_add - record one, prune those older than a day, in one
 * statement (so in one transaction); 0 or -1 */
int pgs_auth_failure_add(store_t *b, const char *caller, long now, char *err,
    size_t errlen)
{
	pgp_t p = { 0 };

	pgp_text(&p, caller);
	pgp_long(&p, now);
	pgp_long(&p, now - 86400);
	return cmd((pg_store_t *)b, "record failed login", "WITH old AS (DELETE FROM auth_failures"
	    " WHERE at < $3) INSERT INTO auth_failures (caller, at) VALUES ($1, $2)", &p,
	    err, errlen) < 0 ? -1 : 0;
}

int pgs_auth_failure_count(store_t *b, const char *caller, long since, long *count,
    char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)b;
	static const char sql[] = "SELECT count(*)::text FROM auth_failures WHERE caller = $1"
	    " AND at >= $2";
	PGresult *r;
	pgp_t p = { 0 };

	*count = 0;
	pgp_text(&p, caller);
	pgp_long(&p, since);
	if (!(r = pgs_query(s, sql, &p, 0, err, errlen)))
		return relabel(s, "count failed logins", sql, err, errlen);
	*count = pgs_long(r, 0, 0);
	PQclear(r);
	return 0;
}
