/*
 * NAME
 *	renderjob - render one message's documents to fax form, in a child
 * SYNOPSIS
 *	#include "renderjob.h"
 *	int renderjob_run(const config_t *cf, long message);
 *	void renderjob_path(const config_t *cf, long message, char *buf, size_t len);
 * DESCRIPTION
 *	renderjob_run is the body of "faxgate-dialer -R MESSAGE": it runs in a
 *	child process of the dialer (blocking work never runs on the dialer's
 *	loop). If the store already holds a render of the message (made by
 *	this or another host), that is used; otherwise the documents are read
 *	from the store, rendered with render_documents() and the result put
 *	in the store, where the first render wins. Either way the render the
 *	store holds is written to renderjob_path(), the local cache the call
 *	sends from. It returns the process exit status: 0 done (and prints
 *	"pages=N"), 65 the documents cannot be rendered (a permanent failure;
 *	the reason is the one line on stderr), 75 a temporary failure.
 */
#ifndef FAXGATE_RENDERJOB_H
#define FAXGATE_RENDERJOB_H

#include <stddef.h>

#include "config.h"

#define RENDERJOB_OK 0
#define RENDERJOB_BAD 65
#define RENDERJOB_TEMP 75

int renderjob_run(const config_t *cf, long message);
void renderjob_path(const config_t *cf, long message, char *buf, size_t len);

#endif
