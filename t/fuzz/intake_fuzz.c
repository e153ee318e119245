/*
 * intake_fuzz.c - libFuzzer target for milter/intake.c (and, through
 * it, common/tiffcheck.c).
 *
 *	clang -g -fsanitize=fuzzer,address,undefined -I. -Icommon -Imilter \
 *	    $(pkg-config --cflags gmime-3.0 libtiff-4) \
 *	    common/tiffcheck.c milter/intake.c t/fuzz/intake_fuzz.c \
 *	    $(pkg-config --libs gmime-3.0 libtiff-4) -lpthread \
 *	    -o intake-fuzzer
 *	cp -r t/fuzz/corpus/intake /tmp/c && ./intake-fuzzer /tmp/c
 *
 * Besides memory errors it aborts when a promise of intake.h breaks:
 * the return code is one of INTAKE_*, never INTAKE_ERROR on a healthy
 * machine; the reason is empty exactly on INTAKE_OK and otherwise one
 * line of printable ASCII without '%' of at most 120 characters; a
 * failure leaves no documents; a success has 1..max_docs documents of
 * the promised shape (NUL after the data, text valid UTF-8 without
 * NUL and not blank, PDF and PostScript with their headers, TIFF with
 * pages); header fields are well-formed when present.
 */
#include "intake.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* reason_ok - is the reason fit for an SMTP reply, returns 0/1 */
static int reason_ok(const char *s, int rc)
{
	size_t	i, n = strlen(s);

	if ((rc == INTAKE_OK) != (n == 0) || n > 120)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '%')
			return 0;
	return 1;
}

/* no_controls - is s valid UTF-8 without C0 controls or DEL, returns 0/1 */
static int no_controls(const char *s)
{
	const char *p;

	if (!g_utf8_validate(s, -1, NULL))
		return 0;
	for (p = s; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* doc_ok - does one document keep the promises of intake.h, returns 0/1 */
static int doc_ok(const intake_doc_t *d)
{
	size_t	i;

	if (d->content_type == NULL || d->data == NULL || d->data[d->len] != 0)
		return 0;
	for (i = 0; d->content_type[i]; i++)
		if (g_ascii_isupper(d->content_type[i]))
			return 0;
	if (d->filename && (d->filename[0] == 0 || !no_controls(d->filename)
			    || strchr(d->filename, '/')
			    || strchr(d->filename, '\\')
			    || strlen(d->filename) > 200))
		return 0;
	switch (d->type) {
	case INTAKE_TIFF:
		return d->pages >= 1 && d->pages <= 200;
	case INTAKE_PDF:
		return d->pages == 0
		    && memmem(d->data, d->len < 1024 ? d->len : 1024, "%PDF-", 5);
	case INTAKE_PS:
		return d->pages == 0 && d->len >= 2 && d->data[0] == '%'
		    && d->data[1] == '!';
	case INTAKE_TEXT:
		if (d->pages != 0 || strlen((char *) d->data) != d->len
		    || !g_utf8_validate((char *) d->data, (gssize) d->len, NULL))
			return 0;
		/* Blank text (Unicode blanks included) must never be a document. */
		{
			const char *p = (const char *) d->data;

			for (; *p; p = g_utf8_next_char(p)) {
				gunichar u = g_utf8_get_char(p);

				if (!g_unichar_isspace(u) && u != 0xfeff
				    && u != 0x200b)
					return 1;
			}
		}
		return 0;
	}
	return 0;
}

/* LLVMFuzzerTestOneInput - parse one input and check every promise, returns 0 */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	intake_t in;
	char	err[256];
	size_t	i;
	int	rc;

	memset(err, 'X', sizeof(err));
	rc = intake_parse((const char *) data, size, NULL, &in, err,
			  sizeof(err));
	if (rc < INTAKE_OK || rc > INTAKE_MALFORMED)
		abort();
	if (!reason_ok(err, rc))
		abort();
	if (rc == INTAKE_OK) {
		if (in.ndocs < 1 || in.ndocs > 20 || in.docs == NULL)
			abort();
		for (i = 0; i < in.ndocs; i++)
			if (!doc_ok(&in.docs[i]))
				abort();
	} else if (in.ndocs != 0 || in.docs != NULL) {
		abort();
	}
	if (in.subject && !no_controls(in.subject))
		abort();
	if (in.message_id) {
		for (i = 0; in.message_id[i]; i++)
			if (in.message_id[i] < 0x21 || in.message_id[i] > 0x7e
			    || in.message_id[i] == '<' || in.message_id[i] == '>')
				abort();
		if (i == 0)
			abort();
	}
	if (in.from && (in.from[0] == 0 || !no_controls(in.from)
			|| strchr(in.from, ' ')))
		abort();
	intake_free(&in);
	if (in.docs || in.subject || in.from || in.message_id)
		abort();
	return 0;
}
