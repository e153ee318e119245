/*
 * show.c - faxgatectl show JOB: the job, its message and documents, every
 * call with the RFC 4161 2.6 log fields, and the notices sent; see ctl.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* ctl_job_arg - the options and the one JOB of show and the state changes;
 * 0, -1 after --help, or an exit status */
int ctl_job_arg(ctl_t *c, int argc, char **argv, long *job)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c->json = 1;
			break;
		case 'h':
			ctl_usage(c->out);
			return -1;
		default:
			return ctl_bad_option(c, argv[0], opt, argv);
		}
	}
	if (optind >= argc)
		return ctl_usage_error(c, "%s: which job?", argv[0]);
	if (optind + 1 < argc)
		return ctl_usage_error(c, "%s: one job at a time ('%s')", argv[0], argv[optind + 1]);
	if (ctl_parse_job(argv[optind], job) < 0)
		return ctl_usage_error(c, "%s: '%s' is not a job id", argv[0], argv[optind]);
	return 0;
}

/* ctl_line - one "  key  value" line of the human form; value cleaned */
void ctl_line(ctl_t *c, const char *key, const char *value)
{
	char buf[1024];

	ctl_clean(buf, sizeof(buf), value && *value ? value : "-");
	fprintf(c->out, "  %-16s %s\n", key, buf);
}

/* ctl_line_time - a time line: local time and how long ago or ahead */
void ctl_line_time(ctl_t *c, const char *key, long t)
{
	char when[32], rel[48], buf[96];

	if (t <= 0) {
		ctl_line(c, key, NULL);
		return;
	}
	ctl_fmt_time(when, sizeof(when), t);
	ctl_fmt_due(rel, sizeof(rel), t, c->now);
	snprintf(buf, sizeof(buf), "%s (%s)", when, rel);
	ctl_line(c, key, buf);
}

/* human_job - the job and its message */
static void human_job(ctl_t *c, const store_job_detail_t *d)
{
	const store_job_info_t *i = &d->info;
	const store_job_t *j = &i->job;
	const store_message_t *m = &d->msg;
	char buf[512], when[32];

	fprintf(c->out, "job %ld\n", j->id);
	ctl_line(c, "state", j->state);
	ctl_line(c, "recipient", j->recipient);
	ctl_line(c, "number", j->number);
	ctl_line(c, "subaddress", j->subaddress);
	ctl_line(c, "qualifiers", j->qualifiers);
	ctl_line(c, "dial", j->dial);
	ctl_line(c, "domain", j->domain);
	ctl_line(c, "notify", j->notify);
	ctl_line(c, "orcpt", j->orcpt);
	snprintf(buf, sizeof(buf), "%d", j->attempts);
	ctl_line(c, "attempts", buf);
	if (j->pages_total > 0)
		snprintf(buf, sizeof(buf), "%d of %d confirmed", j->pages_confirmed, j->pages_total);
	else
		snprintf(buf, sizeof(buf), "%d confirmed, total not known yet", j->pages_confirmed);
	ctl_line(c, "pages", buf);
	ctl_line(c, "status", j->status);
	ctl_line(c, "diagnostic", j->diagnostic);
	ctl_line_time(c, "created", j->created_at);
	ctl_line_time(c, "updated", i->updated_at);
	ctl_line_time(c, "first attempt", j->first_attempt_at);
	ctl_line_time(c, "last attempt", i->last_attempt_at);
	ctl_job_next(buf, sizeof(buf), i, c->now);
	if (strcmp(buf, "-") != 0) {
		ctl_fmt_time(when, sizeof(when), j->next_attempt_at);
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " (%s)", when);
	}
	ctl_line(c, "next attempt", buf);
	if (i->lease_owner[0]) {
		ctl_fmt_time(when, sizeof(when), i->lease_until);
		snprintf(buf, sizeof(buf), "%s until %s%s", i->lease_owner, when,
		    i->lease_until < c->now ? " (expired)" : "");
		ctl_line(c, "lease", buf);
	} else
		ctl_line(c, "lease", NULL);
	if (i->notice_due[0]) {
		snprintf(buf, sizeof(buf), "%s", i->notice_due);
		if (i->notice_tries) {
			/* The MTA refused it before: when it is tried again. */
			ctl_fmt_time(when, sizeof(when), i->notice_next_at);
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			    " (%d failed injections, next at %s)", i->notice_tries, when);
		}
		ctl_line(c, "notice due", buf);
	} else
		ctl_line(c, "notice due", NULL);
	ctl_line_time(c, "notice sent", i->notice_sent_at);

	fprintf(c->out, "\nmessage %ld\n", m->id);
	ctl_line(c, "sender", m->sender && *m->sender ? m->sender : "<>");
	ctl_line(c, "message-id", m->message_id);
	ctl_line(c, "subject", m->subject);
	ctl_line(c, "queue id", m->queue_id);
	ctl_line_time(c, "received", m->received_at);
	ctl_fmt_size(buf, sizeof(buf), (long)m->rawlen);
	ctl_line(c, "size", buf);
	ctl_line(c, "client", d->client_addr);
	ctl_line(c, "auth user", d->auth_user);
	ctl_line(c, "envid", m->envid);
	ctl_line(c, "ret", m->ret);
}

/* human_docs - the message's documents as a table */
static void human_docs(ctl_t *c, const store_job_detail_t *d)
{
	static const char *const head[] = { "#", "KIND", "CONTENT-TYPE", "FILENAME", "PAGES", "SIZE",
		NULL };
	ctl_table_t *t;

	fputs("\ndocuments\n", c->out);
	if (d->ndocs == 0) {
		fputs("  none\n", c->out);
		return;
	}
	t = ctl_table_new(head, "rlllrr");
	for (size_t k = 0; k < d->ndocs; k++) {
		const store_doc_info_t *doc = &d->docs[k];
		char seq[16], pages[16], size[32];
		snprintf(seq, sizeof(seq), "%d", doc->seq);
		snprintf(pages, sizeof(pages), "%u", doc->pages);
		ctl_fmt_size(size, sizeof(size), doc->size);
		ctl_table_add(t, seq, doc->kind, doc->content_type, doc->filename[0] ? doc->filename : NULL,
		    doc->pages ? pages : "?", size);
	}
	ctl_table_print(t, c->out, "  ");
	ctl_table_free(t);
}

/* human_attempts - one block per call */
static void human_attempts(ctl_t *c, const store_job_detail_t *d)
{
	char buf[512];

	if (d->nattempts == 0)
		fputs("\nattempts\n  none\n", c->out);
	for (size_t k = 0; k < d->nattempts; k++) {
		const store_attempt_info_t *a = &d->attempts[k];
		fprintf(c->out, "\nattempt %d\n", a->attempt);
		ctl_line_time(c, "start", a->started_at);
		if (a->ended_at) {
			char dur[32];
			ctl_fmt_age(dur, sizeof(dur), a->ended_at - a->started_at);
			ctl_fmt_time(buf, sizeof(buf), a->ended_at);
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " (took %s)", dur);
			ctl_line(c, "end", buf);
		} else
			ctl_line(c, "end", "- (in progress, or its dialer stopped)");
		snprintf(buf, sizeof(buf), "%d (from page %d)", a->pages_sent, a->first_page);
		ctl_line(c, "pages sent", buf);
		snprintf(buf, sizeof(buf), "%ld", a->bytes);
		ctl_line(c, "bytes", buf);
		ctl_line(c, "resolution", a->resolution);
		snprintf(buf, sizeof(buf), "%d", a->bit_rate);
		ctl_line(c, "bit rate", a->bit_rate >= 0 ? buf : NULL);
		ctl_line(c, "ecm", a->ecm < 0 ? NULL : a->ecm ? "yes" : "no");
		ctl_line(c, "outcome", a->outcome);
		ctl_line(c, "status", a->status);
		ctl_line(c, "error code", a->error_code);
		ctl_line(c, "error text", a->error_text);
		ctl_line(c, "channel", a->channel);
		ctl_line(c, "call id", a->call_id);
		ctl_line_time(c, "notice", a->notice_at);
	}
}

/* human_notices - the notices sent for the message, as a table */
static void human_notices(ctl_t *c, const store_job_detail_t *d)
{
	static const char *const head[] = { "SENT", "KIND", "ACTION", "JOBS", "MESSAGE-ID", NULL };
	ctl_table_t *t;

	fputs("\nnotices\n", c->out);
	if (d->nnotices == 0) {
		fputs("  none\n", c->out);
		return;
	}
	t = ctl_table_new(head, "lllll");
	for (size_t k = 0; k < d->nnotices; k++) {
		const store_notice_info_t *n = &d->notices[k];
		char sent[32];
		ctl_fmt_time(sent, sizeof(sent), n->sent_at);
		ctl_table_add(t, sent, n->kind, n->action, n->jobs,
		    n->message_id[0] ? n->message_id : NULL);
	}
	ctl_table_print(t, c->out, "  ");
	ctl_table_free(t);
}

/* json - the same as one object */
static void json(ctl_json_t *j, const store_job_detail_t *d)
{
	const store_message_t *m = &d->msg;

	ctl_json_begin(j, NULL, 0);
	ctl_json_job(j, "job", &d->info);
	ctl_json_begin(j, "message", 0);
	ctl_json_int(j, "id", m->id);
	ctl_json_str(j, "sender", m->sender ? m->sender : "");
	ctl_json_str(j, "message_id", m->message_id);
	ctl_json_str(j, "subject", m->subject);
	ctl_json_str(j, "queue_id", m->queue_id);
	ctl_json_time(j, "received_at", m->received_at);
	ctl_json_int(j, "size", (long)m->rawlen);
	ctl_json_str(j, "client_addr", d->client_addr[0] ? d->client_addr : NULL);
	ctl_json_str(j, "auth_user", d->auth_user[0] ? d->auth_user : NULL);
	ctl_json_str(j, "envid", m->envid);
	ctl_json_str(j, "ret", m->ret);
	ctl_json_end(j);
	ctl_json_begin(j, "documents", 1);
	for (size_t k = 0; k < d->ndocs; k++) {
		const store_doc_info_t *doc = &d->docs[k];
		ctl_json_begin(j, NULL, 0);
		ctl_json_int(j, "seq", doc->seq);
		ctl_json_str(j, "kind", doc->kind);
		ctl_json_str(j, "content_type", doc->content_type);
		ctl_json_str(j, "filename", doc->filename[0] ? doc->filename : NULL);
		if (doc->pages)
			ctl_json_int(j, "pages", (long)doc->pages);
		else
			ctl_json_null(j, "pages");
		ctl_json_int(j, "size", doc->size);
		ctl_json_end(j);
	}
	ctl_json_end(j);
	ctl_json_begin(j, "attempts", 1);
	for (size_t k = 0; k < d->nattempts; k++) {
		const store_attempt_info_t *a = &d->attempts[k];
		ctl_json_begin(j, NULL, 0);
		ctl_json_int(j, "attempt", a->attempt);
		ctl_json_time(j, "started_at", a->started_at);
		ctl_json_time(j, "ended_at", a->ended_at);
		ctl_json_int(j, "first_page", a->first_page);
		ctl_json_int(j, "pages_sent", a->pages_sent);
		ctl_json_int(j, "bytes", a->bytes);
		ctl_json_str(j, "resolution", a->resolution[0] ? a->resolution : NULL);
		if (a->bit_rate >= 0)
			ctl_json_int(j, "bit_rate", a->bit_rate);
		else
			ctl_json_null(j, "bit_rate");
		if (a->ecm >= 0)
			ctl_json_int(j, "ecm", a->ecm);
		else
			ctl_json_null(j, "ecm");
		ctl_json_str(j, "outcome", a->outcome[0] ? a->outcome : NULL);
		ctl_json_str(j, "status", a->status[0] ? a->status : NULL);
		ctl_json_str(j, "error_code", a->error_code[0] ? a->error_code : NULL);
		ctl_json_str(j, "error_text", a->error_text[0] ? a->error_text : NULL);
		ctl_json_str(j, "channel", a->channel[0] ? a->channel : NULL);
		ctl_json_str(j, "call_id", a->call_id[0] ? a->call_id : NULL);
		ctl_json_time(j, "notice_at", a->notice_at);
		ctl_json_end(j);
	}
	ctl_json_end(j);
	ctl_json_begin(j, "notices", 1);
	for (size_t k = 0; k < d->nnotices; k++) {
		const store_notice_info_t *n = &d->notices[k];
		ctl_json_begin(j, NULL, 0);
		ctl_json_time(j, "sent_at", n->sent_at);
		ctl_json_str(j, "kind", n->kind);
		ctl_json_str(j, "action", n->action);
		ctl_json_str(j, "jobs", n->jobs);
		ctl_json_str(j, "message_id", n->message_id[0] ? n->message_id : NULL);
		ctl_json_end(j);
	}
	ctl_json_end(j);
	ctl_json_end(j);
}

/* ctl_show - faxgatectl show JOB; an exit status */
int ctl_show(ctl_t *c, int argc, char **argv)
{
	store_job_detail_t d;
	char err[1024];
	long job;
	int rc;

	if ((rc = ctl_job_arg(c, argc, argv, &job)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = ctl_open(c)) != 0)
		return rc;
	if ((rc = store_job_detail(c->st, job, &d, err, sizeof(err))) < 0)
		return ctl_store_error(c, err);
	if (rc == 0) {
		fprintf(c->err, "faxgatectl: job %ld: no such job\n", job);
		return CTL_EFAIL;
	}
	if (c->json) {
		ctl_json_t *j = ctl_json_new(c->out);
		if (!j) {
			store_job_detail_free(&d);
			return ctl_store_error(c, "out of memory");
		}
		json(j, &d);
		ctl_json_free(j);
	} else {
		human_job(c, &d);
		human_docs(c, &d);
		human_attempts(c, &d);
		human_notices(c, &d);
	}
	store_job_detail_free(&d);
	return 0;
}
