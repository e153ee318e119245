/*
 * store_sqlite_int.h - internal to the SQLite backend (store_sqlite*.c):
 * the handle, small helpers, and the operations defined in
 * store_sqlite_jobs.c, store_sqlite_ctl.c, store_sqlite_inbound.c and
 * store_sqlite_onramp.c.
 * Nothing outside the backend includes this.
 */
#ifndef FAXGATE_STORE_SQLITE_INT_H
#define FAXGATE_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store.h"

typedef struct sqlite_store {
	store_t base;
	sqlite3 *db;
	char *path;
} sqlite_store_t;

/* The columns of store_job_t, in the order sqs_read_job reads them, from
 * "jobs j"; callers may select more columns after them. */
#define SQS_JOB_COLS "j.id, j.message, j.recipient, j.number, j.subaddress, j.qualifiers," \
	" j.dial, j.domain, ifnull(j.notify, ''), ifnull(j.orcpt, ''), j.state, j.attempts," \
	" j.pages_confirmed, ifnull(j.pages_total, 0), j.created_at," \
	" ifnull(j.first_attempt_at, 0), j.next_attempt_at, ifnull(j.status, '')," \
	" ifnull(j.diagnostic, '')"
#define SQS_JOB_NCOLS 19

/* The columns of store_message_t that sqs_read_message reads, from
 * "messages"; callers may select more columns after them. */
#define SQS_MSG_COLS "id, sender, envid, ret, message_id, subject, queue_id, received_at"
#define SQS_MSG_NCOLS 8

int sqs_err(sqlite_store_t *s, const char *what, char *err, size_t errlen);
void sqs_read_job(sqlite3_stmt *st, store_job_t *j);
void sqs_read_message(sqlite3_stmt *st, store_message_t *m);
int sqs_exec(sqlite_store_t *s, const char *sql, char *err, size_t errlen);
void sqs_bind_text(sqlite3_stmt *st, int i, const char *v);
void sqs_copy(char *dst, size_t len, sqlite3_stmt *st, int col);
char *sqs_dup(sqlite3_stmt *st, int col);

int sqs_claim(store_t *, const char *, long, long, size_t, unsigned, store_job_t *, size_t *,
    char *, size_t);
int sqs_lease_renew(store_t *, const char *, long, char *, size_t);
int sqs_job_progress(store_t *, long, const char *, int, char *, size_t);
int sqs_attempt_begin(store_t *, long, const char *, const store_attempt_t *, char *, size_t);
int sqs_attempt_end(store_t *, long, const char *, const store_attempt_t *,
    const store_job_update_t *, char *, size_t);
int sqs_next_due(store_t *, long, long *, char *, size_t);
int sqs_get_docs(store_t *, long, store_doc_data_t **, size_t *, char *, size_t);
int sqs_get_render(store_t *, long, unsigned char **, size_t *, unsigned *, char *, size_t);
int sqs_put_render(store_t *, long, const void *, size_t, unsigned, const char *, char *, size_t);
int sqs_dest_get(store_t *, const char *, int *, char *, size_t, char *, size_t);
int sqs_dest_set(store_t *, const char *, int, const char *, long, char *, size_t);
int sqs_notice_due(store_t *, long, int, long *, size_t, size_t *, char *, size_t);
int sqs_notice_load(store_t *, long, long, int, store_message_t *, store_notice_job_t **,
    size_t *, char *, size_t);
int sqs_notice_sent(store_t *, long, const long *, size_t, const char *, const char *,
    const char *, long, char *, size_t);
int sqs_notice_retry(store_t *, const long *, size_t, long, char *, size_t);
int sqs_mdn_due(store_t *, long, long *, size_t, size_t *, char *, size_t);
int sqs_mdn_load(store_t *, long, store_message_t *, store_notice_job_t *, char *, size_t);

/* store_sqlite_ctl.c: the operators' calls (faxgatectl). */
int sqs_ctl_list(store_t *, const store_job_filter_t *, store_job_info_t **, size_t *,
    char *, size_t);
int sqs_ctl_detail(store_t *, long, store_job_detail_t *, char *, size_t);
int sqs_ctl_stats(store_t *, long, store_stats_t *, char *, size_t);
int sqs_ctl_metrics(store_t *, long, store_metrics_t *, char *, size_t);
int sqs_ctl_change(store_t *, long, int, long, char *, size_t, char *, size_t);

/* store_sqlite_inbound.c: the SIP channel (T.38 per destination, received faxes). */
int sqs_dest_get_t38(store_t *, const char *, int *, char *, size_t);
int sqs_dest_set_t38(store_t *, const char *, int, long, char *, size_t);
int sqs_inbound_add(store_t *, const store_inbound_t *, long *, char *, size_t);
int sqs_inbound_list(store_t *, size_t, const char *, store_inbound_row_t **, size_t *,
    char *, size_t);
int sqs_inbound_get(store_t *, long, store_inbound_row_t *, int, char *, size_t);
int sqs_inbound_bounce(store_t *, long, long, const store_bounce_t *, size_t, long,
    char *, size_t);

/* store_sqlite_onramp.c: the onramp's tables and the mailer's hold on faxes. */
int sqs_did_add(store_t *, const store_did_t *, char *, size_t);
int sqs_did_remove(store_t *, const char *, char *, size_t);
int sqs_did_list(store_t *, store_did_t **, size_t *, char *, size_t);
int sqs_did_get(store_t *, const char *, store_did_t *, char *, size_t);
int sqs_index_add(store_t *, const store_index_t *, char *, size_t);
int sqs_index_remove(store_t *, const char *, char *, size_t);
int sqs_index_list(store_t *, store_index_t **, size_t *, char *, size_t);
int sqs_index_get(store_t *, const char *, store_index_t *, char *, size_t);
int sqs_route_add(store_t *, const store_route_t *, char *, size_t);
int sqs_route_remove(store_t *, const char *, char *, size_t);
int sqs_route_list(store_t *, store_route_t **, size_t *, char *, size_t);
int sqs_route_lookup(store_t *, const char *, store_route_t *, char *, size_t);
int sqs_caller_add(store_t *, const store_caller_t *, char *, size_t);
int sqs_caller_remove(store_t *, const store_caller_t *, char *, size_t);
int sqs_caller_list(store_t *, store_caller_t **, size_t *, char *, size_t);
int sqs_caller_find(store_t *, const char *, const char *, store_caller_t **, size_t *,
    char *, size_t);
int sqs_user_add(store_t *, const char *, const store_secret_t *, long, char *, size_t);
int sqs_user_remove(store_t *, const char *, char *, size_t);
int sqs_user_list(store_t *, store_user_t **, size_t *, char *, size_t);
int sqs_user_get(store_t *, const char *, store_secret_t *, char *, size_t);
int sqs_auth_failure_add(store_t *, const char *, long, char *, size_t);
int sqs_auth_failure_count(store_t *, const char *, long, long *, char *, size_t);
int sqs_inbound_due(store_t *, long, long *, size_t, size_t *, char *, size_t);
int sqs_inbound_next_due(store_t *, long, long *, char *, size_t);
int sqs_inbound_claim(store_t *, long, long, long, char *, size_t);
int sqs_inbound_decide(store_t *, long, const char *, const char *, char *, size_t);
int sqs_inbound_mark(store_t *, long, const char *, const char *, long, int, long,
    char *, size_t);
int sqs_inbound_requeue(store_t *, long, long, char *, size_t, char *, size_t);

#endif
