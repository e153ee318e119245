/*
 * faxaddr_fuzz.c - libFuzzer target for common/faxaddr.c.
 *
 *	clang -g -fsanitize=fuzzer,address,undefined -I. -Icommon \
 *	    common/faxaddr.c t/fuzz/faxaddr_fuzz.c -o faxaddr-fuzzer
 *	cp -r t/fuzz/corpus/faxaddr /tmp/c && ./faxaddr-fuzzer /tmp/c
 *
 * Besides memory errors it aborts when a promise of faxaddr.h breaks:
 * the canonical form of a parsed address parses back to the same
 * structure, is no longer than the input and formats identically; an
 * accepted address splits and looks like a fax local part; error
 * reasons are short printable ASCII without '%'.
 */
#include "faxaddr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* reason_ok - is an error reason fit for an SMTP reply, returns 0/1 */
static int reason_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 100)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '%')
			return 0;
	return 1;
}

/* same_fa - are two parsed addresses equal field by field, returns 0/1 */
static int same_fa(const faxaddr_t *a, const faxaddr_t *b)
{
	return strcmp(a->number, b->number) == 0
	    && strcmp(a->subaddr, b->subaddr) == 0
	    && strcmp(a->qualifiers, b->qualifiers) == 0
	    && strcmp(a->domain, b->domain) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - check one input, returns 0 (aborts on a bug) */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	faxaddr_t fa, fb;
	char *addr, err[256], buf[1024], buf2[1024], local[1024], domain[1024];
	size_t n, n2;

	if (size > 4096)
		return 0;
	/* An exact-size heap copy, so ASan sees any over-read. */
	if ((addr = malloc(size + 1)) == NULL)
		return 0;
	memcpy(addr, data, size);
	addr[size] = 0;

	(void) faxaddr_is_fax_local(addr);
	err[0] = 0;
	if (faxaddr_split(addr, local, sizeof(local), domain, sizeof(domain),
	    err, sizeof(err)) < 0 && !reason_ok(err))
		abort();

	err[0] = 0;
	if (faxaddr_parse(addr, &fa, err, sizeof(err)) < 0) {
		if (!reason_ok(err))
			abort();
		free(addr);
		return 0;
	}

	/* Accepted: the milter's view of it must agree. */
	if (faxaddr_split(addr, local, sizeof(local), domain, sizeof(domain),
	    err, sizeof(err)) < 0 || !faxaddr_is_fax_local(local))
		abort();

	n = faxaddr_format(&fa, buf, sizeof(buf));
	if (n >= sizeof(buf) || n != strlen(buf) || n > size)
		abort();
	if (faxaddr_format(&fa, NULL, 0) != n)
		abort();
	if (faxaddr_parse(buf, &fb, err, sizeof(err)) < 0 || !same_fa(&fa, &fb))
		abort();
	n2 = faxaddr_format(&fb, buf2, sizeof(buf2));
	if (n2 != n || strcmp(buf, buf2) != 0)
		abort();
	free(addr);
	return 0;
}
