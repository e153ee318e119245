/*
 * fileio.c - file_read: a whole file with a NUL after it, the size bound,
 * and the reasons it gives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "tap.h"

int main(void)
{
	char path[] = "/tmp/fileio-t.XXXXXX", err[256];
	unsigned char *data;
	size_t len;
	int fd = mkstemp(path);

	ok(fd >= 0 && write(fd, "fax\0page", 8) == 8, "a file of 8 bytes with a NUL inside");
	if (fd >= 0)
		close(fd);
	is_int(file_read(path, 0, &data, &len, err, sizeof(err)), 0, "read whole");
	is_int((long)len, 8, "every byte, the NUL inside too");
	ok(data && memcmp(data, "fax\0page", 8) == 0 && data[8] == '\0', "as written, NUL after");
	free(data);
	is_int(file_read(path, 8, &data, &len, err, sizeof(err)), 0, "a bound of its size is enough");
	free(data);
	is_int(file_read(path, 7, &data, &len, err, sizeof(err)), -1, "one byte over the bound");
	ok(data == NULL && len == 0, "gives nothing");
	ok(strstr(err, ": too large") != NULL && strncmp(err, path, strlen(path)) == 0,
	    "and says so with the path: %s", err);
	unlink(path);
	is_int(file_read(path, 0, &data, &len, err, sizeof(err)), -1, "a missing file");
	ok(strstr(err, "No such file or directory") != NULL, "with the system's words: %s", err);
	return done_testing();
}
