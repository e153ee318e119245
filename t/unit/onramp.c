/*
 * Unit tests: the onramp's policy (common/onramp.c): every case of the
 * DTMF grammar and its errors, wildcard patterns, value syntax, password
 * hashes, and onramp_decide on a real store for every reason it gives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onramp.h"
#include "tap.h"

static char dir[] = "/tmp/faxgate-onramp-XXXXXX";
static char dbpath[256];

/* parses - d parses, and formats back to itself */
static void parses(const char *digits, onramp_kind_t kind, const char *addr, const char *user,
    const char *password)
{
	onramp_dtmf_t k;
	char err[128] = "", back[128];
	int rc = onramp_parse_dtmf(digits, &k, err, sizeof(err));

	if (!ok(rc == 0, "'%s' parses", digits)) {
		diag("%s", err);
		return;
	}
	ok(k.kind == kind && strcmp(kind == ONRAMP_DIRECT ? k.number : k.index, addr) == 0 &&
	    strcmp(k.user, user) == 0 && strcmp(k.password, password) == 0 &&
	    (kind == ONRAMP_DIRECT ? !k.index[0] : !k.number[0]),
	    "  as %s %s, user '%s', password '%s'", kind == ONRAMP_DIRECT ? "number" : "index",
	    addr, user, password);
	onramp_format_dtmf(&k, 0, back, sizeof(back));
	is_str(back, digits, "  and formats back");
}

/* refused - d does not parse, with this reason */
static void refused(const char *digits, const char *why, const char *name)
{
	onramp_dtmf_t k;
	char err[128] = "";

	memset(&k, 0x55, sizeof(k));
	ok(onramp_parse_dtmf(digits, &k, err, sizeof(err)) < 0 && strcmp(err, why) == 0 &&
	    k.number[0] == 0 && k.password[0] == 0, "%s: \"%s\"", name, why);
	if (strcmp(err, why) != 0)
		diag("got '%s'", err);
}

static void test_grammar(void)
{
	onramp_dtmf_t k;
	char buf[128], err[128];
	size_t n;

	parses("81355551234#", ONRAMP_DIRECT, "81355551234", "", "");
	parses("8155551234*81467745523*98765#", ONRAMP_DIRECT, "8155551234", "81467745523", "98765");
	parses("*1234#", ONRAMP_INDIRECT, "1234", "", "");
	parses("*36*817476554*12345#", ONRAMP_INDIRECT, "36", "817476554", "12345");
	parses("123456789012345#", ONRAMP_DIRECT, "123456789012345", "", "");
	parses("*1234567890123456#", ONRAMP_INDIRECT, "1234567890123456", "", "");
	parses("1*12345678901234567890*12345678901234567890123456789012#", ONRAMP_DIRECT, "1",
	    "12345678901234567890", "12345678901234567890123456789012");
	parses("1*1*1234#", ONRAMP_DIRECT, "1", "1", "1234");

	refused(NULL, "no digits", "NULL");
	refused("", "no digits", "empty");
	refused("#", "empty number", "only #");
	refused("*#", "empty index", "only *#");
	refused("12345", "no terminating #", "no #");
	refused("*12", "no terminating #", "indirect without #");
	refused("123#4", "characters after the terminating #", "digits after #");
	refused("123##", "characters after the terminating #", "two #");
	refused("12A4#", "'A' at position 3: A to D are not used", "A is a DTMF key but not used");
	refused("12d4#", "'D' at position 3: A to D are not used", "lower-case d");
	refused("12 4#", "character 0x20 at position 3 is not a DTMF digit", "a space");
	refused("+1234#", "character 0x2b at position 1 is not a DTMF digit", "a plus");
	refused("1234\n#", "character 0x0a at position 5 is not a DTMF digit", "a newline");
	refused("\xff#", "character 0xff at position 1 is not a DTMF digit", "an 8-bit byte");
	refused("1234567890123456#", "number longer than 15 digits", "number of 16 digits");
	refused("*12345678901234567#", "index longer than 16 digits", "index of 17 digits");
	refused("1*123456789012345678901*1234#", "user longer than 20 digits", "user of 21 digits");
	refused("1*1*123456789012345678901234567890123#", "password longer than 32 digits",
	    "password of 33 digits");
	refused("1*1*123#", "password shorter than 4 digits", "password of 3 digits (draft 4.2)");
	refused("1**1234#", "empty user", "empty user");
	refused("1*12#", "direct addressing with 2 fields: want NUMBER# or NUMBER*USER*PASSWORD#",
	    "two fields");
	refused("1*2*3*4#", "direct addressing with 4 fields: want NUMBER# or NUMBER*USER*PASSWORD#",
	    "four fields");
	refused("*1*2*3*4*5*6#", "indirect addressing with 4 fields: want *INDEX# or"
	    " *INDEX*USER*PASSWORD#", "many fields, counted up to 4");
	refused("*12*34#", "indirect addressing with 2 fields: want *INDEX# or"
	    " *INDEX*USER*PASSWORD#", "indirect with two fields");
	refused("**1*1234#", "empty index", "empty index with credentials");
	refused("1*1*#", "empty password", "empty password");
	refused("*1*1*#", "empty password", "indirect, empty password");
	memset(buf, '1', 64);
	buf[63] = '#';
	buf[64] = '\0';
	refused(buf, "number longer than 15 digits", "64 characters: within the bound, then the field");
	buf[63] = '1';
	buf[64] = '#';
	buf[65] = '\0';
	refused(buf, "longer than 64 characters", "65 characters");

	ok(onramp_parse_dtmf("8155551234*81467745523*98765#", &k, err, sizeof(err)) == 0,
	    "credentials parse");
	n = onramp_format_dtmf(&k, 1, buf, sizeof(buf));
	is_str(buf, "8155551234*81467745523*xxxx#", "masked: the password never shows");
	is_int((long long)n, (long long)strlen(buf), "format returns its length");
	ok(onramp_parse_dtmf("1*1*1234#", &k, err, sizeof(err)) == 0 &&
	    onramp_format_dtmf(&k, 0, buf, 4) == 9 && strlen(buf) == 3,
	    "format into a short buffer: cut, and the length it needs");
}

static void test_match(void)
{
	static const struct { const char *p, *s; int want; } m[] = {
		{ "+1202*", "+12025550100", 1 }, { "+1202*", "+12035550100", 0 },
		{ "*", "", 1 }, { "*", "anything", 1 }, { "", "", 1 }, { "", "x", 0 },
		{ "?", "", 0 }, { "?", "a", 1 }, { "??", "a", 0 },
		{ "+1202555010?", "+12025550109", 1 }, { "+1202555010?", "+120255501099", 0 },
		{ "*0100", "+12025550100", 1 }, { "*0100", "+12025550101", 0 },
		{ "+1*55*00", "+12025550100", 1 }, { "a*b*c", "abc", 1 }, { "a*b*c", "acb", 0 },
		{ "ACME*", "acme fax 1", 1 }, { "acme*", "ACME FAX", 1 },
		{ "*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
		{ "**", "x", 1 }, { "x**", "x", 1 }, { "*x", "xx", 1 }, { "exact", "exactly", 0 },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		is_int(onramp_match(m[i].p, m[i].s), m[i].want, "'%s' %s '%s'", m[i].p,
		    m[i].want ? "matches" : "does not match", m[i].s);
}

static void test_check(void)
{
	static const struct { onramp_field_t f; const char *v; int good; } c[] = {
		{ ONRAMP_F_DID, "+12025550100", 1 }, { ONRAMP_F_DID, "12025550100", 1 },
		{ ONRAMP_F_DID, "*", 1 }, { ONRAMP_F_DID, "", 0 }, { ONRAMP_F_DID, "+", 0 },
		{ ONRAMP_F_DID, "12a", 0 }, { ONRAMP_F_DID, "+123456789012345678901", 0 },
		{ ONRAMP_F_ADDRESS, "alice@sender.test", 1 },
		{ ONRAMP_F_ADDRESS, "FAX=+12025550100@fax.example.test", 1 },
		{ ONRAMP_F_ADDRESS, "a.b@c", 1 }, { ONRAMP_F_ADDRESS, "alice", 0 },
		{ ONRAMP_F_ADDRESS, "@x.test", 0 }, { ONRAMP_F_ADDRESS, "a@", 0 },
		{ ONRAMP_F_ADDRESS, "a..b@x.test", 0 }, { ONRAMP_F_ADDRESS, ".a@x.test", 0 },
		{ ONRAMP_F_ADDRESS, "a b@x.test", 0 }, { ONRAMP_F_ADDRESS, "-oQ@x.test", 1 },
		{ ONRAMP_F_ADDRESS, "a@-x.test", 0 }, { ONRAMP_F_ADDRESS, "a@x..test", 0 },
		{ ONRAMP_F_ADDRESS, "a@x_y.test", 0 }, { ONRAMP_F_ADDRESS, "a\n@x.test", 0 },
		{ ONRAMP_F_TARGET, "+442079460000", 1 }, { ONRAMP_F_TARGET, "bob@x.test", 1 },
		{ ONRAMP_F_TARGET, "+", 0 }, { ONRAMP_F_TARGET, "+1234567890123456", 0 },
		{ ONRAMP_F_TARGET, "442079460000", 0 },
		{ ONRAMP_F_INDEX, "12", 1 }, { ONRAMP_F_INDEX, "", 0 }, { ONRAMP_F_INDEX, "1*", 0 },
		{ ONRAMP_F_PREFIX, "", 1 }, { ONRAMP_F_PREFIX, "44", 1 }, { ONRAMP_F_PREFIX, "+44", 0 },
		{ ONRAMP_F_DOMAIN, "offramp.test", 1 }, { ONRAMP_F_DOMAIN, "a b", 0 },
		{ ONRAMP_F_USER, "4711", 1 }, { ONRAMP_F_USER, "bob", 0 },
		{ ONRAMP_F_PASSWORD, "1234", 1 }, { ONRAMP_F_PASSWORD, "123", 0 },
		{ ONRAMP_F_PASSWORD, "12ab", 0 },
		{ ONRAMP_F_PATTERN, "+1 202 555*", 1 }, { ONRAMP_F_PATTERN, "", 0 },
		{ ONRAMP_F_PATTERN, "a\tb", 0 },
	};
	char err[160];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int rc = onramp_check(c[i].f, c[i].v, err, sizeof(err));
		ok(c[i].good ? rc == 0 : rc < 0 && err[0], "field %d: '%s' %s%s", (int)c[i].f,
		    strchr(c[i].v, '\n') ? "(newline)" : c[i].v,
		    c[i].good ? "accepted" : "refused: ", c[i].good ? "" : err);
	}
	onramp_check(ONRAMP_F_PASSWORD, "98765x", err, sizeof(err));
	ok(strstr(err, "98765") == NULL, "a refused password is not echoed");
}

static void test_hash(void)
{
	store_secret_t a, b;
	char err[128];

	ok(onramp_hash_password("123456", &a, err, sizeof(err)) == 0, "hash a password");
	ok(a.saltlen == 16 && a.hashlen == 32 && a.iterations == 100000,
	    "16-byte salt, 32-byte hash, 100000 rounds");
	is_int(onramp_verify_password(&a, "123456"), 1, "the right password verifies");
	is_int(onramp_verify_password(&a, "123457"), 0, "a wrong one does not");
	is_int(onramp_verify_password(&a, ""), 0, "nor an empty one");
	ok(onramp_hash_password("123456", &b, err, sizeof(err)) == 0 &&
	    memcmp(a.salt, b.salt, 16) != 0 && memcmp(a.hash, b.hash, 32) != 0,
	    "the same password twice: two salts, two hashes");
	b.iterations = 1000;
	is_int(onramp_verify_password(&b, "123456"), 0, "the rounds count is part of the hash");
	memset(&b, 0, sizeof(b));
	is_int(onramp_verify_password(&b, "123456"), 0, "an empty secret verifies nothing");
}

/* decide - onramp_decide; the decision line, or "ERROR: ..." */
static const char *decide(store_t *st, const char *did, const char *caller, const char *tsi,
    const char *dtmf, long now, onramp_decision_t *d)
{
	static char line[700];
	char err[256];

	if (onramp_decide(st, did, caller, tsi, dtmf, now, d, err, sizeof(err)) < 0)
		snprintf(line, sizeof(line), "ERROR: %s", err);
	else
		snprintf(line, sizeof(line), "%s", d->decision);
	return line;
}

/* setup - the tables the decisions below read */
static int setup(store_t *st)
{
	static const store_did_t dids[] = {
		{ "+12025550100", "alice@sender.test bob@sender.test", "open", 0 },
		{ "+12025550101", "carol@sender.test", "callerid", 0 },
		{ "+12025550102", "dave@sender.test", "open", 1 },
		{ "+12025550103", "erin@sender.test", "credentials", 1 },
		{ "+12025550104", "frank@sender.test", "callerid+credentials", 0 },
		{ "+12025550105", "grace@sender.test Grace@Sender.test alice@sender.test", "open", 0 },
	};
	static const store_index_t idx[] = {
		{ "12", "alice@sender.test +442079460000" },
		{ "13", "+33140000000" },
		{ "14", "not-an-address" },
	};
	static const store_route_t routes[] = {
		{ "44", "uk.offramp.test" }, { "4420", "london.offramp.test" },
		{ "1", "us.offramp.test" },
	};
	static const store_caller_t callers[] = {
		{ "+1703*", "+12025550101", "callerid" }, { "+1555000000?", "*", "callerid" },
		{ "+1703*", "+12025550104", "callerid" },
		{ "ACME*", "+12025550102", "tsi" },
	};
	char err[256];
	int bad = 0;

	for (size_t i = 0; i < sizeof(dids) / sizeof(dids[0]); i++)
		bad |= store_did_add(st, &dids[i], err, sizeof(err)) != 0;
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
		bad |= store_index_add(st, &idx[i], err, sizeof(err)) != 0;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		bad |= store_route_add(st, &routes[i], err, sizeof(err)) != 0;
	for (size_t i = 0; i < sizeof(callers) / sizeof(callers[0]); i++)
		bad |= store_caller_add(st, &callers[i], err, sizeof(err)) != 0;
	bad |= onramp_user_add(st, "4711", "123456", 1700000000, err, sizeof(err)) != 0;
	if (bad)
		diag("setup: %s", err);
	return ok(!bad, "DIDs, an index, routes, callers and a user stored") ? 0 : -1;
}

static void test_decide(store_t *st)
{
	onramp_decision_t d;
	char err[256];
	long now = 1700001000;

	if (setup(st) < 0)
		return;

	/* The DID. */
	is_str(decide(st, "+12025550100", "+15550001", NULL, NULL, now, &d),
	    "allow ok: DID +12025550100, policy open, the DID's addresses: 2 recipients",
	    "an open DID: its addresses");
	is_str(d.targets, "alice@sender.test bob@sender.test", "  both, in order");
	ok(d.allowed && d.code == ONRAMP_OK && d.ntargets == 2 && !d.wants_dtmf, "  allowed, no DTMF");
	is_str(decide(st, "12025550100", "", NULL, NULL, now, &d),
	    "allow ok: DID +12025550100, policy open, the DID's addresses: 2 recipients",
	    "the DID without its + finds the row with it");
	is_str(decide(st, "+19995550100", "+15550001", NULL, NULL, now, &d),
	    "refuse no_such_number: +19995550100 is not a fax number of this gateway",
	    "an unknown DID is refused");
	ok(!d.allowed && d.code == ONRAMP_NO_SUCH_NUMBER && !d.targets[0] && d.ntargets == 0,
	    "  with no targets");
	is_str(decide(st, "", "+15550001", NULL, NULL, now, &d),
	    "refuse no_such_number: no number was dialled (no DID) and there is no catch-all DID *",
	    "no DID at all is refused");
	is_str(decide(st, "+12025550105", "", NULL, NULL, now, &d),
	    "allow ok: DID +12025550105, policy open, the DID's addresses: 2 recipients",
	    "duplicate addresses (any case) are dropped");
	is_str(d.targets, "grace@sender.test alice@sender.test", "  the first spelling kept");

	/* Caller ID. */
	is_str(decide(st, "+12025550101", "+17035550123", NULL, NULL, now, &d),
	    "allow ok: DID +12025550101, policy callerid, the DID's addresses: 1 recipient",
	    "callerid: a caller matching the DID's pattern");
	is_str(decide(st, "+12025550101", "17035550123", NULL, NULL, now, &d),
	    "allow ok: DID +12025550101, policy callerid, the DID's addresses: 1 recipient",
	    "  also without its +");
	is_str(decide(st, "+12025550101", "+15550000007", NULL, NULL, now, &d),
	    "allow ok: DID +12025550101, policy callerid, the DID's addresses: 1 recipient",
	    "  a caller matching a pattern for every DID (*)");
	is_str(decide(st, "+12025550101", "+12125550123", NULL, NULL, now, &d),
	    "refuse caller_not_allowed: caller +12125550123 is not allowed on DID +12025550101",
	    "  another caller is refused");
	is_str(decide(st, "+12025550101", "", NULL, NULL, now, &d),
	    "refuse caller_not_allowed: DID +12025550101 accepts known callers only and the call"
	    " has no caller ID", "  no caller ID is refused");
	is_str(decide(st, "+12025550101", "+155500000071", NULL, NULL, now, &d),
	    "refuse caller_not_allowed: caller +155500000071 is not allowed on DID +12025550101",
	    "  '?' is one character, not two");

	/* Early: before answering. */
	ok(onramp_decide_early(st, "+12025550101", "+12125550123", &d, err, sizeof(err)) == 0 &&
	    !d.allowed && d.code == ONRAMP_CALLER_DENIED, "early: a caller refused before answering");
	ok(onramp_decide_early(st, "+19995550100", "+1", &d, err, sizeof(err)) == 0 && !d.allowed &&
	    d.code == ONRAMP_NO_SUCH_NUMBER, "early: an unknown DID");
	ok(onramp_decide_early(st, "+12025550103", "", &d, err, sizeof(err)) == 0 && d.allowed &&
	    d.wants_dtmf, "early: a credentials DID is answered and wants digits");
	is_int(onramp_wants_dtmf(st, "+12025550102", err, sizeof(err)), 1, "wants DTMF: dtmf = 1");
	is_int(onramp_wants_dtmf(st, "+12025550104", err, sizeof(err)), 1,
	    "wants DTMF: credentials need digits");
	is_int(onramp_wants_dtmf(st, "+12025550100", err, sizeof(err)), 0, "wants DTMF: no");
	is_int(onramp_wants_dtmf(st, "+19995550100", err, sizeof(err)), 0, "wants DTMF: not ours");

	/* TSI. */
	is_str(decide(st, "+12025550102", "", "  ACME Fax 1  ", NULL, now, &d),
	    "allow ok: DID +12025550102, policy open, the DID's addresses: 1 recipient",
	    "TSI allowed by pattern (blanks around it ignored, any case)");
	is_str(decide(st, "+12025550102", "", "EVIL CORP", NULL, now, &d),
	    "refuse tsi_not_allowed: station ID \"EVIL CORP\" is not allowed on DID +12025550102",
	    "  another TSI is refused");
	is_str(decide(st, "+12025550102", "", NULL, NULL, now, &d),
	    "allow ok: DID +12025550102, policy open, the DID's addresses: 1 recipient",
	    "  no TSI yet (NULL): not checked");
	is_str(decide(st, "+12025550100", "", "EVIL CORP", NULL, now, &d),
	    "allow ok: DID +12025550100, policy open, the DID's addresses: 2 recipients",
	    "  a DID without TSI rows takes any TSI");

	/* DTMF addressing. */
	is_str(decide(st, "+12025550102", "", NULL, "442079460000#", now, &d),
	    "allow ok: DID +12025550102, policy open, direct number +442079460000: 1 recipient",
	    "direct number");
	is_str(d.targets, "FAX=+442079460000@london.offramp.test", "  the longest prefix wins (4420)");
	decide(st, "+12025550102", "", NULL, "441164960348#", now, &d);
	is_str(d.targets, "FAX=+441164960348@uk.offramp.test", "  a shorter prefix (44)");
	is_str(decide(st, "+12025550102", "", NULL, "33140000000#", now, &d),
	    "refuse no_route: no offramp route for +33140000000", "  no route: refused");
	is_str(decide(st, "+12025550102", "", NULL, "*12#", now, &d),
	    "allow ok: DID +12025550102, policy open, index 12: 2 recipients", "indirect: index 12");
	is_str(d.targets, "alice@sender.test FAX=+442079460000@london.offramp.test",
	    "  an address, and a number through its route");
	is_str(decide(st, "+12025550102", "", NULL, "*13#", now, &d),
	    "refuse no_route: no offramp route for +33140000000", "  an index number without route");
	is_str(decide(st, "+12025550102", "", NULL, "*99#", now, &d),
	    "refuse no_such_index: index 99 keyed on DID +12025550102 is not known",
	    "  an unknown index");
	is_str(decide(st, "+12025550102", "", NULL, "*14#", now, &d),
	    "refuse no_targets: recipient 'not-an-address' is not a mail address (local@domain)",
	    "  an index with a broken target");
	is_str(decide(st, "+12025550102", "", NULL, "12#3", now, &d),
	    "refuse bad_dtmf: digits keyed on DID +12025550102: characters after the terminating #",
	    "malformed digits");
	is_str(decide(st, "+12025550102", "", NULL, "", now, &d),
	    "allow ok: DID +12025550102, policy open, the DID's addresses: 1 recipient",
	    "no digits collected: the DID's addresses");
	is_str(decide(st, "+12025550100", "", NULL, "12#3", now, &d),
	    "allow ok: DID +12025550100, policy open, the DID's addresses: 2 recipients",
	    "digits on a DID without DTMF are ignored");
	{
		store_route_t r = { "", "default.offramp.test" };
		store_route_add(st, &r, err, sizeof(err));
		decide(st, "+12025550102", "", NULL, "33140000000#", now, &d);
		is_str(d.targets, "FAX=+33140000000@default.offramp.test", "  the default route ('')");
	}

	/* Credentials. */
	is_str(decide(st, "+12025550103", "+15550001", NULL, "*12*4711*123456#", now, &d),
	    "allow ok: DID +12025550103, policy credentials, index 12, user 4711: 2 recipients",
	    "credentials: right password");
	is_str(decide(st, "+12025550103", "+15550001", NULL, NULL, now, &d),
	    "refuse credentials_missing: DID +12025550103 needs a user and password: key"
	    " NUMBER*USER*PASSWORD# or *INDEX*USER*PASSWORD#", "  none keyed");
	is_str(decide(st, "+12025550103", "+15550001", NULL, "*12#", now, &d),
	    "refuse credentials_missing: DID +12025550103 needs a user and password: key"
	    " NUMBER*USER*PASSWORD# or *INDEX*USER*PASSWORD#", "  an index without them");
	is_str(decide(st, "+12025550103", "+15550001", NULL, "*12*4711*654321#", now, &d),
	    "refuse credentials_bad: user 4711: unknown user or wrong password", "  wrong password");
	is_str(decide(st, "+12025550103", "+15550001", NULL, "*12*4712*123456#", now, &d),
	    "refuse credentials_bad: user 4712: unknown user or wrong password",
	    "  unknown user: the same words");
	ok(strstr(d.decision, "123456") == NULL && strstr(d.reason, "654321") == NULL,
	    "  no password in the decision");
	{
		long n = -1;
		store_auth_failure_count(st, "+15550001", now - 600, &n, err, sizeof(err));
		is_int(n, 2, "  two failures recorded for the caller");
	}
	for (int i = 0; i < 3; i++)
		decide(st, "+12025550103", "+15550001", NULL, "*12*4711*000000#", now + i, &d);
	is_str(decide(st, "+12025550103", "+15550001", NULL, "*12*4711*123456#", now + 5, &d),
	    "refuse too_many_failures: 5 failed logins from caller +15550001 in the last 10 minutes",
	    "rate limit: after 5 failures even the right password is refused");
	is_str(decide(st, "+12025550103", "+15550002", NULL, "*12*4711*123456#", now + 5, &d),
	    "allow ok: DID +12025550103, policy credentials, index 12, user 4711: 2 recipients",
	    "  another caller is not affected");
	is_str(decide(st, "+12025550103", "+15550001", NULL, "*12*4711*123456#", now + 601, &d),
	    "allow ok: DID +12025550103, policy credentials, index 12, user 4711: 2 recipients",
	    "  ten minutes later the caller may try again");
	is_str(decide(st, "+12025550104", "+17035550123", NULL, "0*4711*123456#", now, &d),
	    "allow ok: DID +12025550104, policy callerid+credentials, the DID's addresses, user"
	    " 4711: 1 recipient", "callerid+credentials: both good; the address part is ignored"
	    " without DTMF addressing");
	is_str(decide(st, "+12025550104", "+12125550123", NULL, "0*4711*123456#", now, &d),
	    "refuse caller_not_allowed: caller +12125550123 is not allowed on DID +12025550104",
	    "  the caller ID is checked first");
	is_str(decide(st, "+12025550104", "+17035550123", NULL, "0*4711*1234567#", now, &d),
	    "refuse credentials_bad: user 4711: unknown user or wrong password",
	    "  and then the password");

	/* The catch-all DID. */
	{
		store_did_t any = { "*", "postmaster@sender.test", "open", 0 };
		store_did_add(st, &any, err, sizeof(err));
	}
	is_str(decide(st, "+19995550100", "", NULL, NULL, now, &d),
	    "allow ok: DID *, policy open, the DID's addresses: 1 recipient",
	    "with a row '*', an unknown DID goes to its addresses");
	is_str(decide(st, "", "", NULL, NULL, now, &d),
	    "allow ok: DID *, policy open, the DID's addresses: 1 recipient", "  so does no DID");

	/* Stored decisions. */
	is_int(onramp_decision_allowed("allow ok: x"), 1, "decision_allowed: allow");
	is_int(onramp_decision_allowed("refuse no_route: x"), 0, "decision_allowed: refuse");
	is_int(onramp_decision_allowed("maybe"), -1, "decision_allowed: neither");
	is_int(onramp_decision_allowed(NULL), -1, "decision_allowed: NULL");
}

int main(void)
{
	store_t *st;
	char err[512];

	test_grammar();
	test_match();
	test_check();
	test_hash();
	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/faxgate.db", dir);
	if ((st = store_open(dbpath, err, sizeof(err))) == NULL) {
		diag("%s", err);
		return 1;
	}
	test_decide(st);
	store_close(st);
	unlink(dbpath);
	{
		char p[300];
		snprintf(p, sizeof(p), "%s-wal", dbpath);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", dbpath);
		unlink(p);
	}
	rmdir(dir);
	return done_testing();
}
