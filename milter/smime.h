/*
 * NAME
 *	smime - S/MIME sender check of a message for the fax gateway
 * SYNOPSIS
 *	#include "smime.h"
 *
 *	smime_t *smime_open(const char *ca_path, char *err, size_t errlen);
 *	void	smime_close(smime_t *sm);
 *	int	smime_verify(const smime_t *sm, const char *raw, size_t len,
 *			smime_result_t *res, char *why, size_t whylen);
 *	int	smime_signer_is(const smime_result_t *res, const char *addr);
 *	void	smime_result_free(smime_result_t *res);
 * DESCRIPTION
 *	The offramp's authentication of the sender (RFC 4161 section 4,
 *	draft-ietf-fax-gateway-protocol section 3.4), done with OpenSSL CMS.
 *
 *	smime_open() loads the trusted CA certificates from ca_path: a PEM
 *	file with one or more certificates, or a directory hashed with
 *	"openssl rehash". The store is read-only afterwards and may be used
 *	by several threads at once. A file must hold at least one
 *	certificate; a directory is only read when a signature is checked
 *	(OpenSSL looks certificates up by subject hash), so an empty one
 *	makes every signer "not trusted".
 *
 *	smime_verify() checks the len bytes at raw (a whole message, header
 *	and body, CRLF or LF line ends), which must be signed at its top
 *	level, either as multipart/signed with an application/pkcs7-signature
 *	(or x-pkcs7-signature) part, or as application/pkcs7-mime signed-data.
 *	The signed part of a multipart/signed is verified in its canonical
 *	form (every line end CRLF), whatever line ends the MTA passed.
 *	Checks, in this order, each with its own status:
 *	  the message is signed			SMIME_UNSIGNED
 *	  the S/MIME structure can be read	SMIME_MALFORMED
 *	  every signature matches the content	SMIME_BAD_SIGNATURE
 *	  every signer's certificate leads to a CA of the store, for the
 *	  S/MIME signing purpose, at the current time
 *						SMIME_UNTRUSTED, or
 *						SMIME_EXPIRED when the chain
 *						fails on a validity period
 *	On SMIME_OK, res->content is a message made of the original header
 *	without its Content-* and MIME-Version fields, then "MIME-Version:
 *	1.0" and the signed MIME entity exactly as verified: what is to be
 *	faxed. Parts outside the signature (a signature part, or anything an
 *	MTA or attacker added next to the signed part) are not in it.
 *	res->signers lists the e-mail addresses of the signers' certificates
 *	(subjectAltName rfc822Name and subject emailAddress), lower case.
 *
 *	smime_signer_is() returns 1 when addr (an addr-spec, any case) is
 *	one of res->signers, else 0 (also for NULL or empty addr).
 *
 *	smime_result_free() releases what smime_verify() put in res; res is
 *	zeroed, and may be freed again.
 * RETURN VALUE
 *	smime_verify() returns SMIME_OK or one of the statuses above, with
 *	why set to a one-line reason fit for an SMTP reply, e.g. "S/MIME
 *	signature does not verify: the message was changed after it was
 *	signed". SMIME_ERROR means local trouble (out of memory): map it to
 *	a temporary failure. res is filled only on SMIME_OK.
 * MEMORY
 *	The caller owns raw and res; call smime_result_free() after every
 *	smime_verify().
 * DIAGNOSTICS
 *	smime_open() returns NULL with err set ("PATH: reason").
 * BUGS
 *	No revocation check (CRL or OCSP). Encrypted (enveloped) mail is
 *	refused as not signed: the gateway has no key to open it.
 */
#ifndef FAXGATE_SMIME_H
#define FAXGATE_SMIME_H

#include <stddef.h>

typedef struct smime smime_t;

enum smime_status {
	SMIME_OK = 0,
	SMIME_UNSIGNED,		/* no S/MIME signature at the top level */
	SMIME_MALFORMED,	/* signed, but the structure cannot be read */
	SMIME_BAD_SIGNATURE,	/* content changed after signing */
	SMIME_UNTRUSTED,	/* signer certificate not from a trusted CA */
	SMIME_EXPIRED,		/* signer (or CA) certificate out of its validity */
	SMIME_ERROR,		/* local trouble: out of memory */
};

typedef struct smime_result {
	char   *content;	/* the message to fax, NUL-terminated */
	size_t	len;
	char  **signers;	/* NULL-terminated, lower case */
} smime_result_t;

smime_t *smime_open(const char *ca_path, char *err, size_t errlen);
void	smime_close(smime_t *sm);
int	smime_verify(const smime_t *sm, const char *raw, size_t len,
		smime_result_t *res, char *why, size_t whylen);
int	smime_signer_is(const smime_result_t *res, const char *addr);
void	smime_result_free(smime_result_t *res);

#endif
