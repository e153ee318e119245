/*
 * store_sqlite_ctl.c - the operators' side of the SQLite store (faxgatectl):
 * job listings, one job in full, counts, and the state changes an operator
 * may make; see store.h for the contract.
 *
 * Reads run in one read transaction so a job, its attempts and its notices
 * come from one snapshot while a dialer writes. Changes take the write lock
 * up front (BEGIN IMMEDIATE): the state is checked and written under that
 * lock, so an operator and a dialer claiming the same job cannot both win.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite_int.h"

/* The columns read_info expects (first those of store_job_t), and the join. */
#define INFO_SELECT SQS_JOB_COLS ", m.sender, j.updated_at, ifnull(j.last_attempt_at, 0)," \
	" ifnull(j.lease_until, 0), j.notice_next_at, ifnull(j.notice_sent_at, 0)," \
	" ifnull(j.lease_owner, ''), ifnull(j.notice_due, ''), j.notice_tries, j.delay_notified" \
	" FROM jobs j JOIN messages m ON m.id = j.message"

/* The most states a list filter may name (the schema has nine). */
#define MAX_FILTER_STATES 16

/* read_info - a row selected with INFO_SELECT into *i */
static void read_info(sqlite3_stmt *st, store_job_info_t *i)
{
	memset(i, 0, sizeof(*i));
	sqs_read_job(st, &i->job);
	sqs_copy(i->sender, sizeof(i->sender), st, 19);
	i->updated_at = (long)sqlite3_column_int64(st, 20);
	i->last_attempt_at = (long)sqlite3_column_int64(st, 21);
	i->lease_until = (long)sqlite3_column_int64(st, 22);
	i->notice_next_at = (long)sqlite3_column_int64(st, 23);
	i->notice_sent_at = (long)sqlite3_column_int64(st, 24);
	sqs_copy(i->lease_owner, sizeof(i->lease_owner), st, 25);
	sqs_copy(i->notice_due, sizeof(i->notice_due), st, 26);
	i->notice_tries = sqlite3_column_int(st, 27);
	i->delay_notified = sqlite3_column_int(st, 28);
}

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

/* end_read - close a read transaction, returns rc for the caller to pass on */
static int end_read(sqlite_store_t *s, int rc)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* collect - step st, appending one element of size per row; 0 or -1 */
static int collect(sqlite_store_t *s, const char *what, sqlite3_stmt *st, size_t size,
    void **arr, size_t *n, void (*row)(sqlite3_stmt *, void *), char *err, size_t errlen)
{
	int rc;

	*arr = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *a = realloc(*arr, (*n + 1) * size);
		if (!a) {
			snprintf(err, errlen, "store %s: %s: out of memory", s->path, what);
			goto fail;
		}
		*arr = a;
		memset(a + *n * size, 0, size);
		row(st, a + *n * size);
		(*n)++;
	}
	if (rc != SQLITE_DONE) {
		sqs_err(s, what, err, errlen);
		goto fail;
	}
	sqlite3_finalize(st);
	return 0;
fail:
	sqlite3_finalize(st);
	free(*arr);
	*arr = NULL;
	*n = 0;
	return -1;
}

/* info_row - collect's row reader for jobs */
static void info_row(sqlite3_stmt *st, void *p)
{
	read_info(st, p);
}

/* sqs_ctl_list - jobs matching a filter, newest first; 0 or -1 */
int sqs_ctl_list(store_t *base, const store_job_filter_t *f, store_job_info_t **jobs,
    size_t *n, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	char sql[2048];
	size_t o, ns = 0;
	void *arr;

	*jobs = NULL;
	*n = 0;
	o = (size_t)snprintf(sql, sizeof(sql), "SELECT " INFO_SELECT " WHERE"
	    " (?1 IS NULL OR m.sender = ?1 COLLATE NOCASE) AND (?2 IS NULL OR j.number = ?2)"
	    " AND (?3 = 0 OR j.created_at >= ?3) AND (?4 = 0 OR j.created_at < ?4)");
	/* The states are bound, not pasted: one placeholder per state. */
	while (f->states && f->states[ns]) {
		if (ns == MAX_FILTER_STATES) {
			snprintf(err, errlen, "store %s: more than %d states in a filter", s->path,
			    MAX_FILTER_STATES);
			return -1;
		}
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, "%s?%zu", ns ? ", " : " AND j.state IN (",
		    ns + 6);
		ns++;
	}
	snprintf(sql + o, sizeof(sql) - o, "%s ORDER BY j.created_at DESC, j.id DESC LIMIT ?5",
	    ns ? ")" : "");
	if (prepare(s, "list jobs", sql, &st, err, errlen) < 0)
		return -1;
	sqs_bind_text(st, 1, f->sender);
	sqs_bind_text(st, 2, f->number);
	sqlite3_bind_int64(st, 3, f->since);
	sqlite3_bind_int64(st, 4, f->until);
	sqlite3_bind_int64(st, 5, f->limit ? (sqlite3_int64)f->limit : -1);
	for (size_t i = 0; i < ns; i++)
		sqs_bind_text(st, (int)i + 6, f->states[i]);
	if (collect(s, "list jobs", st, sizeof(**jobs), &arr, n, info_row, err, errlen) < 0)
		return -1;
	*jobs = arr;
	return 0;
}

/* doc_row - collect's row reader for documents */
static void doc_row(sqlite3_stmt *st, void *p)
{
	store_doc_info_t *d = p;

	d->seq = sqlite3_column_int(st, 0);
	sqs_copy(d->kind, sizeof(d->kind), st, 1);
	sqs_copy(d->content_type, sizeof(d->content_type), st, 2);
	sqs_copy(d->filename, sizeof(d->filename), st, 3);
	d->pages = (unsigned)sqlite3_column_int(st, 4);
	d->size = (long)sqlite3_column_int64(st, 5);
}

/* attempt_row - collect's row reader for attempts */
static void attempt_row(sqlite3_stmt *st, void *p)
{
	store_attempt_info_t *a = p;

	a->attempt = sqlite3_column_int(st, 0);
	a->first_page = sqlite3_column_int(st, 1);
	a->pages_sent = sqlite3_column_int(st, 2);
	a->bit_rate = sqlite3_column_int(st, 3);
	a->ecm = sqlite3_column_int(st, 4);
	a->started_at = (long)sqlite3_column_int64(st, 5);
	a->ended_at = (long)sqlite3_column_int64(st, 6);
	a->bytes = (long)sqlite3_column_int64(st, 7);
	a->notice_at = (long)sqlite3_column_int64(st, 8);
	sqs_copy(a->channel, sizeof(a->channel), st, 9);
	sqs_copy(a->call_id, sizeof(a->call_id), st, 10);
	sqs_copy(a->resolution, sizeof(a->resolution), st, 11);
	sqs_copy(a->outcome, sizeof(a->outcome), st, 12);
	sqs_copy(a->status, sizeof(a->status), st, 13);
	sqs_copy(a->error_code, sizeof(a->error_code), st, 14);
	sqs_copy(a->error_text, sizeof(a->error_text), st, 15);
}

/* notice_row - collect's row reader for notices */
static void notice_row(sqlite3_stmt *st, void *p)
{
	store_notice_info_t *ni = p;

	sqs_copy(ni->kind, sizeof(ni->kind), st, 0);
	sqs_copy(ni->action, sizeof(ni->action), st, 1);
	sqs_copy(ni->jobs, sizeof(ni->jobs), st, 2);
	ni->sent_at = (long)sqlite3_column_int64(st, 3);
	sqs_copy(ni->message_id, sizeof(ni->message_id), st, 4);
}

/* read_message - the message of a job, without its raw text; 0 or -1 */
static int read_message(sqlite_store_t *s, store_job_detail_t *d, char *err, size_t errlen)
{
	store_message_t *m = &d->msg;
	sqlite3_stmt *st;
	int rc;

	if (prepare(s, "read message", "SELECT " SQS_MSG_COLS ", size, ifnull(client_addr, ''),"
	    " ifnull(auth_user, '') FROM messages WHERE id = ?1", &st, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, d->info.job.message);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqs_read_message(st, m);
		m->rawlen = (size_t)sqlite3_column_int64(st, SQS_MSG_NCOLS);
		sqs_copy(d->client_addr, sizeof(d->client_addr), st, SQS_MSG_NCOLS + 1);
		sqs_copy(d->auth_user, sizeof(d->auth_user), st, SQS_MSG_NCOLS + 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sqs_err(s, "read message", err, errlen);
	return 0;
}

/* sqs_ctl_detail - one job in full from one snapshot; 1, 0 if none, or -1 */
int sqs_ctl_detail(store_t *base, long job, store_job_detail_t *d, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	void *arr;
	int rc;

	memset(d, 0, sizeof(*d));
	if (sqs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	if (prepare(s, "read job", "SELECT " INFO_SELECT " WHERE j.id = ?1", &st, err, errlen) < 0)
		return end_read(s, -1);
	sqlite3_bind_int64(st, 1, job);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		read_info(st, &d->info);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return end_read(s, 0);
	if (rc != SQLITE_ROW)
		return end_read(s, sqs_err(s, "read job", err, errlen));
	if (read_message(s, d, err, errlen) < 0)
		goto fail;

	if (prepare(s, "read documents", "SELECT seq, kind, content_type, ifnull(filename, ''),"
	    " ifnull(pages, 0), length(data) FROM documents WHERE message = ?1 ORDER BY seq",
	    &st, err, errlen) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, d->info.job.message);
	if (collect(s, "read documents", st, sizeof(*d->docs), &arr, &d->ndocs, doc_row,
	    err, errlen) < 0)
		goto fail;
	d->docs = arr;

	if (prepare(s, "read attempts", "SELECT attempt, first_page, pages_sent,"
	    " ifnull(bit_rate, -1), ifnull(ecm, -1), started_at, ifnull(ended_at, 0), bytes,"
	    " ifnull(notice_at, 0), ifnull(channel, ''), ifnull(call_id, ''),"
	    " ifnull(resolution, ''), ifnull(outcome, ''), ifnull(status, ''),"
	    " ifnull(error_code, ''), ifnull(error_text, '')"
	    " FROM attempts WHERE job = ?1 ORDER BY attempt", &st, err, errlen) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, job);
	if (collect(s, "read attempts", st, sizeof(*d->attempts), &arr, &d->nattempts,
	    attempt_row, err, errlen) < 0)
		goto fail;
	d->attempts = arr;

	if (prepare(s, "read notices", "SELECT kind, action, jobs, sent_at, ifnull(message_id, '')"
	    " FROM notices WHERE message = ?1 ORDER BY sent_at, id", &st, err, errlen) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, d->info.job.message);
	if (collect(s, "read notices", st, sizeof(*d->notices), &arr, &d->nnotices, notice_row,
	    err, errlen) < 0)
		goto fail;
	d->notices = arr;
	return end_read(s, 1);
fail:
	store_job_detail_free(d);
	return end_read(s, -1);
}

/* period - attempts, pages and notices since a time; 0 or -1 */
static int period(sqlite_store_t *s, long since, store_period_t *p, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(s, "count attempts", "SELECT ifnull(sum(outcome = 'ok'), 0),"
	    " ifnull(sum(outcome = 'retry'), 0), ifnull(sum(outcome = 'final'), 0),"
	    " ifnull(sum(ended_at IS NULL), 0), ifnull(sum(pages_sent), 0),"
	    " (SELECT count(*) FROM notices WHERE sent_at >= ?1)"
	    " FROM attempts WHERE started_at >= ?1", &st, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, since);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p->attempts_ok = (long)sqlite3_column_int64(st, 0);
		p->attempts_retry = (long)sqlite3_column_int64(st, 1);
		p->attempts_final = (long)sqlite3_column_int64(st, 2);
		p->attempts_open = (long)sqlite3_column_int64(st, 3);
		p->pages_sent = (long)sqlite3_column_int64(st, 4);
		p->notices = (long)sqlite3_column_int64(st, 5);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sqs_err(s, "count attempts", err, errlen);
}

/* by_state - "SELECT state, count" rows into at most max counts; 0 or -1 */
static int by_state(sqlite_store_t *s, const char *what, const char *sql,
    struct store_state_count *out, size_t max, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if (prepare(s, what, sql, &st, err, errlen) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		sqs_copy(out[*n].state, sizeof(out[0].state), st, 0);
		out[(*n)++].jobs = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sqs_err(s, what, err, errlen);
}

/* stats_read - store_stats inside the caller's read transaction; 0 or -1 */
static int stats_read(sqlite_store_t *s, long now, store_stats_t *out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (by_state(s, "count jobs", "SELECT state, count(*) FROM jobs GROUP BY state"
	    " ORDER BY state", out->states, sizeof(out->states) / sizeof(out->states[0]),
	    &out->nstates, err, errlen) < 0)
		return -1;
	if (period(s, now - 86400, &out->day, err, errlen) < 0 ||
	    period(s, 0, &out->all, err, errlen) < 0)
		return -1;
	if (prepare(s, "oldest queued", "SELECT id, created_at FROM jobs WHERE state = 'queued'"
	    " ORDER BY created_at, id LIMIT 1", &st, err, errlen) < 0)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->oldest_queued = (long)sqlite3_column_int64(st, 0);
		out->oldest_queued_at = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sqs_err(s, "oldest queued", err, errlen);
}

/* sqs_ctl_stats - counts by state and period from one snapshot; 0 or -1 */
int sqs_ctl_stats(store_t *base, long now, store_stats_t *out, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;

	memset(out, 0, sizeof(*out));
	if (sqs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	return end_read(s, stats_read(s, now, out, err, errlen));
}

/* sqs_ctl_metrics - the stats, the notice backlog and the received faxes,
 * from one snapshot; 0 or -1 */
int sqs_ctl_metrics(store_t *base, long now, store_metrics_t *out, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sqs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	if (stats_read(s, now, &out->stats, err, errlen) < 0 ||
	    by_state(s, "count inbound", "SELECT state, count(*) FROM inbound GROUP BY state"
	    " ORDER BY state", out->inbound, sizeof(out->inbound) / sizeof(out->inbound[0]),
	    &out->ninbound, err, errlen) < 0)
		return end_read(s, -1);
	if (prepare(s, "count notices", "SELECT ifnull(sum(notice_due IS NOT NULL), 0),"
	    " ifnull(sum(notice_due IS NOT NULL AND notice_tries > 0), 0),"
	    " ifnull(sum(mdn_due != 0), 0),"
	    " (SELECT ifnull(sum(pages), 0) FROM inbound)"
	    " FROM jobs WHERE notice_due IS NOT NULL OR mdn_due != 0", &st, err, errlen) < 0)
		return end_read(s, -1);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->notices_due = (long)sqlite3_column_int64(st, 0);
		out->notices_failing = (long)sqlite3_column_int64(st, 1);
		out->mdn_due = (long)sqlite3_column_int64(st, 2);
		out->pages_received = (long)sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return end_read(s, sqs_err(s, "count notices", err, errlen));
	return end_read(s, 0);
}

/* rollback - undo the change, returns rc for the caller to pass on */
static int rollback(sqlite_store_t *s, int rc)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* step_write - step a statement that returns no rows, finalize it; 0 or -1 */
static int step_write(sqlite_store_t *s, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqs_err(s, "change job", err, errlen);
}

/* sqs_ctl_change - an operator's change, checked and written under the
 * write lock; 1 done, 0 refused (from: the state, "" for no job), or -1 */
int sqs_ctl_change(store_t *base, long job, int change, long now, char *from,
    size_t fromlen, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	store_change_t c = (store_change_t)change;
	const char *const *states = store_change_states(c);
	int cancel = c == STORE_CANCEL || c == STORE_CANCEL_QUIET;
	const char *drop = cancel ? "delayed" : c == STORE_HOLD ? NULL : "failed";
	sqlite3_stmt *st;
	int rc;

	snprintf(from, fromlen, "%s", "");
	/* The UPDATE below has room for four states. */
	if (!states || (states[0] && states[1] && states[2] && states[3] && states[4])) {
		snprintf(err, errlen, "store %s: unknown change %d", s->path, change);
		return -1;
	}
	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	/* Under the write lock the state read here is the one the UPDATE sees. */
	if (prepare(s, "read job", "SELECT state FROM jobs WHERE id = ?1", &st, err, errlen) < 0)
		return rollback(s, -1);
	sqlite3_bind_int64(st, 1, job);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sqs_copy(from, fromlen, st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return rollback(s, 0);
	if (rc != SQLITE_ROW)
		return rollback(s, sqs_err(s, "read job", err, errlen));

	/* A rendering or sending job with a live lease belongs to a dialer;
	 * only cancel takes one whose dialer died (its lease ran out). */
	if (prepare(s, "change job", "UPDATE jobs SET state = ?3, updated_at = ?2,"
	    " next_attempt_at = CASE WHEN ?3 = 'queued' THEN ?2 ELSE next_attempt_at END,"
	    " lease_owner = NULL, lease_until = NULL,"
	    " notice_due = CASE WHEN notice_due = ?4 THEN NULL ELSE notice_due END"
	    " WHERE id = ?1 AND (state IN (?6, ?7, ?8, ?9)"
	    "  OR (?5 AND state IN ('rendering', 'sending') AND ifnull(lease_until, 0) < ?2))",
	    &st, err, errlen) < 0)
		return rollback(s, -1);
	sqlite3_bind_int64(st, 1, job);
	sqlite3_bind_int64(st, 2, now);
	sqs_bind_text(st, 3, store_change_target(c));
	sqs_bind_text(st, 4, drop);
	sqlite3_bind_int(st, 5, cancel);
	for (int i = 0, more = 1; i < 4; i++) {
		more = more && states[i];
		sqs_bind_text(st, 6 + i, more ? states[i] : NULL);
	}
	if (step_write(s, st, err, errlen) < 0)
		return rollback(s, -1);
	if (sqlite3_changes(s->db) == 0)
		return rollback(s, 0);
	if (c == STORE_CANCEL) {
		/* The sender must not wait for it: a failure report is owed. */
		if (prepare(s, "change job", "UPDATE jobs SET notice_due = 'failed', notice_tries = 0,"
		    " notice_next_at = ?2, status = ?3, diagnostic = ?4 WHERE id = ?1",
		    &st, err, errlen) < 0)
			return rollback(s, -1);
		sqlite3_bind_int64(st, 1, job);
		sqlite3_bind_int64(st, 2, now);
		sqs_bind_text(st, 3, STORE_CANCEL_STATUS);
		sqs_bind_text(st, 4, STORE_CANCEL_DIAG);
		if (step_write(s, st, err, errlen) < 0)
			return rollback(s, -1);
	}
	if (cancel) {
		/* Taken from a dead dialer: close its call as store_claim would. */
		if (prepare(s, "change job", "UPDATE attempts SET ended_at = ?2, outcome = 'retry',"
		    " error_code = 'LEASE_EXPIRED', error_text = 'the dialer handling this call stopped'"
		    " WHERE job = ?1 AND ended_at IS NULL", &st, err, errlen) < 0)
			return rollback(s, -1);
		sqlite3_bind_int64(st, 1, job);
		sqlite3_bind_int64(st, 2, now);
		if (step_write(s, st, err, errlen) < 0)
			return rollback(s, -1);
	}
	if (sqs_exec(s, "COMMIT", err, errlen) < 0)
		return rollback(s, -1);
	return 1;
}
