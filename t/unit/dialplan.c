/*
 * dialplan.c - unit tests for common/dialplan.c (prefix lists, rewrites).
 */
#include "t/tap.h"
#include "dialplan.h"

#include <string.h>

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

/* check - run dialplan_check and compare action and reason, returns 0/1 */
static int check(const dialplan_t *dp, const char *number, int want,
    const char *want_why)
{
	char why[256] = "";
	int got = dialplan_check(dp, number, why, sizeof(why));

	is_int(got, want, "check %s is %s", number ? number : "(null)",
	    want == DIALPLAN_ALLOW ? "allowed" : "denied");
	return is_str(why, want_why, "  reason");
}

/* rewrite - run dialplan_rewrite with a roomy buffer, compare, returns 0/1 */
static int rewrite(const dialplan_t *dp, const char *number, const char *want)
{
	char out[64];
	int n = dialplan_rewrite(dp, number, out, sizeof(out));

	return ok(n == (int) strlen(want) && strcmp(out, want) == 0,
	    "rewrite %s -> '%s'", number, want) || (diag("got %d '%s'", n, out), 0);
}

/* add - dialplan_add_list expecting success, returns 0/1 */
static int add(dialplan_t *dp, int action, const char *list)
{
	char err[256] = "";
	int r = dialplan_add_list(dp, action, list, err, sizeof(err));

	return is_int(r, 0, "%s '%s'", action == DIALPLAN_ALLOW ? "allow" : "deny", show(list))
	    || (diag("error: %s", err), 0);
}

/* add_bad - dialplan_add_list expecting an error, returns 0/1 */
static int add_bad(dialplan_t *dp, int action, const char *list, const char *want)
{
	char err[256] = "";

	is_int(dialplan_add_list(dp, action, list, err, sizeof(err)), -1,
	    "bad list '%s'", show(list));
	return is_str(err, want, "  reason");
}

/* rw_bad - dialplan_add_rewrites expecting an error, returns 0/1 */
static int rw_bad(dialplan_t *dp, const char *list, const char *want)
{
	char err[256] = "";

	is_int(dialplan_add_rewrites(dp, list, err, sizeof(err)), -1,
	    "bad rewrites '%s'", show(list));
	return is_str(err, want, "  reason");
}

int main(void)
{
	dialplan_t *dp;
	char err[256], out[64];

	diag("defaults");
	dp = dialplan_new();
	ok(dp != NULL, "dialplan_new");
	check(dp, "+15551234", DIALPLAN_DENY, "+15551234 matches no allowed prefix");
	dialplan_set_default(dp, DIALPLAN_ALLOW);
	check(dp, "+15551234", DIALPLAN_ALLOW, "+15551234 matches no denied prefix");
	dialplan_set_default(dp, 42);
	check(dp, "+15551234", DIALPLAN_DENY, "+15551234 matches no allowed prefix");
	add(dp, DIALPLAN_ALLOW, "");
	add(dp, DIALPLAN_ALLOW, " ,\t, \n");
	is_int(dialplan_add_list(dp, DIALPLAN_ALLOW, NULL, err, sizeof(err)), 0, "NULL list");
	check(dp, "+15551234", DIALPLAN_DENY, "+15551234 matches no allowed prefix");
	dialplan_free(dp);
	dialplan_free(NULL);
	ok(1, "dialplan_free(NULL)");

	diag("longest prefix wins, both ways");
	dp = dialplan_new();
	add(dp, DIALPLAN_ALLOW, "+1");
	add(dp, DIALPLAN_DENY, "+1900");
	add(dp, DIALPLAN_ALLOW, "+1900555");
	add(dp, DIALPLAN_DENY, "+1900555-99");
	check(dp, "+12025551234", DIALPLAN_ALLOW, "+12025551234 matches allowed prefix +1");
	check(dp, "+19005551234", DIALPLAN_ALLOW, "+19005551234 matches allowed prefix +1900555");
	check(dp, "+19004441234", DIALPLAN_DENY, "+19004441234 matches denied prefix +1900");
	check(dp, "+19005559912", DIALPLAN_DENY, "+19005559912 matches denied prefix +190055599");
	check(dp, "+442071234567", DIALPLAN_DENY, "+442071234567 matches no allowed prefix");
	check(dp, "+1900", DIALPLAN_DENY, "+1900 matches denied prefix +1900");
	check(dp, "+190", DIALPLAN_ALLOW, "+190 matches allowed prefix +1");
	/* order of addition does not matter */
	dialplan_free(dp);
	dp = dialplan_new();
	add(dp, DIALPLAN_ALLOW, "+1900555");
	add(dp, DIALPLAN_DENY, "+1900");
	add(dp, DIALPLAN_ALLOW, "+1");
	check(dp, "+19005551234", DIALPLAN_ALLOW, "+19005551234 matches allowed prefix +1900555");
	check(dp, "+19004441234", DIALPLAN_DENY, "+19004441234 matches denied prefix +1900");
	check(dp, "+12025551234", DIALPLAN_ALLOW, "+12025551234 matches allowed prefix +1");
	dialplan_free(dp);

	diag("lists, separators, '+' alone, default allow");
	dp = dialplan_new();
	dialplan_set_default(dp, DIALPLAN_ALLOW);
	add(dp, DIALPLAN_DENY, "+1-900, +1.976\t+88\n+4420,+4470 , ,");
	check(dp, "+19005551234", DIALPLAN_DENY, "+19005551234 matches denied prefix +1900");
	check(dp, "+19765551234", DIALPLAN_DENY, "+19765551234 matches denied prefix +1976");
	check(dp, "+881612345678", DIALPLAN_DENY, "+881612345678 matches denied prefix +88");
	check(dp, "+447012345678", DIALPLAN_DENY, "+447012345678 matches denied prefix +4470");
	check(dp, "+442071234567", DIALPLAN_DENY, "+442071234567 matches denied prefix +4420");
	check(dp, "+441164960348", DIALPLAN_ALLOW, "+441164960348 matches no denied prefix");
	dialplan_free(dp);

	dp = dialplan_new();
	add(dp, DIALPLAN_ALLOW, "+");
	add(dp, DIALPLAN_DENY, "+8");
	check(dp, "+33188335215", DIALPLAN_ALLOW, "+33188335215 matches allowed prefix +");
	check(dp, "+81312345678", DIALPLAN_DENY, "+81312345678 matches denied prefix +8");
	add(dp, DIALPLAN_ALLOW, "+123456789012345");
	check(dp, "+123456789012345", DIALPLAN_ALLOW,
	    "+123456789012345 matches allowed prefix +123456789012345");
	dialplan_free(dp);

	diag("ties: allow and deny for the same prefix deny");
	dp = dialplan_new();
	dialplan_set_default(dp, DIALPLAN_ALLOW);
	add(dp, DIALPLAN_ALLOW, "+44");
	add(dp, DIALPLAN_DENY, "+4-4");
	add(dp, DIALPLAN_ALLOW, "+4");
	add(dp, DIALPLAN_ALLOW, "+441164");
	check(dp, "+442071234567", DIALPLAN_DENY,
	    "+442071234567 matches prefix +44, which is both allowed and denied");
	check(dp, "+441164960348", DIALPLAN_ALLOW, "+441164960348 matches allowed prefix +441164");
	check(dp, "+4930123456", DIALPLAN_ALLOW, "+4930123456 matches allowed prefix +4");
	dialplan_free(dp);

	diag("numbers that are not canonical are denied");
	dp = dialplan_new();
	dialplan_set_default(dp, DIALPLAN_ALLOW);
	add(dp, DIALPLAN_ALLOW, "+");
	check(dp, "12025551234", DIALPLAN_DENY, "the number is not '+' followed by 1 to 15 digits");
	check(dp, "+", DIALPLAN_DENY, "the number is not '+' followed by 1 to 15 digits");
	check(dp, "+1-202", DIALPLAN_DENY, "the number is not '+' followed by 1 to 15 digits");
	check(dp, "+1234567890123456", DIALPLAN_DENY,
	    "the number is not '+' followed by 1 to 15 digits");
	check(dp, NULL, DIALPLAN_DENY, "the number is not '+' followed by 1 to 15 digits");
	is_int(dialplan_check(dp, "+1", NULL, 0), DIALPLAN_ALLOW, "check without a reason buffer");
	is_int(dialplan_check(NULL, "+1", err, sizeof(err)), DIALPLAN_DENY, "check without a plan");
	dialplan_free(dp);

	diag("bad entries");
	dp = dialplan_new();
	add_bad(dp, DIALPLAN_ALLOW, "+1x", "dial plan entry '+1x' is not a '+' followed by digits");
	add_bad(dp, DIALPLAN_ALLOW, "+1, 1900",
	    "dial plan entry '1900' is not a '+' followed by digits");
	add_bad(dp, DIALPLAN_DENY, "+1(900)",
	    "dial plan entry '+1(900)' is not a '+' followed by digits");
	add_bad(dp, DIALPLAN_DENY, "+44;+33",
	    "dial plan entry '+44;+33' is not a '+' followed by digits");
	add_bad(dp, DIALPLAN_ALLOW, "+1 ++1", "dial plan entry '++1' is not a '+' followed by digits");
	add_bad(dp, DIALPLAN_ALLOW, "+1234567890123456",
	    "dial plan entry '+1234567890123456' has more than 15 digits");
	add_bad(dp, DIALPLAN_ALLOW, "+1234567890123456789012345678901234567890x",
	    "dial plan entry '+123456789012345678901234567890123456789...' is not a '+' followed by digits");
	add_bad(dp, 3, "+1", "invalid dial plan action 3");
	/* a failed list adds nothing, not even its good entries */
	add_bad(dp, DIALPLAN_ALLOW, "+7 +7x", "dial plan entry '+7x' is not a '+' followed by digits");
	check(dp, "+74951234567", DIALPLAN_DENY, "+74951234567 matches no allowed prefix");
	add(dp, DIALPLAN_ALLOW, "+7");
	check(dp, "+74951234567", DIALPLAN_ALLOW, "+74951234567 matches allowed prefix +7");
	dialplan_free(dp);

	diag("rewrites");
	dp = dialplan_new();
	rewrite(dp, "+442071234567", "442071234567");
	is_int(dialplan_add_rewrites(dp, "+1=1, +=011", err, sizeof(err)), 0, "rewrites '+1=1, +=011'");
	rewrite(dp, "+12025551234", "12025551234");
	rewrite(dp, "+442071234567", "011442071234567");
	is_int(dialplan_add_rewrites(dp, "+44=0 +49= +1-900=9,1#\t+81=*31#,", err, sizeof(err)), 0,
	    "rewrites with empty TO, separators, '*', '#', ','");
	rewrite(dp, "+442071234567", "02071234567");
	rewrite(dp, "+4930123456", "30123456");
	rewrite(dp, "+19005551234", "9,1#5551234");
	rewrite(dp, "+81312345678", "*31#312345678");
	rewrite(dp, "+12025551234", "12025551234");
	rewrite(dp, "+33188335215", "01133188335215");
	rewrite(dp, "+49", "");
	dialplan_free(dp);

	dp = dialplan_new();
	is_int(dialplan_add_rewrites(dp, "+1=9,,1,,+44=0,", err, sizeof(err)), 0,
	    "a comma before '+' separates, others belong to TO");
	rewrite(dp, "+12025551234", "9,,12025551234");
	rewrite(dp, "+442071234567", "02071234567");
	is_int(dialplan_add_rewrites(dp, "", err, sizeof(err)), 0, "empty rewrite list");
	is_int(dialplan_add_rewrites(dp, NULL, err, sizeof(err)), 0, "NULL rewrite list");

	diag("bad rewrites");
	rw_bad(dp, "+33", "rewrite entry '+33' has no '=' between FROM and TO");
	rw_bad(dp, "33=0", "rewrite entry '33=0': FROM is not a '+' followed by digits");
	rw_bad(dp, "=0", "rewrite entry '=0': FROM is not a '+' followed by digits");
	rw_bad(dp, "+3x=0", "rewrite entry '+3x=0': FROM is not a '+' followed by digits");
	rw_bad(dp, "+1234567890123456=0",
	    "rewrite entry '+1234567890123456=0': FROM has more than 15 digits");
	rw_bad(dp, "+33=0a", "rewrite entry '+33=0a': TO may contain only digits, '*', '#' and ','");
	rw_bad(dp, "+33=+33", "rewrite entry '+33=+33': TO may contain only digits, '*', '#' and ','");
	rw_bad(dp, "+33=0=1", "rewrite entry '+33=0=1': TO may contain only digits, '*', '#' and ','");
	rw_bad(dp, "+33=0, 1", "rewrite entry '1' has no '=' between FROM and TO");
	rw_bad(dp, "+33=0 +3-3=00", "rewrite entry '+3-3=00': there is already a rewrite for +33");
	rw_bad(dp, "+39=0 +1.=1", "rewrite entry '+1.=1': there is already a rewrite for +1");
	/* failed lists changed nothing */
	rewrite(dp, "+33188335215", "33188335215");
	rewrite(dp, "+390612345678", "390612345678");

	diag("rewrite output buffer");
	ok(dialplan_rewrite(dp, "+442071234567", out, 12) == 11 && strcmp(out, "02071234567") == 0,
	    "exact fit");
	memset(out, 'x', sizeof(out));
	ok(dialplan_rewrite(dp, "+442071234567", out, 11) == -1 && out[0] == 0,
	    "one short: -1 and an empty string, never a truncated number");
	is_int(dialplan_rewrite(dp, "+442071234567", out, 0), -1, "no room at all");
	memset(out, 'x', sizeof(out));
	ok(dialplan_rewrite(dp, "442071234567", out, sizeof(out)) == -1 && out[0] == 0,
	    "not canonical: -1");
	is_int(dialplan_rewrite(dp, "+44-20", out, sizeof(out)), -1, "separators are not canonical");
	dialplan_free(dp);

	return done_testing();
}
