/*
 * onramp.c - faxgatectl did, index, route, caller and user: the tables
 * that say who may fax in and where a received fax goes; see ctl.h.
 *
 *	did add DID ADDRESS... [--policy P] [--dtmf] | did remove DID | did list
 *	index add INDEX TARGET... | index remove INDEX | index list
 *	route add PREFIX DOMAIN | route remove PREFIX | route list
 *	caller add PATTERN [--did DID] [--tsi] | caller remove PATTERN [--did DID] [--tsi]
 *	caller list
 *	user add NAME (password on standard input) | user remove NAME | user list
 *
 * Values are checked with onramp_check before the store is opened, so a
 * typo is a usage error (64) that names the value. A password never
 * comes from the command line (ps shows it to every user) and is never
 * printed; a user list shows names and dates only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"
#include "onramp.h"

/* The options of every table command; each command allows some. */
struct args {
	const char *policy, *did;
	int dtmf, tsi;
	int npos;
	char **pos;
};

/* parse - the options allowed (letters of "pdDt") and the positional
 * arguments of "TABLE VERB ..."; 0, -1 after --help, or an exit status */
static int parse(ctl_t *c, const char *cmd, const char *allowed, int argc, char **argv,
    struct args *a)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "dtmf", no_argument, NULL, 'd' },
		{ "did", required_argument, NULL, 'D' },
		{ "tsi", no_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(a, 0, sizeof(*a));
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (opt != 'j' && opt != 'h' && opt != '?' && opt != ':' && !strchr(allowed, opt))
			return ctl_usage_error(c, "%s: option %s does not apply", cmd,
			    argv[optind - 1]);
		switch (opt) {
		case 'p': a->policy = optarg; break;
		case 'd': a->dtmf = 1; break;
		case 'D': a->did = optarg; break;
		case 't': a->tsi = 1; break;
		case 'j': c->json = 1; break;
		case 'h': ctl_usage(c->out); return -1;
		default: return ctl_bad_option(c, cmd, opt, argv);
		}
	}
	a->pos = argv + optind;
	a->npos = argc - optind;
	return 0;
}

/* want - exactly n positional arguments (at least n with more); 0 or CTL_EUSAGE */
static int want(ctl_t *c, const char *cmd, const struct args *a, int n, int more,
    const char *what)
{
	if (a->npos < n)
		return ctl_usage_error(c, "%s: which %s?", cmd, what);
	if (!more && a->npos > n)
		return ctl_usage_error(c, "%s: unexpected argument '%s'", cmd, a->pos[n]);
	return 0;
}

/* list - "TABLE list": no arguments, then the lister; an exit status */
static int list(ctl_t *c, const char *cmd, const struct args *a, int (*fn)(ctl_t *))
{
	int rc;

	if ((rc = want(c, cmd, a, 0, 0, "")) != 0 || (rc = ctl_open(c)) != 0)
		return rc;
	return fn(c);
}

/* check - onramp_check as a usage error; 0 or CTL_EUSAGE */
static int check(ctl_t *c, const char *cmd, onramp_field_t f, const char *v)
{
	char err[256];

	if (onramp_check(f, v, err, sizeof(err)) < 0)
		return ctl_usage_error(c, "%s: %s", cmd, err);
	return 0;
}

/* join - the arguments, each checked, space-separated into buf; 0 or CTL_EUSAGE */
static int join(ctl_t *c, const char *cmd, onramp_field_t f, char **v, int n, char *buf,
    size_t len)
{
	size_t o = 0;
	int rc;

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		if ((rc = check(c, cmd, f, v[i])) != 0)
			return rc;
		if (o + strlen(v[i]) + 2 > len)
			return ctl_usage_error(c, "%s: the list is longer than %zu characters", cmd,
			    len - 1);
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? " " : "", v[i]);
	}
	return 0;
}

/* done - report an add or remove: rc 1/0 from the store; the exit status */
static int done(ctl_t *c, const char *table, const char *key, int rc, int remove)
{
	const char *what = remove ? (rc ? "removed" : NULL) : rc ? "replaced" : "added";

	if (!what) {
		fprintf(c->err, "faxgatectl: %s %s: no such %s\n", table, key, table);
		return CTL_EFAIL;
	}
	if (c->json) {
		ctl_json_t *j = ctl_json_new(c->out);
		if (!j)
			return ctl_store_error(c, "out of memory");
		ctl_json_begin(j, NULL, 0);
		ctl_json_str(j, table, key);
		ctl_json_str(j, "action", what);
		ctl_json_end(j);
		ctl_json_free(j);
	} else
		fprintf(c->out, "%s %s %s\n", table, key, what);
	return 0;
}

/* json_list - a space-separated list as a JSON array member */
static void json_list(ctl_json_t *j, const char *key, const char *list)
{
	char item[STORE_LIST_MAX];

	ctl_json_begin(j, key, 1);
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " ");
		if (n) {
			snprintf(item, sizeof(item), "%.*s", (int)n, p);
			ctl_json_str(j, NULL, item);
		}
		p += n;
		p += strspn(p, " ");
	}
	ctl_json_end(j);
}

/*
 * Each lister reads its table and hands the rows to show(), which prints
 * them as a table or as JSON, says so when there are none, and frees
 * them. The per-table parts are a JSON writer and a table writer for one
 * row.
 */
typedef struct shape {
	const char *const *head;	/* table column titles */
	const char *align;		/* ctl_table_new's alignment */
	const char *none;		/* what an empty list prints */
	size_t size;			/* one row */
	void (*json)(ctl_json_t *j, const void *row);
	void (*table)(ctl_table_t *t, const void *row);
} shape_t;

static int show(ctl_t *c, const shape_t *sh, void *rows, size_t n)
{
	const char *r = rows;

	if (c->json) {
		ctl_json_t *j = ctl_json_new(c->out);
		if (!j) {
			free(rows);
			return ctl_store_error(c, "out of memory");
		}
		ctl_json_begin(j, NULL, 1);
		for (size_t i = 0; i < n; i++) {
			ctl_json_begin(j, NULL, 0);
			sh->json(j, r + i * sh->size);
			ctl_json_end(j);
		}
		ctl_json_end(j);
		ctl_json_free(j);
	} else if (n == 0) {
		fprintf(c->out, "%s\n", sh->none);
	} else {
		ctl_table_t *t = ctl_table_new(sh->head, sh->align);
		for (size_t i = 0; i < n; i++)
			sh->table(t, r + i * sh->size);
		ctl_table_print(t, c->out, NULL);
		ctl_table_free(t);
	}
	free(rows);
	return 0;
}

static void did_json(ctl_json_t *j, const void *row)
{
	const store_did_t *d = row;

	ctl_json_str(j, "did", d->did);
	json_list(j, "addresses", d->addresses);
	ctl_json_str(j, "policy", d->policy);
	ctl_json_bool(j, "dtmf", d->dtmf);
}

static void did_table(ctl_table_t *t, const void *row)
{
	const store_did_t *d = row;

	ctl_table_add(t, d->did, d->policy, d->dtmf ? "yes" : "no", d->addresses);
}

static int list_dids(ctl_t *c)
{
	static const char *const head[] = { "DID", "POLICY", "DTMF", "ADDRESSES", NULL };
	static const shape_t sh = { head, "llll", "no DIDs", sizeof(store_did_t), did_json, did_table };
	store_did_t *rows;
	size_t n;
	char err[1024];

	if (store_did_list(c->st, &rows, &n, err, sizeof(err)) < 0)
		return ctl_store_error(c, err);
	return show(c, &sh, rows, n);
}

static void index_json(ctl_json_t *j, const void *row)
{
	const store_index_t *x = row;

	ctl_json_str(j, "index", x->idx);
	json_list(j, "targets", x->targets);
}

static void index_table(ctl_table_t *t, const void *row)
{
	const store_index_t *x = row;

	ctl_table_add(t, x->idx, x->targets);
}

static int list_indexes(ctl_t *c)
{
	static const char *const head[] = { "INDEX", "TARGETS", NULL };
	static const shape_t sh = { head, "rl", "no indexes", sizeof(store_index_t), index_json,
		index_table };
	store_index_t *rows;
	size_t n;
	char err[1024];

	if (store_index_list(c->st, &rows, &n, err, sizeof(err)) < 0)
		return ctl_store_error(c, err);
	return show(c, &sh, rows, n);
}

static void route_json(ctl_json_t *j, const void *row)
{
	const store_route_t *r = row;

	ctl_json_str(j, "prefix", r->prefix);
	ctl_json_str(j, "domain", r->domain);
}

static void route_table(ctl_table_t *t, const void *row)
{
	const store_route_t *r = row;

	ctl_table_add(t, r->prefix[0] ? r->prefix : "default", r->domain);
}

static int list_routes(ctl_t *c)
{
	static const char *const head[] = { "PREFIX", "DOMAIN", NULL };
	static const shape_t sh = { head, "ll", "no routes", sizeof(store_route_t), route_json,
		route_table };
	store_route_t *rows;
	size_t n;
	char err[1024];

	if (store_route_list(c->st, &rows, &n, err, sizeof(err)) < 0)
		return ctl_store_error(c, err);
	return show(c, &sh, rows, n);
}

static void caller_json(ctl_json_t *j, const void *row)
{
	const store_caller_t *k = row;

	ctl_json_str(j, "pattern", k->pattern);
	ctl_json_str(j, "did", k->did);
	ctl_json_str(j, "kind", k->kind);
}

static void caller_table(ctl_table_t *t, const void *row)
{
	const store_caller_t *k = row;

	ctl_table_add(t, k->kind, k->did, k->pattern);
}

static int list_callers(ctl_t *c)
{
	static const char *const head[] = { "KIND", "DID", "PATTERN", NULL };
	static const shape_t sh = { head, "lll", "no callers", sizeof(store_caller_t), caller_json,
		caller_table };
	store_caller_t *rows;
	size_t n;
	char err[1024];

	if (store_caller_list(c->st, &rows, &n, err, sizeof(err)) < 0)
		return ctl_store_error(c, err);
	return show(c, &sh, rows, n);
}

static void user_json(ctl_json_t *j, const void *row)
{
	const store_user_t *u = row;

	ctl_json_str(j, "name", u->name);
	ctl_json_time(j, "created_at", u->created_at);
}

static void user_table(ctl_table_t *t, const void *row)
{
	const store_user_t *u = row;
	char when[32];

	ctl_fmt_time(when, sizeof(when), u->created_at);
	ctl_table_add(t, u->name, when);
}

static int list_users(ctl_t *c)
{
	static const char *const head[] = { "USER", "CREATED", NULL };
	static const shape_t sh = { head, "rl", "no users", sizeof(store_user_t), user_json,
		user_table };
	store_user_t *rows;
	size_t n;
	char err[1024];

	if (store_user_list(c->st, &rows, &n, err, sizeof(err)) < 0)
		return ctl_store_error(c, err);
	return show(c, &sh, rows, n);
}

/* read_line - one line from f without its end, at most len - 1; 0, or -1
 * at end of file or for a longer line */
static int read_line(FILE *f, char *buf, size_t len)
{
	size_t n;

	if (!fgets(buf, (int)len, f))
		return -1;
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == len - 1)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* read_password - from standard input: a line, or on a terminal asked
 * twice without echo; 0 or an exit status */
static int read_password(ctl_t *c, const char *name, char *pw, size_t len)
{
	struct termios old, quiet;
	char again[64];
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0, rc = 0;

	if (tty) {
		quiet = old;
		quiet.c_lflag &= (tcflag_t)~ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		fprintf(c->err, "password for %s (digits): ", name);
	}
	if (read_line(stdin, pw, len) < 0)
		rc = ctl_usage_error(c, "user add: no password on standard input (one line of"
		    " %d to %d digits)", ONRAMP_PASSWORD_MIN, ONRAMP_PASSWORD_MAX);
	else if (tty) {
		fprintf(c->err, "\nagain: ");
		if (read_line(stdin, again, sizeof(again)) < 0 || strcmp(pw, again) != 0)
			rc = ctl_usage_error(c, "user add: the two passwords differ");
		memset(again, 0, sizeof(again));
	}
	if (tty) {
		fputc('\n', c->err);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	}
	return rc;
}

/* did - faxgatectl did add|remove|list */
static int cmd_did(ctl_t *c, const char *verb, struct args *a)
{
	store_did_t d = { .dtmf = a->dtmf };
	char err[1024];
	int rc;

	if (strcmp(verb, "list") == 0)
		return list(c, "did list", a, list_dids);
	if (strcmp(verb, "remove") == 0) {
		if ((rc = want(c, "did remove", a, 1, 0, "DID")) != 0 ||
		    (rc = check(c, "did remove", ONRAMP_F_DID, a->pos[0])) != 0 || (rc = ctl_open(c)))
			return rc;
		if ((rc = store_did_remove(c->st, a->pos[0], err, sizeof(err))) < 0)
			return ctl_store_error(c, err);
		return done(c, "did", a->pos[0], rc, 1);
	}
	if ((rc = want(c, "did add", a, 1, 1, "DID")) != 0 ||
	    (rc = check(c, "did add", ONRAMP_F_DID, a->pos[0])) != 0)
		return rc;
	if (a->npos < 2)
		return ctl_usage_error(c, "did add: which addresses?");
	if ((rc = join(c, "did add", ONRAMP_F_ADDRESS, a->pos + 1, a->npos - 1, d.addresses,
	    sizeof(d.addresses))) != 0)
		return rc;
	snprintf(d.did, sizeof(d.did), "%s", a->pos[0]);
	snprintf(d.policy, sizeof(d.policy), "%s", a->policy ? a->policy : "open");
	if (strcmp(d.policy, "open") && strcmp(d.policy, "callerid") &&
	    strcmp(d.policy, "credentials") && strcmp(d.policy, "callerid+credentials"))
		return ctl_usage_error(c, "did add: --policy '%s' is not open, callerid, credentials"
		    " or callerid+credentials", a->policy);
	if ((rc = ctl_open(c)) != 0)
		return rc;
	if ((rc = store_did_add(c->st, &d, err, sizeof(err))) < 0)
		return ctl_store_error(c, err);
	return done(c, "did", d.did, rc, 0);
}

/* index - faxgatectl index add|remove|list */
static int cmd_index(ctl_t *c, const char *verb, struct args *a)
{
	store_index_t x;
	char err[1024];
	int rc;

	if (strcmp(verb, "list") == 0)
		return list(c, "index list", a, list_indexes);
	if ((rc = want(c, strcmp(verb, "add") ? "index remove" : "index add", a, 1,
	    strcmp(verb, "add") == 0, "index")) != 0 ||
	    (rc = check(c, "index", ONRAMP_F_INDEX, a->pos[0])) != 0)
		return rc;
	if (strcmp(verb, "remove") == 0) {
		if ((rc = ctl_open(c)) != 0)
			return rc;
		if ((rc = store_index_remove(c->st, a->pos[0], err, sizeof(err))) < 0)
			return ctl_store_error(c, err);
		return done(c, "index", a->pos[0], rc, 1);
	}
	if (a->npos < 2)
		return ctl_usage_error(c, "index add: which targets (addresses, +E.164 numbers)?");
	if ((rc = join(c, "index add", ONRAMP_F_TARGET, a->pos + 1, a->npos - 1, x.targets,
	    sizeof(x.targets))) != 0 || (rc = ctl_open(c)) != 0)
		return rc;
	snprintf(x.idx, sizeof(x.idx), "%s", a->pos[0]);
	if ((rc = store_index_add(c->st, &x, err, sizeof(err))) < 0)
		return ctl_store_error(c, err);
	return done(c, "index", x.idx, rc, 0);
}

/* route - faxgatectl route add|remove|list; PREFIX "default" is "" */
static int cmd_route(ctl_t *c, const char *verb, struct args *a)
{
	store_route_t r;
	const char *prefix;
	char err[1024];
	int rc, add = strcmp(verb, "add") == 0;

	if (strcmp(verb, "list") == 0)
		return list(c, "route list", a, list_routes);
	if ((rc = want(c, add ? "route add" : "route remove", a, add ? 2 : 1, 0,
	    a->npos == 0 ? "prefix (digits, or default)" : "domain")) != 0)
		return rc;
	prefix = strcmp(a->pos[0], "default") == 0 ? "" : a->pos[0] + (a->pos[0][0] == '+');
	if ((rc = check(c, add ? "route add" : "route remove", ONRAMP_F_PREFIX, prefix)) != 0 ||
	    (!strcmp(a->pos[0], "+") && (rc = ctl_usage_error(c, "route: '+' is no prefix; use"
	    " default"))) ||
	    (add && (rc = check(c, "route add", ONRAMP_F_DOMAIN, a->pos[1])) != 0) ||
	    (rc = ctl_open(c)) != 0)
		return rc;
	if (!add) {
		if ((rc = store_route_remove(c->st, prefix, err, sizeof(err))) < 0)
			return ctl_store_error(c, err);
		return done(c, "route", prefix[0] ? prefix : "default", rc, 1);
	}
	snprintf(r.prefix, sizeof(r.prefix), "%s", prefix);
	snprintf(r.domain, sizeof(r.domain), "%s", a->pos[1]);
	if ((rc = store_route_add(c->st, &r, err, sizeof(err))) < 0)
		return ctl_store_error(c, err);
	return done(c, "route", prefix[0] ? prefix : "default", rc, 0);
}

/* caller - faxgatectl caller add|remove|list */
static int cmd_caller(ctl_t *c, const char *verb, struct args *a)
{
	store_caller_t k;
	char err[1024];
	int rc, add = strcmp(verb, "add") == 0;

	if (strcmp(verb, "list") == 0)
		return list(c, "caller list", a, list_callers);
	if ((rc = want(c, add ? "caller add" : "caller remove", a, 1, 0, "pattern")) != 0 ||
	    (rc = check(c, "caller", ONRAMP_F_PATTERN, a->pos[0])) != 0 ||
	    (a->did && (rc = check(c, "caller --did", ONRAMP_F_DID, a->did)) != 0) ||
	    (rc = ctl_open(c)) != 0)
		return rc;
	snprintf(k.pattern, sizeof(k.pattern), "%s", a->pos[0]);
	snprintf(k.did, sizeof(k.did), "%s", a->did ? a->did : "*");
	snprintf(k.kind, sizeof(k.kind), "%s", a->tsi ? "tsi" : "callerid");
	rc = add ? store_caller_add(c->st, &k, err, sizeof(err)) :
	    store_caller_remove(c->st, &k, err, sizeof(err));
	if (rc < 0)
		return ctl_store_error(c, err);
	if (!add && rc == 0) {
		fprintf(c->err, "faxgatectl: caller %s (%s, DID %s): no such caller\n", k.pattern,
		    k.kind, k.did);
		return CTL_EFAIL;
	}
	return done(c, "caller", k.pattern, rc, !add);
}

/* user - faxgatectl user add|remove|list */
static int cmd_user(ctl_t *c, const char *verb, struct args *a)
{
	char err[1024], pw[ONRAMP_PASSWORD_MAX + 8];
	int rc, add = strcmp(verb, "add") == 0;

	if (strcmp(verb, "list") == 0)
		return list(c, "user list", a, list_users);
	if (add && a->npos > 1)
		return ctl_usage_error(c, "user add: a password is read from standard input, never"
		    " from the command line");
	if ((rc = want(c, add ? "user add" : "user remove", a, 1, 0, "user")) != 0 ||
	    (rc = check(c, "user", ONRAMP_F_USER, a->pos[0])) != 0)
		return rc;
	if (!add) {
		if ((rc = ctl_open(c)) != 0)
			return rc;
		if ((rc = store_user_remove(c->st, a->pos[0], err, sizeof(err))) < 0)
			return ctl_store_error(c, err);
		return done(c, "user", a->pos[0], rc, 1);
	}
	if ((rc = read_password(c, a->pos[0], pw, sizeof(pw))) != 0 ||
	    (rc = check(c, "user add", ONRAMP_F_PASSWORD, pw)) != 0 || (rc = ctl_open(c)) != 0) {
		memset(pw, 0, sizeof(pw));
		return rc;
	}
	rc = onramp_user_add(c->st, a->pos[0], pw, c->now, err, sizeof(err));
	memset(pw, 0, sizeof(pw));
	if (rc < 0)
		return ctl_store_error(c, err);
	return done(c, "user", a->pos[0], rc, 0);
}

/* ctl_onramp - faxgatectl did|index|route|caller|user VERB ...; an exit status */
int ctl_onramp(ctl_t *c, int argc, char **argv)
{
	static const struct {
		const char *table, *options;	/* the options of add (remove: the same, list: none) */
		int (*run)(ctl_t *, const char *, struct args *);
	} tables[] = {
		{ "did", "pd", cmd_did }, { "index", "", cmd_index }, { "route", "", cmd_route },
		{ "caller", "Dt", cmd_caller }, { "user", "", cmd_user },
	};
	char cmd[32];
	struct args a;
	int rc;

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		const char *verb = argc > 1 ? argv[1] : "";
		if (strcmp(argv[0], tables[i].table) != 0)
			continue;
		if (strcmp(verb, "add") && strcmp(verb, "remove") && strcmp(verb, "list"))
			return ctl_usage_error(c, "%s: %s%s%sadd, remove or list?", argv[0],
			    *verb ? "unknown action '" : "", verb, *verb ? "'; " : "");
		snprintf(cmd, sizeof(cmd), "%s %s", argv[0], verb);
		/* --did and --tsi also name the row caller remove removes. */
		if ((rc = parse(c, cmd, strcmp(verb, "list") == 0 ? "" : strcmp(verb, "add") == 0 ||
		    tables[i].run == cmd_caller ? tables[i].options : "", argc - 1, argv + 1, &a)) != 0)
			return rc < 0 ? 0 : rc;
		return tables[i].run(c, verb, &a);
	}
	return -1;
}
