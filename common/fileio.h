/*
 * NAME
 *	fileio - read a whole file into memory
 * SYNOPSIS
 *	#include "fileio.h"
 *	int file_read(const char *path, size_t max, unsigned char **data,
 *		size_t *len, char *err, size_t errlen);
 * DESCRIPTION
 *	file_read() reads all of path into a malloc'ed buffer, *data (free
 *	it), with a NUL byte after the *len bytes so a text file is a C
 *	string too. max bounds the size (0: no bound): a rendered fax, a
 *	received one or its PDF is read whole, and a runaway file must not
 *	take the process's memory with it.
 * DIAGNOSTICS
 *	0, or -1 with *data NULL, *len 0 and "PATH: reason" in err (the
 *	system's words, or "too large").
 */
#ifndef FAXGATE_FILEIO_H
#define FAXGATE_FILEIO_H

#include <stddef.h>

int file_read(const char *path, size_t max, unsigned char **data, size_t *len,
    char *err, size_t errlen);

#endif
