/*
 * dialplan.c - allowed and denied fax number prefixes, rewriting;
 * see dialplan.h.
 *
 * Plans hold a few dozen entries at most and are consulted once per
 * recipient, so lookups are plain linear scans.
 */
#include "dialplan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DP_MAX_DIGITS	15	/* E.164 */
#define DP_ECHO		40	/* how much of a bad entry an error shows */

struct prefix_rule {
	char	prefix[DP_MAX_DIGITS + 2];	/* canonical "+digits" */
	int	action;
};

struct rewrite_rule {
	char	from[DP_MAX_DIGITS + 2];	/* canonical "+digits" */
	char   *to;				/* owned */
};

struct dialplan {
	int	def;				/* default action */
	struct prefix_rule *pr;
	size_t	npr, apr;			/* used, allocated */
	struct rewrite_rule *rw;
	size_t	nrw, arw;
};

/* fail - format an error reason into err, return -1 */
__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* is_sep - list separator test (comma or white space), returns 0/1 */
static int is_sep(int c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
	    || c == '\f' || c == '\v';
}

/* is_space - white space test, returns 0 or 1 */
static int is_space(int c)
{
	return c != ',' && is_sep(c);
}

/*
 * next_entry - find the next list entry at *pp and advance past it,
 * returns its length (0 at the end of the list). With comma_in_to, a
 * comma stays in the entry unless only separators lie between it and
 * a '+' or the end, because a rewrite's TO may contain ',' pauses.
 */
static size_t next_entry(const char **pp, const char **start, int comma_in_to)
{
	const char *p = *pp, *q;

	while (*p != 0 && is_sep(*p))
		p++;
	*start = p;
	while (*p != 0 && !is_space(*p)) {
		if (*p == ',') {
			if (!comma_in_to)
				break;
			for (q = p; *q != 0 && is_sep(*q); q++)
				continue;
			if (*q == 0 || *q == '+')
				break;
		}
		p++;
	}
	*pp = p;
	return (size_t) (p - *start);
}

/* echo_len - how much of an n-octet entry to quote, returns it */
static int echo_len(size_t n)
{
	return n > DP_ECHO ? DP_ECHO : (int) n;
}

/* echo_more - "..." when the quoted entry was cut, returns it or "" */
static const char *echo_more(size_t n)
{
	return n > DP_ECHO ? "..." : "";
}

/*
 * parse_prefix - canonicalise '+' [digits and '-' '.'] (n octets) into
 * out, returns 0, -1 if not of that form, -2 if more than 15 digits.
 */
static int parse_prefix(const char *p, size_t n, char *out)
{
	size_t i, nd = 0;

	/* Form first, so "+1234...x" is reported as malformed, not long. */
	if (n == 0 || p[0] != '+' || strspn(p + 1, "0123456789-.") < n - 1)
		return -1;
	out[0] = '+';
	for (i = 1; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9') {
			if (nd == DP_MAX_DIGITS)
				return -2;
			out[1 + nd++] = p[i];
		}
	}
	out[1 + nd] = 0;
	return 0;
}

/* is_canonical - is number '+' and 1 to 15 digits, returns 0 or 1 */
static int is_canonical(const char *number)
{
	size_t i;

	if (number == NULL || number[0] != '+')
		return 0;
	for (i = 1; number[i] != 0; i++)
		if (number[i] < '0' || number[i] > '9' || i > DP_MAX_DIGITS)
			return 0;
	return i > 1;
}

/* dialplan_new - create an empty plan, returns it or NULL */
dialplan_t *dialplan_new(void)
{
	dialplan_t *dp = calloc(1, sizeof(*dp));

	if (dp != NULL)
		dp->def = DIALPLAN_DENY;
	return dp;
}

/* dialplan_free - release a plan and everything it owns */
void dialplan_free(dialplan_t *dp)
{
	size_t i;

	if (dp == NULL)
		return;
	for (i = 0; i < dp->nrw; i++)
		free(dp->rw[i].to);
	free(dp->rw);
	free(dp->pr);
	free(dp);
}

/* dialplan_set_default - set the no-match action, anything but ALLOW denies */
void dialplan_set_default(dialplan_t *dp, int action)
{
	dp->def = action == DIALPLAN_ALLOW ? DIALPLAN_ALLOW : DIALPLAN_DENY;
}

/* dialplan_add_list - add allowed or denied prefixes, returns 0 or -1 */
int dialplan_add_list(dialplan_t *dp, int action, const char *list,
    char *err, size_t errlen)
{
	const char *p, *ent;
	size_t n, count = 0, k;
	void *grown;

	if (action != DIALPLAN_ALLOW && action != DIALPLAN_DENY)
		return fail(err, errlen, "invalid dial plan action %d", action);
	if (list == NULL)
		return 0;
	for (p = list; next_entry(&p, &ent, 0) > 0; )
		count++;
	if (count == 0)
		return 0;

	/*
	 * Reserve room first and fill it beyond npr: the entries only
	 * count once all have parsed, so an error leaves the plan as it
	 * was.
	 */
	if (dp->npr + count > dp->apr) {
		if ((grown = realloc(dp->pr, (dp->npr + count) * sizeof(*dp->pr))) == NULL)
			return fail(err, errlen, "out of memory");
		dp->pr = grown;
		dp->apr = dp->npr + count;
	}
	for (p = list, k = 0; (n = next_entry(&p, &ent, 0)) > 0; k++) {
		struct prefix_rule *r = dp->pr + dp->npr + k;

		switch (parse_prefix(ent, n, r->prefix)) {
		case -1:
			return fail(err, errlen, "dial plan entry '%.*s%s' is not a '+' followed by digits",
			    echo_len(n), ent, echo_more(n));
		case -2:
			return fail(err, errlen, "dial plan entry '%.*s%s' has more than %d digits",
			    echo_len(n), ent, echo_more(n), DP_MAX_DIGITS);
		}
		r->action = action;
	}
	dp->npr += count;
	return 0;
}

/* dialplan_add_rewrites - add FROM=TO rules, returns 0 or -1 */
int dialplan_add_rewrites(dialplan_t *dp, const char *list,
    char *err, size_t errlen)
{
	const char *p, *ent, *eq;
	size_t n, count = 0, k, i, tolen;
	void *grown;
	int ret = 0;

	if (list == NULL)
		return 0;
	for (p = list; next_entry(&p, &ent, 1) > 0; )
		count++;
	if (count == 0)
		return 0;
	if (dp->nrw + count > dp->arw) {
		if ((grown = realloc(dp->rw, (dp->nrw + count) * sizeof(*dp->rw))) == NULL)
			return fail(err, errlen, "out of memory");
		dp->rw = grown;
		dp->arw = dp->nrw + count;
	}
	for (p = list, k = 0; (n = next_entry(&p, &ent, 1)) > 0; k++) {
		struct rewrite_rule *r = dp->rw + dp->nrw + k;

		r->to = NULL;
		if ((eq = memchr(ent, '=', n)) == NULL) {
			ret = fail(err, errlen, "rewrite entry '%.*s%s' has no '=' between FROM and TO",
			    echo_len(n), ent, echo_more(n));
			break;
		}
		switch (parse_prefix(ent, (size_t) (eq - ent), r->from)) {
		case -1:
			ret = fail(err, errlen, "rewrite entry '%.*s%s': FROM is not a '+' followed by digits",
			    echo_len(n), ent, echo_more(n));
			break;
		case -2:
			ret = fail(err, errlen, "rewrite entry '%.*s%s': FROM has more than %d digits",
			    echo_len(n), ent, echo_more(n), DP_MAX_DIGITS);
			break;
		}
		if (ret < 0)
			break;
		tolen = n - (size_t) (eq + 1 - ent);
		if (strspn(eq + 1, "0123456789*#,") < tolen) {
			ret = fail(err, errlen, "rewrite entry '%.*s%s': TO may contain only digits, '*', '#' and ','",
			    echo_len(n), ent, echo_more(n));
			break;
		}
		/* With two rules for one FROM the result would depend on order. */
		for (i = 0; i < dp->nrw + k; i++)
			if (strcmp(dp->rw[i].from, r->from) == 0)
				break;
		if (i < dp->nrw + k) {
			ret = fail(err, errlen, "rewrite entry '%.*s%s': there is already a rewrite for %s",
			    echo_len(n), ent, echo_more(n), r->from);
			break;
		}
		if ((r->to = malloc(tolen + 1)) == NULL) {
			ret = fail(err, errlen, "out of memory");
			break;
		}
		memcpy(r->to, eq + 1, tolen);
		r->to[tolen] = 0;
	}
	if (ret < 0) {
		for (i = 0; i < k; i++)
			free(dp->rw[dp->nrw + i].to);
		return ret;
	}
	dp->nrw += count;
	return 0;
}

/* dialplan_check - allow or deny a number, returns DIALPLAN_ALLOW/DENY */
int dialplan_check(const dialplan_t *dp, const char *number,
    char *why, size_t whylen)
{
	const char *best = NULL;
	size_t i, len, bestlen = 0;
	int allow = 0, deny = 0;

	if (dp == NULL) {
		fail(why, whylen, "no dial plan is configured");
		return DIALPLAN_DENY;
	}
	if (!is_canonical(number)) {
		fail(why, whylen, "the number is not '+' followed by 1 to %d digits", DP_MAX_DIGITS);
		return DIALPLAN_DENY;
	}
	for (i = 0; i < dp->npr; i++) {
		len = strlen(dp->pr[i].prefix);
		if (strncmp(number, dp->pr[i].prefix, len) != 0)
			continue;
		if (best == NULL || len > bestlen) {
			best = dp->pr[i].prefix;
			bestlen = len;
			allow = deny = 0;
		}
		if (len == bestlen) {
			if (dp->pr[i].action == DIALPLAN_ALLOW)
				allow = 1;
			else
				deny = 1;
		}
	}
	if (best == NULL) {
		fail(why, whylen, "%s matches no %s prefix", number,
		    dp->def == DIALPLAN_ALLOW ? "denied" : "allowed");
		return dp->def;
	}
	/* A prefix listed both ways is a configuration mistake: fail closed. */
	if (allow && deny) {
		fail(why, whylen, "%s matches prefix %s, which is both allowed and denied",
		    number, best);
		return DIALPLAN_DENY;
	}
	fail(why, whylen, "%s matches %s prefix %s", number,
	    allow ? "allowed" : "denied", best);
	return allow ? DIALPLAN_ALLOW : DIALPLAN_DENY;
}

/* dialplan_rewrite - turn a number into a dial string, returns its length or -1 */
int dialplan_rewrite(const dialplan_t *dp, const char *number,
    char *out, size_t outlen)
{
	const struct rewrite_rule *best = NULL;
	const char *to = "", *rest;
	size_t i, len, bestlen = 0, tolen, restlen;

	if (out != NULL && outlen > 0)
		out[0] = 0;
	if (dp == NULL || out == NULL || !is_canonical(number))
		return -1;
	for (i = 0; i < dp->nrw; i++) {
		len = strlen(dp->rw[i].from);
		if (strncmp(number, dp->rw[i].from, len) == 0
		    && (best == NULL || len > bestlen)) {
			best = dp->rw + i;
			bestlen = len;
		}
	}
	if (best != NULL) {
		to = best->to;
		rest = number + bestlen;
	} else {
		rest = number + 1;
	}
	tolen = strlen(to);
	restlen = strlen(rest);
	if (tolen + restlen >= outlen)
		return -1;
	memcpy(out, to, tolen);
	memcpy(out + tolen, rest, restlen + 1);
	return (int) (tolen + restlen);
}
