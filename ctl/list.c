/*
 * list.c - faxgatectl list: jobs, newest first, filtered; see ctl.h.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define DEFAULT_LIMIT 50
#define MAX_STATES 16

typedef struct list_args {
	const char *states[MAX_STATES + 1];
	char statebuf[256];
	size_t nstates, used;
	char sender[320], number[20];
	int have_sender, have_number;
	long since, until;
	long limit;
} list_args_t;

/* add_states - append the comma-separated states in arg; 0 or an exit status */
static int add_states(ctl_t *c, list_args_t *a, const char *arg)
{
	const char *p = arg;

	while (*p) {
		size_t n = strcspn(p, ", ");
		if (n > 0) {
			char *dst = a->statebuf + a->used;
			if (a->nstates == MAX_STATES || a->used + n + 1 > sizeof(a->statebuf))
				return ctl_usage_error(c, "--state: too many states");
			memcpy(dst, p, n);
			dst[n] = '\0';
			if (!ctl_known_state(dst))
				return ctl_usage_error(c, "--state: unknown state '%s'", dst);
			a->states[a->nstates++] = dst;
			a->used += n + 1;
		}
		p += n;
		p += *p != '\0';
	}
	if (a->nstates == 0)
		return ctl_usage_error(c, "--state: no state given");
	return 0;
}

/* set_number - a +E.164 number, the usual separators dropped; 0 or -1 */
static int set_number(list_args_t *a, const char *arg)
{
	size_t o = 0;

	if (*arg != '+')
		return -1;
	a->number[o++] = '+';
	for (const char *p = arg + 1; *p; p++) {
		if (strchr(" -.()", *p))
			continue;
		if (!isdigit((unsigned char)*p) || o > 15)
			return -1;
		a->number[o++] = *p;
	}
	a->number[o] = '\0';
	return o > 1 ? 0 : -1;
}

/* parse - the list options into *a; 0, or -1 after --help, or an exit status */
static int parse(ctl_t *c, list_args_t *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "sender", required_argument, NULL, 'f' },
		{ "number", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int opt, rc;

	memset(a, 0, sizeof(*a));
	a->limit = DEFAULT_LIMIT;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if ((rc = add_states(c, a, optarg)) != 0)
				return rc;
			break;
		case 'f': {
			/* "<x@y>" as in a log line, "<>" for the null sender. */
			size_t n = strlen(optarg);
			if (n >= 2 && optarg[0] == '<' && optarg[n - 1] == '>')
				snprintf(a->sender, sizeof(a->sender), "%.*s", (int)(n - 2), optarg + 1);
			else
				snprintf(a->sender, sizeof(a->sender), "%s", optarg);
			a->have_sender = 1;
			break;
		}
		case 'n':
			if (set_number(a, optarg) < 0)
				return ctl_usage_error(c, "--number: '%s' is not a +E.164 number", optarg);
			a->have_number = 1;
			break;
		case 'S':
		case 'U':
			if (ctl_parse_time(optarg, c->now, opt == 'U', opt == 'S' ? &a->since : &a->until) < 0)
				return ctl_usage_error(c, "--%s: bad time '%s'", opt == 'S' ? "since" : "until",
				    optarg);
			break;
		case 'l':
			errno = 0;
			a->limit = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || a->limit < 0)
				return ctl_usage_error(c, "--limit: '%s' is not a number of jobs", optarg);
			break;
		case 'j':
			c->json = 1;
			break;
		case 'h':
			ctl_usage(c->out);
			return -1;
		default:
			return ctl_bad_option(c, "list", opt, argv);
		}
	}
	if (optind < argc)
		return ctl_usage_error(c, "list: unexpected argument '%s'", argv[optind]);
	if (a->since && a->until && a->since >= a->until)
		return ctl_usage_error(c, "list: --since is not before --until");
	return 0;
}

/* ctl_json_job - a job's own fields as a JSON object */
void ctl_json_job(ctl_json_t *j, const char *key, const store_job_info_t *i)
{
	const store_job_t *job = &i->job;

	ctl_json_begin(j, key, 0);
	ctl_json_int(j, "id", job->id);
	ctl_json_str(j, "state", job->state);
	ctl_json_int(j, "message", job->message);
	ctl_json_str(j, "sender", i->sender);
	ctl_json_str(j, "recipient", job->recipient);
	ctl_json_str(j, "number", job->number);
	ctl_json_str(j, "subaddress", job->subaddress);
	ctl_json_str(j, "qualifiers", job->qualifiers);
	ctl_json_str(j, "dial", job->dial);
	ctl_json_str(j, "domain", job->domain);
	ctl_json_str(j, "notify", job->notify[0] ? job->notify : NULL);
	ctl_json_str(j, "orcpt", job->orcpt[0] ? job->orcpt : NULL);
	ctl_json_int(j, "attempts", job->attempts);
	ctl_json_int(j, "pages_confirmed", job->pages_confirmed);
	if (job->pages_total > 0)
		ctl_json_int(j, "pages_total", job->pages_total);
	else
		ctl_json_null(j, "pages_total");
	ctl_json_str(j, "status", job->status[0] ? job->status : NULL);
	ctl_json_str(j, "diagnostic", job->diagnostic[0] ? job->diagnostic : NULL);
	ctl_json_time(j, "created_at", job->created_at);
	ctl_json_time(j, "updated_at", i->updated_at);
	ctl_json_time(j, "first_attempt_at", job->first_attempt_at);
	ctl_json_time(j, "last_attempt_at", i->last_attempt_at);
	ctl_json_time(j, "next_attempt_at", job->next_attempt_at);
	ctl_json_str(j, "lease_owner", i->lease_owner[0] ? i->lease_owner : NULL);
	ctl_json_time(j, "lease_until", i->lease_until);
	ctl_json_str(j, "notice_due", i->notice_due[0] ? i->notice_due : NULL);
	ctl_json_int(j, "notice_tries", i->notice_tries);
	ctl_json_time(j, "notice_next_at", i->notice_next_at);
	ctl_json_time(j, "notice_sent_at", i->notice_sent_at);
	ctl_json_int(j, "delay_notified", i->delay_notified);
	ctl_json_end(j);
}

/* ctl_job_next - when a job will next be tried, for people */
void ctl_job_next(char *buf, size_t len, const store_job_info_t *i, long now)
{
	const char *st = i->job.state;

	if (strcmp(st, "queued") && strcmp(st, "ready") && strcmp(st, "retry_wait"))
		snprintf(buf, len, "-");
	else if (i->job.next_attempt_at <= now)
		snprintf(buf, len, "now");
	else
		ctl_fmt_due(buf, len, i->job.next_attempt_at, now);
}

/* human - the jobs as a table */
static void human(ctl_t *c, const store_job_info_t *jobs, size_t n)
{
	static const char *const head[] = { "ID", "STATE", "NUMBER", "SENDER", "TRIES", "PAGES",
		"STATUS", "NEXT", "CREATED", NULL };
	ctl_table_t *t = ctl_table_new(head, "rlllrrlll");

	for (size_t k = 0; k < n; k++) {
		const store_job_t *j = &jobs[k].job;
		char id[24], number[48], tries[16], pages[32], next[32], created[32];
		snprintf(id, sizeof(id), "%ld", j->id);
		snprintf(number, sizeof(number), "%s%s%s", j->number, j->subaddress[0] ? "/" : "",
		    j->subaddress);
		snprintf(tries, sizeof(tries), "%d", j->attempts);
		if (j->pages_total > 0)
			snprintf(pages, sizeof(pages), "%d/%d", j->pages_confirmed, j->pages_total);
		else
			snprintf(pages, sizeof(pages), "%d/?", j->pages_confirmed);
		ctl_job_next(next, sizeof(next), &jobs[k], c->now);
		ctl_fmt_time(created, sizeof(created), j->created_at);
		ctl_table_add(t, id, j->state, number, jobs[k].sender[0] ? jobs[k].sender : "<>",
		    tries, pages, j->status[0] ? j->status : NULL, next, created);
	}
	if (n)
		ctl_table_print(t, c->out, NULL);
	else
		fputs("no jobs\n", c->out);
	ctl_table_free(t);
}

/* ctl_list - faxgatectl list [filters]; an exit status */
int ctl_list(ctl_t *c, int argc, char **argv)
{
	list_args_t a;
	store_job_filter_t f;
	store_job_info_t *jobs;
	char err[1024];
	size_t n;
	int rc, more = 0;

	if ((rc = parse(c, &a, argc, argv)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = ctl_open(c)) != 0)
		return rc;
	memset(&f, 0, sizeof(f));
	f.states = a.nstates ? a.states : NULL;
	f.sender = a.have_sender ? a.sender : NULL;
	f.number = a.have_number ? a.number : NULL;
	f.since = a.since;
	f.until = a.until;
	/* One more than asked for tells whether the list was cut short. */
	f.limit = a.limit ? (size_t)a.limit + 1 : 0;
	if (store_job_list(c->st, &f, &jobs, &n, err, sizeof(err)) < 0)
		return ctl_store_error(c, err);
	if (a.limit && n > (size_t)a.limit) {
		more = 1;
		n = (size_t)a.limit;
	}
	if (c->json) {
		ctl_json_t *j = ctl_json_new(c->out);
		if (!j) {
			free(jobs);
			return ctl_store_error(c, "out of memory");
		}
		ctl_json_begin(j, NULL, 1);
		for (size_t k = 0; k < n; k++)
			ctl_json_job(j, NULL, &jobs[k]);
		ctl_json_end(j);
		ctl_json_free(j);
	} else {
		human(c, jobs, n);
		if (more)
			fprintf(c->err, "faxgatectl: showing the newest %ld jobs; --limit 0 shows all\n",
			    a.limit);
	}
	free(jobs);
	return 0;
}
