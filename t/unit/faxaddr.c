/*
 * faxaddr.c - unit tests for common/faxaddr.c (RFC 3192 fax addresses).
 */
#include "t/tap.h"
#include "faxaddr.h"

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

/* show - printable rendering of a test input for TAP output, returns it */
static const char *show(const char *s)
{
	static char buf[512];
	size_t n = 0;

	for (; *s != 0 && n + 5 < sizeof(buf); s++) {
		unsigned char c = (unsigned char) *s;

		if (c < 0x20 || c > 0x7e)
			n += (size_t) snprintf(buf + n, sizeof(buf) - n, "\\x%02X", c);
		else
			buf[n++] = (char) c;
	}
	buf[n] = 0;
	return buf;
}

/* same_fa - are two parsed addresses equal field by field, returns 0/1 */
static int same_fa(const faxaddr_t *a, const faxaddr_t *b)
{
	return strcmp(a->number, b->number) == 0
	    && strcmp(a->subaddr, b->subaddr) == 0
	    && strcmp(a->qualifiers, b->qualifiers) == 0
	    && strcmp(a->domain, b->domain) == 0;
}

struct good {
	const char *addr, *number, *subaddr, *qualifiers, *domain, *canon;
};

/* The valid addresses of the requirements first, then our own. */
static const struct good goods[] = {
	{"FAX=+3940226338@gw.example", "+3940226338", "", "", "gw.example",
	 "FAX=+3940226338@gw.example"},
	{"FAX=+12027653000/T33S=1387@gw.example", "+12027653000", "1387", "", "gw.example",
	 "FAX=+12027653000/T33S=1387@gw.example"},
	{"FAX=+33-1-88335215@gw.example", "+33188335215", "", "", "gw.example",
	 "FAX=+33188335215@gw.example"},
	{"FAX=+44.116.496.0348@gw.example", "+441164960348", "", "", "gw.example",
	 "FAX=+441164960348@gw.example"},
	{"fax=+441164960348/t33s=7@gw.example", "+441164960348", "7", "", "gw.example",
	 "FAX=+441164960348/T33S=7@gw.example"},
	{"/FAX=+441164960348/@gw.example", "+441164960348", "", "", "gw.example",
	 "FAX=+441164960348@gw.example"},
	{"\"FAX=+441164960348\"@gw.example", "+441164960348", "", "", "gw.example",
	 "FAX=+441164960348@gw.example"},
	{"FAX=+441164960348@[192.0.2.10]", "+441164960348", "", "", "[192.0.2.10]",
	 "FAX=+441164960348@[192.0.2.10]"},
	/* 15 digits is the E.164 maximum */
	{"FAX=+123456789012345@gw", "+123456789012345", "", "", "gw",
	 "FAX=+123456789012345@gw"},
	/* 20 subaddress digits is the T.33 maximum */
	{"FAX=+1/T33S=12345678901234567890@gw", "+1", "12345678901234567890", "", "gw",
	 "FAX=+1/T33S=12345678901234567890@gw"},
	/* 64-octet local part */
	{"FAX=+12027653000/ISUB=abcdefghijklmnopqrstuvwxyzabcdefghijklmnop@gw",
	 "+12027653000", "", "/ISUB=abcdefghijklmnopqrstuvwxyzabcdefghijklmnop", "gw",
	 "FAX=+12027653000/ISUB=abcdefghijklmnopqrstuvwxyzabcdefghijklmnop@gw"},
	/* 64 octets including the quotes */
	{"\"FAX=+12027653000/ISUB=abcdefghijklmnopqrstuvwxyzabcdefghijklmn\"@gw",
	 "+12027653000", "", "/ISUB=abcdefghijklmnopqrstuvwxyzabcdefghijklmn", "gw",
	 "FAX=+12027653000/ISUB=abcdefghijklmnopqrstuvwxyzabcdefghijklmn@gw"},
	/* <...> as in RCPT TO, surrounding blanks, a source route */
	{"<FAX=+12027653000@gw.example>", "+12027653000", "", "", "gw.example",
	 "FAX=+12027653000@gw.example"},
	{" <FAX=+12027653000@gw.example>\t ", "+12027653000", "", "", "gw.example",
	 "FAX=+12027653000@gw.example"},
	{"FAX=+12027653000@gw.example  ", "+12027653000", "", "", "gw.example",
	 "FAX=+12027653000@gw.example"},
	{"<@relay.example,@r2.example:FAX=+12027653000@gw.example>", "+12027653000", "", "",
	 "gw.example", "FAX=+12027653000@gw.example"},
	/* unknown qualifiers kept verbatim, in order, on either side of T33S */
	{"FAX=+12027653000/ISUB=5@gw", "+12027653000", "", "/ISUB=5", "gw",
	 "FAX=+12027653000/ISUB=5@gw"},
	{"FAX=+12027653000/ISUB=5/T33S=7@gw", "+12027653000", "7", "/ISUB=5", "gw",
	 "FAX=+12027653000/T33S=7/ISUB=5@gw"},
	{"FAX=+12027653000/T33S=7/ISUB=5@gw", "+12027653000", "7", "/ISUB=5", "gw",
	 "FAX=+12027653000/T33S=7/ISUB=5@gw"},
	{"FAX=+1/isub=5/T33S=7/X-Y=a.b/isub=6@gw", "+1", "7", "/isub=5/X-Y=a.b/isub=6", "gw",
	 "FAX=+1/T33S=7/isub=5/X-Y=a.b/isub=6@gw"},
	/* '..' is fine when quoted; quoted-pairs are undone */
	{"\"FAX=+1202..7653000\"@gw", "+12027653000", "", "", "gw", "FAX=+12027653000@gw"},
	{"\"FAX=+1.\"@gw", "+1", "", "", "gw", "FAX=+1@gw"},
	{"\"/FAX=+1\\-2/\"@gw", "+12", "", "", "gw", "FAX=+12@gw"},
	{"<@:\"/FAX\\=+1\\-2\"@gw>", "+12", "", "", "gw", "FAX=+12@gw"},
	/* the domain is lower-cased; IPv6 literals */
	{"FAX=+1@GW.Example.ORG", "+1", "", "", "gw.example.org", "FAX=+1@gw.example.org"},
	{"FAX=+1@[IPv6:2001:DB8::1]", "+1", "", "", "[ipv6:2001:db8::1]",
	 "FAX=+1@[ipv6:2001:db8::1]"},
	{"FAX=+1@[010.0.0.255]", "+1", "", "", "[010.0.0.255]", "FAX=+1@[010.0.0.255]"},
	{"FAX=+1@a-b.c0", "+1", "", "", "a-b.c0", "FAX=+1@a-b.c0"},
	/* separators anywhere, even first */
	{"FAX=+-1-.2@gw", "+12", "", "", "gw", "FAX=+12@gw"},
};

struct bad {
	const char *addr, *reason;
};

/* The invalid addresses of the requirements first, then our own. */
static const struct bad bads[] = {
	{"FAX=441164960348@gw",
	 "the number after FAX= must begin with '+' and the country code"},
	{"FAX=+1 202 7653000@gw",
	 "a space is not allowed in the fax number; use '-' or '.' as separator"},
	{"FAX=+1(202)7653000@gw",
	 "parentheses are not allowed in the fax number; use '-' or '.' as separator"},
	{"FAX=+12027653000/T33S=@gw",
	 "empty T.33 subaddress after /T33S="},
	{"FAX=+12027653000/T33S=12#34@gw",
	 "the T.33 subaddress may contain only digits, not '#'"},
	{"FAX=+12027653000/T33S=1/T33S=2@gw",
	 "more than one /T33S= subaddress; use one address per subaddress"},
	{"FAX=+1202..7653000@gw",
	 "'..' is not allowed in an unquoted local part; quote it or remove a '.'"},
	{"FAX:+12027653000@gw",
	 "'FAX:' is not valid; write 'FAX=' followed by '+' and the number"},
	{"FAX=+--@gw",
	 "the fax number has no digits after '+'"},
	/* lengths */
	{"FAX=+1234567890123456@gw",
	 "the fax number has 16 digits; E.164 allows at most 15"},
	{"FAX=+1/T33S=123456789012345678901@gw",
	 "the T.33 subaddress has 21 digits; the limit is 20"},
	{"FAX=+12027653000/ISUB=abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq@gw",
	 "local part is 65 octets long; the limit is 64"},
	{"\"FAX=+12027653000/ISUB=abcdefghijklmnopqrstuvwxyzabcdefghijklmno\"@gw",
	 "local part is 65 octets long; the limit is 64"},
	/* the envelope around the address */
	{"", "empty address"},
	{"   ", "empty address"},
	{"<>", "the null address <> cannot be a recipient"},
	{"<FAX=+12027653000@gw", "address begins with '<' but does not end with '>'"},
	{"FAX=+12027653000@gw>", "address ends with '>' but does not begin with '<'"},
	{"<@gw>", "empty local part before '@'"},
	{"FAX=+12027653000", "address has no '@' and domain"},
	{"FAX=+12027653000@", "empty domain after '@'"},
	{"@gw", "empty local part before '@'"},
	{"\"FAX=+12027653000@gw", "unterminated quoted string in the address"},
	{"\"FAX=+1\"x@gw", "text after the closing quote of the local part"},
	{"\"\"@gw", "empty quoted local part"},
	/* bytes */
	{"FAX=+1\xc3\xa9@gw", "non-ASCII byte 0xC3 at position 7; fax addresses must be ASCII"},
	{"FAX=+1\r\n@gw", "control character 0x0D at position 7 in the address"},
	{"FAX=+1@gw\x7f", "control character 0x7F at position 10 in the address"},
	{"FAX=\t+1@gw", "control character 0x09 at position 5 in the address"},
	/* Dot-string */
	{".FAX=+1@gw", "unquoted local part begins with '.'; quote it or remove the '.'"},
	{"FAX=+1.@gw", "unquoted local part ends with '.'; quote it or remove the '.'"},
	/* the local part */
	{"john.doe@gw", "local part does not begin with FAX=, so this is not a fax address"},
	{"FAXX=+1@gw", "local part does not begin with FAX=, so this is not a fax address"},
	{"//@gw", "local part does not begin with FAX=, so this is not a fax address"},
	{"FAX=@gw", "the number after FAX= must begin with '+' and the country code"},
	{"FAX=+1%2@gw", "a percent sign is not allowed in the fax number"},
	{"FAX=+1x@gw", "'x' is not allowed in the fax number"},
	{"\"FAX=+1@x\"@gw", "'@' is not allowed in the fax number"},
	{"FAX=+1/FAX=+2@gw", "more than one FAX= number in the local part"},
	{"FAX=+1//ISUB=1@gw", "empty element after '/' in the local part"},
	{"FAX=+1/T33S=1//@gw", "empty element after '/' in the local part"},
	{"FAX=+1/ISUB@gw", "qualifier without '=' after its name"},
	{"FAX=+1/=5@gw", "qualifier with an empty name before '='"},
	{"FAX=+1/I_SUB=5@gw", "'_' is not allowed in a qualifier name"},
	{"FAX=+1/ISUB=@gw", "empty value after '=' in a qualifier"},
	{"\"FAX=+1/ISUB=a,b\"@gw", "',' is not allowed in a qualifier value"},
	{"\"FAX=+1/ISUB=a b\"@gw", "a space is not allowed in a qualifier value"},
	{"\"FAX=+1/ISUB=a.\"@gw", "a qualifier value may have '.' only between other characters"},
	{"\"FAX=+1/ISUB=a..b\"@gw", "a qualifier value may have '.' only between other characters"},
	/* the domain */
	{"FAX=+1@gw..example", "empty label in the domain (a leading, trailing or doubled '.')"},
	{"FAX=+1@gw.example.", "empty label in the domain (a leading, trailing or doubled '.')"},
	{"FAX=+1@-gw.example", "domain label begins or ends with '-'"},
	{"FAX=+1@gw_1.example", "'_' is not allowed in the domain"},
	{"FAX=+1@a@gw", "'@' is not allowed in the fax number"},
	/* both parts wrong: the local part is reported first */
	{"FAX=+1x@gw_1", "'x' is not allowed in the fax number"},
	{"FAX=+1@abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl.example",
	 "domain label is 64 octets long; the limit is 63"},
	{"FAX=+1@[192.0.2.256]", "invalid IPv4 address in the domain literal"},
	{"FAX=+1@[192.0.2]", "invalid IPv4 address in the domain literal"},
	{"FAX=+1@[192.0.2.1000]", "invalid IPv4 address in the domain literal"},
	{"FAX=+1@[129.88888888888888888888888]", "invalid IPv4 address in the domain literal"},
	{"FAX=+1@[192.0.2.1", "address literal in the domain lacks the closing ']'"},
	{"FAX=+1@[]", "empty address literal [] in the domain"},
	{"FAX=+1@[IPv6:2001:db8::g]", "invalid IPv6 address in the domain literal"},
	{"FAX=+1@[x-tag:abc]", "unsupported address literal; use [IPv4] or [IPv6:address]"},
};

int main(void)
{
	faxaddr_t fa, fb;
	char err[256], buf[512], local[80], domain[80];
	size_t i, n;

	diag("valid addresses");
	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = goods + i;

		err[0] = 0;
		if (!is_int(faxaddr_parse(g->addr, &fa, err, sizeof(err)), 0, "parse %s", show(g->addr))) {
			diag("reason: %s", err);
			continue;
		}
		is_str(fa.number, g->number, "  number");
		is_str(fa.subaddr, g->subaddr, "  subaddr");
		is_str(fa.qualifiers, g->qualifiers, "  qualifiers");
		is_str(fa.domain, g->domain, "  domain");
		n = faxaddr_format(&fa, buf, sizeof(buf));
		is_str(buf, g->canon, "  canonical form");
		is_int((long long) n, (long long) strlen(g->canon), "  format returns the length");
		ok(faxaddr_parse(buf, &fb, err, sizeof(err)) == 0 && same_fa(&fa, &fb),
		    "  canonical form parses back to the same address");
	}

	diag("invalid addresses");
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = bads + i;

		/* A failed parse must leave the caller's structure alone. */
		memset(&fa, 'x', sizeof(fa));
		memset(&fb, 'x', sizeof(fb));
		err[0] = 0;
		is_int(faxaddr_parse(b->addr, &fa, err, sizeof(err)), -1, "reject %s", show(b->addr));
		is_str(err, b->reason, "  reason");
		ok(reason_ok(err) && memcmp(&fa, &fb, sizeof(fa)) == 0,
		    "  reason fits an SMTP reply, structure untouched");
	}

	diag("odds and ends");
	is_int(faxaddr_parse(NULL, &fa, err, sizeof(err)), -1, "NULL address");
	is_str(err, "no address given", "  reason");
	is_int(faxaddr_parse("FAX=+1 2@gw", &fa, err, 10), -1, "short error buffer");
	is_str(err, "a space i", "  reason truncated and terminated");
	is_int(faxaddr_parse("FAX=+1 2@gw", &fa, NULL, 0), -1, "no error buffer");

	faxaddr_parse("FAX=+12027653000/T33S=7/ISUB=5@gw.example", &fa, err, sizeof(err));
	n = faxaddr_format(&fa, NULL, 0);
	is_int((long long) n, 41, "format with no buffer returns the needed length");
	memset(buf, '#', sizeof(buf));
	n = faxaddr_format(&fa, buf, 10);
	ok(n == 41 && strcmp(buf, "FAX=+1202") == 0, "format truncates like snprintf");

	diag("faxaddr_split");
	is_int(faxaddr_split("<\"FAX=+1@x\"@GW.Example>", local, sizeof(local), domain,
	    sizeof(domain), err, sizeof(err)), 0, "split quoted local part with '@'");
	is_str(local, "\"FAX=+1@x\"", "  local part as written, quotes kept");
	is_str(domain, "GW.Example", "  domain as written");
	is_int(faxaddr_split("j\xc3\xb6rg@example.org ", local, sizeof(local), domain,
	    sizeof(domain), err, sizeof(err)), 0, "split does not judge characters");
	is_str(domain, "example.org", "  domain, trailing blank dropped");
	is_int(faxaddr_split("a@b@[x@y]", local, sizeof(local), domain,
	    sizeof(domain), err, sizeof(err)), 0, "split ignores '@' in a literal");
	ok(strcmp(local, "a@b") == 0 && strcmp(domain, "[x@y]") == 0, "  at the last '@' before it");
	is_int(faxaddr_split("\"a\\\"@b\"@c", local, sizeof(local), domain,
	    sizeof(domain), err, sizeof(err)), 0, "split with quoted-pair \\\"");
	ok(strcmp(local, "\"a\\\"@b\"") == 0 && strcmp(domain, "c") == 0, "  parts");
	is_int(faxaddr_split("FAX=+12027653000@gw", local, 8, domain, sizeof(domain),
	    err, sizeof(err)), -1, "local buffer too small");
	is_str(err, "local part is longer than 7 octets", "  reason");
	is_int(faxaddr_split("FAX=+1@gw.example", local, sizeof(local), domain, 5,
	    err, sizeof(err)), -1, "domain buffer too small");
	is_str(err, "domain is longer than 4 octets", "  reason");
	is_int(faxaddr_split("nobody", local, sizeof(local), domain, sizeof(domain),
	    err, sizeof(err)), -1, "split without '@'");
	is_str(err, "address has no '@' and domain", "  reason");

	diag("faxaddr_is_fax_local");
	is_int(faxaddr_is_fax_local("FAX=+1"), 1, "FAX=");
	is_int(faxaddr_is_fax_local("fax:+1"), 1, "fax: (broken, but meant as fax)");
	is_int(faxaddr_is_fax_local("/Fax=+1/"), 1, "/Fax=");
	is_int(faxaddr_is_fax_local("\"/FAX=+1/\""), 1, "\"/FAX=");
	is_int(faxaddr_is_fax_local("\"FAX:"), 1, "\"FAX:");
	is_int(faxaddr_is_fax_local("\"\\/F\\AX\\=+1\""), 1, "quoted-pairs undone inside quotes");
	is_int(faxaddr_is_fax_local("\"/FA\"X=+1"), 0, "but not past the closing quote");
	is_int(faxaddr_is_fax_local("\\FAX=+1"), 0, "nor outside quotes");
	is_int(faxaddr_is_fax_local("john.doe"), 0, "john.doe");
	is_int(faxaddr_is_fax_local("faxmaster"), 0, "faxmaster");
	is_int(faxaddr_is_fax_local("FAX"), 0, "FAX alone");
	is_int(faxaddr_is_fax_local("//FAX=+1"), 0, "two slashes");
	is_int(faxaddr_is_fax_local(""), 0, "empty");
	is_int(faxaddr_is_fax_local(NULL), 0, "NULL");

	return done_testing();
}
