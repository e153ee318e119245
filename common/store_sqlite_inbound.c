/*
 * store_sqlite_inbound.c - the SIP channel's side of the SQLite store:
 * whether a destination takes T.38, and the faxes received from the phone
 * side; see store.h for the contract. store.c has already checked the
 * values it is given.
 *
 * A received fax is one INSERT outside any transaction: SQLite commits it
 * on its own, and with synchronous=FULL (store_sqlite.c) that commit has
 * reached the disk when the call returns, before the far end is told the
 * fax arrived.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite_int.h"

/* The columns read_row reads, in its order; a last one (TIFF_COL) is the
 * TIFF or NULL. */
#define INBOUND_COLS "id, received_at, ifnull(ended_at, 0), channel, call_id, did, caller," \
	" remote_ident, transport, pages, bytes, resolution, ifnull(bit_rate, -1)," \
	" ifnull(ecm, -1), outcome, status, error_code, error_text, dtmf, state," \
	" ifnull(length(tiff), 0), targets, decision, mail_error, ifnull(mailed_at, 0)," \
	" mail_tries, mail_next_at, (SELECT group_concat(recipient || ' ' || action || ' ' ||" \
	" status, ', ') FROM inbound_bounces b WHERE b.inbound = inbound.id)"
#define TIFF_COL 28

/* prepare - prepare or fail with the statement's purpose named; 0 or -1 */
static int prepare(sqlite_store_t *s, const char *what, const char *sql,
    sqlite3_stmt **st, char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return sqs_err(s, what, err, errlen);
	}
	return 0;
}

/* sqs_dest_get_t38 - *t38 is 1, 0, or -1 when not known; 0 or -1 */
int sqs_dest_get_t38(store_t *base, const char *number, int *t38, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc;

	*t38 = -1;
	if (prepare(s, "read destination", "SELECT ifnull(t38, -1) FROM destinations"
	    " WHERE number = ?1", &st, err, errlen) < 0)
		return -1;
	sqs_bind_text(st, 1, number);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*t38 = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqs_err(s, "read destination", err, errlen);
	return 0;
}

/* sqs_dest_set_t38 - remember T.38 (-1: forget), creating the destination
 * with the default ECM and modems if needed; 0 or -1 */
int sqs_dest_set_t38(store_t *base, const char *number, int t38, long now,
    char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc;

	/* updated_at is when ecm and modems were learnt: 0 in a row made
	 * here, which store_dest_get then treats as "nothing known". An
	 * existing row keeps it. */
	if (prepare(s, "write destination", "INSERT INTO destinations (number, updated_at, t38,"
	    " t38_updated_at) VALUES (?1, 0, ?2, ?3) ON CONFLICT (number) DO UPDATE SET"
	    " t38 = ?2, t38_updated_at = ?3", &st, err, errlen) < 0)
		return -1;
	sqs_bind_text(st, 1, number);
	if (t38 < 0)
		sqlite3_bind_null(st, 2);
	else
		sqlite3_bind_int(st, 2, t38);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqs_err(s, "write destination", err, errlen);
}

/* sqs_inbound_add - one received fax, committed durably; 0 or -1 */
int sqs_inbound_add(store_t *base, const store_inbound_t *in, long *id,
    char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc;

	if (prepare(s, "store inbound fax", "INSERT INTO inbound (received_at, ended_at, channel,"
	    " call_id, did, caller, remote_ident, transport, pages, bytes, resolution, bit_rate,"
	    " ecm, outcome, status, error_code, error_text, dtmf, tiff, targets, decision)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	    " ?18, ?19, ?20, ?21)",
	    &st, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, in->received_at);
	if (in->ended_at > 0)
		sqlite3_bind_int64(st, 2, in->ended_at);
	else
		sqlite3_bind_null(st, 2);
	sqs_bind_text(st, 3, in->channel);
	sqs_bind_text(st, 4, in->call_id);
	sqs_bind_text(st, 5, in->did ? in->did : "");
	sqs_bind_text(st, 6, in->caller);
	sqs_bind_text(st, 7, in->remote_ident);
	sqs_bind_text(st, 8, in->transport);
	sqlite3_bind_int(st, 9, in->pages);
	sqlite3_bind_int64(st, 10, in->bytes);
	sqs_bind_text(st, 11, in->resolution);
	if (in->bit_rate > 0)
		sqlite3_bind_int(st, 12, in->bit_rate);
	else
		sqlite3_bind_null(st, 12);
	if (in->ecm >= 0)
		sqlite3_bind_int(st, 13, in->ecm ? 1 : 0);
	else
		sqlite3_bind_null(st, 13);
	sqs_bind_text(st, 14, in->outcome);
	sqs_bind_text(st, 15, in->status);
	sqs_bind_text(st, 16, in->error_code);
	sqs_bind_text(st, 17, in->error_text);
	sqs_bind_text(st, 18, in->dtmf);
	/* An empty TIFF holds no page: stored as none, so "has a TIFF" is
	 * one test (tiff IS NOT NULL) for every reader. */
	if (in->tiff && in->tifflen)
		sqlite3_bind_blob64(st, 19, in->tiff, in->tifflen, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 19);
	sqs_bind_text(st, 20, in->targets);
	sqs_bind_text(st, 21, in->decision);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqs_err(s, "store inbound fax", err, errlen);
	if (id)
		*id = (long)sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* read_row - a row selected with INBOUND_COLS and a TIFF column into *r;
 * 0, or -1 if out of memory */
static int read_row(sqlite3_stmt *st, store_inbound_row_t *r)
{
	const void *blob;

	memset(r, 0, sizeof(*r));
	r->id = (long)sqlite3_column_int64(st, 0);
	r->received_at = (long)sqlite3_column_int64(st, 1);
	r->ended_at = (long)sqlite3_column_int64(st, 2);
	r->channel = sqs_dup(st, 3);
	r->call_id = sqs_dup(st, 4);
	r->did = sqs_dup(st, 5);
	r->caller = sqs_dup(st, 6);
	r->remote_ident = sqs_dup(st, 7);
	r->transport = sqs_dup(st, 8);
	r->pages = sqlite3_column_int(st, 9);
	r->bytes = (long)sqlite3_column_int64(st, 10);
	r->resolution = sqs_dup(st, 11);
	r->bit_rate = sqlite3_column_int(st, 12);
	r->ecm = sqlite3_column_int(st, 13);
	r->outcome = sqs_dup(st, 14);
	r->status = sqs_dup(st, 15);
	r->error_code = sqs_dup(st, 16);
	r->error_text = sqs_dup(st, 17);
	r->dtmf = sqs_dup(st, 18);
	r->state = sqs_dup(st, 19);
	r->tifflen = (size_t)sqlite3_column_int64(st, 20);
	r->targets = sqs_dup(st, 21);
	r->decision = sqs_dup(st, 22);
	r->mail_error = sqs_dup(st, 23);
	r->mailed_at = (long)sqlite3_column_int64(st, 24);
	r->mail_tries = sqlite3_column_int(st, 25);
	r->mail_next_at = (long)sqlite3_column_int64(st, 26);
	r->bounces = sqs_dup(st, 27);
	if ((blob = sqlite3_column_blob(st, TIFF_COL)) != NULL) {
		size_t len = (size_t)sqlite3_column_bytes(st, TIFF_COL);
		if ((r->tiff = malloc(len)) == NULL)
			return -1;
		memcpy(r->tiff, blob, len);
		r->tifflen = len;
	}
	/* did and state are NOT NULL: NULL here means strdup failed. The
	 * onramp's strings steer the mailer: losing one must not pass. */
	if ((!r->targets && sqlite3_column_type(st, 21) != SQLITE_NULL) ||
	    (!r->decision && sqlite3_column_type(st, 22) != SQLITE_NULL))
		return -1;
	return r->did && r->state ? 0 : -1;
}

/* sqs_inbound_list - received faxes, newest first, without TIFFs; 0 or -1 */
int sqs_inbound_list(store_t *base, size_t limit, const char *state,
    store_inbound_row_t **rows, size_t *n, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	store_inbound_row_t *arr = NULL;
	sqlite3_stmt *st;
	int rc;

	*rows = NULL;
	*n = 0;
	if (prepare(s, "list inbound faxes", "SELECT " INBOUND_COLS ", NULL FROM inbound"
	    " WHERE ?1 IS NULL OR state = ?1 ORDER BY received_at DESC, id DESC LIMIT ?2",
	    &st, err, errlen) < 0)
		return -1;
	sqs_bind_text(st, 1, state);
	sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_inbound_row_t *a = realloc(arr, (*n + 1) * sizeof(*arr));
		if (!a)
			goto oom;
		arr = a;
		if (read_row(st, &arr[(*n)++]) < 0)
			goto oom;
	}
	if (rc != SQLITE_DONE) {
		sqs_err(s, "list inbound faxes", err, errlen);
		goto fail;
	}
	sqlite3_finalize(st);
	*rows = arr;
	return 0;
oom:
	snprintf(err, errlen, "store %s: list inbound faxes: out of memory", s->path);
fail:
	sqlite3_finalize(st);
	store_inbound_rows_free(arr, *n);
	*n = 0;
	return -1;
}

/* sqs_inbound_get - one received fax, its TIFF if asked; 1, 0 if none, or -1 */
int sqs_inbound_get(store_t *base, long id, store_inbound_row_t *row, int with_tiff,
    char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc;

	memset(row, 0, sizeof(*row));
	if (prepare(s, "read inbound fax", "SELECT " INBOUND_COLS ", CASE WHEN ?2 THEN tiff END"
	    " FROM inbound WHERE id = ?1", &st, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, with_tiff != 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && read_row(st, row) < 0) {
		sqlite3_finalize(st);
		store_inbound_row_free(row);
		snprintf(err, errlen, "store %s: read inbound fax %ld: out of memory", s->path, id);
		return -1;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return sqs_err(s, "read inbound fax", err, errlen);
	return 1;
}

/* sqs_inbound_bounce - a delivery report's recipients for fax id, if id
 * and received_at name one; 1, 0 if they do not, or -1 */
int sqs_inbound_bounce(store_t *base, long id, long received_at, const store_bounce_t *b,
    size_t n, long now, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	if (prepare(s, "find inbound fax", "SELECT 1 FROM inbound WHERE id = ?1 AND received_at = ?2",
	    &st, err, errlen) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, received_at);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_DONE) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sqs_err(s, "find inbound fax", err, errlen);
		goto fail;
	}
	if (prepare(s, "record bounce", "INSERT INTO inbound_bounces (inbound, recipient, action,"
	    " status, diagnostic, reporting_mta, reported_at) VALUES (?1, ?2, ?3, ?4,"
	    " substr(nullif(?5, ''), 1, ?8), substr(nullif(?6, ''), 1, ?8), ?7)",
	    &st, err, errlen) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, b[i].recipient, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, b[i].action, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, b[i].status, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, b[i].diagnostic, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, b[i].reporting_mta, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, now);
		sqlite3_bind_int(st, 8, STORE_BOUNCE_TEXT_MAX);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqs_err(s, "record bounce", err, errlen);
			goto fail;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqs_exec(s, "COMMIT", err, errlen) < 0)
		goto fail;
	return 1;
fail:
	sqlite3_finalize(st);
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}
