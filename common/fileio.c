/* fileio.c - read a whole file into memory; see fileio.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

int file_read(const char *path, size_t max, unsigned char **data, size_t *len,
    char *err, size_t errlen)
{
	FILE *f = fopen(path, "rbe");
	long n = -1;
	int too_large = 0;

	*data = NULL;
	*len = 0;
	if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    !(too_large = max && (unsigned long)n > max) && fseek(f, 0, SEEK_SET) == 0 &&
	    (*data = malloc((size_t)n + 1)) != NULL && fread(*data, 1, (size_t)n, f) == (size_t)n) {
		fclose(f);
		(*data)[n] = '\0';
		*len = (size_t)n;
		return 0;
	}
	snprintf(err, errlen, "%s: %s", path, too_large ? "too large" :
	    errno ? strerror(errno) : "short read");
	free(*data);
	*data = NULL;
	if (f)
		fclose(f);
	return -1;
}
