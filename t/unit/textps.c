/*
 * textps.c - unit tests for dialer/textps.c
 *
 * The typesetter's output is compared as PostScript text: where a
 * line breaks, what a character becomes and when a page starts are
 * decided here, not by Ghostscript, so the text is the whole truth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "textps.h"

static textps_t t;

/* typeset - typeset the C string s, returns the malloc()ed PostScript */
static char *typeset(const char *s, size_t cols, int cover, unsigned max_pages)
{
	char   *buf = NULL;
	size_t	len = 0;
	FILE   *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		return strdup("open_memstream failed");
	textps_init(&t, fp, cols, cover, max_pages);
	textps_utf8(&t, (const unsigned char *) s, strlen(s));
	fclose(fp);
	return buf;
}

/* ps_is - typeset s as text of cols columns, compare, check pages */
static void ps_is(const char *s, size_t cols, const char *want,
		  unsigned pages, const char *name)
{
	char   *got = typeset(s, cols, 0, 500);

	is_str(got, want, "%s", name);
	is_int(t.pages, pages, "%s: %u page(s)", name, pages);
	free(got);
}

/* rep - n copies of c in a static buffer (one at a time) */
static const char *rep(int c, size_t n)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	memset(buf[i], c, n);
	buf[i][n] = 0;
	return buf[i];
}

/* count - occurrences of needle in hay */
static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

int	main(void)
{
	char	in[1024], want[1024], *got;
	int	i;

	ps_is("hello\n", 80, "%%Page: 1 1\nP\n(hello) L\nshowpage\n", 1, "one line");
	ps_is("", 80, "", 0, "an empty text makes no page");
	ps_is("\n \n\t\n\f\n", 80, "", 0, "a blank text makes no page");
	ps_is("a\n\nb\n\n\n", 80, "%%Page: 1 1\nP\n(a) L\nN\n(b) L\nshowpage\n", 1,
	      "inner empty line kept, trailing ones dropped");

	/* 50 a, a space, 40 b: the break is at the space, which goes. */
	snprintf(in, sizeof(in), "%s %s", rep('a', 50), rep('b', 40));
	snprintf(want, sizeof(want), "%%%%Page: 1 1\nP\n(%s) L\n(%s) L\nshowpage\n",
		 rep('a', 50), rep('b', 40));
	ps_is(in, 80, want, 1, "a word wraps at the last space");
	/* A space in the first half is not used: the word is cut. */
	snprintf(in, sizeof(in), "%s %s", rep('a', 10), rep('b', 80));
	snprintf(want, sizeof(want), "%%%%Page: 1 1\nP\n(%s %s) L\n(%s) L\nshowpage\n",
		 rep('a', 10), rep('b', 69), rep('b', 11));
	ps_is(in, 80, want, 1, "a long word is cut at the page width");
	snprintf(in, sizeof(in), "%s \nnext", rep('x', 80));
	snprintf(want, sizeof(want), "%%%%Page: 1 1\nP\n(%s) L\n(next) L\nshowpage\n",
		 rep('x', 80));
	ps_is(in, 80, want, 1, "a line of exactly 80 makes no empty line");
	ps_is("abcdefghijkl", 5, "%%Page: 1 1\nP\n(abcde) L\n(fghij) L\n(kl) L\nshowpage\n",
	      1, "cut at 5 columns");

	ps_is("a\tb\n12345678\tc", 80,
	      "%%Page: 1 1\nP\n(a       b) L\n(12345678        c) L\nshowpage\n", 1,
	      "tabs every 8 columns");
	ps_is("one\ftwo", 80,
	      "%%Page: 1 1\nP\n(one) L\nshowpage\n%%Page: 2 2\nP\n(two) L\nshowpage\n",
	      2, "a form feed starts a page");
	ps_is("one\n\n\ftwo\f\f", 80,
	      "%%Page: 1 1\nP\n(one) L\nshowpage\n%%Page: 2 2\nP\n(two) L\nshowpage\n",
	      2, "blank lines before a form feed and empty pages vanish");

	/* Characters: Latin-1 as octal escapes, others replaced or dropped. */
	ps_is("caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d \xe2\x80\x94 \xe2\x82\xac" "5 \xe4\xb8\xad \xe2\x84\xa2",
	      80, "%%Page: 1 1\nP\n(caf\\351 \"q\" - EUR5 ? \\(TM\\)) L\nshowpage\n", 1,
	      "Latin-1, quotes, dash, euro, CJK, trade mark");
	ps_is("(a\\b)", 80, "%%Page: 1 1\nP\n(\\(a\\\\b\\)) L\nshowpage\n", 1,
	      "parentheses and backslash escaped");
	ps_is("x\xff" "y\xc3", 80, "%%Page: 1 1\nP\n(x\\377y\\303) L\nshowpage\n", 1,
	      "invalid UTF-8 taken as Latin-1");
	ps_is("a\r\x01" "b\xc2\x85" "c\xcc\x81" "d\xe2\x80\x8b" "e\xef\xbb\xbf" "f",
	      80, "%%Page: 1 1\nP\n(abcdef) L\nshowpage\n", 1,
	      "CR, controls, C1, combining marks, zero-width dropped");

	/* 61 lines: the 61st starts page 2. */
	for (in[0] = 0, i = 0; i < 61; i++)
		strcat(in, "x\n");
	got = typeset(in, 80, 0, 500);
	is_int(t.pages, 2, "61 lines make 2 pages");
	is_int(count(got, " L\n"), 61, "61 lines shown");
	is_int(count(got, "showpage\n"), 2, "each page shown");
	ok(strstr(got, "%%Page: 2 2\nP\n(x) L\nshowpage\n") != NULL,
	   "page 2 holds the last line");
	free(got);

	/* Stops once more than max_pages were begun. */
	got = typeset("a\fb\fc\fd", 80, 0, 1);
	is_int(t.pages, 2, "max_pages 1: stops at page 2");
	ok(strstr(got, "(b) L") != NULL && strstr(got, "(c)") == NULL,
	   "max_pages 1: nothing after page 2");
	free(got);

	/* Cover values: controls are spaces, V lines, at most 4 of them. */
	got = typeset("a\nb\tc", 54, 1, 500);
	is_str(got, "(a b c) V\n", "cover value: controls as spaces");
	is_int(t.pages, 0, "cover value: no page");
	free(got);
	got = typeset("one two three four five six seven eight nine ten", 10, 1, 500);
	is_str(got, "(one two) V\n(three four) V\n(five six) V\n(seven) V\n",
	       "cover value: 4 lines of 10 columns at most");
	is_int(t.lines, 6, "cover value: 6 lines counted");
	free(got);

	ok(strncmp(textps_prolog, "%!PS-Adobe-3.0\n", 15) == 0
	   && strstr(textps_prolog, "/L {") && strstr(textps_prolog, "/P {")
	   && strstr(textps_prolog, "/N {"), "prolog defines P, L and N");
	ok(strstr(textps_cover_prolog, "/K {") && strstr(textps_cover_prolog, "/V {")
	   && strstr(textps_cover_prolog, "/G {"), "cover prolog defines K, V and G");
	return done_testing();
}
