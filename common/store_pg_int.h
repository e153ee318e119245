/*
 * store_pg_int.h - internal to the PostgreSQL backend (store_pg*.c): the
 * handle, the parameter and result functions, and the operations defined
 * in store_pg_jobs.c, store_pg_notice.c, store_pg_ctl.c, store_pg_inbound.c
 * and store_pg_onramp.c.
 * Nothing outside the backend includes this.
 *
 * Parameters are sent as text (numbers formatted here) or as binary
 * (bytea). A query that returns bytea asks for binary results and casts
 * every other column to text, whose binary form is its text: so one
 * reader (pgs_long, pgs_copy, pgs_dup) serves both kinds of result.
 */
#ifndef FAXGATE_STORE_PG_INT_H
#define FAXGATE_STORE_PG_INT_H

#include <libpq-fe.h>

#include "pgwake.h"
#include "store.h"

typedef struct pg_store {
	store_t base;
	PGconn *conn;
	char name[128];		/* "postgresql:DBNAME@HOST" for messages; never the password */
} pg_store_t;

#define PGP_MAX 24
typedef struct pgp {
	int n;
	const char *v[PGP_MAX];
	int len[PGP_MAX], fmt[PGP_MAX];
	char num[PGP_MAX][24];
} pgp_t;

/* The channel the dialers LISTEN on; a commit that makes jobs due NOTIFYs
 * it. The onramp's, for received faxes, is PGWAKE_INBOUND. */
#define PGS_CHANNEL PGWAKE_JOBS

/* The columns of store_job_t, in the order pgs_read_job reads them, from
 * "jobs j"; callers may select more columns after them. */
#define PGS_JOB_COLS "j.id::text, j.message::text, j.recipient, j.number, j.subaddress," \
	" j.qualifiers, j.dial, j.domain, coalesce(j.notify, ''), coalesce(j.orcpt, ''), j.state," \
	" j.attempts::text, j.pages_confirmed::text, coalesce(j.pages_total, 0)::text," \
	" j.created_at::text, coalesce(j.first_attempt_at, 0)::text, j.next_attempt_at::text," \
	" coalesce(j.status, ''), coalesce(j.diagnostic, '')"
#define PGS_JOB_NCOLS 19

/* The columns pgs_read_message reads, in its order, from "messages";
 * callers may select more columns after them. */
#define PGS_MSG_COLS "id::text, sender, envid, ret, message_id, subject, queue_id," \
	" received_at::text"
#define PGS_MSG_NCOLS 8

void pgp_text(pgp_t *p, const char *v);
void pgp_long(pgp_t *p, long v);
void pgp_blob(pgp_t *p, const void *data, size_t len);
PGresult *pgs_query(pg_store_t *s, const char *sql, const pgp_t *p, int binary,
    char *err, size_t errlen);
int pgs_cmd(pg_store_t *s, const char *sql, const pgp_t *p, long *changed,
    char *err, size_t errlen);
int pgs_exec(pg_store_t *s, const char *sql, char *err, size_t errlen);
int pgs_end(pg_store_t *s, int rc);
int pgs_rollback(pg_store_t *s);
int pgs_commit(pg_store_t *s, char *err, size_t errlen);
int pgs_notify(pg_store_t *s, char *err, size_t errlen);
long pgs_long(const PGresult *r, int row, int col);
void pgs_copy(char *dst, size_t len, const PGresult *r, int row, int col);
char *pgs_dup(const PGresult *r, int row, int col);
unsigned char *pgs_blob(const PGresult *r, int row, int col, size_t *len);
void *pgs_rows(pg_store_t *s, const PGresult *r, size_t size, char *err, size_t errlen);
void *pgs_select(pg_store_t *s, const char *sql, const pgp_t *p, int binary, size_t size,
    PGresult **r, char *err, size_t errlen);
int pgs_ids(pg_store_t *s, const char *sql, const pgp_t *p, long *ids, size_t max,
    size_t *n, char *err, size_t errlen);
void pgs_read_message(const PGresult *r, int row, store_message_t *m);
void pgs_read_job(const PGresult *r, int row, store_job_t *j);

/* store_pg_jobs.c: the dialer's and the notices' side. */
int pgs_claim(store_t *, const char *, long, long, size_t, unsigned, store_job_t *, size_t *,
    char *, size_t);
int pgs_lease_renew(store_t *, const char *, long, char *, size_t);
int pgs_job_progress(store_t *, long, const char *, int, char *, size_t);
int pgs_attempt_begin(store_t *, long, const char *, const store_attempt_t *, char *,
    size_t);
int pgs_attempt_end(store_t *, long, const char *, const store_attempt_t *,
    const store_job_update_t *, char *, size_t);
int pgs_next_due(store_t *, long, long *, char *, size_t);
int pgs_get_docs(store_t *, long, store_doc_data_t **, size_t *, char *, size_t);
int pgs_get_render(store_t *, long, unsigned char **, size_t *, unsigned *, char *, size_t);
int pgs_put_render(store_t *, long, const void *, size_t, unsigned, const char *, char *,
    size_t);
int pgs_dest_get(store_t *, const char *, int *, char *, size_t, char *, size_t);
int pgs_dest_set(store_t *, const char *, int, const char *, long, char *, size_t);
int pgs_dest_get_t38(store_t *, const char *, int *, char *, size_t);
int pgs_dest_set_t38(store_t *, const char *, int, long, char *, size_t);
int pgs_notice_due(store_t *, long, int, long *, size_t, size_t *, char *, size_t);
int pgs_notice_load(store_t *, long, long, int, store_message_t *, store_notice_job_t **,
    size_t *, char *, size_t);
int pgs_notice_sent(store_t *, long, const long *, size_t, const char *, const char *,
    const char *, long, char *, size_t);
int pgs_notice_retry(store_t *, const long *, size_t, long, char *, size_t);
int pgs_mdn_due(store_t *, long, long *, size_t, size_t *, char *, size_t);
int pgs_mdn_load(store_t *, long, store_message_t *, store_notice_job_t *, char *, size_t);

/* store_pg_ctl.c: the operators' calls (faxgatectl) and the dialer's /metrics. */
int pgs_ctl_list(store_t *, const store_job_filter_t *, store_job_info_t **, size_t *,
    char *, size_t);
int pgs_ctl_detail(store_t *, long, store_job_detail_t *, char *, size_t);
int pgs_ctl_stats(store_t *, long, store_stats_t *, char *, size_t);
int pgs_ctl_metrics(store_t *, long, store_metrics_t *, char *, size_t);
int pgs_ctl_change(store_t *, long, int, long, char *, size_t, char *, size_t);

/* store_pg_inbound.c: received faxes (the SIP channel, faxgatectl, faxgate-onramp). */
int pgs_inbound_add(store_t *, const store_inbound_t *, long *, char *, size_t);
int pgs_inbound_list(store_t *, size_t, const char *, store_inbound_row_t **, size_t *,
    char *, size_t);
int pgs_inbound_get(store_t *, long, store_inbound_row_t *, int, char *, size_t);
int pgs_inbound_bounce(store_t *, long, long, const store_bounce_t *, size_t, long, char *,
    size_t);
int pgs_inbound_due(store_t *, long, long *, size_t, size_t *, char *, size_t);
int pgs_inbound_next_due(store_t *, long, long *, char *, size_t);
int pgs_inbound_claim(store_t *, long, long, long, char *, size_t);
int pgs_inbound_decide(store_t *, long, const char *, const char *, char *, size_t);
int pgs_inbound_mark(store_t *, long, const char *, const char *, long, int, long, char *,
    size_t);
int pgs_inbound_requeue(store_t *, long, long, char *, size_t, char *, size_t);

/* store_pg_onramp.c: the onramp's tables (faxgate-onramp, the dialer at call
 * time, faxgatectl). */
int pgs_did_add(store_t *b, const store_did_t *d, char *err, size_t errlen);
int pgs_did_remove(store_t *b, const char *k, char *err, size_t errlen);
int pgs_did_list(store_t *b, store_did_t **rows, size_t *n, char *err, size_t errlen);
int pgs_did_get(store_t *b, const char *k, store_did_t *d, char *err, size_t errlen);
int pgs_index_add(store_t *b, const store_index_t *x, char *err, size_t errlen);
int pgs_index_remove(store_t *b, const char *k, char *err, size_t errlen);
int pgs_index_list(store_t *b, store_index_t **rows, size_t *n, char *err, size_t errlen);
int pgs_index_get(store_t *b, const char *k, store_index_t *x, char *err, size_t errlen);
int pgs_route_add(store_t *b, const store_route_t *x, char *err, size_t errlen);
int pgs_route_remove(store_t *b, const char *k, char *err, size_t errlen);
int pgs_route_list(store_t *b, store_route_t **rows, size_t *n, char *err, size_t errlen);
int pgs_route_lookup(store_t *b, const char *k, store_route_t *x, char *err, size_t errlen);
int pgs_caller_add(store_t *b, const store_caller_t *x, char *err, size_t errlen);
int pgs_caller_remove(store_t *b, const store_caller_t *x, char *err, size_t errlen);
int pgs_caller_list(store_t *b, store_caller_t **rows, size_t *n, char *err, size_t errlen);
int pgs_caller_find(store_t *b, const char *did, const char *kind, store_caller_t **rows,
    size_t *n, char *err, size_t errlen);
int pgs_user_add(store_t *b, const char *name, const store_secret_t *sec, long now,
    char *err, size_t errlen);
int pgs_user_remove(store_t *b, const char *k, char *err, size_t errlen);
int pgs_user_list(store_t *b, store_user_t **rows, size_t *n, char *err, size_t errlen);
int pgs_user_get(store_t *b, const char *k, store_secret_t *sec, char *err, size_t errlen);
int pgs_auth_failure_add(store_t *b, const char *caller, long now, char *err,
    size_t errlen);
int pgs_auth_failure_count(store_t *b, const char *caller, long since, long *count,
    char *err, size_t errlen);
#define PGS_ONRAMP_OPS \
	.did_add = pgs_did_add, \
	.did_remove = pgs_did_remove, \
	.did_list = pgs_did_list, \
	.did_get = pgs_did_get, \
	.index_add = pgs_index_add, \
	.index_remove = pgs_index_remove, \
	.index_list = pgs_index_list, \
	.index_get = pgs_index_get, \
	.route_add = pgs_route_add, \
	.route_remove = pgs_route_remove, \
	.route_list = pgs_route_list, \
	.route_lookup = pgs_route_lookup, \
	.caller_add = pgs_caller_add, \
	.caller_remove = pgs_caller_remove, \
	.caller_list = pgs_caller_list, \
	.caller_find = pgs_caller_find, \
	.user_add = pgs_user_add, \
	.user_remove = pgs_user_remove, \
	.user_list = pgs_user_list, \
	.user_get = pgs_user_get, \
	.auth_failure_add = pgs_auth_failure_add, \
	.auth_failure_count = pgs_auth_failure_count,

#endif
