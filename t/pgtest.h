/*
 * pgtest.h - for the PostgreSQL store's unit tests (header-only): queries
 * run directly on the database, beside the store's own connections, so
 * what is checked is what another host would see.
 *
 * SYNOPSIS
 *	#include <libpq-fe.h>
 *	#include "tap.h"
 *	#include "pgtest.h"
 *	PGconn *pgtest_db;
 *	int pgtest_connect(char *spec, size_t speclen);
 *	long pgtest_count(const char *sql);
 *	int pgtest_exec(const char *sql);
 *
 * DESCRIPTION
 *	pgtest_connect connects pgtest_db to the database FAXGATE_PG_DSN
 *	names and writes the store's spec for it ("postgresql:" DSN) to
 *	spec; 1 when connected, 0 when FAXGATE_PG_DSN is not set (the test
 *	is skipped: the plan "1..0 # SKIP" is printed, main returns 0), -1
 *	when the server cannot be reached ("Bail out!" printed, main
 *	returns 1).
 *	pgtest_count returns column 0 of the one row a query gives, or -1;
 *	pgtest_exec runs a statement and returns 0, or -1. A failing query
 *	is said as a diag line.
 */
#ifndef FAXGATE_PGTEST_H
#define FAXGATE_PGTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <libpq-fe.h>

static PGconn *pgtest_db;

__attribute__((unused))
static int pgtest_connect(char *spec, size_t speclen)
{
	const char *dsn = getenv("FAXGATE_PG_DSN");

	if (!dsn || !*dsn) {
		printf("1..0 # SKIP FAXGATE_PG_DSN not set (t/80-pg-store.t sets it)\n");
		return 0;
	}
	snprintf(spec, speclen, "postgresql:%s", dsn);
	pgtest_db = PQconnectdb(dsn);
	if (PQstatus(pgtest_db) != CONNECTION_OK) {
		printf("Bail out! %s", PQerrorMessage(pgtest_db));
		return -1;
	}
	return 1;
}

__attribute__((unused))
static long pgtest_count(const char *sql)
{
	PGresult *r = PQexec(pgtest_db, sql);
	long n = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		n = atol(PQgetvalue(r, 0, 0));
	else
		diag("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	return n;
}

__attribute__((unused))
static int pgtest_exec(const char *sql)
{
	PGresult *r = PQexec(pgtest_db, sql);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;

	if (rc < 0)
		diag("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	return rc;
}

#endif
