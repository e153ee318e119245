/*
 * bounce.c - read a delivery report (RFC 3464) about the mail of a
 * received fax; see bounce.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "bounce.h"

#define TOKEN "faxgate.inbound."
#define VALUE_MAX 1000		/* longer values are cut */
#define RCPT_MAX 100		/* recipient blocks read from one report */

int bounce_token(const char *s, long *id, long *received_at)
{
	char *end;

	if (strncasecmp(s, TOKEN, strlen(TOKEN)) != 0)
		return -1;
	s += strlen(TOKEN);
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*id = strtol(s, &end, 10);
	if (errno || *end != '.' || *id <= 0 || !isdigit((unsigned char)end[1]))
		return -1;
	*received_at = strtol(end + 1, &end, 10);
	if (errno || *received_at < 0 || (*end != '\0' && *end != '@' && *end != '>' &&
	    !isspace((unsigned char)*end)))
		return -1;
	return 0;
}

/* clean - a printable, bounded copy of s[0..len) with blanks trimmed,
 * valid UTF-8: a report may carry any bytes, the cut at VALUE_MAX may
 * split a character, and a PostgreSQL store refuses invalid text (the
 * report would be deferred by the MTA until it expired) */
static char *clean(const char *s, size_t len)
{
	char *r;
	size_t n = 0;

	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len > VALUE_MAX)
		len = VALUE_MAX;
	if ((r = malloc(len + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		r[n++] = c < 0x20 || c == 0x7f ? (c == '\t' ? ' ' : '?') : (char)c;
	}
	r[n] = '\0';
	if (!g_utf8_validate(r, -1, NULL)) {
		gchar *v = g_utf8_make_valid(r, -1);	/* U+FFFD for each bad sequence */
		free(r);
		r = v ? strdup(v) : NULL;
		g_free(v);
	}
	return r;
}

/* after_type - "rfc822; a@b" or "dns; host" without the type, or s */
static const char *after_type(const char *s)
{
	const char *semi = strchr(s, ';');

	return semi ? semi + 1 : s;
}

/*
 * A block of fields: the lines of one paragraph of the delivery-status
 * body, continuation lines folded in. Only the fields read here are kept.
 */
typedef struct block {
	char *envid, *mta, *final, *original, *action, *status, *diag;
} block_t;

static void block_free(block_t *k)
{
	free(k->envid);
	free(k->mta);
	free(k->final);
	free(k->original);
	free(k->action);
	free(k->status);
	free(k->diag);
	memset(k, 0, sizeof(*k));
}

/* field - one unfolded "Name: value" line into k; -1 out of memory */
static int field(block_t *k, const char *line, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "original-envelope-id", offsetof(block_t, envid) },
		{ "reporting-mta", offsetof(block_t, mta) },
		{ "final-recipient", offsetof(block_t, final) },
		{ "original-recipient", offsetof(block_t, original) },
		{ "action", offsetof(block_t, action) },
		{ "status", offsetof(block_t, status) },
		{ "diagnostic-code", offsetof(block_t, diag) },
	};
	const char *colon = memchr(line, ':', len);

	if (colon == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		size_t nl = strlen(fields[i].name);
		char **slot = (char **)((char *)k + fields[i].off);

		if ((size_t)(colon - line) != nl || strncasecmp(line, fields[i].name, nl) != 0)
			continue;
		if (*slot)		/* the first one counts */
			return 0;
		if ((*slot = clean(colon + 1, len - (size_t)(colon + 1 - line))) == NULL)
			return -1;
		return 0;
	}
	return 0;
}

/* next_block - the block starting at *p (blank lines skipped); 1, 0 at
 * the end, -1 out of memory */
static int next_block(const char **p, const char *end, block_t *k)
{
	char line[2 * VALUE_MAX];
	size_t ll = 0;
	int any = 0;

	memset(k, 0, sizeof(*k));
	while (*p < end) {	/* skip blank lines */
		const char *nl = memchr(*p, '\n', (size_t)(end - *p));
		const char *e = nl ? nl : end;
		const char *q = *p;

		while (q < e && (*q == '\r' || *q == ' ' || *q == '\t'))
			q++;
		if (q != e)
			break;
		*p = nl ? nl + 1 : end;
	}
	while (*p < end) {
		const char *nl = memchr(*p, '\n', (size_t)(end - *p));
		const char *e = nl ? nl : end;
		size_t n;

		if (e > *p && e[-1] == '\r')
			e--;
		if (e == *p)	/* a blank line ends the block */
			break;
		n = (size_t)(e - *p);
		if (**p == ' ' || **p == '\t') {	/* continuation */
			if (ll + n < sizeof(line))
				memcpy(line + ll, *p, n), ll += n;
		} else {
			if (ll && field(k, line, ll) < 0)
				return -1;
			ll = n < sizeof(line) ? n : sizeof(line) - 1;
			memcpy(line, *p, ll);
		}
		any = 1;
		*p = nl ? nl + 1 : end;
	}
	if (ll && field(k, line, ll) < 0)
		return -1;
	return any;
}

/* status_ok - "d.d.d" with class 2, 4 or 5 (RFC 3463) */
static int status_ok(const char *s)
{
	int cls, sub, det, n = 0;

	if (sscanf(s, "%1d.%3d.%3d%n", &cls, &sub, &det, &n) != 3 || s[n] != '\0')
		return 0;
	return cls == 2 || cls == 4 || cls == 5;
}

/* part_text - a leaf part's decoded content, NUL-terminated; NULL if none */
static GByteArray *part_text(GMimeObject *o)
{
	GMimeDataWrapper *w;
	GMimeStream *mem;
	GByteArray *a;

	if (!GMIME_IS_PART(o) || (w = g_mime_part_get_content(GMIME_PART(o))) == NULL)
		return NULL;
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, mem);
	/* The stream frees its array's data when it goes, refs or not. */
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_object_unref(mem);
	g_byte_array_append(a, (const guint8 *)"", 1);
	return a;
}

/* returned_msgid - the fax's token in the Message-ID of the returned
 * message or headers; 0, or -1 if none */
static int returned_msgid(GMimeObject *o, long *id, long *at)
{
	GMimeMessage *m = NULL;
	const char *mid;
	int rc = -1;

	if (GMIME_IS_MESSAGE_PART(o)) {
		m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
		if (m)
			g_object_ref(m);
	} else {	/* text/rfc822-headers: a header block to parse */
		GByteArray *a = part_text(o);
		if (a) {
			GMimeStream *s = g_mime_stream_mem_new_with_buffer((const char *)a->data,
			    a->len - 1);
			GMimeParser *p = g_mime_parser_new_with_stream(s);
			m = g_mime_parser_construct_message(p, NULL);
			g_object_unref(p);
			g_object_unref(s);
			g_byte_array_unref(a);
		}
	}
	if (m && (mid = g_mime_message_get_message_id(m)) != NULL)
		rc = bounce_token(mid, id, at);
	if (m)
		g_object_unref(m);
	return rc;
}

typedef struct walk {
	GMimeObject *status;		/* message/delivery-status */
	GMimeObject *returned;		/* message/rfc822 or text/rfc822-headers */
} walk_t;

static void visit(GMimeObject *parent, GMimeObject *part, gpointer user)
{
	walk_t *w = user;
	GMimeContentType *ct = g_mime_object_get_content_type(part);

	(void)parent;
	if (!w->status && (g_mime_content_type_is_type(ct, "message", "delivery-status") ||
	    g_mime_content_type_is_type(ct, "message", "global-delivery-status")))
		w->status = part;
	else if (!w->returned && (g_mime_content_type_is_type(ct, "message", "rfc822") ||
	    g_mime_content_type_is_type(ct, "text", "rfc822-headers") ||
	    g_mime_content_type_is_type(ct, "message", "global-headers")))
		w->returned = part;
}

void bounce_free(bounce_t *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->rcpts[i].recipient);
		free(b->rcpts[i].action);
		free(b->rcpts[i].status);
		free(b->rcpts[i].diagnostic);
	}
	free(b->rcpts);
	free(b->reporting_mta);
	memset(b, 0, sizeof(*b));
}

/* take - a recipient block into b; 0, or -1 out of memory */
static int take(bounce_t *b, block_t *k)
{
	bounce_rcpt_t *r;
	const char *addr;

	if (!k->final || !k->action || !k->status || b->n >= RCPT_MAX)
		return 0;	/* not a recipient block, or enough */
	for (char *c = k->action; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	/* "5.1.1 (comment)" happens: the code is the first word. */
	k->status[strcspn(k->status, " \t(")] = '\0';
	if (!status_ok(k->status))
		return 0;
	if ((r = realloc(b->rcpts, (b->n + 1) * sizeof(*r))) == NULL)
		return -1;
	b->rcpts = r;
	r = &b->rcpts[b->n];
	addr = after_type(k->final);
	while (*addr == ' ')
		addr++;
	if ((r->recipient = strdup(addr)) == NULL)
		return -1;
	r->action = k->action;
	r->status = k->status;
	r->diagnostic = k->diag;
	k->action = k->status = k->diag = NULL;
	b->n++;
	return 0;
}

int bounce_parse(const char *text, size_t len, bounce_t *b, char *err, size_t errlen)
{
	GMimeStream *s;
	GMimeParser *p;
	GMimeMessage *m;
	GByteArray *ds = NULL;
	walk_t w = { 0 };
	block_t k;
	const char *q, *end;
	int rc = -1, more, have = 0;

	memset(b, 0, sizeof(*b));
	g_mime_init();
	s = g_mime_stream_mem_new_with_buffer(text, len);
	p = g_mime_parser_new_with_stream(s);
	m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(s);
	if (m == NULL) {
		snprintf(err, errlen, "not a mail message");
		return -1;
	}
	g_mime_message_foreach(m, visit, &w);
	if (w.status == NULL || (ds = part_text(w.status)) == NULL) {
		snprintf(err, errlen, "not a delivery report (no message/delivery-status part)");
		goto out;
	}
	q = (const char *)ds->data;
	end = q + ds->len - 1;
	/* The per-message block, then one block per recipient. */
	if ((more = next_block(&q, end, &k)) < 0)
		goto oom;
	if (more && k.envid && bounce_token(k.envid, &b->id, &b->received_at) == 0) {
		have = 1;
		b->found_by = "envelope id";
	}
	if (more && k.mta) {
		const char *h = after_type(k.mta);
		while (*h == ' ')
			h++;
		if ((b->reporting_mta = strdup(h)) == NULL)
			goto oom;
	}
	block_free(&k);
	while ((more = next_block(&q, end, &k)) > 0) {
		if (take(b, &k) < 0)
			goto oom;
		block_free(&k);
	}
	block_free(&k);
	if (more < 0)
		goto oom;
	if (!have && w.returned && returned_msgid(w.returned, &b->id, &b->received_at) == 0) {
		have = 1;
		b->found_by = "message id";
	}
	if (b->n == 0)
		snprintf(err, errlen, "the delivery report has no recipient with an action and a status");
	else if (!have)
		snprintf(err, errlen, "the delivery report is about no fax this gateway mailed"
		    " (no faxgate.inbound envelope id or Message-ID)");
	else
		rc = 0;
	goto out;
oom:
	block_free(&k);
	snprintf(err, errlen, "out of memory");
out:
	if (ds)
		g_byte_array_unref(ds);
	g_object_unref(m);
	if (rc < 0)
		bounce_free(b);
	return rc;
}
