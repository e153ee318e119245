/*
 * sdpfax.c - unit tests for dialer/sdpfax.c: spellings, both T.38
 * re-INVITE forms, G.711 with telephone-event, DTLS, negotiation,
 * policy, malformed and absurd input, and the round trip.
 */
#include "tap.h"
#include "sdpfax.h"

#include <stdlib.h>
#include <string.h>

#define HDR "v=0\r\no=- 10 20 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
#define FP32 "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:" \
	"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
#define TLSID "abcdefghijklmnopqrstuvwxyz0123456789+/_-"

static char err[256], buf[4096];

static int P(const char *s, sdp_fax_t *d)
{
	return sdp_fax_parse(s, strlen(s), d, err, sizeof err);
}

static const uint8_t our_fp[32] = { 0xde, 0xad, 0xbe, 0xef, 0x01 };

static sdp_fax_local_t local(void)
{
	sdp_fax_local_t l;

	memset(&l, 0, sizeof l);
	l.addr = "198.51.100.7";
	l.sess_id = 1;
	l.sess_version = 2;
	l.audio_port = 4000;
	l.image_port = 4002;
	l.version = 3;
	l.max_bit_rate = 14400;
	l.fp = our_fp;
	l.fp_len = sizeof our_fp;
	l.tls_id = TLSID;
	return l;
}

/* roundtrip - parse, write, parse, write: both writes equal */
static int roundtrip(const char *s)
{
	sdp_fax_t a, b;
	static char w1[4096], w2[4096];

	if (P(s, &a) != 0 || sdp_fax_write(&a, w1, sizeof w1) < 0 ||
	    P(w1, &b) != 0 || sdp_fax_write(&b, w2, sizeof w2) < 0)
		return 0;
	if (strcmp(w1, w2) != 0)
		diag("w1:\n%s\nw2:\n%s", w1, w2);
	return strcmp(w1, w2) == 0 && a.active == b.active &&
	    a.image.version == b.image.version && a.image.ec == b.image.ec &&
	    a.dtls.fp_len == b.dtls.fp_len &&
	    memcmp(a.dtls.fp, b.dtls.fp, a.dtls.fp_len) == 0 &&
	    a.audio.te_pt == b.audio.te_pt && a.nmline == b.nmline;
}

static void spellings(void)
{
	sdp_fax_t d;

	is_int(P(HDR "m=image 5000 udptl t38\r\na=T38FaxVersion:1\r\n"
	    "a=T38maxBitRate:9600\r\na=T38FaxFillBitRemoval\r\n"
	    "a=T38FaxTranscodingMMR:0\r\na=T38FaxTranscodingJBIG:1\r\n"
	    "a=T38FaxRateManagement:localTFC\r\na=T38FaxMaxBuffer:262\r\n"
	    "a=T38FaxMaxDatagram:176\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n",
	    &d), 0, "rtpengine/Asterisk-style image parses");
	is_int(d.image.version, 1, "T38FaxVersion");
	is_int(d.image.max_bit_rate, 9600, "T38maxBitRate spelling");
	is_int(d.image.fill_bit_removal, 1, "boolean present = true");
	is_int(d.image.mmr, 0, "boolean :0");
	is_int(d.image.jbig, 1, "boolean :1");
	is_int(d.image.rate_mgmt, SDP_FAX_TCF_LOCAL, "localTFC = localTCF");
	is_int(d.image.max_buffer, 262, "T38FaxMaxBuffer");
	is_int(d.image.max_datagram, 176, "T38FaxMaxDatagram");
	is_int(d.image.ec, SDP_FAX_EC_REDUNDANCY, "t38UDPRedundancy");
	is_int(d.image.dtls, 0, "plain udptl");
	is_int(P(HDR "m=image 5000 UDPTL t38\r\na=t38maxbitrate:14400\r\n"
	    "a=T38FaxRateManagement:transferredTCF\r\na=T38FaxUdpEC:t38UDPFEC\r\n"
	    "a=T38FaxFillBitRemoval:false\r\n", &d), 0, "case variants parse");
	is_int(d.image.max_bit_rate, 14400, "lower-case name");
	is_int(d.image.ec, SDP_FAX_EC_FEC, "t38UDPFEC");
	is_int(d.image.rate_mgmt, SDP_FAX_TCF_TRANSFERRED, "transferredTCF");
	is_int(d.image.fill_bit_removal, 0, "boolean :false");
	is_int(P(HDR "m=image 5000 udptl t38\r\na=T38FaxRateManagement:localTCF\r\n"
	    "a=T38FaxUdpEC:t38UDPNoEC\r\n", &d), 0, "localTCF / NoEC");
	is_int(d.image.rate_mgmt, SDP_FAX_TCF_LOCAL, "localTCF");
	is_int(d.image.ec, SDP_FAX_EC_NONE, "t38UDPNoEC");
	is_int(d.image.version, 0, "version absent = 0");
	is_int(d.image.max_datagram, 0, "datagram absent = 0");
}

static void reinvite_forms(void)
{
	sdp_fax_t d;

	is_int(P(HDR "m=image 5002 udptl t38\r\na=T38FaxVersion:0\r\n", &d), 0,
	    "replacing m=image");
	is_int(d.active, SDP_FAX_IMAGE, "  only image active");
	is_int(d.nmline, 1, "  one m= line");
	is_int(P(HDR "m=audio 0 RTP/AVP 0\r\nm=image 5002 udptl t38\r\n", &d),
	    0, "m=audio 0 + m=image");
	is_int(d.active, SDP_FAX_IMAGE, "  only image active");
	is_int(d.nmline, 2, "  two m= lines");
	is_int(d.image.index, 1, "  image is line 2");
	is_int(d.audio.port, 0, "  audio port 0");
	is_int(P(HDR "m=audio 4000 RTP/AVP 0\r\nm=image 5002 udptl t38\r\n", &d),
	    0, "audio + image both offered");
	is_int(d.active, SDP_FAX_AUDIO | SDP_FAX_IMAGE, "  both active");
	is_int(P(HDR "m=audio 0 RTP/AVP 0\r\nm=audio 4000 RTP/AVP 8\r\n"
	    "m=video 0 RTP/AVP 31\r\n", &d), 0, "two audio lines");
	is_int(d.audio.index, 1, "  the one with a port is chosen");
	is_int(d.mline[2].kind, SDP_FAX_OTHER, "  video is other");
}

static void g711(void)
{
	sdp_fax_t d;

	is_int(P(HDR "m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\n"
	    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
	    "a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n", &d), 0,
	    "G.711 offer with telephone-event");
	is_int(d.active, SDP_FAX_AUDIO, "  audio active");
	ok(d.audio.pcmu && d.audio.pcma, "  PCMU and PCMA");
	is_int(d.audio.first, 8, "  PCMA preferred");
	is_int(d.audio.te_pt, 101, "  telephone-event PT");
	is_str(d.audio.te_events, "0-16", "  its events");
	is_int(d.audio.ptime, 20, "  ptime");
	is_int(d.audio.dir, SDP_FAX_SENDRECV, "  sendrecv");
	is_int(P(HDR "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 203.0.113.9\r\n"
	    "a=sendonly\r\n", &d), 0, "static PT without rtpmap");
	ok(d.audio.pcmu && !d.audio.pcma && d.audio.te_pt == -1, "  PCMU only");
	is_str(d.audio.addr, "203.0.113.9", "  media-level c=");
	is_int(d.audio.dir, SDP_FAX_SENDONLY, "  sendonly");
}

static void dtls(void)
{
	sdp_fax_t d;
	int i, exact = 1;

	is_int(P(HDR "m=image 5000 UDP/TLS/UDPTL t38\r\na=setup:actpass\r\n"
	    "a=fingerprint:SHA-256 " FP32 "\r\na=tls-id:" TLSID "\r\n"
	    "a=T38FaxVersion:2\r\n", &d), 0, "DTLS offer parses");
	is_int(d.image.dtls, 1, "  UDP/TLS/UDPTL");
	is_int(d.dtls.setup, SDP_FAX_SETUP_ACTPASS, "  actpass");
	is_str(d.dtls.fp_alg, "sha-256", "  algorithm lower-cased");
	is_int((long long)d.dtls.fp_len, 32, "  32 octets");
	for (i = 0; i < 32; i++)
		exact &= d.dtls.fp[i] == (uint8_t[]){ 0xab, 0xcd, 0xef, 0x01,
		    0x23, 0x45, 0x67, 0x89 }[i % 8];
	ok(exact, "  fingerprint bytes exact");
	is_str(d.dtls.tls_id, TLSID, "  tls-id");
	ok(sdp_fax_write(&d, buf, sizeof buf) > 0 &&
	    strstr(buf, "a=fingerprint:sha-256 " FP32 "\r\n") != NULL,
	    "  written back in upper-case hex");
	is_int(P(HDR "a=fingerprint:sha-256 " FP32 "\r\n"
	    "m=image 5000 UDP/TLS/UDPTL t38\r\na=setup:passive\r\n", &d), 0,
	    "session-level fingerprint");
	is_int((long long)d.dtls.fp_len, 32, "  taken");
	is_int(P(HDR "m=image 5000 UDP/TLS/UDPTL t38\r\n"
	    "a=fingerprint:sha-256 AB:CD\r\n", &d), SDP_FAX_EVALUE,
	    "short sha-256 fingerprint refused");
	is_int(P(HDR "m=image 5000 UDP/TLS/UDPTL t38\r\na=tls-id:short\r\n", &d),
	    SDP_FAX_EVALUE, "short tls-id refused");
	is_int(P(HDR "m=image 5000 UDP/TLS/UDPTL t38\r\na=setup:sideways\r\n", &d),
	    SDP_FAX_EVALUE, "unknown setup refused");
}

static void answers(void)
{
	sdp_fax_local_t l = local();
	sdp_fax_t o, ag, back;
	int n;

	P(HDR "m=image 5000 udptl t38\r\na=T38FaxVersion:1\r\n"
	    "a=T38MaxBitRate:33600\r\na=T38FaxMaxDatagram:400\r\n"
	    "a=T38FaxUdpEC:t38UDPFEC\r\na=T38FaxFillBitRemoval\r\n", &o);
	n = sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err);
	ok(n > 0, "answer to a v1 FEC offer (%s)", err);
	is_int(ag.image.version, 1, "  version = min(1, 3)");
	is_int(ag.image.max_bit_rate, 14400, "  bit rate = min");
	is_int(ag.image.ec, SDP_FAX_EC_FEC, "  FEC by default preference");
	is_int(ag.image.max_datagram, 400, "  far datagram for our sending");
	is_int(ag.image.fill_bit_removal, 0, "  fill-bit removal: we do not");
	is_int(ag.active, SDP_FAX_IMAGE, "  image agreed");
	is_int(P(buf, &back), 0, "  answer parses");
	is_int(back.image.max_datagram, 1400, "  advertises our datagram");
	is_int(back.image.port, 4002, "  our port");
	ok(strstr(buf, "a=T38MaxBitRate:14400\r\n") != NULL, "  canonical spelling");

	l.nec = 2;
	l.ec_order[0] = SDP_FAX_EC_REDUNDANCY;
	l.ec_order[1] = SDP_FAX_EC_NONE;
	sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err);
	is_int(ag.image.ec, SDP_FAX_EC_REDUNDANCY, "FEC offer, we prefer redundancy");
	P(HDR "m=image 5000 udptl t38\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n", &o);
	l = local();
	l.nec = 1;
	l.ec_order[0] = SDP_FAX_EC_FEC;
	sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err);
	is_int(ag.image.ec, SDP_FAX_EC_NONE, "redundancy offer, FEC only here: none");
	l = local();
	P(HDR "m=image 5000 udptl t38\r\na=T38FaxVersion:3\r\n", &o);
	l.version = 0;
	sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err);
	is_int(ag.image.version, 0, "v3 offer, v0 here: 0");
	is_int(ag.image.ec, SDP_FAX_EC_NONE, "no EC attribute: none");

	l = local();
	P(HDR "m=audio 0 RTP/AVP 0\r\nm=image 5000 udptl t38\r\n", &o);
	n = sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err);
	ok(n > 0 && strstr(buf, "m=audio 0 RTP/AVP 0\r\nm=image 4002 udptl t38\r\n"),
	    "audio 0 + image answered line for line");
	P(HDR "m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
	    "a=fmtp:101 0-15\r\nm=video 5000 RTP/AVP 31\r\n", &o);
	n = sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err);
	ok(n > 0 && strstr(buf, "m=audio 4000 RTP/AVP 8 101\r\n") &&
	    strstr(buf, "a=fmtp:101 0-15\r\n") && strstr(buf, "m=video 0 RTP/AVP 31\r\n"),
	    "G.711 answer: PCMA, telephone-event, video rejected");
	is_int(ag.audio.first, 8, "  agreed PCMA");
	is_int(ag.active, SDP_FAX_AUDIO, "  audio agreed");
	l.no_pcma = 1;
	P(HDR "m=audio 4000 RTP/AVP 8\r\n", &o);
	is_int(sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err),
	    SDP_FAX_ENOMEDIA, "no common codec: ENOMEDIA");
	l = local();
	P(HDR "m=audio 4000 RTP/AVP 0\r\nm=image 5000 udptl t38\r\n", &o);
	sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err);
	ok(strstr(buf, "m=audio 0 RTP/AVP 0\r\nm=image 4002 udptl t38\r\n") != NULL,
	    "audio + image offered: T.38 taken, audio rejected");
	is_int(sdp_fax_write_answer(&o, &l, buf, 50, &ag, err, sizeof err),
	    SDP_FAX_ESPACE, "small buffer: ESPACE");
}

static void dtls_answers(void)
{
	sdp_fax_local_t l = local();
	sdp_fax_t o, ag, back;
	int n;

	P(HDR "m=image 5000 udptl t38\r\n", &o);
	l.dtls_policy = SDP_FAX_DTLS_REQUIRE;
	is_int(sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err),
	    SDP_FAX_EPOLICY, "policy require + plain offer: EPOLICY");
	l.dtls_policy = SDP_FAX_DTLS_OFFER;
	ok(sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err) > 0 &&
	    strstr(buf, "udptl t38") && !strstr(buf, "a=setup"),
	    "policy offer + plain offer: plain answer");
	P(HDR "m=image 5000 UDP/TLS/UDPTL t38\r\na=setup:actpass\r\n"
	    "a=fingerprint:sha-256 " FP32 "\r\n", &o);
	n = sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err);
	ok(n > 0 && strstr(buf, "a=setup:active\r\n") &&
	    strstr(buf, "a=fingerprint:sha-256 DE:AD:BE:EF:01:00") &&
	    strstr(buf, "a=tls-id:" TLSID "\r\n"), "actpass answered active");
	is_int(ag.dtls.setup, SDP_FAX_SETUP_ACTIVE, "  agreed: we are active");
	is_int(ag.dtls.fp[0], 0xab, "  agreed: the far fingerprint");
	is_int(P(buf, &back), 0, "  answer parses");
	is_int(back.dtls.setup, SDP_FAX_SETUP_ACTIVE, "  a=setup:active read back");
	P(HDR "m=image 5000 UDP/TLS/UDPTL t38\r\na=setup:active\r\n"
	    "a=fingerprint:sha-256 " FP32 "\r\n", &o);
	sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err);
	is_int(ag.dtls.setup, SDP_FAX_SETUP_PASSIVE, "active answered passive");
	P(HDR "m=image 5000 UDP/TLS/UDPTL t38\r\na=setup:holdconn\r\n"
	    "a=fingerprint:sha-256 " FP32 "\r\n", &o);
	is_int(sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err),
	    SDP_FAX_EDTLS, "holdconn refused");
	P(HDR "m=image 5000 UDP/TLS/UDPTL t38\r\na=setup:actpass\r\n", &o);
	is_int(sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err),
	    SDP_FAX_EDTLS, "no fingerprint refused");
	P(HDR "m=image 5000 UDP/TLS/UDPTL t38\r\na=setup:actpass\r\n"
	    "a=fingerprint:md5 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n", &o);
	is_int(sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err),
	    SDP_FAX_EDTLS, "md5 fingerprint refused");
	l.dtls_policy = SDP_FAX_DTLS_OFF;
	P(HDR "m=audio 4000 RTP/AVP 0\r\nm=image 5000 UDP/TLS/UDPTL t38\r\n"
	    "a=fingerprint:sha-256 " FP32 "\r\n", &o);
	sdp_fax_write_answer(&o, &l, buf, sizeof buf, &ag, err, sizeof err);
	is_int(ag.active, SDP_FAX_AUDIO, "policy off: DTLS image rejected, audio kept");

	l = local();
	l.dtls_policy = SDP_FAX_DTLS_OFFER;
	n = sdp_fax_write_offer(&l, SDP_FAX_IMAGE | SDP_FAX_AUDIO0, buf, sizeof buf,
	    err, sizeof err);
	ok(n > 0 && strstr(buf, "m=audio 0 RTP/AVP 0\r\nm=image 4002 UDP/TLS/UDPTL t38\r\n")
	    && strstr(buf, "a=setup:actpass\r\n"), "DTLS offer, audio 0 form");
	is_int(P(buf, &o), 0, "  our offer parses");
	is_int(o.active, SDP_FAX_IMAGE, "  image active");
	is_int(o.image.max_datagram, 1400, "  our datagram");
	l.fp = NULL;
	is_int(sdp_fax_write_offer(&l, SDP_FAX_IMAGE, buf, sizeof buf, err, sizeof err),
	    SDP_FAX_EDTLS, "DTLS offer without a certificate: EDTLS");
	l = local();
	n = sdp_fax_write_offer(&l, SDP_FAX_AUDIO, buf, sizeof buf, err, sizeof err);
	ok(n > 0 && strstr(buf, "m=audio 4000 RTP/AVP 0 8 101\r\n") &&
	    strstr(buf, "a=fmtp:101 0-15\r\n") && strstr(buf, "a=ptime:20\r\n"),
	    "G.711 offer");
	is_int(sdp_fax_write_offer(&l, SDP_FAX_AUDIO | SDP_FAX_AUDIO0, buf, sizeof buf,
	    err, sizeof err), SDP_FAX_EARG, "audio + audio0: EARG");
	l.addr = NULL;
	is_int(sdp_fax_write_offer(&l, SDP_FAX_AUDIO, buf, sizeof buf, err, sizeof err),
	    SDP_FAX_EARG, "no address: EARG");
}

static void malformed(void)
{
	sdp_fax_t d;
	char big[2048];
	int i;

	is_int(P("v=0\r\nm=audio 4000 RTP/AVP 0\r\n", &d), SDP_FAX_ESYNTAX,
	    "no o=: ESYNTAX");
	ok(strstr(err, "sdp: ") && strlen(err) > 5, "  Sofia's text: %s", err);
	is_int(P("garbage", &d), SDP_FAX_ESYNTAX, "garbage: ESYNTAX (%s)", err);
	is_int(P("", &d), SDP_FAX_ESYNTAX, "empty: ESYNTAX (%s)", err);
	is_int(P(HDR "m=image 5000 udptl t38\r\na=T38FaxMaxDatagram:0\r\n", &d),
	    SDP_FAX_EVALUE, "T38FaxMaxDatagram:0 refused");
	ok(strstr(err, "T38FaxMaxDatagram") != NULL, "  named: %s", err);
	is_int(P(HDR "m=image 5000 udptl t38\r\na=T38FaxMaxDatagram:100000\r\n", &d),
	    0, "T38FaxMaxDatagram:100000 accepted");
	is_int(d.image.max_datagram, SDP_FAX_DATAGRAM_MAX, "  clamped");
	is_int(P(HDR "m=image 5000 udptl t38\r\na=T38FaxVersion:9\r\n"
	    "a=T38MaxBitRate:1000000\r\n", &d), 0, "version 9, bit rate 1e6");
	is_int(d.image.version, 3, "  version read as 3");
	is_int(d.image.max_bit_rate, 33600, "  bit rate clamped");
	is_int(P(HDR "m=image 5000 udptl t38\r\na=T38FaxVersion:99999999999\r\n", &d),
	    SDP_FAX_EVALUE, "11-digit number refused");
	is_int(P(HDR "m=image 5000 udptl t38\r\na=T38FaxVersion:-1\r\n", &d),
	    SDP_FAX_EVALUE, "negative refused");
	is_int(P(HDR "m=image 5000 udptl t38\r\na=T38FaxUdpEC:t38UDPMagic\r\n", &d),
	    SDP_FAX_EVALUE, "unknown EC refused");
	is_int(P(HDR "m=image 5000 udptl t38\r\na=T38FaxFillBitRemoval:2\r\n", &d),
	    SDP_FAX_EVALUE, "boolean :2 refused");
	is_int(P(HDR "m=image 0 udptl t38\r\na=T38FaxFillBitRemoval:2\r\n"
	    "m=image 5000 udptl t38\r\n", &d), 0, "rejected line's attributes unread");
	is_int(P(HDR "m=image 5000 udptl t38 :\r\n", &d), SDP_FAX_ESYNTAX,
	    "non-token format refused before Sofia (%s)", err);
	is_int(P(HDR "\tm = image 5000 udptl t38 @\r\n", &d), SDP_FAX_ESYNTAX,
	    "  also after blanks (Sofia skips them)");
	is_int(P("v=0\r\no=- 1 1 IN IP4 192.0.2.1\rm=image 1 udptl t38 :\r\n", &d),
	    SDP_FAX_ESYNTAX, "  also after a bare CR");
	is_int(P(HDR "m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/0080\r\n", &d), 0,
	    "contrary rtpmap for a static type");
	ok(d.audio.pcmu && d.audio.pcma, "  static types win");
	is_int(sdp_fax_parse(HDR "m=audio 4000 RTP/AVP 0\r\n\0a=x\r\n",
	    sizeof HDR + 24, &d, err, sizeof err), SDP_FAX_ESYNTAX, "NUL refused");
	is_int(P("v=0\re", &d), SDP_FAX_ESYNTAX, "truncated body without o= (%s)", err);
	strcpy(big, HDR);
	for (i = 0; i < 9; i++)
		strcat(big, "m=audio 0 RTP/AVP 0\r\n");
	is_int(P(big, &d), SDP_FAX_ELIMIT, "9 m= lines: ELIMIT");
	is_int(sdp_fax_parse(HDR "m=audio 4000 RTP/AVP 0\r\n", 20, &d, err, sizeof err),
	    SDP_FAX_ESYNTAX, "length honoured (truncated body)");
}

static void roundtrips(void)
{
	ok(roundtrip(HDR "m=audio 0 RTP/AVP 0\r\nm=image 5000 UDP/TLS/UDPTL t38\r\n"
	    "a=setup:actpass\r\na=fingerprint:sha-256 " FP32 "\r\na=tls-id:" TLSID
	    "\r\na=T38FaxVersion:2\r\na=T38maxBitRate:9600\r\na=T38FaxFillBitRemoval\r\n"
	    "a=T38FaxRateManagement:localTFC\r\na=T38FaxMaxDatagram:272\r\n"
	    "a=T38FaxUdpEC:t38UDPFEC\r\na=recvonly\r\nm=video 0 RTP/AVP 31\r\n"),
	    "round trip: DTLS image form");
	ok(roundtrip(HDR "m=audio 4000 RTP/AVP 8 0 18 101\r\nc=IN IP6 2001:db8::1\r\n"
	    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:30\r\n"
	    "a=sendonly\r\n"), "round trip: G.711");
	ok(roundtrip(HDR "m=audio 4000 RTP/AVP 18\r\n"), "round trip: unknown codec");
}

int main(void)
{
	spellings();
	reinvite_forms();
	g711();
	dtls();
	answers();
	dtls_answers();
	malformed();
	roundtrips();
	is_str(sdp_fax_strerror(SDP_FAX_EPOLICY), "DTLS required but not offered",
	    "strerror");
	return done_testing();
}
