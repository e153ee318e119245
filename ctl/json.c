/*
 * json.c - a small JSON writer for faxgatectl --json; see ctl.h.
 *
 * Debian's base system has no JSON library for C worth a dependency for
 * this: the output is a few nested objects of strings and integers.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"

#define MAX_DEPTH 16

struct ctl_json {
	FILE *f;
	int depth;
	int count[MAX_DEPTH];	/* members written at each level */
	char close[MAX_DEPTH];	/* '}' or ']' */
};

/* ctl_json_new - a writer on f, NULL if out of memory */
ctl_json_t *ctl_json_new(FILE *f)
{
	ctl_json_t *j = calloc(1, sizeof(*j));

	if (j)
		j->f = f;
	return j;
}

/* ctl_json_free - free the writer (the output is not touched) */
void ctl_json_free(ctl_json_t *j)
{
	free(j);
}

/* ctl_json_quote - s as a JSON string; bytes that are not UTF-8 become U+FFFD */
void ctl_json_quote(FILE *f, const char *s)
{
	unsigned cp;
	int n;

	fputc('"', f);
	while (*s) {
		n = ctl_utf8(s, &cp);
		if (n == 0) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		switch (cp) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (cp < 0x20 || cp == 0x7f)
				fprintf(f, "\\u%04x", cp);
			else
				fwrite(s, 1, (size_t)n, f);
		}
		s += n;
	}
	fputc('"', f);
}

/* member - the separator, indentation and key of the next value */
static void member(ctl_json_t *j, const char *key)
{
	if (j->depth > 0) {
		if (j->count[j->depth]++)
			fputc(',', j->f);
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	}
	if (key && j->depth > 0 && j->close[j->depth] == '}') {
		ctl_json_quote(j->f, key);
		fputs(": ", j->f);
	}
}

/* ctl_json_begin - open an object (array 0) or an array (array 1) */
void ctl_json_begin(ctl_json_t *j, const char *key, int array)
{
	/* faxgatectl nests three deep; deeper is a bug, not data. */
	if (j->depth + 1 >= MAX_DEPTH)
		abort();
	member(j, key);
	fputc(array ? '[' : '{', j->f);
	j->depth++;
	j->count[j->depth] = 0;
	j->close[j->depth] = array ? ']' : '}';
}

/* ctl_json_end - close the innermost object or array */
void ctl_json_end(ctl_json_t *j)
{
	char c = j->close[j->depth];

	if (j->depth == 0)
		return;
	if (j->count[j->depth])
		fprintf(j->f, "\n%*s", 2 * (j->depth - 1), "");
	fputc(c, j->f);
	if (--j->depth == 0)
		fputc('\n', j->f);
}

/* ctl_json_str - a string member or element; NULL writes null */
void ctl_json_str(ctl_json_t *j, const char *key, const char *v)
{
	member(j, key);
	if (v)
		ctl_json_quote(j->f, v);
	else
		fputs("null", j->f);
}

/* ctl_json_int - an integer member or element */
void ctl_json_int(ctl_json_t *j, const char *key, long v)
{
	member(j, key);
	fprintf(j->f, "%ld", v);
}

/* ctl_json_time - a unix time member or element; 0 (never) writes null */
void ctl_json_time(ctl_json_t *j, const char *key, long t)
{
	if (t > 0)
		ctl_json_int(j, key, t);
	else
		ctl_json_null(j, key);
}

/* ctl_json_null - a null member or element */
void ctl_json_null(ctl_json_t *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

/* ctl_json_bool - true or false, as a member or element */
void ctl_json_bool(ctl_json_t *j, const char *key, int v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}
