/*
 * textconv - decoded text of any charset to clean UTF-8.
 *
 * See textconv.h for the interface. A sender's charset label is a
 * hint, not a promise: "us-ascii" often hides 8-bit text, and a label
 * iconv does not know must not lose the message. So every path ends
 * in valid UTF-8: a declared charset through iconv (invalid bytes as
 * U+FFFD), otherwise UTF-8 when the bytes are valid UTF-8, otherwise
 * windows-1252, which maps every byte and is what such text almost
 * always is.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "textconv.h"

/* tc_utf8_put - append one code point as UTF-8, returns the new end */
static unsigned char *tc_utf8_put(unsigned char *p, gunichar u)
{
	return p + g_unichar_to_utf8(u, (char *) p);
}

/*
 * tc_cp1252 - malloc()ed UTF-8 of windows-1252 text, the five bytes
 * windows-1252 leaves undefined taken as ISO-8859-1 (C1 controls)
 */
static unsigned char *tc_cp1252(const unsigned char *in, size_t len,
				size_t *outlen)
{
	static const unsigned short hi[32] = {
		0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
		0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
		0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
		0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
	};
	unsigned char *out, *p;
	size_t	i;

	if (len > (SIZE_MAX - 1) / 3 || (out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	for (p = out, i = 0; i < len; i++) {
		unsigned char ch = in[i];

		if (ch < 0x80)
			*p++ = ch;
		else
			p = tc_utf8_put(p, ch < 0xa0 ? hi[ch - 0x80] : ch);
	}
	*p = 0;
	*outlen = (size_t) (p - out);
	return out;
}

/*
 * textconv_valid_utf8 - malloc()ed copy of in with each invalid byte as
 * U+FFFD and NUL bytes dropped, so the result is a C string
 */
unsigned char *textconv_valid_utf8(const unsigned char *in, size_t len,
				   size_t *outlen)
{
	const char *p = (const char *) in, *end = p + len;
	unsigned char *out, *q;

	if (len > (SIZE_MAX - 1) / 3 || (out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	for (q = out; p < end;) {
		gunichar u = g_utf8_get_char_validated(p, end - p);

		if (*p == 0) {
			p++;
		} else if (u == (gunichar) -1 || u == (gunichar) -2) {
			q = tc_utf8_put(q, 0xfffd);
			p++;
		} else {
			q = tc_utf8_put(q, u);
			p = g_utf8_next_char(p);
		}
	}
	*q = 0;
	*outlen = (size_t) (q - out);
	return out;
}

/* tc_grow - double the buffer *out of *cap bytes, returns 0 or -1 */
static int tc_grow(unsigned char **out, size_t *cap)
{
	unsigned char *nout;

	if (*cap > SIZE_MAX / 2 || (nout = realloc(*out, *cap * 2)) == NULL)
		return -1;
	*out = nout;
	*cap *= 2;
	return 0;
}

/*
 * tc_iconv - malloc()ed UTF-8 of in converted from charset, invalid
 * input bytes as U+FFFD; NULL with *unknown set when iconv does not
 * know the charset, NULL alone when out of memory
 */
static unsigned char *tc_iconv(const unsigned char *in, size_t len,
			       const char *charset, size_t *outlen,
			       int *unknown)
{
	iconv_t	cd = g_mime_iconv_open("UTF-8", charset);
	char   *inp = (char *) in;
	size_t	inleft = len, cap, used = 0;
	unsigned char *out;
	int	flushing = 0;

	*unknown = 0;
	if (cd == (iconv_t) -1) {
		*unknown = 1;
		return NULL;
	}
	if (len > SIZE_MAX / 2 - 16 || (out = malloc(cap = len * 2 + 16)) == NULL) {
		g_mime_iconv_close(cd);
		return NULL;
	}
	for (;;) {
		char   *outp;
		size_t	outleft, r;
		int	e;

		/* Room for one U+FFFD and the NUL, whatever iconv() did. */
		if (cap - used < 8 && tc_grow(&out, &cap) < 0)
			goto nomem;
		outp = (char *) out + used;
		outleft = cap - used - 1;
		r = flushing ? iconv(cd, NULL, NULL, &outp, &outleft)
		    : iconv(cd, &inp, &inleft, &outp, &outleft);
		e = errno;
		used = cap - 1 - outleft;
		if (r != (size_t) -1) {
			if (flushing)
				break;
			flushing = 1;
			continue;
		}
		if (e == E2BIG) {
			if (tc_grow(&out, &cap) < 0)
				goto nomem;
			continue;
		}
		if (flushing)
			break;		/* a broken shift state: keep what we have */
		if (inleft == 0) {
			flushing = 1;
			continue;
		}
		/* EILSEQ, or EINVAL for a sequence cut off at the end. */
		if (cap - used < 8 && tc_grow(&out, &cap) < 0)
			goto nomem;
		used += (size_t) g_unichar_to_utf8(0xfffd, (char *) out + used);
		inp++;
		inleft--;
	}
	g_mime_iconv_close(cd);
	out[used] = 0;
	*outlen = used;
	return out;

nomem:
	free(out);
	g_mime_iconv_close(cd);
	return NULL;
}

/* tc_is_ascii_charset - does charset name US-ASCII, returns 1 or 0 */
static int tc_is_ascii_charset(const char *cs)
{
	static const char *const names[] = {
		"us-ascii", "ascii", "us", "ansi_x3.4-1968", "iso646-us",
		"ansi_x3.4-1986", "iso_646.irv:1991", "cp367", "ibm367",
	};
	size_t	i;

	for (i = 0; i < G_N_ELEMENTS(names); i++)
		if (g_ascii_strcasecmp(cs, names[i]) == 0)
			return 1;
	return 0;
}

/*
 * textconv_utf8 - malloc()ed UTF-8 text of decoded content in that was
 * declared in charset (may be NULL), CRLF made LF; NULL on ENOMEM
 */
unsigned char *textconv_utf8(const unsigned char *in, size_t len,
			     const char *charset, size_t *outlen)
{
	unsigned char *out = NULL;
	int	unknown = 1;
	size_t	i, j;

	if (charset && *charset && !tc_is_ascii_charset(charset)) {
		const char *canon = g_mime_charset_canon_name(charset);

		if (canon && (g_ascii_strcasecmp(canon, "utf-8") == 0
			      || g_ascii_strcasecmp(canon, "utf8") == 0))
			out = textconv_valid_utf8(in, len, outlen);
		else
			out = tc_iconv(in, len, charset, outlen, &unknown);
		if (out == NULL && !unknown)
			return NULL;
	}
	/* Undeclared, US-ASCII (often a lie) or unknown: best guess. */
	if (out == NULL) {
		if (g_utf8_validate((const gchar *) in, (gssize) len, NULL))
			out = textconv_valid_utf8(in, len, outlen);
		else
			out = tc_cp1252(in, len, outlen);
		if (out == NULL)
			return NULL;
	}
	/* iconv output should be valid already; make sure of it. */
	if (!g_utf8_validate((const gchar *) out, (gssize) *outlen, NULL)) {
		unsigned char *v = textconv_valid_utf8(out, *outlen, outlen);

		free(out);
		if ((out = v) == NULL)
			return NULL;
	}
	/* NULs mean nothing on paper and would cut a C string short. */
	for (i = j = 0; i < *outlen; i++)
		if (out[i] != 0 && !(out[i] == '\r' && i + 1 < *outlen
				     && out[i + 1] == '\n'))
			out[j++] = out[i];
	out[j] = 0;
	*outlen = j;
	return out;
}

/* textconv_is_blank - is UTF-8 text empty or only whitespace, returns 1 or 0 */
int	textconv_is_blank(const unsigned char *text, size_t len)
{
	const char *p = (const char *) text, *end = p + len;

	while (p < end) {
		gunichar u = g_utf8_get_char_validated(p, end - p);

		if (u == (gunichar) -1 || u == (gunichar) -2)
			return 0;
		if (!(u == 0 || g_unichar_isspace(u) || u == 0xfeff
		      || u == 0x200b))
			return 0;
		p = u == 0 ? p + 1 : g_utf8_next_char(p);
	}
	return 1;
}
