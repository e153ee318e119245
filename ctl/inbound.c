/*
 * inbound.c - faxgatectl inbound: the faxes received from the phone side,
 * newest first; one of them with every field; its pages written out as a
 * TIFF file; see ctl.h.
 *
 *	inbound [-n N] [--state S] [--json]
 *	inbound show ID [--json]
 *	inbound tiff ID FILE		FILE "-" is standard output
 *	inbound retry ID [--json]	failed or held: mailed again
 *	inbound bounce			a delivery report on standard input
 *					(the MTA pipes [onramp] envelope_from's
 *					mail here): recorded against its fax
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "ctl.h"
#include "log.h"
#include "wake.h"

#define DEFAULT_LIMIT 50

/* The states of a received fax, in the order of its life (the schema's). */
static const char *const inbound_states[] = { "new", "mailing", "mailed", "failed", "held", NULL };

/* no_such_fax - say so, returns CTL_EFAIL */
static int no_such_fax(ctl_t *c, long id)
{
	fprintf(c->err, "faxgatectl: inbound fax %ld: no such fax\n", id);
	return CTL_EFAIL;
}

/* str - s, or NULL when it is empty (printed as "-" or null) */
static const char *str(const char *s)
{
	return s && *s ? s : NULL;
}

/* json_row - one received fax as a JSON object, every field but the TIFF */
static void json_row(ctl_json_t *j, const store_inbound_row_t *r)
{
	ctl_json_begin(j, NULL, 0);
	ctl_json_int(j, "id", r->id);
	ctl_json_time(j, "received_at", r->received_at);
	ctl_json_time(j, "ended_at", r->ended_at);
	ctl_json_str(j, "did", r->did);
	ctl_json_str(j, "caller", r->caller);
	ctl_json_str(j, "remote_ident", r->remote_ident);
	ctl_json_int(j, "pages", r->pages);
	ctl_json_str(j, "outcome", r->outcome);
	ctl_json_str(j, "status", r->status);
	ctl_json_str(j, "error_code", r->error_code);
	ctl_json_str(j, "error_text", r->error_text);
	ctl_json_str(j, "state", r->state);
	ctl_json_str(j, "transport", r->transport);
	ctl_json_int(j, "bytes", r->bytes);
	ctl_json_str(j, "resolution", r->resolution);
	if (r->bit_rate >= 0)
		ctl_json_int(j, "bit_rate", r->bit_rate);
	else
		ctl_json_null(j, "bit_rate");
	if (r->ecm >= 0)
		ctl_json_int(j, "ecm", r->ecm);
	else
		ctl_json_null(j, "ecm");
	ctl_json_str(j, "dtmf", r->dtmf);
	ctl_json_str(j, "channel", r->channel);
	ctl_json_str(j, "call_id", r->call_id);
	ctl_json_int(j, "tiff_size", (long)r->tifflen);
	ctl_json_str(j, "targets", r->targets);
	ctl_json_str(j, "decision", r->decision);
	ctl_json_time(j, "mailed_at", r->mailed_at);
	ctl_json_int(j, "mail_tries", r->mail_tries);
	ctl_json_str(j, "mail_error", r->mail_error);
	ctl_json_str(j, "bounces", r->bounces);
	ctl_json_end(j);
}

/* parse_list - inbound's own options; 0, -1 after --help, or an exit status */
static int parse_list(ctl_t *c, int argc, char **argv, long *limit, const char **state)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int opt, known;

	*limit = DEFAULT_LIMIT;
	*state = NULL;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			errno = 0;
			*limit = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || *limit < 0)
				return ctl_usage_error(c, "inbound: -n: '%s' is not a number of faxes",
				    optarg);
			break;
		case 's':
			known = 0;
			for (int i = 0; inbound_states[i]; i++)
				known |= strcmp(inbound_states[i], optarg) == 0;
			if (!known)
				return ctl_usage_error(c, "inbound: --state: unknown state '%s'"
				    " (new, mailing, mailed, failed, held)", optarg);
			*state = optarg;
			break;
		case 'j':
			c->json = 1;
			break;
		case 'h':
			ctl_usage(c->out);
			return -1;
		default:
			return ctl_bad_option(c, "inbound", opt, argv);
		}
	}
	if (optind < argc)
		return ctl_usage_error(c, "inbound: unexpected argument '%s'", argv[optind]);
	return 0;
}

/* list_human - the received faxes as a table */
static void list_human(ctl_t *c, const store_inbound_row_t *rows, size_t n)
{
	static const char *const head[] = { "ID", "RECEIVED", "DID", "CALLER", "REMOTE-IDENT",
		"PAGES", "OUTCOME", "STATUS", "STATE", NULL };
	ctl_table_t *t;

	if (n == 0) {
		fputs("no received faxes\n", c->out);
		return;
	}
	t = ctl_table_new(head, "rllllrlll");
	for (size_t k = 0; k < n; k++) {
		const store_inbound_row_t *r = &rows[k];
		char id[24], when[32], pages[16];
		snprintf(id, sizeof(id), "%ld", r->id);
		ctl_fmt_time(when, sizeof(when), r->received_at);
		snprintf(pages, sizeof(pages), "%d", r->pages);
		ctl_table_add(t, id, when, str(r->did), str(r->caller), str(r->remote_ident), pages,
		    str(r->outcome), str(r->status), r->state);
	}
	ctl_table_print(t, c->out, NULL);
	ctl_table_free(t);
}

/* list - faxgatectl inbound [-n N] [--state S]; an exit status */
static int list(ctl_t *c, int argc, char **argv)
{
	store_inbound_row_t *rows;
	const char *state;
	char err[1024];
	long limit;
	size_t n;
	int rc, more = 0;

	if ((rc = parse_list(c, argc, argv, &limit, &state)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = ctl_open(c)) != 0)
		return rc;
	/* One more than asked for tells whether the list was cut short. */
	if (store_inbound_list(c->st, limit ? (size_t)limit + 1 : 0, state, &rows, &n,
	    err, sizeof(err)) < 0)
		return ctl_store_error(c, err);
	if (limit && n > (size_t)limit) {
		more = 1;
		n = (size_t)limit;
	}
	if (c->json) {
		ctl_json_t *j = ctl_json_new(c->out);
		if (!j) {
			store_inbound_rows_free(rows, n + more);
			return ctl_store_error(c, "out of memory");
		}
		ctl_json_begin(j, NULL, 1);
		for (size_t k = 0; k < n; k++)
			json_row(j, &rows[k]);
		ctl_json_end(j);
		ctl_json_free(j);
	} else {
		list_human(c, rows, n);
		if (more)
			fprintf(c->err, "faxgatectl: showing the newest %ld received faxes; -n 0 shows all\n",
			    limit);
	}
	store_inbound_rows_free(rows, n + more);
	return 0;
}

/* parse_id - the options and the ID (and FILE, for tiff) of show and tiff;
 * 0, -1 after --help, or an exit status */
static int parse_id(ctl_t *c, int argc, char **argv, long *id, const char **file)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0];
	int opt, want = file ? 2 : 1;

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
			return ctl_bad_option(c, strcmp(cmd, "tiff") == 0 ? "inbound tiff" :
			    strcmp(cmd, "retry") == 0 ? "inbound retry" : "inbound show", opt, argv);
		}
	}
	if (optind >= argc)
		return ctl_usage_error(c, "inbound %s: which received fax?", cmd);
	if (ctl_parse_job(argv[optind], id) < 0)
		return ctl_usage_error(c, "inbound %s: '%s' is not a received fax id", cmd, argv[optind]);
	if (file && optind + 1 >= argc)
		return ctl_usage_error(c, "inbound tiff: which file? (- for standard output)");
	if (optind + want < argc)
		return ctl_usage_error(c, "inbound %s: unexpected argument '%s'", cmd,
		    argv[optind + want]);
	if (file)
		*file = argv[optind + 1];
	return 0;
}

/* show_human - every field, one per line */
static void show_human(ctl_t *c, const store_inbound_row_t *r)
{
	char buf[256], took[32], size[32];

	fprintf(c->out, "inbound fax %ld\n", r->id);
	ctl_line_time(c, "received", r->received_at);
	if (r->ended_at) {
		ctl_fmt_time(buf, sizeof(buf), r->ended_at);
		ctl_fmt_age(took, sizeof(took), r->ended_at - r->received_at);
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " (took %s)", took);
		ctl_line(c, "ended", buf);
	} else
		ctl_line(c, "ended", NULL);
	ctl_line(c, "did", r->did);
	ctl_line(c, "caller", r->caller);
	ctl_line(c, "remote ident", r->remote_ident);
	snprintf(buf, sizeof(buf), "%d", r->pages);
	ctl_line(c, "pages", buf);
	ctl_line(c, "outcome", r->outcome);
	ctl_line(c, "status", r->status);
	ctl_line(c, "error code", r->error_code);
	ctl_line(c, "error text", r->error_text);
	ctl_line(c, "state", r->state);
	ctl_line(c, "transport", r->transport);
	snprintf(buf, sizeof(buf), "%ld", r->bytes);
	ctl_line(c, "bytes", buf);
	ctl_line(c, "resolution", r->resolution);
	snprintf(buf, sizeof(buf), "%d", r->bit_rate);
	ctl_line(c, "bit rate", r->bit_rate >= 0 ? buf : NULL);
	ctl_line(c, "ecm", r->ecm < 0 ? NULL : r->ecm ? "yes" : "no");
	ctl_line(c, "dtmf", r->dtmf);
	ctl_line(c, "channel", r->channel);
	ctl_line(c, "call id", r->call_id);
	if (r->tifflen) {
		ctl_fmt_size(size, sizeof(size), (long)r->tifflen);
		snprintf(buf, sizeof(buf), "%s (faxgatectl inbound tiff %ld FILE)", size, r->id);
		ctl_line(c, "tiff", buf);
	} else
		ctl_line(c, "tiff", "- (no page received)");
	/* The onramp's fields once it has been at work on the fax. */
	if (r->decision)
		ctl_line(c, "decision", r->decision);
	if (r->targets)
		ctl_line(c, "mailed to", r->targets);
	if (r->mailed_at)
		ctl_line_time(c, "mailed", r->mailed_at);
	if (r->mail_tries) {
		snprintf(buf, sizeof(buf), "%d", r->mail_tries);
		ctl_line(c, "mail failures", buf);
	}
	if (r->mail_error)
		ctl_line(c, "mail error", r->mail_error);
	if (r->bounces)
		ctl_line(c, "bounces", r->bounces);
}

/* show - faxgatectl inbound show ID; an exit status */
static int show(ctl_t *c, int argc, char **argv)
{
	store_inbound_row_t r;
	char err[1024];
	long id;
	int rc;

	if ((rc = parse_id(c, argc, argv, &id, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = ctl_open(c)) != 0)
		return rc;
	if ((rc = store_inbound_get(c->st, id, &r, 0, err, sizeof(err))) < 0)
		return ctl_store_error(c, err);
	if (rc == 0)
		return no_such_fax(c, id);
	if (c->json) {
		ctl_json_t *j = ctl_json_new(c->out);
		if (!j) {
			store_inbound_row_free(&r);
			return ctl_store_error(c, "out of memory");
		}
		json_row(j, &r);
		ctl_json_free(j);
	} else
		show_human(c, &r);
	store_inbound_row_free(&r);
	return 0;
}

/* put - write the TIFF to file, or to c->out for "-" (main checks that one,
 * as for every command); 0 or CTL_EIO after a message */
static int put(ctl_t *c, const store_inbound_row_t *r, const char *file)
{
	FILE *f;
	int bad, e;

	if (strcmp(file, "-") == 0) {
		fwrite(r->tiff, 1, r->tifflen, c->out);
		return 0;
	}
	if ((f = fopen(file, "wb")) == NULL) {
		fprintf(c->err, "faxgatectl: %s: %s\n", file, strerror(errno));
		return CTL_EIO;
	}
	bad = fwrite(r->tiff, 1, r->tifflen, f) != r->tifflen || fflush(f) == EOF;
	e = errno;
	if (fclose(f) == EOF && !bad) {
		bad = 1;
		e = errno;
	}
	if (!bad)
		return 0;
	fprintf(c->err, "faxgatectl: %s: %s\n", file, strerror(e));
	/* Half a TIFF would look like a fax with pages missing. */
	unlink(file);
	return CTL_EIO;
}

/* tiff - faxgatectl inbound tiff ID FILE; an exit status */
static int tiff(ctl_t *c, int argc, char **argv)
{
	store_inbound_row_t r;
	const char *file;
	char err[1024], size[32];
	long id;
	int rc;

	if ((rc = parse_id(c, argc, argv, &id, &file)) != 0)
		return rc < 0 ? 0 : rc;
	if (c->json && strcmp(file, "-") == 0)
		return ctl_usage_error(c, "inbound tiff: --json and FILE -: standard output is the TIFF");
	if ((rc = ctl_open(c)) != 0)
		return rc;
	if ((rc = store_inbound_get(c->st, id, &r, 1, err, sizeof(err))) < 0)
		return ctl_store_error(c, err);
	if (rc == 0)
		return no_such_fax(c, id);
	if (!r.tiff) {
		fprintf(c->err, "faxgatectl: inbound fax %ld: no TIFF, no page was received"
		    " (outcome %s)\n", id, r.outcome ? r.outcome : "unknown");
		store_inbound_row_free(&r);
		return CTL_EFAIL;
	}
	if ((rc = put(c, &r, file)) == 0 && strcmp(file, "-") != 0) {
		if (c->json) {
			ctl_json_t *j = ctl_json_new(c->out);
			if (!j) {
				store_inbound_row_free(&r);
				return ctl_store_error(c, "out of memory");
			}
			ctl_json_begin(j, NULL, 0);
			ctl_json_int(j, "id", id);
			ctl_json_str(j, "file", file);
			ctl_json_int(j, "pages", r.pages);
			ctl_json_int(j, "bytes", (long)r.tifflen);
			ctl_json_end(j);
			ctl_json_free(j);
		} else {
			ctl_fmt_size(size, sizeof(size), (long)r.tifflen);
			fprintf(c->out, "inbound fax %ld: %d page%s, %s written to %s\n", id, r.pages,
			    r.pages == 1 ? "" : "s", size, file);
		}
	}
	store_inbound_row_free(&r);
	return rc;
}

/* retry - faxgatectl inbound retry ID; an exit status */
static int retry(ctl_t *c, int argc, char **argv)
{
	char err[1024], from[16];
	long id;
	int rc;

	if ((rc = parse_id(c, argc, argv, &id, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = ctl_open(c)) != 0)
		return rc;
	if ((rc = store_inbound_requeue(c->st, id, c->now, from, sizeof(from), err,
	    sizeof(err))) < 0)
		return ctl_store_error(c, err);
	if (rc == 0 && !from[0])
		return no_such_fax(c, id);
	if (rc == 0) {
		fprintf(c->err, "faxgatectl: inbound fax %ld is %s: only a failed or held fax is"
		    " mailed again\n", id, from);
		return CTL_EFAIL;
	}
	if (c->json) {
		ctl_json_t *j = ctl_json_new(c->out);
		if (!j)
			return ctl_store_error(c, "out of memory");
		ctl_json_begin(j, NULL, 0);
		ctl_json_int(j, "id", id);
		ctl_json_str(j, "from", from);
		ctl_json_str(j, "to", "new");
		ctl_json_end(j);
		ctl_json_free(j);
	} else
		fprintf(c->out, "inbound fax %ld: %s -> new, to be mailed again\n", id, from);
	wake_send(c->cf->onramp_socket);	/* now, not at its next poll */
	return 0;
}

#define BOUNCE_MAX (64L << 20)	/* a report that returns a whole fax is big */
#define EX_DATAERR 65		/* sysexits.h: the MTA returns the report */

/*
 * bounce - faxgatectl inbound bounce < REPORT. Run by the MTA (a pipe
 * transport or an alias); its exit status is what the MTA acts on: 0
 * recorded, 75 (the store) try again later, 65 not a report about a fax
 * mailed here: the MTA returns it (to the postmaster for a report,
 * which has no sender), so nothing that came is silently dropped.
 */
static int bounce(ctl_t *c, int argc, char **argv)
{
	char err[1024], diag[256], rcpt[256];
	store_bounce_t *sb = NULL;
	bounce_t b;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	if (argc > 1)
		return ctl_usage_error(c, "inbound bounce: unexpected argument '%s' (the report comes"
		    " on standard input)", argv[1]);
	for (;;) {
		size_t got;

		if (len == cap) {
			char *nb;
			if (cap >= (size_t)BOUNCE_MAX) {
				fprintf(c->err, "faxgatectl: inbound bounce: the report is larger than"
				    " %ld MB\n", BOUNCE_MAX >> 20);
				free(buf);
				return EX_DATAERR;
			}
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return ctl_store_error(c, "out of memory");
			}
			buf = nb;
		}
		if ((got = fread(buf + len, 1, cap - len, stdin)) == 0)
			break;
		len += got;
	}
	if (ferror(stdin)) {
		fprintf(c->err, "faxgatectl: inbound bounce: reading standard input: %s\n",
		    strerror(errno));
		free(buf);
		return CTL_EIO;
	}
	rc = bounce_parse(buf ? buf : "", len, &b, err, sizeof(err));
	free(buf);
	log_open("faxgatectl", 0);
	if (rc < 0) {
		log_msg(LOG_WARNING, "bounce=refused, reason=\"%s\"", err);
		fprintf(c->err, "faxgatectl: inbound bounce: %s\n", err);
		return EX_DATAERR;
	}
	if ((rc = ctl_open(c)) != 0 || (sb = calloc(b.n, sizeof(*sb))) == NULL) {
		bounce_free(&b);
		return rc ? rc : ctl_store_error(c, "out of memory");
	}
	for (size_t i = 0; i < b.n; i++)
		sb[i] = (store_bounce_t){ .recipient = b.rcpts[i].recipient,
			.action = b.rcpts[i].action, .status = b.rcpts[i].status,
			.diagnostic = b.rcpts[i].diagnostic, .reporting_mta = b.reporting_mta };
	rc = store_inbound_bounce(c->st, b.id, b.received_at, sb, b.n, c->now, err, sizeof(err));
	free(sb);
	if (rc < 0) {
		bounce_free(&b);
		return ctl_store_error(c, err);
	}
	if (rc == 0) {
		log_msg(LOG_WARNING, "bounce=refused, inbound=%ld, reason=\"no such fax\"", b.id);
		fprintf(c->err, "faxgatectl: inbound bounce: the report names inbound fax %ld, which"
		    " this store does not hold\n", b.id);
		bounce_free(&b);
		return EX_DATAERR;
	}
	for (size_t i = 0; i < b.n; i++) {
		log_quote(rcpt, sizeof(rcpt), b.rcpts[i].recipient);
		log_quote(diag, sizeof(diag), b.rcpts[i].diagnostic ? b.rcpts[i].diagnostic : "");
		log_msg(strcmp(b.rcpts[i].action, "failed") == 0 ? LOG_WARNING : LOG_INFO,
		    "inbound=%ld: bounce=%s, recipient=%s, status=%s, diagnostic=\"%s\", found_by=%s",
		    b.id, b.rcpts[i].action, rcpt, b.rcpts[i].status, diag, b.found_by);
		fprintf(c->out, "inbound fax %ld: %s %s %s\n", b.id, b.rcpts[i].recipient,
		    b.rcpts[i].action, b.rcpts[i].status);
	}
	bounce_free(&b);
	return 0;
}

/* ctl_inbound - faxgatectl inbound [show|tiff|retry|bounce] ...; an exit status */
int ctl_inbound(ctl_t *c, int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "show") == 0)
		return show(c, argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "retry") == 0)
		return retry(c, argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "tiff") == 0)
		return tiff(c, argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "bounce") == 0)
		return bounce(c, argc - 1, argv + 1);
	return list(c, argc, argv);
}
