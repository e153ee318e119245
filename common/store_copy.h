/*
 * NAME
 *	store_copy - move a SQLite store's rows into a PostgreSQL store
 * SYNOPSIS
 *	#include "store_copy.h"
 *
 *	int store_copy(const char *from, const char *to,
 *	    void (*progress)(const char *table, long rows, void *arg), void *arg,
 *	    char *err, size_t errlen);
 * DESCRIPTION
 *	from is "sqlite:PATH" and to "postgresql:DSN" (faxgatectl migrate).
 *	The SQLite store must be at this program's schema version (it is
 *	opened read-only, never migrated), the PostgreSQL store empty (its
 *	schema is created if missing). Every table is copied with its ids
 *	from one read snapshot of the SQLite store, in one PostgreSQL
 *	transaction: the copy is whole or nothing. The identity sequences
 *	then continue after the highest id copied. progress, if not NULL,
 *	is called once per table with the number of rows copied.
 *
 *	Programs still writing to the SQLite store during the copy write
 *	after its snapshot: stop them (the MTA keeps mail queued while the
 *	milter is down) and start them on the new store afterwards.
 * DIAGNOSTICS
 *	0, or -1 with the reason in err (nothing was written to the target).
 */
#ifndef FAXGATE_STORE_COPY_H
#define FAXGATE_STORE_COPY_H

#include <stddef.h>

int store_copy(const char *from, const char *to,
    void (*progress)(const char *table, long rows, void *arg), void *arg,
    char *err, size_t errlen);

#endif
