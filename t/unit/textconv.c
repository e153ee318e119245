/*
 * textconv.c - unit tests for milter/textconv.c
 *
 * Each case gives bytes as a sender's mail client would and checks
 * the exact UTF-8 that goes on paper.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "tap.h"
#include "textconv.h"

/* conv_is - textconv_utf8() of len bytes equals want (a C string) */
static void conv_is(const char *in, size_t len, const char *charset,
		    const char *want, const char *name)
{
	size_t	outlen = 12345;
	unsigned char *out = textconv_utf8((const unsigned char *) in, len,
					   charset, &outlen);

	if (!ok(out != NULL, "%s: converted", name))
		return;
	is_str((const char *) out, want, "%s: text", name);
	is_int((long long) outlen, (long long) strlen(want), "%s: length", name);
	free(out);
}

/* valid_is - textconv_valid_utf8() of len bytes equals want */
static void valid_is(const char *in, size_t len, const char *want,
		     const char *name)
{
	size_t	outlen = 12345;
	unsigned char *out = textconv_valid_utf8((const unsigned char *) in,
						 len, &outlen);

	if (!ok(out != NULL, "%s: copied", name))
		return;
	is_str((const char *) out, want, "%s: text", name);
	is_int((long long) outlen, (long long) strlen(want), "%s: length", name);
	free(out);
}

/* blank - textconv_is_blank() of a C string */
static int blank(const char *s)
{
	return textconv_is_blank((const unsigned char *) s, strlen(s));
}

int	main(void)
{
	intake_init();			/* GMime's charset tables */

	/* No charset and not UTF-8: windows-1252, the 0x80-0x9f range too. */
	conv_is("caf\xe9 \x80 \x93q\x94 \x96", 12, NULL,
		"caf\xc3\xa9 \xe2\x82\xac \xe2\x80\x9cq\xe2\x80\x9d \xe2\x80\x93",
		"undeclared windows-1252");
	conv_is("\x81\x8d\x8f\x90\x9d", 5, "",
		"\xc2\x81\xc2\x8d\xc2\x8f\xc2\x90\xc2\x9d",
		"undefined windows-1252 bytes as ISO-8859-1");
	conv_is("\x9f\xff", 2, NULL, "\xc5\xb8\xc3\xbf", "0x9f and 0xff");
	/* Valid UTF-8 behind no charset or a US-ASCII label stays UTF-8. */
	conv_is("caf\xc3\xa9", 5, NULL, "caf\xc3\xa9", "undeclared UTF-8");
	conv_is("caf\xc3\xa9", 5, "US-ASCII", "caf\xc3\xa9", "UTF-8 behind us-ascii");
	conv_is("caf\xe9", 4, "ansi_x3.4-1968", "caf\xc3\xa9",
		"8-bit behind another US-ASCII name");
	/* Declared UTF-8: checked, each bad byte one U+FFFD. */
	conv_is("a\xff" "b\xc3", 4, "utf-8", "a\xef\xbf\xbd" "b\xef\xbf\xbd",
		"invalid and cut UTF-8");
	conv_is("\xc0\xaf", 2, "UTF8", "\xef\xbf\xbd\xef\xbf\xbd",
		"overlong UTF-8");
	conv_is("\xed\xa0\x80", 3, "utf-8", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
		"a UTF-16 surrogate in UTF-8");
	/* Declared charsets go through iconv. */
	conv_is("\xe9t\xe9", 3, "iso-8859-1", "\xc3\xa9t\xc3\xa9", "ISO-8859-1");
	conv_is("\xa4", 1, "ISO-8859-15", "\xe2\x82\xac", "ISO-8859-15 euro");
	conv_is("\x93hi\x94", 4, "windows-1252", "\xe2\x80\x9chi\xe2\x80\x9d",
		"declared windows-1252");
	conv_is("\xa4\xa2", 2, "euc-jp", "\xe3\x81\x82", "EUC-JP");
	conv_is("A\0B", 3, "utf-16le", "A\xef\xbf\xbd",
		"UTF-16 cut in the middle of a unit");
	conv_is("\x1b$B", 3, "iso-2022-jp", "", "ISO-2022-JP shift alone");
	/* An unknown label: the best guess, as if none were given. */
	conv_is("caf\xe9", 4, "x-no-such-charset", "caf\xc3\xa9",
		"unknown charset");
	/* Line ends and NULs. */
	conv_is("a\r\nb\rc\r\n", 8, NULL, "a\nb\rc\n", "CRLF becomes LF, lone CR kept");
	conv_is("a\0b\0", 4, "utf-8", "ab", "NULs dropped");
	conv_is("a\0\r\nb", 5, "iso-8859-1", "a\nb", "NUL before CRLF");
	conv_is("", 0, NULL, "", "empty");

	valid_is("\xc3\xa9\xff\0x", 5, "\xc3\xa9\xef\xbf\xbdx",
		 "valid_utf8: bad byte and NUL");
	valid_is("a\r\nb", 4, "a\r\nb", "valid_utf8 keeps line ends");
	valid_is("\xf0\x9f\x93\xa0", 4, "\xf0\x9f\x93\xa0", "valid_utf8 keeps U+1F4E0");

	ok(blank(""), "empty is blank");
	ok(blank(" \t\r\n\f"), "ASCII whitespace is blank");
	ok(blank("\xef\xbb\xbf\xe2\x80\x8b \xe3\x80\x80\xc2\xa0"),
	   "BOM, zero-width, ideographic and no-break spaces are blank");
	ok(!blank("  x  "), "a letter is not blank");
	ok(!blank(" \xff "), "an invalid byte is not blank");
	ok(!blank("\xe2\x80\x8d"), "zero-width joiner is not blank");
	return done_testing();
}
