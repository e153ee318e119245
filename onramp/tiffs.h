/*
 * NAME
 *	tiffs - a received fax rewritten as TIFF Profile S (RFC 3949, RFC 3965)
 * SYNOPSIS
 *	#include "tiffs.h"
 *	int tiffs_convert(const char *in, const char *out_s, const char *out_g4,
 *		tiffs_info_t *info, char *err, size_t errlen);
 * DESCRIPTION
 *	tiffs_convert reads every page of the TIFF file in with libtiff and
 *	writes them, in order, to out_s as one Profile S file, the form
 *	RFC 4160 4.4 wants an onramp to send: "II" byte order, the first
 *	IFD at offset 8 and every IFD before its page's data, one strip per
 *	page, Compression 3 (Modified Huffman, T.4 1-D) with T4Options 0,
 *	FillOrder 2, PhotometricInterpretation 0 (white is zero),
 *	NewSubFileType 2 (a page), PageNumber n of m, ImageWidth 1728,
 *	XResolution 204 and YResolution 98 or 196 dots per inch. When out_g4
 *	is not NULL the same pixels also go there as T.6 (Group 4), the
 *	form tiff2pdf embeds without decoding.
 *
 *	A page that already is 1728 pixels at 196 to 212 dpi across and at
 *	one of the two line densities (within 5%) keeps every pixel. Any
 *	other is resampled: to 204 dpi across and 98 lines per inch (source
 *	below 150) or 196, keeping its physical size; a page wider than a
 *	fax line (B4, A3) is scaled down to fit 1728 pixels, a narrower one
 *	is centred on white. Downscaling ORs the source pixels a target
 *	pixel covers, so thin strokes survive. A resolution in pixels per
 *	centimetre is converted; a page without one is taken as 204x196.
 *	Pages must be bilevel (1 bit, 1 sample); min-is-black pages are
 *	inverted.
 *
 *	info receives the page count, the line density written (98 or
 *	196, of the first page) and whether any page was resampled.
 *	The caller checks the file's limits first (tiffcheck_mem): this
 *	decodes every page into memory.
 * DIAGNOSTICS
 *	-1 with a reason in err (which page, and libtiff's own words when
 *	it has any); out_s and out_g4 may then hold partial output, for
 *	the caller to remove.
 */
#ifndef FAXGATE_TIFFS_H
#define FAXGATE_TIFFS_H

#include <stddef.h>

#define TIFFS_WIDTH	1728

typedef struct tiffs_info {
	unsigned pages;
	unsigned yres;		/* 98 or 196, of page 1 */
	int resampled;		/* a page did not keep its pixels */
} tiffs_info_t;

int tiffs_convert(const char *in, const char *out_s, const char *out_g4, tiffs_info_t *info,
    char *err, size_t errlen);

#endif
