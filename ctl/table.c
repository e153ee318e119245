/*
 * table.c - aligned text tables for faxgatectl's human output; see ctl.h.
 *
 * Cells are cleaned for the terminal when added (they hold senders and
 * subjects from mail) and measured in characters, not bytes, so UTF-8
 * names do not push the columns out of line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define MAX_COLS 16
#define CELL_MAX 512

struct ctl_table {
	size_t ncols, nrows;
	char align[MAX_COLS];
	char **cells;		/* (nrows + 1) * ncols; row 0 is the headers */
};

/* oom - allocation failed: nothing sensible is left to print */
static void oom(void)
{
	fputs("faxgatectl: out of memory\n", stderr);
	exit(CTL_ETEMP);
}

/* width - characters in a cleaned (valid UTF-8) string */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* add_row - append one row of ncols cleaned copies */
static void add_row(ctl_table_t *t, const char *const *v)
{
	char **c = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*c));
	char buf[CELL_MAX];

	if (!c)
		oom();
	t->cells = c;
	for (size_t i = 0; i < t->ncols; i++) {
		ctl_clean(buf, sizeof(buf), v[i] ? v[i] : "-");
		if ((c[t->nrows * t->ncols + i] = strdup(buf)) == NULL)
			oom();
	}
	t->nrows++;
}

/* ctl_table_new - a table with these headers (NULL-terminated) and alignment */
ctl_table_t *ctl_table_new(const char *const *headers, const char *align)
{
	ctl_table_t *t = calloc(1, sizeof(*t));

	if (!t)
		oom();
	while (headers[t->ncols] && t->ncols < MAX_COLS) {
		t->align[t->ncols] = align[t->ncols] == 'r' ? 'r' : 'l';
		t->ncols++;
	}
	add_row(t, headers);
	return t;
}

/* ctl_table_add - one row: a const char * per column */
void ctl_table_add(ctl_table_t *t, ...)
{
	const char *v[MAX_COLS];
	va_list ap;

	va_start(ap, t);
	for (size_t i = 0; i < t->ncols; i++)
		v[i] = va_arg(ap, const char *);
	va_end(ap);
	add_row(t, v);
}

/* ctl_table_print - headers and rows, columns two spaces apart */
void ctl_table_print(ctl_table_t *t, FILE *f, const char *indent)
{
	size_t w[MAX_COLS] = { 0 };

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols; i++) {
			size_t cw = width(t->cells[r * t->ncols + i]);
			if (cw > w[i])
				w[i] = cw;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		fputs(indent ? indent : "", f);
		for (size_t i = 0; i < t->ncols; i++) {
			const char *cell = t->cells[r * t->ncols + i];
			int pad = (int)(w[i] - width(cell));
			int last = i + 1 == t->ncols;
			if (t->align[i] == 'r')
				fprintf(f, "%*s%s", pad, "", cell);
			else
				/* No trailing blanks after the last column. */
				fprintf(f, "%s%*s", cell, last ? 0 : pad, "");
			fputs(last ? "\n" : "  ", f);
		}
	}
}

/* ctl_table_free - free the table and its cells */
void ctl_table_free(ctl_table_t *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
