/*
 * mail.c - a received fax as a mail, built with GMime; see mail.h.
 *
 * GMime chooses nothing here that matters for the recipient: the
 * encodings are set explicitly (base64 for the pages, 7bit or
 * quoted-printable for the text) so the result is the same whatever the
 * data, and its lines are CR LF for sendmail -i.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gmime/gmime.h>

#include "mail.h"
#include "onramp.h"

/* clean - s for people and headers: printable ASCII, '?' for the rest,
 * at most max characters, "=?" split so no encoded word can start */
static void clean(GString *g, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && *s && n < max; s++, n++) {
		unsigned char c = (unsigned char)*s;
		g_string_append_c(g, c >= 0x20 && c < 0x7f ? (char)c : '?');
		if (c == '=' && s[1] == '?')
			g_string_append_c(g, ' ');
	}
}

/* known - s when it has something to say, else NULL */
static const char *known(const char *s)
{
	return s && *s ? s : NULL;
}

/* fmt_date - an RFC 5322 date in UTC ("unknown" for <= 0) */
static const char *fmt_date(long t, char *buf, size_t len)
{
	static const char day[] = "SunMonTueWedThuFriSat";
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	time_t tt = (time_t)t;
	struct tm tm;

	/* Our own names: strftime would follow the locale. */
	if (t <= 0 || !gmtime_r(&tt, &tm))
		return "unknown";
	snprintf(buf, len, "%.3s, %d %.3s %04d %02d:%02d:%02d +0000", day + 3 * tm.tm_wday,
	    tm.tm_mday, mon + 3 * tm.tm_mon, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

/* mail_from - FAX=+caller@domain or the no-caller address; 1 or 0 */
int mail_from(const char *caller, const char *domain, const char *no_caller,
    char *buf, size_t len)
{
	const char *d = caller ? caller + (caller[0] == '+') : "";
	size_t n = strlen(d);

	if (n > 0 && n <= 20 && strspn(d, "0123456789") == n) {
		snprintf(buf, len, "FAX=+%s@%s", d, domain);
		return 1;
	}
	snprintf(buf, len, "%s", no_caller);
	return 0;
}

/* subject - the Subject line */
static void subject(GString *g, const mail_fax_t *f)
{
	g_string_append(g, "Fax from ");
	if (known(f->caller))
		clean(g, f->caller, 32);
	else
		g_string_append(g, "unknown caller");
	if (known(f->tsi)) {
		GString *t = g_string_new(NULL);
		clean(t, f->tsi, 32);
		g_strstrip(t->str);
		if (t->str[0])
			g_string_append_printf(g, " (TSI \"%s\")", t->str);
		g_string_free(t, TRUE);
	}
	g_string_append_printf(g, ", %d page%s", f->pages, f->pages == 1 ? "" : "s");
	if (!f->outcome || strcmp(f->outcome, "ok") != 0)
		g_string_append(g, ", incomplete");
}

/* field - one "  Name:   value" line, the value cleaned */
static void field(GString *g, const char *name, const char *value)
{
	g_string_append_printf(g, "  %-21s ", name);
	if (known(value))
		clean(g, value, 200);
	else
		g_string_append(g, "unknown");
	g_string_append_c(g, '\n');
}

/* body - the text for people: the RFC 4161 3.2 fields */
static void body(GString *g, const mail_fax_t *f)
{
	char d[64], n[32];
	int complete = f->outcome && strcmp(f->outcome, "ok") == 0;

	g_string_append_printf(g, "This is the fax gateway at %s. A fax was received for you;\n"
	    "its pages are attached as a TIFF (RFC 3965)%s.\n\n", f->hostname,
	    f->pdf ? " and as a PDF" : "");
	if (!complete) {
		g_string_append_printf(g, "The fax is incomplete: the call ended after %d page%s.\n\n",
		    f->pages, f->pages == 1 ? "" : "s");
	}
	field(g, "Start of reception:", fmt_date(f->received_at, d, sizeof(d)));
	field(g, "End of reception:", fmt_date(f->ended_at, d, sizeof(d)));
	snprintf(n, sizeof(n), "%d", f->pages);
	field(g, "Pages received:", n);
	snprintf(n, sizeof(n), "%ld", f->bytes);
	field(g, "Bytes received:", n);
	field(g, "Resolution:", f->resolution);
	field(g, "Caller:", f->caller);
	field(g, "Station ID (TSI):", f->tsi);
	field(g, "Number dialled:", f->did);
	field(g, "Recipients:", f->targets);
	field(g, "Mailed:", fmt_date(f->date, d, sizeof(d)));
	snprintf(n, sizeof(n), "%u", f->attempt);
	field(g, "Attempts:", n);
	if (complete) {
		GString *s = g_string_new("complete");
		if (known(f->status))
			g_string_append_printf(s, " (%s)", f->status);
		field(g, "Status:", s->str);
		g_string_free(s, TRUE);
	} else {
		GString *s = g_string_new(NULL);
		g_string_append_printf(s, "incomplete: the call ended after %d page%s", f->pages,
		    f->pages == 1 ? "" : "s");
		if (known(f->status))
			g_string_append_printf(s, " (%s)", f->status);
		field(g, "Status:", s->str);
		g_string_truncate(s, 0);
		if (known(f->error_code))
			g_string_append(s, f->error_code);
		if (known(f->error_text))
			g_string_append_printf(s, "%s%s", s->len ? ": " : "", f->error_text);
		if (s->len)
			field(g, "Error:", s->str);
		g_string_free(s, TRUE);
	}
	if (f->pdf_error) {
		g_string_append(g, "\nThere is no PDF: ");
		clean(g, f->pdf_error, 200);
		g_string_append(g, ".\n");
	}
}

/* part - a leaf part holding len bytes */
static GMimeObject *part(const char *type, const char *subtype, const void *data, size_t len,
    GMimeContentEncoding enc, const char *filename)
{
	GMimePart *p = g_mime_part_new_with_type(type, subtype);
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(p, w);
	g_object_unref(w);
	g_object_unref(s);
	g_mime_part_set_content_encoding(p, enc);
	if (filename) {
		g_mime_object_set_content_disposition_parameter((GMimeObject *)p, "filename", filename);
		g_mime_object_set_content_type_parameter((GMimeObject *)p, "name", filename);
	}
	return (GMimeObject *)p;
}

/* text_enc - 7bit when every line is short ASCII, else quoted-printable */
static GMimeContentEncoding text_enc(const GString *g)
{
	size_t col = 0;

	for (size_t i = 0; i < g->len; i++) {
		if (g->str[i] == '\n')
			col = 0;
		else if ((unsigned char)g->str[i] >= 0x80 || ++col > 998)
			return GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
	}
	return GMIME_CONTENT_ENCODING_7BIT;
}

/* add_to - every target as a To: mailbox; 0 or -1 */
static int add_to(GMimeMessage *msg, const char *targets, char *err, size_t errlen)
{
	char item[400];
	int n = 0;

	for (const char *p = targets ? targets : ""; *p;) {
		size_t len = strcspn(p, " \t");
		if (len > 0) {
			snprintf(item, sizeof(item), "%.*s", (int)(len < sizeof(item) ? len :
			    sizeof(item) - 1), p);
			if (len >= sizeof(item) || onramp_check(ONRAMP_F_ADDRESS, item, err, errlen) < 0) {
				if (len >= sizeof(item))
					snprintf(err, errlen, "a recipient longer than %zu characters",
					    sizeof(item) - 1);
				return -1;
			}
			InternetAddress *ia = internet_address_mailbox_new(NULL, item);
			internet_address_list_add(g_mime_message_get_to(msg), ia);
			g_object_unref(ia);
			n++;
		}
		p += len;
		p += strspn(p, " \t");
	}
	if (n == 0)
		snprintf(err, errlen, "no recipient");
	return n ? 0 : -1;
}

/* mail_build - the mail for a received fax; 0 or -1 */
int mail_build(const mail_fax_t *f, char **out, size_t *outlen, char *err, size_t errlen)
{
	GMimeMessage *msg;
	GMimeMultipart *mp;
	GMimeObject *text, *tiff, *pdf = NULL;
	GMimeFormatOptions *fo;
	GMimeStream *s;
	GByteArray *ba;
	GDateTime *date;
	GString *subj, *txt;
	char name[64];
	int rc = -1;

	if (!f->tiff || !f->tifflen) {
		snprintf(err, errlen, "no pages to attach");
		return -1;
	}
	if (onramp_check(ONRAMP_F_ADDRESS, f->from, err, errlen) < 0)
		return -1;
	msg = g_mime_message_new(FALSE);
	if (add_to(msg, f->targets, err, errlen) < 0) {
		g_object_unref(msg);
		return -1;
	}
	{
		InternetAddress *ia = internet_address_mailbox_new(NULL, f->from);
		internet_address_list_add(g_mime_message_get_from(msg), ia);
		g_object_unref(ia);
	}
	subj = g_string_new(NULL);
	subject(subj, f);
	g_mime_message_set_subject(msg, subj->str, "utf-8");
	date = g_date_time_new_from_unix_utc(f->date);
	g_mime_message_set_date(msg, date);
	g_mime_object_set_header((GMimeObject *)msg, "Message-ID", f->message_id, NULL);
	g_mime_object_set_header((GMimeObject *)msg, "Auto-Submitted", "auto-generated", NULL);

	txt = g_string_new(NULL);
	body(txt, f);
	mp = g_mime_multipart_new_with_subtype("mixed");
	text = part("text", "plain", txt->str, txt->len, text_enc(txt), NULL);
	g_mime_object_set_content_type_parameter(text, "charset", "utf-8");
	g_mime_multipart_add(mp, text);
	snprintf(name, sizeof(name), "fax-%ld.tif", f->id);
	tiff = part("image", "tiff", f->tiff, f->tifflen, GMIME_CONTENT_ENCODING_BASE64, name);
	/* RFC 3302: the TIFF is a black and white fax (Profile S). */
	g_mime_object_set_content_type_parameter(tiff, "application", "faxbw");
	g_mime_multipart_add(mp, tiff);
	if (f->pdf && f->pdflen) {
		snprintf(name, sizeof(name), "fax-%ld.pdf", f->id);
		pdf = part("application", "pdf", f->pdf, f->pdflen, GMIME_CONTENT_ENCODING_BASE64,
		    name);
		g_mime_multipart_add(mp, pdf);
	}
	g_mime_message_set_mime_part(msg, (GMimeObject *)mp);

	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	s = g_mime_stream_mem_new();
	ba = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)s);
	if (g_mime_object_write_to_stream((GMimeObject *)msg, fo, s) < 0)
		snprintf(err, errlen, "cannot write the mail");
	else if ((*out = malloc(ba->len + 1)) == NULL)
		snprintf(err, errlen, "out of memory");
	else {
		memcpy(*out, ba->data, ba->len);
		(*out)[ba->len] = '\0';
		*outlen = ba->len;
		rc = 0;
	}
	g_object_unref(s);
	g_mime_format_options_free(fo);
	if (pdf)
		g_object_unref(pdf);
	g_object_unref(tiff);
	g_object_unref(text);
	g_object_unref(mp);
	g_object_unref(msg);
	g_date_time_unref(date);
	g_string_free(subj, TRUE);
	g_string_free(txt, TRUE);
	return rc;
}
