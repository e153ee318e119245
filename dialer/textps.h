/*
 * NAME
 *	textps - typeset plain text as PostScript for a fax page
 *
 * SYNOPSIS
 *	#include "textps.h"
 *
 *	extern const char textps_prolog[];
 *	extern const char textps_cover_prolog[];
 *
 *	void	textps_init(textps_t *t, FILE *fp, size_t cols, int cover,
 *			unsigned max_pages);
 *	void	textps_utf8(textps_t *t, const unsigned char *s, size_t n);
 *
 * DESCRIPTION
 *	textps_prolog is what a typeset file starts with: a page 1728
 *	pixels at 204 dpi wide (215 mm) and A4 high, Courier-Bold
 *	re-encoded to ISO Latin-1, and the procedures P (start a page in
 *	10 pt), L (show a string and move one 12 pt line down) and N
 *	(skip a line). textps_cover_prolog follows it on a cover page: it
 *	starts the page with a "FAX" title and defines K (show a label),
 *	V (show a line of its value in 12 pt) and G (leave a gap).
 *
 *	textps_init() sets t up to write to fp, wrapping at cols columns
 *	(1 to TEXTPS_MAX_COLS; anything else means TEXTPS_MAX_COLS).
 *	With cover 0 the text makes pages of TEXTPS_LINES lines, each
 *	begun with a DSC "%%Page: n n" comment and P and ended with
 *	showpage; typesetting stops once more than max_pages pages were
 *	begun. With cover 1 the text is a cover page value: each of at
 *	most its first 4 lines is shown with V, on no page of its own.
 *
 *	textps_utf8() typesets the n bytes at s, UTF-8 (a byte that does
 *	not start a valid sequence is taken as Latin-1), to the end.
 *	Words wrap at the last space in the second half of the line,
 *	else the word is cut; the space at a wrap is dropped, a line
 *	that ends right where it wraps makes no extra empty line. A tab
 *	moves to the next multiple of 8 columns; a form feed starts a
 *	new page. CR, DEL, the other C0 controls (in a cover value every
 *	C0 control but CR is a space instead), C1 controls, combining
 *	marks (U+0300-U+036F) and zero-width characters (U+200B-U+200F,
 *	U+FEFF) are dropped.
 *	Characters outside Latin-1 print as '?', except common
 *	punctuation: curly quotes and primes as ' and ", dashes
 *	(U+2010-U+2015) and minus as '-', the ellipsis as "...", the euro
 *	sign as "EUR", the bullet as a middle dot, angle quotes as < and
 *	>, the trade mark sign as "(TM)". Empty lines at the end of the
 *	text or before a form feed make no page, so an empty or blank
 *	text makes none.
 *
 *	Afterwards t->pages is the number of pages begun (0 for a cover
 *	value) and t->lines the number of lines shown of a cover value.
 *	Characters are written as PostScript strings in ASCII, with
 *	octal escapes for bytes outside 0x20-0x7e.
 *
 * DIAGNOSTICS
 *	None: write errors stay in fp's error indicator for the caller's
 *	ferror().
 */
#ifndef FAXGATE_TEXTPS_H
#define FAXGATE_TEXTPS_H

#include <stddef.h>
#include <stdio.h>

#define TEXTPS_MAX_COLS	80		/* the widest line */
#define TEXTPS_LINES	60		/* lines on a text page */

typedef struct textps {
	FILE   *fp;
	int	cover;			/* a cover value: at most 4 lines */
	int	wrapped;		/* the line just ended by wrapping */
	size_t	cols, len;
	unsigned lines, pages, blank;	/* blank: empty lines not yet shown */
	unsigned max_pages;		/* stop after beginning one more */
	unsigned char buf[TEXTPS_MAX_COLS + 1];
} textps_t;

extern const char textps_prolog[];
extern const char textps_cover_prolog[];

extern void textps_init(textps_t *t, FILE *fp, size_t cols, int cover,
			unsigned max_pages);
extern void textps_utf8(textps_t *t, const unsigned char *s, size_t n);

#endif
