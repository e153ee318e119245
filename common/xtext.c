/* xtext.c - RFC 3461 xtext; see xtext.h. */
#include <stdio.h>
#include <string.h>

#include "xtext.h"

/* hexval - value of an upper-case hex digit, or -1 */
static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* xtext_decode - decode, returns the length or -1 */
int xtext_decode(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		int c = *p;
		if (c == '+') {
			int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			p += 2;
		} else if (c < '!' || c > '~' || c == '=')
			return -1;
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	if (outlen == 0)
		return -1;
	out[o] = '\0';
	return (int)o;
}

/* xtext_encode - encode, returns the length needed */
size_t xtext_encode(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		char tmp[4];
		size_t n;
		if (*p < '!' || *p > '~' || *p == '+' || *p == '=')
			n = (size_t)snprintf(tmp, sizeof(tmp), "+%02X", *p);
		else
			tmp[0] = (char)*p, tmp[1] = '\0', n = 1;
		if (o + n < outlen)
			memcpy(out + o, tmp, n);
		o += n;
	}
	if (outlen)
		out[o < outlen ? o : outlen - 1] = '\0';
	return o;
}
