/*
 * notice.c - unit tests for common/notice.c (DSN and MDN builder).
 *
 * Every notice is parsed back with GMime; the tests look at the exact
 * top-level header, the exact report fields and the returned original.
 */
#include "t/tap.h"
#include "notice.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#define HOST	"gw.example"
#define RCPT1	"FAX=+12125551234@gw.example"

static const char orig_msg[] =
	"From: Alice <alice@b.example>\r\n"
	"To: " RCPT1 "\r\n"
	"Subject: Quarterly\r\n"
	"Message-ID: <m1@b.example>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"body line one\r\n"
	"body line two\r\n";
static const char orig_hdrs[] =
	"From: Alice <alice@b.example>\r\n"
	"To: " RCPT1 "\r\n"
	"Subject: Quarterly\r\n"
	"Message-ID: <m1@b.example>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain\r\n";

static const char *dsn_top = "From,To,Subject,Date,Message-ID,Auto-Submitted,"
	"MIME-Version,Content-Type";

/* base_msg - a typical per-message input, returns it */
static notice_msg_t base_msg(void)
{
	notice_msg_t m = {
		.reporting_mta = HOST, .return_path = "<alice@b.example>",
		.envid = "QQ314159", .orig_message_id = "m1@b.example",
		.arrival_date = 1700000000,	/* Tue, 14 Nov 2023 22:13:20 */
		.orig_subject = "Quarterly h\xc3\xa9llo",
		.orig = orig_msg, .origlen = sizeof(orig_msg) - 1,
		.now = 1700003600,		/* Tue, 14 Nov 2023 23:13:20 */
	};
	return m;
}

/* base_rcpt - a failed recipient with all fields, returns it */
static notice_rcpt_t base_rcpt(void)
{
	notice_rcpt_t r = {
		.recipient = RCPT1, .orcpt = "rfc822;" RCPT1,
		.action = "failed", .status = "5.1.1",
		.diagnostic = "X-T30; T30_ERR_T0_EXPIRED",
		.number = "+12125551234", .cause = "No fax machine answered",
		.start_time = 1700000100,	/* 22:15:00 */
		.last_attempt_time = 1700003000,	/* 23:03:20 */
		.pages_total = 3, .pages_sent = 1, .attempts = 3,
	};
	return r;
}

/* wire_ok - CR LF line ends only, no line over 998, returns 0/1 */
static int wire_ok(const char *p, size_t len)
{
	size_t	col = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
			col = 0, i++;
		else if (p[i] == '\r' || p[i] == '\n' || p[i] == 0 || ++col > 998)
			return 0;
	}
	return len > 2 && p[len - 2] == '\r' && p[len - 1] == '\n';
}

/* parse - parse a notice with GMime, returns the message or NULL */
static GMimeMessage *parse(const char *buf, size_t len)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(buf, len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);

	g_object_unref(p);
	g_object_unref(s);
	return msg;
}

/* header_names - the top-level header names, comma separated, returns a static buffer */
static const char *header_names(GMimeMessage *msg)
{
	static char buf[1024];
	GMimeHeaderList *hl = g_mime_object_get_header_list((GMimeObject *) msg);

	buf[0] = 0;
	/* GMime keeps Content-Type with the body part: add its header. */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < g_mime_header_list_get_count(hl); i++) {
			if (buf[0])
				strcat(buf, ",");
			strncat(buf, g_mime_header_get_name(g_mime_header_list_get_header_at(hl, i)),
				sizeof(buf) - strlen(buf) - 2);
		}
		hl = g_mime_object_get_header_list(g_mime_message_get_mime_part(msg));
	}
	return buf;
}

/* content_of - the decoded body of a part (a message part re-written), returns g_malloc()ed text without CR */
static char *content_of(GMimeObject *o, int keep_cr)
{
	GMimeStream *s = g_mime_stream_mem_new();
	GByteArray *ba;
	char   *r, *w;

	if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeFormatOptions *fo = g_mime_format_options_new();

		g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
		g_mime_object_write_to_stream((GMimeObject *)
		   g_mime_message_part_get_message((GMimeMessagePart *) o), fo, s);
		g_mime_format_options_free(fo);
	} else
		g_mime_data_wrapper_write_to_stream(g_mime_part_get_content((GMimePart *) o), s);
	ba = g_mime_stream_mem_get_byte_array((GMimeStreamMem *) s);
	r = g_strndup((const char *) ba->data, ba->len);
	g_object_unref(s);
	if (!keep_cr) {
		w = r;
		for (char *p = r; *p; p++)
			if (*p != '\r')
				*w++ = *p;
		*w = 0;
	}
	return r;
}

/* part_type - "type/subtype" of part i, returns a static buffer */
static const char *part_type(GMimeMessage *msg, int i)
{
	static char buf[128];
	GMimeMultipart *mp = (GMimeMultipart *) g_mime_message_get_mime_part(msg);
	GMimeContentType *ct;

	if (!GMIME_IS_MULTIPART(mp) || i >= g_mime_multipart_get_count(mp))
		return "(none)";
	ct = g_mime_object_get_content_type(g_mime_multipart_get_part(mp, i));
	snprintf(buf, sizeof(buf), "%s/%s", g_mime_content_type_get_media_type(ct),
		 g_mime_content_type_get_media_subtype(ct));
	return buf;
}

/* part_text - decoded body of part i without CR, returns g_malloc()ed text */
static char *part_text(GMimeMessage *msg, int i)
{
	GMimeMultipart *mp = (GMimeMultipart *) g_mime_message_get_mime_part(msg);

	return content_of(g_mime_multipart_get_part(mp, i), 0);
}

/* block_names - field names of block b of report fields, comma separated, returns a static buffer */
static const char *block_names(const char *fields, int b)
{
	static char buf[1024];
	const char *p = fields;

	buf[0] = 0;
	for (; b > 0 && p; b--)
		if ((p = strstr(p, "\n\n")) != NULL)
			p += 2;
	if (p == NULL)
		return "(no block)";
	while (*p && *p != '\n') {
		const char *c = strchr(p, ':'), *e = strchr(p, '\n');

		if (c == NULL || (e && c > e))
			return "(bad line)";
		if (buf[0])
			strcat(buf, ",");
		strncat(buf, p, MIN((size_t) (c - p), sizeof(buf) - strlen(buf) - 2));
		p = e ? e + 1 : p + strlen(p);
	}
	return buf;
}

/* field - value of the field name in block b, returns a static buffer or NULL */
static const char *field(const char *fields, int b, const char *name)
{
	static char buf[2048];
	const char *p = fields, *end;
	size_t	n = strlen(name);

	for (; b > 0 && p; b--)
		if ((p = strstr(p, "\n\n")) != NULL)
			p += 2;
	for (; p && *p && *p != '\n'; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1 + (p[n + 1] == ' ');
			end = strchr(p, '\n');
			snprintf(buf, sizeof(buf), "%.*s", (int) (end ? end - p : (long) strlen(p)), p);
			return buf;
		}
	}
	return NULL;
}

/* count_blocks - blocks in report fields, returns the number */
static int count_blocks(const char *fields)
{
	int	n = 1;

	for (const char *p = fields; (p = strstr(p, "\n\n")) != NULL; p += 2)
		if (p[2] != 0)
			n++;
	return n;
}

/* raw_has_line - does a line of the raw notice start with prefix (any case), returns 0/1 */
static int raw_has_line(const char *buf, const char *prefix)
{
	size_t	n = strlen(prefix);

	for (const char *p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncasecmp(p, prefix, n) == 0)
			return 1;
	return 0;
}

/* top_block_names - header names in the raw top-level header block, returns a static buffer */
static const char *top_block_names(const char *buf)
{
	static char names[1024];

	names[0] = 0;
	for (const char *p = buf; *p && !(p[0] == '\r' && p[1] == '\n');) {
		const char *e = strstr(p, "\r\n");

		if (*p != ' ' && *p != '\t') {
			const char *c = strchr(p, ':');

			if (names[0])
				strcat(names, ",");
			strncat(names, p, MIN((size_t) (c && c < e ? c - p : 1),
					      sizeof(names) - strlen(names) - 2));
		}
		if (e == NULL)
			break;
		p = e + 2;
	}
	return names;
}

 /*
  * One built and parsed notice, with its parts' texts.
  */
typedef struct {
	char   *buf;
	size_t	len;
	GMimeMessage *msg;
	char   *text, *fields, *third;
	char	err[256];
	int	rc;
} built_t;

/* build - build a DSN (mdn 0) or MDN and parse it, returns rc */
static int build(built_t *b, const notice_msg_t *m, const notice_rcpt_t *r,
		         size_t n, int mdn)
{
	memset(b, 0, sizeof(*b));
	b->rc = mdn ? notice_build_mdn(m, r, &b->buf, &b->len, b->err, sizeof(b->err))
	    : notice_build_dsn(m, r, n, &b->buf, &b->len, b->err, sizeof(b->err));
	if (b->rc != 0) {
		diag("build error: %s", b->err);
		return b->rc;
	}
	ok(wire_ok(b->buf, b->len), "CR LF line ends only, lines <= 998");
	ok(strlen(b->buf) == b->len, "NUL-terminated, no NUL inside");
	b->msg = parse(b->buf, b->len);
	if (b->msg == NULL || !GMIME_IS_MULTIPART(g_mime_message_get_mime_part(b->msg)))
		return ok(0, "parses back as multipart"), -1;
	b->text = part_text(b->msg, 0);
	b->fields = part_text(b->msg, 1);
	if (g_mime_multipart_get_count((GMimeMultipart *) g_mime_message_get_mime_part(b->msg)) > 2)
		b->third = part_text(b->msg, 2);
	return 0;
}

/* unbuild - release a built_t */
static void unbuild(built_t *b)
{
	free(b->buf);
	if (b->msg)
		g_object_unref(b->msg);
	g_free(b->text);
	g_free(b->fields);
	g_free(b->third);
}

/* has_field - does the readable text hold the line "  name value", returns 0/1 */
static int has_field(const char *text, const char *name, const char *value)
{
	char	line[512];

	snprintf(line, sizeof(line), "  %-19s %s\n", name, value);
	return text != NULL && strstr(text, line) != NULL;
}

/* hdr - a top-level header value as GMime decodes it, returns a static copy or NULL */
static const char *hdr(GMimeMessage *msg, const char *name)
{
	static char buf[4096];
	const char *v = g_mime_object_get_header((GMimeObject *) msg, name);

	if (v == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", v);
	return buf;
}

/* test_wanted - notice_wanted() against RFC 3461 section 5.2 */
static void test_wanted(void)
{
	static const struct {
		const char *notify, *action;
		int	want;
	} t[] = {
		{NULL, "failed", 1}, {NULL, "delivered", 0}, {NULL, "delayed", 0},
		{"SUCCESS", "delivered", 1}, {"SUCCESS", "failed", 0},
		{"SUCCESS", "delayed", 0}, {"success,failure", "failed", 1},
		{"FAILURE", "delivered", 0}, {"FAILURE", "failed", 1},
		{"FAILURE", "delayed", 0}, {"DELAY", "delayed", 1},
		{" Failure , Delay ", "delayed", 1}, {"NEVER", "failed", 0},
		{"NEVER", "delivered", 0}, {"NEVER", "delayed", 0},
		{"never", "failed", 0}, {"NEVER,FAILURE", "failed", 0},
		{"", "failed", 1}, {"BOGUS", "failed", 1}, {"BOGUS", "delivered", 0},
		{"SUCCESS,FAILURE,DELAY", "delayed", 1}, {NULL, "relayed", 0},
		{"SUCCESS", NULL, 0}, {NULL, "bogus", 0},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(notice_wanted(t[i].notify, t[i].action), t[i].want,
		       "notice_wanted(%s, %s)", t[i].notify ? t[i].notify : "NULL",
		       t[i].action ? t[i].action : "NULL");
}

/* test_failed_hdrs - one failed recipient, NOTIFY absent, RET=HDRS */
static void test_failed_hdrs(void)
{
	notice_msg_t m = base_msg();
	notice_rcpt_t r = base_rcpt();
	GMimeContentType *ct;
	const char *id;
	built_t b;

	m.ret = "HDRS";
	ok(notice_wanted(r.notify, r.action), "failed, NOTIFY absent: wanted");
	if (build(&b, &m, &r, 1, 0) != 0)
		return;
	is_str(header_names(b.msg), dsn_top, "top-level header set and order");
	is_str(top_block_names(b.buf), dsn_top, "raw top-level header lines");
	is_str(hdr(b.msg, "From"), "MAILER-DAEMON@" HOST, "From default");
	is_str(hdr(b.msg, "To"), "alice@b.example", "To is the return path");
	is_str(hdr(b.msg, "Subject"), "Fax delivery report: failed: Quarterly h\xc3\xa9llo",
	       "Subject, original subject decoded");
	ok(strstr(b.buf, "\r\nSubject: Fax delivery report: failed: Quarterly =?UTF-8?") != NULL,
	   "Subject RFC 2047 encoded on the wire");
	is_str(hdr(b.msg, "Date"), "Tue, 14 Nov 2023 23:13:20 +0000", "Date is now");
	id = hdr(b.msg, "Message-ID");
	ok(id && id[0] == '<' && g_str_has_suffix(id, "@" HOST ">"), "Message-ID <...@host>: %s", id);
	is_str(hdr(b.msg, "Auto-Submitted"), "auto-replied", "Auto-Submitted");
	ct = g_mime_object_get_content_type(g_mime_message_get_mime_part(b.msg));
	{
		char   *mt = g_mime_content_type_get_mime_type(ct);

		is_str(mt, "multipart/report", "multipart/report");
		g_free(mt);
	}
	is_str(g_mime_content_type_get_parameter(ct, "report-type"), "delivery-status",
	       "report-type=delivery-status");
	is_str(part_type(b.msg, 0), "text/plain", "part 1 text/plain");
	ct = g_mime_object_get_content_type(g_mime_multipart_get_part(
		(GMimeMultipart *) g_mime_message_get_mime_part(b.msg), 0));
	is_str(g_mime_content_type_get_parameter(ct, "charset"), "utf-8", "charset utf-8");
	is_str(part_type(b.msg, 1), "message/delivery-status", "part 2 message/delivery-status");
	is_str(part_type(b.msg, 2), "text/rfc822-headers", "RET=HDRS: text/rfc822-headers");
	is_str(part_type(b.msg, 3), "(none)", "three parts");

	is_int(count_blocks(b.fields), 2, "per-message block + 1 recipient block");
	is_str(block_names(b.fields, 0), "Reporting-MTA,Original-Envelope-Id,Arrival-Date",
	       "per-message fields");
	is_str(field(b.fields, 0, "Reporting-MTA"), "dns; " HOST, "Reporting-MTA");
	is_str(field(b.fields, 0, "Original-Envelope-Id"), "QQ314159", "ENVID exact");
	is_str(field(b.fields, 0, "Arrival-Date"), "Tue, 14 Nov 2023 22:13:20 +0000", "Arrival-Date");
	is_str(block_names(b.fields, 1), "Original-Recipient,Final-Recipient,Action,Status,"
	       "Diagnostic-Code,Last-Attempt-Date", "per-recipient fields");
	is_str(field(b.fields, 1, "Original-Recipient"), "rfc822;" RCPT1, "ORCPT exact");
	is_str(field(b.fields, 1, "Final-Recipient"), "rfc822; " RCPT1, "Final-Recipient");
	is_str(field(b.fields, 1, "Action"), "failed", "Action");
	is_str(field(b.fields, 1, "Status"), "5.1.1", "Status");
	is_str(field(b.fields, 1, "Diagnostic-Code"), "X-T30; T30_ERR_T0_EXPIRED", "Diagnostic-Code");
	is_str(field(b.fields, 1, "Last-Attempt-Date"), "Tue, 14 Nov 2023 23:03:20 +0000",
	       "Last-Attempt-Date");
	ok(b.third && strncmp(b.third, "From: Alice", 11) == 0, "headers part starts with the header");
	ok(b.third && strstr(b.third, "body line") == NULL, "headers part has no body line");
	ok(b.third && strstr(b.third, "\n\n") == NULL, "headers part has no blank line");
	{
		char   *h = content_of(g_mime_multipart_get_part((GMimeMultipart *)
					g_mime_message_get_mime_part(b.msg), 2), 1);

		is_str(h, orig_hdrs, "headers part holds exactly the original header");
		g_free(h);
	}
	/* The readable part: the draft's section 3.3.3 fields. */
	ok(has_field(b.text, "Transmission start:", "Tue, 14 Nov 2023 22:15:00 +0000"),
	   "text: transmission start time");
	ok(has_field(b.text, "Number dialled:", "+12125551234"), "text: number dialled");
	ok(has_field(b.text, "Total pages:", "3"), "text: total pages");
	ok(has_field(b.text, "Pages sent:", "1"), "text: pages sent");
	ok(has_field(b.text, "Cause:", "No fax machine answered"), "text: cause");
	ok(has_field(b.text, "Attempts:", "3"), "text: attempts");
	ok(has_field(b.text, "Retry start time:", "Tue, 14 Nov 2023 23:03:20 +0000"),
	   "text: retry start time");
	ok(has_field(b.text, "Subject:", "Quarterly h\xc3\xa9llo"),
	   "text: original subject in UTF-8");
	ok(strstr(b.text, "header of your message is attached") != NULL, "text: says headers attached");
	unbuild(&b);
}

/* test_failed_full - RET=FULL and RET absent on failure return the whole original */
static void test_failed_full(void)
{
	notice_msg_t m = base_msg();
	notice_rcpt_t r = base_rcpt();
	built_t b;

	for (int absent = 0; absent < 2; absent++) {
		m.ret = absent ? NULL : "FULL";
		if (build(&b, &m, &r, 1, 0) != 0)
			return;
		is_str(part_type(b.msg, 2), "message/rfc822", "%s: message/rfc822",
		       absent ? "RET absent, failed" : "RET=FULL");
		ok(memmem(b.buf, b.len, orig_msg, sizeof(orig_msg) - 1) != NULL,
		   "the original appears verbatim");
		{
			GMimeObject *mp = g_mime_multipart_get_part((GMimeMultipart *)
					 g_mime_message_get_mime_part(b.msg), 2);
			char   *whole = content_of(mp, 1);

			ok(GMIME_IS_MESSAGE_PART(mp), "parses back as a message part");
			is_str(whole, orig_msg, "message/rfc822 holds the whole original");
			g_free(whole);
		}
		ok(strstr(b.text, "Your message is attached") != NULL, "text: says message attached");
		unbuild(&b);
	}
}

/* test_delivered - NOTIFY=SUCCESS; RET absent gives headers */
static void test_delivered(void)
{
	notice_msg_t m = base_msg();
	notice_rcpt_t r = base_rcpt();
	built_t b;

	r.notify = "SUCCESS";
	r.action = "delivered";
	r.status = "2.0.0";
	r.diagnostic = "X-T30; OK, 3 pages";
	r.cause = NULL;
	r.orcpt = NULL;
	r.pages_sent = 3;
	r.attempts = 1;
	r.will_retry_until = 1800000000;	/* ignored: not delayed */
	m.envid = NULL;
	ok(notice_wanted(r.notify, r.action), "delivered + SUCCESS: wanted");
	if (build(&b, &m, &r, 1, 0) != 0)
		return;
	is_str(header_names(b.msg), dsn_top, "top-level header set");
	is_str(hdr(b.msg, "Subject"), "Fax delivery report: delivered: Quarterly h\xc3\xa9llo",
	       "Subject delivered");
	is_str(block_names(b.fields, 0), "Reporting-MTA,Arrival-Date", "no ENVID: no Original-Envelope-Id");
	is_str(block_names(b.fields, 1), "Final-Recipient,Action,Status,Diagnostic-Code,"
	       "Last-Attempt-Date", "no ORCPT: no Original-Recipient; no Will-Retry-Until");
	is_str(field(b.fields, 1, "Action"), "delivered", "Action delivered");
	is_str(field(b.fields, 1, "Status"), "2.0.0", "Status 2.0.0");
	is_str(part_type(b.msg, 2), "text/rfc822-headers", "RET absent, delivered: headers");
	ok(has_field(b.text, "Cause:", "none"), "text: cause none");
	ok(has_field(b.text, "Retry start time:", "none"), "text: no retry");
	unbuild(&b);
	/* A caller's stable Message-ID: a notice sent again is the same one. */
	m.message_id = "faxgate.dsn.7.9.1.delivered.1@" HOST;
	if (build(&b, &m, &r, 1, 0) != 0)
		return;
	is_str(hdr(b.msg, "Message-ID"), "<faxgate.dsn.7.9.1.delivered.1@" HOST ">",
	       "the caller's Message-ID is used as given");
	unbuild(&b);
}

/* test_delayed - Will-Retry-Until for delayed only */
static void test_delayed(void)
{
	notice_msg_t m = base_msg();
	notice_rcpt_t r = base_rcpt();
	built_t b;

	r.notify = "FAILURE,DELAY";
	r.action = "delayed";
	r.status = "4.4.1";
	r.diagnostic = "X-Q850; 17";
	r.cause = "Busy";
	r.will_retry_until = 1700100000;	/* Thu, 16 Nov 2023 02:00:00 */
	r.attempts = 2;
	ok(notice_wanted(r.notify, r.action), "delayed + DELAY: wanted");
	if (build(&b, &m, &r, 1, 0) != 0)
		return;
	is_str(hdr(b.msg, "Subject"), "Fax delivery report: delayed: Quarterly h\xc3\xa9llo",
	       "Subject delayed");
	is_str(block_names(b.fields, 1), "Original-Recipient,Final-Recipient,Action,Status,"
	       "Diagnostic-Code,Last-Attempt-Date,Will-Retry-Until", "delayed fields");
	is_str(field(b.fields, 1, "Will-Retry-Until"), "Thu, 16 Nov 2023 02:00:00 +0000",
	       "Will-Retry-Until");
	is_str(field(b.fields, 1, "Diagnostic-Code"), "X-Q850; 17", "Diagnostic-Code Q.850");
	ok(has_field(b.text, "Will retry until:", "Thu, 16 Nov 2023 02:00:00 +0000"),
	   "text: will retry until");
	is_str(part_type(b.msg, 2), "text/rfc822-headers", "RET absent, delayed: headers");
	unbuild(&b);
}

/* test_gathered - five recipients, mixed actions, in order */
static void test_gathered(void)
{
	static const char *act[] = {"delivered", "failed", "delayed", "failed", "delivered"};
	static const char *st[] = {"2.0.0", "5.1.1", "4.4.1", "4.4.2", "2.0.0"};
	notice_msg_t m = base_msg();
	notice_rcpt_t r[5];
	char	addr[5][64], num[5][32];
	const char *pos[5];
	built_t b;

	for (int i = 0; i < 5; i++) {
		r[i] = base_rcpt();
		snprintf(num[i], sizeof(num[i]), "+4930123456%d", i);
		snprintf(addr[i], sizeof(addr[i]), "FAX=%s@" HOST, num[i]);
		r[i].recipient = addr[i];
		r[i].orcpt = i == 2 ? NULL : r[i].orcpt;
		r[i].number = num[i];
		r[i].action = act[i];
		r[i].status = st[i];
		r[i].will_retry_until = 1700100000;
	}
	if (build(&b, &m, r, 5, 0) != 0)
		return;
	is_str(header_names(b.msg), dsn_top, "top-level header set");
	is_str(hdr(b.msg, "Subject"), "Fax delivery report: failed, delayed, delivered: "
	       "Quarterly h\xc3\xa9llo", "Subject lists the actions");
	is_int(count_blocks(b.fields), 6, "1 + 5 blocks");
	for (int i = 0; i < 5; i++) {
		char	want[96];

		snprintf(want, sizeof(want), "rfc822; %s", addr[i]);
		is_str(field(b.fields, i + 1, "Final-Recipient"), want, "block %d recipient", i + 1);
		is_str(field(b.fields, i + 1, "Action"), act[i], "block %d action", i + 1);
		is_str(field(b.fields, i + 1, "Status"), st[i], "block %d status", i + 1);
		ok((field(b.fields, i + 1, "Will-Retry-Until") != NULL) == (i == 2),
		   "block %d Will-Retry-Until only if delayed", i + 1);
		ok((field(b.fields, i + 1, "Original-Recipient") != NULL) == (i != 2),
		   "block %d Original-Recipient iff ORCPT", i + 1);
		snprintf(want, sizeof(want), "Recipient %d of 5: %s\n", i + 1, addr[i]);
		pos[i] = strstr(b.text, want);
		ok(pos[i] != NULL && (i == 0 || pos[i] > pos[i - 1]), "text: recipient %d in order", i + 1);
	}
	is_str(part_type(b.msg, 2), "message/rfc822", "RET absent, a failure: whole message");
	unbuild(&b);
}

/* test_hostile - injection attempts and oversized input */
static void test_hostile(void)
{
	static const char evil_orig[] =
		"From: x@b.example\r\nSubject: hi\rBcc: victim@x\r\n"
		"X-Junk: \x01\xff\xfe\x00zz\r\n\r\nbody\n\rBcc: v@x\r\n";
	notice_msg_t m = base_msg();
	notice_rcpt_t r = base_rcpt();
	size_t	big = 1024 * 1024;
	char   *subj = malloc(big + 1);
	const char *v;
	built_t b;

	for (size_t i = 0; i < big; i++)
		subj[i] = "ab\xc3\xa9 \r\n\x01"[i % 8];
	subj[big] = 0;
	memcpy(subj, "hi\r\nBcc: victim@x\r\n", 19);
	m.orig_subject = subj;
	m.envid = "ENV\r\nBcc: x";
	m.orig = evil_orig;
	m.origlen = sizeof(evil_orig) - 1;
	m.ret = "FULL";
	r.recipient = "FAX=+1\x01\r\nBcc: v@x\xff@gw.example";
	r.orcpt = "rfc822;a\r\nBcc: v@x";
	r.diagnostic = "X-T30; bad\r\nBcc: v@x \xc3\xa9";
	r.number = "+1\r\nBcc: n";
	r.cause = "cause\r\n\r\n--boundary\r\nBcc: x \xff\xfe";
	if (build(&b, &m, &r, 1, 0) != 0) {
		free(subj);
		return;
	}
	is_str(header_names(b.msg), dsn_top, "hostile: top-level header set unchanged");
	is_str(top_block_names(b.buf), dsn_top, "hostile: raw top-level header lines unchanged");
	ok(g_mime_object_get_header((GMimeObject *) b.msg, "Bcc") == NULL, "no Bcc header at top");
	ok(!raw_has_line(b.buf, "Bcc"), "no line of the notice starts with Bcc");
	is_int(count_blocks(b.fields), 2, "hostile: still 2 blocks");
	is_str(block_names(b.fields, 0), "Reporting-MTA,Original-Envelope-Id,Arrival-Date",
	       "hostile: per-message field names");
	is_str(block_names(b.fields, 1), "Original-Recipient,Final-Recipient,Action,Status,"
	       "Diagnostic-Code,Last-Attempt-Date", "hostile: per-recipient field names");
	is_str(field(b.fields, 0, "Original-Envelope-Id"), "ENV+0D+0ABcc:+20x",
	       "ENVID with CR LF: written as xtext");
	is_str(field(b.fields, 1, "Final-Recipient"),
	       "rfc822; FAX+3D+2B1+01+0D+0ABcc:+20v@x+FF@gw.example", "recipient as xtext");
	is_str(field(b.fields, 1, "Original-Recipient"), "rfc822;a+0D+0ABcc:+20v@x", "ORCPT as xtext");
	is_str(field(b.fields, 1, "Diagnostic-Code"), "X-T30; bad??Bcc: v@x ?", "diagnostic cleaned");
	v = hdr(b.msg, "Subject");
	ok(v && g_str_has_prefix(v, "Fax delivery report: failed: hi Bcc: victim@x "),
	   "Subject: CR LF became a space");
	ok(v && strlen(v) <= strlen("Fax delivery report: failed: ") + NOTICE_SUBJECT_MAX + 3,
	   "Subject cut to %d octets", NOTICE_SUBJECT_MAX);
	ok(v && g_utf8_validate(v, -1, NULL), "Subject valid UTF-8");
	ok(b.len < 32 * 1024, "1 MB subject: notice of %zu octets", b.len);
	ok(g_utf8_validate(b.text, -1, NULL), "text valid UTF-8");
	ok(strstr(b.text, "\n--boundary") == NULL && strstr(b.text, "\nBcc") == NULL,
	   "text: no injected lines");
	is_str(part_type(b.msg, 2), "message/rfc822", "hostile original still returned");
	ok(b.third && strstr(b.third, "Subject: hi Bcc: victim@x\n") != NULL,
	   "original: bare CR became a space");
	is_int(g_mime_multipart_get_count((GMimeMultipart *) g_mime_message_get_mime_part(b.msg)),
	       3, "hostile: three parts");
	unbuild(&b);
	free(subj);
}

/* test_encoded_word - a literal encoded word in the subject must not decode to CR LF */
static void test_encoded_word(void)
{
	notice_msg_t m = base_msg();
	notice_rcpt_t r = base_rcpt();
	built_t b;

	m.orig_subject = "x =?utf-8?q?=0D=0ABcc:_v@x?= y=?iso-8859-1?b?DQo=?=";
	m.from_addr = "\"=?utf-8?q?=0D=0ABcc:_v@x?=\" <fax@gw.example>";
	for (int mdn = 0; mdn < 2; mdn++) {
		if (build(&b, &m, &r, 1, mdn) != 0)
			return;
		ok(strpbrk(hdr(b.msg, "Subject"), "\r\n") == NULL, "%s: decoded Subject has no CR LF: %s",
		   mdn ? "MDN" : "DSN", hdr(b.msg, "Subject"));
		ok(strpbrk(hdr(b.msg, "From"), "\r\n") == NULL, "%s: decoded From has no CR LF: %s",
		   mdn ? "MDN" : "DSN", hdr(b.msg, "From"));
		is_str(header_names(b.msg), dsn_top, "%s: top-level header set", mdn ? "MDN" : "DSN");
		unbuild(&b);
	}
}

/* test_original_limits - LF-only, 8-bit and oversized originals */
static void test_original_limits(void)
{
	static const char lf[] = "Subject: lf\nX: \xc3\xa9\n\nbody\n";
	notice_msg_t m = base_msg();
	notice_rcpt_t r = base_rcpt();
	char   *longline;
	built_t b;

	m.ret = "FULL";
	m.orig = lf;
	m.origlen = sizeof(lf) - 1;
	if (build(&b, &m, &r, 1, 0) == 0) {
		ok(memmem(b.buf, b.len, "Subject: lf\r\nX: \xc3\xa9\r\n\r\nbody\r\n", 26) != NULL,
		   "LF original returned with CR LF");
		ok(strstr(b.buf, "Content-Transfer-Encoding: 8bit") != NULL, "8-bit original: 8bit");
		unbuild(&b);
	}
	m.orig = orig_msg;
	m.origlen = sizeof(orig_msg) - 1;
	m.ret_max = 20;
	if (build(&b, &m, &r, 1, 0) == 0) {
		is_str(part_type(b.msg, 2), "text/rfc822-headers", "over ret_max: headers only");
		ok(strstr(b.text, "is too large to return") != NULL, "text says why");
		unbuild(&b);
	}
	m.ret_max = 0;
	longline = g_strdup_printf("Subject: x\r\n\r\n%01200d\r\n", 0);
	m.orig = longline;
	m.origlen = strlen(longline);
	if (build(&b, &m, &r, 1, 0) == 0) {
		is_str(part_type(b.msg, 2), "text/rfc822-headers", "line over 998: headers only");
		unbuild(&b);
	}
	g_free(longline);
	m.orig = NULL;
	if (build(&b, &m, &r, 1, 0) == 0) {
		is_str(part_type(b.msg, 2), "(none)", "no original: two parts");
		unbuild(&b);
	}
}

/* test_errors - what must be refused */
static void test_errors(void)
{
	notice_msg_t m = base_msg();
	notice_rcpt_t r = base_rcpt();
	char   *out = NULL, err[256];
	size_t	len;
	built_t b;

#define REFUSE(what) do { err[0] = 0; \
	ok(notice_build_dsn(&m, &r, 1, &out, &len, err, sizeof(err)) == -1 \
	   && err[0] != 0 && out == NULL, "refused: %s (%s)", what, err); \
	m = base_msg(); r = base_rcpt(); } while (0)

	m.return_path = "<>";
	REFUSE("null return path");
	m.return_path = "alice@b.example\r\nBcc: v@x";
	REFUSE("return path with CR LF");
	m.return_path = "alice";
	REFUSE("return path without domain");
	m.reporting_mta = "gw.example\r\nBcc: x";
	REFUSE("reporting_mta not a host");
	m.from_addr = "daemon@gw.example\r\nBcc: v@x";
	REFUSE("from_addr with CR LF");
	r.status = "5.1";
	REFUSE("status 5.1");
	r.status = "2.0.0";
	REFUSE("failed with 2.0.0");
	r.action = "delivered";
	REFUSE("delivered with 5.1.1");
	r.action = "relayed";
	REFUSE("action relayed");
	r.recipient = "";
	REFUSE("empty recipient");
	ok(notice_build_dsn(&m, &r, 0, &out, &len, err, sizeof(err)) == -1, "refused: n = 0");
	r.action = "delayed";
	r.status = "4.4.1";
	ok(notice_build_mdn(&m, &r, &out, &len, err, sizeof(err)) == -1, "refused: MDN for delayed");
	r = base_rcpt();
	r.recipient = "FAX=+1\r\n@gw.example";
	ok(notice_build_mdn(&m, &r, &out, &len, err, sizeof(err)) == -1, "refused: MDN from bad address");
	r = base_rcpt();
	m.from_addr = "Fax Gateway <fax@gw.example>";
	r.diagnostic = "no type here";
	if (build(&b, &m, &r, 1, 0) == 0) {
		is_str(hdr(b.msg, "From"), "Fax Gateway <fax@gw.example>", "from_addr with a name");
		is_str(field(b.fields, 1, "Diagnostic-Code"), "X-Faxgate; no type here",
		       "diagnostic without type");
		unbuild(&b);
	}
}

/* test_mdn - the RFC 8098 fields */
static void test_mdn(void)
{
	notice_msg_t m = base_msg();
	notice_rcpt_t r = base_rcpt();
	GMimeContentType *ct;
	built_t b;

	if (build(&b, &m, &r, 1, 1) != 0)
		return;
	is_str(header_names(b.msg), dsn_top, "MDN: top-level header set");
	is_str(hdr(b.msg, "From"), RCPT1, "MDN: From is the fax recipient");
	is_str(hdr(b.msg, "To"), "alice@b.example", "MDN: To is the return path");
	is_str(hdr(b.msg, "Subject"), "Fax disposition notification: processed/error: "
	       "Quarterly h\xc3\xa9llo", "MDN: Subject");
	ct = g_mime_object_get_content_type(g_mime_message_get_mime_part(b.msg));
	is_str(g_mime_content_type_get_parameter(ct, "report-type"), "disposition-notification",
	       "MDN: report-type");
	is_str(part_type(b.msg, 1), "message/disposition-notification", "MDN: part 2 type");
	is_str(part_type(b.msg, 2), "text/rfc822-headers", "MDN: part 3 headers");
	is_str(block_names(b.fields, 0), "Reporting-UA,Original-Recipient,Final-Recipient,"
	       "Original-Message-ID,Disposition,Error", "MDN: field names");
	is_str(field(b.fields, 0, "Reporting-UA"), HOST "; faxgate", "MDN: Reporting-UA");
	is_str(field(b.fields, 0, "Final-Recipient"), "rfc822; " RCPT1, "MDN: Final-Recipient");
	is_str(field(b.fields, 0, "Original-Recipient"), "rfc822;" RCPT1, "MDN: Original-Recipient");
	is_str(field(b.fields, 0, "Original-Message-ID"), "<m1@b.example>", "MDN: Original-Message-ID");
	is_str(field(b.fields, 0, "Disposition"),
	       "automatic-action/MDN-sent-automatically; processed/error", "MDN: Disposition");
	is_str(field(b.fields, 0, "Error"), "No fax machine answered", "MDN: Error is the cause");
	ok(has_field(b.text, "Number dialled:", "+12125551234"), "MDN text: number");
	unbuild(&b);

	m.orig_message_id = NULL;
	r.orcpt = NULL;
	if (build(&b, &m, &r, 1, 1) == 0) {
		is_str(block_names(b.fields, 0), "Reporting-UA,Final-Recipient,Disposition,Error",
		       "MDN: no Message-ID, no ORCPT: fields left out");
		unbuild(&b);
	}
	m.orig_message_id = " <m2@b.example> ";
	r.action = "delivered";
	r.status = "2.0.0";
	if (build(&b, &m, &r, 1, 1) == 0) {
		is_str(field(b.fields, 0, "Original-Message-ID"), "<m2@b.example>",
		       "MDN: bracketed Message-ID kept once");
		is_str(field(b.fields, 0, "Disposition"),
		       "automatic-action/MDN-sent-automatically; dispatched",
		       "MDN: delivered is dispatched (RFC 3249)");
		ok(field(b.fields, 0, "Error") == NULL, "MDN: no Error when dispatched");
		unbuild(&b);
	}
}

/* test_mdn_allowed - RFC 8098 section 2.1 */
static void test_mdn_allowed(void)
{
	static const struct {
		const char *dnt, *rp;
		int	want;
	} t[] = {
		{"alice@b.example", "<alice@b.example>", 1},
		{"Alice <alice@B.Example>", "alice@b.example", 1},
		{"<alice@b.example>", "alice@b.example", 1},
		{"Alice@b.example", "alice@b.example", 0},
		{"bob@b.example", "alice@b.example", 0},
		{"alice@b.example, bob@b.example", "alice@b.example", 0},
		{"alice@b.example, Alice <alice@B.EXAMPLE>", "alice@b.example", 1},
		{"friends: alice@b.example;", "alice@b.example", 0},
		{"alice@b.example", "<>", 0},
		{"alice@b.example", "", 0},
		{"", "alice@b.example", 0},
		{"garbage <<<", "alice@b.example", 0},
		{"alice@b.example.evil", "alice@b.example", 0},
		{NULL, "alice@b.example", 0},
		{"alice@b.example", NULL, 0},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(notice_mdn_allowed(t[i].dnt, t[i].rp), t[i].want,
		       "notice_mdn_allowed(%s, %s)", t[i].dnt ? t[i].dnt : "NULL",
		       t[i].rp ? t[i].rp : "NULL");
}

int	main(void)
{
	notice_init();
	test_wanted();
	test_failed_hdrs();
	test_failed_full();
	test_delivered();
	test_delayed();
	test_gathered();
	test_hostile();
	test_encoded_word();
	test_original_limits();
	test_errors();
	test_mdn();
	test_mdn_allowed();
	return done_testing();
}
