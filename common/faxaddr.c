/*
 * faxaddr.c - RFC 3192 Internet fax addresses; see faxaddr.h.
 *
 * The parser works on pointer ranges into the caller's string rather
 * than on copies, so an over-long input is measured and rejected with
 * its real length instead of being truncated first. Character classes
 * are spelled out instead of using <ctype.h>, whose answers depend on
 * the locale and are undefined for negative chars.
 */
#include "faxaddr.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A piece of the caller's string; not NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

/* fail - format an error reason into err, return -1 */
__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* is_digit - ASCII digit test, returns 0 or 1 */
static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* is_alpha - ASCII letter test, returns 0 or 1 */
static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* to_lower - ASCII lower-casing, returns the lower-case letter or c */
static int to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * ci_prefix - does p (n octets) begin with the ASCII word w in any case,
 * returns 0 or 1. Not strncasecmp(3): that follows the locale, and in
 * a Turkish one "fax" and "FAX" differ.
 */
static int ci_prefix(const char *p, size_t n, const char *w)
{
	size_t i;

	for (i = 0; w[i] != 0; i++)
		if (i >= n || to_lower(p[i]) != to_lower(w[i]))
			return 0;
	return 1;
}

/* is_blank - SP or HTAB test, returns 0 or 1 */
static int is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * is_atext - RFC 5321 atext test, returns 0 or 1. These are the
 * characters allowed in an unquoted local part besides '.'.
 */
static int is_atext(int c)
{
	return is_alpha(c) || is_digit(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/*
 * char_name - describe one input character for an error reason,
 * returns buf. A space, a quote or a percent sign would be unreadable
 * or dangerous inside '...' in an SMTP reply (sendmail treats '%' in
 * milter reply text as a format directive), so they are named.
 */
static const char *char_name(int c, char *buf, size_t len)
{
	switch (c) {
	case ' ':
		return "a space";
	case '%':
		return "a percent sign";
	case '\'':
		return "an apostrophe";
	case '"':
		return "a double quote";
	}
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "byte 0x%02X", (unsigned) (c & 0xff));
	return buf;
}

/* trim - narrow [*b, *e) to exclude surrounding SP and HTAB */
static void trim(const char **b, const char **e)
{
	while (*b < *e && is_blank(**b))
		++*b;
	while (*e > *b && is_blank((*e)[-1]))
		--*e;
}

/*
 * split_spans - find local part and domain of an RCPT TO address,
 * returns 0 or -1 with the reason in err.
 */
static int split_spans(const char *addr, struct span *local,
    struct span *domain, char *err, size_t errlen)
{
	const char *b, *e, *p, *at = NULL;
	int inquote = 0, inliteral = 0;

	if (addr == NULL)
		return fail(err, errlen, "no address given");
	b = addr;
	e = addr + strlen(addr);
	trim(&b, &e);
	if (b == e)
		return fail(err, errlen, "empty address");
	if (*b == '<') {
		if (e - b < 2 || e[-1] != '>')
			return fail(err, errlen, "address begins with '<' but does not end with '>'");
		b++;
		e--;
		if (b == e)
			return fail(err, errlen, "the null address <> cannot be a recipient");
		/*
		 * RFC 5321 4.1.2: a source route "@a,@b:" MUST be accepted
		 * and SHOULD be ignored. Without a ':' it is no route but
		 * an empty local part, which is reported below.
		 */
		if (*b == '@' && (p = memchr(b, ':', (size_t) (e - b))) != NULL) {
			b = p + 1;
			if (b == e)
				return fail(err, errlen, "empty address after the source route");
		}
	} else if (e[-1] == '>') {
		return fail(err, errlen, "address ends with '>' but does not begin with '<'");
	}

	/*
	 * The last '@' wins because a quoted local part may contain '@';
	 * an '@' inside a quoted string or an address literal (whose
	 * general form allows '@') is no separator.
	 */
	for (p = b; p < e; p++) {
		if (inquote) {
			if (*p == '\\' && p + 1 < e)
				p++;
			else if (*p == '"')
				inquote = 0;
		} else if (inliteral) {
			if (*p == ']')
				inliteral = 0;
		} else if (*p == '"') {
			inquote = 1;
		} else if (*p == '@') {
			at = p;
			if (p + 1 < e && p[1] == '[') {
				inliteral = 1;
				p++;
			}
		}
	}
	if (inquote)
		return fail(err, errlen, "unterminated quoted string in the address");
	if (at == NULL)
		return fail(err, errlen, "address has no '@' and domain");
	if (at == b)
		return fail(err, errlen, "empty local part before '@'");
	if (at + 1 == e)
		return fail(err, errlen, "empty domain after '@'");
	local->p = b;
	local->n = (size_t) (at - b);
	domain->p = at + 1;
	domain->n = (size_t) (e - at - 1);
	return 0;
}

/* faxaddr_split - split an RCPT TO address, returns 0 or -1 with err */
int faxaddr_split(const char *addr, char *local, size_t llen,
    char *domain, size_t dlen, char *err, size_t errlen)
{
	struct span l, d;

	if (split_spans(addr, &l, &d, err, errlen) < 0)
		return -1;
	if (l.n >= llen)
		return fail(err, errlen, "local part is longer than %zu octets",
		    llen > 0 ? llen - 1 : 0);
	if (d.n >= dlen)
		return fail(err, errlen, "domain is longer than %zu octets",
		    dlen > 0 ? dlen - 1 : 0);
	memcpy(local, l.p, l.n);
	local[l.n] = 0;
	memcpy(domain, d.p, d.n);
	domain[d.n] = 0;
	return 0;
}

/* ipv4_ok - check a dotted-quad of 1-3 digit numbers <= 255, returns 0/1 */
static int ipv4_ok(const char *p, size_t n)
{
	const char *e = p + n;
	int part, digits, val;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (p == e || *p != '.')
				return 0;
			p++;
		}
		/* RFC 5321 Snum is 1*3DIGIT, so leading zeros are allowed. */
		for (digits = 0, val = 0; p < e && is_digit(*p); p++, digits++) {
			if (digits == 3)
				return 0;
			val = val * 10 + (*p - '0');
		}
		if (digits == 0 || val > 255)
			return 0;
	}
	return p == e;
}

/* parse_domain - check a domain and store it lower-cased, returns 0/-1 */
static int parse_domain(struct span d, char *out, char *err, size_t errlen)
{
	char tmp[256], cbuf[16];
	struct in6_addr a6;
	size_t i, label;

	if (d.n > 255)
		return fail(err, errlen, "domain is %zu octets long; the limit is 255", d.n);
	if (d.p[0] == '[') {
		if (d.n < 2 || d.p[d.n - 1] != ']')
			return fail(err, errlen, "address literal in the domain lacks the closing ']'");
		if (d.n == 2)
			return fail(err, errlen, "empty address literal [] in the domain");
		if (ci_prefix(d.p + 1, d.n - 2, "IPv6:")) {
			memcpy(tmp, d.p + 6, d.n - 7);
			tmp[d.n - 7] = 0;
			if (inet_pton(AF_INET6, tmp, &a6) != 1)
				return fail(err, errlen, "invalid IPv6 address in the domain literal");
		} else if (memchr(d.p + 1, ':', d.n - 2) != NULL) {
			return fail(err, errlen, "unsupported address literal; use [IPv4] or [IPv6:address]");
		} else if (!ipv4_ok(d.p + 1, d.n - 2)) {
			return fail(err, errlen, "invalid IPv4 address in the domain literal");
		}
	} else {
		/* RFC 5321 sub-domain: Let-dig [Ldh-str], labels joined by '.' */
		for (i = 0, label = 0; i <= d.n; i++) {
			if (i == d.n || d.p[i] == '.') {
				if (label == 0)
					return fail(err, errlen, "empty label in the domain (a leading, trailing or doubled '.')");
				if (label > 63)
					return fail(err, errlen, "domain label is %zu octets long; the limit is 63", label);
				if (d.p[i - 1] == '-' || d.p[i - label] == '-')
					return fail(err, errlen, "domain label begins or ends with '-'");
				label = 0;
			} else if (is_alpha(d.p[i]) || is_digit(d.p[i]) || d.p[i] == '-') {
				label++;
			} else {
				return fail(err, errlen, "%s is not allowed in the domain",
				    char_name(d.p[i], cbuf, sizeof(cbuf)));
			}
		}
	}
	for (i = 0; i < d.n; i++)
		out[i] = (char) to_lower(d.p[i]);
	out[d.n] = 0;
	return 0;
}

/*
 * unwrap_local - reduce the local part to its content (quotes and
 * quoted-pairs removed), checking the Dot-string rules when it is not
 * quoted, returns the content length or -1 with err.
 */
static int unwrap_local(struct span l, char *buf, char *err, size_t errlen)
{
	const char *p = l.p, *e = l.p + l.n;
	size_t n = 0;

	if (*p == '"') {
		for (p++; p < e && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < e)
				p++;
			buf[n++] = *p;
		}
		if (p == e)
			return fail(err, errlen, "unterminated quoted string in the local part");
		if (p + 1 != e)
			return fail(err, errlen, "text after the closing quote of the local part");
		if (n == 0)
			return fail(err, errlen, "empty quoted local part");
	} else {
		/* Only unquoted, '.' separates atoms that may not be empty. */
		if (*p == '.')
			return fail(err, errlen, "unquoted local part begins with '.'; quote it or remove the '.'");
		if (e[-1] == '.')
			return fail(err, errlen, "unquoted local part ends with '.'; quote it or remove the '.'");
		for (; p < e; p++) {
			if (p[0] == '.' && p + 1 < e && p[1] == '.')
				return fail(err, errlen, "'..' is not allowed in an unquoted local part; quote it or remove a '.'");
			buf[n++] = *p;
		}
	}
	buf[n] = 0;
	return (int) n;
}

/*
 * value_ok - check an unknown qualifier's value, returns 0 or -1 with
 * err. Only characters that need no quoting are allowed, and dots only
 * inside, so that the canonical form never needs quotes and is never
 * longer than what was written.
 */
static int value_ok(const char *v, size_t n, char *err, size_t errlen)
{
	char cbuf[16];
	size_t i;

	if (n == 0)
		return fail(err, errlen, "empty value after '=' in a qualifier");
	for (i = 0; i < n; i++) {
		if (v[i] == '.') {
			if (i == 0 || i == n - 1 || v[i + 1] == '.')
				return fail(err, errlen, "a qualifier value may have '.' only between other characters");
		} else if (!is_atext(v[i])) {
			return fail(err, errlen, "%s is not allowed in a qualifier value",
			    char_name(v[i], cbuf, sizeof(cbuf)));
		}
	}
	return 0;
}

/* faxaddr_parse - parse an RFC 3192 address, returns 0 or -1 with err */
int faxaddr_parse(const char *addr, faxaddr_t *fa, char *err, size_t errlen)
{
	faxaddr_t r;
	struct span l, d;
	char buf[FAXADDR_MAX_LOCAL + 1], cbuf[16];
	const char *s, *e, *b, *name, *val;
	size_t nd, nq, namelen, vallen;
	int n, have_sub = 0;

	if (addr == NULL)
		return fail(err, errlen, "no address given");

	/* Check bytes first, so later messages can quote a character. */
	b = addr;
	e = addr + strlen(addr);
	trim(&b, &e);
	for (s = b; s < e; s++) {
		unsigned char c = (unsigned char) *s;

		if (c >= 0x80)
			return fail(err, errlen, "non-ASCII byte 0x%02X at position %zu; fax addresses must be ASCII",
			    c, (size_t) (s - addr) + 1);
		if (c < 0x20 || c == 0x7f)
			return fail(err, errlen, "control character 0x%02X at position %zu in the address",
			    c, (size_t) (s - addr) + 1);
	}

	if (split_spans(addr, &l, &d, err, errlen) < 0)
		return -1;
	if (l.n > FAXADDR_MAX_LOCAL)
		return fail(err, errlen, "local part is %zu octets long; the limit is %d",
		    l.n, FAXADDR_MAX_LOCAL);
	memset(&r, 0, sizeof(r));
	if ((n = unwrap_local(l, buf, err, errlen)) < 0)
		return -1;

	/* The optional '/' wrappers of RFC 3192 fax-email. */
	s = buf;
	e = buf + n;
	if (s < e && *s == '/')
		s++;
	if (e > s && e[-1] == '/')
		e--;

	if (e - s < 4 || !ci_prefix(s, 3, "FAX") || (s[3] != '=' && s[3] != ':'))
		return fail(err, errlen, "local part does not begin with FAX=, so this is not a fax address");
	if (s[3] == ':')
		return fail(err, errlen, "'FAX:' is not valid; write 'FAX=' followed by '+' and the number");
	s += 4;

	if (s == e || *s != '+')
		return fail(err, errlen, "the number after FAX= must begin with '+' and the country code");
	r.number[0] = '+';
	for (nd = 0, s++; s < e && *s != '/'; s++) {
		if (is_digit(*s)) {
			if (nd < FAXADDR_MAX_DIGITS)
				r.number[1 + nd] = *s;
			nd++;
		} else if (*s == ' ') {
			return fail(err, errlen, "a space is not allowed in the fax number; use '-' or '.' as separator");
		} else if (*s == '(' || *s == ')') {
			return fail(err, errlen, "parentheses are not allowed in the fax number; use '-' or '.' as separator");
		} else if (*s != '-' && *s != '.') {
			return fail(err, errlen, "%s is not allowed in the fax number",
			    char_name(*s, cbuf, sizeof(cbuf)));
		}
	}
	if (nd == 0)
		return fail(err, errlen, "the fax number has no digits after '+'");
	if (nd > FAXADDR_MAX_DIGITS)
		return fail(err, errlen, "the fax number has %zu digits; E.164 allows at most %d",
		    nd, FAXADDR_MAX_DIGITS);

	/* Qualifiers: /T33S= anywhere among the others, at most once. */
	for (nq = 0; s < e; ) {
		name = ++s;		/* skip the '/' */
		while (s < e && (is_alpha(*s) || is_digit(*s) || *s == '-'))
			s++;
		namelen = (size_t) (s - name);
		if (namelen == 0 && (s == e || *s == '/'))
			return fail(err, errlen, "empty element after '/' in the local part");
		if (namelen == 0 && *s == '=')
			return fail(err, errlen, "qualifier with an empty name before '='");
		if (s == e || *s == '/')
			return fail(err, errlen, "qualifier without '=' after its name");
		if (*s != '=')
			return fail(err, errlen, "%s is not allowed in a qualifier name",
			    char_name(*s, cbuf, sizeof(cbuf)));
		val = ++s;
		while (s < e && *s != '/')
			s++;
		vallen = (size_t) (s - val);

		if (namelen == 4 && ci_prefix(name, namelen, "T33S")) {
			size_t i;

			/* Several subaddresses mean several recipients. */
			if (have_sub)
				return fail(err, errlen, "more than one /T33S= subaddress; use one address per subaddress");
			if (vallen == 0)
				return fail(err, errlen, "empty T.33 subaddress after /T33S=");
			for (i = 0; i < vallen; i++)
				if (!is_digit(val[i]))
					return fail(err, errlen, "the T.33 subaddress may contain only digits, not %s",
					    char_name(val[i], cbuf, sizeof(cbuf)));
			if (vallen > FAXADDR_MAX_SUBADDR)
				return fail(err, errlen, "the T.33 subaddress has %zu digits; the limit is %d",
				    vallen, FAXADDR_MAX_SUBADDR);
			memcpy(r.subaddr, val, vallen);
			have_sub = 1;
		} else if (namelen == 3 && ci_prefix(name, namelen, "FAX")) {
			return fail(err, errlen, "more than one FAX= number in the local part");
		} else {
			if (value_ok(val, vallen, err, errlen) < 0)
				return -1;
			/* Fits: the qualifiers are part of a <= 64 octet local part. */
			memcpy(r.qualifiers + nq, name - 1, namelen + vallen + 2);
			nq += namelen + vallen + 2;
		}
	}
	/* Last, so errors are reported in the order the address is read. */
	if (parse_domain(d, r.domain, err, errlen) < 0)
		return -1;
	*fa = r;
	return 0;
}

/* faxaddr_format - write the canonical address, returns its length */
size_t faxaddr_format(const faxaddr_t *fa, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "FAX=%s%s%s%s@%s", fa->number,
	    fa->subaddr[0] ? "/T33S=" : "", fa->subaddr, fa->qualifiers,
	    fa->domain);
	return n < 0 ? 0 : (size_t) n;
}

/*
 * faxaddr_is_fax_local - does the local part claim to be FAX=, 1 or 0.
 * Inside quotes the quoted-pairs are undone first, as faxaddr_parse()
 * does, so that "\FAX\=+1"@gw is recognised like "FAX=+1"@gw.
 */
int faxaddr_is_fax_local(const char *local)
{
	char head[5];
	size_t n = 0;
	int quoted;

	if (local == NULL)
		return 0;
	if ((quoted = *local == '"') != 0)
		local++;
	for (; *local != 0 && n < sizeof(head); local++) {
		if (quoted && *local == '"')
			break;
		if (quoted && *local == '\\' && local[1] != 0)
			local++;
		head[n++] = *local;
	}
	if (n > 0 && head[0] == '/')
		memmove(head, head + 1, --n);
	return n >= 4 && ci_prefix(head, n, "FAX") && (head[3] == '=' || head[3] == ':');
}
