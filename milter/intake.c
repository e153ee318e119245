/*
 * intake - find the faxable parts of a raw RFC 5322 message.
 *
 * See intake.h for the interface and for exactly what is faxable.
 *
 * GMime is deliberately lenient: it builds a tree out of nearly any
 * input. Its leniency is mapped onto our return codes here, in two
 * passes over the tree it built:
 *
 *  1. in_check() walks every entity and refuses, as INTAKE_MALFORMED,
 *     what is beyond the limits (too many entities, too deep) and the
 *     multiparts GMime quietly left without children (no boundary
 *     parameter, or a boundary that never appears). A missing END
 *     boundary is tolerated, as GMime does: senders truncate, and
 *     the parts before it are intact.
 *  2. in_extract() picks the documents. A faxable-typed part that is
 *     broken (corrupt base64, a TIFF that does not decode, a PDF
 *     without its header) is INTAKE_BADDOC: GMime would decode such
 *     base64 silently into garbage, so the raw encoded text is checked
 *     here first.
 *
 * Doing all structural checks before any document is decoded means a
 * hostile message is refused cheaply, and the reply does not depend on
 * whether the broken part or the excess nesting comes first.
 */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "intake.h"
#include "tiffcheck.h"

#define IN_ERR_MAX		120	/* an SMTP reply line must stay short */
#define IN_NAME_MAX		40	/* a filename quoted in a reply */
#define IN_TYPE_MAX		30	/* a MIME type quoted in a reply */
#define IN_FILENAME_MAX		200	/* bytes of a kept filename */
#define IN_MSGID_MAX		998	/* RFC 5322 line length */
#define IN_MAX_IGNORED		3	/* ignored types named in NOFAX */
#define IN_PDF_WINDOW		1024	/* where "%PDF-" may start */

/*
 * GMime stops descending at 1024 levels of its own count, which grows
 * by two for each message/rfc822. Below half of that our own limit
 * always fires first, so GMime's silent flattening is never seen.
 */
#define IN_DEPTH_CEILING	500

#define IN_NOFAX_TEXT \
	"no faxable content: send a PDF, PostScript, TIFF or plain-text body"

/* A body text kept aside until we know whether other documents exist. */
struct in_text {
	GMimePart *part;		/* owned by the message tree */
	unsigned leafno;
};

struct in_ctx {
	intake_limits_t lim;
	intake_t *out;
	size_t	cap;			/* allocated out->docs */
	unsigned nentities;		/* pass 1: entities seen */
	unsigned nleaves;		/* pass 2: leaf parts seen */
	struct in_text *texts;		/* body text candidates */
	size_t	ntexts, textcap;
	char	ignored[IN_MAX_IGNORED][IN_TYPE_MAX + 1];
	unsigned nignored;
	int	blank_text;		/* some text was whitespace only */
	int	nesting_overflow;	/* GMime said it stopped descending */
	char   *err;
	size_t	errlen;
};

enum in_kind {
	IN_IGNORE,
	IN_KIND_TIFF,
	IN_KIND_PDF,
	IN_KIND_PS,
	IN_KIND_SNIFF,
	IN_KIND_TEXT,
};

static pthread_once_t in_once = PTHREAD_ONCE_INIT;

/* in_gmime_init - the one-time GMime initialisation */
static void in_gmime_init(void)
{
	g_mime_init();
}

/* intake_init - initialise GMime once per process */
void	intake_init(void)
{
	pthread_once(&in_once, in_gmime_init);
}

/* intake_limits_default - fill lim with the default limits */
void	intake_limits_default(intake_limits_t *lim)
{
	lim->max_depth = INTAKE_DEF_MAX_DEPTH;
	lim->max_parts = INTAKE_DEF_MAX_PARTS;
	lim->max_docs = INTAKE_DEF_MAX_DOCS;
	tiffcheck_limits_default(&lim->tiff);
}

/*
 * in_ascii - copy UTF-8 src into dst as printable ASCII of at most max
 * characters, one '?' per other character or invalid byte, "..." when
 * cut; returns dst. Attacker text reaches SMTP replies only this way.
 */
static char *in_ascii(char *dst, size_t dstlen, const char *src, size_t max)
{
	const char *p = src;
	size_t	n = 0;

	if (dstlen == 0)
		return dst;
	if (max >= dstlen)
		max = dstlen - 1;
	while (*p && n < max) {
		unsigned char ch = (unsigned char) *p;

		if (ch < 0x80) {
			/* '%' too: libmilter's smfi_setreply() drops a text with one. */
			dst[n++] = (ch >= 0x20 && ch < 0x7f && ch != '%') ?
			    (char) ch : '?';
			p++;
		} else {
			gunichar u = g_utf8_get_char_validated(p, -1);

			dst[n++] = '?';
			p = (u == (gunichar) -1 || u == (gunichar) -2) ?
			    p + 1 : g_utf8_next_char(p);
		}
	}
	if (*p && max >= 3) {
		n = max - 3;
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = 0;
	return dst;
}

/* in_fail - format the reason into the caller's buffer, returns code */
__attribute__((format(printf, 3, 4)))
static int in_fail(struct in_ctx *c, int code, const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;
	size_t	i;

	if (c->err == NULL || c->errlen == 0)
		return code;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* Callers pass sanitised pieces; this is the last line of defence. */
	for (i = 0; buf[i]; i++)
		if ((unsigned char) buf[i] < 0x20 || (unsigned char) buf[i] > 0x7e
		    || buf[i] == '%')
			buf[i] = '?';
	in_ascii(c->err, c->errlen, buf, IN_ERR_MAX);
	return code;
}

/* in_strdup - malloc()ed copy of s, NULL on NULL or out of memory */
static char *in_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* in_lower_type - malloc()ed lower-case "type/subtype" of obj */
static char *in_lower_type(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char   *gtype, *ret;
	size_t	i;

	if (ct == NULL)
		return strdup("text/plain");
	gtype = g_mime_content_type_get_mime_type(ct);
	ret = in_strdup(gtype ? gtype : "application/octet-stream");
	g_free(gtype);
	if (ret)
		for (i = 0; ret[i]; i++)
			ret[i] = g_ascii_tolower(ret[i]);
	return ret;
}

/* in_subtype - the multipart's subtype as printable ASCII, returns buf */
static const char *in_subtype(GMimeObject *obj, char *buf, size_t len)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;

	return in_ascii(buf, len, sub ? sub : "mixed", IN_TYPE_MAX);
}

/*
 * in_check - pass 1: entity limits and childless multiparts below obj
 * at nesting level, returns INTAKE_OK or INTAKE_MALFORMED
 */
static int in_check(struct in_ctx *c, GMimeObject *obj, unsigned level)
{
	unsigned no = ++c->nentities;

	if (no > c->lim.max_parts)
		return in_fail(c, INTAKE_MALFORMED,
			       "message has more than %u MIME parts (limit %u)",
			       c->lim.max_parts, c->lim.max_parts);
	if (level > c->lim.max_depth)
		return in_fail(c, INTAKE_MALFORMED,
			       "MIME nesting is deeper than %u levels (limit %u)",
			       c->lim.max_depth, c->lim.max_depth);

	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int	n = g_mime_multipart_get_count(mp), i, rc;
		char	sub[IN_TYPE_MAX + 1];

		if (n <= 0) {
			in_subtype(obj, sub, sizeof(sub));
			if (g_mime_object_get_content_type_parameter(obj,
							"boundary") == NULL)
				return in_fail(c, INTAKE_MALFORMED,
					       "multipart/%s (part %u) has no "
					       "boundary parameter", sub, no);
			return in_fail(c, INTAKE_MALFORMED,
				       "multipart/%s (part %u) has no body "
				       "parts: its boundary never appears",
				       sub, no);
		}
		for (i = 0; i < n; i++)
			if ((rc = in_check(c, g_mime_multipart_get_part(mp, i),
					   level + 1)) != INTAKE_OK)
				return rc;
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *msg =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		GMimeObject *body = msg ? g_mime_message_get_mime_part(msg) : NULL;

		if (body)
			return in_check(c, body, level + 1);
	}
	return INTAKE_OK;
}

/* in_decode - malloc()ed decoded content of part plus a NUL, NULL on ENOMEM */
static unsigned char *in_decode(GMimePart *part, size_t *len)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *ms;
	GByteArray *ba;
	unsigned char *data;

	*len = 0;
	if (w == NULL)
		return calloc(1, 1);
	ms = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, ms);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	if ((data = malloc(ba->len + 1)) != NULL) {
		if (ba->len)
			memcpy(data, ba->data, ba->len);
		data[ba->len] = 0;
		*len = ba->len;
	}
	g_object_unref(ms);
	return data;
}

/*
 * in_base64_problem - check the raw base64 text of part, returns NULL
 * when it is sound, else why not. GMime's decoder skips what it does
 * not understand and drops a trailing partial quantum, which would
 * turn a damaged attachment into a quietly shorter one.
 */
static const char *in_base64_problem(GMimePart *part)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *raw;
	char	buf[4096];
	ssize_t	n, i;
	size_t	nchars = 0, npad = 0;

	if (w == NULL
	    || g_mime_data_wrapper_get_encoding(w) != GMIME_CONTENT_ENCODING_BASE64
	    || (raw = g_mime_data_wrapper_get_stream(w)) == NULL)
		return NULL;
	g_mime_stream_reset(raw);
	while ((n = g_mime_stream_read(raw, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			unsigned char ch = (unsigned char) buf[i];

			if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
				continue;
			if (ch == '=') {
				if (++npad > 2)
					return "base64 data has an invalid character";
				continue;
			}
			if (!(g_ascii_isalnum(ch) || ch == '+' || ch == '/'))
				return "base64 data has an invalid character";
			if (npad)
				return "base64 data continues after its padding";
			nchars++;
		}
	}
	g_mime_stream_reset(raw);
	if ((nchars + npad) % 4 != 0 || (npad && nchars % 4 == 1))
		return "base64 data is truncated";
	return NULL;
}

/* in_utf8_put - append one code point as UTF-8, returns the new end */
static unsigned char *in_utf8_put(unsigned char *p, gunichar u)
{
	return p + g_unichar_to_utf8(u, (char *) p);
}

/*
 * in_cp1252 - malloc()ed UTF-8 of windows-1252 text, the five bytes
 * windows-1252 leaves undefined taken as ISO-8859-1 (C1 controls)
 */
static unsigned char *in_cp1252(const unsigned char *in, size_t len,
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
			p = in_utf8_put(p, ch < 0xa0 ? hi[ch - 0x80] : ch);
	}
	*p = 0;
	*outlen = (size_t) (p - out);
	return out;
}

/*
 * in_valid_utf8 - malloc()ed copy of in with each invalid byte as
 * U+FFFD and NUL bytes dropped, so the result is a C string
 */
static unsigned char *in_valid_utf8(const unsigned char *in, size_t len,
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
			q = in_utf8_put(q, 0xfffd);
			p++;
		} else {
			q = in_utf8_put(q, u);
			p = g_utf8_next_char(p);
		}
	}
	*q = 0;
	*outlen = (size_t) (q - out);
	return out;
}

/* in_grow - double the buffer *out of *cap bytes, returns 0 or -1 */
static int in_grow(unsigned char **out, size_t *cap)
{
	unsigned char *nout;

	if (*cap > SIZE_MAX / 2 || (nout = realloc(*out, *cap * 2)) == NULL)
		return -1;
	*out = nout;
	*cap *= 2;
	return 0;
}

/*
 * in_iconv - malloc()ed UTF-8 of in converted from charset, invalid
 * input bytes as U+FFFD; NULL with *unknown set when iconv does not
 * know the charset, NULL alone when out of memory
 */
static unsigned char *in_iconv(const unsigned char *in, size_t len,
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
		if (cap - used < 8 && in_grow(&out, &cap) < 0)
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
			if (in_grow(&out, &cap) < 0)
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
		if (cap - used < 8 && in_grow(&out, &cap) < 0)
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

/* in_is_ascii_charset - does charset name US-ASCII, returns 1 or 0 */
static int in_is_ascii_charset(const char *cs)
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
 * in_text_utf8 - malloc()ed UTF-8 text of decoded content in that was
 * declared in charset (may be NULL), CRLF made LF; NULL on ENOMEM
 */
static unsigned char *in_text_utf8(const unsigned char *in, size_t len,
				   const char *charset, size_t *outlen)
{
	unsigned char *out = NULL;
	int	unknown = 1;
	size_t	i, j;

	if (charset && *charset && !in_is_ascii_charset(charset)) {
		const char *canon = g_mime_charset_canon_name(charset);

		if (canon && (g_ascii_strcasecmp(canon, "utf-8") == 0
			      || g_ascii_strcasecmp(canon, "utf8") == 0))
			out = in_valid_utf8(in, len, outlen);
		else
			out = in_iconv(in, len, charset, outlen, &unknown);
		if (out == NULL && !unknown)
			return NULL;
	}
	/* Undeclared, US-ASCII (often a lie) or unknown: best guess. */
	if (out == NULL) {
		if (g_utf8_validate((const gchar *) in, (gssize) len, NULL))
			out = in_valid_utf8(in, len, outlen);
		else
			out = in_cp1252(in, len, outlen);
		if (out == NULL)
			return NULL;
	}
	/* iconv output should be valid already; make sure of it. */
	if (!g_utf8_validate((const gchar *) out, (gssize) *outlen, NULL)) {
		unsigned char *v = in_valid_utf8(out, *outlen, outlen);

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

/* in_is_blank - is UTF-8 text empty or only whitespace, returns 1 or 0 */
static int in_is_blank(const unsigned char *text, size_t len)
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

/*
 * in_clean_filename - malloc()ed filename fit to show on a cover page
 * or in a log, or NULL: no directories, no leading dots or blanks, no
 * control characters or invalid UTF-8, at most IN_FILENAME_MAX bytes
 */
static char *in_clean_filename(const char *name)
{
	const char *base = name, *p, *end;
	char   *out, *q;

	if (name == NULL)
		return NULL;
	for (p = name; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	while (*base == '.' || *base == ' ' || *base == '\t')
		base++;
	end = base + strlen(base);
	if ((out = malloc(IN_FILENAME_MAX + 1)) == NULL)
		return NULL;
	for (p = base, q = out; p < end;) {
		gunichar u = g_utf8_get_char_validated(p, end - p);
		char	tmp[6];
		int	n;

		if (u == (gunichar) -1 || u == (gunichar) -2) {
			u = '_';
			p++;
		} else {
			p = g_utf8_next_char(p);
		}
		if (u < 0x20 || (u >= 0x7f && u < 0xa0) || u == 0x2028
		    || u == 0x2029)
			u = '_';
		n = g_unichar_to_utf8(u, tmp);
		if ((size_t) (q - out) + (size_t) n > IN_FILENAME_MAX)
			break;
		memcpy(q, tmp, (size_t) n);
		q += n;
	}
	while (q > out && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	*q = 0;
	if (*out == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* in_part_name - how a reply names a leaf part, returns buf */
static const char *in_part_name(char *buf, size_t len, GMimePart *part,
				unsigned leafno, const char *mime,
				int body_text)
{
	const char *fn = g_mime_part_get_filename(part);
	char	clean[IN_NAME_MAX + 1];

	if (fn && *fn)
		snprintf(buf, len, "attachment '%s' (part %u)",
			 in_ascii(clean, sizeof(clean), fn, IN_NAME_MAX),
			 leafno);
	else if (body_text)
		snprintf(buf, len, "body text (part %u)", leafno);
	else
		snprintf(buf, len, "part %u (%s)", leafno,
			 in_ascii(clean, sizeof(clean), mime, IN_TYPE_MAX));
	return buf;
}

/* in_note_ignored - remember an ignored type for the NOFAX reason */
static void in_note_ignored(struct in_ctx *c, const char *mime)
{
	char	clean[IN_TYPE_MAX + 1];
	unsigned i;

	in_ascii(clean, sizeof(clean), mime, IN_TYPE_MAX);
	for (i = 0; i < c->nignored; i++)
		if (strcmp(c->ignored[i], clean) == 0)
			return;
	if (c->nignored < IN_MAX_IGNORED)
		memcpy(c->ignored[c->nignored++], clean, sizeof(clean));
}

/*
 * in_add_doc - append a document, taking ownership of ctype, filename
 * and data (freed on failure), returns INTAKE_OK or an error code
 */
static int in_add_doc(struct in_ctx *c, enum intake_doc_type type,
		      char *ctype, char *filename, unsigned char *data,
		      size_t len, unsigned pages)
{
	intake_t *out = c->out;
	intake_doc_t *d;

	if (out->ndocs >= c->lim.max_docs) {
		free(ctype);
		free(filename);
		free(data);
		return in_fail(c, INTAKE_MALFORMED,
			       "message has more than %u faxable documents "
			       "(limit %u)", c->lim.max_docs, c->lim.max_docs);
	}
	if (ctype == NULL || out->ndocs == c->cap) {
		size_t	ncap = c->cap ? c->cap * 2 : 4;
		intake_doc_t *nd = NULL;

		if (ctype == NULL
		    || (nd = realloc(out->docs, ncap * sizeof(*nd))) == NULL) {
			free(ctype);
			free(filename);
			free(data);
			return in_fail(c, INTAKE_ERROR, "out of memory");
		}
		out->docs = nd;
		c->cap = ncap;
	}
	d = &out->docs[out->ndocs++];
	d->type = type;
	d->content_type = ctype;
	d->filename = filename;
	d->data = data;
	d->len = len;
	d->pages = pages;
	return INTAKE_OK;
}

/*
 * in_text_doc - decode, check and convert the text/plain part and add
 * it unless blank, returns INTAKE_OK or an error code
 */
static int in_text_doc(struct in_ctx *c, GMimePart *part, unsigned leafno,
		       int body_text)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	const char *problem = in_base64_problem(part);
	unsigned char *raw, *text;
	size_t	rawlen, textlen;
	char	name[128], *ctype;

	if (problem)
		return in_fail(c, INTAKE_BADDOC, "%s: %s",
			       in_part_name(name, sizeof(name), part, leafno,
					    "text/plain", body_text), problem);
	if ((raw = in_decode(part, &rawlen)) == NULL)
		return in_fail(c, INTAKE_ERROR, "out of memory");
	text = in_text_utf8(raw, rawlen,
			    g_mime_object_get_content_type_parameter(obj,
								     "charset"),
			    &textlen);
	free(raw);
	if (text == NULL)
		return in_fail(c, INTAKE_ERROR, "out of memory");
	if (in_is_blank(text, textlen)) {
		c->blank_text = 1;
		free(text);
		return INTAKE_OK;
	}
	if ((ctype = in_lower_type(obj)) == NULL) {
		free(text);
		return in_fail(c, INTAKE_ERROR, "out of memory");
	}
	return in_add_doc(c, INTAKE_TEXT, ctype,
			  in_clean_filename(g_mime_part_get_filename(part)),
			  text, textlen, 0);
}

/* in_sniff - the kind the magic bytes say, IN_IGNORE when none */
static enum in_kind in_sniff(const unsigned char *d, size_t len)
{
	if (len >= 4 && (memcmp(d, "II*\0", 4) == 0 || memcmp(d, "MM\0*", 4) == 0))
		return IN_KIND_TIFF;
	if (memmem(d, len < IN_PDF_WINDOW ? len : IN_PDF_WINDOW, "%PDF-", 5))
		return IN_KIND_PDF;
	if (len >= 2 && d[0] == '%' && d[1] == '!')
		return IN_KIND_PS;
	return IN_IGNORE;
}

/* in_kind_of - what the declared type makes of a leaf */
static enum in_kind in_kind_of(const char *mime, int has_ctype, int attached)
{
	static const char *const sniffed[] = {
		"application/octet-stream", "application/x-pdf",
		"image/x-tiff", "application/x-postscript",
	};
	size_t	i;

	if (strcmp(mime, "image/tiff") == 0 || strcmp(mime, "image/tiff-fx") == 0)
		return IN_KIND_TIFF;
	if (strcmp(mime, "application/pdf") == 0)
		return IN_KIND_PDF;
	if (strcmp(mime, "application/postscript") == 0)
		return IN_KIND_PS;
	for (i = 0; i < G_N_ELEMENTS(sniffed); i++)
		if (strcmp(mime, sniffed[i]) == 0)
			return IN_KIND_SNIFF;
	/* GMime says text/plain for a missing type; an attachment is sniffed. */
	if (!has_ctype && attached)
		return IN_KIND_SNIFF;
	if (strcmp(mime, "text/plain") == 0)
		return IN_KIND_TEXT;
	return IN_IGNORE;
}

/*
 * in_leaf - pass 2 for one leaf part: add it, keep it aside as body
 * text, or ignore it; returns INTAKE_OK or an error code
 */
static int in_leaf(struct in_ctx *c, GMimePart *part, unsigned leafno)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
	int	attached = disp && g_mime_content_disposition_is_attachment(disp);
	int	has_ctype = g_mime_object_get_header(obj, "Content-Type") != NULL;
	const char *problem;
	unsigned char *data;
	size_t	len;
	char   *mime, name[128];
	enum in_kind kind;
	enum intake_doc_type type;
	unsigned pages = 0;

	if ((mime = in_lower_type(obj)) == NULL)
		return in_fail(c, INTAKE_ERROR, "out of memory");
	kind = in_kind_of(mime, has_ctype, attached);

	if (kind == IN_IGNORE) {
		in_note_ignored(c, mime);
		free(mime);
		return INTAKE_OK;
	}
	if (kind == IN_KIND_TEXT) {
		free(mime);
		if (attached) {
			size_t	before = c->out->ndocs;
			int	rc = in_text_doc(c, part, leafno, 0);

			if (rc == INTAKE_OK && c->out->ndocs > before)
				c->ntexts = 0;
			return rc;
		}
		/* Body text counts only if nothing else is found, so wait. */
		if (c->out->ndocs > 0)
			return INTAKE_OK;
		if (c->ntexts == c->textcap) {
			size_t	ncap = c->textcap ? c->textcap * 2 : 4;
			struct in_text *nt = realloc(c->texts, ncap * sizeof(*nt));

			if (nt == NULL)
				return in_fail(c, INTAKE_ERROR, "out of memory");
			c->texts = nt;
			c->textcap = ncap;
		}
		c->texts[c->ntexts].part = part;
		c->texts[c->ntexts].leafno = leafno;
		c->ntexts++;
		return INTAKE_OK;
	}

	if ((data = in_decode(part, &len)) == NULL) {
		free(mime);
		return in_fail(c, INTAKE_ERROR, "out of memory");
	}
	if (kind == IN_KIND_SNIFF) {
		if ((kind = in_sniff(data, len)) == IN_IGNORE) {
			in_note_ignored(c, mime);
			free(mime);
			free(data);
			return INTAKE_OK;
		}
		if (!has_ctype) {
			free(mime);
			if ((mime = strdup("application/octet-stream")) == NULL) {
				free(data);
				return in_fail(c, INTAKE_ERROR, "out of memory");
			}
		}
	}
	in_part_name(name, sizeof(name), part, leafno, mime, 0);
	if ((problem = in_base64_problem(part)) != NULL) {
		free(mime);
		free(data);
		return in_fail(c, INTAKE_BADDOC, "%s: %s", name, problem);
	}
	switch (kind) {
	case IN_KIND_TIFF: {
		tiffcheck_info_t info;
		char	why[256];

		if (tiffcheck_mem(data, len, &c->lim.tiff, &info, why,
				  sizeof(why)) < 0) {
			free(mime);
			free(data);
			return in_fail(c, INTAKE_BADDOC, "%s: %s", name, why);
		}
		type = INTAKE_TIFF;
		pages = info.pages;
		break;
	}
	case IN_KIND_PDF:
		if (memmem(data, len < IN_PDF_WINDOW ? len : IN_PDF_WINDOW,
			   "%PDF-", 5) == NULL) {
			free(mime);
			free(data);
			return in_fail(c, INTAKE_BADDOC, "%s: not a PDF: no PDF "
				       "header in its first %u bytes", name,
				       IN_PDF_WINDOW);
		}
		type = INTAKE_PDF;
		break;
	default:
		if (len < 2 || data[0] != '%' || data[1] != '!') {
			free(mime);
			free(data);
			return in_fail(c, INTAKE_BADDOC, "%s: not PostScript: "
				       "it does not begin with a PostScript header",
				       name);
		}
		type = INTAKE_PS;
		break;
	}
	/* A real document: waiting body texts will never be needed. */
	c->ntexts = 0;
	return in_add_doc(c, type, mime,
			  in_clean_filename(g_mime_part_get_filename(part)),
			  data, len, pages);
}

/* in_is_text_plain - is obj a text/plain leaf, returns 1 or 0 */
static int in_is_text_plain(GMimeObject *obj)
{
	GMimeContentType *ct;

	if (!GMIME_IS_PART(obj) || (ct = g_mime_object_get_content_type(obj)) == NULL)
		return 0;
	return g_mime_content_type_is_type(ct, "text", "plain");
}

/*
 * in_extract - pass 2: number the leaves below obj and, unless skip,
 * collect their documents; returns INTAKE_OK or an error code
 */
static int in_extract(struct in_ctx *c, GMimeObject *obj, int skip)
{
	int	rc = INTAKE_OK;

	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		int	n = g_mime_multipart_get_count(mp), i, pick = -1, found = 0;
		int	alternative = !skip && ct
		    && g_mime_content_type_is_type(ct, "multipart", "alternative");

		if (alternative)
			for (i = 0; i < n && pick < 0; i++)
				if (in_is_text_plain(g_mime_multipart_get_part(mp, i)))
					pick = i;
		for (i = 0; i < n && rc == INTAKE_OK; i++) {
			GMimeObject *child = g_mime_multipart_get_part(mp, i);

			if (!alternative) {
				rc = in_extract(c, child, skip);
			} else if (pick >= 0 || found) {
				rc = in_extract(c, child, i != pick);
			} else {
				/* No text/plain: the first alternative that yields. */
				size_t	before = c->out->ndocs + c->ntexts;

				rc = in_extract(c, child, 0);
				found = c->out->ndocs + c->ntexts > before;
			}
		}
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *msg =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		GMimeObject *body = msg ? g_mime_message_get_mime_part(msg) : NULL;

		if (body)
			rc = in_extract(c, body, skip);
	} else if (GMIME_IS_PART(obj)) {
		unsigned leafno = ++c->nleaves;

		if (!skip)
			rc = in_leaf(c, GMIME_PART(obj), leafno);
	}
	return rc;
}

/* in_nofax - the NOFAX reason listing what was ignored, returns INTAKE_NOFAX */
static int in_nofax(struct in_ctx *c)
{
	char	buf[IN_ERR_MAX + 1];
	size_t	len;
	unsigned i;

	snprintf(buf, sizeof(buf), "%s", IN_NOFAX_TEXT);
	len = strlen(buf);
	for (i = 0; i < c->nignored; i++) {
		/* Name only as many types as fit in one reply line. */
		size_t	need = strlen(c->ignored[i]) + (i ? 2 : 11) + 1;

		if (len + need > IN_ERR_MAX)
			break;
		len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%s%s",
					 i ? ", " : " (ignored: ", c->ignored[i]);
	}
	if (i > 0)
		snprintf(buf + len, sizeof(buf) - len, ")");
	else if (c->blank_text)
		snprintf(buf + len, sizeof(buf) - len, " (the text is blank)");
	return in_fail(c, INTAKE_NOFAX, "%s", buf);
}

/* in_warning - GMime parser warning callback; notes what pass 1 needs */
static void in_warning(gint64 offset, GMimeParserWarning code,
		       const gchar *item, gpointer user_data)
{
	struct in_ctx *c = user_data;

	if (code == GMIME_CRIT_NESTING_OVERFLOW)
		c->nesting_overflow = 1;
}

/* in_printable_id - is s a usable Message-ID, returns 1 or 0 */
static int in_printable_id(const char *s)
{
	size_t	n;

	for (n = 0; s[n]; n++)
		if ((unsigned char) s[n] < 0x21 || (unsigned char) s[n] > 0x7e
		    || s[n] == '<' || s[n] == '>')
			return 0;
	return n > 0 && n <= IN_MSGID_MAX;
}

/* in_first_mailbox - addr-spec of the first mailbox in list, or NULL */
static const char *in_first_mailbox(InternetAddressList *list, int depth)
{
	int	i, n = list ? internet_address_list_length(list) : 0;

	for (i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
			const char *addr = internet_address_mailbox_get_addr(
					       INTERNET_ADDRESS_MAILBOX(a));

			if (addr && *addr)
				return addr;
		} else if (INTERNET_ADDRESS_IS_GROUP(a) && depth < 2) {
			const char *addr = in_first_mailbox(
			    internet_address_group_get_members(
				INTERNET_ADDRESS_GROUP(a)), depth + 1);

			if (addr)
				return addr;
		}
	}
	return NULL;
}

/* in_headers - fill message_id, subject and from, returns INTAKE_OK or ERROR */
static int in_headers(struct in_ctx *c, GMimeMessage *msg)
{
	intake_t *out = c->out;
	const char *mid = g_mime_message_get_message_id(msg);
	const char *subj = g_mime_message_get_subject(msg);
	const char *from = in_first_mailbox(g_mime_message_get_from(msg), 0);

	if (mid && in_printable_id(mid)
	    && (out->message_id = strdup(mid)) == NULL)
		return in_fail(c, INTAKE_ERROR, "out of memory");
	if (subj) {
		size_t	len = strlen(subj), i;

		if ((out->subject = (char *) in_valid_utf8(
			 (const unsigned char *) subj, len, &len)) == NULL)
			return in_fail(c, INTAKE_ERROR, "out of memory");
		/* A subject may end up on a cover page or in a log line. */
		for (i = 0; i < len; i++)
			if ((unsigned char) out->subject[i] < 0x20
			    || out->subject[i] == 0x7f)
				out->subject[i] = ' ';
	}
	const char *dnt = g_mime_object_get_header((GMimeObject *) msg,
	    "Disposition-Notification-To");
	if (dnt && strlen(dnt) <= 998) {
		if ((out->mdn_to = strdup(dnt)) == NULL)
			return in_fail(c, INTAKE_ERROR, "out of memory");
		for (char *q = out->mdn_to; *q; q++)
			if ((unsigned char) *q < 0x20 || *q == 0x7f)
				*q = ' ';
	}
	if (from) {
		const char *p;

		for (p = from; *p; p++)
			if ((unsigned char) *p <= 0x20 || *p == 0x7f)
				break;
		if (*p == 0 && g_utf8_validate(from, -1, NULL)
		    && (out->from = strdup(from)) == NULL)
			return in_fail(c, INTAKE_ERROR, "out of memory");
	}
	return INTAKE_OK;
}

/* intake_parse - find the documents to fax in raw, returns INTAKE_* (see .h) */
int	intake_parse(const char *raw, size_t len, const intake_limits_t *lim,
		     intake_t *out, char *err, size_t errlen)
{
	static const char *fallback_charsets[] = {
		"utf-8", "windows-1252", "iso-8859-1", NULL,
	};
	struct in_ctx c;
	GMimeParserOptions *opts;
	GMimeParser *parser;
	GMimeStream *stream;
	GMimeMessage *msg;
	GMimeObject *body;
	size_t	i;
	int	rc;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = 0;
	intake_init();

	memset(&c, 0, sizeof(c));
	c.out = out;
	c.err = err;
	c.errlen = errlen;
	intake_limits_default(&c.lim);
	if (lim) {
		if (lim->max_depth)
			c.lim.max_depth = lim->max_depth;
		if (lim->max_parts)
			c.lim.max_parts = lim->max_parts;
		if (lim->max_docs)
			c.lim.max_docs = lim->max_docs;
		if (lim->tiff.max_width)
			c.lim.tiff.max_width = lim->tiff.max_width;
		if (lim->tiff.max_height)
			c.lim.tiff.max_height = lim->tiff.max_height;
		if (lim->tiff.max_pages)
			c.lim.tiff.max_pages = lim->tiff.max_pages;
	}
	if (c.lim.max_depth > IN_DEPTH_CEILING)
		c.lim.max_depth = IN_DEPTH_CEILING;

	opts = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(opts, in_warning, &c);
	g_mime_parser_options_set_fallback_charsets(opts, fallback_charsets);
	/* The stream copies raw; parts are then substreams of that copy. */
	stream = g_mime_stream_mem_new_with_buffer(raw ? raw : "", raw ? len : 0);
	parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, opts);
	g_object_unref(parser);
	if (msg == NULL) {
		rc = in_fail(&c, INTAKE_MALFORMED, "message could not be parsed");
		goto done;
	}

	if ((rc = in_headers(&c, msg)) != INTAKE_OK)
		goto done;
	body = g_mime_message_get_mime_part(msg);
	if (body == NULL) {
		rc = in_nofax(&c);
		goto done;
	}
	if ((rc = in_check(&c, body, 1)) != INTAKE_OK)
		goto done;
	if (c.nesting_overflow) {
		rc = in_fail(&c, INTAKE_MALFORMED, "MIME nesting is deeper "
			     "than the parser supports");
		goto done;
	}
	if ((rc = in_extract(&c, body, 0)) != INTAKE_OK)
		goto done;
	/* Set aside only while no document was found: now they are needed. */
	for (i = 0; i < c.ntexts && rc == INTAKE_OK; i++)
		rc = in_text_doc(&c, c.texts[i].part, c.texts[i].leafno, 1);
	if (rc == INTAKE_OK && out->ndocs == 0)
		rc = in_nofax(&c);

done:
	if (rc != INTAKE_OK) {
		for (i = 0; i < out->ndocs; i++) {
			free(out->docs[i].content_type);
			free(out->docs[i].filename);
			free(out->docs[i].data);
		}
		free(out->docs);
		out->docs = NULL;
		out->ndocs = 0;
	} else if (err && errlen) {
		err[0] = 0;
	}
	free(c.texts);
	if (msg)
		g_object_unref(msg);
	/* Headers may refer to the options until the message is gone. */
	g_mime_parser_options_free(opts);
	return rc;
}

/* intake_free - release everything intake_parse() put in in, zero it */
void	intake_free(intake_t *in)
{
	size_t	i;

	if (in == NULL)
		return;
	for (i = 0; i < in->ndocs; i++) {
		free(in->docs[i].content_type);
		free(in->docs[i].filename);
		free(in->docs[i].data);
	}
	free(in->docs);
	free(in->message_id);
	free(in->subject);
	free(in->from);
	free(in->mdn_to);
	memset(in, 0, sizeof(*in));
}
