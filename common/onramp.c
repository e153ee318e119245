/* onramp.c - the onramp's policy: DTMF grammar, authorisation, addressing; see onramp.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "onramp.h"

static const char *const code_names[] = {
	[ONRAMP_OK] = "ok",
	[ONRAMP_NO_SUCH_NUMBER] = "no_such_number",
	[ONRAMP_CALLER_DENIED] = "caller_not_allowed",
	[ONRAMP_TSI_DENIED] = "tsi_not_allowed",
	[ONRAMP_BAD_DTMF] = "bad_dtmf",
	[ONRAMP_NO_CREDENTIALS] = "credentials_missing",
	[ONRAMP_BAD_CREDENTIALS] = "credentials_bad",
	[ONRAMP_RATE_LIMITED] = "too_many_failures",
	[ONRAMP_NO_SUCH_INDEX] = "no_such_index",
	[ONRAMP_NO_ROUTE] = "no_route",
	[ONRAMP_NO_TARGETS] = "no_targets",
};

/* seterr - printf into err, returns -1 */
__attribute__((format(printf, 3, 4)))
static int seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* all_digits - s is n > 0 decimal digits */
static int all_digits(const char *s, size_t n)
{
	return n > 0 && strspn(s, "0123456789") == n;
}

/* The DTMF grammar (draft 4.2). */

/* field - copy the digits of one field, checking its length; 0 or -1 */
static int field(const char *s, size_t n, char *out, size_t min, size_t max,
    const char *name, char *err, size_t errlen)
{
	if (n == 0)
		return seterr(err, errlen, "empty %s", name);
	if (n > max)
		return seterr(err, errlen, "%s longer than %zu digits", name, max);
	if (n < min)
		return seterr(err, errlen, "%s shorter than %zu digits", name, min);
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* onramp_parse_dtmf - digits as keyed into *out; 0 or -1 */
int onramp_parse_dtmf(const char *digits, onramp_dtmf_t *out, char *err, size_t errlen)
{
	const char *f[4], *body, *hash;
	size_t len[4], n = 0, total;
	int indirect;

	memset(out, 0, sizeof(*out));
	if (!digits || !*digits)
		return seterr(err, errlen, "no digits");
	total = strnlen(digits, ONRAMP_DTMF_MAX + 1);
	if (total > ONRAMP_DTMF_MAX)
		return seterr(err, errlen, "longer than %d characters", ONRAMP_DTMF_MAX);
	for (size_t i = 0; i < total; i++) {
		unsigned char c = (unsigned char)digits[i];
		if (strchr("0123456789*#", c))
			continue;
		if (strchr("ABCDabcd", c))
			return seterr(err, errlen, "'%c' at position %zu: A to D are not used",
			    toupper(c), i + 1);
		return seterr(err, errlen, "character 0x%02x at position %zu is not a DTMF digit",
		    c, i + 1);
	}
	if ((hash = strchr(digits, '#')) == NULL)
		return seterr(err, errlen, "no terminating #");
	if ((size_t)(hash - digits) != total - 1)
		return seterr(err, errlen, "characters after the terminating #");
	/* A leading '*' marks indirect addressing; the others separate. */
	indirect = digits[0] == '*';
	body = digits + indirect;
	for (const char *p = body;; p++) {
		if (*p == '*' || *p == '#') {
			if (n == 4)
				break;
			f[n] = body;
			len[n++] = (size_t)(p - body);
			body = p + 1;
		}
		if (*p == '#')
			break;
	}
	if (n != 1 && n != 3)
		return seterr(err, errlen, "%s with %zu fields: want %s or %s",
		    indirect ? "indirect addressing" : "direct addressing", n > 3 ? (size_t)4 : n,
		    indirect ? "*INDEX#" : "NUMBER#",
		    indirect ? "*INDEX*USER*PASSWORD#" : "NUMBER*USER*PASSWORD#");
	out->kind = indirect ? ONRAMP_INDIRECT : ONRAMP_DIRECT;
	if ((indirect ? field(f[0], len[0], out->index, 1, ONRAMP_INDEX_MAX, "index", err, errlen) :
	    field(f[0], len[0], out->number, 1, ONRAMP_NUMBER_MAX, "number", err, errlen)) < 0 ||
	    (n == 3 && (field(f[1], len[1], out->user, 1, ONRAMP_USER_MAX, "user", err, errlen) < 0 ||
	    field(f[2], len[2], out->password, ONRAMP_PASSWORD_MIN, ONRAMP_PASSWORD_MAX,
		"password", err, errlen) < 0))) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

/* onramp_format_dtmf - d in the keyed grammar; the length it needs */
size_t onramp_format_dtmf(const onramp_dtmf_t *d, int mask, char *buf, size_t len)
{
	int n;

	if (d->user[0])
		n = snprintf(buf, len, "%s%s*%s*%s#", d->kind == ONRAMP_INDIRECT ? "*" : "",
		    d->kind == ONRAMP_INDIRECT ? d->index : d->number, d->user,
		    mask ? "xxxx" : d->password);
	else
		n = snprintf(buf, len, "%s%s#", d->kind == ONRAMP_INDIRECT ? "*" : "",
		    d->kind == ONRAMP_INDIRECT ? d->index : d->number);
	return n < 0 ? 0 : (size_t)n;
}

/* Syntax of the values operators give. */

/* host_ok - a host name: labels of letters, digits and inner '-'; 0/1 */
static int host_ok(const char *s)
{
	size_t label = 0, n = strlen(s);

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) || (s[i] == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return label > 0 && s[n - 1] != '-';
}

/* address_ok - dot-atom@host in ASCII, at most 254 characters; 0/1 */
static int address_ok(const char *s)
{
	const char *at = strrchr(s, '@');
	size_t local;

	if (!at || strlen(s) > 254 || (local = (size_t)(at - s)) == 0 || local > 64)
		return 0;
	for (size_t i = 0; i < local; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (i == 0 || i + 1 == local || s[i - 1] == '.')
				return 0;
		} else if (!isalnum(c) && !strchr("!#$%&'*+-/=?^_`{|}~", c))
			return 0;
	}
	return host_ok(at + 1);
}

/* shown - v cut at 60 characters, '?' for what is not printable ASCII,
 * for an error text */
static const char *shown(const char *v, char *buf, size_t len)
{
	size_t i;

	for (i = 0; v[i] && i + 1 < len && i < 60; i++)
		buf[i] = (unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e ? '?' : v[i];
	buf[i] = '\0';
	return buf;
}

/* onramp_check - the syntax of one value of a field; 0 or -1 */
int onramp_check(onramp_field_t field, const char *v, char *err, size_t errlen)
{
	size_t n = v ? strlen(v) : 0;
	char b[64];

	if (!v)
		return seterr(err, errlen, "no value");
	switch (field) {
	case ONRAMP_F_DID: {
		size_t plus = v[0] == '+';
		if (strcmp(v, "*") == 0 || (n - plus <= 20 && all_digits(v + plus, n - plus)))
			return 0;
		return seterr(err, errlen, "DID '%s' is not 1 to 20 digits (a leading + allowed)"
		    " or *", shown(v, b, sizeof(b)));
	}
	case ONRAMP_F_ADDRESS:
		if (address_ok(v))
			return 0;
		return seterr(err, errlen, "'%s' is not a mail address (local@domain)",
		    shown(v, b, sizeof(b)));
	case ONRAMP_F_TARGET:
		if (v[0] == '+' && n >= 2 && n <= ONRAMP_NUMBER_MAX + 1 && all_digits(v + 1, n - 1))
			return 0;
		if (address_ok(v))
			return 0;
		return seterr(err, errlen, "'%s' is neither a mail address nor a +E.164 number"
		    " (+ and 1 to %d digits)", shown(v, b, sizeof(b)), ONRAMP_NUMBER_MAX);
	case ONRAMP_F_INDEX:
		if (n <= ONRAMP_INDEX_MAX && all_digits(v, n))
			return 0;
		return seterr(err, errlen, "index '%s' is not 1 to %d digits", shown(v, b, sizeof(b)),
		    ONRAMP_INDEX_MAX);
	case ONRAMP_F_PREFIX:
		if (n == 0 || (n <= ONRAMP_NUMBER_MAX && all_digits(v, n)))
			return 0;
		return seterr(err, errlen, "prefix '%s' is not 0 to %d digits",
		    shown(v, b, sizeof(b)), ONRAMP_NUMBER_MAX);
	case ONRAMP_F_DOMAIN:
		if (host_ok(v))
			return 0;
		return seterr(err, errlen, "'%s' is not a domain name", shown(v, b, sizeof(b)));
	case ONRAMP_F_USER:
		if (n <= ONRAMP_USER_MAX && all_digits(v, n))
			return 0;
		return seterr(err, errlen, "user '%s' is not 1 to %d digits (it is keyed on a"
		    " telephone)", shown(v, b, sizeof(b)), ONRAMP_USER_MAX);
	case ONRAMP_F_PASSWORD:
		/* Never echo a password. */
		if (n >= ONRAMP_PASSWORD_MIN && n <= ONRAMP_PASSWORD_MAX && all_digits(v, n))
			return 0;
		return seterr(err, errlen, "a password is %d to %d digits (it is keyed on a"
		    " telephone)", ONRAMP_PASSWORD_MIN, ONRAMP_PASSWORD_MAX);
	case ONRAMP_F_PATTERN:
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
				return seterr(err, errlen, "pattern: character 0x%02x is not printable",
				    (unsigned char)v[i]);
		if (n >= 1 && n < STORE_PATTERN_MAX)
			return 0;
		return seterr(err, errlen, "a pattern is 1 to %d characters", STORE_PATTERN_MAX - 1);
	}
	return seterr(err, errlen, "unknown field");
}

/* onramp_match - s against a pattern with '*' and '?'; 0/1 */
int onramp_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	/* Greedy with one backtrack point: the last '*' seen takes one more
	 * character each time the rest fails. No recursion, O(|p| * |s|). */
	while (*s) {
		if (*p == '*') {
			star = ++p;
			resume = s;
		} else if (*p && (*p == '?' || tolower((unsigned char)*p) ==
		    tolower((unsigned char)*s))) {
			p++;
			s++;
		} else if (star) {
			p = star;
			s = ++resume;
		} else
			return 0;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* Passwords. */

/* pbkdf2 - the hash of password with salt and rounds into out; 0 or -1 */
static int pbkdf2(const char *password, const unsigned char *salt, size_t saltlen,
    unsigned iterations, unsigned char *out, size_t outlen)
{
	return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)saltlen,
	    (int)iterations, EVP_sha256(), (int)outlen, out) == 1 ? 0 : -1;
}

/* onramp_hash_password - a fresh salt and the hash of password; 0 or -1 */
int onramp_hash_password(const char *password, store_secret_t *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (RAND_bytes(s->salt, ONRAMP_SALT_BYTES) != 1)
		return seterr(err, errlen, "no random bytes for a salt (OpenSSL RAND_bytes)");
	s->saltlen = ONRAMP_SALT_BYTES;
	s->hashlen = ONRAMP_HASH_BYTES;
	s->iterations = ONRAMP_PBKDF2_ITERATIONS;
	if (pbkdf2(password, s->salt, s->saltlen, s->iterations, s->hash, s->hashlen) < 0)
		return seterr(err, errlen, "PBKDF2 failed (OpenSSL)");
	return 0;
}

/* onramp_verify_password - does password hash to the stored one; 0/1 */
int onramp_verify_password(const store_secret_t *s, const char *password)
{
	unsigned char got[STORE_SECRET_MAX];
	int same;

	if (!password || s->hashlen == 0 || s->hashlen > sizeof(got) || s->saltlen == 0 ||
	    s->iterations == 0 || pbkdf2(password, s->salt, s->saltlen, s->iterations, got,
	    s->hashlen) < 0)
		return 0;
	same = CRYPTO_memcmp(got, s->hash, s->hashlen) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return same;
}

/* onramp_user_add - check, hash and store a user; 1 replaced, 0 added, -1 */
int onramp_user_add(store_t *st, const char *name, const char *password, long now,
    char *err, size_t errlen)
{
	store_secret_t s;
	int rc;

	if (onramp_check(ONRAMP_F_USER, name, err, errlen) < 0 ||
	    onramp_check(ONRAMP_F_PASSWORD, password, err, errlen) < 0 ||
	    onramp_hash_password(password, &s, err, errlen) < 0)
		return -1;
	rc = store_user_add(st, name, &s, now, err, errlen);
	OPENSSL_cleanse(&s, sizeof(s));
	return rc;
}

/* Decisions. */

/* finish - fill in the verdict and the line to store; returns 0 */
__attribute__((format(printf, 3, 4)))
static int finish(onramp_decision_t *d, onramp_code_t code, const char *fmt, ...)
{
	va_list ap;

	d->allowed = code == ONRAMP_OK;
	d->code = code;
	d->code_name = code_names[code];
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	/* The reason holds caller-controlled text: printable ASCII only. */
	for (char *c = d->reason; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	if (!d->allowed) {
		d->targets[0] = '\0';
		d->ntargets = 0;
	}
	snprintf(d->decision, sizeof(d->decision), "%s %s: %s", d->allowed ? "allow" : "refuse",
	    d->code_name, d->reason);
	return 0;
}

/* toggle_plus - s with its leading '+' removed, or one added, into buf */
static const char *toggle_plus(const char *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", s[0] == '+' ? "" : "+", s + (s[0] == '+'));
	return buf;
}

/* lookup_did - the did_map row for did; 1, 0 if none, -1 */
static int lookup_did(store_t *st, const char *did, store_did_t *row, char *err, size_t errlen)
{
	char alt[STORE_KEY_MAX + 2];
	int rc;

	if (did && *did && strlen(did) < STORE_KEY_MAX) {
		if ((rc = store_did_get(st, did, row, err, errlen)) != 0)
			return rc;
		if ((rc = store_did_get(st, toggle_plus(did, alt, sizeof(alt)), row, err,
		    errlen)) != 0)
			return rc;
	}
	return store_did_get(st, "*", row, err, errlen);
}

static int has_credentials(const store_did_t *row)
{
	return strstr(row->policy, "credentials") != NULL;
}

/* caller_allowed - does value match a callers row of kind for the DID
 * row (or "*")? 1, 0, -1; *rows_found says whether there was any row */
static int caller_allowed(store_t *st, const char *did, const char *kind, const char *value,
    int *rows_found, char *err, size_t errlen)
{
	store_caller_t *rows;
	size_t n;
	char alt[128];
	int hit = 0;

	if (store_caller_find(st, did, kind, &rows, &n, err, errlen) < 0)
		return -1;
	*rows_found = n > 0;
	if (strcmp(kind, "callerid") == 0 && strlen(value) < sizeof(alt) - 2)
		toggle_plus(value, alt, sizeof(alt));
	else
		alt[0] = '\0';
	for (size_t i = 0; i < n && !hit; i++)
		hit = onramp_match(rows[i].pattern, value) ||
		    (alt[0] && onramp_match(rows[i].pattern, alt));
	free(rows);
	return hit;
}

/* early - steps 1 and 2 into d and row; 0 (d says whether it goes on) or -1 */
static int early(store_t *st, const char *did, const char *caller, onramp_decision_t *d,
    store_did_t *row, char *err, size_t errlen)
{
	int rc, found;

	memset(d, 0, sizeof(*d));
	if ((rc = lookup_did(st, did, row, err, errlen)) < 0)
		return -1;
	if (rc == 0)
		return did && *did ? finish(d, ONRAMP_NO_SUCH_NUMBER, "%.40s is not a fax number of"
		    " this gateway", did) : finish(d, ONRAMP_NO_SUCH_NUMBER, "no number was dialled"
		    " (no DID) and there is no catch-all DID *");
	snprintf(d->did, sizeof(d->did), "%s", row->did);
	d->wants_dtmf = row->dtmf || has_credentials(row);
	if (strncmp(row->policy, "callerid", 8) == 0) {
		if (!caller || !*caller)
			return finish(d, ONRAMP_CALLER_DENIED, "DID %s accepts known callers only and"
			    " the call has no caller ID", row->did);
		if ((rc = caller_allowed(st, row->did, "callerid", caller, &found, err, errlen)) < 0)
			return -1;
		if (!rc)
			return finish(d, ONRAMP_CALLER_DENIED, "caller %.40s is not allowed on DID %s",
			    caller, row->did);
	}
	return finish(d, ONRAMP_OK, "DID %s, policy %s", row->did, row->policy);
}

/* onramp_decide_early - what can be decided before answering; 0 or -1 */
int onramp_decide_early(store_t *st, const char *did, const char *caller,
    onramp_decision_t *d, char *err, size_t errlen)
{
	store_did_t row;

	return early(st, did, caller, d, &row, err, errlen);
}

/* onramp_wants_dtmf - does this DID collect digits; 1, 0 or -1 */
int onramp_wants_dtmf(store_t *st, const char *did, char *err, size_t errlen)
{
	store_did_t row;
	int rc = lookup_did(st, did, &row, err, errlen);

	return rc <= 0 ? rc : row.dtmf || has_credentials(&row);
}

/* credentials - step 5; 0 (d may be refused) or -1 */
static int credentials(store_t *st, const char *caller, const onramp_dtmf_t *k, long now,
    onramp_decision_t *d, char *err, size_t errlen)
{
	static const unsigned char dummy_salt[ONRAMP_SALT_BYTES];
	store_secret_t s;
	long failures;
	int rc, good;

	if (!k || !k->user[0])
		return finish(d, ONRAMP_NO_CREDENTIALS, "DID %s needs a user and password:"
		    " key NUMBER*USER*PASSWORD# or *INDEX*USER*PASSWORD#", d->did);
	if (store_auth_failure_count(st, caller, now - ONRAMP_AUTH_WINDOW, &failures, err,
	    errlen) < 0)
		return -1;
	if (failures >= ONRAMP_AUTH_FAILURES)
		return finish(d, ONRAMP_RATE_LIMITED, "%ld failed logins from caller %.40s in the"
		    " last %d minutes", failures, caller && *caller ? caller : "(none)",
		    ONRAMP_AUTH_WINDOW / 60);
	if ((rc = store_user_get(st, k->user, &s, err, errlen)) < 0)
		return -1;
	if (rc == 0) {
		/* The same work as for a real user: timing tells nothing. */
		memset(&s, 0, sizeof(s));
		memcpy(s.salt, dummy_salt, sizeof(dummy_salt));
		s.saltlen = sizeof(dummy_salt);
		s.hashlen = ONRAMP_HASH_BYTES;
		s.iterations = ONRAMP_PBKDF2_ITERATIONS;
	}
	good = onramp_verify_password(&s, k->password) && rc == 1;
	OPENSSL_cleanse(&s, sizeof(s));
	if (good)
		return 0;
	if (store_auth_failure_add(st, caller, now, err, errlen) < 0)
		return -1;
	return finish(d, ONRAMP_BAD_CREDENTIALS, "user %s: unknown user or wrong password",
	    k->user);
}

/* add_target - append one recipient unless it is there already; 0, or a
 * refusal in d */
static int add_target(onramp_decision_t *d, const char *t)
{
	char why[128];
	size_t len = strlen(d->targets), tl = strlen(t);

	if (onramp_check(ONRAMP_F_ADDRESS, t, why, sizeof(why)) < 0)
		return finish(d, ONRAMP_NO_TARGETS, "recipient %s", why), -1;
	for (const char *p = d->targets; *p;) {
		size_t n = strcspn(p, " ");
		if (n == tl && strncasecmp(p, t, n) == 0)
			return 0;
		p += n + (p[n] == ' ');
	}
	if (d->ntargets >= ONRAMP_TARGETS_MAX || len + tl + 2 > sizeof(d->targets))
		return finish(d, ONRAMP_NO_TARGETS, "more than %d recipients", ONRAMP_TARGETS_MAX),
		    -1;
	snprintf(d->targets + len, sizeof(d->targets) - len, "%s%s", len ? " " : "", t);
	d->ntargets++;
	return 0;
}

/* add_number - +NUMBER (digits) as FAX=+NUMBER@offramp; 0, 1 refused, -1 */
static int add_number(store_t *st, const char *digits, onramp_decision_t *d,
    char *err, size_t errlen)
{
	store_route_t r;
	char addr[STORE_DOMAIN_MAX + 32];
	int rc;

	if ((rc = store_route_lookup(st, digits, &r, err, errlen)) < 0)
		return -1;
	if (rc == 0)
		return finish(d, ONRAMP_NO_ROUTE, "no offramp route for +%s", digits), 1;
	snprintf(addr, sizeof(addr), "FAX=+%s@%s", digits, r.domain);
	return add_target(d, addr) < 0 ? 1 : 0;
}

/* add_list - each entry of a space-separated list; 0, 1 refused, -1 */
static int add_list(store_t *st, const char *list, onramp_decision_t *d,
    char *err, size_t errlen)
{
	char item[STORE_LIST_MAX];

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " \t");
		if (n > 0) {
			int rc;
			snprintf(item, sizeof(item), "%.*s", (int)n, p);
			if (item[0] == '+' && onramp_check(ONRAMP_F_TARGET, item, NULL, 0) == 0)
				rc = add_number(st, item + 1, d, err, errlen);
			else
				rc = add_target(d, item) < 0 ? 1 : 0;
			if (rc)
				return rc;
		}
		p += n;
		p += strspn(p, " \t");
	}
	return 0;
}

/* onramp_decide - every step; 0 (the decision in d) or -1 */
int onramp_decide(store_t *st, const char *did, const char *caller, const char *tsi,
    const char *dtmf, long now, onramp_decision_t *d, char *err, size_t errlen)
{
	store_did_t row;
	onramp_dtmf_t keyed, *k = NULL;
	char why[128], via[96], t[64];
	int rc, found;

	if (early(st, did, caller, d, &row, err, errlen) < 0)
		return -1;
	if (!d->allowed)
		return 0;
	if (tsi) {
		/* Station IDs come padded with blanks. */
		size_t b = strspn(tsi, " "), n = strlen(tsi + b);
		while (n > 0 && tsi[b + n - 1] == ' ')
			n--;
		snprintf(t, sizeof(t), "%.*s", (int)(n < sizeof(t) ? n : sizeof(t) - 1), tsi + b);
		if ((rc = caller_allowed(st, row.did, "tsi", t, &found, err, errlen)) < 0)
			return -1;
		if (found && !rc)
			return finish(d, ONRAMP_TSI_DENIED, "station ID \"%.20s\" is not allowed on"
			    " DID %s", t, row.did);
	}
	if (dtmf && *dtmf && d->wants_dtmf) {
		if (onramp_parse_dtmf(dtmf, &keyed, why, sizeof(why)) < 0)
			return finish(d, ONRAMP_BAD_DTMF, "digits keyed on DID %s: %s", row.did, why);
		k = &keyed;
	}
	if (has_credentials(&row)) {
		rc = credentials(st, caller, k, now, d, err, errlen);
		if (rc < 0 || !d->allowed) {
			OPENSSL_cleanse(&keyed, sizeof(keyed));
			return rc;
		}
	}
	if (row.dtmf && k && k->kind == ONRAMP_DIRECT) {
		snprintf(via, sizeof(via), "direct number +%s", k->number);
		rc = add_number(st, k->number, d, err, errlen);
	} else if (row.dtmf && k) {
		store_index_t x;
		snprintf(via, sizeof(via), "index %s", k->index);
		if ((rc = store_index_get(st, k->index, &x, err, errlen)) == 1)
			rc = add_list(st, x.targets, d, err, errlen);
		else if (rc == 0) {
			finish(d, ONRAMP_NO_SUCH_INDEX, "index %s keyed on DID %s is not known",
			    k->index, row.did);
			rc = 1;
		}
	} else {
		snprintf(via, sizeof(via), "the DID's addresses");
		rc = add_list(st, row.addresses, d, err, errlen);
	}
	if (k && k->user[0])
		snprintf(via + strlen(via), sizeof(via) - strlen(via), ", user %s", k->user);
	OPENSSL_cleanse(&keyed, sizeof(keyed));
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (d->ntargets == 0)
		return finish(d, ONRAMP_NO_TARGETS, "DID %s: no recipient", row.did);
	return finish(d, ONRAMP_OK, "DID %s, policy %s, %s: %zu recipient%s", row.did, row.policy,
	    via, d->ntargets, d->ntargets == 1 ? "" : "s");
}

/* onramp_decision_allowed - 1 "allow ...", 0 "refuse ...", -1 other */
int onramp_decision_allowed(const char *decision)
{
	if (!decision)
		return -1;
	if (strncmp(decision, "allow ", 6) == 0)
		return 1;
	if (strncmp(decision, "refuse ", 7) == 0)
		return 0;
	return -1;
}
