/*
 * NAME
 *	fmpty - faxmodem's serial port: a pseudo-terminal, a symbolic link
 *	to its slave side for the DTE, and the DTE's opens and closes
 * SYNOPSIS
 *	#include "fmpty.h"
 *
 *	int	fmpty_open(fmpty_t *p, const char *link, char *err,
 *			size_t errlen);
 *	void	fmpty_queue(fmpty_t *p, const uint8_t *buf, size_t len);
 *	void	fmpty_flush(fmpty_t *p);
 *	int	fmpty_watch(fmpty_t *p);
 *	void	fmpty_close(fmpty_t *p);
 * DESCRIPTION
 *	fmpty_open() creates a pseudo-terminal, makes link a symbolic link
 *	to its slave side (replacing an older symbolic link, never another
 *	kind of file) and returns 0, or -1 with err set. p->master is then
 *	the modem's end (non-blocking). A slave descriptor stays open for
 *	the whole run, so the master never reads EIO while the DTE has the
 *	device closed; the slave starts raw, so nothing echoes before the
 *	DTE sets its own modes.
 *
 *	fmpty_queue() appends bytes for the DTE and writes what the pty
 *	takes now; fmpty_flush() writes more of the rest (call it when
 *	p->master polls writable and p->out_len > 0). Bytes that cannot be
 *	queued (no memory) are lost, as on a real serial line.
 *
 *	A pty has no DTR. The nearest thing is the DTE closing the device,
 *	which fmpty watches with inotify on the slave (p->watch, readable
 *	when there is news): fmpty_watch() reads the news, keeps
 *	p->dte_opens (descriptors the DTE holds now; ours is not counted)
 *	and p->dte_seen_open, and returns 1 when the DTE's last descriptor
 *	went (a DTR drop), else 0.
 *
 *	fmpty_close() removes the link if it still points at our slave,
 *	closes the descriptors and frees the queue. It may be called after
 *	a failed fmpty_open() and on a zeroed fmpty_t whose descriptors
 *	are -1.
 * DIAGNOSTICS
 *	fmpty_open() returns -1 with the failing step and errno's text.
 */
#ifndef FAXGATE_FMPTY_H
#define FAXGATE_FMPTY_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fmpty {
	int	master, slave;
	int	watch;			/* inotify on the slave */
	char	slave_name[PATH_MAX];
	const char *link;
	int	dte_opens;		/* slave descriptors the DTE holds */
	int	dte_seen_open;		/* it opened the slave at least once */
	uint8_t *out;			/* bytes for the DTE not yet written */
	size_t	out_len, out_cap;
} fmpty_t;

int fmpty_open(fmpty_t *p, const char *link, char *err, size_t errlen);
void fmpty_queue(fmpty_t *p, const uint8_t *buf, size_t len);
void fmpty_flush(fmpty_t *p);
int fmpty_watch(fmpty_t *p);
void fmpty_close(fmpty_t *p);

#endif
