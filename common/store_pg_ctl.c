/*
 * store_pg_ctl.c - the operators' side of the PostgreSQL store
 * (faxgatectl, the dialer's /metrics): job listings, one job in full,
 * counts, and the state changes an operator may make; see store.h.
 *
 * Reads run in one REPEATABLE READ transaction, so a job, its attempts
 * and its notices come from one snapshot while dialers on other hosts
 * write. A change locks the job's row (SELECT ... FOR UPDATE) before it
 * checks the state: a dialer's claim skips a locked row (SKIP LOCKED)
 * and re-checks a row it locked after us, so an operator and a dialer
 * cannot both win.
 */
#include <stdio.h>
#include <string.h>

#include "store_pg_int.h"

/* The columns read_info expects (first those of store_job_t), and the join. */
#define INFO_SELECT PGS_JOB_COLS ", m.sender, j.updated_at::text," \
	" coalesce(j.last_attempt_at, 0)::text, coalesce(j.lease_until, 0)::text," \
	" j.notice_next_at::text, coalesce(j.notice_sent_at, 0)::text," \
	" coalesce(j.lease_owner, ''), coalesce(j.notice_due, ''), j.notice_tries::text," \
	" j.delay_notified::text FROM jobs j JOIN messages m ON m.id = j.message"

/* The most states a list filter may name (the schema has nine). */
#define MAX_FILTER_STATES 16

#define BEGIN_READ "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

/* read_info - a row selected with INFO_SELECT into *i */
static void read_info(const PGresult *r, int row, store_job_info_t *i)
{
	memset(i, 0, sizeof(*i));
	pgs_read_job(r, row, &i->job);
	pgs_copy(i->sender, sizeof(i->sender), r, row, 19);
	i->updated_at = pgs_long(r, row, 20);
	i->last_attempt_at = pgs_long(r, row, 21);
	i->lease_until = pgs_long(r, row, 22);
	i->notice_next_at = pgs_long(r, row, 23);
	i->notice_sent_at = pgs_long(r, row, 24);
	pgs_copy(i->lease_owner, sizeof(i->lease_owner), r, row, 25);
	pgs_copy(i->notice_due, sizeof(i->notice_due), r, row, 26);
	i->notice_tries = (int)pgs_long(r, row, 27);
	i->delay_notified = (int)pgs_long(r, row, 28);
}

int pgs_ctl_list(store_t *base, const store_job_filter_t *f, store_job_info_t **jobs,
    size_t *n, char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	PGresult *r;
	pgp_t p = { 0 };
	char sql[2048];
	size_t o, ns = 0;

	*jobs = NULL;
	*n = 0;
	o = (size_t)snprintf(sql, sizeof(sql), "SELECT " INFO_SELECT " WHERE"
	    " ($1::text IS NULL OR lower(m.sender) = lower($1)) AND ($2::text IS NULL OR j.number = $2)"
	    " AND ($3 = 0 OR j.created_at >= $3) AND ($4 = 0 OR j.created_at < $4)");
	pgp_text(&p, f->sender);
	pgp_text(&p, f->number);
	pgp_long(&p, f->since);
	pgp_long(&p, f->until);
	if (f->limit)
		pgp_long(&p, (long)f->limit);
	else
		pgp_text(&p, NULL);	/* LIMIT NULL: no limit */
	/* The states are bound, not pasted: one placeholder per state. */
	while (f->states && f->states[ns]) {
		if (ns == MAX_FILTER_STATES) {
			snprintf(err, errlen, "store %s: more than %d states in a filter", s->name,
			    MAX_FILTER_STATES);
			return -1;
		}
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, "%s$%zu", ns ? ", " : " AND j.state IN (",
		    ns + 6);
		pgp_text(&p, f->states[ns]);
		ns++;
	}
	snprintf(sql + o, sizeof(sql) - o, "%s ORDER BY j.created_at DESC, j.id DESC LIMIT $5::bigint",
	    ns ? ")" : "");
	if ((*jobs = pgs_select(s, sql, &p, 0, sizeof(**jobs), &r, err, errlen)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++)
		read_info(r, i, &(*jobs)[i]);
	*n = (size_t)PQntuples(r);
	PQclear(r);
	return 0;
}

/* detail_rest - the message, documents, attempts and notices of d's job,
 * inside the caller's read transaction; 0 or -1 */
static int detail_rest(pg_store_t *s, long job, store_job_detail_t *d, char *err, size_t errlen)
{
	PGresult *r;
	pgp_t p = { 0 }, q = { 0 };
	store_message_t *m = &d->msg;

	pgp_long(&p, d->info.job.message);
	pgp_long(&q, job);
	if (!(r = pgs_query(s, "SELECT " PGS_MSG_COLS ", size::text, coalesce(client_addr, ''),"
	    " coalesce(auth_user, '') FROM messages WHERE id = $1", &p, 0, err, errlen)))
		return -1;
	if (PQntuples(r) == 1) {
		pgs_read_message(r, 0, m);
		m->rawlen = (size_t)pgs_long(r, 0, PGS_MSG_NCOLS);
		pgs_copy(d->client_addr, sizeof(d->client_addr), r, 0, PGS_MSG_NCOLS + 1);
		pgs_copy(d->auth_user, sizeof(d->auth_user), r, 0, PGS_MSG_NCOLS + 2);
	}
	PQclear(r);

	if ((d->docs = pgs_select(s, "SELECT seq::text, kind, content_type, coalesce(filename, ''),"
	    " coalesce(pages, 0)::text, octet_length(data)::text FROM documents WHERE message = $1"
	    " ORDER BY seq", &p, 0, sizeof(*d->docs), &r, err, errlen)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		store_doc_info_t *x = &d->docs[i];
		x->seq = (int)pgs_long(r, i, 0);
		pgs_copy(x->kind, sizeof(x->kind), r, i, 1);
		pgs_copy(x->content_type, sizeof(x->content_type), r, i, 2);
		pgs_copy(x->filename, sizeof(x->filename), r, i, 3);
		x->pages = (unsigned)pgs_long(r, i, 4);
		x->size = pgs_long(r, i, 5);
	}
	d->ndocs = (size_t)PQntuples(r);
	PQclear(r);

	if ((d->attempts = pgs_select(s, "SELECT attempt::text, first_page::text, pages_sent::text,"
	    " coalesce(bit_rate, -1)::text, coalesce(ecm, -1)::text, started_at::text,"
	    " coalesce(ended_at, 0)::text, bytes::text, coalesce(notice_at, 0)::text,"
	    " channel, call_id, resolution, outcome, status, error_code, error_text"
	    " FROM attempts WHERE job = $1 ORDER BY attempt", &q, 0, sizeof(*d->attempts), &r,
	    err, errlen)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		store_attempt_info_t *a = &d->attempts[i];
		a->attempt = (int)pgs_long(r, i, 0);
		a->first_page = (int)pgs_long(r, i, 1);
		a->pages_sent = (int)pgs_long(r, i, 2);
		a->bit_rate = (int)pgs_long(r, i, 3);
		a->ecm = (int)pgs_long(r, i, 4);
		a->started_at = pgs_long(r, i, 5);
		a->ended_at = pgs_long(r, i, 6);
		a->bytes = pgs_long(r, i, 7);
		a->notice_at = pgs_long(r, i, 8);
		pgs_copy(a->channel, sizeof(a->channel), r, i, 9);
		pgs_copy(a->call_id, sizeof(a->call_id), r, i, 10);
		pgs_copy(a->resolution, sizeof(a->resolution), r, i, 11);
		pgs_copy(a->outcome, sizeof(a->outcome), r, i, 12);
		pgs_copy(a->status, sizeof(a->status), r, i, 13);
		pgs_copy(a->error_code, sizeof(a->error_code), r, i, 14);
		pgs_copy(a->error_text, sizeof(a->error_text), r, i, 15);
	}
	d->nattempts = (size_t)PQntuples(r);
	PQclear(r);

	if ((d->notices = pgs_select(s, "SELECT kind, action, jobs, sent_at::text,"
	    " coalesce(message_id, '') FROM notices WHERE message = $1 ORDER BY sent_at, id", &p, 0,
	    sizeof(*d->notices), &r, err, errlen)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		store_notice_info_t *ni = &d->notices[i];
		pgs_copy(ni->kind, sizeof(ni->kind), r, i, 0);
		pgs_copy(ni->action, sizeof(ni->action), r, i, 1);
		pgs_copy(ni->jobs, sizeof(ni->jobs), r, i, 2);
		ni->sent_at = pgs_long(r, i, 3);
		pgs_copy(ni->message_id, sizeof(ni->message_id), r, i, 4);
	}
	d->nnotices = (size_t)PQntuples(r);
	PQclear(r);
	return 0;
}

int pgs_ctl_detail(store_t *base, long job, store_job_detail_t *d, char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	PGresult *r;
	pgp_t p = { 0 };
	int found;

	memset(d, 0, sizeof(*d));
	pgp_long(&p, job);
	if (pgs_exec(s, BEGIN_READ, err, errlen) < 0)
		return -1;
	if (!(r = pgs_query(s, "SELECT " INFO_SELECT " WHERE j.id = $1", &p, 0, err, errlen)))
		return pgs_end(s, -1);
	if ((found = PQntuples(r) == 1))
		read_info(r, 0, &d->info);
	PQclear(r);
	if (!found)
		return pgs_end(s, 0);
	if (detail_rest(s, job, d, err, errlen) < 0) {
		store_job_detail_free(d);
		return pgs_end(s, -1);
	}
	return pgs_end(s, 1);
}

/* period - attempts, pages and notices since a time; 0 or -1 */
static int period(pg_store_t *s, long since, store_period_t *o, char *err, size_t errlen)
{
	PGresult *r;
	pgp_t p = { 0 };

	pgp_long(&p, since);
	if (!(r = pgs_query(s, "SELECT count(*) FILTER (WHERE outcome = 'ok')::text,"
	    " count(*) FILTER (WHERE outcome = 'retry')::text,"
	    " count(*) FILTER (WHERE outcome = 'final')::text,"
	    " count(*) FILTER (WHERE ended_at IS NULL)::text, coalesce(sum(pages_sent), 0)::text,"
	    " (SELECT count(*) FROM notices WHERE sent_at >= $1)::text"
	    " FROM attempts WHERE started_at >= $1", &p, 0, err, errlen)))
		return -1;
	o->attempts_ok = pgs_long(r, 0, 0);
	o->attempts_retry = pgs_long(r, 0, 1);
	o->attempts_final = pgs_long(r, 0, 2);
	o->attempts_open = pgs_long(r, 0, 3);
	o->pages_sent = pgs_long(r, 0, 4);
	o->notices = pgs_long(r, 0, 5);
	PQclear(r);
	return 0;
}

/* by_state - "SELECT state, count" rows into at most max counts; 0 or -1 */
static int by_state(pg_store_t *s, const char *sql, struct store_state_count *out, size_t max,
    size_t *n, char *err, size_t errlen)
{
	PGresult *r;

	*n = 0;
	if (!(r = pgs_query(s, sql, NULL, 0, err, errlen)))
		return -1;
	for (int i = 0; i < PQntuples(r) && *n < max; i++) {
		pgs_copy(out[*n].state, sizeof(out[0].state), r, i, 0);
		out[(*n)++].jobs = pgs_long(r, i, 1);
	}
	PQclear(r);
	return 0;
}

/* stats_read - store_stats inside the caller's read transaction; 0 or -1 */
static int stats_read(pg_store_t *s, long now, store_stats_t *out, char *err, size_t errlen)
{
	PGresult *r;

	if (by_state(s, "SELECT state, count(*)::text FROM jobs GROUP BY state ORDER BY state",
	    out->states, sizeof(out->states) / sizeof(out->states[0]), &out->nstates,
	    err, errlen) < 0 ||
	    period(s, now - 86400, &out->day, err, errlen) < 0 ||
	    period(s, 0, &out->all, err, errlen) < 0)
		return -1;
	if (!(r = pgs_query(s, "SELECT id::text, created_at::text FROM jobs WHERE state = 'queued'"
	    " ORDER BY created_at, id LIMIT 1", NULL, 0, err, errlen)))
		return -1;
	if (PQntuples(r) == 1) {
		out->oldest_queued = pgs_long(r, 0, 0);
		out->oldest_queued_at = pgs_long(r, 0, 1);
	}
	PQclear(r);
	return 0;
}

int pgs_ctl_stats(store_t *base, long now, store_stats_t *out, char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;

	memset(out, 0, sizeof(*out));
	if (pgs_exec(s, BEGIN_READ, err, errlen) < 0)
		return -1;
	return pgs_end(s, stats_read(s, now, out, err, errlen));
}

int pgs_ctl_metrics(store_t *base, long now, store_metrics_t *out, char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	if (pgs_exec(s, BEGIN_READ, err, errlen) < 0)
		return -1;
	if (stats_read(s, now, &out->stats, err, errlen) < 0 ||
	    by_state(s, "SELECT state, count(*)::text FROM inbound GROUP BY state ORDER BY state",
	    out->inbound, sizeof(out->inbound) / sizeof(out->inbound[0]), &out->ninbound,
	    err, errlen) < 0)
		return pgs_end(s, -1);
	if (!(r = pgs_query(s, "SELECT count(*) FILTER (WHERE notice_due IS NOT NULL)::text,"
	    " count(*) FILTER (WHERE notice_due IS NOT NULL AND notice_tries > 0)::text,"
	    " count(*) FILTER (WHERE mdn_due <> 0)::text,"
	    " (SELECT coalesce(sum(pages), 0) FROM inbound)::text"
	    " FROM jobs WHERE notice_due IS NOT NULL OR mdn_due <> 0", NULL, 0, err, errlen)))
		return pgs_end(s, -1);
	out->notices_due = pgs_long(r, 0, 0);
	out->notices_failing = pgs_long(r, 0, 1);
	out->mdn_due = pgs_long(r, 0, 2);
	out->pages_received = pgs_long(r, 0, 3);
	PQclear(r);
	return pgs_end(s, 0);
}

int pgs_ctl_change(store_t *base, long job, int change, long now, char *from,
    size_t fromlen, char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	store_change_t c = (store_change_t)change;
	const char *const *states = store_change_states(c);
	int cancel = c == STORE_CANCEL || c == STORE_CANCEL_QUIET;
	const char *drop = cancel ? "delayed" : c == STORE_HOLD ? NULL : "failed";
	const char *target = store_change_target(c);
	PGresult *r;
	pgp_t p = { 0 };
	long changed;
	int found;

	snprintf(from, fromlen, "%s", "");
	/* The UPDATE below has room for four states. */
	if (!states || !target || (states[0] && states[1] && states[2] && states[3] && states[4])) {
		snprintf(err, errlen, "store %s: unknown change %d", s->name, change);
		return -1;
	}
	pgp_long(&p, job);
	if (pgs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	/* The row lock: the state read here is the one the UPDATE sees. */
	if (!(r = pgs_query(s, "SELECT state FROM jobs WHERE id = $1 FOR UPDATE", &p, 0, err, errlen)))
		return pgs_rollback(s);
	if ((found = PQntuples(r) == 1))
		pgs_copy(from, fromlen, r, 0, 0);
	PQclear(r);
	if (!found)
		return pgs_end(s, 0);
	pgp_long(&p, now);
	pgp_text(&p, target);
	pgp_text(&p, drop);
	pgp_long(&p, cancel);
	for (int i = 0, more = 1; i < 4; i++) {
		more = more && states[i];
		pgp_text(&p, more ? states[i] : NULL);
	}
	/* A rendering or sending job with a live lease belongs to a dialer;
	 * only cancel takes one whose dialer died (its lease ran out). */
	if (pgs_cmd(s, "UPDATE jobs SET state = $3, updated_at = $2,"
	    " next_attempt_at = CASE WHEN $3 = 'queued' THEN $2 ELSE next_attempt_at END,"
	    " lease_owner = NULL, lease_until = NULL,"
	    " notice_due = CASE WHEN notice_due = $4 THEN NULL ELSE notice_due END"
	    " WHERE id = $1 AND (state IN ($6, $7, $8, $9)"
	    "  OR ($5 = 1 AND state IN ('rendering', 'sending') AND coalesce(lease_until, 0) < $2))",
	    &p, &changed, err, errlen) < 0)
		return pgs_rollback(s);
	if (changed == 0)
		return pgs_end(s, 0);
	p.n = 2;
	if (c == STORE_CANCEL) {
		/* The sender must not wait for it: a failure report is owed. */
		pgp_text(&p, STORE_CANCEL_STATUS);
		pgp_text(&p, STORE_CANCEL_DIAG);
		if (pgs_cmd(s, "UPDATE jobs SET notice_due = 'failed', notice_tries = 0,"
		    " notice_next_at = $2, status = $3, diagnostic = $4 WHERE id = $1", &p, NULL,
		    err, errlen) < 0)
			return pgs_rollback(s);
		p.n = 2;
	}
	if (cancel && pgs_cmd(s, "UPDATE attempts SET ended_at = $2, outcome = 'retry',"
	    " error_code = 'LEASE_EXPIRED', error_text = 'the dialer handling this call stopped'"
	    " WHERE job = $1 AND ended_at IS NULL", &p, NULL, err, errlen) < 0)
		return pgs_rollback(s);
	/* A job made due again, or a report owed: wake the dialers on every host. */
	if ((strcmp(target, "queued") == 0 || c == STORE_CANCEL) && pgs_notify(s, err, errlen) < 0)
		return pgs_rollback(s);
	return pgs_commit(s, err, errlen) < 0 ? -1 : 1;
}
