/*
 * stats.c - faxgatectl stats: jobs by state, attempts by outcome, pages and
 * notices over the last 24 hours and overall, the oldest queued job.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* count_of - the jobs in a state, 0 if the store has none */
static long count_of(const store_stats_t *s, const char *state)
{
	for (size_t i = 0; i < s->nstates; i++)
		if (strcmp(s->states[i].state, state) == 0)
			return s->states[i].jobs;
	return 0;
}

/* human - two tables and the oldest queued job */
static void human(ctl_t *c, const store_stats_t *s)
{
	static const char *const head1[] = { "STATE", "JOBS", NULL };
	static const char *const head2[] = { "", "LAST 24 H", "OVERALL", NULL };
	ctl_table_t *t = ctl_table_new(head1, "lr");
	char n[32], a[32], b[32], when[32];
	long total = 0;

	/* Every state, even empty ones, in a job's life order; then any the
	 * store has that this program does not know (a newer schema). */
	for (int i = 0; ctl_states[i]; i++) {
		snprintf(n, sizeof(n), "%ld", count_of(s, ctl_states[i]));
		ctl_table_add(t, ctl_states[i], n);
	}
	for (size_t i = 0; i < s->nstates; i++) {
		total += s->states[i].jobs;
		if (!ctl_known_state(s->states[i].state)) {
			snprintf(n, sizeof(n), "%ld", s->states[i].jobs);
			ctl_table_add(t, s->states[i].state, n);
		}
	}
	snprintf(n, sizeof(n), "%ld", total);
	ctl_table_add(t, "total", n);
	ctl_table_print(t, c->out, NULL);
	ctl_table_free(t);

	t = ctl_table_new(head2, "lrr");
#define ROW(label, field) do { \
		snprintf(a, sizeof(a), "%ld", s->day.field); \
		snprintf(b, sizeof(b), "%ld", s->all.field); \
		ctl_table_add(t, label, a, b); \
	} while (0)
	ROW("attempts ok", attempts_ok);
	ROW("attempts retry", attempts_retry);
	ROW("attempts final", attempts_final);
	ROW("attempts open", attempts_open);
	ROW("pages sent", pages_sent);
	ROW("notices sent", notices);
#undef ROW
	fputc('\n', c->out);
	ctl_table_print(t, c->out, NULL);
	ctl_table_free(t);

	fputc('\n', c->out);
	if (s->oldest_queued) {
		ctl_fmt_age(a, sizeof(a), c->now - s->oldest_queued_at);
		ctl_fmt_time(when, sizeof(when), s->oldest_queued_at);
		fprintf(c->out, "oldest queued job: %s (job %ld, created %s)\n", a,
		    s->oldest_queued, when);
	} else
		fputs("oldest queued job: none\n", c->out);
}

/* period - one period's counts as a JSON object */
static void period(ctl_json_t *j, const char *key, const store_period_t *p)
{
	ctl_json_begin(j, key, 0);
	ctl_json_int(j, "ok", p->attempts_ok);
	ctl_json_int(j, "retry", p->attempts_retry);
	ctl_json_int(j, "final", p->attempts_final);
	ctl_json_int(j, "open", p->attempts_open);
	ctl_json_end(j);
}

/* json - the same as one object */
static void json(ctl_t *c, ctl_json_t *j, const store_stats_t *s)
{
	long total = 0;

	ctl_json_begin(j, NULL, 0);
	ctl_json_int(j, "now", c->now);
	ctl_json_begin(j, "jobs", 0);
	for (int i = 0; ctl_states[i]; i++)
		ctl_json_int(j, ctl_states[i], count_of(s, ctl_states[i]));
	for (size_t i = 0; i < s->nstates; i++) {
		total += s->states[i].jobs;
		if (!ctl_known_state(s->states[i].state))
			ctl_json_int(j, s->states[i].state, s->states[i].jobs);
	}
	ctl_json_int(j, "total", total);
	ctl_json_end(j);
	ctl_json_begin(j, "attempts", 0);
	period(j, "last_24h", &s->day);
	period(j, "overall", &s->all);
	ctl_json_end(j);
	ctl_json_begin(j, "pages_sent", 0);
	ctl_json_int(j, "last_24h", s->day.pages_sent);
	ctl_json_int(j, "overall", s->all.pages_sent);
	ctl_json_end(j);
	ctl_json_begin(j, "notices_sent", 0);
	ctl_json_int(j, "last_24h", s->day.notices);
	ctl_json_int(j, "overall", s->all.notices);
	ctl_json_end(j);
	if (s->oldest_queued) {
		ctl_json_begin(j, "oldest_queued", 0);
		ctl_json_int(j, "job", s->oldest_queued);
		ctl_json_time(j, "created_at", s->oldest_queued_at);
		ctl_json_int(j, "age", c->now - s->oldest_queued_at);
		ctl_json_end(j);
	} else
		ctl_json_null(j, "oldest_queued");
	ctl_json_end(j);
}

/* ctl_stats - faxgatectl stats; an exit status */
int ctl_stats(ctl_t *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	store_stats_t s;
	char err[1024];
	int opt, rc;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c->json = 1;
			break;
		case 'h':
			ctl_usage(c->out);
			return 0;
		default:
			return ctl_bad_option(c, "stats", opt, argv);
		}
	}
	if (optind < argc)
		return ctl_usage_error(c, "stats: unexpected argument '%s'", argv[optind]);
	if ((rc = ctl_open(c)) != 0)
		return rc;
	if (store_stats(c->st, c->now, &s, err, sizeof(err)) < 0)
		return ctl_store_error(c, err);
	if (c->json) {
		ctl_json_t *j = ctl_json_new(c->out);
		if (!j)
			return ctl_store_error(c, "out of memory");
		json(c, j, &s);
		ctl_json_free(j);
	} else
		human(c, &s);
	return 0;
}
