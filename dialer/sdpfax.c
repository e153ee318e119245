/*
 * sdpfax.c - the SDP of a fax call; see sdpfax.h.
 *
 * Sofia-SIP does the SDP syntax; this file reads the fields a fax call
 * needs, normalises the T.38 spellings, and writes SDP text itself
 * (Sofia's printer does not know the T.38 attributes' canonical forms).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include "sdpfax.h"

#define T38_DEFAULT_BIT_RATE	14400
#define LOCAL_DEFAULT_BUFFER	2000
#define LOCAL_DEFAULT_DATAGRAM	1400

/* seterr - format a message into the caller's buffer, returns code */
__attribute__((format(printf, 4, 5)))
static int seterr(int code, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* sdp_fax_strerror - a constant name for an SDP_FAX_E* code */
const char *sdp_fax_strerror(int code)
{
	static const char *const text[] = { "ok", "SDP syntax error",
	    "bad SDP value", "SDP over limits", "no acceptable media",
	    "unacceptable DTLS parameters", "DTLS required but not offered",
	    "output buffer too small", "bad argument" };

	return code <= 0 && -code < (int)(sizeof text / sizeof text[0]) ?
	    text[-code] : "unknown error";
}

/* copy_token - copy src into dst[size], returns 0 or -1 if too long */
static int copy_token(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size)
		return -1;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
	return 0;
}

/* tls_id_ok - check RFC 8842's tls-id syntax, returns 1 when valid */
static int tls_id_ok(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && strchr("+/_-", s[n]) == NULL)
			return 0;
	return n >= 20 && n <= SDP_FAX_TLSID_MAX;
}

/* fp_alg_weak - RFC 8122 §5: never MD5 or MD2, returns 1 when weak */
static int fp_alg_weak(const char *alg)
{
	return strcmp(alg, "md5") == 0 || strcmp(alg, "md2") == 0;
}


/* fp_alg_len - the digest length of a hash name, 0 when unknown */
static size_t fp_alg_len(const char *alg)
{
	static const struct { const char *name; size_t len; } t[] = {
		{ "md2", 16 }, { "md5", 16 }, { "sha-1", 20 },
		{ "sha-224", 28 }, { "sha-256", 32 }, { "sha-384", 48 },
		{ "sha-512", 64 },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(alg, t[i].name) == 0)
			return t[i].len;
	return 0;
}

/* parse_num - 1..9 decimal digits, blanks around allowed, 0 or -1 */
static int parse_num(const char *v, long *out)
{
	long n = 0;
	int digits = 0;

	if (v == NULL)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	for (; isdigit((unsigned char)*v); v++) {
		if (++digits > 9)
			return -1;
		n = n * 10 + (*v - '0');
	}
	while (*v == ' ' || *v == '\t')
		v++;
	if (digits == 0 || *v != '\0')
		return -1;
	*out = n;
	return 0;
}

/* parse_bool - present, 0, 1, true, false; returns 0/1 or -1 */
static int parse_bool(const char *v)
{
	long n;

	if (v == NULL || *v == '\0')
		return 1;
	if (strcasecmp(v, "true") == 0)
		return 1;
	if (strcasecmp(v, "false") == 0)
		return 0;
	if (parse_num(v, &n) == 0 && n <= 1)
		return (int)n;
	return -1;
}

static int is_token(unsigned char c);

/* parse_fingerprint - "alg HEX:HEX..." into *d, returns 0 or -1 */
static int parse_fingerprint(const char *v, sdp_fax_dtls_t *d)
{
	size_t n = 0, want;

	while (*v == ' ')
		v++;
	for (; *v != '\0' && *v != ' '; v++) {
		/* RFC 8122: the hash function is a token; anything else (a
		 * ':' here) would not read back the same from our answer. */
		if (n + 1 >= sizeof d->fp_alg || !is_token((unsigned char)*v))
			return -1;
		d->fp_alg[n++] = (char)tolower((unsigned char)*v);
	}
	d->fp_alg[n] = '\0';
	while (*v == ' ')
		v++;
	for (d->fp_len = 0; *v != '\0'; ) {
		char hex[3] = { v[0], v[0] ? v[1] : 0, 0 };

		if (d->fp_len >= SDP_FAX_FP_MAX || !isxdigit((unsigned char)hex[0])
		    || !isxdigit((unsigned char)hex[1]))
			return -1;
		d->fp[d->fp_len++] = (uint8_t)strtoul(hex, NULL, 16);
		v += 2;
		if (*v == ':' && v[1] != '\0')
			v++;
		else if (*v != '\0' && *v != ' ')
			return -1;
		while (*v == ' ')
			v++;
	}
	want = fp_alg_len(d->fp_alg);
	if (n == 0 || d->fp_len == 0 || (want != 0 && d->fp_len != want))
		return -1;
	return 0;
}

/* keyword - the index of v in a NULL-terminated list (any case), or -1 */
static int keyword(const char *v, const char *const *list)
{
	int i;

	for (i = 0; v != NULL && list[i] != NULL; i++)
		if (strcasecmp(v, list[i]) == 0)
			return i;
	return -1;
}

/* read_dtls - a=setup, a=fingerprint, a=tls-id from a list, 0 or code */
static int read_dtls(const sdp_attribute_t *a, sdp_fax_dtls_t *d,
	char *err, size_t errlen)
{
	static const char *const setups[] = { "", "actpass", "active",
	    "passive", "holdconn", NULL };
	int i;

	for (; a != NULL; a = a->a_next) {
		const char *v = a->a_value ? a->a_value : "";

		if (strcasecmp(a->a_name, "setup") == 0) {
			if ((i = keyword(v, setups)) <= 0)
				break;
			d->setup = (sdp_fax_setup_t)i;
		} else if (strcasecmp(a->a_name, "fingerprint") == 0) {
			if (parse_fingerprint(v, d) != 0)
				break;
		} else if (strcasecmp(a->a_name, "tls-id") == 0) {
			if (!tls_id_ok(v))
				break;
			copy_token(d->tls_id, sizeof d->tls_id, v);
		}
	}
	if (a == NULL)
		return 0;
	return seterr(SDP_FAX_EVALUE, err, errlen, "a=%.20s:%.60s invalid",
	    a->a_name, a->a_value ? a->a_value : "");
}

enum { T_VER, T_RATE, T_BUF, T_DGRAM, T_FBR, T_MMR, T_JBIG, T_TCF, T_EC };

/* read_t38 - the T.38 attributes of the image stream, 0 or code */
static int read_t38(const sdp_attribute_t *a, sdp_fax_image_t *im,
	char *err, size_t errlen)
{
	static const char *const names[] = { "T38FaxVersion", "T38MaxBitRate",
	    "T38FaxMaxBuffer", "T38FaxMaxDatagram", "T38FaxFillBitRemoval",
	    "T38FaxTranscodingMMR", "T38FaxTranscodingJBIG",
	    "T38FaxRateManagement", "T38FaxUdpEC", "T38FaxMaxBitRate", NULL };
	static const char *const tcf[] = { "transferredTCF", "localTCF",
	    "localTFC", NULL };
	static const char *const ecs[] = { "t38UDPNoEC", "t38UDPRedundancy",
	    "t38UDPFEC", NULL };	/* in sdp_fax_ec_t order */
	const char *v;
	long n = 0;
	int what, k = 0;

	for (; a != NULL; a = a->a_next) {
		if ((what = keyword(a->a_name, names)) < 0)
			continue;	/* ECDepth, FECMaxSpan, VendorInfo... */
		what = what == 9 ? T_RATE : what;
		v = a->a_value;
		if ((what <= T_DGRAM && parse_num(v, &n) != 0) ||
		    (what >= T_FBR && what <= T_JBIG && (k = parse_bool(v)) < 0) ||
		    (what == T_TCF && (k = keyword(v, tcf)) < 0) ||
		    (what == T_EC && (k = keyword(v, ecs)) < 0) ||
		    (what == T_DGRAM && n < SDP_FAX_DATAGRAM_MIN))
			return seterr(SDP_FAX_EVALUE, err, errlen,
			    "a=%.30s:%.40s invalid", a->a_name, v ? v : "");
		switch (what) {
		case T_VER:	im->version = n > 3 ? 3 : (int)n; break;
		case T_RATE:	im->max_bit_rate = n == 0 ? T38_DEFAULT_BIT_RATE :
				    n < 2400 ? 2400 : n > 33600 ? 33600 : n; break;
		case T_BUF:	im->max_buffer = n > SDP_FAX_NUM_MAX ?
				    SDP_FAX_NUM_MAX : n; break;
		case T_DGRAM:	im->max_datagram = n > SDP_FAX_DATAGRAM_MAX ?
				    SDP_FAX_DATAGRAM_MAX : n; break;
		case T_FBR:	im->fill_bit_removal = k; break;
		case T_MMR:	im->mmr = k; break;
		case T_JBIG:	im->jbig = k; break;
		case T_TCF:	im->rate_mgmt = k ? SDP_FAX_TCF_LOCAL :
				    SDP_FAX_TCF_TRANSFERRED; break;
		default:	im->ec = (sdp_fax_ec_t)k; break;
		}
	}
	return 0;
}

/* media_addr - the c= address of a stream, or NULL */
static const char *media_addr(const sdp_media_t *m, const char *session)
{
	if (m->m_connections != NULL && m->m_connections->c_address != NULL)
		return m->m_connections->c_address;
	return session;
}

/* read_audio - the selected audio stream, 0 or code */
static int read_audio(const sdp_media_t *m, sdp_fax_audio_t *au,
	const char *session, char *err, size_t errlen)
{
	const sdp_rtpmap_t *rm;
	const sdp_attribute_t *a;
	const char *enc;
	long n;

	au->port = (unsigned)m->m_port;
	au->dir = (sdp_fax_dir_t)m->m_mode;
	au->first = -1;
	if (copy_token(au->addr, sizeof au->addr, media_addr(m, session)))
		return seterr(SDP_FAX_ELIMIT, err, errlen, "address too long");
	for (rm = m->m_rtpmaps; rm != NULL; rm = rm->rm_next) {
		enc = rm->rm_encoding ? rm->rm_encoding : "";
		/* RFC 3551's static types win over a contrary rtpmap */
		if (rm->rm_pt == 0 || rm->rm_pt == 8) {
			*(rm->rm_pt == 0 ? &au->pcmu : &au->pcma) = 1;
			if (au->first < 0)
				au->first = rm->rm_pt;
		} else if (rm->rm_pt >= 96 && au->te_pt < 0 &&
		    strcasecmp(enc, "telephone-event") == 0 &&
		    rm->rm_rate == 8000) {
			au->te_pt = rm->rm_pt;
			/* a bad event list is no reason to refuse the call */
			if (rm->rm_fmtp != NULL &&
			    strspn(rm->rm_fmtp, "0123456789,-") ==
			    strlen(rm->rm_fmtp))
				copy_token(au->te_events, sizeof au->te_events,
				    rm->rm_fmtp);
		}
	}
	if (au->first < 0)
		au->first = 0;
	for (a = m->m_attributes; a != NULL; a = a->a_next)
		if (strcasecmp(a->a_name, "ptime") == 0 &&
		    parse_num(a->a_value, &n) == 0 && n >= 10 && n <= 200)
			au->ptime = (int)n;
	return 0;
}

/* read_image - the selected image stream and its DTLS, 0 or code */
static int read_image(const sdp_session_t *ss, const sdp_media_t *m,
	sdp_fax_t *out, const char *session, char *err, size_t errlen)
{
	sdp_fax_image_t *im = &out->image;
	int rc;

	im->port = (unsigned)m->m_port;
	im->dir = (sdp_fax_dir_t)m->m_mode;
	im->dtls = strcasecmp(m->m_proto_name, "UDP/TLS/UDPTL") == 0;
	im->max_bit_rate = T38_DEFAULT_BIT_RATE;
	if (copy_token(im->addr, sizeof im->addr, media_addr(m, session)))
		return seterr(SDP_FAX_ELIMIT, err, errlen, "address too long");
	if ((rc = read_t38(m->m_attributes, im, err, errlen)) != 0)
		return rc;
	if (!im->dtls)
		return 0;
	/* RFC 8842: session-level DTLS attributes, media level overrides */
	if ((rc = read_dtls(ss->sdp_attributes, &out->dtls, err, errlen)) != 0)
		return rc;
	return read_dtls(m->m_attributes, &out->dtls, err, errlen);
}

/* classify - the kind of one m= line */
static unsigned classify(const sdp_media_t *m)
{
	const sdp_list_t *l;
	const char *proto = m->m_proto_name ? m->m_proto_name : "";

	if (m->m_type == sdp_media_audio && strcasecmp(proto, "RTP/AVP") == 0)
		return SDP_FAX_AUDIO;
	if (m->m_type != sdp_media_image || (strcasecmp(proto, "udptl") != 0 &&
	    strcasecmp(proto, "UDP/TLS/UDPTL") != 0))
		return SDP_FAX_OTHER;
	for (l = m->m_format; l != NULL; l = l->l_next)
		if (l->l_text != NULL && strcasecmp(l->l_text, "t38") == 0)
			return SDP_FAX_IMAGE;
	return SDP_FAX_OTHER;
}

/* read_mlines - classify the m= lines and pick the streams, 0 or code */
static int read_mlines(const sdp_session_t *ss, sdp_fax_t *out,
	const sdp_media_t **ms, char *err, size_t errlen)
{
	const sdp_media_t *m;
	sdp_fax_mline_t *ml;
	char pt[8];
	const char *fmt;
	int i;

	for (m = ss->sdp_media, i = 0; m != NULL; m = m->m_next, i++) {
		if (i >= SDP_FAX_MLINES_MAX)
			return seterr(SDP_FAX_ELIMIT, err, errlen,
			    "more than %d m= lines", SDP_FAX_MLINES_MAX);
		if (m->m_port > 65535)
			return seterr(SDP_FAX_EVALUE, err, errlen,
			    "m= port %lu", m->m_port);
		ms[i] = m;
		ml = &out->mline[i];
		ml->kind = classify(m);
		ml->port = (unsigned)m->m_port;
		fmt = m->m_format && m->m_format->l_text ?
		    m->m_format->l_text : "";
		if (m->m_rtpmaps != NULL) {
			snprintf(pt, sizeof pt, "%u", m->m_rtpmaps->rm_pt);
			fmt = pt;
		}
		if (copy_token(ml->type, sizeof ml->type, m->m_type_name) ||
		    copy_token(ml->proto, sizeof ml->proto, m->m_proto_name) ||
		    copy_token(ml->fmt, sizeof ml->fmt, fmt))
			return seterr(SDP_FAX_ELIMIT, err, errlen,
			    "m= line token too long");
		if (ml->type[0] == '\0' || ml->proto[0] == '\0' || fmt[0] == '\0')
			return seterr(SDP_FAX_ESYNTAX, err, errlen,
			    "m= line incomplete");
		if (ml->kind == SDP_FAX_AUDIO && (out->audio.index < 0 ||
		    (out->mline[out->audio.index].port == 0 && ml->port != 0)))
			out->audio.index = i;
		if (ml->kind == SDP_FAX_IMAGE && (out->image.index < 0 ||
		    (out->mline[out->image.index].port == 0 && ml->port != 0)))
			out->image.index = i;
	}
	out->nmline = i;
	return 0;
}

/* is_token - RFC 4566 token-char, returns 1 or 0 */
static int is_token(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("\"(),/:;<=>?@[\\]", c) == NULL;
}

/* mline_ok - check an m= line's value against RFC 4566, returns 1 or 0 */
static int mline_ok(const char *v, size_t len)
{
	size_t i;
	int field = -1, blank = 1, slashes = 0;
	unsigned char c, prev = 0;

	/*
	 * media SP port ["/" integer] SP proto 1*(SP fmt), blanks tolerated;
	 * proto is token *("/" token). A '/' that starts or ends a field or
	 * follows another would reach the answer we write ("m=x 0 / y"),
	 * which Sofia then refuses: so a '/' only joins two tokens, and the
	 * port has at most one.
	 */
	for (i = 0; i < len; i++) {
		c = (unsigned char)v[i];
		if (c == ' ' || c == '\t' || c == '\r') {
			if (prev == '/')
				return 0;
			blank = 1;
			prev = 0;
			continue;
		}
		field += blank;
		blank = 0;
		if (is_token(c) ? field == 1 && !isdigit(c) :
		    c != '/' || (field != 1 && field != 2))
			return 0;
		if (c == '/' && (prev == 0 || prev == '/' ||
		    (field == 1 && ++slashes > 1)))
			return 0;
		prev = c;
	}
	return field >= 3;
}

/*
 * prescreen - check what Sofia must not see, returns 0 or -1 with err.
 * Sofia-SIP 1.12.11 (Debian 12) allocates sdp_list_t without end, until
 * malloc fails, when an m= line's format list holds a non-token
 * character ("m=image 1 udptl t38 :"): a remote memory exhaustion. So
 * m= lines are checked against RFC 4566's grammar first, and NUL
 * octets are refused everywhere.
 */
static int prescreen(const char *body, size_t len, char *err, size_t errlen)
{
	size_t i, k, end;

	if (memchr(body, '\0', len) != NULL)
		return seterr(SDP_FAX_ESYNTAX, err, errlen, "sdp: NUL octet");
	for (i = 0; i < len; i = end + 1) {
		/* Sofia ends a line at CR, LF or CRLF */
		for (end = i; end < len && body[end] != '\n' &&
		    body[end] != '\r'; end++)
			;
		/* Sofia skips blanks before a line's type and its "=" */
		for (k = i; k < end && (body[k] == ' ' || body[k] == '\t'); k++)
			;
		if (k == end || body[k++] != 'm')
			continue;
		while (k < end && (body[k] == ' ' || body[k] == '\t'))
			k++;
		if (k < end && body[k] == '=' &&
		    !mline_ok(body + k + 1, end - k - 1))
			return seterr(SDP_FAX_ESYNTAX, err, errlen,
			    "sdp: malformed m= line");
	}
	return 0;
}

/* sdp_fax_parse - parse and normalise an SDP body, 0 or SDP_FAX_E* */
int sdp_fax_parse(const char *body, size_t len, sdp_fax_t *out,
	char *err, size_t errlen)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sdp_parser_t *p;
	const sdp_session_t *ss;
	const sdp_media_t *ms[SDP_FAX_MLINES_MAX];
	const char *session = NULL, *perr;
	int rc = 0;

	memset(out, 0, sizeof *out);
	out->audio.index = out->image.index = -1;
	out->audio.te_pt = -1;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (body == NULL)
		return seterr(SDP_FAX_EARG, err, errlen, "no SDP body");
	if (len > 65535)
		return seterr(SDP_FAX_ELIMIT, err, errlen, "SDP body too long");
	if (prescreen(body, len, err, errlen) != 0)
		return SDP_FAX_ESYNTAX;
	p = sdp_parse(home, body, (issize_t)len, 0);
	if ((perr = sdp_parsing_error(p)) != NULL || (ss = sdp_session(p)) == NULL) {
		rc = seterr(SDP_FAX_ESYNTAX, err, errlen, "sdp: %s",
		    perr ? perr : "no session");
		goto done;
	}
	/* Sofia lets some truncated bodies through without an o= line */
	if (ss->sdp_origin == NULL) {
		rc = seterr(SDP_FAX_ESYNTAX, err, errlen, "sdp: no o= line");
		goto done;
	}
	out->sess_id = ss->sdp_origin->o_id;
	out->sess_version = ss->sdp_origin->o_version;
	if (ss->sdp_connection && ss->sdp_connection->c_address)
		session = ss->sdp_connection->c_address;
	else if (ss->sdp_origin && ss->sdp_origin->o_address)
		session = ss->sdp_origin->o_address->c_address;
	if (session == NULL || *session == '\0') {
		rc = seterr(SDP_FAX_ESYNTAX, err, errlen, "sdp: no address");
		goto done;
	}
	if (copy_token(out->addr, sizeof out->addr, session)) {
		rc = seterr(SDP_FAX_ELIMIT, err, errlen, "address too long");
		goto done;
	}
	if ((rc = read_mlines(ss, out, ms, err, errlen)) != 0)
		goto done;
	if (out->audio.index >= 0 && (rc = read_audio(ms[out->audio.index],
	    &out->audio, session, err, errlen)) != 0)
		goto done;
	if (out->image.index >= 0 && (rc = read_image(ss, ms[out->image.index],
	    out, session, err, errlen)) != 0)
		goto done;
	if (out->audio.index >= 0 && out->audio.port != 0)
		out->active |= SDP_FAX_AUDIO;
	if (out->image.index >= 0 && out->image.port != 0)
		out->active |= SDP_FAX_IMAGE;
done:
	sdp_parser_free(p);
	su_home_deinit(home);
	return rc;
}



/* A bounded output buffer: writes past the end only set overflow. */
typedef struct obuf {
	char	*p;
	size_t	len, cap;
	int	overflow;
} obuf_t;

/* put - append formatted text to b */
__attribute__((format(printf, 2, 3)))
static void put(obuf_t *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->overflow = 1;
		b->p[b->len] = '\0';
		return;
	}
	b->len += (size_t)n;
}

/* put_c - a c= line for addr */
static void put_c(obuf_t *b, const char *addr)
{
	put(b, "c=IN %s %s\r\n", strchr(addr, ':') ? "IP6" : "IP4", addr);
}

/* put_dir - the direction attribute, none for sendrecv */
static void put_dir(obuf_t *b, sdp_fax_dir_t dir)
{
	static const char *names[] = { "inactive", "sendonly", "recvonly" };

	if (dir >= SDP_FAX_INACTIVE && dir < SDP_FAX_SENDRECV)
		put(b, "a=%s\r\n", names[dir]);
}

/* put_audio - the m=audio line of the selected audio stream */
static void put_audio(obuf_t *b, const sdp_fax_t *d)
{
	const sdp_fax_audio_t *au = &d->audio;
	int second = au->first == 8 ? 0 : 8;
	int has[2];

	has[0] = au->first == 8 ? au->pcma : au->pcmu;
	has[1] = au->first == 8 ? au->pcmu : au->pcma;
	put(b, "m=audio %u RTP/AVP", au->port);
	if (has[0])
		put(b, " %d", au->first);
	if (has[1])
		put(b, " %d", second);
	if (au->te_pt >= 0)
		put(b, " %d", au->te_pt);
	if (!has[0] && !has[1] && au->te_pt < 0)
		put(b, " %s", d->mline[au->index].fmt);
	put(b, "\r\n");
	if (au->addr[0] != '\0' && strcmp(au->addr, d->addr) != 0)
		put_c(b, au->addr);
	if (has[0])
		put(b, "a=rtpmap:%d %s/8000\r\n", au->first,
		    au->first == 8 ? "PCMA" : "PCMU");
	if (has[1])
		put(b, "a=rtpmap:%d %s/8000\r\n", second,
		    second == 8 ? "PCMA" : "PCMU");
	if (au->te_pt >= 0)
		put(b, "a=rtpmap:%d telephone-event/8000\r\n"
		    "a=fmtp:%d %s\r\n", au->te_pt, au->te_pt,
		    au->te_events[0] ? au->te_events : "0-15");
	if (au->ptime > 0)
		put(b, "a=ptime:%d\r\n", au->ptime);
	put_dir(b, au->dir);
}

/* put_image - the m=image line of the selected image stream */
static void put_image(obuf_t *b, const sdp_fax_t *d)
{
	static const char *ec[] = { "t38UDPNoEC", "t38UDPRedundancy",
	    "t38UDPFEC" };
	static const char *setup[] = { "", "actpass", "active", "passive",
	    "holdconn" };
	const sdp_fax_image_t *im = &d->image;
	size_t i;

	put(b, "m=image %u %s t38\r\n", im->port,
	    im->dtls ? "UDP/TLS/UDPTL" : "udptl");
	if (im->addr[0] != '\0' && strcmp(im->addr, d->addr) != 0)
		put_c(b, im->addr);
	put(b, "a=T38FaxVersion:%d\r\na=T38MaxBitRate:%ld\r\n",
	    im->version, im->max_bit_rate);
	if (im->fill_bit_removal)
		put(b, "a=T38FaxFillBitRemoval\r\n");
	if (im->mmr)
		put(b, "a=T38FaxTranscodingMMR\r\n");
	if (im->jbig)
		put(b, "a=T38FaxTranscodingJBIG\r\n");
	put(b, "a=T38FaxRateManagement:%s\r\n",
	    im->rate_mgmt == SDP_FAX_TCF_LOCAL ? "localTCF" : "transferredTCF");
	if (im->max_buffer > 0)
		put(b, "a=T38FaxMaxBuffer:%ld\r\n", im->max_buffer);
	if (im->max_datagram > 0)
		put(b, "a=T38FaxMaxDatagram:%ld\r\n", im->max_datagram);
	put(b, "a=T38FaxUdpEC:%s\r\n", ec[im->ec <= SDP_FAX_EC_FEC ? im->ec : 0]);
	if (im->dtls) {
		if (d->dtls.setup > SDP_FAX_SETUP_NONE &&
		    d->dtls.setup <= SDP_FAX_SETUP_HOLDCONN)
			put(b, "a=setup:%s\r\n", setup[d->dtls.setup]);
		if (d->dtls.fp_len > 0 && d->dtls.fp_alg[0] != '\0') {
			put(b, "a=fingerprint:%s ", d->dtls.fp_alg);
			for (i = 0; i < d->dtls.fp_len && i < SDP_FAX_FP_MAX; i++)
				put(b, "%s%02X", i ? ":" : "", d->dtls.fp[i]);
			put(b, "\r\n");
		}
		if (d->dtls.tls_id[0] != '\0')
			put(b, "a=tls-id:%s\r\n", d->dtls.tls_id);
	}
	put_dir(b, im->dir);
}

/* sdp_fax_write - print a description, its length or SDP_FAX_ESPACE */
int sdp_fax_write(const sdp_fax_t *d, char *out, size_t outlen)
{
	obuf_t b = { out, 0, outlen, 0 };
	const sdp_fax_mline_t *ml;
	const char *ipv = strchr(d->addr, ':') ? "IP6" : "IP4";
	int i;

	if (out == NULL || outlen == 0)
		return SDP_FAX_ESPACE;
	out[0] = '\0';
	put(&b, "v=0\r\no=faxgate %" PRIu64 " %" PRIu64 " IN %s %s\r\n"
	    "s=faxgate\r\n", d->sess_id, d->sess_version, ipv, d->addr);
	put_c(&b, d->addr);
	put(&b, "t=0 0\r\n");
	for (i = 0; i < d->nmline && i < SDP_FAX_MLINES_MAX; i++) {
		ml = &d->mline[i];
		if (ml->kind == SDP_FAX_AUDIO && i == d->audio.index)
			put_audio(&b, d);
		else if (ml->kind == SDP_FAX_IMAGE && i == d->image.index)
			put_image(&b, d);
		else
			put(&b, "m=%s 0 %s %s\r\n", ml->type, ml->proto, ml->fmt);
	}
	return b.overflow ? SDP_FAX_ESPACE : (int)b.len;
}

/* set_mline - fill one m= line of a description we build */
static void set_mline(sdp_fax_mline_t *ml, unsigned kind, unsigned port)
{
	memset(ml, 0, sizeof *ml);
	ml->kind = kind;
	ml->port = port;
	strcpy(ml->type, kind == SDP_FAX_AUDIO ? "audio" : "image");
	strcpy(ml->proto, kind == SDP_FAX_AUDIO ? "RTP/AVP" : "udptl");
	strcpy(ml->fmt, kind == SDP_FAX_AUDIO ? "0" : "t38");
}

/* local_dtls - our DTLS attributes into *d, returns 0 or code */
static int local_dtls(const sdp_fax_local_t *l, sdp_fax_dtls_t *d,
	char *err, size_t errlen)
{
	const char *alg = l->fp_alg ? l->fp_alg : "sha-256";

	if (l->fp == NULL || l->fp_len == 0 || l->fp_len > SDP_FAX_FP_MAX ||
	    copy_token(d->fp_alg, sizeof d->fp_alg, alg) || fp_alg_weak(alg))
		return seterr(SDP_FAX_EDTLS, err, errlen,
		    "no usable local certificate fingerprint");
	memcpy(d->fp, l->fp, l->fp_len);
	d->fp_len = l->fp_len;
	if (l->tls_id == NULL || !tls_id_ok(l->tls_id))
		return seterr(SDP_FAX_EARG, err, errlen, "bad local tls-id");
	copy_token(d->tls_id, sizeof d->tls_id, l->tls_id);
	return 0;
}

/* local_image - our T.38 parameters as an offer would state them */
static void local_image(const sdp_fax_local_t *l, sdp_fax_image_t *im)
{
	im->port = l->image_port;
	im->version = l->version < 0 ? 0 : l->version > 3 ? 3 : l->version;
	im->max_bit_rate = l->max_bit_rate > 0 ? l->max_bit_rate :
	    T38_DEFAULT_BIT_RATE;
	im->fill_bit_removal = l->fill_bit_removal != 0;
	im->mmr = l->mmr != 0;
	im->jbig = l->jbig != 0;
	im->rate_mgmt = SDP_FAX_TCF_TRANSFERRED;
	im->max_buffer = l->max_buffer > 0 ? l->max_buffer : LOCAL_DEFAULT_BUFFER;
	im->max_datagram = l->max_datagram > 0 ? l->max_datagram :
	    LOCAL_DEFAULT_DATAGRAM;
	im->ec = l->nec > 0 ? l->ec_order[0] : SDP_FAX_EC_FEC;
	im->dir = SDP_FAX_SENDRECV;
}

/* begin_desc - a description with our o= and c=, returns 0 or code */
static int begin_desc(const sdp_fax_local_t *l, sdp_fax_t *d,
	char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	d->audio.index = d->image.index = -1;
	d->audio.te_pt = -1;
	if (l == NULL || l->addr == NULL || l->addr[0] == '\0' ||
	    strpbrk(l->addr, " \r\n") != NULL)
		return seterr(SDP_FAX_EARG, err, errlen, "no local address");
	if (copy_token(d->addr, sizeof d->addr, l->addr))
		return seterr(SDP_FAX_ELIMIT, err, errlen, "address too long");
	d->sess_id = l->sess_id;
	d->sess_version = l->sess_version;
	return 0;
}

/* sdp_fax_write_offer - write our offer, its length or SDP_FAX_E* */
int sdp_fax_write_offer(const sdp_fax_local_t *l, unsigned media,
	char *out, size_t outlen, char *err, size_t errlen)
{
	sdp_fax_t d;
	int rc;

	if ((rc = begin_desc(l, &d, err, errlen)) != 0)
		return rc;
	if ((media & ~(SDP_FAX_AUDIO | SDP_FAX_IMAGE | SDP_FAX_AUDIO0)) ||
	    !(media & (SDP_FAX_AUDIO | SDP_FAX_IMAGE)) ||
	    ((media & SDP_FAX_AUDIO) && (media & SDP_FAX_AUDIO0)) ||
	    ((media & SDP_FAX_AUDIO) && (l->audio_port == 0 ||
	    (l->no_pcmu && l->no_pcma))) ||
	    ((media & SDP_FAX_IMAGE) && l->image_port == 0))
		return seterr(SDP_FAX_EARG, err, errlen, "bad media for offer");
	if (media & SDP_FAX_AUDIO0)
		set_mline(&d.mline[d.nmline++], SDP_FAX_AUDIO, 0);
	if (media & SDP_FAX_AUDIO) {
		d.audio.index = d.nmline;
		set_mline(&d.mline[d.nmline++], SDP_FAX_AUDIO, l->audio_port);
		d.audio.port = l->audio_port;
		d.audio.pcmu = !l->no_pcmu;
		d.audio.pcma = !l->no_pcma;
		d.audio.first = l->no_pcmu ? 8 : 0;
		d.audio.te_pt = l->te_pt < 0 ? -1 : l->te_pt == 0 ? 101 : l->te_pt;
		if (d.audio.te_pt > 127 || (d.audio.te_pt >= 0 && d.audio.te_pt < 96))
			return seterr(SDP_FAX_EARG, err, errlen,
			    "telephone-event PT %d", l->te_pt);
		d.audio.ptime = l->ptime > 0 ? l->ptime : 20;
		d.audio.dir = SDP_FAX_SENDRECV;
	}
	if (media & SDP_FAX_IMAGE) {
		d.image.index = d.nmline;
		set_mline(&d.mline[d.nmline++], SDP_FAX_IMAGE, l->image_port);
		local_image(l, &d.image);
		if (l->dtls_policy != SDP_FAX_DTLS_OFF) {
			d.image.dtls = 1;
			d.dtls.setup = SDP_FAX_SETUP_ACTPASS;
			if ((rc = local_dtls(l, &d.dtls, err, errlen)) != 0)
				return rc;
		}
	}
	if ((rc = sdp_fax_write(&d, out, outlen)) < 0)
		return seterr(rc, err, errlen, "SDP longer than %zu", outlen);
	return rc;
}

/* mirror - the direction of an answer to a stream offered with dir */
static sdp_fax_dir_t mirror(sdp_fax_dir_t dir)
{
	return dir == SDP_FAX_SENDONLY ? SDP_FAX_RECVONLY :
	    dir == SDP_FAX_RECVONLY ? SDP_FAX_SENDONLY : dir;
}

/* pick_ec - the first local preference the offer allows */
static sdp_fax_ec_t pick_ec(const sdp_fax_local_t *l, sdp_fax_ec_t offered)
{
	static const sdp_fax_ec_t dflt[] = { SDP_FAX_EC_FEC,
	    SDP_FAX_EC_REDUNDANCY, SDP_FAX_EC_NONE };
	const sdp_fax_ec_t *order = l->nec > 0 ? l->ec_order : dflt;
	int i, n = l->nec > 0 ? (l->nec > 3 ? 3 : l->nec) : 3;

	/* FEC implies redundancy: Asterisk answers a FEC offer that way */
	for (i = 0; i < n; i++)
		if (order[i] <= offered)
			return order[i];
	return SDP_FAX_EC_NONE;
}

/* answer_image - accept the offered image stream, 0, 1 (rejected) or code */
static int answer_image(const sdp_fax_t *o, const sdp_fax_local_t *l,
	sdp_fax_t *a, sdp_fax_t *ag, char *err, size_t errlen)
{
	const sdp_fax_image_t *oi = &o->image;
	int rc;

	if (oi->index < 0 || oi->port == 0 || l->image_port == 0)
		return 1;
	if (!oi->dtls && l->dtls_policy == SDP_FAX_DTLS_REQUIRE)
		return seterr(SDP_FAX_EPOLICY, err, errlen,
		    "DTLS required, plain UDPTL offered");
	if (oi->dtls && l->dtls_policy == SDP_FAX_DTLS_OFF)
		return 1;
	a->image.index = oi->index;
	a->mline[oi->index].port = l->image_port;
	local_image(l, &a->image);
	a->image.dtls = oi->dtls;
	a->image.version = oi->version < a->image.version ? oi->version :
	    a->image.version;
	if (oi->max_bit_rate < a->image.max_bit_rate)
		a->image.max_bit_rate = oi->max_bit_rate;
	a->image.fill_bit_removal &= oi->fill_bit_removal;
	a->image.mmr &= oi->mmr;
	a->image.jbig &= oi->jbig;
	a->image.rate_mgmt = oi->rate_mgmt;
	a->image.ec = pick_ec(l, oi->ec);
	a->image.dir = mirror(oi->dir);
	if (oi->dtls) {
		if (o->dtls.setup == SDP_FAX_SETUP_HOLDCONN)
			return seterr(SDP_FAX_EDTLS, err, errlen,
			    "a=setup:holdconn offered");
		if (o->dtls.fp_len == 0 || fp_alg_weak(o->dtls.fp_alg))
			return seterr(SDP_FAX_EDTLS, err, errlen,
			    "no usable a=fingerprint offered");
		if ((rc = local_dtls(l, &a->dtls, err, errlen)) != 0)
			return rc;
		a->dtls.setup = o->dtls.setup == SDP_FAX_SETUP_ACTIVE ||
		    o->dtls.setup == SDP_FAX_SETUP_NONE ?
		    SDP_FAX_SETUP_PASSIVE : SDP_FAX_SETUP_ACTIVE;
	}
	ag->image = a->image;
	ag->image.port = oi->port;
	memcpy(ag->image.addr, oi->addr, sizeof ag->image.addr);
	ag->image.max_buffer = oi->max_buffer;
	ag->image.max_datagram = oi->max_datagram;
	ag->dtls = o->dtls;
	ag->dtls.setup = a->dtls.setup;
	ag->active |= SDP_FAX_IMAGE;
	return 0;
}

/* answer_audio - accept the offered audio stream, 0 or 1 (rejected) */
static int answer_audio(const sdp_fax_t *o, const sdp_fax_local_t *l,
	sdp_fax_t *a, sdp_fax_t *ag)
{
	const sdp_fax_audio_t *oa = &o->audio;
	int mu = oa->pcmu && !l->no_pcmu, ma = oa->pcma && !l->no_pcma;

	if (oa->index < 0 || oa->port == 0 || l->audio_port == 0 ||
	    (!mu && !ma))
		return 1;
	a->audio.index = oa->index;
	a->mline[oa->index].port = l->audio_port;
	a->audio.port = l->audio_port;
	a->audio.first = (oa->first == 8 && ma) || !mu ? 8 : 0;
	a->audio.pcmu = a->audio.first == 0;
	a->audio.pcma = a->audio.first == 8;
	a->audio.te_pt = l->te_pt < 0 ? -1 : oa->te_pt;
	a->audio.ptime = l->ptime > 0 ? l->ptime : 20;
	a->audio.dir = mirror(oa->dir);
	ag->audio = a->audio;
	ag->audio.port = oa->port;
	memcpy(ag->audio.addr, oa->addr, sizeof ag->audio.addr);
	memcpy(ag->audio.te_events, oa->te_events, sizeof ag->audio.te_events);
	ag->audio.ptime = oa->ptime;
	ag->active |= SDP_FAX_AUDIO;
	return 0;
}

/* sdp_fax_write_answer - negotiate and write an answer, length or SDP_FAX_E* */
int sdp_fax_write_answer(const sdp_fax_t *o, const sdp_fax_local_t *l,
	char *out, size_t outlen, sdp_fax_t *agreed, char *err, size_t errlen)
{
	sdp_fax_t a, ag;
	int i, rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((rc = begin_desc(l, &a, err, errlen)) != 0)
		return rc;
	if (o == NULL || o->nmline < 0 || o->nmline > SDP_FAX_MLINES_MAX)
		return seterr(SDP_FAX_EARG, err, errlen, "bad offer");
	memset(&ag, 0, sizeof ag);
	ag.audio.index = ag.image.index = -1;
	ag.audio.te_pt = -1;
	a.nmline = o->nmline;
	for (i = 0; i < o->nmline; i++) {
		a.mline[i] = o->mline[i];
		a.mline[i].port = 0;
	}
	if ((rc = answer_image(o, l, &a, &ag, err, errlen)) < 0)
		return rc;
	/* one stream at a time: T.38 accepted means the audio goes */
	if (rc == 1 && answer_audio(o, l, &a, &ag) != 0)
		return seterr(SDP_FAX_ENOMEDIA, err, errlen,
		    "no acceptable stream offered");
	if ((rc = sdp_fax_write(&a, out, outlen)) < 0)
		return seterr(rc, err, errlen, "SDP longer than %zu", outlen);
	if (agreed != NULL) {
		ag.sess_id = o->sess_id;
		ag.sess_version = o->sess_version;
		memcpy(ag.addr, o->addr, sizeof ag.addr);
		ag.nmline = a.nmline;
		memcpy(ag.mline, a.mline, sizeof ag.mline);
		*agreed = ag;
	}
	return rc;
}
