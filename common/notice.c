/* notice.c - delivery status and disposition notices; see notice.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gmime/gmime.h>

#include "notice.h"

#define LINE_OCTETS	998		/* RFC 5322 section 2.1.1 */
#define ADDR_OCTETS	320		/* 64 local + '@' + 255 domain */
#define TYPE_CHARS	"abcdefghijklmnopqrstuvwxyz" \
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"

static pthread_once_t notice_once = PTHREAD_ONCE_INIT;

/* notice_init - initialise GMime once per process */
void	notice_init(void)
{
	pthread_once(&notice_once, g_mime_init);
}

/* seterr - write a reason into err, returns -1 */
static int seterr(char *err, size_t errlen, const char *why)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", why);
	return -1;
}

 /*
  * The actions we report, in the order a gathered notice counts them.
  * The class of the Status must fit (RFC 3464 section 2.3.3 allows
  * class 4 with "failed"). A gateway neither relays nor expands.
  */
enum { A_FAILED, A_DELAYED, A_DELIVERED, N_ACTIONS };
static const struct {
	const char *name, *classes;
}	actions[N_ACTIONS] = {{"failed", "45"}, {"delayed", "4"}, {"delivered", "2"}};

/* action_index - the A_ value of action, returns it or -1 */
static int action_index(const char *action)
{
	for (int i = 0; action != NULL && i < N_ACTIONS; i++)
		if (strcasecmp(action, actions[i].name) == 0)
			return i;
	return -1;
}

enum { N_SUCCESS = 1, N_FAILURE = 2, N_DELAY = 4, N_NEVER = 8 };

/* notify_bits - the keywords NOTIFY holds as N_ bits, returns the mask */
static int notify_bits(const char *notify)
{
	static const char *kw[] = {"SUCCESS", "FAILURE", "DELAY", "NEVER"};
	char  **words = g_strsplit(notify ? notify : "", ",", -1);
	int	bits = 0;

	for (char **w = words; *w != NULL; w++)
		for (int i = 0; i < 4; i++)
			if (g_ascii_strcasecmp(g_strstrip(*w), kw[i]) == 0)
				bits |= 1 << i;
	g_strfreev(words);
	return bits;
}

/* notice_wanted - does NOTIFY ask for a notice with this action, returns 0/1 */
int	notice_wanted(const char *notify, const char *action)
{
	int	bits = notify_bits(notify);

	if (bits & N_NEVER)
		return 0;
	switch (action_index(action)) {
	case A_FAILED:				/* RFC 3461 section 5.2.6 */
		return bits == 0 || (bits & N_FAILURE) != 0;
	case A_DELAYED:				/* policy: see notice.h */
		return (bits & N_DELAY) != 0;
	case A_DELIVERED:			/* section 5.2.3 */
		return (bits & N_SUCCESS) != 0;
	}
	return 0;
}

/* status_ok - is s class.subject.detail with a class fit for action a, returns 0/1 */
static int status_ok(const char *s, int a)
{
	size_t	n;

	if (s == NULL || s[0] == 0 || strchr(actions[a].classes, s[0]) == NULL
	    || s[1] != '.')
		return 0;
	s += 2;
	for (int part = 0; part < 2; part++, s += n + 1) {
		n = strspn(s, "0123456789");
		if (n < 1 || n > 3 || s[n] != (part ? 0 : '.'))
			return 0;
	}
	return 1;
}

/* fmt_date - an RFC 5322 date in UTC, or "unknown" for t <= 0, returns buf */
static const char *fmt_date(long t, char *buf, size_t len)
{
	static const char day[] = "SunMonTueWedThuFriSat";
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	time_t	tt = (time_t) t;
	struct tm tm;

	/* Our own names: strftime() would follow the locale. */
	if (t <= 0 || gmtime_r(&tt, &tm) == NULL || tm.tm_year > 9999 - 1900)
		return "unknown";
	snprintf(buf, len, "%.3s, %d %.3s %04d %02d:%02d:%02d +0000",
		 day + 3 * tm.tm_wday, tm.tm_mday, mon + 3 * tm.tm_mon,
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

/* is_ctl - a character that must not reach people or headers, returns 0/1 */
static int is_ctl(gunichar c)
{
	/* Line and paragraph separators and bidi controls reorder text. */
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028
	    || c == 0x2029 || (c >= 0x202a && c <= 0x202e)
	    || (c >= 0x2066 && c <= 0x2069);
}

/* next_char - decode the character at *p (U+FFFD for a bad octet), returns it */
static gunichar next_char(const char **p)
{
	gunichar c = g_utf8_get_char_validated(*p, -1);

	if (c == (gunichar) -1 || c == (gunichar) -2) {
		(*p)++;
		return 0xfffd;
	}
	*p = g_utf8_next_char(*p);
	return c;
}

/* put_text - append s for people: UTF-8, a run of controls as one space, "..." after max octets */
static void put_text(GString *g, const char *s, size_t max)
{
	size_t	start = g->len;
	int	blank = 0;

	for (const char *p = s; p != NULL && *p != 0;) {
		gunichar c = next_char(&p);
		char	u[8];
		int	ul;

		if (is_ctl(c) && blank)
			continue;
		blank = is_ctl(c);
		ul = g_unichar_to_utf8(blank ? ' ' : c, u);
		if (g->len - start + (size_t) ul > max) {
			g_string_append(g, "...");
			return;
		}
		g_string_append_len(g, u, ul);
	}
}

/* defuse_2047 - turn each "=?" in g into "= ?", so no text reads as an encoded word */
static void defuse_2047(GString *g)
{
	size_t	at = 0;

	/* GMime writes a literal "=?utf-8?q?=0D=0A?=" as is: it decodes to CR LF. */
	for (char *p; (p = strstr(g->str + at, "=?")) != NULL;) {
		at = (size_t) (p - g->str) + 1;
		g_string_insert_c(g, (gssize) at, ' ');
	}
}

/* put_ascii - append s with '?' for each unprintable character, max octets */
static void put_ascii(GString *g, const char *s, size_t max)
{
	size_t	start = g->len;

	for (const char *p = s; p != NULL && *p != 0 && g->len - start < max;) {
		gunichar c = next_char(&p);

		g_string_append_c(g, c >= 0x20 && c < 0x7f ? (char) c : '?');
	}
}

/* put_id - append an identifier as is if printable ASCII, else as xtext, max octets */
static void put_id(GString *g, const char *s, size_t max)
{
	const unsigned char *p;
	size_t	used = 0;

	for (p = (const unsigned char *) s; *p >= 0x20 && *p < 0x7f; p++)
		;
	if (*p == 0) {
		g_string_append_len(g, s, (gssize) MIN(strlen(s), max));
		return;
	}
	/* Whole units only, so a cut never leaves half a "+XX". */
	for (p = (const unsigned char *) s; *p != 0; p++) {
		int	plain = *p > 0x20 && *p < 0x7f && *p != '+' && *p != '=';

		if ((used += plain ? 1 : 3) > max)
			break;
		if (plain)
			g_string_append_c(g, (char) *p);
		else
			g_string_append_printf(g, "+%02X", *p);
	}
}

/* put_typed - append "type;address" (ORCPT) or "type; text" (Diagnostic-Code), cleaned */
static void put_typed(GString *g, const char *s, int diag)
{
	size_t	n = strspn(s, TYPE_CHARS);

	if (n == 0 || n > 64 || s[n] != ';') {
		/* No usable type: name one and keep all of the value. */
		g_string_append(g, diag ? "X-Faxgate; " : "rfc822;");
		n = 0;
	} else {
		g_string_append_len(g, s, (gssize) ++n);
		if (diag) {
			g_string_append_c(g, ' ');
			n += strspn(s + n, " \t");
		}
	}
	(diag ? put_ascii : put_id) (g, s + n, NOTICE_VALUE_MAX);
}

/* host_ok - are the len octets at s a host name, returns 0/1 */
static int host_ok(const char *s, size_t len, int utf8)
{
	size_t	label = 0;

	if (len == 0 || len > 255)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) s[i];

		if (c == '.' && label > 0 && s[i - 1] != '-')
			label = 0;
		else if (g_ascii_isalnum(c) || (utf8 && c >= 0x80)
			 || (c == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return label > 0 && s[len - 1] != '-';
}

/* addr_ok - are the len octets at s an addr-spec fit for a header, returns 0/1 */
static int addr_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s, *end = p + len;
	const unsigned char *start = p;

	if (len == 0 || len > ADDR_OCTETS || !g_utf8_validate(s, (gssize) len, NULL))
		return 0;
	/* GMime writes the addr-spec as it is: no CR LF may hide in it. */
	if (*p == '"') {
		for (p++; p < end && *p != '"'; p++)
			if ((*p == '\\' && ++p >= end) || *p < 0x20 || *p == 0x7f)
				return 0;
		if (p++ >= end)
			return 0;
	} else {
		for (; p < end && *p != '@'; p++)
			if (!(g_ascii_isalnum(*p) || *p >= 0x80
			      || strchr("!#$%&'*+-/=?^_`{|}~", *p) != NULL
			      || (*p == '.' && p > start && p[-1] != '.')))
				return 0;
		if (p == start || p[-1] == '.')
			return 0;
	}
	if (p >= end || *p++ != '@')
		return 0;
	if (p < end && *p == '[') {
		for (start = ++p; p < end && *p != ']'; p++)
			if (*p < 0x21 || *p > 0x7e || *p == '[' || *p == '\\')
				return 0;
		return p > start && p + 1 == end;
	}
	return host_ok((const char *) p, (size_t) (end - p), 1);
}

/* strip_path - drop surrounding <> from *s, returns the remaining length */
static size_t strip_path(const char **s)
{
	size_t	len = strlen(*s);

	if (len >= 2 && (*s)[0] == '<' && (*s)[len - 1] == '>')
		return (*s)++, len - 2;
	return len;
}

/* addr_eq - same addr-spec (domain ignoring ASCII case), returns 0/1 */
static int addr_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *aat = g_strrstr_len(a, (gssize) alen, "@");
	const char *bat = g_strrstr_len(b, (gssize) blen, "@");

	return aat != NULL && bat != NULL && aat - a == bat - b
	    && memcmp(a, b, (size_t) (aat - a)) == 0 && alen == blen
	    && g_ascii_strncasecmp(aat, bat, alen - (size_t) (aat - a)) == 0;
}

/* mailbox_new - a From/To mailbox from "addr", "<addr>" or, if named, "Name <addr>", returns it or NULL */
static InternetAddress *mailbox_new(const char *s, int named)
{
	InternetAddressList *list;
	InternetAddress *ia = NULL, *got;
	const char *a = s;
	size_t	len = strip_path(&a);
	char   *addr;

	if (addr_ok(a, len)) {
		addr = g_strndup(a, len);
		ia = internet_address_mailbox_new(NULL, addr);
		g_free(addr);
	} else if (named && (list = internet_address_list_parse(NULL, s)) != NULL) {
		if (internet_address_list_length(list) == 1
		    && INTERNET_ADDRESS_IS_MAILBOX(got = internet_address_list_get_address(list, 0))
		    && (a = internet_address_mailbox_get_addr((InternetAddressMailbox *) got)) != NULL
		    && addr_ok(a, strlen(a))) {
			GString *name = g_string_new(NULL);

			put_text(name, internet_address_get_name(got), NOTICE_VALUE_MAX);
			defuse_2047(name);
			ia = internet_address_mailbox_new(name->len ? name->str : NULL, a);
			g_string_free(name, TRUE);
		}
		g_object_unref(list);
	}
	return ia;
}

/* notice_mdn_allowed - may an automatic MDN go to this Disposition-Notification-To, returns 0/1 */
int	notice_mdn_allowed(const char *dnt, const char *return_path)
{
	InternetAddressList *list;
	size_t	rlen;
	int	ok, count;

	if (dnt == NULL || return_path == NULL)
		return 0;
	rlen = strip_path(&return_path);
	if (!addr_ok(return_path, rlen))
		return 0;
	notice_init();
	if ((list = internet_address_list_parse(NULL, dnt)) == NULL)
		return 0;
	ok = (count = internet_address_list_length(list)) > 0;
	for (int i = 0; ok && i < count; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		const char *a;

		ok = INTERNET_ADDRESS_IS_MAILBOX(ia)
		    && (a = internet_address_mailbox_get_addr((InternetAddressMailbox *) ia)) != NULL
		    && addr_eq(a, strlen(a), return_path, rlen);
	}
	g_object_unref(list);
	return ok;
}

 /*
  * The original message, cleaned: LF line ends (GMime writes CR LF),
  * bare CR and NUL as spaces, optionally only the header block.
  */
typedef struct {
	GString *text;
	int	eightbit;		/* an octet >= 0x80 */
	int	longline;		/* a line over LINE_OCTETS */
	int	cut;			/* cap reached */
} orig_t;

/* orig_copy - copy the original (or its header block) into o, at most cap octets */
static void orig_copy(const unsigned char *p, size_t len, int hdrs, size_t cap,
		              orig_t *o)
{
	size_t	i = 0, field = 0;

	memset(o, 0, sizeof(*o));
	o->text = g_string_sized_new(MIN(len, cap) + 1);
	while (i < len) {
		size_t	j = i;

		while (j < len && p[j] != '\n'
		       && !(p[j] == '\r' && j + 1 < len && p[j + 1] == '\n'))
			j++;
		if (hdrs && j == i)
			break;			/* the blank line after the header */
		if (p[i] != ' ' && p[i] != '\t')
			field = o->text->len;
		if (o->text->len + (j - i) + 1 > cap) {
			/* A header field goes back whole or not at all. */
			if (hdrs)
				g_string_truncate(o->text, field);
			o->cut = 1;
			break;
		}
		/* A bare CR could become a line end: split a header. */
		for (size_t k = i; k < j; k++) {
			o->eightbit |= p[k] >= 0x80;
			g_string_append_c(o->text, p[k] == '\r' || p[k] == 0 ?
					  ' ' : (char) p[k]);
		}
		g_string_append_c(o->text, '\n');
		o->longline |= j - i > LINE_OCTETS;
		i = j >= len ? j : p[j] == '\r' ? j + 2 : j + 1;
	}
}

/* lines_ok - all lines end in CR LF (crlf) or LF and are short, no NUL, 8-bit only if crlf; returns 0/1 */
static int lines_ok(const unsigned char *p, size_t len, int crlf)
{
	size_t	col = 0;

	for (size_t i = 0; i < len; i++) {
		if (crlf && p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
			col = 0, i++;
		else if (!crlf && p[i] == '\n')
			col = 0;
		else if (p[i] == '\r' || p[i] == '\n' || p[i] == 0
			 || (p[i] >= 0x80 && !crlf) || ++col > LINE_OCTETS)
			return 0;
	}
	return 1;
}

/* pick_enc - 7bit for ASCII with short lines, else quoted-printable, returns it */
static GMimeContentEncoding pick_enc(const GString *g)
{
	return lines_ok((const unsigned char *) g->str, g->len, 0) ?
	    GMIME_CONTENT_ENCODING_7BIT : GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
}

/* new_part - a leaf part type/subtype holding g, returns it (caller unrefs) */
static GMimeObject *new_part(const char *type, const char *subtype,
			             const GString *g, GMimeContentEncoding enc)
{
	GMimePart *part = g_mime_part_new_with_type(type, subtype);
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(g->str, g->len);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(s,
					       GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(part, w);
	g_object_unref(w);
	g_object_unref(s);
	g_mime_part_set_content_encoding(part, enc);
	return (GMimeObject *) part;
}

/* orig_part - the original as message/rfc822 (if full and possible) or its header, returns it */
static GMimeObject *orig_part(const notice_msg_t *m, int full, GString *text)
{
	GMimeObject *part = NULL;
	orig_t	o;

	if (full) {
		orig_copy(m->orig, m->origlen, 0, m->ret_max ? m->ret_max :
			  NOTICE_RET_MAX, &o);
		if (!o.cut && !o.longline)
			part = new_part("message", "rfc822", o.text, o.eightbit ?
			   GMIME_CONTENT_ENCODING_8BIT : GMIME_CONTENT_ENCODING_7BIT);
		g_string_append_printf(text, part ? "\nYour message is attached.\n"
		   : "\nYour message (%zu octets) %s; only its header is attached.\n",
		   m->origlen, o.cut ? "is too large to return" : "has lines too long");
		g_string_free(o.text, TRUE);
		if (part != NULL)
			return part;
	} else
		g_string_append(text, "\nThe header of your message is attached.\n");
	orig_copy(m->orig, m->origlen, 1, NOTICE_HDRS_MAX, &o);
	part = new_part("text", "rfc822-headers", o.text, pick_enc(o.text));
	g_string_free(o.text, TRUE);
	return part;
}

/* put_human - append the readable lines for one recipient (draft 3.3.3 fields) */
static void put_human(GString *g, const notice_rcpt_t *r, int a)
{
	char	d[64], n[3][16];
	const char *num[3];
	int	v[3] = {r->pages_total, r->pages_sent, r->attempts};

	/* Total pages below 1, other counts below 0: unknown. */
	for (int i = 0; i < 3; i++) {
		snprintf(n[i], sizeof(n[i]), "%d", v[i]);
		num[i] = v[i] < (i == 0) ? "unknown" : n[i];
	}
	g_string_append_printf(g, "  %-19s %s (%s)\n  %-19s ", "Result:",
			       actions[a].name, r->status, "Cause:");
	put_text(g, r->cause ? r->cause : a >= A_DELIVERED ? "none" : "unknown",
		 NOTICE_VALUE_MAX);
	g_string_append_printf(g, "\n  %-19s ", "Number dialled:");
	put_text(g, r->number ? r->number : "unknown", NOTICE_VALUE_MAX);
	g_string_append_printf(g, "\n  %-19s %s\n", "Transmission start:",
			       fmt_date(r->start_time, d, sizeof(d)));
	g_string_append_printf(g, "  %-19s %s\n  %-19s %s\n  %-19s %s\n",
			       "Total pages:", num[0], "Pages sent:", num[1],
			       "Attempts:", num[2]);
	/* The draft's "retry start time": when the last retry began. */
	g_string_append_printf(g, "  %-19s %s\n", "Retry start time:",
			       r->attempts > 1 ? fmt_date(r->last_attempt_time, d,
			        sizeof(d)) : r->attempts < 0 ? "unknown" : "none");
	if (a == A_DELAYED)
		g_string_append_printf(g, "  %-19s %s\n", "Will retry until:",
				  fmt_date(r->will_retry_until, d, sizeof(d)));
	if (r->diagnostic != NULL) {
		g_string_append_printf(g, "  %-19s ", "Diagnostic:");
		put_typed(g, r->diagnostic, 1);
		g_string_append_c(g, '\n');
	}
}

/* put_orig_info - append what identifies the original message, for people */
static void put_orig_info(GString *g, const notice_msg_t *m)
{
	char	d[64];

	g_string_append_printf(g, "Your message\n  %-19s ", "Subject:");
	put_text(g, m->orig_subject ? m->orig_subject : "(none)",
		 NOTICE_SUBJECT_MAX);
	g_string_append_printf(g, "\n  %-19s ", "Message-ID:");
	put_text(g, m->orig_message_id ? m->orig_message_id : "(none)",
		 NOTICE_VALUE_MAX);
	g_string_append_printf(g, "\n  %-19s %s\n\n", "Received:",
			       fmt_date(m->arrival_date, d, sizeof(d)));
}

/* put_subject - append ": " and the original subject, if any */
static void put_subject(GString *subj, const notice_msg_t *m)
{
	GString *t = g_string_new(NULL);

	put_text(t, m->orig_subject, NOTICE_SUBJECT_MAX);
	defuse_2047(t);
	g_strstrip(t->str);
	if (t->str[0] != 0)
		g_string_append_printf(subj, ": %s", t->str);
	g_string_free(t, TRUE);
}

/* check_rcpt - validate one recipient, returns its action or -1 */
static int check_rcpt(const notice_rcpt_t *r, char *err, size_t errlen)
{
	int	a = action_index(r->action);

	if (r->recipient == NULL || r->recipient[0] == 0)
		return seterr(err, errlen, "recipient missing");
	if (a < 0)
		return seterr(err, errlen, "unknown action");
	if (!status_ok(r->status, a))
		return seterr(err, errlen, "status malformed or unfit for the action");
	return a;
}

 /*
  * One notice in the making: the mailboxes, the strings, and a third
  * part when there is one. report_free() releases it.
  */
typedef struct {
	InternetAddress *from, *to;
	GString *subject;
	GString *text;			/* for people */
	GString *fields;		/* the machine-readable part */
	const char *type;		/* report-type and message/ subtype */
	GMimeObject *orig;		/* the original, or NULL */
} report_t;

/* report - write r as a multipart/report message into *out, returns 0 or -1 */
static int report(const notice_msg_t *m, report_t *r, char **out,
		          size_t *outlen, char *err, size_t errlen)
{
	GMimeMessage *msg = g_mime_message_new(FALSE);
	GMimeMultipart *mp = g_mime_multipart_new_with_subtype("report");
	GMimeObject *text = new_part("text", "plain", r->text, pick_enc(r->text));
	GMimeObject *fields = new_part("message", r->type, r->fields,
				       GMIME_CONTENT_ENCODING_7BIT);
	GMimeFormatOptions *fo = g_mime_format_options_new();
	GMimeStream *s = g_mime_stream_mem_new();
	GDateTime *date = g_date_time_new_from_unix_utc(m->now > 0 ? m->now :
							(gint64) time(NULL));
	char   *id = m->message_id ? g_strdup(m->message_id) :
	    g_mime_utils_generate_message_id(m->reporting_mta);
	char   *msgid = g_strdup_printf("<%s>", id);
	GByteArray *ba;
	int	ret = -1;

	internet_address_list_add(g_mime_message_get_from(msg), r->from);
	internet_address_list_add(g_mime_message_get_to(msg), r->to);
	g_mime_message_set_subject(msg, r->subject->str, "utf-8");
	g_mime_message_set_date(msg, date);
	g_mime_object_set_header((GMimeObject *) msg, "Message-ID", msgid, NULL);
	g_mime_object_set_header((GMimeObject *) msg, "Auto-Submitted",
				 "auto-replied", NULL);
	g_mime_object_set_content_type_parameter((GMimeObject *) mp,
						 "report-type", r->type);
	g_mime_object_set_content_type_parameter(text, "charset", "utf-8");
	g_mime_multipart_add(mp, text);
	g_mime_multipart_add(mp, fields);
	if (r->orig != NULL)
		g_mime_multipart_add(mp, r->orig);
	g_mime_message_set_mime_part(msg, (GMimeObject *) mp);
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	ba = g_mime_stream_mem_get_byte_array((GMimeStreamMem *) s);
	if (g_mime_object_write_to_stream((GMimeObject *) msg, fo, s) < 0)
		seterr(err, errlen, "cannot write the notice");
	else if (!lines_ok(ba->data, ba->len, 1))	/* what cleaning missed */
		seterr(err, errlen, "internal error: malformed line in notice");
	else if ((*out = malloc(ba->len + 1)) == NULL)
		seterr(err, errlen, "out of memory");
	else {
		memcpy(*out, ba->data, ba->len);
		(*out)[ba->len] = 0;
		*outlen = ba->len;
		ret = 0;
	}
	g_free(msgid);
	g_free(id);
	g_date_time_unref(date);
	g_object_unref(s);
	g_mime_format_options_free(fo);
	g_object_unref(text);
	g_object_unref(fields);
	g_object_unref(mp);
	g_object_unref(msg);
	return ret;
}

/* report_free - release what rep holds, returns rc */
static int report_free(report_t *rep, int rc)
{
	GString *g[] = {rep->subject, rep->text, rep->fields};

	g_clear_object(&rep->from);
	g_clear_object(&rep->to);
	g_clear_object(&rep->orig);
	for (int i = 0; i < 3; i++)
		if (g[i] != NULL)
			g_string_free(g[i], TRUE);
	return rc;
}

/* report_begin - check m and start rep: To, From (the mailbox from), greeting; returns 0 or -1 */
static int report_begin(report_t *rep, const notice_msg_t *m, const char *type,
			        const char *from, int named, char *err, size_t errlen)
{
	const char *rp = m->return_path, *why = NULL;

	memset(rep, 0, sizeof(*rep));
	rep->type = type;
	notice_init();
	if (m->reporting_mta == NULL
	    || !host_ok(m->reporting_mta, strlen(m->reporting_mta), 0))
		why = "reporting_mta is not a host name";
	else if (rp == NULL || strip_path(&rp) == 0)
		why = "null return path: no notice to <>";
	else if ((rep->to = mailbox_new(m->return_path, 0)) == NULL)
		why = "return path is not a usable address";
	else if ((rep->from = mailbox_new(from, named)) == NULL)
		why = named ? "from_addr is not a usable mailbox" :
		    "recipient is not a usable address";
	if (why != NULL)
		return report_free(rep, seterr(err, errlen, why));
	rep->subject = g_string_new(NULL);
	rep->fields = g_string_new(NULL);
	rep->text = g_string_new(NULL);
	g_string_append_printf(rep->text, "This is the fax gateway at %s.\n\n",
			       m->reporting_mta);
	return 0;
}

/* notice_build_dsn - an RFC 3464 report about n recipients, returns 0 or -1 */
int	notice_build_dsn(const notice_msg_t *m, const notice_rcpt_t *r, size_t n,
			         char **out, size_t *outlen, char *err, size_t errlen)
{
	static const char *summary[] = {
		"Your fax could not be sent to %zu recipient(s). The gateway "
		"has given up.\n",
		"Your fax has not been sent yet to %zu recipient(s). The "
		"gateway keeps trying: do not send it again.\n",
		"Your fax was sent to %zu recipient(s).\n",
	};
	size_t	count[N_ACTIONS] = {0};
	report_t rep;
	GString *ds;
	char	d[64], *def;
	int	rc;

	if (m == NULL || r == NULL || out == NULL || outlen == NULL)
		return seterr(err, errlen, "null argument");
	if (n == 0 || n > NOTICE_RCPT_MAX)
		return seterr(err, errlen, "bad number of recipients");
	for (size_t i = 0; i < n; i++) {
		int	a = check_rcpt(r + i, err, errlen);

		if (a < 0)
			return -1;
		count[a]++;
	}
	def = g_strconcat("MAILER-DAEMON@", m->reporting_mta, NULL);
	rc = report_begin(&rep, m, "delivery-status", m->from_addr ?
			  m->from_addr : def, 1, err, errlen);
	g_free(def);
	if (rc < 0)
		return -1;
	g_string_append(rep.subject, "Fax delivery report:");
	for (int a = 0; a < N_ACTIONS; a++) {
		if (count[a] == 0)
			continue;
		g_string_append_printf(rep.subject, "%s %s", rep.subject->str[
			  rep.subject->len - 1] == ':' ? "" : ",", actions[a].name);
		g_string_append_printf(rep.text, summary[a], count[a]);
	}
	put_subject(rep.subject, m);
	g_string_append_c(rep.text, '\n');
	put_orig_info(rep.text, m);

	/* RFC 3464 section 2.2: the per-message fields. */
	ds = rep.fields;
	g_string_append_printf(ds, "Reporting-MTA: dns; %s\n", m->reporting_mta);
	if (m->envid != NULL) {
		g_string_append(ds, "Original-Envelope-Id: ");
		put_id(ds, m->envid, NOTICE_VALUE_MAX);
		g_string_append_c(ds, '\n');
	}
	if (m->arrival_date > 0)
		g_string_append_printf(ds, "Arrival-Date: %s\n",
				       fmt_date(m->arrival_date, d, sizeof(d)));
	/* Section 2.3: a block per recipient, in the order given. */
	for (size_t i = 0; i < n; i++) {
		int	a = action_index(r[i].action);

		g_string_append_printf(rep.text, "Recipient %zu of %zu: ", i + 1, n);
		put_text(rep.text, r[i].recipient, NOTICE_VALUE_MAX);
		g_string_append_c(rep.text, '\n');
		put_human(rep.text, r + i, a);
		g_string_append_c(rep.text, '\n');

		if (r[i].orcpt != NULL) {
			g_string_append(ds, "\nOriginal-Recipient: ");
			put_typed(ds, r[i].orcpt, 0);
		}
		g_string_append(ds, "\nFinal-Recipient: rfc822; ");
		put_id(ds, r[i].recipient, NOTICE_VALUE_MAX);
		g_string_append_printf(ds, "\nAction: %s\nStatus: %s\n",
				       actions[a].name, r[i].status);
		if (r[i].diagnostic != NULL) {
			g_string_append(ds, "Diagnostic-Code: ");
			put_typed(ds, r[i].diagnostic, 1);
			g_string_append_c(ds, '\n');
		}
		if (r[i].last_attempt_time > 0)
			g_string_append_printf(ds, "Last-Attempt-Date: %s\n",
			      fmt_date(r[i].last_attempt_time, d, sizeof(d)));
		if (a == A_DELAYED && r[i].will_retry_until > 0)
			g_string_append_printf(ds, "Will-Retry-Until: %s\n",
			       fmt_date(r[i].will_retry_until, d, sizeof(d)));
	}
	/* RET absent: the whole message for a failure, else its header. */
	if (m->orig != NULL && m->origlen > 0)
		rep.orig = orig_part(m, m->ret ? strcasecmp(m->ret, "FULL") == 0 :
				     count[A_FAILED] > 0, rep.text);
	return report_free(&rep, report(m, &rep, out, outlen, err, errlen));
}

/* notice_build_mdn - an RFC 8098 report about one recipient, returns 0 or -1 */
int	notice_build_mdn(const notice_msg_t *m, const notice_rcpt_t *r,
			         char **out, size_t *outlen, char *err, size_t errlen)
{
	report_t rep;
	const char *disp;
	GString *dn;
	int	a;

	if (m == NULL || r == NULL || out == NULL || outlen == NULL)
		return seterr(err, errlen, "null argument");
	if ((a = check_rcpt(r, err, errlen)) < 0)
		return -1;
	/* RFC 3249 section 4.4.1.2: success dispatched, failure processed/error. */
	if (a != A_FAILED && a != A_DELIVERED)
		return seterr(err, errlen, "an MDN reports only failed or delivered");
	disp = a == A_FAILED ? "processed/error" : "dispatched";
	/* RFC 8098 section 2.1: the MDN comes from the recipient. */
	if (report_begin(&rep, m, "disposition-notification", r->recipient, 0,
			 err, errlen) < 0)
		return -1;
	g_string_append_printf(rep.subject, "Fax disposition notification: %s",
			       disp);
	put_subject(rep.subject, m);
	g_string_append(rep.text, a == A_FAILED ? "Your fax could not be sent to "
			: "Your fax was sent to ");
	put_text(rep.text, r->recipient, NOTICE_VALUE_MAX);
	g_string_append(rep.text, ".\n\n");
	put_orig_info(rep.text, m);
	put_human(rep.text, r, a);

	/* RFC 8098 section 3.1, field by field. */
	dn = rep.fields;
	g_string_append_printf(dn, "Reporting-UA: %s; faxgate\n", m->reporting_mta);
	if (r->orcpt != NULL) {
		g_string_append(dn, "Original-Recipient: ");
		put_typed(dn, r->orcpt, 0);
		g_string_append_c(dn, '\n');
	}
	g_string_append(dn, "Final-Recipient: rfc822; ");
	put_id(dn, r->recipient, NOTICE_VALUE_MAX);
	g_string_append_c(dn, '\n');
	if (m->orig_message_id != NULL) {
		/* Our own brackets, so "id" and "<id>" come out the same. */
		char   *id = g_strstrip(g_strdup(m->orig_message_id));
		size_t	len = strlen(id);
		int	br = len >= 2 && id[0] == '<' && id[len - 1] == '>';

		id[len - (size_t) br] = 0;
		if (id[br] != 0) {
			g_string_append(dn, "Original-Message-ID: <");
			put_ascii(dn, id + br, NOTICE_VALUE_MAX);
			g_string_append(dn, ">\n");
		}
		g_free(id);
	}
	g_string_append_printf(dn, "Disposition: automatic-action/"
			       "MDN-sent-automatically; %s\n", disp);
	if (a == A_FAILED) {
		g_string_append(dn, "Error: ");
		put_ascii(dn, r->cause ? r->cause : r->diagnostic ? r->diagnostic :
			  "fax transmission failed", NOTICE_VALUE_MAX);
		g_string_append_c(dn, '\n');
	}
	if (m->orig != NULL && m->origlen > 0)
		rep.orig = orig_part(m, 0, rep.text);
	return report_free(&rep, report(m, &rep, out, outlen, err, errlen));
}
