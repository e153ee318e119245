/*
 * store_pg.c - the PostgreSQL backend of the store; see store.h.
 *
 * spec is "postgresql:DSN", DSN a libpq conninfo string or URI, so that
 * several hosts' milters and dialers share one database. Commits are
 * durable when they return (synchronous_commit is forced on for our
 * sessions), which is what lets the milter say 250 and mean it.
 *
 * Dedup across milter hosts is the unique constraint jobs_dedup: a job
 * is inserted with ON CONFLICT DO NOTHING, so two hosts receiving the
 * same message at the same moment queue it once (the second waits for
 * the first's commit, then inserts nothing). A submission that queued
 * jobs NOTIFYs PGS_CHANNEL in its transaction, so dialers listening on
 * any host wake when it commits.
 *
 * The migrations in schema/postgresql are applied in one transaction
 * under an advisory lock, so hosts starting together migrate once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_pg_int.h"

extern const char *const store_pg_migrations[];

/* The advisory lock key taken while migrating ("faxgate" in ASCII). */
#define MIGRATE_LOCK "7378587659138405"

/* pgp_text - add a text parameter, NULL for SQL NULL */
void pgp_text(pgp_t *p, const char *v)
{
	if (p->n >= PGP_MAX)
		return;
	p->v[p->n] = v;
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

/* pgp_long - add an integer parameter */
void pgp_long(pgp_t *p, long v)
{
	if (p->n >= PGP_MAX)
		return;
	snprintf(p->num[p->n], sizeof(p->num[0]), "%ld", v);
	pgp_text(p, p->num[p->n]);
}

/* pgp_blob - add a bytea parameter, sent as binary */
void pgp_blob(pgp_t *p, const void *data, size_t len)
{
	if (p->n >= PGP_MAX)
		return;
	p->v[p->n] = data ? data : "";
	p->len[p->n] = (int)len;
	p->fmt[p->n] = 1;
	p->n++;
}

/* fail - the server's (or libpq's) reason for a failure, returns -1 */
static int fail(pg_store_t *s, const char *what, const PGresult *r, char *err, size_t errlen)
{
	const char *m = r ? PQresultErrorMessage(r) : "";
	size_t l;

	if (!m || !*m)
		m = PQerrorMessage(s->conn);
	l = strcspn(m, "\n");	/* the first line: the rest is context */
	snprintf(err, errlen, "store %s: %s: %.*s", s->name, what, (int)l, m);
	return -1;
}

/*
 * pgs_query - run one statement; its result (free with PQclear) or NULL
 * with the reason in err. A connection that broke (server restarted) is
 * reset once, outside a transaction, before giving up.
 */
PGresult *pgs_query(pg_store_t *s, const char *sql, const pgp_t *p, int binary,
    char *err, size_t errlen)
{
	PGresult *r;
	ExecStatusType t;

	if (PQstatus(s->conn) == CONNECTION_BAD)
		PQreset(s->conn);
	r = PQexecParams(s->conn, sql, p ? p->n : 0, NULL, p ? p->v : NULL, p ? p->len : NULL,
	    p ? p->fmt : NULL, binary);
	t = PQresultStatus(r);
	if (t == PGRES_TUPLES_OK || t == PGRES_COMMAND_OK)
		return r;
	fail(s, sql, r, err, errlen);
	PQclear(r);
	return NULL;
}

/* pgs_cmd - run a statement without rows; rows changed in *changed; 0 or -1 */
int pgs_cmd(pg_store_t *s, const char *sql, const pgp_t *p, long *changed,
    char *err, size_t errlen)
{
	PGresult *r = pgs_query(s, sql, p, 0, err, errlen);

	if (!r)
		return -1;
	if (changed)
		*changed = atol(PQcmdTuples(r));
	PQclear(r);
	return 0;
}

/* pgs_exec - run SQL without parameters (may be several statements); 0 or -1 */
int pgs_exec(pg_store_t *s, const char *sql, char *err, size_t errlen)
{
	PGresult *r;
	ExecStatusType t;

	if (PQstatus(s->conn) == CONNECTION_BAD)
		PQreset(s->conn);
	r = PQexec(s->conn, sql);
	t = PQresultStatus(r);
	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
		fail(s, strlen(sql) > 60 ? "statement" : sql, r, err, errlen);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

/* pgs_end - end the transaction writing nothing (a read, or a change that
 * found nothing to do); returns rc for the caller to pass on */
int pgs_end(pg_store_t *s, int rc)
{
	PQclear(PQexec(s->conn, "ROLLBACK"));
	return rc;
}

/* pgs_rollback - undo the transaction, returns -1 for the caller to pass on */
int pgs_rollback(pg_store_t *s)
{
	return pgs_end(s, -1);
}

/* pgs_commit - commit the transaction, rolled back if that fails; 0 or -1 */
int pgs_commit(pg_store_t *s, char *err, size_t errlen)
{
	return pgs_exec(s, "COMMIT", err, errlen) < 0 ? pgs_rollback(s) : 0;
}

/* pgs_notify - wake the listening dialers when this transaction commits */
int pgs_notify(pg_store_t *s, char *err, size_t errlen)
{
	return pgs_exec(s, "NOTIFY " PGS_CHANNEL, err, errlen);
}

/* pgs_long - an integer column, 0 for NULL */
long pgs_long(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtol(PQgetvalue(r, row, col), NULL, 10);
}

/* pgs_copy - a text column into a bounded buffer ("" for NULL) */
void pgs_copy(char *dst, size_t len, const PGresult *r, int row, int col)
{
	snprintf(dst, len, "%s", PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

/* pgs_dup - a malloc'ed copy of a text column, NULL for NULL */
char *pgs_dup(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

/* pgs_blob - a malloc'ed copy of a bytea column of a binary result (one
 * byte more, a NUL, so text can be read in place); NULL if out of memory */
unsigned char *pgs_blob(const PGresult *r, int row, int col, size_t *len)
{
	unsigned char *d;

	*len = (size_t)PQgetlength(r, row, col);
	if ((d = malloc(*len + 1)) == NULL)
		return NULL;
	memcpy(d, PQgetvalue(r, row, col), *len);
	d[*len] = '\0';
	return d;
}

/* pgs_rows - an array for the rows of r: PQntuples(r) elements of size
 * (at least one, zeroed), or NULL with the reason in err */
void *pgs_rows(pg_store_t *s, const PGresult *r, size_t size, char *err, size_t errlen)
{
	void *a = calloc(PQntuples(r) ? (size_t)PQntuples(r) : 1, size);

	if (!a)
		snprintf(err, errlen, "store %s: out of memory", s->name);
	return a;
}

/* pgs_select - run a query and make an array for its rows (pgs_rows):
 * the array, its rows in *r (free with PQclear); or NULL, *r cleared and
 * the reason in err */
void *pgs_select(pg_store_t *s, const char *sql, const pgp_t *p, int binary, size_t size,
    PGresult **r, char *err, size_t errlen)
{
	void *a;

	if (!(*r = pgs_query(s, sql, p, binary, err, errlen)))
		return NULL;
	if (!(a = pgs_rows(s, *r, size, err, errlen))) {
		PQclear(*r);
		*r = NULL;
	}
	return a;
}

/* pgs_ids - column 0 of at most max rows of a query, as numbers; 0 or -1 */
int pgs_ids(pg_store_t *s, const char *sql, const pgp_t *p, long *ids, size_t max,
    size_t *n, char *err, size_t errlen)
{
	PGresult *r;

	*n = 0;
	if (!(r = pgs_query(s, sql, p, 0, err, errlen)))
		return -1;
	for (int i = 0; i < PQntuples(r) && *n < max; i++)
		ids[(*n)++] = pgs_long(r, i, 0);
	PQclear(r);
	return 0;
}

/* pgs_read_message - the PGS_MSG_COLS of a row into *m (text columns
 * malloc'ed, see store_message_free) */
void pgs_read_message(const PGresult *r, int row, store_message_t *m)
{
	m->id = pgs_long(r, row, 0);
	m->sender = pgs_dup(r, row, 1);
	m->envid = pgs_dup(r, row, 2);
	m->ret = pgs_dup(r, row, 3);
	m->message_id = pgs_dup(r, row, 4);
	m->subject = pgs_dup(r, row, 5);
	m->queue_id = pgs_dup(r, row, 6);
	m->received_at = pgs_long(r, row, 7);
}

/* pgs_read_job - a row selected with PGS_JOB_COLS into *j */
void pgs_read_job(const PGresult *r, int row, store_job_t *j)
{
	memset(j, 0, sizeof(*j));
	j->id = pgs_long(r, row, 0);
	j->message = pgs_long(r, row, 1);
	pgs_copy(j->recipient, sizeof(j->recipient), r, row, 2);
	pgs_copy(j->number, sizeof(j->number), r, row, 3);
	pgs_copy(j->subaddress, sizeof(j->subaddress), r, row, 4);
	pgs_copy(j->qualifiers, sizeof(j->qualifiers), r, row, 5);
	pgs_copy(j->dial, sizeof(j->dial), r, row, 6);
	pgs_copy(j->domain, sizeof(j->domain), r, row, 7);
	pgs_copy(j->notify, sizeof(j->notify), r, row, 8);
	pgs_copy(j->orcpt, sizeof(j->orcpt), r, row, 9);
	pgs_copy(j->state, sizeof(j->state), r, row, 10);
	j->attempts = (int)pgs_long(r, row, 11);
	j->pages_confirmed = (int)pgs_long(r, row, 12);
	j->pages_total = (int)pgs_long(r, row, 13);
	j->created_at = pgs_long(r, row, 14);
	j->first_attempt_at = pgs_long(r, row, 15);
	j->next_attempt_at = pgs_long(r, row, 16);
	pgs_copy(j->status, sizeof(j->status), r, row, 17);
	pgs_copy(j->diagnostic, sizeof(j->diagnostic), r, row, 18);
}

/* migrate - apply the migrations not applied yet, in one transaction */
static int migrate(pg_store_t *s, char *err, size_t errlen)
{
	PGresult *r;
	int have, want = 0;
	char sql[96];

	while (store_pg_migrations[want])
		want++;
	if (pgs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	/* Hosts starting together: the first migrates, the others wait here
	 * and then find the schema up to date. */
	if (pgs_exec(s, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")", err, errlen) < 0 ||
	    pgs_exec(s, "SET LOCAL client_min_messages = warning;"
	    " CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)", err, errlen) < 0 ||
	    !(r = pgs_query(s, "SELECT coalesce(max(version), 0)::text FROM schema_version", NULL, 0,
	    err, errlen)))
		return pgs_rollback(s);
	have = (int)pgs_long(r, 0, 0);
	PQclear(r);
	if (have > want) {
		snprintf(err, errlen, "store %s: schema version %d is newer than this program's %d",
		    s->name, have, want);
		return pgs_rollback(s);
	}
	for (int i = have; i < want; i++) {
		if (pgs_exec(s, store_pg_migrations[i], err, errlen) < 0) {
			char why[400];
			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errlen, "migration %d: %s", i + 1, why);
			return pgs_rollback(s);
		}
	}
	snprintf(sql, sizeof(sql), "DELETE FROM schema_version; INSERT INTO schema_version"
	    " VALUES (%d)", want);
	if (have != want && pgs_exec(s, sql, err, errlen) < 0)
		return pgs_rollback(s);
	return pgs_commit(s, err, errlen);
}

/* submit_one - one message, its documents and new jobs, inside the
 * caller's transaction; 0, or -1 (the caller rolls back) */
static int submit_one(pg_store_t *s, const store_msg_t *m, const store_doc_t *docs,
    size_t ndocs, const store_rcpt_t *rcpts, size_t nrcpts, int *queued,
    char *err, size_t errlen)
{
	PGresult *r;
	pgp_t p;
	long msgid, now = (long)time(NULL);
	size_t nnew = 0;

	/* Cheap first look: a duplicate (the usual case when the same mail
	 * reaches two hosts) writes nothing at all. A race past this look is
	 * caught by the unique constraint below. */
	for (size_t i = 0; i < nrcpts; i++) {
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = queued[j] && strcmp(rcpts[j].number, rcpts[i].number) == 0 &&
			    strcmp(rcpts[j].subaddress ? rcpts[j].subaddress : "",
				rcpts[i].subaddress ? rcpts[i].subaddress : "") == 0;
		if (!dup) {
			memset(&p, 0, sizeof(p));
			pgp_text(&p, m->dedup_key);
			pgp_text(&p, rcpts[i].number);
			pgp_text(&p, rcpts[i].subaddress ? rcpts[i].subaddress : "");
			if (!(r = pgs_query(s, "SELECT 1 FROM jobs WHERE dedup_key = $1 AND number = $2"
			    " AND subaddress = $3", &p, 0, err, errlen)))
				return -1;
			dup = PQntuples(r) > 0;
			PQclear(r);
		}
		queued[i] = !dup;
		nnew += !dup;
	}
	if (nnew == 0)
		return 0;

	memset(&p, 0, sizeof(p));
	pgp_text(&p, m->dedup_key);
	pgp_text(&p, m->message_id);
	pgp_text(&p, m->queue_id);
	pgp_text(&p, m->sender ? m->sender : "");
	pgp_text(&p, m->envid);
	pgp_text(&p, m->ret);
	pgp_text(&p, m->client_addr);
	pgp_text(&p, m->auth_user);
	pgp_text(&p, m->subject);
	pgp_long(&p, m->received_at);
	pgp_long(&p, (long)m->rawlen);
	pgp_blob(&p, m->raw, m->rawlen);
	pgp_text(&p, m->mdn_to);
	if (!(r = pgs_query(s, "INSERT INTO messages (dedup_key, message_id, queue_id, sender,"
	    " envid, ret, client_addr, auth_user, subject, received_at, size, raw, mdn_to)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id::text",
	    &p, 0, err, errlen)))
		return -1;
	msgid = pgs_long(r, 0, 0);
	PQclear(r);

	for (size_t i = 0; i < ndocs; i++) {
		memset(&p, 0, sizeof(p));
		pgp_long(&p, msgid);
		pgp_long(&p, (long)i + 1);
		pgp_text(&p, docs[i].kind);
		pgp_text(&p, docs[i].content_type);
		pgp_text(&p, docs[i].filename);
		if (docs[i].pages)
			pgp_long(&p, (long)docs[i].pages);
		else
			pgp_text(&p, NULL);
		pgp_blob(&p, docs[i].data, docs[i].len);
		if (pgs_cmd(s, "INSERT INTO documents (message, seq, kind, content_type, filename,"
		    " pages, data) VALUES ($1, $2, $3, $4, $5, $6, $7)", &p, NULL, err, errlen) < 0)
			return -1;
	}

	nnew = 0;
	for (size_t i = 0; i < nrcpts; i++) {
		const store_rcpt_t *rc = &rcpts[i];
		long added;
		if (!queued[i])
			continue;
		memset(&p, 0, sizeof(p));
		pgp_long(&p, msgid);
		pgp_text(&p, m->dedup_key);
		pgp_text(&p, rc->recipient);
		pgp_text(&p, rc->number);
		pgp_text(&p, rc->subaddress ? rc->subaddress : "");
		pgp_text(&p, rc->qualifiers ? rc->qualifiers : "");
		pgp_text(&p, rc->dial);
		pgp_text(&p, rc->domain);
		pgp_text(&p, rc->notify);
		pgp_text(&p, rc->orcpt);
		pgp_long(&p, now);
		if (pgs_cmd(s, "INSERT INTO jobs (message, dedup_key, recipient, number, subaddress,"
		    " qualifiers, dial, domain, notify, orcpt, created_at, updated_at, next_attempt_at)"
		    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11)"
		    " ON CONFLICT ON CONSTRAINT jobs_dedup DO NOTHING", &p, &added, err, errlen) < 0)
			return -1;
		queued[i] = added > 0;	/* another host queued it meanwhile */
		nnew += queued[i];
	}
	if (nnew == 0) {
		/* Every job lost the race: keep nothing of this copy. */
		memset(&p, 0, sizeof(p));
		pgp_long(&p, msgid);
		return pgs_cmd(s, "DELETE FROM messages WHERE id = $1", &p, NULL, err, errlen);
	}
	return pgs_notify(s, err, errlen);
}

/* pg_submit_batch - several messages in one transaction and one commit
 * (the milter's group commit), all or nothing */
static int pg_submit_batch(store_t *base, store_submission_t *subs, size_t n,
    char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;

	if (pgs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		store_submission_t *b = &subs[i];
		if (submit_one(s, b->msg, b->docs, b->ndocs, b->rcpts, b->nrcpts, b->queued,
		    err, errlen) < 0)
			return pgs_rollback(s);
	}
	return pgs_commit(s, err, errlen);
}

/* pg_sender_count - fax jobs of a sender since a time */
static int pg_sender_count(store_t *base, const char *sender, long since,
    long *count, char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	PGresult *r;
	pgp_t p = { 0 };

	pgp_text(&p, sender);
	pgp_long(&p, since);
	if (!(r = pgs_query(s, "SELECT count(*)::text FROM jobs j JOIN messages m ON m.id = j.message"
	    " WHERE m.sender = $1 AND j.created_at >= $2", &p, 0, err, errlen)))
		return -1;
	*count = pgs_long(r, 0, 0);
	PQclear(r);
	return 0;
}

/* pg_close - close the connection */
static void pg_close(store_t *base)
{
	pg_store_t *s = (pg_store_t *)base;

	PQfinish(s->conn);
	free(s);
}

static const store_ops_t pg_ops = {
	.submit_batch = pg_submit_batch,
	.sender_count = pg_sender_count,
	.claim = pgs_claim,
	.lease_renew = pgs_lease_renew,
	.job_progress = pgs_job_progress,
	.attempt_begin = pgs_attempt_begin,
	.attempt_end = pgs_attempt_end,
	.next_due = pgs_next_due,
	.get_docs = pgs_get_docs,
	.get_render = pgs_get_render,
	.put_render = pgs_put_render,
	.dest_get = pgs_dest_get,
	.dest_set = pgs_dest_set,
	.notice_due = pgs_notice_due,
	.notice_load = pgs_notice_load,
	.notice_sent = pgs_notice_sent,
	.notice_retry = pgs_notice_retry,
	.mdn_due = pgs_mdn_due,
	.mdn_load = pgs_mdn_load,
	.close = pg_close,
	.dest_get_t38 = pgs_dest_get_t38,
	.dest_set_t38 = pgs_dest_set_t38,
	.job_list = pgs_ctl_list,
	.job_detail = pgs_ctl_detail,
	.stats = pgs_ctl_stats,
	.job_change = pgs_ctl_change,
	.metrics = pgs_ctl_metrics,
	.inbound_add = pgs_inbound_add,
	.inbound_list = pgs_inbound_list,
	.inbound_get = pgs_inbound_get,
	.inbound_due = pgs_inbound_due,
	.inbound_next_due = pgs_inbound_next_due,
	.inbound_claim = pgs_inbound_claim,
	.inbound_decide = pgs_inbound_decide,
	.inbound_mark = pgs_inbound_mark,
	.inbound_requeue = pgs_inbound_requeue,
	.inbound_bounce = pgs_inbound_bounce,
	PGS_ONRAMP_OPS
};

/* quiet - libpq prints server notices on stderr; ours are not for users */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* store_pg_open - connect to DSN, migrate; the store or NULL */
store_t *store_pg_open(const char *dsn, char *err, size_t errlen)
{
	pg_store_t *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "store postgresql: out of memory");
		return NULL;
	}
	s->base.ops = &pg_ops;
	s->conn = PQconnectdb(dsn);
	if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
		const char *m = s->conn ? PQerrorMessage(s->conn) : "out of memory";
		snprintf(err, errlen, "store postgresql: cannot connect: %.*s",
		    (int)strcspn(m, "\n"), m);
		goto fail;
	}
	snprintf(s->name, sizeof(s->name), "postgresql:%s@%s", PQdb(s->conn),
	    PQhost(s->conn) ? PQhost(s->conn) : "local");
	PQsetNoticeProcessor(s->conn, quiet, NULL);
	/* A commit must be on disk before the milter says 250, whatever the
	 * server's default; times stay unix seconds, so no time zone matters. */
	if (pgs_exec(s, "SET synchronous_commit = on", err, errlen) < 0 ||
	    migrate(s, err, errlen) < 0)
		goto fail;
	return &s->base;
fail:
	PQfinish(s->conn);
	free(s);
	return NULL;
}
