/*
 * dialplan_fuzz.c - libFuzzer target for common/dialplan.c: prefix
 * lists, rewrite rules, the allow/deny decision and number rewriting.
 *
 *	make fuzz		(every target, see the Makefile)
 *
 * The input is a script of lines, each starting with a letter:
 *	aLIST	dialplan_add_list(ALLOW, LIST)
 *	dLIST	dialplan_add_list(DENY, LIST)
 *	rLIST	dialplan_add_rewrites(LIST)
 *	x / y	default allow / deny
 *	nNUMBER	a number to decide about and rewrite after every line
 * Other lines are ignored.
 *
 * A simple model of the documented rules runs alongside: prefix entries
 * are '+' and '-', '.' or digits (at most 15), lists are all or nothing,
 * the longest matching prefix decides, a tie of allow and deny denies,
 * no match takes the default, a number that is not canonical is
 * denied. Besides memory errors it aborts when the module disagrees
 * with the model, or when a promise of dialplan.h breaks: reasons are
 * short ASCII without CR, LF or '%'; a rewritten number is TO (digits,
 * '*', '#', ',') followed by the rest of the number, or the number
 * without '+' when no rule was ever added; a result that does not fit
 * is -1 with "" in out; a failed list changes nothing; a FROM given
 * twice is refused.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialplan.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define MAXRULES	512
#define MAXNUM		32
#define SEPS		", \t\n\r\f\v"

struct model {
	int def;
	char prefix[MAXRULES][17];
	int action[MAXRULES];
	size_t n;
	int rewrites;		/* a rewrite list with entries was accepted */
};

static char numbers[MAXNUM][64];
static size_t nnumbers;
static char rewritten[MAXNUM][8192];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* canonical - '+' and 1 to 15 digits, returns 0/1 */
static int canonical(const char *s)
{
	size_t n = strlen(s);

	return s[0] == '+' && n >= 2 && n <= 16 && strspn(s + 1, "0123456789") == n - 1;
}

/* model_add - the documented list grammar, all or nothing; 0 or -1 */
static int model_add(struct model *m, int action, const char *list)
{
	char tmp[MAXRULES][17];
	size_t k = 0;
	const char *p = list;

	for (;;) {
		p += strspn(p, SEPS);
		if (*p == '\0')
			break;
		size_t len = strcspn(p, SEPS), nd = 0;
		if (p[0] != '+' || strspn(p + 1, "0123456789-.") < len - 1)
			return -1;
		tmp[k][0] = '+';
		for (size_t i = 1; i < len; i++)
			if (p[i] >= '0' && p[i] <= '9') {
				if (nd == 15)
					return -1;
				tmp[k][1 + nd++] = p[i];
			}
		tmp[k][1 + nd] = '\0';
		if (++k + m->n > MAXRULES)
			return -2;	/* beyond the model: not compared */
		p += len;
	}
	for (size_t i = 0; i < k; i++) {
		memcpy(m->prefix[m->n], tmp[i], sizeof(tmp[i]));
		m->action[m->n++] = action;
	}
	return 0;
}

/* model_check - the documented decision, returns DIALPLAN_ALLOW/DENY */
static int model_check(const struct model *m, const char *number)
{
	size_t best = 0, len;
	int allow = 0, deny = 0, any = 0;

	if (!canonical(number))
		return DIALPLAN_DENY;
	for (size_t i = 0; i < m->n; i++) {
		len = strlen(m->prefix[i]);
		if (strncmp(number, m->prefix[i], len) != 0 || len < best)
			continue;
		if (len > best)
			allow = deny = 0;
		best = len;
		any = 1;
		if (m->action[i] == DIALPLAN_ALLOW)
			allow = 1;
		else
			deny = 1;
	}
	if (!any)
		return m->def;
	return allow && !deny ? DIALPLAN_ALLOW : DIALPLAN_DENY;
}

/* reason_ok - short ASCII without CR, LF or '%', returns 0/1 */
static int reason_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 100)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '%')
			return 0;
	return 1;
}

/* add_number - remember a number to test (the list is bounded) */
static void add_number(const char *s, size_t n)
{
	if (nnumbers < MAXNUM && n < sizeof(numbers[0])) {
		memcpy(numbers[nnumbers], s, n);
		numbers[nnumbers++][n] = '\0';
	}
}

/* check_rewrite - one number's rewrite against the promises */
static void check_rewrite(const dialplan_t *dp, const struct model *m, size_t i)
{
	static char out[8192];
	const char *num = numbers[i];
	int r = dialplan_rewrite(dp, num, out, sizeof(out));
	char *small;

	if (!canonical(num)) {
		CHECK(r == -1 && out[0] == '\0');
		return;
	}
	CHECK(r >= 0 && (size_t)r == strlen(out));
	if (!m->rewrites)
		CHECK(strcmp(out, num + 1) == 0);
	/* TO, then a suffix of the number's digits. */
	size_t dl = strlen(num) - 1, k;
	for (k = 0; k <= dl && k <= (size_t)r; k++)
		if (strcmp(out + r - k, num + 1 + dl - k) != 0)
			break;
	k--;			/* the longest suffix that matched (k = 0 always does) */
	CHECK(strspn(out, "0123456789*#,") >= (size_t)r - k);
	/* One octet short: refused, and nothing half-written. */
	small = malloc((size_t)r + 1);
	CHECK(small != NULL);
	CHECK(dialplan_rewrite(dp, num, small, (size_t)r) == -1);
	CHECK(r == 0 || small[0] == '\0');
	CHECK(dialplan_rewrite(dp, num, small, (size_t)r + 1) == r && strcmp(small, out) == 0);
	free(small);
	memcpy(rewritten[i], out, (size_t)r + 1);
}

/* check_all - every known number, module against model */
static void check_all(const dialplan_t *dp, const struct model *m, int compare_rw)
{
	char why[256], *tiny;

	for (size_t i = 0; i < nnumbers; i++) {
		int a = dialplan_check(dp, numbers[i], why, sizeof(why));

		CHECK(a == DIALPLAN_ALLOW || a == DIALPLAN_DENY);
		CHECK(reason_ok(why));
		if (m != NULL && m->n < MAXRULES)
			CHECK(a == model_check(m, numbers[i]));
		if (canonical(numbers[i]))
			CHECK(strncmp(why, numbers[i], strlen(numbers[i])) == 0);
		/* A short buffer is cut, never overrun. */
		tiny = malloc(7);
		CHECK(tiny != NULL);
		CHECK(dialplan_check(dp, numbers[i], tiny, 7) == a && strlen(tiny) <= 6);
		free(tiny);
		if (compare_rw) {
			char before[8192];
			memcpy(before, rewritten[i], sizeof(before));
			check_rewrite(dp, m, i);
			CHECK(strcmp(before, rewritten[i]) == 0);
		} else {
			check_rewrite(dp, m, i);
		}
	}
}

/* LLVMFuzzerTestOneInput - run one script, returns 0 (aborts on a bug) */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	dialplan_t *dp;
	char *s, *line, *next, err[256];

	if (size > 4096)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&m, 0, sizeof(m));
	m.def = DIALPLAN_DENY;
	nnumbers = 0;
	CHECK((dp = dialplan_new()) != NULL);

	/* Numbers first, so every step is checked against all of them. */
	for (line = s; line < s + size; line = next) {
		next = line + strcspn(line, "\n") + 1;
		if (line[0] == 'n')
			add_number(line + 1, strcspn(line + 1, "\n"));
	}
	check_all(dp, &m, 0);
	for (line = s; line < s + size; line = next) {
		size_t len = strcspn(line, "\n");
		int r, mr, entries;

		next = line + len + 1;
		line[len] = '\0';
		err[0] = '\0';
		switch (line[0]) {
		case 'x':
		case 'y':
			dialplan_set_default(dp, line[0] == 'x' ? DIALPLAN_ALLOW : DIALPLAN_DENY);
			m.def = line[0] == 'x' ? DIALPLAN_ALLOW : DIALPLAN_DENY;
			break;
		case 'a':
		case 'd': {
			int action = line[0] == 'a' ? DIALPLAN_ALLOW : DIALPLAN_DENY;
			size_t before = m.n;

			r = dialplan_add_list(dp, action, line + 1, err, sizeof(err));
			mr = model_add(&m, action, line + 1);
			CHECK(r == 0 || r == -1);
			if (mr == -2)
				m.n = MAXRULES;		/* beyond the model: stop comparing */
			else
				CHECK(r == mr);
			/* The reason quotes the entry, which may be any bytes. */
			if (r < 0)
				CHECK(err[0] != '\0' && strlen(err) <= 200);
			/* New canonical prefixes become numbers too. */
			if (r == 0 && mr == 0)
				for (size_t i = before; i < m.n && i < before + 4; i++)
					add_number(m.prefix[i], strlen(m.prefix[i]));
			check_all(dp, &m, r < 0);
			break;
		}
		case 'r':
			entries = strspn(line + 1, SEPS) < strlen(line + 1);
			r = dialplan_add_rewrites(dp, line + 1, err, sizeof(err));
			CHECK(r == 0 || r == -1);
			CHECK(r == 0 || err[0] != '\0');
			if (r == 0 && entries) {
				m.rewrites = 1;
				check_all(dp, &m, 0);
				/* Every FROM is there now: the same list again is refused. */
				CHECK(dialplan_add_rewrites(dp, line + 1, err, sizeof(err)) == -1);
			}
			check_all(dp, &m, 1);
			break;
		}
	}
	check_all(dp, &m, 0);
	/* Invalid actions are refused; NULL lists add nothing. */
	CHECK(dialplan_add_list(dp, 0, "+1", err, sizeof(err)) == -1);
	CHECK(dialplan_add_list(dp, DIALPLAN_ALLOW, NULL, err, sizeof(err)) == 0);
	check_all(dp, &m, 1);
	dialplan_free(dp);
	free(s);
	return 0;
}
