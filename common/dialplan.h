/*
 * NAME
 *	dialplan 3h - allowed and denied fax number prefixes, rewriting
 * SYNOPSIS
 *	#include "dialplan.h"
 *
 *	dialplan_t *dialplan_new(void);
 *	void	dialplan_free(dialplan_t *dp);
 *	void	dialplan_set_default(dialplan_t *dp, int action);
 *	int	dialplan_add_list(dialplan_t *dp, int action, const char *list,
 *			char *err, size_t errlen);
 *	int	dialplan_add_rewrites(dialplan_t *dp, const char *list,
 *			char *err, size_t errlen);
 *	int	dialplan_check(const dialplan_t *dp, const char *number,
 *			char *why, size_t whylen);
 *	int	dialplan_rewrite(const dialplan_t *dp, const char *number,
 *			char *out, size_t outlen);
 * DESCRIPTION
 *	A dial plan decides which canonical numbers ("+" and 1 to 15
 *	digits, as faxaddr_parse() produces them) may be dialled, and
 *	turns them into the digit string the modem dials.
 *
 *	dialplan_new() returns an empty plan whose default action is
 *	DIALPLAN_DENY, or NULL when out of memory. The caller owns it and
 *	releases it with dialplan_free() (which accepts NULL).
 *
 *	dialplan_set_default() sets the action for numbers that match no
 *	prefix. Any value other than DIALPLAN_ALLOW selects DIALPLAN_DENY,
 *	so that a mistake fails closed.
 *
 *	dialplan_add_list() adds the prefixes in list with the action
 *	DIALPLAN_ALLOW or DIALPLAN_DENY. The list is a string from the
 *	configuration file: entries separated by commas and/or white
 *	space, e.g. "+1, +44 +1900"; an empty list adds nothing. An entry
 *	is '+' and 0 to 15 digits; '-' and '.' between them are ignored;
 *	"+" alone matches every number. The list is checked completely
 *	before anything is added, so on error the plan is unchanged.
 *	Returns 0, or -1 with the reason in err.
 *
 *	dialplan_add_rewrites() adds rewrite rules FROM=TO, separated by
 *	white space and/or commas, e.g. "+1=1, +=011". FROM is a prefix
 *	as above; TO is empty or made of digits, '*', '#' and ',' (a
 *	dialling pause). Because TO may contain ',', a comma ends an entry
 *	only when the next entry (after any commas and white space)
 *	begins with '+', or when the list ends: "+1=9,1 +44=0" is the
 *	rules "+1" -> "9,1" and "+44" -> "0". A FROM given twice, in one
 *	list or across calls, is an error, because which one applies
 *	would otherwise be a matter of order. All or nothing as above;
 *	returns 0 or -1 with the reason in err.
 *
 *	dialplan_check() decides about a canonical number: the longest
 *	prefix that matches decides; when the same longest prefix is both
 *	allowed and denied, deny wins; when none matches, the default
 *	action applies. It returns DIALPLAN_ALLOW or DIALPLAN_DENY and
 *	writes the reason into why, e.g. "+19005551234 matches denied
 *	prefix +1900" or "+442071234567 matches no allowed prefix". A
 *	number that is not canonical is denied.
 *
 *	dialplan_rewrite() replaces the longest FROM prefix that matches
 *	the canonical number by its TO, or, when no rule matches, just
 *	drops the '+'. The result is NUL-terminated in out. Returns its
 *	length (without the NUL), or -1 when it does not fit in outlen
 *	octets or the number is not canonical; out is then "" (when
 *	outlen > 0), so that a truncated number is never dialled.
 * DIAGNOSTICS
 *	Configuration errors name the offending entry (cut to 40
 *	characters). Reasons from dialplan_check() are ASCII without CR,
 *	LF or '%' and at most about 70 characters, fit for an SMTP reply.
 *	dialplan_add_list() and dialplan_add_rewrites() report "out of
 *	memory" when allocation fails.
 */
#ifndef FAXGATE_DIALPLAN_H
#define FAXGATE_DIALPLAN_H

#include <stddef.h>

enum { DIALPLAN_ALLOW = 1, DIALPLAN_DENY = 2 };

typedef struct dialplan dialplan_t;

dialplan_t *dialplan_new(void);
void dialplan_free(dialplan_t *dp);
void dialplan_set_default(dialplan_t *dp, int action);
int dialplan_add_list(dialplan_t *dp, int action, const char *list,
    char *err, size_t errlen);
int dialplan_add_rewrites(dialplan_t *dp, const char *list,
    char *err, size_t errlen);
int dialplan_check(const dialplan_t *dp, const char *number,
    char *why, size_t whylen);
int dialplan_rewrite(const dialplan_t *dp, const char *number,
    char *out, size_t outlen);

#endif
