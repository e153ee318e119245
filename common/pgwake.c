/* pgwake.c - wake a dialer or the onramp on a PostgreSQL notification; see pgwake.h. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgwake.h"
#include "store_pg_int.h"

struct pgwake {
	PGconn *conn;
};

pgwake_t *pgwake_open(const char *spec, const char *channel, char *err, size_t errlen)
{
	char listen[64];
	pgwake_t *w;
	PGresult *r;

	err[0] = '\0';
	if (strncmp(spec, "postgresql:", 11) != 0)
		return NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->conn = PQconnectdb(spec + 11);
	if (PQstatus(w->conn) != CONNECTION_OK) {
		const char *m = PQerrorMessage(w->conn);
		snprintf(err, errlen, "cannot connect: %.*s", (int)strcspn(m, "\n"), m);
		goto fail;
	}
	/* channel is one of ours, a plain identifier: nothing to quote. */
	snprintf(listen, sizeof(listen), "LISTEN %s", channel);
	r = PQexec(w->conn, listen);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		const char *m = PQresultErrorMessage(r);
		snprintf(err, errlen, "LISTEN: %.*s", (int)strcspn(m, "\n"), m);
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	/* Reads from here on must not block the caller's loop. */
	if (PQsetnonblocking(w->conn, 1) != 0) {
		snprintf(err, errlen, "cannot make the connection non-blocking");
		goto fail;
	}
	return w;
fail:
	PQfinish(w->conn);
	free(w);
	return NULL;
}

int pgwake_fd(const pgwake_t *w)
{
	return PQsocket(w->conn);
}

int pgwake_drain(pgwake_t *w)
{
	PGnotify *n;
	int got = 0;

	if (!PQconsumeInput(w->conn) || PQstatus(w->conn) != CONNECTION_OK)
		return -1;
	while ((n = PQnotifies(w->conn)) != NULL) {
		got++;
		PQfreemem(n);
	}
	return got;
}

void pgwake_close(pgwake_t *w)
{
	if (w) {
		PQfinish(w->conn);
		free(w);
	}
}
