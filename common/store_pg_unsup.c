/*
 * store_pg_unsup.c - the store calls the PostgreSQL backend does not
 * implement yet (received faxes and the onramp's tables): each fails
 * with a message naming the call, so a program configured with a
 * PostgreSQL store says what is missing instead of misbehaving. The
 * milter's, the dialer's and faxgatectl's job calls are all implemented.
 */
#include <stdio.h>

#include "store_pg_int.h"

/* unsupported - refuse a call with its name, returns -1 */
static int unsupported(store_t *b, const char *call, char *err, size_t errlen)
{
	snprintf(err, errlen, "store %s: %s is not implemented for PostgreSQL yet",
	    ((pg_store_t *)b)->name, call);
	return -1;
}

int pgs_inbound_add(store_t *b, const store_inbound_t *in, long *id, char *err,
    size_t errlen)
{
	return unsupported(b, "inbound add", err, errlen);
}

int pgs_inbound_list(store_t *b, size_t limit, const char *state,
    store_inbound_row_t **rows, size_t *n, char *err, size_t errlen)
{
	return unsupported(b, "inbound list", err, errlen);
}

int pgs_inbound_get(store_t *b, long id, store_inbound_row_t *row, int with_tiff, char *err,
    size_t errlen)
{
	return unsupported(b, "inbound get", err, errlen);
}

int pgs_did_add(store_t *b, const store_did_t *d, char *err, size_t errlen)
{
	return unsupported(b, "did add", err, errlen);
}

int pgs_did_remove(store_t *b, const char *k, char *err, size_t errlen)
{
	return unsupported(b, "did remove", err, errlen);
}

int pgs_did_list(store_t *b, store_did_t **rows, size_t *n, char *err, size_t errlen)
{
	return unsupported(b, "did list", err, errlen);
}

int pgs_did_get(store_t *b, const char *k, store_did_t *d, char *err, size_t errlen)
{
	return unsupported(b, "did get", err, errlen);
}

int pgs_index_add(store_t *b, const store_index_t *x, char *err, size_t errlen)
{
	return unsupported(b, "index add", err, errlen);
}

int pgs_index_remove(store_t *b, const char *k, char *err, size_t errlen)
{
	return unsupported(b, "index remove", err, errlen);
}

int pgs_index_list(store_t *b, store_index_t **rows, size_t *n, char *err, size_t errlen)
{
	return unsupported(b, "index list", err, errlen);
}

int pgs_index_get(store_t *b, const char *k, store_index_t *x, char *err, size_t errlen)
{
	return unsupported(b, "index get", err, errlen);
}

int pgs_route_add(store_t *b, const store_route_t *x, char *err, size_t errlen)
{
	return unsupported(b, "route add", err, errlen);
}

int pgs_route_remove(store_t *b, const char *k, char *err, size_t errlen)
{
	return unsupported(b, "route remove", err, errlen);
}

int pgs_route_list(store_t *b, store_route_t **rows, size_t *n, char *err, size_t errlen)
{
	return unsupported(b, "route list", err, errlen);
}

int pgs_route_lookup(store_t *b, const char *k, store_route_t *x, char *err, size_t errlen)
{
	return unsupported(b, "route lookup", err, errlen);
}

int pgs_caller_add(store_t *b, const store_caller_t *x, char *err, size_t errlen)
{
	return unsupported(b, "caller add", err, errlen);
}

int pgs_caller_remove(store_t *b, const store_caller_t *x, char *err, size_t errlen)
{
	return unsupported(b, "caller remove", err, errlen);
}

int pgs_caller_list(store_t *b, store_caller_t **rows, size_t *n, char *err, size_t errlen)
{
	return unsupported(b, "caller list", err, errlen);
}

int pgs_caller_find(store_t *b, const char *did, const char *kind, store_caller_t **rows,
    size_t *n, char *err, size_t errlen)
{
	return unsupported(b, "caller find", err, errlen);
}

int pgs_user_add(store_t *b, const char *name, const store_secret_t *sec, long now,
    char *err, size_t errlen)
{
	return unsupported(b, "user add", err, errlen);
}

int pgs_user_remove(store_t *b, const char *k, char *err, size_t errlen)
{
	return unsupported(b, "user remove", err, errlen);
}

int pgs_user_list(store_t *b, store_user_t **rows, size_t *n, char *err, size_t errlen)
{
	return unsupported(b, "user list", err, errlen);
}

int pgs_user_get(store_t *b, const char *k, store_secret_t *sec, char *err, size_t errlen)
{
	return unsupported(b, "user get", err, errlen);
}

int pgs_auth_failure_add(store_t *b, const char *caller, long now, char *err, size_t errlen)
{
	return unsupported(b, "auth failure add", err, errlen);
}

int pgs_auth_failure_count(store_t *b, const char *caller, long since, long *count,
    char *err, size_t errlen)
{
	return unsupported(b, "auth failure count", err, errlen);
}

int pgs_inbound_due(store_t *b, long now, long *ids, size_t max, size_t *n, char *err,
    size_t errlen)
{
	return unsupported(b, "inbound due", err, errlen);
}

int pgs_inbound_next_due(store_t *b, long now, long *when, char *err, size_t errlen)
{
	return unsupported(b, "inbound next due", err, errlen);
}

int pgs_inbound_claim(store_t *b, long id, long now, long lease_until, char *err,
    size_t errlen)
{
	return unsupported(b, "inbound claim", err, errlen);
}

int pgs_inbound_decide(store_t *b, long id, const char *targets, const char *decision,
    char *err, size_t errlen)
{
	return unsupported(b, "inbound decide", err, errlen);
}

int pgs_inbound_mark(store_t *b, long id, const char *state, const char *error,
    long next_at, int tried, long now, char *err, size_t errlen)
{
	return unsupported(b, "inbound mark", err, errlen);
}

int pgs_inbound_requeue(store_t *b, long id, long now, char *from, size_t fromlen,
    char *err, size_t errlen)
{
	return unsupported(b, "inbound requeue", err, errlen);
}
