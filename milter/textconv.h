/*
 * NAME
 *	textconv - decoded text of any charset to clean UTF-8
 *
 * SYNOPSIS
 *	#include "textconv.h"
 *
 *	unsigned char *textconv_utf8(const unsigned char *in, size_t len,
 *			const char *charset, size_t *outlen);
 *	unsigned char *textconv_valid_utf8(const unsigned char *in,
 *			size_t len, size_t *outlen);
 *	int	textconv_is_blank(const unsigned char *text, size_t len);
 *
 * DESCRIPTION
 *	textconv_utf8() converts the len bytes at in (a text part with its
 *	Content-Transfer-Encoding already removed) from charset, the
 *	part's charset parameter, to UTF-8. charset may be NULL or empty.
 *	A charset that names UTF-8 (in any spelling GMime knows) is checked,
 *	not converted; any other charset that iconv knows is converted,
 *	each byte invalid in it becoming U+FFFD. With no charset, a
 *	US-ASCII one (often a lie: 8-bit text behind it is common) or one
 *	that iconv does not know, the text is taken as UTF-8 when it is
 *	valid UTF-8 and as windows-1252 otherwise; the five bytes
 *	windows-1252 leaves undefined (0x81, 0x8d, 0x8f, 0x90, 0x9d) are
 *	taken as ISO-8859-1, i.e. as the C1 controls of the same value.
 *	The result is always valid UTF-8; CRLF becomes LF and NUL bytes
 *	are dropped, so it is a C string of *outlen bytes.
 *
 *	textconv_valid_utf8() copies in with each byte that does not start
 *	a valid UTF-8 sequence replaced by U+FFFD and NUL bytes dropped;
 *	the result is a C string of *outlen bytes. Line ends are kept.
 *
 *	textconv_is_blank() says whether the UTF-8 text is empty or only
 *	whitespace: Unicode spaces and line ends, U+FEFF (a byte order
 *	mark) and U+200B (zero-width space) count as blank; an invalid
 *	byte or a NUL does not (textconv_utf8() leaves none). Such a
 *	text would make an empty fax page.
 *
 *	These calls use GMime's charset tables and iconv cache, so
 *	g_mime_init() must have run (intake_init() does it). They are
 *	thread-safe after that.
 *
 * RETURN VALUE
 *	textconv_utf8() and textconv_valid_utf8() return a malloc()ed
 *	buffer the caller frees, or NULL when out of memory (then *outlen
 *	is undefined). textconv_is_blank() returns 1 or 0.
 */
#ifndef FAXGATE_TEXTCONV_H
#define FAXGATE_TEXTCONV_H

#include <stddef.h>

extern unsigned char *textconv_utf8(const unsigned char *in, size_t len,
				    const char *charset, size_t *outlen);
extern unsigned char *textconv_valid_utf8(const unsigned char *in, size_t len,
					  size_t *outlen);
extern int textconv_is_blank(const unsigned char *text, size_t len);

#endif
