/* store_copy.c - move a SQLite store's rows into a PostgreSQL store; see store_copy.h. */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_copy.h"

extern const char *const store_sqlite_migrations[];

/* Parents before children (foreign keys); the ones with an identity id first. */
static const struct {
	const char *name;
	int identity;
} tables[] = {
	{ "messages", 1 }, { "documents", 1 }, { "jobs", 1 }, { "attempts", 1 },
	{ "notices", 1 }, { "inbound", 1 }, { "renders", 0 }, { "destinations", 0 },
	{ "inbound_bounces", 0 }, { "did_map", 0 }, { "dtmf_index", 0 }, { "routes", 0 },
	{ "callers", 0 }, { "users", 0 }, { "auth_failures", 0 },
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* pgfail - the server's reason, first line; returns -1 */
static int pgfail(PGconn *c, const PGresult *r, const char *what, char *err, size_t errlen)
{
	const char *m = r ? PQresultErrorMessage(r) : "";

	if (!m || !*m)
		m = PQerrorMessage(c);
	snprintf(err, errlen, "copy to postgresql: %s: %.*s", what, (int)strcspn(m, "\n"), m);
	return -1;
}

/* pgrun - a statement without parameters that must succeed; 0 or -1 */
static int pgrun(PGconn *c, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		pgfail(c, r, sql, err, errlen);
	PQclear(r);
	return ok ? 0 : -1;
}

/* copy_table - every row of one table; the count, or -1 */
static long copy_table(sqlite3 *db, PGconn *c, const char *table, char *err, size_t errlen)
{
	char sql[4096];
	sqlite3_stmt *st;
	int ncol, rc;
	long rows = 0;
	size_t o;
	const char **v = NULL;
	int *len = NULL, *fmt = NULL;
	char (*num)[32] = NULL;

	snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "copy from sqlite: %s: %s", table, sqlite3_errmsg(db));
		return -1;
	}
	ncol = sqlite3_column_count(st);
	o = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s (", table);
	for (int i = 0; i < ncol && o < sizeof(sql); i++)
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, "%s%s", i ? ", " : "",
		    sqlite3_column_name(st, i));
	o += (size_t)snprintf(sql + o, sizeof(sql) - o, ") OVERRIDING SYSTEM VALUE VALUES (");
	for (int i = 0; i < ncol && o < sizeof(sql); i++)
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, "%s$%d", i ? ", " : "", i + 1);
	snprintf(sql + o, sizeof(sql) - o, ")");
	if (o >= sizeof(sql) - 2) {
		snprintf(err, errlen, "copy: %s: too many columns", table);
		goto fail;
	}
	PGresult *r = PQprepare(c, table, sql, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pgfail(c, r, table, err, errlen);
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	v = calloc((size_t)ncol, sizeof(*v));
	len = calloc((size_t)ncol, sizeof(*len));
	fmt = calloc((size_t)ncol, sizeof(*fmt));
	num = calloc((size_t)ncol, sizeof(*num));
	if (!v || !len || !fmt || !num) {
		snprintf(err, errlen, "copy: out of memory");
		goto fail;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < ncol; i++) {
			len[i] = fmt[i] = 0;
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				v[i] = NULL;
				break;
			case SQLITE_INTEGER:
				snprintf(num[i], sizeof(num[i]), "%lld", (long long)sqlite3_column_int64(st, i));
				v[i] = num[i];
				break;
			case SQLITE_FLOAT:
				snprintf(num[i], sizeof(num[i]), "%.17g", sqlite3_column_double(st, i));
				v[i] = num[i];
				break;
			case SQLITE_BLOB:
				/* Binary, so bytes pass as they are (bytea columns). */
				v[i] = sqlite3_column_blob(st, i);
				len[i] = sqlite3_column_bytes(st, i);
				fmt[i] = 1;
				if (!v[i])
					v[i] = "";
				break;
			default:
				v[i] = (const char *)sqlite3_column_text(st, i);
				break;
			}
		}
		r = PQexecPrepared(c, table, ncol, v, len, fmt, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			char what[128];
			snprintf(what, sizeof(what), "%s row %ld", table, rows + 1);
			pgfail(c, r, what, err, errlen);
			PQclear(r);
			goto fail;
		}
		PQclear(r);
		rows++;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "copy from sqlite: %s: %s", table, sqlite3_errmsg(db));
		goto fail;
	}
	sqlite3_finalize(st);
	free(v);
	free(len);
	free(fmt);
	free(num);
	return rows;
fail:
	sqlite3_finalize(st);
	free(v);
	free(len);
	free(fmt);
	free(num);
	return -1;
}

/* source_version - PRAGMA user_version of the SQLite store, or -1 */
static int source_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

int store_copy(const char *from, const char *to,
    void (*progress)(const char *table, long rows, void *arg), void *arg,
    char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	PGconn *c = NULL;
	PGresult *r;
	store_t *st;
	int want = 0, have, rc = -1;

	if (strncmp(from, "sqlite:", 7) != 0 || strncmp(to, "postgresql:", 11) != 0) {
		snprintf(err, errlen, "copy: from sqlite:PATH to postgresql:DSN only");
		return -1;
	}
	/* The target's schema, created (or checked) as any program would. */
	if ((st = store_open(to, err, errlen)) == NULL)
		return -1;
	store_close(st);

	if (sqlite3_open_v2(from + 7, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "copy from %s: cannot open: %s", from,
		    db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	while (store_sqlite_migrations[want])
		want++;
	if ((have = source_version(db)) != want) {
		snprintf(err, errlen, "copy from %s: schema version %d, not this program's %d"
		    " (start this version's faxgate-milter on it once)", from, have, want);
		goto out;
	}
	c = PQconnectdb(to + 11);
	if (PQstatus(c) != CONNECTION_OK) {
		pgfail(c, NULL, "cannot connect", err, errlen);
		goto out;
	}
	if (pgrun(c, "BEGIN", err, errlen) < 0)
		goto out;
	r = PQexec(c, "SELECT ((SELECT count(*) FROM messages) + (SELECT count(*) FROM inbound)"
	    " + (SELECT count(*) FROM did_map) + (SELECT count(*) FROM users))::text");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || strcmp(PQgetvalue(r, 0, 0), "0") != 0) {
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			snprintf(err, errlen, "copy to %s: the store is not empty", "postgresql");
		else
			pgfail(c, r, "check empty", err, errlen);
		PQclear(r);
		goto out;
	}
	PQclear(r);
	/* One snapshot of the source for every table. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "copy from %s: %s", from, sqlite3_errmsg(db));
		goto out;
	}
	for (size_t i = 0; i < NTABLES; i++) {
		char sql[256];
		long n = copy_table(db, c, tables[i].name, err, errlen);
		if (n < 0)
			goto out;
		if (tables[i].identity) {
			snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence('%s', 'id'),"
			    " (SELECT coalesce(max(id), 0) + 1 FROM %s), false)", tables[i].name,
			    tables[i].name);
			if (pgrun(c, sql, err, errlen) < 0)
				goto out;
		}
		if (progress)
			progress(tables[i].name, n, arg);
	}
	if (pgrun(c, "COMMIT", err, errlen) < 0)
		goto out;
	rc = 0;
out:
	if (c && rc < 0)
		PQclear(PQexec(c, "ROLLBACK"));
	PQfinish(c);
	if (db)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}
