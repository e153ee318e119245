/* Unit tests: config, cidr, xtext. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "config.h"
#include "tap.h"
#include "xtext.h"

static char path[] = "/tmp/faxgate-conf-XXXXXX";

/* load - write text to the temp file and load it */
static config_t *load(const char *text, char *err, size_t len)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	err[0] = '\0';
	return config_load(path, err, len);
}

/* load_err - the error text for a bad config, with the path removed */
static const char *load_err(const char *text)
{
	static char err[512];
	config_t *cf = load(text, err, sizeof(err));
	if (cf) {
		config_free(cf);
		return "(loaded)";
	}
	size_t n = strlen(path);
	return strncmp(err, path, n) == 0 ? err + n : err;
}

int main(void)
{
	char err[512];
	config_t *cf;
	int fd = mkstemp(path);
	close(fd);

	/* The shipped sample must load once a domain is set. */
	cf = config_load("contrib/faxgate.conf", err, sizeof(err));
	ok(cf == NULL && strstr(err, "no fax domain"), "sample without a domain is refused: %s", err);
	config_free(cf);

	cf = load("[fax]\ndomains = Fax.Example.COM, fax2.example.com\n"
	    "[dialplan]\nallow = +1\ndeny = +1900\nrewrite = +1=1 +=011\n"
	    "[domain intl.example.com]\nallow = +44\nrewrite = +=00\n"
	    "[milter]\nmax_message_size = 2M\nsocket = inet:10025@127.0.0.1\n"
	    "[policy]\nnetworks = 10.0.0.0/8\n  192.0.2.0/24\nrate_per_hour = 7\nauthenticated = no\n"
	    "sender_domains = example.com example.org\n", err, sizeof(err));
	ok(cf != NULL, "full config loads: %s", err);
	if (cf) {
		is_int((long long)cf->ndomains, 3, "three fax domains");
		ok(config_fax_domain(cf, "FAX.example.com") != NULL, "domain lookup ignores case");
		ok(config_fax_domain(cf, "other.example.com") == NULL, "unknown domain is not ours");
		is_int((long long)cf->max_message_size, 2 << 20, "2M is 2 MiB");
		is_int(cf->rate_per_hour, 7, "rate_per_hour");
		is_int(cf->calls_per_number, 1, "one call at a time per number by default");
		is_int(cf->allow_authenticated, 0, "authenticated = no");
		is_str(cf->sender_domains[1], "example.org", "sender_domains list");
		ok(cidr_list_match(&cf->networks, "192.0.2.9"), "continuation line adds a network");
		ok(!cidr_list_match(&cf->networks, "127.0.0.1"), "networks replaces the default");
		const fax_domain_t *d = config_fax_domain(cf, "fax.example.com");
		char why[256], dial[64];
		is_int(dialplan_check(d->dialplan, "+12025550100", why, sizeof(why)), DIALPLAN_ALLOW, "global allow");
		is_int(dialplan_check(d->dialplan, "+19005550100", why, sizeof(why)), DIALPLAN_DENY, "global deny");
		is_int(dialplan_check(d->dialplan, "+442079460000", why, sizeof(why)), DIALPLAN_DENY, "default deny");
		dialplan_rewrite(d->dialplan, "+442079460000", dial, sizeof(dial));
		is_str(dial, "011442079460000", "global rewrite");
		d = config_fax_domain(cf, "intl.example.com");
		is_int(dialplan_check(d->dialplan, "+442079460000", why, sizeof(why)), DIALPLAN_ALLOW, "domain adds allow");
		is_int(dialplan_check(d->dialplan, "+19005550100", why, sizeof(why)), DIALPLAN_DENY, "domain keeps global deny");
		dialplan_rewrite(d->dialplan, "+442079460000", dial, sizeof(dial));
		is_str(dial, "00442079460000", "domain rewrite replaces global");
		config_free(cf);
	}

	/* Errors name the line and the reason. */
	is_str(load_err("[fax]\ndomains = a.example\n[milter]\nsokcet = unix:/x\n"),
	    ":4: unknown key 'sokcet' in [milter]", "unknown key");
	is_str(load_err("[fax]\ndomains = a.example\n[fxa]\nx = 1\n"),
	    ":4: unknown section [fxa]", "unknown section");
	is_str(load_err("[fax]\ndomains = a.example\nthis is not ini\n"),
	    ":3: syntax error (want key = value or [section])", "syntax error");
	is_str(load_err("[fax]\ndomains = a.example\n[milter]\nmax_message_size = lots\n"),
	    ":4: max_message_size: 'lots' is not a size (e.g. 25M, 512k, 1048576)", "bad size");
	is_str(load_err("[fax]\ndomains = a.example\n[milter]\nmax_fax_recipients = -3\n"),
	    ":4: max_fax_recipients: '-3' is not a whole number", "bad number");
	is_str(load_err("[fax]\ndomains = a.example\n[policy]\nauthenticated = maybe\n"),
	    ":4: authenticated: 'maybe' is not yes or no", "bad boolean");
	is_str(load_err("[fax]\ndomains = a.example\n[general]\nlog_level = info\nlog_level = debug\n"),
	    ":5: key 'log_level' in [general] is given twice", "duplicate key");
	const char *e = load_err("[fax]\ndomains = a.example\n[policy]\nnetworks = 10.0.0.0/33\n");
	ok(strstr(e, "'10.0.0.0/33' is not a network") != NULL, "bad network: %s", e);
	e = load_err("[fax]\ndomains = a.example\n[dialplan]\nallow = +1x\n");
	ok(strstr(e, "+1x") != NULL, "bad dial plan entry named: %s", e);
	e = load_err("[fax]\ndomains = a.example\n[dialplan]\ndefault = maybe\n");
	ok(strstr(e, "neither allow nor deny") != NULL, "bad dial plan default: %s", e);
	is_str(load_err("[milter]\nuser = x\n"),
	    ": no fax domain: set [fax] domains, e.g. domains = fax.example.com", "no domain");
	is_str(load_err("[fax]\ndomains = a.example\n[general]\nstore = mysql:host=x\n"),
	    ": store 'mysql:host=x': want sqlite:PATH (or a plain path) or postgresql:DSN", "unknown store");
	{
		/* [sip]: every refusal names the key and what is allowed */
		static const struct { const char *text, *want; } sip[] = {
			{ "media_ports = 16000", "media_ports '16000' must be LOW-HIGH" },
			{ "media_ports = 80-90", "must be LOW-HIGH within 1024-65535" },
			{ "dtls = sometimes", "[sip] dtls 'sometimes' must be off, offer or require" },
			{ "t38_reinvite_form = both", "t38_reinvite_form 'both' must be replace or audio0" },
			{ "t38_ec = fec parity", "t38_ec 'fec parity': each entry must be fec, redundancy or none" },
			{ "speed = 51", "[sip] speed must be between 1 and 50" },
			{ "loss_percent = 91", "[sip] loss_percent must be between 0 and 90" },
			{ "jitter_buffer = 30", "jitter_buffer must be a multiple of 20 ms from 20 to 320" },
			{ "dtmf_mode = sip-info", "[sip] dtmf_mode 'sip-info' must be rfc4733 or inband" },
			{ "dtmf_inter_timeout = 70000", "[sip] dtmf_* times are out of range" },
			{ "inbound_ident = 123456789012345678901", "inbound_ident '123456789012345678901' is longer than 20" },
		};
		char text[256];
		for (size_t i = 0; i < sizeof(sip) / sizeof(sip[0]); i++) {
			snprintf(text, sizeof(text), "[fax]\ndomains = a.example\n[sip]\n%s\n", sip[i].text);
			e = load_err(text);
			ok(strstr(e, sip[i].want) != NULL, "[sip] %s refused: %s", sip[i].text, e);
		}
		static const struct { const char *text, *want; } drv[] = {
			{ "listen = udp:1.2.3.4", "[sip] listen 'udp:1.2.3.4' must be a sip: URI" },
			{ "trunk = ", "[sip] trunk must be a sip: or sips: URI with {dial}" },
			{ "trunk = sip:1.2.3.4", "trunk 'sip:1.2.3.4' has neither {dial} nor {number}" },
			{ "trunk = sip:{dial}@x\npassword = s", "[sip] password without username" },
		};
		for (size_t i = 0; i < sizeof(drv) / sizeof(drv[0]); i++) {
			snprintf(text, sizeof(text), "[fax]\ndomains = a.example\n[dialer]\ndriver = sip\n"
			    "[sip]\n%s\n", drv[i].text);
			e = load_err(text);
			ok(strstr(e, drv[i].want) != NULL, "driver sip, case %zu refused: %s", i + 1, e);
		}
		e = load_err("[fax]\ndomains = a.example\n[dialer]\ndriver = isdn\n");
		ok(strstr(e, "driver 'isdn' is not known (sim, sip)") != NULL, "unknown driver: %s", e);
	}
	is_str(load_err("[fax]\ndomains = a.example\n[dialer]\ncalls_per_number = 65\n"),
	    ": [dialer] calls_per_number must be between 0 (no limit) and 64", "calls_per_number 65");
	is_str(load_err("[fax]\ndomains = a.example\n[milter]\nsocket = /tmp/x\n"),
	    ": milter socket '/tmp/x' must be unix:PATH, inet:PORT@HOST or inet6:PORT@HOST", "bad socket");
	{
		char text[1200], *o = text;
		o += sprintf(o, "[fax]\ndomains = a.example\n[dialplan]\ndeny =");
		for (int i = 0; i < 30; i++)
			o += sprintf(o, " +1900%d", i);
		strcpy(o, "\n");
		is_str(load_err(text), ":4: line is longer than 198 characters; continue a list on the next lines, indented",
		    "an over-long line is refused, not cut");
		o = text + sprintf(text, "[fax]\ndomains = a.example\n[dialplan]\nallow = +1\ndeny =");
		for (int i = 0; i < 30; i++)
			o += sprintf(o, "%s +1900%d", i % 10 == 0 ? "\n   " : "", i);
		strcpy(o, "\n");
		cf = load(text, err, sizeof(err));
		ok(cf != NULL, "a long list continued on indented lines loads: %s", err);
		if (cf) {
			char why[128];
			is_int(dialplan_check(cf->domains[0].dialplan, "+1900299", why, sizeof(why)), DIALPLAN_DENY,
			    "the last entry of the last continuation line counts");
			config_free(cf);
		}
	}
	cf = config_load("/nonexistent/faxgate.conf", err, sizeof(err));
	is_str(err, "/nonexistent/faxgate.conf: No such file or directory", "missing file");

	/* cidr */
	cidr_list_t l;
	ok(cidr_list_parse("127.0.0.0/8 ::1 2001:db8::/32", &l, err, sizeof(err)) == 0, "cidr parse");
	ok(cidr_list_match(&l, "127.1.2.3"), "v4 inside");
	ok(!cidr_list_match(&l, "128.0.0.1"), "v4 outside");
	ok(cidr_list_match(&l, "::1"), "v6 host");
	ok(cidr_list_match(&l, "2001:db8:ffff::1"), "v6 net");
	ok(!cidr_list_match(&l, "2001:db9::1"), "v6 outside");
	ok(cidr_list_match(&l, "::ffff:127.0.0.1"), "v4-mapped counts as v4");
	ok(!cidr_list_match(&l, "garbage"), "garbage never matches");
	cidr_list_free(&l);

	/* xtext */
	char out[64];
	is_int(xtext_decode("FAX+3D+2B12025550100@x", out, sizeof(out)), 18, "xtext decode length");
	is_str(out, "FAX=+12025550100@x", "xtext decode");
	is_int(xtext_decode("a+2", out, sizeof(out)), -1, "truncated escape");
	is_int(xtext_decode("a+zz", out, sizeof(out)), -1, "non-hex escape");
	is_int(xtext_decode("a b", out, sizeof(out)), -1, "space is not xtext");
	is_int(xtext_decode("a=b", out, sizeof(out)), -1, "bare = is not xtext");
	xtext_encode("FAX=+1 x", out, sizeof(out));
	is_str(out, "FAX+3D+2B1+20x", "xtext encode");

	unlink(path);
	return done_testing();
}
