/*
 * NAME
 *	ctl - faxgatectl's commands, and the small helpers they share
 * SYNOPSIS
 *	#include "ctl.h"
 *	int ctl_list(ctl_t *c, int argc, char **argv);
 *	int ctl_show(ctl_t *c, int argc, char **argv);
 *	int ctl_stats(ctl_t *c, int argc, char **argv);
 *	int ctl_change(ctl_t *c, store_change_t change, int argc, char **argv);
 *	int ctl_inbound(ctl_t *c, int argc, char **argv);
 *	int ctl_onramp(ctl_t *c, int argc, char **argv);
 *	int ctl_check_config(ctl_t *c, int argc, char **argv);
 *	int ctl_migrate(ctl_t *c, int argc, char **argv);
 *	void ctl_usage(FILE *f);
 *	int ctl_usage_error(ctl_t *c, const char *fmt, ...);
 *	int ctl_store_error(ctl_t *c, const char *err);
 *	int ctl_bad_option(ctl_t *c, const char *cmd, int opt, char **argv);
 *	int ctl_job_arg(ctl_t *c, int argc, char **argv, long *job);
 *	int ctl_open(ctl_t *c);
 *	void ctl_close(ctl_t *c);
 *	void ctl_json_job(ctl_json_t *j, const char *key, const store_job_info_t *i);
 *	void ctl_job_next(char *buf, size_t len, const store_job_info_t *i, long now);
 *	void ctl_line(ctl_t *c, const char *key, const char *value);
 *	void ctl_line_time(ctl_t *c, const char *key, long t);
 *
 *	int ctl_parse_time(const char *s, long now, int end_of_day, long *t);
 *	int ctl_parse_job(const char *s, long *job);
 *	int ctl_known_state(const char *s);
 *	extern const char *const ctl_states[];
 *	void ctl_fmt_time(char *buf, size_t len, long t);
 *	void ctl_fmt_age(char *buf, size_t len, long secs);
 *	void ctl_fmt_due(char *buf, size_t len, long t, long now);
 *	void ctl_fmt_size(char *buf, size_t len, long bytes);
 *	void ctl_clean(char *buf, size_t len, const char *s);
 *	int ctl_utf8(const char *s, unsigned *cp);
 *
 *	ctl_json_t *ctl_json_new(FILE *f);
 *	void ctl_json_begin(ctl_json_t *j, const char *key, int array);
 *	void ctl_json_end(ctl_json_t *j);
 *	void ctl_json_str(ctl_json_t *j, const char *key, const char *v);
 *	void ctl_json_int(ctl_json_t *j, const char *key, long v);
 *	void ctl_json_time(ctl_json_t *j, const char *key, long t);
 *	void ctl_json_null(ctl_json_t *j, const char *key);
 *	void ctl_json_bool(ctl_json_t *j, const char *key, int v);
 *	void ctl_json_free(ctl_json_t *j);
 *	void ctl_json_quote(FILE *f, const char *s);
 *
 *	ctl_table_t *ctl_table_new(const char *const *headers, const char *align);
 *	void ctl_table_add(ctl_table_t *t, ...);
 *	void ctl_table_print(ctl_table_t *t, FILE *f, const char *indent);
 *	void ctl_table_free(ctl_table_t *t);
 * DESCRIPTION
 *	Each ctl_<command> parses its own arguments (argv[0] is the command
 *	name), opens the configuration and the store through ctl_open only
 *	once the arguments are known to be good, prints to c->out and returns
 *	the exit status. Human output is aligned tables; with c->json the
 *	same data is JSON. Nothing here talks SQL: everything goes through
 *	store.h, so another store backend needs no change here.
 *	ctl_usage_error, ctl_store_error and ctl_bad_option (for getopt's
 *	'?' and ':') print the reason and return the exit status.
 *	ctl_job_arg parses the one JOB (and --json) of show and the changes:
 *	0, -1 after --help (exit 0), or an exit status.
 *	ctl_json_job writes a job's own fields (list and show share it);
 *	ctl_job_next says when a waiting job is tried next ("now", "in 5m").
 *	ctl_line prints one "  key   value" line of a detail view (show,
 *	inbound show), the value cleaned for the terminal, "-" if NULL or "";
 *	ctl_line_time one with a local time and how long ago or ahead it is.
 *	ctl_inbound lists received faxes, shows one, writes its TIFF, or
 *	puts a failed or held one back to be mailed (retry).
 *	ctl_onramp keeps the onramp's tables: argv[0] is did, index, route,
 *	caller or user, argv[1] add, remove or list; it returns -1 for
 *	another argv[0].
 *	ctl_check_config loads the configuration itself (not ctl_open: a
 *	broken file is a finding, not a failure) and prints one line per
 *	problem it finds in the store, the programs, the milter socket and
 *	the MTA's wiring (mtacheck.h): 0 if none, else CTL_EFAIL (CTL_ECONFIG
 *	if the file does not load).
 *
 *	ctl_parse_time reads YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] (local time; a
 *	'T' may stand for the space), "now", or a time relative to now such
 *	as -30s, -30m, -2h, -7d, -1w. With end_of_day a bare date means the
 *	end of that day (for --until). ctl_parse_job reads a job id (1 or
 *	more). ctl_known_state tells a state the schema knows; ctl_states
 *	lists them all in the order of a job's life.
 *
 *	ctl_fmt_time formats a unix time as local "YYYY-MM-DD HH:MM:SS" ("-"
 *	for 0); ctl_fmt_age a duration as "2d 3h", "5m 10s"; ctl_fmt_due a
 *	time from now as "now", "in 5m" or "5m ago"; ctl_fmt_size bytes as
 *	"812 B", "48.2 KiB". ctl_clean copies text that may come from a mail
 *	(subjects, senders) for a terminal: control characters and bytes that
 *	are not UTF-8 become '?', so a subject cannot move the cursor.
 *	ctl_utf8 returns the length of the valid UTF-8 character at s (and
 *	its code point), 0 for a byte that does not start one.
 *
 *	ctl_json_* write indented JSON: begin opens an object (array 0) or an
 *	array (array 1), as a member named key or, with key NULL, as an
 *	element; the value calls do the same for scalars. Strings are
 *	escaped, and bytes that are not UTF-8 become U+FFFD, so the output is
 *	always valid JSON. ctl_json_time writes null for 0 ("never").
 *	ctl_json_quote writes one quoted, escaped string.
 *
 *	ctl_table_* collect rows of cells (ctl_table_add takes one const
 *	char * per column; NULL prints "-") and print them aligned under the
 *	headers, two spaces apart; align has one 'l' or 'r' per column.
 * DIAGNOSTICS
 *	Commands return 0, CTL_EFAIL (no such job or received fax, a job in
 *	the wrong state, a received fax without pages or in the wrong state,
 *	no such row to remove), CTL_EUSAGE, CTL_EIO,
 *	CTL_ETEMP (the store) or CTL_ECONFIG, after a message on c->err.
 *	ctl_parse_time and ctl_parse_job return 0 or -1.
 */
#ifndef FAXGATE_CTL_H
#define FAXGATE_CTL_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "store.h"

/* Exit statuses, as sysexits.h. */
#define CTL_EFAIL	1
#define CTL_EUSAGE	64
#define CTL_EIO		74
#define CTL_ETEMP	75
#define CTL_ECONFIG	78

typedef struct ctl {
	const char *config_path;
	int json;
	long now;
	FILE *out, *err;
	config_t *cf;		/* set by ctl_open */
	store_t *st;		/* set by ctl_open */
} ctl_t;

int ctl_list(ctl_t *c, int argc, char **argv);
int ctl_show(ctl_t *c, int argc, char **argv);
int ctl_stats(ctl_t *c, int argc, char **argv);
int ctl_change(ctl_t *c, store_change_t change, int argc, char **argv);
int ctl_inbound(ctl_t *c, int argc, char **argv);
int ctl_onramp(ctl_t *c, int argc, char **argv);
int ctl_check_config(ctl_t *c, int argc, char **argv);
int ctl_migrate(ctl_t *c, int argc, char **argv);	/* a SQLite store into PostgreSQL */

void ctl_usage(FILE *f);
int ctl_usage_error(ctl_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ctl_store_error(ctl_t *c, const char *err);
int ctl_bad_option(ctl_t *c, const char *cmd, int opt, char **argv);
int ctl_job_arg(ctl_t *c, int argc, char **argv, long *job);
int ctl_open(ctl_t *c);
void ctl_close(ctl_t *c);

int ctl_parse_time(const char *s, long now, int end_of_day, long *t);
int ctl_parse_job(const char *s, long *job);
int ctl_known_state(const char *s);
extern const char *const ctl_states[];	/* every state, in a job's life order */

void ctl_fmt_time(char *buf, size_t len, long t);
void ctl_fmt_age(char *buf, size_t len, long secs);
void ctl_fmt_due(char *buf, size_t len, long t, long now);
void ctl_fmt_size(char *buf, size_t len, long bytes);
void ctl_clean(char *buf, size_t len, const char *s);
int ctl_utf8(const char *s, unsigned *cp);

typedef struct ctl_json ctl_json_t;
ctl_json_t *ctl_json_new(FILE *f);
void ctl_json_begin(ctl_json_t *j, const char *key, int array);
void ctl_json_end(ctl_json_t *j);
void ctl_json_str(ctl_json_t *j, const char *key, const char *v);
void ctl_json_int(ctl_json_t *j, const char *key, long v);
void ctl_json_time(ctl_json_t *j, const char *key, long t);
void ctl_json_null(ctl_json_t *j, const char *key);
void ctl_json_bool(ctl_json_t *j, const char *key, int v);
void ctl_json_free(ctl_json_t *j);
void ctl_json_quote(FILE *f, const char *s);
void ctl_json_job(ctl_json_t *j, const char *key, const store_job_info_t *i);
void ctl_job_next(char *buf, size_t len, const store_job_info_t *i, long now);
void ctl_line(ctl_t *c, const char *key, const char *value);
void ctl_line_time(ctl_t *c, const char *key, long t);

typedef struct ctl_table ctl_table_t;
ctl_table_t *ctl_table_new(const char *const *headers, const char *align);
void ctl_table_add(ctl_table_t *t, ...);
void ctl_table_print(ctl_table_t *t, FILE *f, const char *indent);
void ctl_table_free(ctl_table_t *t);

#endif
