/*
 * ctl.c - unit tests for faxgatectl's helpers (ctl/ctl.c, json.c, table.c):
 * TIME arguments, durations, cleaning text for a terminal, JSON escaping,
 * aligned tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "tap.h"

/* capture - what fn wrote to a memory stream, malloc'ed */
static char *json_of(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ctl_json_quote(f, s);
	fclose(f);
	return buf;
}

static void test_time(void)
{
	long now = 1700000000, t = 0;

	setenv("TZ", "UTC", 1);
	tzset();
	ok(ctl_parse_time("-2h", now, 0, &t) == 0 && t == now - 7200, "-2h");
	ok(ctl_parse_time("-30m", now, 0, &t) == 0 && t == now - 1800, "-30m");
	ok(ctl_parse_time("-7d", now, 0, &t) == 0 && t == now - 7 * 86400, "-7d");
	ok(ctl_parse_time("-45s", now, 0, &t) == 0 && t == now - 45, "-45s");
	ok(ctl_parse_time("-1w", now, 0, &t) == 0 && t == now - 604800, "-1w");
	ok(ctl_parse_time("now", now, 0, &t) == 0 && t == now, "now");
	ok(ctl_parse_time("2024-03-10", now, 0, &t) == 0 && t == 1710028800, "a date: its midnight");
	ok(ctl_parse_time("2024-03-10", now, 1, &t) == 0 && t == 1710028800 + 86400,
	    "a date as --until: the end of that day");
	ok(ctl_parse_time("2024-03-10 12:30", now, 1, &t) == 0 && t == 1710073800,
	    "YYYY-MM-DD HH:MM (end_of_day only for bare dates)");
	ok(ctl_parse_time("2024-03-10 12:30:15", now, 0, &t) == 0 && t == 1710073815, "with seconds");
	ok(ctl_parse_time("2024-03-10T12:30:15", now, 0, &t) == 0 && t == 1710073815, "T for the space");
	ok(ctl_parse_time("2024-12-31", now, 1, &t) == 0 && t == 1735689600, "end of the year rolls over");

	static const char *const bad[] = {
		"", "-", "-2", "-2x", "-h", "--2h", "2h", "-2hh", "yesterday", "2024-3-10",
		"2024-03-10 1:00", "2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10",
		"2024-03-10 24:00", "2024-03-10 12:60", "2024-03-10 12:00:", "2024-03-10 12:00:00Z",
		"1969-12-31", "-99999999999999999999d", "-100000000w", NULL,
	};
	for (int i = 0; bad[i]; i++)
		ok(ctl_parse_time(bad[i], now, 0, &t) < 0, "rejected: '%s'", bad[i]);
	ok(ctl_parse_time("2024-02-29", now, 0, &t) == 0, "a leap day is a day");
}

static void test_job(void)
{
	long job = 0;

	ok(ctl_parse_job("12", &job) == 0 && job == 12, "job 12");
	ok(ctl_parse_job("0", &job) < 0, "job 0 rejected");
	ok(ctl_parse_job("-3", &job) < 0, "negative rejected");
	ok(ctl_parse_job("12a", &job) < 0, "trailing garbage rejected");
	ok(ctl_parse_job(" 12", &job) < 0, "leading blank rejected");
	ok(ctl_parse_job("99999999999999999999999", &job) < 0, "overflow rejected");
	ok(ctl_known_state("retry_wait") && !ctl_known_state("sent"), "known states");
}

static void test_fmt(void)
{
	char b[64];

	ctl_fmt_age(b, sizeof(b), 42);
	is_str(b, "42s", "age in seconds");
	ctl_fmt_age(b, sizeof(b), 310);
	is_str(b, "5m 10s", "age in minutes");
	ctl_fmt_age(b, sizeof(b), 2 * 3600 + 5 * 60 + 9);
	is_str(b, "2h 5m", "age in hours");
	ctl_fmt_age(b, sizeof(b), 3 * 86400 + 7200);
	is_str(b, "3d 2h", "age in days");
	ctl_fmt_age(b, sizeof(b), -5);
	is_str(b, "0s", "negative age is 0s");
	ctl_fmt_due(b, sizeof(b), 1000 + 600, 1000);
	is_str(b, "in 10m 0s", "due ahead");
	ctl_fmt_due(b, sizeof(b), 1000 - 90, 1000);
	is_str(b, "1m 30s ago", "due behind");
	ctl_fmt_due(b, sizeof(b), 0, 1000);
	is_str(b, "-", "never");
	ctl_fmt_time(b, sizeof(b), 1710073815);
	is_str(b, "2024-03-10 12:30:15", "local time (TZ=UTC)");
	ctl_fmt_time(b, sizeof(b), 0);
	is_str(b, "-", "time 0 is -");
	ctl_fmt_size(b, sizeof(b), 812);
	is_str(b, "812 B", "bytes");
	ctl_fmt_size(b, sizeof(b), 1234);
	is_str(b, "1.2 KiB", "KiB");
	ctl_fmt_size(b, sizeof(b), 3 * 1024 * 1024 + 100000);
	is_str(b, "3.1 MiB", "MiB");
}

static void test_clean(void)
{
	char b[32];

	ctl_clean(b, sizeof(b), "plain text");
	is_str(b, "plain text", "plain text unchanged");
	ctl_clean(b, sizeof(b), "a\tb\nc\x1b[31md\x7f");
	is_str(b, "a?b?c?[31md?", "controls and DEL become ?");
	ctl_clean(b, sizeof(b), "Gr\xc3\xbc\xc3\x9f" "e");
	is_str(b, "Grüße", "UTF-8 kept");
	ctl_clean(b, sizeof(b), "\xc2\x9b" "31m");
	is_str(b, "?31m", "C1 control (CSI) becomes ?");
	ctl_clean(b, sizeof(b), "a\xff\xc3(b\xe0\x80\x80");
	is_str(b, "a?" "?(b???", "bytes that are not UTF-8 (and overlong forms) become ?");
	ctl_clean(b, 6, "abcd\xc3\xbc");
	is_str(b, "abcd", "a character is never cut in half");
	ctl_clean(b, sizeof(b), NULL);
	is_str(b, "", "NULL is empty");
}

static void test_json(void)
{
	char *s;

	s = json_of("plain");
	is_str(s, "\"plain\"", "plain string");
	free(s);
	s = json_of("q\"b\\n\nt\tr\r\x01\x1f\x7f");
	is_str(s, "\"q\\\"b\\\\n\\nt\\tr\\r\\u0001\\u001f\\u007f\"", "escapes");
	free(s);
	s = json_of("Gr\xc3\xbc\xc3\x9f" "e \xf0\x9f\x93\xa0");
	is_str(s, "\"Grüße \xf0\x9f\x93\xa0\"", "UTF-8 passed through");
	free(s);
	s = json_of("a\xff" "b\xed\xa0\x80");
	is_str(s, "\"a\\ufffdb\\ufffd\\ufffd\\ufffd\"", "not UTF-8 (and a surrogate) becomes U+FFFD");
	free(s);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ctl_json_t *j = ctl_json_new(f);
	ctl_json_begin(j, NULL, 0);
	ctl_json_int(j, "id", 7);
	ctl_json_str(j, "s", NULL);
	ctl_json_time(j, "t", 0);
	ctl_json_begin(j, "a", 1);
	ctl_json_int(j, NULL, 1);
	ctl_json_str(j, NULL, "x");
	ctl_json_end(j);
	ctl_json_begin(j, "e", 1);
	ctl_json_end(j);
	ctl_json_end(j);
	ctl_json_free(j);
	fclose(f);
	is_str(buf, "{\n  \"id\": 7,\n  \"s\": null,\n  \"t\": null,\n  \"a\": [\n    1,\n    \"x\"\n  ],\n"
	    "  \"e\": []\n}\n", "nested object, array, nulls, empty array");
	free(buf);
}

static void test_table(void)
{
	static const char *const head[] = { "ID", "NAME", "N", NULL };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ctl_table_t *t = ctl_table_new(head, "rll");

	ctl_table_add(t, "7", "Grüße", NULL);
	ctl_table_add(t, "123", "a\x1b" "b", "x");
	ctl_table_print(t, f, "  ");
	ctl_table_free(t);
	fclose(f);
	is_str(buf, "   ID  NAME   N\n    7  Grüße  -\n  123  a?b    x\n",
	    "aligned by characters, right and left, NULL as -, cleaned, no trailing blanks");
	free(buf);
}

int main(void)
{
	test_time();
	test_job();
	test_fmt();
	test_clean();
	test_json();
	test_table();
	return done_testing();
}
