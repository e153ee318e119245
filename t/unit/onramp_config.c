/*
 * Unit tests: the [onramp] section of faxgate.conf (common/config.c):
 * defaults, the values derived from [general] hostname, and every
 * refusal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char path[] = "/tmp/faxgate-onramp-conf-XXXXXX";

/* load - text as the whole file; the config, or NULL with err */
static config_t *load(const char *text, char *err, size_t len)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	err[0] = '\0';
	return config_load(path, err, len);
}

/* refused - the text is refused with this reason (after "PATH:") */
static void refused(const char *text, const char *why)
{
	char err[512];
	config_t *cf = load(text, err, sizeof(err));
	const char *e = strncmp(err, path, strlen(path)) == 0 ? err + strlen(path) : err;

	if (cf)
		config_free(cf);
	ok(!cf && strcmp(e, why) == 0, "refused: %s", why);
	if (cf || strcmp(e, why) != 0)
		diag("got '%s'", cf ? "(loaded)" : e);
}

int main(void)
{
	static const char base[] = "[general]\nhostname = gw.example.test\n"
	    "[fax]\ndomains = fax.example.test\n";
	char err[512], text[1024];
	config_t *cf;
	int fd = mkstemp(path);

	close(fd);
	cf = load(base, err, sizeof(err));
	ok(cf != NULL, "a file without [onramp] loads: %s", err);
	if (cf) {
		is_str(cf->onramp_domain, "gw.example.test", "domain: the host name");
		is_str(cf->onramp_from_no_caller, "fax-noreply@gw.example.test",
		    "from_no_caller: fax-noreply@domain");
		is_str(cf->onramp_envelope_from, "postmaster@gw.example.test",
		    "envelope_from: postmaster@hostname");
		is_str(cf->onramp_socket, "", "socket: none");
		ok(cf->onramp_poll == 5 && cf->onramp_retry == 300 && cf->onramp_alert_after == 5 &&
		    cf->onramp_pdf == 1, "poll 5, retry 300, alert_after 5, pdf yes");
		is_str(cf->onramp_tiff2pdf, "/usr/bin/tiff2pdf", "tiff2pdf");
		config_free(cf);
	}
	snprintf(text, sizeof(text), "%s[onramp]\ndomain = onramp.example.test\n"
	    "socket = /run/faxgate/onramp.sock\npoll = 2\nretry = 60\nalert_after = 3\npdf = no\n"
	    "envelope_from = fax-bounces@example.test\n", base);
	cf = load(text, err, sizeof(err));
	ok(cf != NULL, "every key set: %s", err);
	if (cf) {
		is_str(cf->onramp_domain, "onramp.example.test", "domain");
		is_str(cf->onramp_from_no_caller, "fax-noreply@onramp.example.test",
		    "from_no_caller follows the domain");
		is_str(cf->onramp_envelope_from, "fax-bounces@example.test", "envelope_from");
		ok(cf->onramp_poll == 2 && cf->onramp_retry == 60 && cf->onramp_alert_after == 3 &&
		    cf->onramp_pdf == 0 && strcmp(cf->onramp_socket, "/run/faxgate/onramp.sock") == 0,
		    "socket, poll, retry, alert_after, pdf");
		config_free(cf);
	}
	/* A host name that is no domain does not stop the other programs. */
	cf = load("[general]\nhostname = bad_host\n[fax]\ndomains = fax.example.test\n", err,
	    sizeof(err));
	ok(cf != NULL && strcmp(cf->onramp_domain, "bad_host") == 0,
	    "a host name that is not a domain still loads (faxgate-onramp refuses it)");
	config_free(cf);

	snprintf(text, sizeof(text), "%s[onramp]\ndomain = bad_domain\n", base);
	refused(text, ": [onramp] domain: 'bad_domain' is not a domain name");
	snprintf(text, sizeof(text), "%s[onramp]\nfrom_no_caller = nobody\n", base);
	refused(text, ": [onramp] from_no_caller: 'nobody' is not a mail address (local@domain)");
	snprintf(text, sizeof(text), "%s[onramp]\nenvelope_from = a b@c\n", base);
	refused(text, ": [onramp] envelope_from: 'a b@c' is not a mail address (local@domain)");
	snprintf(text, sizeof(text), "%s[onramp]\npoll = 0\n", base);
	refused(text, ": [onramp] poll must be at least 1 second");
	snprintf(text, sizeof(text), "%s[onramp]\nretry = 0\n", base);
	refused(text, ": [onramp] retry must be at least 1 second");
	snprintf(text, sizeof(text), "%s[onramp]\nalert_after = 0\n", base);
	refused(text, ": [onramp] alert_after must be at least 1");
	snprintf(text, sizeof(text), "%s[onramp]\ntiff2pdf = tiff2pdf\n", base);
	refused(text, ": [onramp] tiff2pdf 'tiff2pdf' must be an absolute path");
	snprintf(text, sizeof(text), "%s[onramp]\npdf = maybe\n", base);
	refused(text, ":6: pdf: 'maybe' is not yes or no");
	snprintf(text, sizeof(text), "%s[onramp]\nuser = faxgate\n", base);
	refused(text, ":6: unknown key 'user' in [onramp]");
	unlink(path);
	return done_testing();
}
