/*
 * onramp_fuzz.c - libFuzzer target for the onramp's pure functions
 * (common/onramp.c): the DTMF grammar, wildcard patterns, value syntax.
 *
 *	make fuzz		(every target, see the Makefile)
 *
 * Besides memory errors it aborts when a promise of onramp.h breaks:
 * parsed digits hold digits only, within their bounds, and format back
 * to exactly the input; the masked form never shows the password; a
 * refusal leaves nothing parsed and gives a short printable reason
 * without the password in it. Every string matches itself as a pattern,
 * "*" matches everything, and onramp_check answers 0 or -1 with a
 * printable reason for every field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onramp.h"

/* reason_ok - a short printable reason, returns 0/1 */
static int reason_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 200)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* digits_ok - only digits, between lo and hi of them */
static int digits_ok(const char *s, size_t lo, size_t hi)
{
	size_t n = strlen(s);

	return n >= lo && n <= hi && strspn(s, "0123456789") == n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	onramp_dtmf_t k, k2;
	char *s, err[256], buf[256], masked[256];
	const char *pat, *str;

	if (size > 4096)
		return 0;
	/* An exact-size heap copy, so ASan sees any over-read. */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	err[0] = '\0';
	if (onramp_parse_dtmf(s, &k, err, sizeof(err)) == 0) {
		const char *addr = k.kind == ONRAMP_DIRECT ? k.number : k.index;
		size_t max = k.kind == ONRAMP_DIRECT ? ONRAMP_NUMBER_MAX : ONRAMP_INDEX_MAX;
		if (!digits_ok(addr, 1, max) || (k.kind == ONRAMP_DIRECT ? k.index[0] : k.number[0]))
			abort();
		if (k.user[0] ? !digits_ok(k.user, 1, ONRAMP_USER_MAX) ||
		    !digits_ok(k.password, ONRAMP_PASSWORD_MIN, ONRAMP_PASSWORD_MAX) : k.password[0] != 0)
			abort();
		/* The input is a C string: what follows a NUL is not keyed. */
		if (onramp_format_dtmf(&k, 0, buf, sizeof(buf)) != strlen(s) || strcmp(buf, s) != 0)
			abort();
		if (onramp_parse_dtmf(buf, &k2, err, sizeof(err)) != 0 || memcmp(&k, &k2, sizeof(k)))
			abort();
		onramp_format_dtmf(&k, 1, masked, sizeof(masked));
		if (k.user[0] && strstr(masked, k.password) && !strstr(k.user, k.password) &&
		    !strstr(addr, k.password))
			abort();
	} else {
		if (!reason_ok(err) || k.number[0] || k.index[0] || k.user[0] || k.password[0])
			abort();
	}

	/* Pattern and string: the input split at its first newline. */
	pat = s;
	str = strchr(s, '\n');
	if (str)
		*(char *)str++ = '\0';
	else
		str = "";
	if (onramp_match(pat, pat) != 1 || onramp_match("*", str) != 1)
		abort();
	if (onramp_match(pat, str) != 0 && onramp_match(pat, str) != 1)
		abort();

	for (int f = ONRAMP_F_DID; f <= ONRAMP_F_PATTERN; f++) {
		err[0] = '\0';
		int rc = onramp_check((onramp_field_t)f, pat, err, sizeof(err));
		if (rc != 0 && (rc != -1 || !reason_ok(err)))
			abort();
		if (f == ONRAMP_F_PASSWORD && rc < 0 && strlen(pat) >= 4 && strstr(err, pat))
			abort();
	}
	free(s);
	return 0;
}
