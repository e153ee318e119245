/*
 * notice_fuzz.c - libFuzzer target for common/notice.c.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -Icommon \
 *	    $(pkg-config --cflags gmime-3.0) common/notice.c \
 *	    t/fuzz/notice_fuzz.c $(pkg-config --libs gmime-3.0) -lpthread \
 *	    -o notice-fuzzer
 *	mkdir -p /tmp/c && ./notice-fuzzer -max_total_time=60 /tmp/c
 *
 * Input: one flags octet, then the original subject, the recipient,
 * ENVID and ORCPT, each ended by a NUL, then the original message (the
 * rest, NULs and all). A field cut short by the end of input is NULL
 * (subject, ENVID, ORCPT) or empty (recipient). Flags: bits 0-1 RET
 * (absent, FULL, HDRS, absent), bits 2-3 the action, bit 4 a second
 * recipient (a copy with another action), bit 5 also an MDN, bit 6 a
 * small ret_max.
 *
 * Besides memory errors it aborts when a promise of notice.h breaks:
 * a DSN is built whenever the recipient is not empty (hostile values
 * are cleaned, not refused); the result has CR LF line ends only, no
 * NUL, no line over 998 octets; its top-level header lines are
 * exactly From, To, Subject, Date, Message-ID, Auto-Submitted,
 * MIME-Version, Content-Type in that order; it parses back with GMime
 * into a multipart/report of the expected parts; the decoded Subject,
 * From and To hold no CR or LF; the report part is 7-bit "Name: value"
 * lines with only the expected field names, one block per recipient.
 */
#include "notice.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

static const char *top[] = {"From", "To", "Subject", "Date", "Message-ID",
	"Auto-Submitted", "MIME-Version", "Content-Type"};
#define N_TOP	(sizeof(top) / sizeof(top[0]))

static const char *ds_names = ",Reporting-MTA,Original-Envelope-Id,"
	"Arrival-Date,Original-Recipient,Final-Recipient,Action,Status,"
	"Diagnostic-Code,Last-Attempt-Date,Will-Retry-Until,";
static const char *dn_names = ",Reporting-UA,Original-Recipient,"
	"Final-Recipient,Original-Message-ID,Disposition,Error,";

/* wire_ok - CR LF line ends only, no NUL, lines <= 998, returns 0/1 */
static int wire_ok(const char *p, size_t len)
{
	size_t	col = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
			col = 0, i++;
		else if (p[i] == '\r' || p[i] == '\n' || p[i] == 0 || ++col > 998)
			return 0;
	}
	return p[len] == 0;
}

/* top_ok - are the raw top-level header lines exactly top[], returns 0/1 */
static int top_ok(const char *p)
{
	size_t	n = 0;

	while (!(p[0] == '\r' && p[1] == '\n')) {
		const char *e = strstr(p, "\r\n"), *c;

		if (e == NULL)
			return 0;
		if (*p != ' ' && *p != '\t') {
			c = memchr(p, ':', (size_t) (e - p));
			if (n >= N_TOP || c == NULL || (size_t) (c - p) != strlen(top[n])
			    || strncmp(p, top[n], strlen(top[n])) != 0)
				return 0;
			n++;
		} else if (n == 0)
			return 0;
		p = e + 2;
	}
	return n == N_TOP;
}

/* parsed_top_ok - GMime's view of the top-level header names, returns 0/1 */
static int parsed_top_ok(GMimeMessage *msg)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list((GMimeObject *) msg);
	int	n = g_mime_header_list_get_count(hl);
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	GMimeHeaderList *bl;

	if (body == NULL || (size_t) n != N_TOP - 1)
		return 0;
	for (int i = 0; i < n; i++)
		if (strcmp(g_mime_header_get_name(g_mime_header_list_get_header_at(hl, i)),
			   top[i]) != 0)
			return 0;
	bl = g_mime_object_get_header_list(body);
	return g_mime_header_list_get_count(bl) == 1 && strcmp(g_mime_header_get_name(
			g_mime_header_list_get_header_at(bl, 0)), "Content-Type") == 0;
}

/* no_crlf - a decoded header value without CR or LF, returns 0/1 */
static int no_crlf(GMimeMessage *msg, const char *name)
{
	const char *v = g_mime_object_get_header((GMimeObject *) msg, name);

	return v != NULL && strpbrk(v, "\r\n") == NULL;
}

/* is_type - is part a type/subtype, returns 0/1 */
static int is_type(GMimeObject *part, const char *type, const char *subtype)
{
	return g_mime_content_type_is_type(g_mime_object_get_content_type(part),
					   type, subtype);
}

/* fields_ok - 7-bit "Name: value" lines, known names, nblocks blocks, returns 0/1 */
static int fields_ok(GMimeObject *part, const char *names, int nblocks)
{
	GMimeStream *s = g_mime_stream_mem_new();
	GByteArray *ba;
	char   *text, *line, *save = NULL, name[64];
	int	blocks = 1, ok = 1;

	if (!GMIME_IS_PART(part))
		return 0;
	g_mime_data_wrapper_write_to_stream(g_mime_part_get_content((GMimePart *) part), s);
	ba = g_mime_stream_mem_get_byte_array((GMimeStreamMem *) s);
	text = g_strndup((const char *) ba->data, ba->len);
	for (size_t i = 0; i < ba->len; i++)
		if (ba->data[i] >= 0x7f || (ba->data[i] < 0x20 && ba->data[i] != '\r'
					    && ba->data[i] != '\n'))
			ok = 0;
	/* strtok_r folds blank lines, so count them by hand. */
	for (char *p = text; (p = strstr(p, "\r\n\r\n")) != NULL; p += 4)
		if (p[4] != 0)
			blocks++;
	for (line = strtok_r(text, "\r\n", &save); ok && line;
	     line = strtok_r(NULL, "\r\n", &save)) {
		size_t	n = strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-");

		if (n == 0 || n > 40 || line[n] != ':' || line[n + 1] != ' ')
			ok = 0;
		else {
			snprintf(name, sizeof(name), ",%.*s,", (int) n, line);
			ok = strstr(names, name) != NULL;
		}
	}
	g_free(text);
	g_object_unref(s);
	return ok && blocks == nblocks;
}

/* check - the promises of notice.h for one built notice; aborts when one breaks */
static void check(const char *buf, size_t len, int mdn, int nrcpt, int has_orig)
{
	GMimeStream *s;
	GMimeParser *p;
	GMimeMessage *msg;
	GMimeObject *body;
	GMimeMultipart *mp;

	if (!wire_ok(buf, len) || !top_ok(buf))
		abort();
	s = g_mime_stream_mem_new_with_buffer(buf, len);
	p = g_mime_parser_new_with_stream(s);
	msg = g_mime_parser_construct_message(p, NULL);
	if (msg == NULL || !parsed_top_ok(msg) || !no_crlf(msg, "Subject")
	    || !no_crlf(msg, "From") || !no_crlf(msg, "To")
	    || g_mime_object_get_header((GMimeObject *) msg, "Bcc") != NULL)
		abort();
	body = g_mime_message_get_mime_part(msg);
	if (!GMIME_IS_MULTIPART(body) || !is_type(body, "multipart", "report"))
		abort();
	mp = (GMimeMultipart *) body;
	if (g_mime_multipart_get_count(mp) != 2 + has_orig
	    || !is_type(g_mime_multipart_get_part(mp, 0), "text", "plain")
	    || !is_type(g_mime_multipart_get_part(mp, 1), "message",
			mdn ? "disposition-notification" : "delivery-status")
	    || !fields_ok(g_mime_multipart_get_part(mp, 1),
			  mdn ? dn_names : ds_names, mdn ? 1 : 1 + nrcpt))
		abort();
	if (has_orig && !is_type(g_mime_multipart_get_part(mp, 2), "message", "rfc822")
	    && !is_type(g_mime_multipart_get_part(mp, 2), "text", "rfc822-headers"))
		abort();
	g_object_unref(msg);
	g_object_unref(p);
	g_object_unref(s);
}

/* take - the next NUL-ended field of the input, returns a copy or NULL at the end */
static char *take(const uint8_t **data, size_t *size)
{
	const uint8_t *nul = memchr(*data, 0, *size);
	char   *r;

	if (nul == NULL)
		return NULL;
	r = strdup((const char *) *data);
	*size -= (size_t) (nul - *data) + 1;
	*data = nul + 1;
	return r;
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - check one input, returns 0 (aborts on a bug) */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *ret[] = {NULL, "FULL", "HDRS", NULL};
	static const char *act[][2] = {{"failed", "5.1.1"}, {"delivered", "2.0.0"},
	{"delayed", "4.4.1"}, {"failed", "4.4.2"}};
	char   *subject, *rcpt, *envid, *orcpt, *orig, *out = NULL, err[256];
	notice_msg_t m = {
		.reporting_mta = "gw.example", .return_path = "<alice@b.example>",
		.arrival_date = 1700000000, .orig_message_id = "m1@b.example",
		.now = 1700003600,
	};
	notice_rcpt_t r[2];
	size_t	outlen, n;
	int	flags, rc;

	if (size < 1)
		return 0;
	notice_init();
	flags = data[0];
	data++, size--;
	subject = take(&data, &size);
	rcpt = take(&data, &size);
	envid = take(&data, &size);
	orcpt = take(&data, &size);
	/* An exact-size heap copy, so ASan sees any over-read. */
	orig = malloc(size + 1);
	memcpy(orig, data, size);

	m.orig_subject = subject;
	m.envid = envid;
	m.ret = ret[flags & 3];
	m.orig = size ? orig : NULL;
	m.origlen = size;
	m.ret_max = flags & 64 ? 64 : 0;
	memset(r, 0, sizeof(r));
	r[0].recipient = rcpt ? rcpt : "";
	r[0].orcpt = orcpt;
	r[0].action = act[(flags >> 2) & 3][0];
	r[0].status = act[(flags >> 2) & 3][1];
	r[0].diagnostic = subject;
	r[0].number = envid;
	r[0].cause = orcpt;
	r[0].start_time = 1700000100;
	r[0].last_attempt_time = 1700003000;
	r[0].will_retry_until = 1700100000;
	r[0].pages_total = 3;
	r[0].attempts = flags & 3;
	r[1] = r[0];
	r[1].action = act[((flags >> 2) + 1) & 3][0];
	r[1].status = act[((flags >> 2) + 1) & 3][1];
	n = flags & 16 ? 2 : 1;

	err[0] = 0;
	rc = notice_build_dsn(&m, r, n, &out, &outlen, err, sizeof(err));
	if ((rc == 0) != (r[0].recipient[0] != 0) || (rc != 0 && err[0] == 0))
		abort();
	if (rc == 0) {
		check(out, outlen, 0, (int) n, m.orig != NULL);
		free(out);
	}
	if (flags & 32) {
		rc = notice_build_mdn(&m, r, &out, &outlen, err, sizeof(err));
		if (rc == 0) {
			check(out, outlen, 1, 1, m.orig != NULL);
			free(out);
		} else if (err[0] == 0)
			abort();
		(void) notice_mdn_allowed(subject ? subject : "", "alice@b.example");
	}
	free(subject);
	free(rcpt);
	free(envid);
	free(orcpt);
	free(orig);
	return 0;
}
