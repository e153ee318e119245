/*
 * sdpfax_fuzz.c - libFuzzer target for dialer/sdpfax.c.
 *
 *	clang -g -fsanitize=fuzzer,address,undefined -I. -Idialer \
 *	    $(pkg-config --cflags sofia-sip-ua) dialer/sdpfax.c \
 *	    t/fuzz/sdpfax_fuzz.c $(pkg-config --libs sofia-sip-ua) \
 *	    -o /tmp/sdpfax-fuzzer
 *	cp -r t/fuzz/corpus/sdpfax /tmp/c && /tmp/sdpfax-fuzzer /tmp/c
 *
 * Input: an SDP body, as received. Besides memory errors it aborts when
 * a promise of sdpfax.h breaks: a parsed description writes, the text
 * parses again and writes the same (the round trip is stable); the
 * parsed values are within their documented bounds; every answer we
 * write, under each DTLS policy, parses and has as many m= lines as
 * the offer; an agreed T.38 version is at most the offer's.
 */
#include "sdpfax.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char w1[8192], w2[8192], ans[8192];

/* check_bounds - abort when a parsed value is out of its documented range */
static void check_bounds(const sdp_fax_t *d)
{
	if (d->nmline < 0 || d->nmline > SDP_FAX_MLINES_MAX)
		abort();
	if (d->image.index >= 0 && (d->image.version < 0 ||
	    d->image.version > 3 || d->image.max_bit_rate < 2400 ||
	    d->image.max_bit_rate > 33600 || d->image.max_datagram < 0 ||
	    (d->image.max_datagram != 0 &&
	    d->image.max_datagram < SDP_FAX_DATAGRAM_MIN) ||
	    d->image.max_datagram > SDP_FAX_DATAGRAM_MAX ||
	    d->image.max_buffer > SDP_FAX_NUM_MAX ||
	    d->dtls.fp_len > SDP_FAX_FP_MAX))
		abort();
	if (d->audio.te_pt > 127 || d->audio.index >= d->nmline ||
	    d->image.index >= d->nmline)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t fp[32] = { 1, 2, 3 };
	sdp_fax_t a, b, ag, back;
	sdp_fax_local_t l;
	char err[256];
	int n, pol;

	if (sdp_fax_parse((const char *)data, size, &a, err, sizeof err) != 0)
		return 0;
	check_bounds(&a);
	if (sdp_fax_write(&a, w1, sizeof w1) < 0)
		abort();
	if (sdp_fax_parse(w1, strlen(w1), &b, err, sizeof err) != 0)
		abort();
	if (sdp_fax_write(&b, w2, sizeof w2) < 0 || strcmp(w1, w2) != 0 ||
	    a.active != b.active || a.nmline != b.nmline)
		abort();
	for (pol = 0; pol < 3; pol++) {
		memset(&l, 0, sizeof l);
		l.addr = "192.0.2.7";
		l.audio_port = 4000;
		l.image_port = 4002;
		l.version = pol;
		l.fp = fp;
		l.fp_len = sizeof fp;
		l.tls_id = "abcdefghijklmnopqrstuvwxyz";
		l.dtls_policy = (sdp_fax_policy_t)pol;
		n = sdp_fax_write_answer(&a, &l, ans, sizeof ans, &ag, err,
		    sizeof err);
		if (n < 0)
			continue;
		if ((size_t)n != strlen(ans) ||
		    sdp_fax_parse(ans, (size_t)n, &back, err, sizeof err) != 0 ||
		    back.nmline != a.nmline || back.active != ag.active ||
		    ag.active == 0)
			abort();
		if ((ag.active & SDP_FAX_IMAGE) && (ag.image.version >
		    a.image.version || ag.image.version > pol))
			abort();
	}
	return 0;
}
