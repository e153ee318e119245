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
 *     first (mimepart_base64_problem()).
 *
 * Doing all structural checks before any document is decoded means a
 * hostile message is refused cheaply, and the reply does not depend on
 * whether the broken part or the excess nesting comes first.
 *
 * What is not about the MIME tree lives in modules of its own: text
 * conversion to UTF-8 in textconv.c, decoding and the base64 check in
 * mimepart.c, the header fields in msghdr.c.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "intake.h"
#include "mimepart.h"
#include "msghdr.h"
#include "textconv.h"
#include "tiffcheck.h"

#define IN_ERR_MAX		120	/* an SMTP reply line must stay short */
#define IN_NAME_MAX		40	/* a filename quoted in a reply */
#define IN_TYPE_MAX		30	/* a MIME type quoted in a reply */
#define IN_FILENAME_MAX		200	/* bytes of a kept filename */
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
	const char *problem = mimepart_base64_problem(part);
	unsigned char *raw, *text;
	size_t	rawlen, textlen;
	char	name[128], *ctype;

	if (problem)
		return in_fail(c, INTAKE_BADDOC, "%s: %s",
			       in_part_name(name, sizeof(name), part, leafno,
					    "text/plain", body_text), problem);
	if ((raw = mimepart_decode(part, &rawlen)) == NULL)
		return in_fail(c, INTAKE_ERROR, "out of memory");
	text = textconv_utf8(raw, rawlen,
			    g_mime_object_get_content_type_parameter(obj,
								     "charset"),
			    &textlen);
	free(raw);
	if (text == NULL)
		return in_fail(c, INTAKE_ERROR, "out of memory");
	if (textconv_is_blank(text, textlen)) {
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

	if ((data = mimepart_decode(part, &len)) == NULL) {
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
	if ((problem = mimepart_base64_problem(part)) != NULL) {
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

	if (msghdr_fill(msg, out) < 0) {
		rc = in_fail(&c, INTAKE_ERROR, "out of memory");
		goto done;
	}
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
