/*
 * NAME
 *	xtext - RFC 3461 section 4 xtext, as used by ENVID and ORCPT
 * SYNOPSIS
 *	#include "xtext.h"
 *	int xtext_decode(const char *in, char *out, size_t outlen);
 *	size_t xtext_encode(const char *in, char *out, size_t outlen);
 * DESCRIPTION
 *	xtext_decode turns "+2B" hex escapes back into octets. It returns the
 *	decoded length, or -1 when in is not valid xtext (a '+' without two
 *	upper-case hex digits, a character outside "!".."~", '=' unescaped)
 *	or the result (with its NUL) does not fit in outlen.
 *	xtext_encode escapes every octet outside "!".."~" and '+', '=' and
 *	returns the length it needed (snprintf-like; truncated if larger).
 */
#ifndef FAXGATE_XTEXT_H
#define FAXGATE_XTEXT_H

#include <stddef.h>

int xtext_decode(const char *in, char *out, size_t outlen);
size_t xtext_encode(const char *in, char *out, size_t outlen);

#endif
