/*
 * mtacheck.c - unit tests for ctl/mtacheck: milter socket specs, running a
 * program, and every Sendmail finding on written sendmail.cf files (the
 * Postfix side needs postconf: t/86-check-config.t).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "config.h"
#include "mtacheck.h"

static char dir[] = "/tmp/mtacheck-t.XXXXXX";

/* write_file - dir/name with text; returns the path (static) */
static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

/* sendmail - mtacheck_sendmail on a sendmail.cf; its report in out */
static int sendmail(const config_t *cf, const char *cftext, char *out, size_t len)
{
	const char *path = write_file("sendmail.cf", cftext);
	FILE *f = fmemopen(out, len, "w");
	int n;

	n = mtacheck_sendmail(path, cf, f);
	fclose(f);
	return n;
}

static void test_sock_parse(void)
{
	mtacheck_sock_t s;

	is_int(mtacheck_sock_parse("unix:/run/faxgate/milter.sock", &s), 0, "unix: parses");
	ok(s.is_unix && strcmp(s.path, "/run/faxgate/milter.sock") == 0, "unix: the path");
	is_int(mtacheck_sock_parse("local:/x.sock", &s), 0, "local: is unix:");
	ok(s.is_unix && strcmp(s.path, "/x.sock") == 0, "local: the path");
	is_int(mtacheck_sock_parse("inet:8891@127.0.0.1", &s), 0, "inet:PORT@HOST parses");
	ok(!s.is_unix && !s.inet6 && strcmp(s.port, "8891") == 0 && strcmp(s.host, "127.0.0.1") == 0,
	    "inet: port and host");
	is_int(mtacheck_sock_parse("inet:8891", &s), 0, "inet:PORT parses");
	is_str(s.host, "", "inet:PORT: every address");
	is_int(mtacheck_sock_parse("inet6:8891@::1", &s), 0, "inet6: parses");
	ok(s.inet6 && strcmp(s.host, "::1") == 0, "inet6: the host");
	is_int(mtacheck_sock_parse("unix:", &s), -1, "unix: without a path is refused");
	is_int(mtacheck_sock_parse("inet:@host", &s), -1, "inet: without a port is refused");
	is_int(mtacheck_sock_parse("tcp:1@h", &s), -1, "an unknown kind is refused");
}

static void test_run(void)
{
	char out[64], err[256];
	char *echo[] = { (char *)"/bin/echo", (char *)"hello", NULL };
	char *sh[] = { (char *)"/bin/sh", (char *)"-c", (char *)"echo oops >&2; exit 3", NULL };
	char *none[] = { (char *)"/nonexistent/prog", NULL };
	char *big[] = { (char *)"/bin/sh", (char *)"-c",
	    (char *)"i=0; while [ $i -lt 2000 ]; do echo 0123456789; i=$((i+1)); done; exit 0", NULL };

	is_int(mtacheck_run(echo, out, sizeof(out), err, sizeof(err)), 0, "run: exit status 0");
	is_str(out, "hello\n", "run: standard output collected");
	is_int(mtacheck_run(sh, out, sizeof(out), err, sizeof(err)), 3, "run: exit status 3");
	is_str(err, "oops\n", "run: standard error collected apart");
	is_int(mtacheck_run(none, out, sizeof(out), err, sizeof(err)), -1, "run: a missing program is -1");
	ok(strstr(err, "/nonexistent/prog") != NULL, "run: ... and err names it (%s)", err);
	is_int(mtacheck_run(big, out, sizeof(out), err, sizeof(err)), 0,
	    "run: more output than the buffer is read to the end, the child is not blocked");
	is_int((int)strlen(out), (int)sizeof(out) - 1, "run: ... and cut at the buffer");
}

static void test_sendmail(const config_t *cf)
{
	char out[2048];
	const char *good =
	    "C{R}fax.example.test\n"
	    "O InputMailFilters=other,faxgate\n"
	    "Xfaxgate, S=inet:9999@127.0.0.1, F=T, T=C:5s;S:10s;R:10s;E:30s\n";
	char cfg[1024];

	is_int(sendmail(cf, good, out, sizeof(out)), 0, "sendmail: a good sendmail.cf");
	is_str(out, "", "sendmail: nothing reported");
	is_int(sendmail(cf, "CRfax.example.test other.test\nO InputMailFilters=faxgate\n"
	    "Xfaxgate, S=inet:9999@localhost, F=R\n", out, sizeof(out)), 0,
	    "sendmail: CR, F=R and localhost for 127.0.0.1");

	snprintf(cfg, sizeof(cfg), "FR-o %s/relay-domains\nO InputMailFilters=faxgate\n"
	    "Xfaxgate, S=inet:9999@127.0.0.1, F=T\n", dir);
	write_file("relay-domains", "# relayed\nfax.example.test\n");
	is_int(sendmail(cf, cfg, out, sizeof(out)), 0, "sendmail: the domain in the FR file");

	is_int(sendmail(cf, "C{R}fax.example.test\nO InputMailFilters=faxgate\n"
	    "Xfaxgate, S=inet:9998@127.0.0.1, F=T\n", out, sizeof(out)), 1,
	    "sendmail: a filter on another port");
	ok(strstr(out, "no INPUT_MAIL_FILTER has S=inet:9999@127.0.0.1\n") != NULL,
	    "sendmail: ... is no filter of ours");

	is_int(sendmail(cf, "C{R}fax.example.test\nO InputMailFilters=other\n"
	    "Xfaxgate, S=inet:9999@127.0.0.1, F=T\n", out, sizeof(out)), 1,
	    "sendmail: our filter not in InputMailFilters");
	ok(strstr(out, "filter faxgate (S=inet:9999@127.0.0.1) is not in InputMailFilters (other)\n")
	    != NULL, "sendmail: ... says so");

	is_int(sendmail(cf, "C{R}fax.example.test\nO InputMailFilters=faxgate\n"
	    "Xfaxgate, S=inet:9999@127.0.0.1, T=C:5s\n", out, sizeof(out)), 1,
	    "sendmail: a filter without F=T");
	ok(strstr(out, "filter faxgate has no F=: while the milter is down") != NULL,
	    "sendmail: ... says so");

	is_int(sendmail(cf, "C{R}other.test\nO InputMailFilters=faxgate\n"
	    "Xfaxgate, S=inet:9999@127.0.0.1, F=T\n", out, sizeof(out)), 1,
	    "sendmail: the fax domain not relayed");
	ok(strstr(out, "fax domain fax.example.test is not in class R (RELAY_DOMAIN)") != NULL,
	    "sendmail: ... says so");

	is_int(sendmail(cf, "", out, sizeof(out)), 2, "sendmail: an empty file: two problems");
	FILE *f = fmemopen(out, sizeof(out), "w");
	is_int(mtacheck_sendmail("/nonexistent/sendmail.cf", cf, f), 1,
	    "sendmail: a missing file is one problem");
	fclose(f);
	is_str(out, "sendmail: /nonexistent/sendmail.cf: No such file or directory\n",
	    "sendmail: ... with its reason");
}

int main(void)
{
	char err[256];
	config_t *cf;

	if (!mkdtemp(dir))
		return 1;
	cf = config_load(write_file("faxgate.conf", "[general]\nhostname = gw.example.test\n"
	    "[milter]\nsocket = inet:9999@127.0.0.1\n[fax]\ndomains = fax.example.test\n"),
	    err, sizeof(err));
	ok(cf != NULL, "a configuration (%s)", cf ? "loaded" : err);
	test_sock_parse();
	test_run();
	if (cf)
		test_sendmail(cf);
	config_free(cf);
	unlink(write_file("faxgate.conf", ""));
	unlink(write_file("sendmail.cf", ""));
	unlink(write_file("relay-domains", ""));
	rmdir(dir);
	return done_testing();
}
