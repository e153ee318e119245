/*
 * NAME
 *	gsrun - run Ghostscript as a contained child and say why it failed
 *
 * SYNOPSIS
 *	#include "gsrun.h"
 *
 *	int	gsrun_run(gsrun_t *g, const char *const *args,
 *			const char *what, char *err, size_t errlen);
 *
 *	char   *gsrun_reason(const gsrun_t *g, char *buf, size_t max);
 *
 *	char   *gsrun_line(char *dst, size_t max, const char *s, size_t n);
 *
 * DESCRIPTION
 *	gsrun_run() runs g->gs_path (looked up in PATH when it has no
 *	'/') with the NULL-terminated args, at most 22, after argv[0]. The
 *	child (fork and execvpe, no shell) runs in its own process group,
 *	in the directory g->dir, with TMPDIR=. and without GS_OPTIONS in
 *	its environment (so its temporary files land in g->dir), stdin
 *	from /dev/null, stdout and stderr into one pipe, and the limits
 *	RLIMIT_AS g->mem_limit, RLIMIT_CPU g->cpu_limit (hard limit 5 s
 *	more, so SIGXCPU comes first), RLIMIT_FSIZE g->file_limit and
 *	RLIMIT_CORE 0; it gets SIGKILL when its parent dies
 *	(PR_SET_PDEATHSIG). The caller waits: the process group is killed
 *	when g->time_limit seconds of wall-clock time have passed, or as
 *	soon as *g->stop (when g->stop is not NULL) becomes nonzero, which
 *	a signal handler may do. The first GSRUN_OUT_CAP bytes the child
 *	wrote are in g->out (NUL-terminated, g->outlen bytes) afterwards,
 *	whatever the outcome. what names the input kind in messages
 *	("PDF", "PostScript", "text").
 *
 *	gsrun_reason() puts into buf the most telling line of g->out, at
 *	most max bytes, control characters as '?', without the "GPL
 *	Ghostscript ...:" prefix, leading '*' and "Error:". Ghostscript's
 *	boilerplate (stack dumps, "Unrecoverable error", ...) is passed
 *	over; its generic lines are used, trailing dots and blanks
 *	removed, only when no other line was written. "" when there is
 *	none. It returns buf, which must hold max + 1 bytes.
 *
 *	gsrun_line() is how gsrun_reason() copies a line, for the caller's
 *	own parts of a message (a document's name): s (n bytes, or up to
 *	its NUL) into dst as one line of at most max bytes, control
 *	characters as '?', never cut inside a UTF-8 character. It returns
 *	dst, which must hold max + 1 bytes.
 *
 * RETURN VALUE
 *	gsrun_run() returns 0 when gs exited with status 0 (and did not
 *	say that a PDF requires a password), else GSRUN_EBAD (the input is
 *	at fault: sending it again fails again) or GSRUN_ETEMP (local
 *	trouble: try again later), with one line in err (errlen > 0):
 *
 *	    GSRUN_EBAD	"rendering took longer than 120 s",
 *			"rendering used more than 60 s of CPU time",
 *			"rendering wrote more than 256 MiB",
 *			"PDF is encrypted (password required)",
 *			"rendering needs more than 1024 MiB of memory",
 *			"WHAT could not be rendered: ghostscript died of
 *			signal N", "WHAT could not be rendered: REASON"
 *	    GSRUN_ETEMP	"out of memory", "pipe: ...", "fork: ...",
 *			"ghostscript (gs) cannot be run: No such file or
 *			directory", "ghostscript (gs) could not start: ...",
 *			"interrupted"
 *
 *	gsrun_run() blocks until the child is gone and reaps it itself,
 *	so the caller must not reap children meanwhile (a SIGCHLD handler
 *	that calls wait(), or SA_NOCLDWAIT).
 */
#ifndef FAXGATE_GSRUN_H
#define FAXGATE_GSRUN_H

#include <signal.h>
#include <stddef.h>

#define GSRUN_EBAD	1		/* the input cannot be rendered */
#define GSRUN_ETEMP	2		/* local trouble: try again later */

#define GSRUN_OUT_CAP	8192		/* gs output kept to find the reason */

typedef struct gsrun {
	const char *gs_path;		/* argv[0] */
	const char *dir;		/* working directory, TMPDIR there */
	unsigned time_limit;		/* wall-clock seconds */
	unsigned cpu_limit;		/* RLIMIT_CPU seconds */
	unsigned long mem_limit;	/* RLIMIT_AS bytes */
	unsigned long file_limit;	/* RLIMIT_FSIZE bytes */
	const volatile sig_atomic_t *stop; /* nonzero: kill and give up; may be NULL */
	char	out[GSRUN_OUT_CAP + 1];	/* gs's stdout and stderr */
	size_t	outlen;
} gsrun_t;

extern int gsrun_run(gsrun_t *g, const char *const *args, const char *what,
		     char *err, size_t errlen);
extern char *gsrun_reason(const gsrun_t *g, char *buf, size_t max);
extern char *gsrun_line(char *dst, size_t max, const char *s, size_t n);

#endif
