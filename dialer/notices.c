/*
 * notices.c - DSN injection through sendmail(8); see notices.h.
 *
 * The child is started with uv_spawn, so a slow or hung MTA never blocks
 * the dialer's loop; a timer kills an injection that takes longer than
 * INJECT_TIMEOUT. Its stdin is an anonymous file (memfd) that already
 * holds the whole notice, not a pipe: a dialer killed while writing to a
 * pipe would leave sendmail -t an early end of file, and it would send
 * the truncated notice.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notice.h"
#include "notices.h"

#define INJECT_TIMEOUT_MS 60000
#define BATCH 64

struct notices {
	uv_loop_t *loop;
	store_t *st;
	const config_t *cf;
	/* the injection in flight */
	int busy;
	int tries;		/* failed injections of this notice before */
	uv_process_t proc;
	uv_timer_t timer;
	char *text;
	long message;
	long *jobs;
	size_t njobs;
	char kind[4];		/* "dsn" or "mdn" */
	char action[12];
	char msgid[300];
	int exit_seen, proc_closed, timer_closed;
	int64_t exit_status;
	int closing;
};

static void next(notices_t *n);

/* group_action - the one action a group of notice jobs reports, or "mixed" */
static const char *group_action(const store_notice_job_t *j, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(j[i].notice_due, j[0].notice_due) != 0)
			return "mixed";
	return n ? j[0].notice_due : "";
}

/* until_of - the latest time the job may still be retried (Will-Retry-Until) */
static long until_of(const notices_t *n, const store_notice_job_t *j)
{
	long first = j->job.first_attempt_at ? j->job.first_attempt_at : j->job.created_at;
	long worst = (long)n->cf->retry_no_answer;
	if ((long)n->cf->retry_busy > worst)
		worst = (long)n->cf->retry_busy;
	return first + worst * (long)n->cf->max_attempts;
}

/* build - the DSN text for the jobs in j (all of one message) */
static int build(notices_t *n, const store_message_t *m, const store_notice_job_t *j,
    size_t nj, char **out, size_t *outlen, char *err, size_t errlen)
{
	notice_rcpt_t *r = calloc(nj, sizeof(*r));
	int rc, attempts = 0;
	char id[300];

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < nj; i++) {
		const store_job_t *job = &j[i].job;
		r[i].recipient = job->recipient;
		r[i].orcpt = job->orcpt[0] ? job->orcpt : NULL;
		r[i].notify = job->notify[0] ? job->notify : NULL;
		r[i].action = j[i].notice_due;
		r[i].status = job->status[0] ? job->status :
		    strcmp(j[i].notice_due, "delivered") == 0 ? "2.0.0" : "4.0.0";
		r[i].diagnostic = job->diagnostic[0] ? job->diagnostic : NULL;
		r[i].number = job->dial;
		/* Without a call (a document that cannot be rendered) the
		 * Diagnostic-Code holds the reason; so it does for a job an
		 * operator cancelled, whatever its last call said. */
		r[i].cause = j[i].last_error[0] && strcmp(job->state, "cancelled") != 0 ?
		    j[i].last_error : job->diagnostic[0] ? job->diagnostic : NULL;
		r[i].start_time = job->first_attempt_at;
		r[i].last_attempt_time = j[i].last_attempt_at;
		r[i].will_retry_until = strcmp(j[i].notice_due, "delayed") == 0 ? until_of(n, &j[i]) : 0;
		r[i].pages_total = job->pages_total;
		r[i].pages_sent = job->pages_confirmed;
		r[i].attempts = job->attempts;
		attempts += job->attempts;
	}
	/* A stable Message-ID: if the dialer dies after sendmail took the
	 * notice but before the store recorded it, the next dialer sends it
	 * again (at least once, RFC 5321 6.1), and the copy is the same
	 * message. Distinct notices differ in jobs, action or attempts. */
	snprintf(id, sizeof(id), "faxgate.dsn.%ld.%ld.%zu.%s.%d@%s", m->id, j[0].job.id, nj,
	    j[0].notice_due, attempts, n->cf->hostname);
	notice_msg_t nm = {
		.reporting_mta = n->cf->hostname,
		.from_addr = n->cf->notice_from,
		.return_path = m->sender,
		.envid = m->envid,
		.ret = m->ret,
		.arrival_date = m->received_at,
		.orig_message_id = m->message_id,
		.orig_subject = m->subject,
		.orig = m->raw,
		.origlen = m->rawlen,
		.message_id = id,
	};
	rc = notice_build_dsn(&nm, r, nj, out, outlen, err, errlen);
	free(r);
	return rc;
}

/* finish - the injection is over: record it, then take the next one */
static void finish(notices_t *n)
{
	char err[512];
	long now = (long)time(NULL);

	/* The handles are reused by the next injection: all must be closed. */
	if (!n->exit_seen || !n->proc_closed || !n->timer_closed)
		return;
	/* The dialer is stopping and its runner may have closed the store
	 * already: record nothing. The notice stays due, and the next dialer
	 * hands it over again with the same Message-ID, as after a crash. */
	if (n->closing) {
		log_msg(LOG_INFO, "notice: message=%ld, status=unrecorded, sendmail_exit=%lld, reason=\"dialer stopping\"",
		    n->message, (long long)n->exit_status);
		free(n->text);
		free(n->jobs);
		free(n);
		return;
	}
	if (n->exit_status == 0) {
		if (store_notice_sent(n->st, n->message, n->jobs, n->njobs, n->kind, n->action,
		    n->msgid, now, err, sizeof(err)) < 0)
			log_msg(LOG_ERR, "notice: message=%ld, status=store_error, reason=\"%s\"", n->message, err);
		else
			log_msg(LOG_INFO, "notice: message=%ld, kind=%s, action=%s, recipients=%zu, status=sent",
			    n->message, n->kind, n->action, n->njobs);
	} else {
		/* notice_tries counts failures; the store has the old count. */
		if (store_notice_retry(n->st, n->jobs, n->njobs, now + (long)n->cf->notice_retry,
		    err, sizeof(err)) < 0)
			log_msg(LOG_ERR, "notice: message=%ld, status=store_error, reason=\"%s\"", n->message, err);
		log_msg(LOG_WARNING, "notice: message=%ld, action=%s, status=deferred, sendmail_exit=%lld, retry_in=%us",
		    n->message, n->action, (long long)n->exit_status, n->cf->notice_retry);
		/* RFC 4161 2.5: re-queue, then tell the administrator. */
		if ((unsigned)n->tries + 1 >= n->cf->notice_alert)
			log_msg(LOG_ALERT, "notice: message=%ld, status=alert, failures=%d, reason=\"delivery report cannot be handed to %s; check the MTA\"",
			    n->message, n->tries + 1, n->cf->sendmail);
	}
	free(n->text);
	free(n->jobs);
	n->text = NULL;
	n->jobs = NULL;
	n->busy = 0;
	if (n->closing)
		free(n);
	else
		next(n);
}

static void on_timer_closed(uv_handle_t *h)
{
	notices_t *n = h->data;
	n->timer_closed = 1;
	finish(n);
}

static void on_proc_closed(uv_handle_t *h)
{
	notices_t *n = h->data;
	n->proc_closed = 1;
	finish(n);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	notices_t *n = p->data;
	n->exit_status = sig ? 128 + sig : status;
	n->exit_seen = 1;
	uv_close((uv_handle_t *)p, on_proc_closed);
	uv_timer_stop(&n->timer);
	uv_close((uv_handle_t *)&n->timer, on_timer_closed);
}

static void on_timeout(uv_timer_t *t)
{
	notices_t *n = t->data;
	log_msg(LOG_WARNING, "notice: message=%ld, status=timeout, reason=\"sendmail did not finish in %d s\"",
	    n->message, INJECT_TIMEOUT_MS / 1000);
	uv_process_kill(&n->proc, SIGKILL);
}

/* text_fd - an anonymous file holding text, read from its start; or -1 */
static int text_fd(const char *text)
{
	size_t len = strlen(text), off = 0;
	int fd = memfd_create("faxgate-notice", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* inject - start sendmail with text on its stdin; 0, or -1 if it cannot start */
static int inject(notices_t *n)
{
	char *args[8];
	int a = 0, rc, fd;
	uv_stdio_container_t io[3];
	uv_process_options_t o;

	args[a++] = n->cf->sendmail;
	if (n->cf->sendmail_config[0]) {
		args[a++] = "-C";
		args[a++] = n->cf->sendmail_config;
	}
	args[a++] = "-f";
	args[a++] = "";
	args[a++] = "-t";
	args[a++] = "-oi";
	args[a] = NULL;
	memset(&o, 0, sizeof(o));
	n->exit_seen = n->proc_closed = n->timer_closed = 0;
	if ((fd = text_fd(n->text)) < 0) {
		log_msg(LOG_ERR, "notice: message=%ld, status=deferred, reason=\"cannot stage the notice: %s\"",
		    n->message, strerror(errno));
		/* Retried like a failed sendmail; finish() runs from the loop. */
		n->exit_status = 75;
		n->exit_seen = n->proc_closed = 1;
		uv_timer_init(n->loop, &n->timer);
		n->timer.data = n;
		uv_close((uv_handle_t *)&n->timer, on_timer_closed);
		return 0;
	}
	io[0].flags = UV_INHERIT_FD;
	io[0].data.fd = fd;
	io[1].flags = UV_IGNORE;
	io[2].flags = UV_INHERIT_FD;
	io[2].data.fd = 2;
	o.file = n->cf->sendmail;
	o.args = args;
	o.stdio = io;
	o.stdio_count = 3;
	o.exit_cb = on_exit_cb;
	n->proc.data = n;
	rc = uv_spawn(n->loop, &n->proc, &o);
	close(fd);		/* the child has its own copy */
	if (rc != 0) {
		log_msg(LOG_ERR, "notice: message=%ld, status=deferred, reason=\"cannot run %s: %s\"",
		    n->message, n->cf->sendmail, uv_strerror(rc));
		/* A failed uv_spawn still leaves an initialised handle. */
		n->exit_status = 127;
		n->exit_seen = 1;
		n->timer_closed = 1;
		uv_close((uv_handle_t *)&n->proc, on_proc_closed);
		return 0;
	}
	uv_timer_init(n->loop, &n->timer);
	n->timer.data = n;
	uv_timer_start(&n->timer, on_timeout, INJECT_TIMEOUT_MS, 0);
	return 0;
}

/* msgid_of - the Message-ID header of a built notice, for the record */
static void msgid_of(const char *text, char *out, size_t len)
{
	const char *p = strcasestr(text, "\nMessage-ID:");
	out[0] = '\0';
	if (p) {
		p += 12;
		while (*p == ' ')
			p++;
		size_t k = strcspn(p, "\r\n");
		snprintf(out, len, "%.*s", (int)(k < len ? k : len - 1), p);
	}
}

/* take - pick the notice to send for message m; 1 started, 0 nothing, -1 error */
static int take(notices_t *n, long message)
{
	store_message_t m;
	store_notice_job_t *j = NULL;
	size_t nj = 0, pick = 0;
	char err[512];
	size_t len;
	long now = (long)time(NULL);

	if (store_notice_load(n->st, message, now, n->cf->gathered, &m, &j, &nj, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "notice: message=%ld, status=store_error, reason=\"%s\"", message, err);
		return -1;
	}
	if (nj == 0) {
		store_message_free(&m);
		free(j);
		return 0;
	}
	/* Group: in gathered mode every final report of the message at once;
	 * "delayed" reports, and everything in per-recipient mode, one by one. */
	if (n->cf->gathered && strcmp(j[0].notice_due, "delayed") != 0) {
		store_notice_job_t *k = j;
		for (size_t i = 0; i < nj; i++)
			if (strcmp(j[i].notice_due, "delayed") != 0)
				k[pick++] = j[i];
	} else
		pick = 1;
	n->message = message;
	n->njobs = pick;
	strcpy(n->kind, "dsn");
	n->tries = 0;
	for (size_t i = 0; i < pick; i++)
		if (j[i].notice_tries > n->tries)
			n->tries = j[i].notice_tries;
	n->jobs = calloc(pick, sizeof(long));
	for (size_t i = 0; n->jobs && i < pick; i++)
		n->jobs[i] = j[i].job.id;
	snprintf(n->action, sizeof(n->action), "%s", group_action(j, pick));
	if (!n->jobs) {
		store_message_free(&m);
		free(j);
		return -1;
	}
	if (!m.sender || !*m.sender) {
		/* Never report to the null reverse-path; clear what was owed. */
		store_notice_sent(n->st, message, n->jobs, n->njobs, "dsn", "none-null-sender", NULL, now, err, sizeof(err));
		log_msg(LOG_INFO, "notice: message=%ld, status=skipped, reason=\"null sender\"", message);
		free(n->jobs);
		n->jobs = NULL;
		store_message_free(&m);
		free(j);
		return 0;
	}
	if (build(n, &m, j, pick, &n->text, &len, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "notice: message=%ld, status=build_error, reason=\"%s\"", message, err);
		store_notice_retry(n->st, n->jobs, n->njobs, now + (long)n->cf->notice_retry, err, sizeof(err));
		free(n->jobs);
		n->jobs = NULL;
		store_message_free(&m);
		free(j);
		return -1;
	}
	msgid_of(n->text, n->msgid, sizeof(n->msgid));
	store_message_free(&m);
	free(j);
	n->busy = 1;
	inject(n);
	return 1;
}

/*
 * take_mdn - the MDN a failed job owes (RFC 8098, processed/error); 1
 * started, 0 nothing to send, -1 error. It goes only to the address that
 * asked for it, and only when that is the envelope sender (8098 2.1).
 */
static int take_mdn(notices_t *n, long job)
{
	store_message_t m;
	store_notice_job_t j;
	notice_rcpt_t r;
	char err[512], mdnid[300];
	size_t len;
	long now = (long)time(NULL);

	if (store_mdn_load(n->st, job, &m, &j, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "notice: job=%ld, kind=mdn, status=store_error, reason=\"%s\"", job, err);
		return -1;
	}
	n->message = m.id;
	n->njobs = 1;
	n->tries = j.notice_tries;
	strcpy(n->kind, "mdn");
	strcpy(n->action, "failed");
	if ((n->jobs = calloc(1, sizeof(long))) == NULL) {
		store_message_free(&m);
		return -1;
	}
	n->jobs[0] = job;
	if (!m.sender || !*m.sender || !notice_mdn_allowed(m.mdn_to, m.sender)) {
		store_notice_sent(n->st, m.id, n->jobs, 1, "mdn", "skipped", NULL, now, err, sizeof(err));
		log_msg(LOG_INFO, "notice: job=%ld, kind=mdn, status=skipped, reason=\"Disposition-Notification-To is not the envelope sender\"", job);
		free(n->jobs);
		n->jobs = NULL;
		store_message_free(&m);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.recipient = j.job.recipient;
	r.orcpt = j.job.orcpt[0] ? j.job.orcpt : NULL;
	r.action = "failed";
	r.status = j.job.status[0] ? j.job.status : "5.0.0";
	r.diagnostic = j.job.diagnostic[0] ? j.job.diagnostic : NULL;
	r.number = j.job.dial;
	r.cause = j.last_error[0] ? j.last_error : r.diagnostic;
	/* Stable, as for a DSN (see build()): one MDN per job. */
	snprintf(mdnid, sizeof(mdnid), "faxgate.mdn.%ld.%ld@%s", m.id, job, n->cf->hostname);
	notice_msg_t nm = {
		.reporting_mta = n->cf->hostname, .from_addr = n->cf->notice_from,
		.return_path = m.sender, .orig_message_id = m.message_id,
		.orig_subject = m.subject, .orig = m.raw, .origlen = m.rawlen,
		.arrival_date = m.received_at, .message_id = mdnid,
	};
	if (notice_build_mdn(&nm, &r, &n->text, &len, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "notice: job=%ld, kind=mdn, status=build_error, reason=\"%s\"", job, err);
		store_notice_retry(n->st, n->jobs, 1, now + (long)n->cf->notice_retry, err, sizeof(err));
		free(n->jobs);
		n->jobs = NULL;
		store_message_free(&m);
		return -1;
	}
	msgid_of(n->text, n->msgid, sizeof(n->msgid));
	store_message_free(&m);
	n->busy = 1;
	inject(n);
	return 1;
}

/* next - start the next injection, if anything is due: DSNs, then MDNs */
static void next(notices_t *n)
{
	long ids[BATCH];
	size_t k = 0;
	char err[512];
	long now = (long)time(NULL);

	if (store_notice_due(n->st, now, n->cf->gathered, ids, BATCH, &k, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "notice: status=store_error, reason=\"%s\"", err);
		return;
	}
	for (size_t i = 0; i < k; i++)
		if (take(n, ids[i]) == 1)
			return;
	if (store_mdn_due(n->st, now, ids, BATCH, &k, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "notice: status=store_error, reason=\"%s\"", err);
		return;
	}
	for (size_t i = 0; i < k; i++)
		if (take_mdn(n, ids[i]) == 1)
			return;
}

/* notices_new - a notice sender on loop */
notices_t *notices_new(uv_loop_t *loop, store_t *st, const config_t *cf)
{
	notices_t *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->loop = loop;
	n->st = st;
	n->cf = cf;
	notice_init();
	return n;
}

/* notices_kick - send what is due (now, or when the injection in flight ends) */
void notices_kick(notices_t *n)
{
	/* A busy sender looks at the store again when its injection ends. */
	if (!n->busy)
		next(n);
}

/* notices_set_config - use a reloaded configuration from now on */
void notices_set_config(notices_t *n, const config_t *cf)
{
	n->cf = cf;
}

/* notices_busy - is an injection in flight? */
int notices_busy(const notices_t *n)
{
	return n->busy;
}

/* notices_close - stop taking new work; an injection in flight finishes */
void notices_close(notices_t *n)
{
	n->closing = 1;
	if (!n->busy)
		free(n);
}
