/*
 * change.c - faxgatectl retry, cancel, hold and release: one job moved from
 * one state to another, checked and written by the store in one
 * transaction so it cannot race a dialer; see ctl.h and store.h.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "notice.h"
#include "wake.h"

/* allowed - the states a change applies to, as "a, b, c" */
static void allowed(char *buf, size_t len, store_change_t change)
{
	const char *const *s = store_change_states(change);
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; s && s[i] && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", s[i]);
}

/* refused - the job was not in a state the change applies to; CTL_EFAIL */
static int refused(ctl_t *c, store_change_t change, long job, const char *state)
{
	char only[128];
	int busy = strcmp(state, "rendering") == 0 || strcmp(state, "sending") == 0;

	allowed(only, sizeof(only), change);
	fprintf(c->err, "faxgatectl: job %ld: cannot %s a job in state %s%s (only %s)\n", job,
	    store_change_name(change), state,
	    busy ? ": a dialer is working on it" : "", only);
	return CTL_EFAIL;
}

/* no_such_job - say so, returns CTL_EFAIL */
static int no_such_job(ctl_t *c, long job)
{
	fprintf(c->err, "faxgatectl: job %ld: no such job\n", job);
	return CTL_EFAIL;
}

/* more_attempts - how many calls a retried job gets before it fails again */
static int more_attempts(const ctl_t *c, int attempts)
{
	int max = (int)c->cf->max_attempts;

	/* The dialer retries while attempt < max_attempts; a job already at
	 * the limit still gets the one attempt an operator asked for. */
	return attempts >= max ? 1 : max - attempts;
}

/* quiet_arg - take cancel's --quiet (-q) out of argv; 1 if it was there */
static int quiet_arg(int *argc, char **argv)
{
	int quiet = 0, k = 1;

	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0)
			quiet = 1;
		else
			argv[k++] = argv[i];
	}
	argv[k] = NULL;
	*argc = k;
	return quiet;
}

/* ctl_change - faxgatectl retry|cancel|hold|release JOB; an exit status */
int ctl_change(ctl_t *c, store_change_t change, int argc, char **argv)
{
	store_job_detail_t d;
	const char *to = store_change_target(change);
	char err[1024], from[16], note[64] = "";
	long job;
	int rc, more = 0, quiet = change == STORE_CANCEL && quiet_arg(&argc, argv);

	if ((rc = ctl_job_arg(c, argc, argv, &job)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = ctl_open(c)) != 0)
		return rc;
	/* The attempts so far, only for the note on a retry: the change
	 * itself is checked by the store, under its lock. */
	if ((rc = store_job_detail(c->st, job, &d, err, sizeof(err))) < 0)
		return ctl_store_error(c, err);
	if (rc == 0)
		return no_such_job(c, job);
	more = more_attempts(c, d.info.job.attempts);
	/* A cancelled fax is a failed one to its sender, who is told as
	 * NOTIFY asks (RFC 3461: absent means FAILURE) unless the operator
	 * says --quiet (e.g. for a flood nobody should hear back about). */
	if (change == STORE_CANCEL && (quiet ||
	    !notice_wanted(d.info.job.notify[0] ? d.info.job.notify : NULL, "failed")))
		change = STORE_CANCEL_QUIET;
	store_job_detail_free(&d);
	if ((rc = store_job_change(c->st, job, change, c->now, from, sizeof(from),
	    err, sizeof(err))) < 0)
		return ctl_store_error(c, err);
	if (rc == 0)
		return from[0] ? refused(c, change, job, from) : no_such_job(c, job);
	if (change == STORE_CANCEL)
		snprintf(note, sizeof(note), " (the sender gets a failure report)");
	else if (change == STORE_RETRY && more == 1)
		snprintf(note, sizeof(note), " (one more attempt)");
	else if (change == STORE_RETRY && strcmp(from, "failed") == 0)
		snprintf(note, sizeof(note), " (up to %d more attempts)", more);
	if (c->json) {
		ctl_json_t *j = ctl_json_new(c->out);
		if (!j)
			return ctl_store_error(c, "out of memory");
		ctl_json_begin(j, NULL, 0);
		ctl_json_int(j, "job", job);
		ctl_json_str(j, "from", from);
		ctl_json_str(j, "to", to);
		if (strcmp(to, "queued") == 0)
			ctl_json_int(j, "next_attempt_at", c->now);
		if (change == STORE_RETRY)
			ctl_json_int(j, "more_attempts", more);
		if (change == STORE_CANCEL || change == STORE_CANCEL_QUIET)
			ctl_json_bool(j, "report", change == STORE_CANCEL);
		ctl_json_end(j);
		ctl_json_free(j);
	} else
		fprintf(c->out, "job %ld: %s -> %s%s\n", job, from, to, note);
	/* Due now, or a report owed: tell the dialer rather than wait for
	 * its next poll. */
	if (strcmp(to, "queued") == 0 || change == STORE_CANCEL)
		wake_send(c->cf->dialer_socket);
	return 0;
}
