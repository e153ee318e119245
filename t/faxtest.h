/*
 * faxtest.h - a fax test document for the C unit tests (header-only).
 *
 * SYNOPSIS
 *	#include "faxtest.h"
 *	int faxtest_write_tiff(const char *path, int npages, int rows,
 *	    faxtest_row_fn row);
 *
 * DESCRIPTION
 *	Writes path as npages pages, each FAXTEST_W (1728) pixels wide and
 *	rows rows high: fine resolution (204x196 dpi), T.6 (G4),
 *	min-is-white, one strip per page, PageNumber set, as the dialer's
 *	renderer makes them. row(page, y, buf) fills each FAXTEST_ROWB-byte
 *	row (page 0-based; a set bit is black, most significant bit first);
 *	buf is zeroed before each call. Returns 0, or -1 when the file
 *	cannot be written.
 */
#ifndef FAXGATE_FAXTEST_H
#define FAXGATE_FAXTEST_H

#include <stdint.h>
#include <string.h>
#include <tiffio.h>

#define FAXTEST_W	1728
#define FAXTEST_ROWB	(FAXTEST_W / 8)

typedef void (*faxtest_row_fn)(int page, int y, uint8_t *row);

__attribute__((unused))
static int faxtest_write_tiff(const char *path, int npages, int rows, faxtest_row_fn row)
{
	TIFF *t = TIFFOpen(path, "w");
	uint8_t buf[FAXTEST_ROWB];

	if (t == NULL)
		return -1;
	for (int p = 0; p < npages; p++) {
		TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, FAXTEST_W);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, rows);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
		TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
		TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0);
		TIFFSetField(t, TIFFTAG_YRESOLUTION, 196.0);
		TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows);
		TIFFSetField(t, TIFFTAG_PAGENUMBER, p, npages);
		for (int y = 0; y < rows; y++) {
			memset(buf, 0, sizeof(buf));
			row(p, y, buf);
			if (TIFFWriteScanline(t, buf, (uint32_t)y, 0) < 0) {
				TIFFClose(t);
				return -1;
			}
		}
		TIFFWriteDirectory(t);
	}
	TIFFClose(t);
	return 0;
}

#endif
