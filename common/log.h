/*
 * NAME
 *	log - one key=value line per event, to syslog (facility mail) or stderr
 * SYNOPSIS
 *	#include "log.h"
 *	void log_open(const char *ident, int to_stderr);
 *	int  log_set_level(const char *name);	   0, or -1 for an unknown name
 *	void log_msg(int prio, const char *fmt, ...);  prio: LOG_ERR .. LOG_DEBUG
 *	size_t log_quote(char *buf, size_t len, const char *s);
 * DESCRIPTION
 *	Lines look like Postfix's: "faxgate-milter[123]: 4Xyz: key=value,
 *	key=value". log_msg drops lines above the configured level (default
 *	info). log_quote copies s into buf for a value that may hold spaces or
 *	sender-controlled bytes: control characters, 8-bit bytes, '"' and '\'
 *	become \xHH or \c so one event stays one line and cannot forge another.
 *	Thread-safe: one write(2) per line.
 */
#ifndef FAXGATE_LOG_H
#define FAXGATE_LOG_H

#include <stddef.h>
#include <syslog.h>

void log_open(const char *ident, int to_stderr);
int log_set_level(const char *name);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t log_quote(char *buf, size_t len, const char *s);

#endif
