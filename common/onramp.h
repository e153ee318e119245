/*
 * NAME
 *	onramp - who may fax in, and where a received fax goes
 * SYNOPSIS
 *	#include "onramp.h"
 *
 *	int onramp_parse_dtmf(const char *digits, onramp_dtmf_t *out,
 *		char *err, size_t errlen);
 *	size_t onramp_format_dtmf(const onramp_dtmf_t *d, int mask,
 *		char *buf, size_t len);
 *
 *	int onramp_decide_early(store_t *st, const char *did, const char *caller,
 *		onramp_decision_t *d, char *err, size_t errlen);
 *	int onramp_decide(store_t *st, const char *did, const char *caller,
 *		const char *tsi, const char *dtmf, long now,
 *		onramp_decision_t *d, char *err, size_t errlen);
 *	int onramp_wants_dtmf(store_t *st, const char *did, char *err, size_t errlen);
 *	int onramp_decision_allowed(const char *decision);
 *
 *	int onramp_match(const char *pattern, const char *s);
 *	int onramp_check(onramp_field_t field, const char *value,
 *		char *err, size_t errlen);
 *	int onramp_user_add(store_t *st, const char *name, const char *password,
 *		long now, char *err, size_t errlen);
 *	int onramp_hash_password(const char *password, store_secret_t *s,
 *		char *err, size_t errlen);
 *	int onramp_verify_password(const store_secret_t *s, const char *password);
 * DESCRIPTION
 *	The onramp's policy: RFC 4160 section 4 and RFC 4161 section 3.1,
 *	with the DTMF grammar of the gateway protocol draft (section 4.2).
 *	Pure functions, and decisions read from the store (store.h).
 *
 *	onramp_parse_dtmf reads the digits a caller keyed:
 *	    NUMBER#			direct: fax to +NUMBER
 *	    NUMBER*USER*PASSWORD#	direct, with credentials
 *	    *INDEX#			indirect: the recipients listed for INDEX
 *	    *INDEX*USER*PASSWORD#	indirect, with credentials
 *	Every field is digits only. NUMBER is at most ONRAMP_NUMBER_MAX
 *	digits (E.164, without its "+"), INDEX ONRAMP_INDEX_MAX, USER
 *	ONRAMP_USER_MAX; PASSWORD is ONRAMP_PASSWORD_MIN ("at least four
 *	digits", draft 4.2) to ONRAMP_PASSWORD_MAX; the whole string is at
 *	most ONRAMP_DTMF_MAX characters with its one terminating '#'. The
 *	draft gives a direct number's subaddress to T.33 (the T.30 SUB
 *	frame, the call's business), not to the digits, so there is none
 *	here; its "option numbers" (4.7) are not accepted either.
 *	onramp_format_dtmf writes d back in that grammar (mask: the password
 *	as "xxxx", for logs and the store) and returns the length it needs
 *	(snprintf's convention).
 *
 *	onramp_decide applies, in order, and stops at the first refusal:
 *	1. the DID: the did_map row for did as given, else for did with its
 *	   leading '+' added or removed, else the row "*"; none: refused
 *	   no_such_number.
 *	2. policy "callerid" or "callerid+credentials": caller must match a
 *	   callers row of kind callerid for the DID's row or "*" (as given,
 *	   or with its leading '+' added or removed); no caller ID or no
 *	   match: refused caller_not_allowed.
 *	3. when tsi is not NULL and there are callers rows of kind tsi for
 *	   the DID's row or "*": the TSI (blanks around it ignored) must
 *	   match one: else refused tsi_not_allowed.
 *	4. digits (dtmf not NULL or empty) are parsed when the DID takes
 *	   DTMF addressing or needs credentials: refused bad_dtmf with the
 *	   parse error.
 *	5. policy "credentials" or "callerid+credentials": the digits must
 *	   carry USER*PASSWORD (else credentials_missing). A caller ("" for
 *	   none) with ONRAMP_AUTH_FAILURES failures in the last
 *	   ONRAMP_AUTH_WINDOW seconds is refused too_many_failures without a
 *	   check. A user that does not exist or a wrong password is refused
 *	   credentials_bad (the same text either way, and the same work: an
 *	   unknown user is hashed against a dummy salt) and recorded.
 *	6. addressing: a DID with dtmf = 1 and digits: NUMBER becomes
 *	   FAX=+NUMBER@DOMAIN, DOMAIN from the route with the longest prefix
 *	   of NUMBER (none: refused no_route); INDEX becomes its targets
 *	   (none: refused no_such_index), a +E.164 target becoming
 *	   FAX=+N@DOMAIN the same way. Otherwise the DID's addresses.
 *	   Recipients are checked (onramp_check), duplicates dropped
 *	   (case-insensitively); none, a bad one or more than
 *	   ONRAMP_TARGETS_MAX: refused no_targets.
 *	The result is d: allowed 1 or 0, the reason code (ONRAMP_OK, ...)
 *	and its name ("ok", "no_such_number", ...), a short reason for
 *	people, wants_dtmf (step 4's condition), the recipients
 *	space-separated in targets (ntargets of them) and, in decision, the
 *	line to store in inbound.decision: "allow CODE: REASON" or "refuse
 *	CODE: REASON". onramp_decide_early applies steps 1 and 2 only: what
 *	can be known before the call is answered.
 *	onramp_wants_dtmf returns 1 when the DID collects digits (dtmf = 1,
 *	or a policy with credentials), 0 when not (or when it is no DID of
 *	ours), -1 on a store error.
 *	onramp_decision_allowed reads a stored decision: 1 "allow ...", 0
 *	"refuse ...", -1 anything else.
 *
 *	onramp_match matches s against a pattern: '*' any run of characters
 *	(none included), '?' exactly one, letters case-insensitively; 1 or
 *	0. Linear in the lengths' product, whatever the pattern.
 *	onramp_check checks the syntax of one value of a field (see
 *	onramp_field_t); 0, or -1 with a reason.
 *
 *	onramp_hash_password draws a random salt of ONRAMP_SALT_BYTES and
 *	hashes password with PBKDF2-HMAC-SHA256, ONRAMP_PBKDF2_ITERATIONS
 *	rounds (OpenSSL). onramp_verify_password recomputes it with the
 *	stored salt and rounds and compares in constant time: 1 or 0.
 *	onramp_user_add checks name and password (digits: they are keyed on
 *	a telephone), hashes and stores them: 1 replaced, 0 added, -1.
 * DIAGNOSTICS
 *	onramp_parse_dtmf: -1 with a reason in err that names the field and
 *	never echoes a password: no digits, longer than the limit, a
 *	character that is not a DTMF digit (A to D named as such), no
 *	terminating '#', characters after it, a wrong number of fields, an
 *	empty field, a field too long, a password too short.
 *	onramp_decide, onramp_decide_early: -1 when the store fails (err
 *	says why; nothing was decided: the caller treats it as temporary),
 *	else 0 and the decision in d.
 */
#ifndef FAXGATE_ONRAMP_H
#define FAXGATE_ONRAMP_H

#include <stddef.h>

#include "store.h"

#define ONRAMP_DTMF_MAX		64	/* keyed characters, '#' included */
#define ONRAMP_NUMBER_MAX	15	/* E.164 digits */
#define ONRAMP_INDEX_MAX	16
#define ONRAMP_USER_MAX		20
#define ONRAMP_PASSWORD_MIN	4	/* draft 4.2 */
#define ONRAMP_PASSWORD_MAX	32
#define ONRAMP_TARGETS_MAX	50	/* recipients of one fax */
#define ONRAMP_AUTH_FAILURES	5	/* failed logins per caller... */
#define ONRAMP_AUTH_WINDOW	600	/* ...in this many seconds: refused */
#define ONRAMP_PBKDF2_ITERATIONS 100000
#define ONRAMP_SALT_BYTES	16
#define ONRAMP_HASH_BYTES	32

typedef enum onramp_kind { ONRAMP_DIRECT, ONRAMP_INDIRECT } onramp_kind_t;

/* Parsed digits; the strings are "" when absent. */
typedef struct onramp_dtmf {
	onramp_kind_t kind;
	char number[ONRAMP_NUMBER_MAX + 1];	/* direct */
	char index[ONRAMP_INDEX_MAX + 1];	/* indirect */
	char user[ONRAMP_USER_MAX + 1];
	char password[ONRAMP_PASSWORD_MAX + 1];
} onramp_dtmf_t;

typedef enum onramp_code {
	ONRAMP_OK,
	ONRAMP_NO_SUCH_NUMBER,		/* the DID is not in did_map */
	ONRAMP_CALLER_DENIED,		/* caller ID missing or not allowed */
	ONRAMP_TSI_DENIED,		/* station ID not allowed */
	ONRAMP_BAD_DTMF,		/* digits that do not parse */
	ONRAMP_NO_CREDENTIALS,		/* the DID needs USER*PASSWORD */
	ONRAMP_BAD_CREDENTIALS,		/* unknown user or wrong password */
	ONRAMP_RATE_LIMITED,		/* too many failed logins */
	ONRAMP_NO_SUCH_INDEX,
	ONRAMP_NO_ROUTE,		/* no offramp for a direct number */
	ONRAMP_NO_TARGETS		/* no usable recipient */
} onramp_code_t;

typedef struct onramp_decision {
	int allowed;
	onramp_code_t code;
	const char *code_name;		/* "ok", "no_such_number", ... (static) */
	char reason[256];		/* for people and logs, printable ASCII */
	int wants_dtmf;			/* the DID collects digits */
	char did[STORE_KEY_MAX];	/* the did_map row used ("" if none) */
	size_t ntargets;
	char targets[STORE_LIST_MAX];	/* space-separated; "" when refused */
	char decision[512];		/* "allow CODE: REASON" / "refuse CODE: REASON" */
} onramp_decision_t;

/* What onramp_check knows. */
typedef enum onramp_field {
	ONRAMP_F_DID,		/* [+]digits (1 to 20), or "*" */
	ONRAMP_F_ADDRESS,	/* a mail address: dot-atom@host, ASCII, <= 254 */
	ONRAMP_F_TARGET,	/* an address, or +E.164 (1 to 15 digits) */
	ONRAMP_F_INDEX,		/* 1 to ONRAMP_INDEX_MAX digits */
	ONRAMP_F_PREFIX,	/* 0 to ONRAMP_NUMBER_MAX digits */
	ONRAMP_F_DOMAIN,	/* a host name */
	ONRAMP_F_USER,		/* 1 to ONRAMP_USER_MAX digits */
	ONRAMP_F_PASSWORD,	/* ONRAMP_PASSWORD_MIN to _MAX digits */
	ONRAMP_F_PATTERN	/* 1 to 63 printable characters */
} onramp_field_t;

int onramp_parse_dtmf(const char *digits, onramp_dtmf_t *out, char *err, size_t errlen);
size_t onramp_format_dtmf(const onramp_dtmf_t *d, int mask, char *buf, size_t len);
int onramp_decide_early(store_t *st, const char *did, const char *caller,
    onramp_decision_t *d, char *err, size_t errlen);
int onramp_decide(store_t *st, const char *did, const char *caller, const char *tsi,
    const char *dtmf, long now, onramp_decision_t *d, char *err, size_t errlen);
int onramp_wants_dtmf(store_t *st, const char *did, char *err, size_t errlen);
int onramp_decision_allowed(const char *decision);
int onramp_match(const char *pattern, const char *s);
int onramp_check(onramp_field_t field, const char *value, char *err, size_t errlen);
int onramp_user_add(store_t *st, const char *name, const char *password, long now,
    char *err, size_t errlen);
int onramp_hash_password(const char *password, store_secret_t *s, char *err, size_t errlen);
int onramp_verify_password(const store_secret_t *s, const char *password);

#endif
