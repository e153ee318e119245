/*
 * sqltest.h - for the store's unit tests (header-only): one integer from
 * a query on a SQLite file, through a connection of its own, so what is
 * checked is what a separate process would see on disk.
 *
 * SYNOPSIS
 *	#include "tap.h"
 *	#include "sqltest.h"
 *	long sqltest_count(const char *path, const char *sql);
 *
 * DESCRIPTION
 *	Returns column 0 of the first row, or -1 (with a diag line for a bad
 *	query) when the file cannot be opened or the query fails.
 */
#ifndef FAXGATE_SQLTEST_H
#define FAXGATE_SQLTEST_H

#include <sqlite3.h>

__attribute__((unused))
static long sqltest_count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long n = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	} else
		diag("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
	return n;
}

#endif
