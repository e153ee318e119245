/*
 * gsrun.c - unit tests for dialer/gsrun.c
 *
 * A shell stands in for Ghostscript, so each case says exactly what
 * the child writes, how it ends and how long it takes; t/unit/render.c
 * covers the real gs. Every case is bounded by the limits under test.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gsrun.h"
#include "tap.h"

static gsrun_t g;
static char err[512];
static char dir[] = "/tmp/gsrun-t.XXXXXX";

/* sh - run the shell script in the directory, returns gsrun_run()'s code */
static int sh(const char *script)
{
	const char *args[] = {"-c", script, NULL};

	err[0] = 0;
	return gsrun_run(&g, args, "PDF", err, sizeof(err));
}

/* now - monotonic seconds */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

int	main(void)
{
	static volatile sig_atomic_t stop;
	char	reason[112], path[64];
	double	t0;
	int	rc;

	if (mkdtemp(dir) == NULL)
		return printf("1..0 # SKIP no temporary directory\n"), 0;
	g.gs_path = "sh";
	g.dir = dir;
	g.time_limit = 2;
	g.cpu_limit = 10;
	g.mem_limit = 1UL << 30;
	g.file_limit = 1UL << 20;
	g.stop = &stop;

	setenv("GS_OPTIONS", "-dNOSAFER", 1);
	is_int(sh("echo \"$TMPDIR\"; pwd; echo \"${GS_OPTIONS-unset}\""),
	       0, "exit 0 is success");
	snprintf(path, sizeof(path), ".\n%s\nunset\n", dir);
	is_str(g.out, path, "runs in dir with TMPDIR=. and no GS_OPTIONS");
	is_int(g.outlen, strlen(path), "outlen counts the output");

	is_int(sh("echo 'GPL Ghostscript 10.00.0: Unrecoverable error, exit code 1' >&2;"
		  "echo '   **** Error: /undefined in foo.' >&2; exit 1"),
	       GSRUN_EBAD, "exit 1 is the input's fault");
	is_str(err, "PDF could not be rendered: /undefined in foo.", "the telling line is the reason");
	is_str(gsrun_reason(&g, reason, 100), "/undefined in foo.", "gsrun_reason() alone");
	is_int(sh("echo 'Unrecoverable error, exit code 1. '; exit 1"), GSRUN_EBAD,
	       "only boilerplate");
	is_str(err, "PDF could not be rendered: Unrecoverable error, exit code 1",
	       "a generic line is used when nothing better was said");
	is_int(sh("printf 'Error: %0150d\\n' 7; exit 1"), GSRUN_EBAD, "a long line");
	is_int(strlen(gsrun_reason(&g, reason, 100)), 100, "the reason is cut at max");
	is_int(sh("exit 3"), GSRUN_EBAD, "silent failure");
	is_str(err, "PDF could not be rendered: ghostscript failed", "silent failure: reason");
	is_int(sh("echo 'This file requires a password for access.'; exit 0"), GSRUN_EBAD,
	       "exit 0 but a password is required");
	is_str(err, "PDF is encrypted (password required)", "encrypted PDF reason");
	is_int(sh("echo 'GS_VMerror'; exit 1"), GSRUN_EBAD, "VMerror");
	is_str(err, "rendering needs more than 1024 MiB of memory", "memory reason");
	is_int(sh("kill -SEGV $$"), GSRUN_EBAD, "death by signal");
	is_str(err, "PDF could not be rendered: ghostscript died of signal 11", "signal reason");
	is_int(sh("exec head -c 2000000 /dev/zero > big"), GSRUN_EBAD, "file limit");
	is_str(err, "rendering wrote more than 1 MiB", "file limit reason");

	g.cpu_limit = 1;
	g.time_limit = 10;
	is_int(sh("while :; do :; done"), GSRUN_EBAD, "CPU limit");
	is_str(err, "rendering used more than 1 s of CPU time", "CPU limit reason");
	g.cpu_limit = 10;
	g.time_limit = 2;

	t0 = now();
	is_int(sh("sleep 30 & sleep 30"), GSRUN_EBAD, "wall-clock limit");
	ok(now() - t0 < 4, "killed after about 2 s (took %.1f s)", now() - t0);
	is_str(err, "rendering took longer than 2 s", "wall-clock reason");

	stop = 1;
	t0 = now();
	is_int(sh("sleep 30"), GSRUN_ETEMP, "stop flag");
	ok(now() - t0 < 2, "stopped at once (took %.1f s)", now() - t0);
	is_str(err, "interrupted", "stop reason");
	stop = 0;

	/* The output kept is bounded; the child is not blocked by more. */
	rc = sh("head -c 100000 /dev/zero | tr '\\0' x; exit 0");
	is_int(rc, 0, "much output");
	is_int(g.outlen, GSRUN_OUT_CAP, "only the first GSRUN_OUT_CAP bytes kept");

	g.gs_path = "/nonexistent/gs";
	is_int(sh("exit 0"), GSRUN_ETEMP, "missing gs is local trouble");
	is_str(err, "ghostscript (/nonexistent/gs) cannot be run: No such file or directory",
	       "missing gs reason");

	snprintf(path, sizeof(path), "%s/big", dir);
	unlink(path);
	ok(rmdir(dir) == 0, "nothing else left in the directory");
	return done_testing();
}
