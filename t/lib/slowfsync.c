/*
 * slowfsync.c - a slow disk for one process: LD_PRELOAD=slowfsync.so adds
 * SLOWFSYNC_MS (default 150) milliseconds to every fsync and fdatasync.
 * t/61-efax-sip.t runs the dialer under it: a store commit that takes
 * that long must not stall the media of a call in progress.
 *
 *	cc -shared -fPIC -o slowfsync.so t/lib/slowfsync.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static void slow(void)
{
	const char *v = getenv("SLOWFSYNC_MS");
	long ms = v ? atol(v) : 150;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int fdatasync(int fd)
{
	static int (*real)(int);

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	slow();
	return real(fd);
}

int fsync(int fd)
{
	static int (*real)(int);

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	slow();
	return real(fd);
}
