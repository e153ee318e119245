/*
 * tap.h - a minimal Test Anything Protocol emitter for C unit tests.
 *
 * SYNOPSIS
 *	#include "tap.h"
 *	ok(cond, fmt, ...);		one test point; returns cond
 *	is_int(got, want, fmt, ...);	integer equality, prints both on failure
 *	is_str(got, want, fmt, ...);	string equality (NULL-safe)
 *	diag(fmt, ...);			a "# " comment line on stdout
 *	return done_testing();		prints the plan "1..N"; exit status 0 or 1
 *
 * DESCRIPTION
 *	Header-only so each test is one .c file. The plan is printed at the
 *	end, which prove accepts, so tests need not count their points.
 */
#ifndef FAXGATE_TAP_H
#define FAXGATE_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static void tap_vpoint(int pass, const char *fmt, va_list ap)
{
	printf("%s %d - ", pass ? "ok" : "not ok", ++tap_n);
	vprintf(fmt, ap);
	putchar('\n');
	if (!pass)
		tap_failed++;
	fflush(stdout);
}

__attribute__((format(printf, 2, 3), unused))
static int ok(int pass, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tap_vpoint(pass, fmt, ap);
	va_end(ap);
	return pass;
}

__attribute__((format(printf, 1, 2), unused))
static void diag(const char *fmt, ...)
{
	va_list ap;
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

__attribute__((format(printf, 3, 4), unused))
static int is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tap_vpoint(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		diag("got %lld, want %lld", got, want);
	return got == want;
}

__attribute__((format(printf, 3, 4), unused))
static int is_str(const char *got, const char *want, const char *fmt, ...)
{
	int pass = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	va_list ap;
	va_start(ap, fmt);
	tap_vpoint(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		diag("got '%s', want '%s'", got ? got : "(null)",
		    want ? want : "(null)");
	return pass;
}

__attribute__((unused))
static int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
