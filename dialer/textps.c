/*
 * textps - typeset plain text as PostScript for a fax page.
 *
 * See textps.h for the interface. Lines and pages are laid out here,
 * in C, and PostScript only shows the finished lines: so the page
 * count is known, and a text too long refused, before Ghostscript
 * runs at all, and a monospaced font makes the column count exact.
 */
#include <stdio.h>
#include <string.h>

#include "textps.h"

/* Characters beyond Latin-1 with a fair stand-in; the rest print as '?'. */
static const struct {
	unsigned cp;
	const char *s;
} subst[] = {
	{0x2018, "'"}, {0x2019, "'"}, {0x201a, "'"}, {0x2032, "'"}, {0x201c, "\""},
	{0x201d, "\""}, {0x201e, "\""}, {0x2033, "\""}, {0x2212, "-"}, {0x2026, "..."},
	{0x20ac, "EUR"}, {0x2022, "\xb7"}, {0x2039, "<"}, {0x203a, ">"}, {0x2122, "(TM)"},
};

/*
 * What both typeset pages start with: a page one fax line wide and A4
 * high, and Courier-Bold (plain Courier is one pixel thin at fax
 * resolution) re-encoded to ISO Latin-1, with the straight quote and
 * the grave accent that ASCII text means. P starts a page, L shows a
 * line, N skips one.
 */
const char textps_prolog[] =
    "%!PS-Adobe-3.0\n<< /PageSize [609.882 841.89] >> setpagedevice\n"
    "/RE { findfont dup length dict begin { 1 index /FID ne { def } { pop pop } ifelse } forall\n"
    " /Encoding ISOLatin1Encoding 256 array copy dup 39 /quotesingle put dup 96 /grave put def\n"
    " currentdict end definefont pop } bind def /FC /Courier-Bold RE\n"
    "/N { 0 -12 rmoveto } bind def /L { gsave show grestore N } bind def\n"
    "/P { /FC findfont 10 scalefont setfont 64.94 782 moveto } bind def\n";

/* The cover page: K shows a label, V a line of its value, G a gap. */
const char textps_cover_prolog[] =
    "P /Helvetica-Bold findfont 40 scalefont setfont 60 765 moveto (FAX) show\n"
    "60 750 moveto 550 750 lineto 2 setlinewidth stroke /Y 715 def\n"
    "/K { /Helvetica-Bold findfont 13 scalefont setfont 60 Y moveto show } bind def\n"
    "/V { /FC findfont 12 scalefont setfont 160 Y moveto show /Y Y 16 sub def } bind def\n"
    "/G { /Y Y 12 sub def } bind def\n";

/* ps_str - write s as a PostScript string in ASCII */
static void ps_str(FILE *fp, const unsigned char *s, size_t n)
{
	putc('(', fp);
	for (; n > 0; n--, s++)
		if (*s == '(' || *s == ')' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if (*s < 0x20 || *s >= 0x7f)
			fprintf(fp, "\\%03o", *s);
		else
			putc(*s, fp);
	putc(')', fp);
}

/*
 * ts_emit - show one finished line. Empty lines wait for a line with
 * text, so blank lines at the end or before a form feed make no page.
 */
static void ts_emit(textps_t *t, const unsigned char *s, size_t n)
{
	if (t->cover || n == 0) {
		if (n == 0)
			t->blank++;
		else if (t->lines++ < 4)
			ps_str(t->fp, s, n), fputs(" V\n", t->fp);
		return;
	}
	for (;; t->blank--) {
		if (t->lines == 0 && ++t->pages)
			fprintf(t->fp, "%%%%Page: %u %u\nP\n", t->pages, t->pages);
		if (t->blank == 0)
			ps_str(t->fp, s, n), fputs(" L\n", t->fp);
		else
			fputs("N\n", t->fp);
		if (++t->lines == TEXTPS_LINES)
			fputs("showpage\n", t->fp), t->lines = 0;
		if (t->blank == 0)
			break;
	}
}

/* ts_break - end the line at n (dropping a space there), keep the rest */
static void ts_break(textps_t *t, size_t n)
{
	size_t	k = n;

	while (k > 0 && t->buf[k - 1] == ' ')
		k--;
	ts_emit(t, t->buf, k);
	n += n < t->len && t->buf[n] == ' ';
	memmove(t->buf, t->buf + n, t->len - n);
	t->len -= n;
}

/* ts_put - typeset one Latin-1 character, \n, \t or \f */
static void ts_put(textps_t *t, int c)
{
	size_t	k;

	if (c == '\n' || c == '\f') {
		if (t->len > 0 || !t->wrapped)
			ts_break(t, t->len);
		t->wrapped = 0;
		if (c == '\f' && (t->blank = 0, t->lines > 0))
			fputs("showpage\n", t->fp), t->lines = 0;
		return;
	}
	if (c == '\t') {
		do
			ts_put(t, ' ');
		while (t->len % 8);
		return;
	}
	if (t->len == t->cols) {
		/* Wrap at the last space in the second half, else cut the word. */
		for (k = t->len; k > t->cols / 2 && t->buf[k - 1] != ' '; k--)
			;
		ts_break(t, c == ' ' || k <= t->cols / 2 ? t->len : k - 1);
		if (c == ' ') {
			t->wrapped = t->len == 0;
			return;
		}
	}
	t->buf[t->len++] = (unsigned char) c;
	t->wrapped = 0;
}

/* textps_init - start a typesetter writing to fp */
void	textps_init(textps_t *t, FILE *fp, size_t cols, int cover,
		    unsigned max_pages)
{
	memset(t, 0, sizeof(*t));
	t->fp = fp;
	t->cols = cols > 0 && cols <= TEXTPS_MAX_COLS ? cols : TEXTPS_MAX_COLS;
	t->cover = cover;
	t->max_pages = max_pages;
}

/* textps_utf8 - typeset n bytes of UTF-8 to the end; an invalid byte is taken as Latin-1 */
void	textps_utf8(textps_t *t, const unsigned char *s, size_t n)
{
	size_t	i = 0, len, k;
	unsigned cp, c;
	const char *sub;

	while (i < n && t->pages <= t->max_pages) {
		c = cp = s[i];
		len = 1;
		if (c >= 0xc2 && c <= 0xf4) {
			len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
			cp = c & (0x7fu >> len);
			for (k = 1; k < len && i + k < n && (s[i + k] & 0xc0) == 0x80; k++)
				cp = cp << 6 | (s[i + k] & 0x3f);
			if (k < len || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
				cp = c, len = 1;
		}
		i += len;
		/* CR, DEL, C1 controls, combining marks, zero-width characters */
		if (cp == '\r' || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x300 && cp < 0x370)
		    || (cp >= 0x200b && cp <= 0x200f) || cp == 0xfeff)
			continue;
		if (cp < 0x20 && t->cover)
			cp = ' ';
		else if (cp < 0x20 && cp != '\n' && cp != '\t' && cp != '\f')
			continue;
		if (cp < 0x100) {
			ts_put(t, (int) cp);
			continue;
		}
		sub = cp >= 0x2010 && cp <= 0x2015 ? "-" : "?";
		for (k = 0; k < sizeof(subst) / sizeof(subst[0]); k++)
			sub = subst[k].cp == cp ? subst[k].s : sub;
		while (*sub)
			ts_put(t, (unsigned char) *sub++);
	}
	ts_break(t, t->len);
	t->blank = 0;
	if (t->lines > 0 && !t->cover)
		fputs("showpage\n", t->fp), t->lines = 0;
}
