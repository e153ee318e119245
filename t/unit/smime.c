/*
 * smime.c - unit tests for milter/smime.c
 *
 * The certificates and signed messages are made at run time by
 * t/lib/smime-certs.sh (openssl(1)), so nothing expires in the tree.
 * Every refusal is checked with its status and its exact reason, which
 * the milter sends to the client verbatim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "config.h"
#include "intake.h"
#include "smime.h"

static char dir[] = "/tmp/smime-unit.XXXXXX";
static char why[400];

/* slurp - the file DIR/name, NUL-terminated; exits when unreadable */
static char *slurp(const char *name, size_t *len)
{
	char path[256];
	FILE *fp;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "rb")) == NULL || fseek(fp, 0, SEEK_END) < 0 || (n = ftell(fp)) < 0) {
		printf("Bail out! cannot read %s\n", path);
		exit(255);
	}
	rewind(fp);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		printf("Bail out! cannot read %s\n", path);
		exit(255);
	}
	fclose(fp);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* line_ends - a copy with every line end made CRLF (crlf) or LF */
static char *line_ends(const char *s, int crlf, size_t *len)
{
	char *out = malloc(strlen(s) * 2 + 1), *o = out;

	for (; *s; s++) {
		if (*s == '\r' && s[1] == '\n')
			continue;
		if (*s == '\n' && crlf)
			*o++ = '\r';
		*o++ = *s;
	}
	*o = '\0';
	*len = (size_t)(o - out);
	return out;
}

/* replace - a copy of s with the first from replaced by to (NULL if absent) */
static char *replace(const char *s, const char *from, const char *to, size_t *len)
{
	const char *at = strstr(s, from);
	char *out;

	if (!at)
		return NULL;
	out = malloc(strlen(s) + strlen(to) + 1);
	memcpy(out, s, (size_t)(at - s));
	strcpy(out + (at - s), to);
	strcat(out, at + strlen(from));
	*len = strlen(out);
	return out;
}

/* verify - smime_verify() of a C string */
static int verify(const smime_t *sm, const char *msg, smime_result_t *res)
{
	return smime_verify(sm, msg, strlen(msg), res, why, sizeof(why));
}

/* conf - config_load() of text written to DIR/t.conf; err on failure */
static config_t *conf(const char *text, char *err, size_t errlen)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/t.conf", dir);
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) < 0 || fclose(fp) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(255);
	}
	err[0] = '\0';
	return config_load(path, err, errlen);
}

/* config_tests - [policy] smime, smime_ca and the [domain NAME] override */
static void config_tests(void)
{
	char err[512];
	config_t *cf;

	cf = conf("[fax]\ndomains = a.test\n", err, sizeof(err));
	ok(cf && !config_fax_domain(cf, "a.test")->smime_required, "S/MIME is off by default");
	config_free(cf);
	cf = conf("[fax]\ndomains = a.test b.test\n[policy]\nsmime = require\nsmime_ca = /etc/ca.pem\n"
	    "[domain b.test]\nsmime = off\n", err, sizeof(err));
	ok(cf && config_fax_domain(cf, "a.test")->smime_required, "[policy] smime = require applies to every domain");
	ok(cf && !config_fax_domain(cf, "b.test")->smime_required, "[domain b.test] smime = off overrides it");
	is_str(cf ? cf->smime_ca : NULL, "/etc/ca.pem", "smime_ca is kept");
	config_free(cf);
	cf = conf("[fax]\ndomains = a.test b.test\n[policy]\nsmime_ca = /etc/ca.pem\n"
	    "[domain b.test]\nsmime = require\n", err, sizeof(err));
	ok(cf && !config_fax_domain(cf, "a.test")->smime_required && config_fax_domain(cf, "b.test")->smime_required,
	    "one domain alone may require it");
	config_free(cf);
	cf = conf("[fax]\ndomains = a.test\n[policy]\nsmime = yes\n", err, sizeof(err));
	ok(!cf && strstr(err, "smime 'yes' for a.test must be off or require"), "a bad value is refused: %s", err);
	cf = conf("[fax]\ndomains = a.test\n[domain a.test]\nsmime = require\n", err, sizeof(err));
	ok(!cf && strstr(err, "smime = require for a.test needs [policy] smime_ca"),
	    "require without a CA store is refused: %s", err);
}

int main(void)
{
	char cmd[512], err[256], *good, *m, *lf;
	size_t len;
	smime_result_t res;
	smime_t *sm, *hashed;
	int rc;

	if (system("command -v openssl >/dev/null") != 0) {
		printf("1..0 # SKIP openssl(1) is not installed\n");
		return 0;
	}
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 255;
	}
	snprintf(cmd, sizeof(cmd), "bash t/lib/smime-certs.sh %s", dir);
	if (system(cmd) != 0) {
		printf("Bail out! t/lib/smime-certs.sh failed (run from the top of the tree)\n");
		return 255;
	}

	config_tests();

	/* --- the CA store */
	snprintf(cmd, sizeof(cmd), "%s/none.pem", dir);
	ok(smime_open(cmd, err, sizeof(err)) == NULL && strstr(err, "cannot read") != NULL,
	    "a missing CA file is refused: %s", err);
	snprintf(cmd, sizeof(cmd), "%s/content", dir);
	ok(smime_open(cmd, err, sizeof(err)) == NULL && strstr(err, "no usable CA certificate") != NULL,
	    "a file without a certificate is refused: %s", err);
	snprintf(cmd, sizeof(cmd), "%s/ca.pem", dir);
	sm = smime_open(cmd, err, sizeof(err));
	ok(sm != NULL, "the CA file loads");
	snprintf(cmd, sizeof(cmd), "%s/hashed", dir);
	hashed = smime_open(cmd, err, sizeof(err));
	ok(hashed != NULL, "a hashed CA directory loads");
	if (!sm || !hashed) {
		printf("Bail out! no CA store: %s\n", err);
		return 255;
	}

	/* --- a good detached signature, as the MTA passes it (CRLF) */
	good = slurp("good.eml", &len);
	m = line_ends(good, 1, &len);
	rc = smime_verify(sm, m, len, &res, why, sizeof(why));
	is_int(rc, SMIME_OK, "multipart/signed by alice, CRLF line ends: verified");
	is_str(why, "", "no reason on success");
	ok(res.signers && res.signers[0] && !res.signers[1], "one signer address");
	is_str(res.signers ? res.signers[0] : NULL, "alice@sender.test", "the signer address, lower case");
	ok(smime_signer_is(&res, "ALICE@sender.TEST"), "the signer matches in any case");
	ok(!smime_signer_is(&res, "bob@sender.test"), "another address does not match");
	ok(!smime_signer_is(&res, "") && !smime_signer_is(&res, NULL), "no address does not match");
	ok(res.content && strstr(res.content, "Subject: signed fax\r\n") != NULL,
	    "the faxed message keeps the outer header");
	ok(res.content && !strstr(res.content, "multipart/signed") && !strstr(res.content, "pkcs7"),
	    "it no longer has the signature or the multipart/signed type");
	ok(res.content && strstr(res.content, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nHello fax\r\n"),
	    "it is the signed entity, byte for byte");
	{
		intake_t in = { 0 };
		int irc = intake_parse(res.content, res.len, NULL, &in, err, sizeof(err));
		is_int(irc, INTAKE_OK, "intake reads the verified message");
		is_int((long long)in.ndocs, 1, "one document");
		is_str(in.ndocs ? (char *)in.docs[0].data : NULL, "Hello fax\nsecond line\n", "the signed text");
		is_str(in.from, "alice@sender.test", "From: is still there for the signer check");
		intake_free(&in);
	}
	smime_result_free(&res);
	smime_result_free(&res);
	ok(res.content == NULL && res.signers == NULL, "smime_result_free zeroes, and may run twice");
	free(m);

	lf = line_ends(good, 0, &len);
	is_int(smime_verify(hashed, lf, len, &res, why, sizeof(why)), SMIME_OK,
	    "the same with LF line ends, against the hashed directory: verified (canonical CRLF form)");
	smime_result_free(&res);

	/* An outer header folded differently is not part of what was signed. */
	m = replace(lf, "; micalg=", ";\n\tmicalg=", &len);
	is_int(m ? smime_verify(sm, m, len, &res, why, sizeof(why)) : -1, SMIME_OK,
	    "a folded outer Content-Type: verified");
	ok(res.content && !strstr(res.content, "micalg") && !strstr(res.content, "boundary"),
	    "the folded field is dropped with its continuation line");
	smime_result_free(&res);
	free(m);

	/* --- opaque signed-data */
	m = slurp("opaque.eml", &len);
	is_int(smime_verify(sm, m, len, &res, why, sizeof(why)), SMIME_OK, "application/pkcs7-mime signed-data: verified");
	ok(res.content && strstr(res.content, "\r\n\r\nHello fax\r\nsecond line\r\n") && !strstr(res.content, "pkcs7"),
	    "its encapsulated entity is what is faxed");
	smime_result_free(&res);
	free(m);

	/* --- refusals */
	m = replace(lf, "Hello fax", "Hello fay", &len);
	is_int(m ? verify(sm, m, &res) : -1, SMIME_BAD_SIGNATURE, "one changed letter: bad signature");
	is_str(why, "S/MIME signature does not verify: the message was changed after it was signed", "its reason");
	ok(res.content == NULL && res.signers == NULL, "no result on a refusal");
	free(m);
	m = replace(lf, "second line", "second line\n", &len);
	is_int(m ? verify(sm, m, &res) : -1, SMIME_BAD_SIGNATURE, "an added line end: bad signature");
	free(m);

	m = slurp("untrusted.eml", &len);
	is_int(verify(sm, m, &res), SMIME_UNTRUSTED, "signed under an unknown CA: untrusted");
	is_str(why, "S/MIME signer certificate not trusted: unable to get local issuer certificate", "its reason");
	free(m);

	m = slurp("expired.eml", &len);
	is_int(verify(sm, m, &res), SMIME_EXPIRED, "signed with an expired certificate: expired");
	is_str(why, "S/MIME signer certificate has expired", "its reason");
	free(m);

	is_int(verify(sm, "From: a@b.test\r\nSubject: x\r\n\r\nplain text\r\n", &res), SMIME_UNSIGNED,
	    "a plain message: unsigned");
	is_str(why, "S/MIME signature required for faxes: the message is not signed", "its reason");
	is_int(verify(sm, "From: a@b.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n", &res), SMIME_UNSIGNED, "multipart/mixed: unsigned");
	is_int(verify(sm, "From: a@b.test\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/pgp-signature\r\n\r\n"
	    "-----BEGIN PGP SIGNATURE-----\r\nAAAA\r\n-----END PGP SIGNATURE-----\r\n--b--\r\n", &res),
	    SMIME_UNSIGNED, "an OpenPGP multipart/signed: not an S/MIME signature");
	is_str(why, "S/MIME signature required for faxes: the multipart/signed has no S/MIME signature"
	    " (OpenPGP is not accepted)", "its reason");
	is_int(verify(sm, "From: a@b.test\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime;"
	    " smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAAAAAA\r\n", &res),
	    SMIME_MALFORMED, "pkcs7-mime with no CMS inside: malformed");
	ok(strncmp(why, "S/MIME signature cannot be read: ", 33) == 0, "its reason: %s", why);

	/* A part added after the signature would be outside what was signed. */
	{
		const char *b = strstr(lf, "boundary=\"");
		char bnd[100], tail[160], extra[400];
		size_t bl = b ? strcspn(b + 10, "\"") : 0;
		if (bl && bl < sizeof(bnd)) {
			memcpy(bnd, b + 10, bl);
			bnd[bl] = '\0';
			snprintf(tail, sizeof(tail), "--%s--", bnd);
			snprintf(extra, sizeof(extra), "--%s\nContent-Type: application/pdf\n\n%%PDF-1.4 x\n--%s--", bnd, bnd);
			m = replace(lf, tail, extra, &len);
		} else
			m = NULL;
		rc = m ? verify(sm, m, &res) : -1;
		ok(rc == SMIME_MALFORMED, "a third part beside the signed one: malformed (%s)", why);
		free(m);
	}

	m = slurp("nomail.eml", &len);
	is_int(verify(sm, m, &res), SMIME_OK, "a certificate without an address verifies");
	ok(res.signers == NULL && !smime_signer_is(&res, "alice@sender.test"), "but no address matches it");
	smime_result_free(&res);
	free(m);

	free(lf);
	free(good);
	smime_close(sm);
	smime_close(hashed);
	smime_close(NULL);
	if (getenv("SMIME_TEST_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	} else
		diag("kept %s", dir);
	return done_testing();
}
