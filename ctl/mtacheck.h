/*
 * NAME
 *	mtacheck - is the MTA wired to faxgate? (faxgatectl check-config)
 * SYNOPSIS
 *	#include "mtacheck.h"
 *	int mtacheck_postfix(const char *confdir, const config_t *cf, FILE *out);
 *	int mtacheck_sendmail(const char *sendmail_cf, const config_t *cf, FILE *out);
 *	int mtacheck_run(char *const argv[], char *out, size_t outlen,
 *	    char *err, size_t errlen);
 *	int mtacheck_sock_parse(const char *spec, mtacheck_sock_t *s);
 * DESCRIPTION
 *	mtacheck_postfix asks Postfix (postconf and postmap, with -c confdir
 *	unless confdir is NULL: the system's configuration) whether every fax
 *	domain of cf reaches the milter and cannot be lost:
 *	- the domain is in relay_domains (a literal name, a /file or a lookup
 *	  table asked with postmap -q), and relay_recipient_maps, when set,
 *	  has an @domain entry, or smtpd refuses FAX= recipients before the
 *	  milter sees them;
 *	- transport_maps has an entry for the domain (contrib/postfix-main.cf:
 *	  a deferred transport), and it is not error: or retry:;
 *	- smtpd_milters and non_smtpd_milters name [milter] socket, as the
 *	  smtpd and cleanup services reach it: a unix socket path is looked up
 *	  inside queue_directory when master.cf runs them chrooted;
 *	- milter_default_action is not accept.
 *	mtacheck_sendmail reads a sendmail.cf: an X (INPUT_MAIL_FILTER) line
 *	whose S= is [milter] socket, named in InputMailFilters, with F=T or
 *	F=R; and each fax domain in class R (CR lines or the FR file). The
 *	access database is not read: a domain relayed only through it is
 *	reported as not relayed.
 *	Both print one line per problem to out, "postfix: ..." or
 *	"sendmail: ...", and return how many they printed.
 *
 *	mtacheck_run runs argv[0] (an absolute path) without a shell, stdin
 *	from /dev/null, and collects at most outlen - 1 bytes of its standard
 *	output and errlen - 1 of its standard error, NUL-terminated.
 *	mtacheck_sock_parse splits a libmilter socket spec (unix:PATH,
 *	local:PATH, inet:PORT[@HOST], inet6:PORT[@HOST]); an empty host
 *	means every address.
 * DIAGNOSTICS
 *	mtacheck_run returns the exit status, or -1 if the program could not
 *	be run or was killed (err says why). mtacheck_sock_parse returns 0,
 *	or -1 for a spec it cannot read.
 */
#ifndef FAXGATE_MTACHECK_H
#define FAXGATE_MTACHECK_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

typedef struct mtacheck_sock {
	int is_unix;
	int inet6;
	char path[256];		/* is_unix */
	char host[256];		/* else; "" = any address */
	char port[16];
} mtacheck_sock_t;

int mtacheck_postfix(const char *confdir, const config_t *cf, FILE *out);
int mtacheck_sendmail(const char *sendmail_cf, const config_t *cf, FILE *out);
int mtacheck_run(char *const argv[], char *out, size_t outlen, char *err, size_t errlen);
int mtacheck_sock_parse(const char *spec, mtacheck_sock_t *s);

#endif
