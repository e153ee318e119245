/*
 * intake.c - unit tests for milter/intake.c
 *
 * Each case asserts the return code and the reason text, because the
 * milter sends that text to the sender verbatim.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <tiffio.h>

#include "tap.h"
#include "intake.h"

static intake_t in;
static char err[256];

/* reason_ok - is the reason one printable ASCII line of <= 120 chars */
static int reason_ok(const char *s)
{
	size_t	i;

	for (i = 0; s[i]; i++)
		if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] > 0x7e
		    || s[i] == '%')
			return 0;
	return i <= 120;
}

/* parse_lim - intake_parse() of a C string into the globals, returns rc */
static int parse_lim(const char *msg, const intake_limits_t *lim)
{
	int	rc;

	intake_free(&in);
	memset(err, 'X', sizeof(err));
	rc = intake_parse(msg, strlen(msg), lim, &in, err, sizeof(err));
	if (!reason_ok(err))
		diag("BAD REASON TEXT: %s", err);
	if (rc != INTAKE_OK && in.ndocs != 0)
		diag("docs left behind on failure");
	return rc;
}

/* parse - parse_lim() with the default limits, returns rc */
static int parse(const char *msg)
{
	return parse_lim(msg, NULL);
}

/* starts - does s start with prefix, returns 1 or 0 */
static int starts(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* slurp - read a whole file into malloc()ed memory, returns it or NULL */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE   *fp = fopen(path, "rb");
	unsigned char *buf;
	long	n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc(n > 0 ? (size_t) n : 1);
	if (buf && fread(buf, 1, (size_t) n, fp) != (size_t) n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	*len = (size_t) n;
	return buf;
}

/* make_g3_tiff - a real 2-page 1728-wide bilevel G3 fax, malloc()ed */
static unsigned char *make_g3_tiff(size_t *len)
{
	char	path[] = "/tmp/intake-test-XXXXXX";
	unsigned char row[1728 / 8], *data;
	TIFF   *tif;
	int	fd;
	uint32_t p, y, x;

	if ((fd = mkstemp(path)) < 0)
		return NULL;
	close(fd);
	if ((tif = TIFFOpen(path, "w")) == NULL)
		return NULL;
	for (p = 0; p < 2; p++) {
		TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 1728);
		TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 300);
		TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
		TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
		TIFFSetField(tif, TIFFTAG_GROUP3OPTIONS, GROUP3OPT_FILLBITS);
		TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
		TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
		TIFFSetField(tif, TIFFTAG_XRESOLUTION, 204.0);
		TIFFSetField(tif, TIFFTAG_YRESOLUTION, 196.0);
		TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 300);
		TIFFSetField(tif, TIFFTAG_PAGENUMBER, p, 2);
		for (y = 0; y < 300; y++) {
			memset(row, 0, sizeof(row));
			for (x = (y * 5 + p) % 50; x < 1728; x += 83)
				row[x / 8] |= (unsigned char) (0x80 >> (x % 8));
			TIFFWriteScanline(tif, row, y, 0);
		}
		TIFFWriteDirectory(tif);
	}
	TIFFClose(tif);
	data = slurp(path, len);
	unlink(path);
	return data;
}

/* b64 - base64 of data in 76-character lines, g_free() it */
static char *b64(const void *data, size_t len)
{
	gchar  *flat = g_base64_encode(data, len);
	size_t	n = strlen(flat), i;
	GString *s = g_string_new(NULL);

	for (i = 0; i < n; i += 76) {
		g_string_append_len(s, flat + i, n - i < 76 ? (gssize) (n - i) : 76);
		g_string_append(s, "\n");
	}
	g_free(flat);
	return g_string_free(s, FALSE);
}

/* with_attachment - a text + one base64 attachment message, g_free() it */
static char *with_attachment(const char *ctype, const char *filename,
			     const char *b64text)
{
	return g_strdup_printf(
	    "From: Bob <bob@example.org>\n"
	    "To: fax@example.com\n"
	    "Subject: scan\n"
	    "Message-ID: <scan-1@example.org>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"BOUND\"\n"
	    "\n"
	    "--BOUND\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "\n"
	    "Please fax the attachment.\n"
	    "--BOUND\n"
	    "Content-Type: %s; name=\"%s\"\n"
	    "Content-Disposition: attachment; filename=\"%s\"\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "%s"
	    "--BOUND--\n", ctype, filename, filename, b64text);
}

/* big_tiff - a 1-strip G4 TIFF of a few bytes claiming w x h, malloc()ed */
static unsigned char *big_tiff(uint32_t w, uint32_t h, size_t *len)
{
	/* header, one byte of "data", IFD with 8 entries */
	static const uint16_t tags[8] = { 256, 257, 258, 259, 262, 273, 278, 279 };
	uint32_t vals[8] = { w, h, 1, 4, 0, 8, h, 1 };
	unsigned char *b = calloc(1, 10 + 2 + 8 * 12 + 4);
	size_t	i;

	memcpy(b, "II*\0\x0a\0\0\0", 8);
	b[8] = 0;				/* the strip */
	b[10] = 8;				/* entry count */
	for (i = 0; i < 8; i++) {
		unsigned char *e = b + 12 + i * 12;
		int	is_long = tags[i] == 256 || tags[i] == 257
		    || tags[i] == 273 || tags[i] == 278 || tags[i] == 279;
		uint32_t v = vals[i];

		e[0] = (unsigned char) tags[i];
		e[1] = (unsigned char) (tags[i] >> 8);
		e[2] = is_long ? 4 : 3;
		e[4] = 1;
		e[8] = (unsigned char) v;
		e[9] = (unsigned char) (v >> 8);
		if (is_long) {
			e[10] = (unsigned char) (v >> 16);
			e[11] = (unsigned char) (v >> 24);
		}
	}
	*len = 10 + 2 + 8 * 12 + 4;
	return b;
}

/* now - monotonic seconds */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct job {
	const char *msg;
	int	want_rc;
	const char *want_err;
	int	failures;
};

/* parse_thread - parse one message many times, count wrong answers */
static void *parse_thread(void *arg)
{
	struct job *j = arg;
	intake_t mine;
	char	why[256];
	int	i;

	for (i = 0; i < 100; i++) {
		int	rc = intake_parse(j->msg, strlen(j->msg), NULL, &mine,
					  why, sizeof(why));

		if (rc != j->want_rc || strcmp(why, j->want_err) != 0)
			j->failures++;
		intake_free(&mine);
	}
	return NULL;
}

static const char pdf_body[] =
    "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";

/* main - the cases, returns the TAP exit status */
int	main(void)
{
	char   *msg, *enc;
	unsigned char *tif;
	size_t	tiflen = 0;
	int	rc;

	intake_init();

	/* 1. Body-only text mail becomes one text document. */
	rc = parse("From: Alice Example <alice@example.com>\n"
		   "To: 4930123456@fax.example.com\n"
		   "Subject: Hello\n"
		   "Message-ID: <abc.123@example.com>\n"
		   "\n"
		   "Hello fax,\n"
		   "second line.\n");
	is_int(rc, INTAKE_OK, "body-only: OK");
	is_str(err, "", "body-only: no reason");
	is_int(in.ndocs, 1, "body-only: one document");
	if (in.ndocs == 1) {
		is_int(in.docs[0].type, INTAKE_TEXT, "body-only: text");
		is_str(in.docs[0].content_type, "text/plain",
		       "body-only: text/plain although undeclared");
		is_str((char *) in.docs[0].data, "Hello fax,\nsecond line.\n",
		       "body-only: the text");
		is_int(in.docs[0].len, 24, "body-only: length");
		is_str(in.docs[0].filename, NULL, "body-only: no filename");
	}
	is_str(in.message_id, "abc.123@example.com", "Message-ID without <>");
	is_str(in.subject, "Hello", "subject");
	is_str(in.from, "alice@example.com", "From addr-spec");

	/* 2. Text + PDF: only the PDF is a document. */
	enc = b64(pdf_body, sizeof(pdf_body) - 1);
	msg = with_attachment("application/pdf", "doc.pdf", enc);
	rc = parse(msg);
	is_int(rc, INTAKE_OK, "text+pdf: OK");
	is_int(in.ndocs, 1, "text+pdf: one document");
	if (in.ndocs == 1) {
		is_int(in.docs[0].type, INTAKE_PDF, "text+pdf: PDF");
		is_str(in.docs[0].content_type, "application/pdf",
		       "text+pdf: content type");
		is_str(in.docs[0].filename, "doc.pdf", "text+pdf: filename");
		ok(in.docs[0].len == sizeof(pdf_body) - 1 &&
		   memcmp(in.docs[0].data, pdf_body, in.docs[0].len) == 0,
		   "text+pdf: decoded bytes");
	}
	is_str(in.from, "bob@example.org", "text+pdf: From");
	g_free(msg);

	/* 3. The same PDF as application/octet-stream is sniffed. */
	msg = with_attachment("application/octet-stream", "blob.bin", enc);
	rc = parse(msg);
	is_int(rc, INTAKE_OK, "octet-stream pdf: OK");
	if (is_int(in.ndocs, 1, "octet-stream pdf: one document")) {
		is_int(in.docs[0].type, INTAKE_PDF, "octet-stream pdf: PDF");
		is_str(in.docs[0].content_type, "application/octet-stream",
		       "octet-stream pdf: declared type kept");
	}
	g_free(msg);

	/* 4. A PDF that is not one. */
	g_free(enc);
	enc = b64("<html>not a pdf</html>\n", 23);
	msg = with_attachment("application/pdf", "fake.pdf", enc);
	rc = parse(msg);
	is_int(rc, INTAKE_BADDOC, "fake pdf: BADDOC");
	is_str(err, "attachment 'fake.pdf' (part 2): not a PDF: no PDF header "
	       "in its first 1024 bytes", "fake pdf: reason");
	ok(in.message_id != NULL, "fake pdf: headers still filled");
	g_free(msg);

	/* 5. Octet-stream that is no fax (a zip) is ignored. */
	msg = with_attachment("application/octet-stream", "a.zip", enc);
	g_free(msg);
	g_free(enc);
	enc = b64("PK\003\004zipzipzip", 13);
	msg = g_strdup_printf(
	    "Subject: zip\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: application/octet-stream\n"
	    "Content-Disposition: attachment; filename=a.zip\n"
	    "Content-Transfer-Encoding: base64\n\n%s--b--\n", enc);
	rc = parse(msg);
	is_int(rc, INTAKE_NOFAX, "zip only: NOFAX");
	is_str(err, "no faxable content: send a PDF, PostScript, TIFF or "
	       "plain-text body (ignored: application/octet-stream)",
	       "zip only: reason");
	g_free(msg);
	g_free(enc);

	/* 6. multipart/alternative: the text/plain, not the HTML. */
	rc = parse("From: a@example.com\n"
		   "Subject: alt\n"
		   "MIME-Version: 1.0\n"
		   "Content-Type: multipart/alternative; boundary=\"alt\"\n\n"
		   "--alt\n"
		   "Content-Type: text/plain; charset=utf-8\n\n"
		   "Plain version\n"
		   "--alt\n"
		   "Content-Type: text/html; charset=utf-8\n\n"
		   "<p>HTML version</p>\n"
		   "--alt--\n");
	is_int(rc, INTAKE_OK, "alternative: OK");
	if (is_int(in.ndocs, 1, "alternative: one document")) {
		is_int(in.docs[0].type, INTAKE_TEXT, "alternative: text");
		is_str((char *) in.docs[0].data, "Plain version",
		       "alternative: the plain part");
	}

	/* 7. HTML only. */
	rc = parse("From: a@example.com\n"
		   "Content-Type: text/html; charset=utf-8\n\n"
		   "<p>Only HTML</p>\n");
	is_int(rc, INTAKE_NOFAX, "html only: NOFAX");
	is_str(err, "no faxable content: send a PDF, PostScript, TIFF or "
	       "plain-text body (ignored: text/html)", "html only: reason");
	is_int(in.ndocs, 0, "html only: no documents");

	/* 8. PNG only. */
	rc = parse("From: a@example.com\n"
		   "Content-Type: multipart/mixed; boundary=xx\n\n"
		   "--xx\n"
		   "Content-Type: image/png\n"
		   "Content-Disposition: attachment; filename=photo.png\n"
		   "Content-Transfer-Encoding: base64\n\n"
		   "iVBORw0KGgo=\n"
		   "--xx--\n");
	is_int(rc, INTAKE_NOFAX, "png only: NOFAX");
	is_str(err, "no faxable content: send a PDF, PostScript, TIFF or "
	       "plain-text body (ignored: image/png)", "png only: reason");

	/* 9. A real 2-page G3 TIFF attachment. */
	tif = make_g3_tiff(&tiflen);
	ok(tif != NULL, "made a G3 TIFF of %zu bytes", tiflen);
	enc = b64(tif, tiflen);
	msg = with_attachment("image/tiff", "scan.tif", enc);
	rc = parse(msg);
	is_int(rc, INTAKE_OK, "tiff: OK");
	if (is_int(in.ndocs, 1, "tiff: one document")) {
		is_int(in.docs[0].type, INTAKE_TIFF, "tiff: TIFF");
		is_int(in.docs[0].pages, 2, "tiff: 2 pages");
		is_str(in.docs[0].filename, "scan.tif", "tiff: filename");
		is_str(in.docs[0].content_type, "image/tiff", "tiff: type");
		ok(in.docs[0].len == tiflen &&
		   memcmp(in.docs[0].data, tif, tiflen) == 0,
		   "tiff: bytes decoded exactly");
	}
	is_str(in.message_id, "scan-1@example.org", "tiff: Message-ID");
	g_free(msg);

	/* 10. Truncated base64: the last line cut in the middle. */
	{
		size_t	cut = strlen(enc) / 2, i, nchars;

		/* Cut inside a 4-character quantum, as a lost tail would. */
		for (;; cut--) {
			for (i = nchars = 0; i < cut; i++)
				nchars += enc[i] != '\n';
			if (nchars % 4 != 0 && enc[cut - 1] != '\n')
				break;
		}
		enc[cut] = '\n';
		enc[cut + 1] = 0;
		msg = with_attachment("image/tiff", "scan.tif", enc);
		rc = parse(msg);
		is_int(rc, INTAKE_BADDOC, "truncated base64: BADDOC");
		is_str(err, "attachment 'scan.tif' (part 2): base64 data is truncated",
		       "truncated base64: reason");
		g_free(msg);
	}
	g_free(enc);

	/* 11. A TIFF attachment that is not a TIFF. */
	{
		static const char junk[] = "II*\0this is certainly not a tiff at all";

		enc = b64(junk, sizeof(junk) - 1);
		msg = with_attachment("image/tiff", "scan.tif", enc);
		rc = parse(msg);
		is_int(rc, INTAKE_BADDOC, "bogus tiff: BADDOC");
		ok(starts(err, "attachment 'scan.tif' (part 2): TIFF is not decodable: "),
		   "bogus tiff: %s", err);
		g_free(msg);
		g_free(enc);
	}

	/* 12. A TIFF claiming 100000 x 100000 pixels is refused at once. */
	{
		unsigned char *big;
		size_t	biglen;
		double	t0;

		big = big_tiff(100000, 100000, &biglen);
		enc = b64(big, biglen);
		msg = with_attachment("image/tiff", "big.tif", enc);
		t0 = now();
		rc = parse(msg);
		is_int(rc, INTAKE_BADDOC, "huge tiff: BADDOC");
		is_str(err, "attachment 'big.tif' (part 2): TIFF page 1 is "
		       "100000 pixels wide (limit 4864)", "huge tiff: reason");
		ok(now() - t0 < 1.0, "huge tiff: refused quickly (%.3f s)",
		   now() - t0);
		g_free(msg);
		g_free(enc);
		free(big);
	}

	/* 13. Attachment without Content-Type carrying a TIFF: sniffed. */
	enc = b64(tif, tiflen);
	msg = g_strdup_printf(
	    "Subject: no type\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n"
	    "Content-Disposition: attachment; filename=\"fax.tif\"\n"
	    "Content-Transfer-Encoding: base64\n\n%s--b--\n", enc);
	rc = parse(msg);
	is_int(rc, INTAKE_OK, "untyped tiff: OK");
	if (is_int(in.ndocs, 1, "untyped tiff: one document")) {
		is_int(in.docs[0].type, INTAKE_TIFF, "untyped tiff: TIFF");
		is_str(in.docs[0].content_type, "application/octet-stream",
		       "untyped tiff: octet-stream");
	}
	g_free(msg);
	g_free(enc);
	free(tif);

	/* 14. Nested 100 deep. */
	{
		GString *s = g_string_new("Subject: deep\n");
		int	i;

		for (i = 0; i < 100; i++)
			g_string_append_printf(s,
			    "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n"
			    "--b%d\n", i, i);
		g_string_append(s, "Content-Type: text/plain\n\ndeep\n");
		for (i = 99; i >= 0; i--)
			g_string_append_printf(s, "--b%d--\n", i);
		rc = parse(s->str);
		is_int(rc, INTAKE_MALFORMED, "100 deep: MALFORMED");
		is_str(err, "MIME nesting is deeper than 20 levels (limit 20)",
		       "100 deep: reason");
		g_string_free(s, TRUE);
	}

	/* 15. Too many parts. */
	{
		GString *s = g_string_new("Subject: many\n"
		    "Content-Type: multipart/mixed; boundary=m\n\n");
		int	i;

		for (i = 0; i < 120; i++)
			g_string_append(s, "--m\nContent-Type: image/png\n\nx\n");
		g_string_append(s, "--m--\n");
		rc = parse(s->str);
		is_int(rc, INTAKE_MALFORMED, "120 parts: MALFORMED");
		is_str(err, "message has more than 100 MIME parts (limit 100)",
		       "120 parts: reason");
		g_string_free(s, TRUE);
	}

	/* 16. Too many documents. */
	{
		GString *s = g_string_new("Subject: many pdfs\n"
		    "Content-Type: multipart/mixed; boundary=m\n\n");
		intake_limits_t lim;
		int	i;

		for (i = 0; i < 21; i++)
			g_string_append_printf(s, "--m\nContent-Type: "
			    "application/pdf\n\n%s", pdf_body);
		g_string_append(s, "--m--\n");
		rc = parse(s->str);
		is_int(rc, INTAKE_MALFORMED, "21 PDFs: MALFORMED");
		is_str(err, "message has more than 20 faxable documents (limit 20)",
		       "21 PDFs: reason");
		intake_limits_default(&lim);
		lim.max_docs = 25;
		rc = parse_lim(s->str, &lim);
		is_int(rc, INTAKE_OK, "21 PDFs with max_docs 25: OK");
		is_int(in.ndocs, 21, "21 documents");
		g_string_free(s, TRUE);
	}

	/* 17. Missing boundaries. */
	rc = parse("Subject: nb\n"
		   "Content-Type: multipart/mixed; boundary=\"never\"\n\n"
		   "--other\nContent-Type: text/plain\n\nhello\n--other--\n");
	is_int(rc, INTAKE_MALFORMED, "boundary never appears: MALFORMED");
	is_str(err, "multipart/mixed (part 1) has no body parts: its boundary "
	       "never appears", "boundary never appears: reason");
	rc = parse("Subject: nb\n"
		   "Content-Type: multipart/related\n\n"
		   "--x\nContent-Type: text/plain\n\nhello\n--x--\n");
	is_int(rc, INTAKE_MALFORMED, "no boundary parameter: MALFORMED");
	is_str(err, "multipart/related (part 1) has no boundary parameter",
	       "no boundary parameter: reason");
	rc = parse("Subject: nb\n"
		   "Content-Type: multipart/mixed; boundary=outer\n\n"
		   "--outer\nContent-Type: text/plain\n\nhi\n"
		   "--outer\nContent-Type: multipart/mixed; boundary=inner\n\n"
		   "no inner boundary here\n--outer--\n");
	is_int(rc, INTAKE_MALFORMED, "inner boundary never appears: MALFORMED");
	is_str(err, "multipart/mixed (part 3) has no body parts: its boundary "
	       "never appears", "inner: part number is depth-first");
	rc = parse("Subject: no end\n"
		   "Content-Type: multipart/mixed; boundary=e\n\n"
		   "--e\nContent-Type: application/pdf\n\n%PDF-1.4 truncated\n");
	is_int(rc, INTAKE_OK, "missing end boundary: tolerated");
	is_int(in.ndocs, 1, "missing end boundary: the PDF");

	/* 18. 8-bit bytes in headers. */
	rc = parse("From: J\xc3\xb6rg <joerg@example.de>\n"
		   "Subject: Gr\xc3\xbc\xc3\x9f" "e\n"
		   "\n"
		   "Text\n");
	is_int(rc, INTAKE_OK, "8-bit UTF-8 headers: OK");
	is_str(in.subject, "Gr\xc3\xbc\xc3\x9f" "e", "8-bit UTF-8 subject kept");
	is_str(in.from, "joerg@example.de", "8-bit display name: addr-spec");
	rc = parse("Subject: Gr\xfc\xdf" "e aus K\xf6ln\n\nText\n");
	is_int(rc, INTAKE_OK, "8-bit latin-1 subject: OK");
	is_str(in.subject, "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln",
	       "latin-1 subject made UTF-8");
	enc = b64("<html/>", 7);
	msg = with_attachment("application/pdf", "M\xc3\xa4rz\x01.pdf", enc);
	rc = parse(msg);
	is_int(rc, INTAKE_BADDOC, "8-bit filename: BADDOC");
	is_str(err, "attachment 'M?rz?.pdf' (part 2): not a PDF: no PDF header "
	       "in its first 1024 bytes", "8-bit filename shown as ASCII");
	g_free(msg);
	g_free(enc);
	enc = b64(pdf_body, sizeof(pdf_body) - 1);
	msg = with_attachment("application/pdf", "../../M\xc3\xa4rz\x01.pdf", enc);
	rc = parse(msg);
	is_int(rc, INTAKE_OK, "8-bit filename pdf: OK");
	if (in.ndocs == 1)
		is_str(in.docs[0].filename, "M\xc3\xa4rz_.pdf",
		       "filename: UTF-8 kept, directories and controls gone");
	g_free(msg);
	g_free(enc);

	/* 19. RFC 2047 subjects. */
	rc = parse("Subject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=\n\nx\n");
	is_int(rc, INTAKE_OK, "RFC 2047 Q: OK");
	is_str(in.subject, "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln",
	       "RFC 2047 Q subject decoded");
	rc = parse("Subject: =?UTF-8?B?RmF4OiDimLog?=\n =?UTF-8?B?w7xiZXI=?=\n\nx\n");
	is_int(rc, INTAKE_OK, "RFC 2047 B: OK");
	is_str(in.subject, "Fax: \xe2\x98\xba \xc3\xbc" "ber",
	       "RFC 2047 B subject decoded and joined");
	rc = parse("Subject: a\n\tfolded\n\nx\n");
	is_str(in.subject, "a folded", "folded subject unfolded, tab made space");

	/* 20. No Message-ID. */
	rc = parse("Subject: none\n\nbody\n");
	is_int(rc, INTAKE_OK, "no Message-ID: OK");
	is_str(in.message_id, NULL, "no Message-ID: NULL");
	is_str(in.from, NULL, "no From: NULL");
	rc = parse("\nbody only\n");
	is_int(rc, INTAKE_OK, "no headers at all: OK");
	is_str(in.subject, NULL, "no Subject: NULL");

	/* 21. Quoted-printable ISO-8859-1 text becomes UTF-8. */
	rc = parse("Subject: qp\n"
		   "MIME-Version: 1.0\n"
		   "Content-Type: text/plain; charset=ISO-8859-1\n"
		   "Content-Transfer-Encoding: quoted-printable\n\n"
		   "Gr=FC=DFe aus K=F6ln, =\n"
		   "soft break.\n");
	is_int(rc, INTAKE_OK, "qp latin-1: OK");
	if (in.ndocs == 1)
		is_str((char *) in.docs[0].data,
		       "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln, soft break.\n",
		       "qp latin-1: decoded and converted");

	/* 22. Undeclared 8-bit text: windows-1252 guess; CRLF made LF. */
	rc = parse("Subject: crlf\r\n\r\nPreis: 5 \x80\r\nEnde\r\n");
	is_int(rc, INTAKE_OK, "8-bit crlf body: OK");
	if (in.ndocs == 1)
		is_str((char *) in.docs[0].data, "Preis: 5 \xe2\x82\xac\nEnde\n",
		       "8-bit body: euro sign, LF");
	rc = parse("Subject: bad utf8\n"
		   "Content-Type: text/plain; charset=utf-8\n\n"
		   "ok \xff\xfe end\n");
	if (is_int(rc, INTAKE_OK, "invalid utf-8: OK") && in.ndocs == 1)
		is_str((char *) in.docs[0].data,
		       "ok \xef\xbf\xbd\xef\xbf\xbd end\n",
		       "invalid utf-8 bytes become U+FFFD");
	rc = parse("Subject: sjis\n"
		   "Content-Type: text/plain; charset=shift_jis\n\n"
		   "\x93\xfa\x96\x7b\n");
	if (is_int(rc, INTAKE_OK, "shift_jis: OK") && in.ndocs == 1)
		is_str((char *) in.docs[0].data, "\xe6\x97\xa5\xe6\x9c\xac\n",
		       "shift_jis converted");
	rc = parse("Subject: unknown\n"
		   "Content-Type: text/plain; charset=x-no-such-charset\n\n"
		   "caf\xe9\n");
	if (is_int(rc, INTAKE_OK, "unknown charset: OK") && in.ndocs == 1)
		is_str((char *) in.docs[0].data, "caf\xc3\xa9\n",
		       "unknown charset: windows-1252 guess");

	/* 23. Whitespace-only body. */
	rc = parse("Subject: blank\n\n  \n\t\n");
	is_int(rc, INTAKE_NOFAX, "blank body: NOFAX");
	is_str(err, "no faxable content: send a PDF, PostScript, TIFF or "
	       "plain-text body (the text is blank)", "blank body: reason");
	rc = parse("Subject: empty\n\n");
	is_int(rc, INTAKE_NOFAX, "empty body: NOFAX");

	/* 24. Text attachment is a document; the body text is not. */
	rc = parse("Subject: txt\n"
		   "Content-Type: multipart/mixed; boundary=t\n\n"
		   "--t\nContent-Type: text/plain\n\nsee attached\n"
		   "--t\nContent-Type: text/plain; charset=utf-8\n"
		   "Content-Disposition: attachment; filename=notes.txt\n\n"
		   "the notes\n--t--\n");
	is_int(rc, INTAKE_OK, "text attachment: OK");
	if (is_int(in.ndocs, 1, "text attachment: one document")) {
		is_str((char *) in.docs[0].data, "the notes",
		       "text attachment: its text");
		is_str(in.docs[0].filename, "notes.txt", "text attachment: name");
	}

	/* 25. Two body texts and an ignored image: both texts, in order. */
	rc = parse("Subject: two\n"
		   "Content-Type: multipart/mixed; boundary=t\n\n"
		   "--t\nContent-Type: text/plain\n\nfirst\n"
		   "--t\nContent-Type: image/jpeg\n\nxx\n"
		   "--t\nContent-Type: text/plain\n\nsecond\n--t--\n");
	is_int(rc, INTAKE_OK, "two body texts: OK");
	if (is_int(in.ndocs, 2, "two body texts: two documents")) {
		is_str((char *) in.docs[0].data, "first", "first text first");
		is_str((char *) in.docs[1].data, "second", "second text second");
	}

	/* 26. PostScript. */
	rc = parse("Subject: ps\n"
		   "Content-Type: multipart/mixed; boundary=p\n\n"
		   "--p\nContent-Type: application/postscript\n\n%!PS-Adobe-3.0\nshowpage\n"
		   "--p--\n");
	is_int(rc, INTAKE_OK, "postscript: OK");
	if (in.ndocs == 1)
		is_int(in.docs[0].type, INTAKE_PS, "postscript: PS");
	rc = parse("Subject: ps\n"
		   "Content-Type: multipart/mixed; boundary=p\n\n"
		   "--p\nContent-Type: application/postscript\n\nshowpage\n"
		   "--p--\n");
	is_int(rc, INTAKE_BADDOC, "bad postscript: BADDOC");
	is_str(err, "part 1 (application/postscript): not PostScript: it does "
	       "not begin with a PostScript header",
	       "bad postscript: reason names the type");

	/* 27. A forwarded message/rfc822 carrying a PDF. */
	rc = parse("Subject: fwd\n"
		   "Content-Type: multipart/mixed; boundary=f\n\n"
		   "--f\nContent-Type: text/plain\n\nforwarding\n"
		   "--f\nContent-Type: message/rfc822\n\n"
		   "Subject: inner\n"
		   "Content-Type: multipart/mixed; boundary=g\n\n"
		   "--g\nContent-Type: application/pdf; name=inner.pdf\n\n"
		   "%PDF-1.3 inner\n--g--\n"
		   "--f--\n");
	is_int(rc, INTAKE_OK, "forwarded pdf: OK");
	if (is_int(in.ndocs, 1, "forwarded pdf: one document")) {
		is_int(in.docs[0].type, INTAKE_PDF, "forwarded pdf: PDF");
		is_str(in.docs[0].filename, "inner.pdf",
		       "forwarded pdf: name from Content-Type");
	}
	is_str(in.subject, "fwd", "forwarded: outer subject");

	/* 28. Corrupt base64 characters. */
	msg = with_attachment("application/pdf", "x.pdf", "JVBERi0x*LjQK\n");
	rc = parse(msg);
	is_int(rc, INTAKE_BADDOC, "base64 with '*': BADDOC");
	is_str(err, "attachment 'x.pdf' (part 2): base64 data has an invalid "
	       "character", "base64 with '*': reason");
	g_free(msg);
	msg = with_attachment("application/pdf", "x.pdf", "JVBERi0xLg==JVBE\n");
	rc = parse(msg);
	is_int(rc, INTAKE_BADDOC, "base64 after padding: BADDOC");
	is_str(err, "attachment 'x.pdf' (part 2): base64 data continues after "
	       "its padding", "base64 after padding: reason");
	g_free(msg);

	/* 29. A long hostile filename stays short and ASCII in the reply. */
	msg = with_attachment("application/pdf",
	    "\xe2\x80\xae" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.pdf",
	    "PGh0bWw+\n");
	rc = parse(msg);
	is_int(rc, INTAKE_BADDOC, "long name: BADDOC");
	is_str(err, "attachment '?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' (part 2): "
	       "not a PDF: no PDF header in its first 1024 bytes",
	       "long name: cut and escaped");
	g_free(msg);

	/* 30. '%' would make libmilter drop the reply text: never pass one. */
	msg = with_attachment("application/pdf", "100%.pdf", "PGh0bWw+\n");
	rc = parse(msg);
	is_int(rc, INTAKE_BADDOC, "percent name: BADDOC");
	is_str(err, "attachment '100?.pdf' (part 2): not a PDF: no PDF header "
	       "in its first 1024 bytes", "percent name: '%%' shown as '?'");
	g_free(msg);

	/* 31. Body text is checked only once it is needed, then named so. */
	rc = parse("Subject: b64 body\n"
		   "Content-Type: text/plain; charset=utf-8\n"
		   "Content-Transfer-Encoding: base64\n\n"
		   "SGVsbG8gd29ybGQ\n");
	is_int(rc, INTAKE_BADDOC, "truncated base64 body text: BADDOC");
	is_str(err, "body text (part 1): base64 data is truncated",
	       "truncated base64 body text: reason");
	rc = parse("Subject: b64 body\n"
		   "Content-Type: multipart/mixed; boundary=z\n\n"
		   "--z\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
		   "SGVsbG8gd29ybGQ\n"
		   "--z\nContent-Type: application/pdf\n\n%PDF-1.7\n--z--\n");
	is_int(rc, INTAKE_OK, "broken body text beside a PDF: unused, OK");

	/* 32. Several threads at once, as in the milter. */
	{
		static const char html[] = "Subject: h\nContent-Type: text/html\n\n<p>x</p>\n";
		static const char text[] = "Subject: t\n\nhello\n";
		struct job jobs[4];
		pthread_t tids[4];
		int	i, failures = 0;

		enc = b64(pdf_body, sizeof(pdf_body) - 1);
		msg = with_attachment("application/pdf", "t.pdf", enc);
		jobs[0] = (struct job) { html, INTAKE_NOFAX, "no faxable content: "
		    "send a PDF, PostScript, TIFF or plain-text body (ignored: "
		    "text/html)", 0 };
		jobs[1] = (struct job) { text, INTAKE_OK, "", 0 };
		jobs[2] = (struct job) { msg, INTAKE_OK, "", 0 };
		jobs[3] = (struct job) { "Subject: x\nContent-Type: multipart/"
		    "mixed; boundary=q\n\nnone\n", INTAKE_MALFORMED,
		    "multipart/mixed (part 1) has no body parts: its boundary "
		    "never appears", 0 };
		for (i = 0; i < 4; i++)
			pthread_create(&tids[i], NULL, parse_thread, &jobs[i]);
		for (i = 0; i < 4; i++) {
			pthread_join(tids[i], NULL);
			failures += jobs[i].failures;
		}
		is_int(failures, 0, "4 threads x 100 parses: all right");
		g_free(msg);
		g_free(enc);
	}

	/* 33. Garbage in, no crash, a defined answer. */
	rc = parse("");
	is_int(rc, INTAKE_MALFORMED, "empty input: MALFORMED");
	is_str(err, "message could not be parsed", "empty input: reason");
	rc = intake_parse(NULL, 0, NULL, &in, err, sizeof(err));
	is_int(rc, INTAKE_MALFORMED, "NULL input: MALFORMED");
	intake_free(&in);
	intake_free(&in);
	ok(in.docs == NULL && in.ndocs == 0, "intake_free twice is harmless");

	return done_testing();
}
