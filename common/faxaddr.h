/*
 * NAME
 *	faxaddr 3h - RFC 3192 Internet fax addresses
 * SYNOPSIS
 *	#include "faxaddr.h"
 *
 *	int	faxaddr_parse(const char *addr, faxaddr_t *fa,
 *			char *err, size_t errlen);
 *	int	faxaddr_split(const char *addr, char *local, size_t llen,
 *			char *domain, size_t dlen, char *err, size_t errlen);
 *	size_t	faxaddr_format(const faxaddr_t *fa, char *buf, size_t len);
 *	int	faxaddr_is_fax_local(const char *local);
 * DESCRIPTION
 *	This module parses, checks and writes the fax recipient addresses
 *	of RFC 3192 (with the GSTN syntax of RFC 3191), e.g.
 *
 *		FAX=+12027653000/T33S=1387@gw.example
 *
 *	Nothing here allocates memory: results go into the caller's
 *	structure or buffers, and no pointer into them is kept.
 *
 *	faxaddr_parse() parses a whole address as it appears in SMTP
 *	RCPT TO: optionally inside <...> (an RFC 5321 source route
 *	"@a,@b:" after the '<' is skipped), surrounding spaces and tabs
 *	ignored, split into local part and domain at the last '@' that is
 *	neither inside a quoted string nor inside a [literal]. The local
 *	part is either an RFC 5321 Dot-string or a Quoted-string (with
 *	\" and \\ quoted-pairs), at most FAXADDR_MAX_LOCAL octets as
 *	written, and must read
 *
 *		["/"] FAX=+<digits and separators> [/T33S=<digits>]
 *			*(/NAME=VALUE) ["/"]
 *
 *	"FAX=" and "/T33S=" are case-insensitive; the written separators
 *	'-' and '.' in the number are dropped; the number has 1 to
 *	FAXADDR_MAX_DIGITS digits; the subaddress 1 to FAXADDR_MAX_SUBADDR
 *	digits and appears at most once. Any other qualifier /NAME=VALUE
 *	(NAME: letters, digits, '-'; VALUE: one or more characters that
 *	are legal in an unquoted local part other than '/', with no
 *	leading, trailing or doubled '.') is kept verbatim, with its '/',
 *	in fa->qualifiers, in the order written. /T33S= may come before,
 *	between or after the other qualifiers: its position is not kept,
 *	so "/ISUB=5/T33S=7" and "/T33S=7/ISUB=5" give the same result.
 *	A second "/FAX=" is an error. The domain is a host name (labels
 *	of letters, digits and inner '-', each at most 63 octets, at most
 *	255 in all) or an address literal [IPv4] or [IPv6:...]; it is
 *	stored lower-cased. On success faxaddr_parse() fills in *fa and
 *	returns 0; on error it returns -1, writes the reason into err and
 *	leaves *fa untouched.
 *
 *	faxaddr_split() does only the <...> removal and the split, so a
 *	caller can look at the domain before it knows whether the address
 *	is a fax address at all. It does not check the characters of
 *	either part (an SMTPUTF8 address for another domain is not its
 *	business). The local part is copied as written (quotes and
 *	quoted-pairs kept) into local, the domain as written into domain.
 *	It returns 0, or -1 with the reason in err (also when a part does
 *	not fit its buffer; the buffers are then unspecified).
 *
 *	faxaddr_format() writes the canonical form of *fa,
 *
 *		FAX=+<digits>[/T33S=<sub>][<qualifiers>]@<domain>
 *
 *	into buf and NUL-terminates it if len > 0 (truncating like
 *	snprintf(3)). It returns the length of the whole canonical form
 *	without the NUL; if that is >= len, the output was truncated.
 *	For a structure filled in by faxaddr_parse() the canonical form
 *	never needs quotes, is never longer than the address it was
 *	parsed from, and parses back to an identical structure.
 *
 *	faxaddr_is_fax_local() returns 1 if the local part as written
 *	(e.g. from faxaddr_split()), after an optional leading '"' and
 *	then an optional '/', begins with "FAX" in any case followed by
 *	'=' or ':', else 0; inside quotes, quoted-pairs are undone first.
 *	Every local part that faxaddr_parse() accepts gives 1. Callers use
 *	it to tell "not a fax address" from "a broken fax address".
 * DIAGNOSTICS
 *	Error reasons are ASCII English sentences without CR, LF or '%',
 *	at most about 100 characters, meant to be copied verbatim into an
 *	SMTP reply. They never quote more than one character of the input,
 *	and name that character instead of printing it when it is a space,
 *	a quote or a percent sign.
 * SEE ALSO
 *	RFC 3191, RFC 3192, RFC 5321 section 4.1.2
 */
#ifndef FAXGATE_FAXADDR_H
#define FAXGATE_FAXADDR_H

#include <stddef.h>

#define FAXADDR_MAX_DIGITS 15   /* E.164 */
#define FAXADDR_MAX_SUBADDR 20  /* T.33 subaddress digits */
#define FAXADDR_MAX_LOCAL 64    /* RFC 5321 local-part octets */

typedef struct faxaddr {
	char number[FAXADDR_MAX_DIGITS + 2];     /* "+" then digits only, separators removed */
	char subaddr[FAXADDR_MAX_SUBADDR + 1];   /* T33S digits, "" if none */
	char qualifiers[FAXADDR_MAX_LOCAL + 1];  /* unknown qualifiers verbatim and in order, e.g. "/ISUB=123", "" if none */
	char domain[256];                        /* mta-I-fax as written (a name or a [literal]), lower-cased */
} faxaddr_t;

int faxaddr_parse(const char *addr, faxaddr_t *fa, char *err, size_t errlen);
int faxaddr_split(const char *addr, char *local, size_t llen,
    char *domain, size_t dlen, char *err, size_t errlen);
size_t faxaddr_format(const faxaddr_t *fa, char *buf, size_t len);
int faxaddr_is_fax_local(const char *local);

#endif
