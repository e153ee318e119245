/*
 * NAME
 *	pgwake - wake a dialer or the onramp on a PostgreSQL notification
 * SYNOPSIS
 *	#include "pgwake.h"
 *
 *	pgwake_t *pgwake_open(const char *spec, const char *channel, char *err,
 *	    size_t errlen);
 *	int pgwake_fd(const pgwake_t *w);
 *	int pgwake_drain(pgwake_t *w);
 *	void pgwake_close(pgwake_t *w);
 * DESCRIPTION
 *	With a PostgreSQL store the milter that queued a job may be on
 *	another host, so wake.h's local datagram cannot reach every dialer.
 *	The store NOTIFYs PGWAKE_JOBS when a submission commits (and when a
 *	call ends, freeing its number), and PGWAKE_INBOUND when a received
 *	fax is stored or handed back to the mailer (the dialer that answered
 *	and faxgate-onramp may be on different hosts too). pgwake_open opens
 *	a connection of its own to the store named by spec
 *	("postgresql:DSN") and LISTENs on channel. pgwake_fd is the connection's socket, for the caller's event
 *	loop (uv_poll): when it is readable, pgwake_drain reads what arrived
 *	without blocking and returns the number of notifications (0: none
 *	yet), or -1 when the connection was lost (the caller then polls the
 *	store only, as it does without a wake-up).
 * DIAGNOSTICS
 *	pgwake_open returns NULL with err "" when spec is not a PostgreSQL
 *	store, and NULL with the reason in err when it cannot connect.
 */
#ifndef FAXGATE_PGWAKE_H
#define FAXGATE_PGWAKE_H

#include <stddef.h>

#define PGWAKE_JOBS	"faxgate_jobs"
#define PGWAKE_INBOUND	"faxgate_inbound"

typedef struct pgwake pgwake_t;

pgwake_t *pgwake_open(const char *spec, const char *channel, char *err, size_t errlen);
int pgwake_fd(const pgwake_t *w);
int pgwake_drain(pgwake_t *w);
void pgwake_close(pgwake_t *w);

#endif
