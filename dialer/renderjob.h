/*
 * NAME
 *	renderjob - render one message's documents to fax form, off the loop
 * SYNOPSIS
 *	#include "renderjob.h"
 *	int renderjob_do(const config_t *cf, long message, unsigned *pages,
 *	    char *err, size_t errlen);
 *	int renderjob_run(const config_t *cf, long message);
 *	void renderjob_path(const config_t *cf, long message, char *buf, size_t len);
 * DESCRIPTION
 *	renderjob_do makes sure the local copy of a message's fax exists. It
 *	blocks (store, files, Ghostscript), so the dialer runs it in libuv's
 *	thread pool, never on its loop; it opens its own store connection.
 *	If the local copy exists it is done at once. If the store already
 *	holds a render of the message (made by this or another host), that
 *	is used; otherwise the documents are read from the store, rendered
 *	with render_documents() and the result put in the store, where the
 *	first render wins. Either way the render the store holds is written
 *	to renderjob_path(), the local copy the call sends from. It returns
 *	RENDERJOB_OK (pages set), RENDERJOB_BAD (the documents cannot be
 *	rendered: permanent) or RENDERJOB_TEMP, with the reason in err.
 *
 *	renderjob_run is the same as a program, for "faxgate-dialer -R
 *	MESSAGE" (diagnosis): it prints "pages=N" or the reason on stderr and
 *	returns those values as the exit status (0, 65, 75).
 */
#ifndef FAXGATE_RENDERJOB_H
#define FAXGATE_RENDERJOB_H

#include <stddef.h>

#include "config.h"

#define RENDERJOB_OK 0
#define RENDERJOB_BAD 65
#define RENDERJOB_TEMP 75

int renderjob_do(const config_t *cf, long message, unsigned *pages,
    char *err, size_t errlen);
int renderjob_run(const config_t *cf, long message);
void renderjob_path(const config_t *cf, long message, char *buf, size_t len);

#endif
