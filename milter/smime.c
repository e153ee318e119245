/*
 * smime.c - S/MIME sender check with OpenSSL CMS; see smime.h.
 *
 * OpenSSL's own S/MIME reader (SMIME_read_CMS) splits a multipart/signed
 * and hands back the signed part with every line end made CRLF, which is
 * the canonical form the signer hashed (RFC 8551 section 3.1.1). That
 * matters here because the milter sees the body as the MTA passes it,
 * not as the client sent it. The signature is checked first and the
 * certificate chain second, each on its own, so that a changed message
 * and an unknown CA get different replies; CMS_verify() alone reports
 * both as one failure.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "smime.h"

struct smime {
	X509_STORE *store;
};

/* smime_open - load the trusted CAs from a file or hashed directory */
smime_t *smime_open(const char *ca_path, char *err, size_t errlen)
{
	struct stat st;
	smime_t *sm;
	int ok;

	if (!ca_path || !*ca_path) {
		snprintf(err, errlen, "S/MIME CA path is empty");
		return NULL;
	}
	if (stat(ca_path, &st) < 0) {
		snprintf(err, errlen, "%s: cannot read the S/MIME CA file or directory", ca_path);
		return NULL;
	}
	if ((sm = calloc(1, sizeof(*sm))) == NULL || (sm->store = X509_STORE_new()) == NULL) {
		free(sm);
		snprintf(err, errlen, "%s: out of memory", ca_path);
		return NULL;
	}
	ERR_clear_error();
	ok = S_ISDIR(st.st_mode) ? X509_STORE_load_path(sm->store, ca_path)
	    : X509_STORE_load_file(sm->store, ca_path);
	/* A file without a single certificate would make every signature
	 * "untrusted": say so at start-up instead. */
	if (ok == 1 && !S_ISDIR(st.st_mode)) {
		STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(sm->store);
		ok = objs && sk_X509_OBJECT_num(objs) > 0;
	}
	if (ok != 1) {
		snprintf(err, errlen, "%s: no usable CA certificate (%s)", ca_path,
		    ERR_peek_last_error() ? ERR_reason_error_string(ERR_peek_last_error()) : "none found");
		ERR_clear_error();
		smime_close(sm);
		return NULL;
	}
	return sm;
}

/* smime_close - free the CA store */
void smime_close(smime_t *sm)
{
	if (!sm)
		return;
	X509_STORE_free(sm->store);
	free(sm);
}

/* smime_result_free - release a result, leaving it zeroed */
void smime_result_free(smime_result_t *res)
{
	if (!res)
		return;
	free(res->content);
	for (char **s = res->signers; s && *s; s++)
		free(*s);
	free(res->signers);
	memset(res, 0, sizeof(*res));
}

/* smime_signer_is - is addr one of the signers' addresses? 1 or 0 */
int smime_signer_is(const smime_result_t *res, const char *addr)
{
	if (!res || !addr || !*addr)
		return 0;
	for (char **s = res->signers; s && *s; s++)
		if (strcasecmp(*s, addr) == 0)
			return 1;
	return 0;
}

/* header_field_dropped - does the field at line start (len bytes) go? */
static int header_field_dropped(const char *line, size_t len)
{
	return (len >= 8 && strncasecmp(line, "Content-", 8) == 0) ||
	    (len >= 13 && strncasecmp(line, "MIME-Version:", 13) == 0) ||
	    (len >= 13 && strncasecmp(line, "MIME-Version ", 13) == 0);
}

/*
 * rebuild - the outer header without its MIME fields, then the verified
 * entity; returns the malloc()ed message or NULL (out of memory)
 */
static char *rebuild(const char *raw, size_t len, const char *entity, size_t elen, size_t *outlen)
{
	static const char mv[] = "MIME-Version: 1.0\r\n";
	char *out = malloc(len + sizeof(mv) + elen + 1), *o = out;
	const char *p = raw, *end = raw + len;
	int dropping = 0;

	if (!out)
		return NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (n == 1 || (n == 2 && p[0] == '\r'))
			break;		/* the empty line: end of the header */
		/* A line starting with white space continues the field. */
		if (p[0] != ' ' && p[0] != '\t')
			dropping = header_field_dropped(p, n);
		if (!dropping) {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	memcpy(o, mv, sizeof(mv) - 1);
	o += sizeof(mv) - 1;
	memcpy(o, entity, elen);
	o += elen;
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}

/* read_failure - why SMIME_read_CMS gave up, as a status */
static int read_failure(char *why, size_t whylen)
{
	unsigned long e = ERR_peek_last_error();
	int reason = ERR_GET_REASON(e);

	if (ERR_GET_LIB(e) == ERR_LIB_ASN1 && (reason == ASN1_R_INVALID_MIME_TYPE ||
	    reason == ASN1_R_NO_CONTENT_TYPE || reason == ASN1_R_MIME_NO_CONTENT_TYPE)) {
		snprintf(why, whylen, "S/MIME signature required for faxes: the message is not signed");
		return SMIME_UNSIGNED;
	}
	if (ERR_GET_LIB(e) == ERR_LIB_ASN1 && reason == ASN1_R_SIG_INVALID_MIME_TYPE) {
		snprintf(why, whylen, "S/MIME signature required for faxes: the multipart/signed"
		    " has no S/MIME signature (OpenPGP is not accepted)");
		return SMIME_UNSIGNED;
	}
	if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE) {
		snprintf(why, whylen, "out of memory reading the S/MIME message");
		return SMIME_ERROR;
	}
	snprintf(why, whylen, "S/MIME signature cannot be read: %s",
	    e && ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "unknown structure");
	return SMIME_MALFORMED;
}

/* content_failure - why the signature check (no chain) failed, as a status */
static int content_failure(char *why, size_t whylen)
{
	unsigned long e = ERR_peek_error();	/* the first: the cause */
	int reason = ERR_GET_REASON(e);

	if (ERR_GET_LIB(e) == ERR_LIB_CMS && reason == CMS_R_SIGNER_CERTIFICATE_NOT_FOUND) {
		snprintf(why, whylen, "S/MIME signer certificate not trusted: the message does not carry it");
		return SMIME_UNTRUSTED;
	}
	if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE) {
		snprintf(why, whylen, "out of memory verifying the S/MIME signature");
		return SMIME_ERROR;
	}
	if (ERR_GET_LIB(e) == ERR_LIB_CMS && (reason == CMS_R_VERIFICATION_FAILURE ||
	    reason == CMS_R_CONTENT_VERIFY_ERROR || reason == CMS_R_MESSAGEDIGEST_WRONG_LENGTH ||
	    reason == CMS_R_ATTRIBUTE_ERROR)) {
		snprintf(why, whylen, "S/MIME signature does not verify: the message was changed after it was signed");
		return SMIME_BAD_SIGNATURE;
	}
	snprintf(why, whylen, "S/MIME signature does not verify: %s",
	    e && ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "unknown error");
	return SMIME_BAD_SIGNATURE;
}

/* chain_check - signer's certificate against the store; SMIME_OK or a status */
static int chain_check(const smime_t *sm, X509 *signer, STACK_OF(X509) *untrusted, char *why, size_t whylen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = SMIME_OK, verr;

	if (!ctx || !X509_STORE_CTX_init(ctx, sm->store, signer, untrusted)) {
		X509_STORE_CTX_free(ctx);
		snprintf(why, whylen, "out of memory checking the S/MIME certificate");
		return SMIME_ERROR;
	}
	/* The same purpose CMS_verify() uses: key usage and extended key
	 * usage must allow e-mail signing when the certificate has them. */
	X509_STORE_CTX_set_default(ctx, "smime_sign");
	if (X509_verify_cert(ctx) <= 0) {
		verr = X509_STORE_CTX_get_error(ctx);
		if (verr == X509_V_ERR_CERT_HAS_EXPIRED || verr == X509_V_ERR_CERT_NOT_YET_VALID) {
			snprintf(why, whylen, "S/MIME signer certificate %s",
			    verr == X509_V_ERR_CERT_HAS_EXPIRED ? "has expired" : "is not valid yet");
			rc = SMIME_EXPIRED;
		} else {
			snprintf(why, whylen, "S/MIME signer certificate not trusted: %s",
			    X509_verify_cert_error_string(verr));
			rc = SMIME_UNTRUSTED;
		}
	}
	X509_STORE_CTX_free(ctx);
	return rc;
}

/* add_emails - append cert's addresses to *list (n so far); 0 or -1 */
static int add_emails(X509 *cert, char ***list, size_t *n)
{
	STACK_OF(OPENSSL_STRING) *emails = X509_get1_email(cert);
	int rc = 0;

	for (int i = 0; emails && i < sk_OPENSSL_STRING_num(emails); i++) {
		char **nl = realloc(*list, (*n + 2) * sizeof(**list));
		char *s = nl ? strdup(sk_OPENSSL_STRING_value(emails, i)) : NULL;
		if (nl)
			*list = nl;
		if (!s) {
			rc = -1;
			break;
		}
		for (char *c = s; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		(*list)[(*n)++] = s;
		(*list)[*n] = NULL;
	}
	X509_email_free(emails);
	return rc;
}

/* smime_verify - check the top-level signature of a message; see smime.h */
int smime_verify(const smime_t *sm, const char *raw, size_t len,
    smime_result_t *res, char *why, size_t whylen)
{
	BIO *in = NULL, *bcont = NULL, *dcont = NULL;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *signers = NULL, *certs = NULL;
	ASN1_OCTET_STRING **opaque;
	char *detached = NULL;
	const char *entity;
	long dlen = 0, elen;
	size_t nsig = 0;
	int rc = SMIME_ERROR;

	memset(res, 0, sizeof(*res));
	snprintf(why, whylen, "out of memory verifying the S/MIME signature");
	if (len > INT_MAX) {
		snprintf(why, whylen, "S/MIME signature cannot be read: the message is too big");
		return SMIME_MALFORMED;
	}
	ERR_clear_error();
	if ((in = BIO_new_mem_buf(raw, (int)len)) == NULL)
		goto out;
	if ((cms = SMIME_read_CMS(in, &bcont)) == NULL) {
		rc = read_failure(why, whylen);
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		snprintf(why, whylen, "S/MIME signature required for faxes: the message is %s, not signed",
		    OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_enveloped ? "encrypted" : "S/MIME");
		rc = SMIME_UNSIGNED;
		goto out;
	}
	if (sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) <= 0) {
		snprintf(why, whylen, "S/MIME signature required for faxes: the S/MIME part holds no signature");
		rc = SMIME_UNSIGNED;
		goto out;
	}
	/* A private read-only copy of the signed part: CMS_verify() reads
	 * it once, and it must not depend on the reader's BIO state. */
	if (bcont) {
		char *p;
		dlen = BIO_get_mem_data(bcont, &p);
		if (dlen < 0 || (detached = malloc((size_t)dlen + 1)) == NULL)
			goto out;
		memcpy(detached, p, (size_t)dlen);
		if ((dcont = BIO_new_mem_buf(detached, (int)dlen)) == NULL)
			goto out;
	}
	/* Pass 1: the signatures against the content, no chain yet. No
	 * output BIO: the content is taken from where it already is, which
	 * spares a copy through a memory BIO (slow for megabytes). */
	if (CMS_verify(cms, NULL, NULL, dcont, NULL, CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		rc = content_failure(why, whylen);
		goto out;
	}
	/* Pass 2: every signer's chain. */
	if ((signers = CMS_get0_signers(cms)) == NULL)
		goto out;
	certs = CMS_get1_certs(cms);
	for (int i = 0; i < sk_X509_num(signers); i++) {
		X509 *s = sk_X509_value(signers, i);
		if ((rc = chain_check(sm, s, certs, why, whylen)) != SMIME_OK)
			goto out;
		if (add_emails(s, &res->signers, &nsig) < 0) {
			rc = SMIME_ERROR;
			goto out;
		}
	}
	rc = SMIME_ERROR;
	if (detached) {
		entity = detached;
		elen = dlen;
	} else if ((opaque = CMS_get0_content(cms)) != NULL && *opaque) {
		entity = (const char *)ASN1_STRING_get0_data(*opaque);
		elen = ASN1_STRING_length(*opaque);
	} else
		goto out;	/* cannot be: pass 1 had content to check */
	if ((res->content = rebuild(raw, len, entity, (size_t)elen, &res->len)) == NULL)
		goto out;
	why[0] = '\0';
	rc = SMIME_OK;
out:
	if (rc != SMIME_OK)
		smime_result_free(res);
	sk_X509_free(signers);
	sk_X509_pop_free(certs, X509_free);
	BIO_free(dcont);
	free(detached);
	BIO_free(bcont);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}
