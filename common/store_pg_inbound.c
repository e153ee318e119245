/*
 * store_pg_inbound.c - received faxes in the PostgreSQL store: the SIP
 * channel stores them (inbound_add), faxgatectl lists them, and
 * faxgate-onramp mails them (due, claim, decide, mark), requeues them
 * and files the delivery reports about their mail (bounce); see store.h
 * for the contract. store.c has already checked the values it is given.
 *
 * A received fax is one INSERT in its own transaction: with
 * synchronous_commit on (store_pg.c) it is on disk when the call
 * returns, before the far end is told the fax arrived.
 *
 * Several onramp hosts may mail from one table. A claim is one
 * conditional UPDATE: of two claims of the same fax at once, the second
 * waits for the first's row lock, then re-checks its WHERE on the row
 * the first wrote (READ COMMITTED), finds it leased into the future and
 * changes nothing, so it returns 0. No SELECT ... FOR UPDATE is needed
 * because the caller names the fax; a mailer that dies leaves its lease
 * (mail_next_at) to run out, and the fax is due again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg_int.h"

/* The columns read_row reads, in its order, every one as text (so they
 * read the same from a binary result); a last one (TIFF_COL) is the
 * TIFF or NULL. The bounces in the order they were reported; ties (one
 * report's recipients) in physical order, which is the order they were
 * inserted in. XXX once deleted faxes' space is reused it may not be: a
 * sequence column in inbound_bounces would make the order exact. */
#define INBOUND_COLS "id::text, received_at::text, coalesce(ended_at, 0)::text, channel," \
	" call_id, did, caller, remote_ident, transport, pages::text, bytes::text, resolution," \
	" coalesce(bit_rate, -1)::text, coalesce(ecm, -1)::text, outcome, status, error_code," \
	" error_text, dtmf, state, coalesce(octet_length(tiff), 0)::text, targets, decision," \
	" mail_error, coalesce(mailed_at, 0)::text, mail_tries::text, mail_next_at::text," \
	" (SELECT string_agg(b.recipient || ' ' || b.action || ' ' || b.status, ', '" \
	" ORDER BY b.reported_at, b.ctid) FROM inbound_bounces b WHERE b.inbound = inbound.id)"
#define TIFF_COL 28

/* pgs_inbound_add - one received fax, committed durably; 0 or -1 */
int pgs_inbound_add(store_t *b, const store_inbound_t *in, long *id, char *err,
    size_t errlen)
{
	pg_store_t *s = (pg_store_t *)b;
	PGresult *r;
	pgp_t p = { 0 };

	pgp_long(&p, in->received_at);
	if (in->ended_at > 0)
		pgp_long(&p, in->ended_at);
	else
		pgp_text(&p, NULL);
	pgp_text(&p, in->channel);
	pgp_text(&p, in->call_id);
	pgp_text(&p, in->did ? in->did : "");
	pgp_text(&p, in->caller);
	pgp_text(&p, in->remote_ident);
	pgp_text(&p, in->transport);
	pgp_long(&p, in->pages);
	pgp_long(&p, in->bytes);
	pgp_text(&p, in->resolution);
	if (in->bit_rate > 0)
		pgp_long(&p, in->bit_rate);
	else
		pgp_text(&p, NULL);
	if (in->ecm >= 0)
		pgp_long(&p, in->ecm ? 1 : 0);
	else
		pgp_text(&p, NULL);
	pgp_text(&p, in->outcome);
	pgp_text(&p, in->status);
	pgp_text(&p, in->error_code);
	pgp_text(&p, in->error_text);
	pgp_text(&p, in->dtmf);
	/* An empty TIFF holds no page: stored as none, so "has a TIFF" is
	 * one test (tiff IS NOT NULL) for every reader. */
	if (in->tiff && in->tifflen)
		pgp_blob(&p, in->tiff, in->tifflen);
	else
		pgp_text(&p, NULL);
	pgp_text(&p, in->targets);
	pgp_text(&p, in->decision);
	/* One statement, so one transaction: the row and the NOTIFY that
	 * wakes faxgate-onramp on whichever host (delivered at commit). */
	if (!(r = pgs_query(s, "WITH f AS (INSERT INTO inbound (received_at, ended_at, channel,"
	    " call_id, did, caller, remote_ident, transport, pages, bytes, resolution, bit_rate, ecm,"
	    " outcome, status, error_code, error_text, dtmf, tiff, targets, decision) VALUES ($1,"
	    " $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,"
	    " $21) RETURNING id) SELECT id::text, pg_notify('" PGWAKE_INBOUND "', '') FROM f",
	    &p, 0, err, errlen)))
		return -1;
	if (id)
		*id = pgs_long(r, 0, 0);
	PQclear(r);
	return 0;
}

/* read_row - row i of a result selected with INBOUND_COLS and a TIFF
 * column into *w; 0, or -1 if out of memory */
static int read_row(const PGresult *r, int i, store_inbound_row_t *w)
{
	memset(w, 0, sizeof(*w));
	w->id = pgs_long(r, i, 0);
	w->received_at = pgs_long(r, i, 1);
	w->ended_at = pgs_long(r, i, 2);
	w->channel = pgs_dup(r, i, 3);
	w->call_id = pgs_dup(r, i, 4);
	w->did = pgs_dup(r, i, 5);
	w->caller = pgs_dup(r, i, 6);
	w->remote_ident = pgs_dup(r, i, 7);
	w->transport = pgs_dup(r, i, 8);
	w->pages = (int)pgs_long(r, i, 9);
	w->bytes = pgs_long(r, i, 10);
	w->resolution = pgs_dup(r, i, 11);
	w->bit_rate = (int)pgs_long(r, i, 12);
	w->ecm = (int)pgs_long(r, i, 13);
	w->outcome = pgs_dup(r, i, 14);
	w->status = pgs_dup(r, i, 15);
	w->error_code = pgs_dup(r, i, 16);
	w->error_text = pgs_dup(r, i, 17);
	w->dtmf = pgs_dup(r, i, 18);
	w->state = pgs_dup(r, i, 19);
	w->tifflen = (size_t)pgs_long(r, i, 20);
	w->targets = pgs_dup(r, i, 21);
	w->decision = pgs_dup(r, i, 22);
	w->mail_error = pgs_dup(r, i, 23);
	w->mailed_at = pgs_long(r, i, 24);
	w->mail_tries = (int)pgs_long(r, i, 25);
	w->mail_next_at = pgs_long(r, i, 26);
	w->bounces = pgs_dup(r, i, 27);
	if (!PQgetisnull(r, i, TIFF_COL) && !(w->tiff = pgs_blob(r, i, TIFF_COL, &w->tifflen)))
		return -1;
	/* did and state are NOT NULL: NULL here means strdup failed. The
	 * onramp's strings steer the mailer: losing one must not pass. */
	if ((!w->targets && !PQgetisnull(r, i, 21)) || (!w->decision && !PQgetisnull(r, i, 22)))
		return -1;
	return w->did && w->state ? 0 : -1;
}

/* pgs_inbound_list - received faxes, newest first, without TIFFs; 0 or -1 */
int pgs_inbound_list(store_t *b, size_t limit, const char *state,
    store_inbound_row_t **rows, size_t *n, char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)b;
	store_inbound_row_t *arr;
	PGresult *r;
	pgp_t p = { 0 };

	*rows = NULL;
	*n = 0;
	pgp_text(&p, state);
	if (limit)
		pgp_long(&p, (long)limit);
	else
		pgp_text(&p, NULL);	/* LIMIT NULL: every row */
	if (!(arr = pgs_select(s, "SELECT " INBOUND_COLS ", NULL::bytea FROM inbound"
	    " WHERE $1::text IS NULL OR state = $1 ORDER BY received_at DESC, id DESC"
	    " LIMIT $2::bigint", &p, 0, sizeof(*arr), &r, err, errlen)))
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		if (read_row(r, i, &arr[i]) < 0) {
			store_inbound_rows_free(arr, (size_t)i + 1);
			PQclear(r);
			snprintf(err, errlen, "store %s: list inbound faxes: out of memory", s->name);
			return -1;
		}
	}
	*n = (size_t)PQntuples(r);
	PQclear(r);
	if (*n == 0)
		free(arr);	/* as the SQLite backend: no rows, no array */
	else
		*rows = arr;
	return 0;
}

/* pgs_inbound_get - one received fax, its TIFF if asked; 1, 0 if none, or -1 */
int pgs_inbound_get(store_t *b, long id, store_inbound_row_t *row, int with_tiff, char *err,
    size_t errlen)
{
	pg_store_t *s = (pg_store_t *)b;
	PGresult *r;
	pgp_t p = { 0 };
	int found;

	memset(row, 0, sizeof(*row));
	pgp_long(&p, id);
	pgp_long(&p, with_tiff != 0);
	/* Binary results for the bytea; every other column is text. */
	if (!(r = pgs_query(s, "SELECT " INBOUND_COLS ", CASE WHEN $2::int = 1 THEN tiff END"
	    " FROM inbound WHERE id = $1", &p, 1, err, errlen)))
		return -1;
	if ((found = PQntuples(r) == 1) && read_row(r, 0, row) < 0) {
		PQclear(r);
		store_inbound_row_free(row);
		memset(row, 0, sizeof(*row));
		snprintf(err, errlen, "store %s: read inbound fax %ld: out of memory", s->name, id);
		return -1;
	}
	PQclear(r);
	return found;
}

/* pgs_inbound_bounce - a delivery report's recipients for fax id, if id
 * and received_at name one; 1, 0 if they do not, or -1 */
int pgs_inbound_bounce(store_t *b, long id, long received_at, const store_bounce_t *bo,
    size_t n, long now, char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)b;
	PGresult *r;
	pgp_t p = { 0 };
	int found;

	pgp_long(&p, id);
	pgp_long(&p, received_at);
	if (pgs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	/* KEY SHARE: the fax cannot be deleted under us, and the mailer's
	 * UPDATEs of it (which leave its key alone) are not held up. */
	if (!(r = pgs_query(s, "SELECT 1 FROM inbound WHERE id = $1 AND received_at = $2"
	    " FOR KEY SHARE", &p, 0, err, errlen)))
		return pgs_rollback(s);
	found = PQntuples(r) == 1;
	PQclear(r);
	if (!found)
		return pgs_end(s, 0);
	for (size_t i = 0; i < n; i++) {
		memset(&p, 0, sizeof(p));
		pgp_long(&p, id);
		pgp_text(&p, bo[i].recipient);
		pgp_text(&p, bo[i].action);
		pgp_text(&p, bo[i].status);
		pgp_text(&p, bo[i].diagnostic);
		pgp_text(&p, bo[i].reporting_mta);
		pgp_long(&p, now);
		pgp_long(&p, STORE_BOUNCE_TEXT_MAX);
		if (pgs_cmd(s, "INSERT INTO inbound_bounces (inbound, recipient, action, status,"
		    " diagnostic, reporting_mta, reported_at) VALUES ($1, $2, $3, $4,"
		    " substr(nullif($5::text, ''), 1, $8::int), substr(nullif($6::text, ''), 1, $8::int),"
		    " $7)", &p, NULL, err, errlen) < 0)
			return pgs_rollback(s);
	}
	return pgs_commit(s, err, errlen) < 0 ? -1 : 1;
}

/* The mailer's hold on received faxes. */

/* pgs_inbound_due - faxes to mail now, oldest first; 0 or -1 */
int pgs_inbound_due(store_t *b, long now, long *ids, size_t max, size_t *n, char *err,
    size_t errlen)
{
	pgp_t p = { 0 };

	pgp_long(&p, now);
	pgp_long(&p, (long)max);
	return pgs_ids((pg_store_t *)b, "SELECT id::text FROM inbound WHERE state IN ('new',"
	    " 'mailing') AND mail_next_at <= $1 ORDER BY received_at, id LIMIT $2", &p, ids, max,
	    n, err, errlen);
}

/* pgs_inbound_next_due - the first time after now a fax becomes due (0: none) */
int pgs_inbound_next_due(store_t *b, long now, long *when, char *err, size_t errlen)
{
	PGresult *r;
	pgp_t p = { 0 };

	*when = 0;
	pgp_long(&p, now);
	if (!(r = pgs_query((pg_store_t *)b, "SELECT coalesce(min(mail_next_at), 0)::text"
	    " FROM inbound WHERE state IN ('new', 'mailing') AND mail_next_at > $1", &p, 0,
	    err, errlen)))
		return -1;
	*when = pgs_long(r, 0, 0);
	PQclear(r);
	return 0;
}

/* update - an UPDATE of one fax; 1 if it changed it, 0 if not, or -1 */
static int update(pg_store_t *s, const char *sql, const pgp_t *p, char *err, size_t errlen)
{
	long changed;

	if (pgs_cmd(s, sql, p, &changed, err, errlen) < 0)
		return -1;
	return changed > 0;
}

/* pgs_inbound_claim - take a due fax until lease_until; 1, 0 if not due, -1 */
int pgs_inbound_claim(store_t *b, long id, long now, long lease_until, char *err,
    size_t errlen)
{
	pgp_t p = { 0 };

	pgp_long(&p, id);
	pgp_long(&p, now);
	pgp_long(&p, lease_until);
	/* Safe against a concurrent claim: see the top comment. */
	return update((pg_store_t *)b, "UPDATE inbound SET state = 'mailing', mail_next_at = $3"
	    " WHERE id = $1 AND state IN ('new', 'mailing') AND mail_next_at <= $2", &p,
	    err, errlen);
}

/* pgs_inbound_decide - the onramp's targets and decision; 1, 0 if no such fax, -1 */
int pgs_inbound_decide(store_t *b, long id, const char *targets, const char *decision,
    char *err, size_t errlen)
{
	pgp_t p = { 0 };

	pgp_long(&p, id);
	pgp_text(&p, targets);
	pgp_text(&p, decision);
	return update((pg_store_t *)b, "UPDATE inbound SET targets = $2, decision = $3"
	    " WHERE id = $1", &p, err, errlen);
}

/* pgs_inbound_mark - move a new or mailing fax on; 1, 0 if in another state, -1 */
int pgs_inbound_mark(store_t *b, long id, const char *state, const char *error,
    long next_at, int tried, long now, char *err, size_t errlen)
{
	pgp_t p = { 0 };

	pgp_long(&p, id);
	pgp_text(&p, state);
	pgp_text(&p, error);
	pgp_long(&p, next_at);
	pgp_long(&p, tried ? 1 : 0);
	pgp_long(&p, now);
	/* mailed_at only for "mailed"; a retry is due at next_at. */
	return update((pg_store_t *)b, "UPDATE inbound SET state = $2::text, mail_error = $3,"
	    " mail_tries = mail_tries + $5::int,"
	    " mail_next_at = CASE WHEN $2::text = 'new' THEN $4::bigint ELSE mail_next_at END,"
	    " mailed_at = CASE WHEN $2::text = 'mailed' THEN $6::bigint ELSE mailed_at END"
	    " WHERE id = $1 AND state IN ('new', 'mailing')", &p, err, errlen);
}

/* pgs_inbound_requeue - failed or held back to new, due now; 1, or 0 and
 * the state it is in ("" if no such fax), or -1 */
int pgs_inbound_requeue(store_t *b, long id, long now, char *from, size_t fromlen,
    char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)b;
	PGresult *r;
	pgp_t p = { 0 };
	int rc;

	snprintf(from, fromlen, "%s", "");
	pgp_long(&p, id);
	if (pgs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	/* The row lock: the state read here is the one the UPDATE sees. */
	if (!(r = pgs_query(s, "SELECT state FROM inbound WHERE id = $1 FOR UPDATE", &p, 0,
	    err, errlen)))
		return pgs_rollback(s);
	if (PQntuples(r) == 1)
		pgs_copy(from, fromlen, r, 0, 0);
	PQclear(r);
	pgp_long(&p, now);
	if ((rc = update(s, "UPDATE inbound SET state = 'new', mail_tries = 0, mail_next_at = $2,"
	    " mail_error = NULL WHERE id = $1 AND state IN ('failed', 'held')", &p, err,
	    errlen)) < 0)
		return pgs_rollback(s);
	if (rc == 0)
		return pgs_end(s, 0);
	if (pgs_exec(s, "NOTIFY " PGWAKE_INBOUND, err, errlen) < 0)
		return pgs_rollback(s);
	return pgs_commit(s, err, errlen) < 0 ? -1 : 1;
}
