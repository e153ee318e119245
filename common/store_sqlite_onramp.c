/*
 * store_sqlite_onramp.c - the onramp's side of the SQLite store: the DID
 * map, the DTMF index, the offramp routes, the allowed callers, the DTMF
 * users and their failed logins, and the mailer's hold on received faxes;
 * see store.h for the contract. store.c has already checked the values.
 *
 * An "add" checks for the row and writes it inside one BEGIN IMMEDIATE
 * transaction, so "replaced" and "added" are reported truthfully even
 * with two operators at work. The mailer's claim is one conditional
 * UPDATE: of two mailers that want the same fax, one wins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite_int.h"

/* The longest list anyone gets: a table is an operator's, not a flood. */
#define LIST_ROWS_MAX 100000

/* bind_all - bind n text arguments (NULL binds NULL) from ?1 on */
static void bind_all(sqlite3_stmt *st, const char *const *args, int n)
{
	for (int i = 0; i < n; i++)
		sqs_bind_text(st, i + 1, args[i]);
}

/* run - one statement with text arguments and no rows; the number of rows
 * changed, or -1 */
static int run(sqlite_store_t *s, const char *what, const char *sql,
    const char *const *args, int n, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqs_err(s, what, err, errlen);
	bind_all(st, args, n);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqs_err(s, what, err, errlen);
	return sqlite3_changes(s->db);
}

/* exists - does the query with these arguments return a row; 1, 0 or -1 */
static int exists(sqlite_store_t *s, const char *what, const char *sql,
    const char *const *args, int n, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqs_err(s, what, err, errlen);
	bind_all(st, args, n);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : sqs_err(s, what, err, errlen);
}

/* upsert - in one transaction: was there a row (probe), then write it;
 * 1 replaced, 0 added, -1 */
static int upsert(sqlite_store_t *s, const char *what, const char *probe, int nprobe,
    const char *write, const char *const *args, int n, char *err, size_t errlen)
{
	int had;

	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	if ((had = exists(s, what, probe, args, nprobe, err, errlen)) < 0 ||
	    run(s, what, write, args, n, err, errlen) < 0 ||
	    sqs_exec(s, "COMMIT", err, errlen) < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return had;
}

/* A row reader: fill the element at elem from the current row. */
typedef void (*reader_fn)(sqlite3_stmt *st, void *elem);

/* fetch - every row of a query into a malloc'ed array of size-byte
 * elements (NULL when there is none); 0 or -1 */
static int fetch(sqlite_store_t *s, const char *what, const char *sql,
    const char *const *args, int nargs, size_t size, reader_fn read, void **rows,
    size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char *arr = NULL;
	int rc;

	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqs_err(s, what, err, errlen);
	bind_all(st, args, nargs);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < LIST_ROWS_MAX) {
		char *a = realloc(arr, (*n + 1) * size);
		if (!a) {
			snprintf(err, errlen, "store %s: %s: out of memory", s->path, what);
			goto fail;
		}
		arr = a;
		memset(arr + *n * size, 0, size);
		read(st, arr + (*n)++ * size);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqs_err(s, what, err, errlen);
		goto fail;
	}
	sqlite3_finalize(st);
	*rows = arr;
	return 0;
fail:
	sqlite3_finalize(st);
	free(arr);
	*n = 0;
	return -1;
}

/* fetch_one - the first row of a query into elem; 1, 0 if none, or -1 */
static int fetch_one(sqlite_store_t *s, const char *what, const char *sql,
    const char *const *args, int nargs, size_t size, reader_fn read, void *elem,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	memset(elem, 0, size);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqs_err(s, what, err, errlen);
	bind_all(st, args, nargs);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		read(st, elem);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : sqs_err(s, what, err, errlen);
}

/* The DID map. */

#define DID_COLS "did, addresses, policy, dtmf"

static void read_did(sqlite3_stmt *st, void *elem)
{
	store_did_t *d = elem;

	sqs_copy(d->did, sizeof(d->did), st, 0);
	sqs_copy(d->addresses, sizeof(d->addresses), st, 1);
	sqs_copy(d->policy, sizeof(d->policy), st, 2);
	d->dtmf = sqlite3_column_int(st, 3);
}

int sqs_did_add(store_t *base, const store_did_t *d, char *err, size_t errlen)
{
	const char *args[] = { d->did, d->addresses, d->policy, d->dtmf ? "1" : "0" };

	return upsert((sqlite_store_t *)base, "add DID", "SELECT 1 FROM did_map WHERE did = ?1", 1,
	    "INSERT OR REPLACE INTO did_map (" DID_COLS ") VALUES (?1, ?2, ?3, ?4)", args, 4,
	    err, errlen);
}

int sqs_did_remove(store_t *base, const char *did, char *err, size_t errlen)
{
	const char *args[] = { did };

	return run((sqlite_store_t *)base, "remove DID", "DELETE FROM did_map WHERE did = ?1",
	    args, 1, err, errlen);
}

int sqs_did_list(store_t *base, store_did_t **rows, size_t *n, char *err, size_t errlen)
{
	return fetch((sqlite_store_t *)base, "list DIDs", "SELECT " DID_COLS " FROM did_map"
	    " ORDER BY did", NULL, 0, sizeof(**rows), read_did, (void **)rows, n, err, errlen);
}

int sqs_did_get(store_t *base, const char *did, store_did_t *d, char *err, size_t errlen)
{
	const char *args[] = { did };

	return fetch_one((sqlite_store_t *)base, "read DID", "SELECT " DID_COLS " FROM did_map"
	    " WHERE did = ?1", args, 1, sizeof(*d), read_did, d, err, errlen);
}

/* The DTMF index. */

static void read_index(sqlite3_stmt *st, void *elem)
{
	store_index_t *x = elem;

	sqs_copy(x->idx, sizeof(x->idx), st, 0);
	sqs_copy(x->targets, sizeof(x->targets), st, 1);
}

int sqs_index_add(store_t *base, const store_index_t *x, char *err, size_t errlen)
{
	const char *args[] = { x->idx, x->targets };

	return upsert((sqlite_store_t *)base, "add index", "SELECT 1 FROM dtmf_index"
	    " WHERE idx = ?1", 1, "INSERT OR REPLACE INTO dtmf_index (idx, targets)"
	    " VALUES (?1, ?2)", args, 2, err, errlen);
}

int sqs_index_remove(store_t *base, const char *idx, char *err, size_t errlen)
{
	const char *args[] = { idx };

	return run((sqlite_store_t *)base, "remove index", "DELETE FROM dtmf_index WHERE idx = ?1",
	    args, 1, err, errlen);
}

int sqs_index_list(store_t *base, store_index_t **rows, size_t *n, char *err, size_t errlen)
{
	/* Digits sort as numbers would: shorter first, then in order. */
	return fetch((sqlite_store_t *)base, "list indexes", "SELECT idx, targets FROM dtmf_index"
	    " ORDER BY length(idx), idx", NULL, 0, sizeof(**rows), read_index, (void **)rows, n,
	    err, errlen);
}

int sqs_index_get(store_t *base, const char *idx, store_index_t *x, char *err, size_t errlen)
{
	const char *args[] = { idx };

	return fetch_one((sqlite_store_t *)base, "read index", "SELECT idx, targets FROM dtmf_index"
	    " WHERE idx = ?1", args, 1, sizeof(*x), read_index, x, err, errlen);
}

/* The offramp routes. */

static void read_route(sqlite3_stmt *st, void *elem)
{
	store_route_t *r = elem;

	sqs_copy(r->prefix, sizeof(r->prefix), st, 0);
	sqs_copy(r->domain, sizeof(r->domain), st, 1);
}

int sqs_route_add(store_t *base, const store_route_t *r, char *err, size_t errlen)
{
	const char *args[] = { r->prefix, r->domain };

	return upsert((sqlite_store_t *)base, "add route", "SELECT 1 FROM routes WHERE prefix = ?1",
	    1, "INSERT OR REPLACE INTO routes (prefix, domain) VALUES (?1, ?2)", args, 2,
	    err, errlen);
}

int sqs_route_remove(store_t *base, const char *prefix, char *err, size_t errlen)
{
	const char *args[] = { prefix };

	return run((sqlite_store_t *)base, "remove route", "DELETE FROM routes WHERE prefix = ?1",
	    args, 1, err, errlen);
}

int sqs_route_list(store_t *base, store_route_t **rows, size_t *n, char *err, size_t errlen)
{
	return fetch((sqlite_store_t *)base, "list routes", "SELECT prefix, domain FROM routes"
	    " ORDER BY prefix", NULL, 0, sizeof(**rows), read_route, (void **)rows, n, err, errlen);
}

/* sqs_route_lookup - the route with the longest prefix of number; 1, 0, -1 */
int sqs_route_lookup(store_t *base, const char *number, store_route_t *r,
    char *err, size_t errlen)
{
	const char *args[] = { number };

	/* substr, not LIKE or GLOB: a prefix holds no wildcard that way. */
	return fetch_one((sqlite_store_t *)base, "look up route", "SELECT prefix, domain"
	    " FROM routes WHERE substr(?1, 1, length(prefix)) = prefix"
	    " ORDER BY length(prefix) DESC LIMIT 1", args, 1, sizeof(*r), read_route, r,
	    err, errlen);
}

/* The allowed callers. */

static void read_caller(sqlite3_stmt *st, void *elem)
{
	store_caller_t *c = elem;

	sqs_copy(c->pattern, sizeof(c->pattern), st, 0);
	sqs_copy(c->did, sizeof(c->did), st, 1);
	sqs_copy(c->kind, sizeof(c->kind), st, 2);
}

int sqs_caller_add(store_t *base, const store_caller_t *c, char *err, size_t errlen)
{
	const char *args[] = { c->pattern, c->did, c->kind };

	return upsert((sqlite_store_t *)base, "add caller", "SELECT 1 FROM callers"
	    " WHERE pattern = ?1 AND did = ?2 AND kind = ?3", 3, "INSERT OR REPLACE INTO callers"
	    " (pattern, did, kind) VALUES (?1, ?2, ?3)", args, 3, err, errlen);
}

int sqs_caller_remove(store_t *base, const store_caller_t *c, char *err, size_t errlen)
{
	const char *args[] = { c->pattern, c->did, c->kind };

	return run((sqlite_store_t *)base, "remove caller", "DELETE FROM callers WHERE"
	    " pattern = ?1 AND did = ?2 AND kind = ?3", args, 3, err, errlen);
}

int sqs_caller_list(store_t *base, store_caller_t **rows, size_t *n, char *err, size_t errlen)
{
	return fetch((sqlite_store_t *)base, "list callers", "SELECT pattern, did, kind"
	    " FROM callers ORDER BY kind, did, pattern", NULL, 0, sizeof(**rows), read_caller,
	    (void **)rows, n, err, errlen);
}

int sqs_caller_find(store_t *base, const char *did, const char *kind, store_caller_t **rows,
    size_t *n, char *err, size_t errlen)
{
	const char *args[] = { did, kind };

	return fetch((sqlite_store_t *)base, "find callers", "SELECT pattern, did, kind"
	    " FROM callers WHERE did IN (?1, '*') AND kind = ?2 ORDER BY did, pattern", args, 2,
	    sizeof(**rows), read_caller, (void **)rows, n, err, errlen);
}

/* The DTMF users. */

static void read_user(sqlite3_stmt *st, void *elem)
{
	store_user_t *u = elem;

	sqs_copy(u->name, sizeof(u->name), st, 0);
	u->created_at = (long)sqlite3_column_int64(st, 1);
}

/* sqs_user_add - a user and the hash of its password; 1 replaced, 0, -1 */
int sqs_user_add(store_t *base, const char *name, const store_secret_t *sec, long now,
    char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	const char *args[] = { name };
	sqlite3_stmt *st;
	int had, rc;

	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	if ((had = exists(s, "add user", "SELECT 1 FROM users WHERE name = ?1", args, 1,
	    err, errlen)) < 0)
		goto fail;
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO users (name, salt, hash, iterations,"
	    " created_at) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL) != SQLITE_OK) {
		sqs_err(s, "add user", err, errlen);
		goto fail;
	}
	sqs_bind_text(st, 1, name);
	sqlite3_bind_blob(st, 2, sec->salt, (int)sec->saltlen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, sec->hash, (int)sec->hashlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, sec->iterations);
	sqlite3_bind_int64(st, 5, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		sqs_err(s, "add user", err, errlen);
		goto fail;
	}
	if (sqs_exec(s, "COMMIT", err, errlen) < 0)
		goto fail;
	return had;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int sqs_user_remove(store_t *base, const char *name, char *err, size_t errlen)
{
	const char *args[] = { name };

	return run((sqlite_store_t *)base, "remove user", "DELETE FROM users WHERE name = ?1",
	    args, 1, err, errlen);
}

int sqs_user_list(store_t *base, store_user_t **rows, size_t *n, char *err, size_t errlen)
{
	return fetch((sqlite_store_t *)base, "list users", "SELECT name, created_at FROM users"
	    " ORDER BY length(name), name", NULL, 0, sizeof(**rows), read_user, (void **)rows, n,
	    err, errlen);
}

/* read_secret - salt, hash and iterations, bounded by the struct */
static void read_secret(sqlite3_stmt *st, void *elem)
{
	store_secret_t *sec = elem;
	int sl = sqlite3_column_bytes(st, 0), hl = sqlite3_column_bytes(st, 1);
	const void *salt = sqlite3_column_blob(st, 0), *hash = sqlite3_column_blob(st, 1);

	/* A row longer than the struct is not ours: it reads as no secret,
	 * which verifies nothing. */
	if (salt && hash && sl > 0 && hl > 0 && sl <= STORE_SECRET_MAX && hl <= STORE_SECRET_MAX) {
		memcpy(sec->salt, salt, (size_t)sl);
		memcpy(sec->hash, hash, (size_t)hl);
		sec->saltlen = (size_t)sl;
		sec->hashlen = (size_t)hl;
		sec->iterations = (unsigned)sqlite3_column_int64(st, 2);
	}
}

int sqs_user_get(store_t *base, const char *name, store_secret_t *sec, char *err, size_t errlen)
{
	const char *args[] = { name };

	return fetch_one((sqlite_store_t *)base, "read user", "SELECT salt, hash, iterations"
	    " FROM users WHERE name = ?1", args, 1, sizeof(*sec), read_secret, sec, err, errlen);
}

/* Failed logins. */

/* sqs_auth_failure_add - record one, prune those older than a day; 0 or -1 */
int sqs_auth_failure_add(store_t *base, const char *caller, long now, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	char at[24], old[24];
	const char *args[] = { caller, at, old };

	snprintf(at, sizeof(at), "%ld", now);
	snprintf(old, sizeof(old), "%ld", now - 86400);
	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	if (run(s, "record failed login", "DELETE FROM auth_failures WHERE at < ?3",
	    args, 3, err, errlen) < 0 ||
	    run(s, "record failed login", "INSERT INTO auth_failures (caller, at)"
	    " VALUES (?1, CAST(?2 AS INTEGER))", args, 2, err, errlen) < 0 ||
	    sqs_exec(s, "COMMIT", err, errlen) < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int sqs_auth_failure_count(store_t *base, const char *caller, long since, long *count,
    char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc;

	*count = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM auth_failures WHERE caller = ?1"
	    " AND at >= ?2", -1, &st, NULL) != SQLITE_OK)
		return sqs_err(s, "count failed logins", err, errlen);
	sqs_bind_text(st, 1, caller);
	sqlite3_bind_int64(st, 2, since);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*count = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sqs_err(s, "count failed logins", err, errlen);
}

/* The mailer's hold on received faxes. */

/* sqs_inbound_due - faxes to mail now, oldest first; 0 or -1 */
int sqs_inbound_due(store_t *base, long now, long *ids, size_t max, size_t *n,
    char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT id FROM inbound WHERE state IN ('new', 'mailing')"
	    " AND mail_next_at <= ?1 ORDER BY received_at, id LIMIT ?2", -1, &st, NULL) != SQLITE_OK)
		return sqs_err(s, "list faxes to mail", err, errlen);
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqs_err(s, "list faxes to mail", err, errlen);
	return 0;
}

/* sqs_inbound_next_due - the first time after now a fax becomes due (0: none) */
int sqs_inbound_next_due(store_t *base, long now, long *when, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc;

	*when = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT ifnull(min(mail_next_at), 0) FROM inbound WHERE"
	    " state IN ('new', 'mailing') AND mail_next_at > ?1", -1, &st, NULL) != SQLITE_OK)
		return sqs_err(s, "next fax to mail", err, errlen);
	sqlite3_bind_int64(st, 1, now);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*when = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sqs_err(s, "next fax to mail", err, errlen);
}

/* update - an UPDATE of one fax: ?1 id, ?2 to ?4 integers, ?5 and ?6
 * texts; the rows changed, or -1 */
static int update(sqlite_store_t *s, const char *what, const char *sql, long id, long a,
    long b, long c, const char *t1, const char *t2, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqs_err(s, what, err, errlen);
	/* A statement that uses fewer parameters refuses the others'
	 * bindings (SQLITE_RANGE), which changes nothing. */
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, a);
	sqlite3_bind_int64(st, 3, b);
	sqlite3_bind_int64(st, 4, c);
	sqs_bind_text(st, 5, t1);
	sqs_bind_text(st, 6, t2);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqs_err(s, what, err, errlen);
	return sqlite3_changes(s->db);
}

/* sqs_inbound_claim - take a due fax until lease_until; 1, 0 if not due, -1 */
int sqs_inbound_claim(store_t *base, long id, long now, long lease_until,
    char *err, size_t errlen)
{
	return update((sqlite_store_t *)base, "claim fax to mail", "UPDATE inbound SET"
	    " state = 'mailing', mail_next_at = ?3 WHERE id = ?1 AND state IN ('new', 'mailing')"
	    " AND mail_next_at <= ?2", id, now, lease_until, 0, NULL, NULL, err, errlen);
}

int sqs_inbound_decide(store_t *base, long id, const char *targets, const char *decision,
    char *err, size_t errlen)
{
	return update((sqlite_store_t *)base, "record decision", "UPDATE inbound SET"
	    " targets = ?5, decision = ?6 WHERE id = ?1", id, 0, 0, 0, targets, decision,
	    err, errlen);
}

/* sqs_inbound_mark - move a new or mailing fax on; 1, 0 if in another state, -1 */
int sqs_inbound_mark(store_t *base, long id, const char *state, const char *error,
    long next_at, int tried, long now, char *err, size_t errlen)
{
	/* mailed_at only for "mailed"; a retry is due at next_at. */
	return update((sqlite_store_t *)base, "mark fax", "UPDATE inbound SET state = ?5,"
	    " mail_error = ?6, mail_tries = mail_tries + ?4,"
	    " mail_next_at = CASE WHEN ?5 = 'new' THEN ?2 ELSE mail_next_at END,"
	    " mailed_at = CASE WHEN ?5 = 'mailed' THEN ?3 ELSE mailed_at END"
	    " WHERE id = ?1 AND state IN ('new', 'mailing')", id, next_at, now, tried ? 1 : 0,
	    state, error, err, errlen);
}

/* sqs_inbound_requeue - failed or held back to new, due now; 1, or 0 and
 * the state it is in ("" if no such fax), or -1 */
int sqs_inbound_requeue(store_t *base, long id, long now, char *from, size_t fromlen,
    char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc, changed;

	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	from[0] = '\0';
	if (sqlite3_prepare_v2(s->db, "SELECT state FROM inbound WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK) {
		sqs_err(s, "requeue fax", err, errlen);
		goto fail;
	}
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sqs_copy(from, fromlen, st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqs_err(s, "requeue fax", err, errlen);
		goto fail;
	}
	if ((changed = update(s, "requeue fax", "UPDATE inbound SET state = 'new', mail_tries = 0,"
	    " mail_next_at = ?2, mail_error = NULL WHERE id = ?1 AND state IN ('failed', 'held')",
	    id, now, 0, 0, NULL, NULL, err, errlen)) < 0)
		goto fail;
	if (sqs_exec(s, "COMMIT", err, errlen) < 0)
		goto fail;
	return changed > 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}
