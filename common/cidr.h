/*
 * NAME
 *	cidr - lists of IPv4/IPv6 networks and membership tests
 * SYNOPSIS
 *	#include "cidr.h"
 *	int  cidr_list_parse(const char *text, cidr_list_t *out, char *err, size_t errlen);
 *	int  cidr_list_match(const cidr_list_t *l, const char *addr);
 *	void cidr_list_free(cidr_list_t *l);
 * DESCRIPTION
 *	cidr_list_parse reads comma- or space-separated entries such as
 *	"127.0.0.0/8, ::1/128, 192.0.2.7" (no prefix length = a host) into
 *	*out, returning 0, or -1 with the bad entry named in err.
 *	cidr_list_match returns 1 when addr (numeric IPv4 or IPv6 text; an
 *	IPv4-mapped IPv6 address counts as IPv4) is inside an entry, else 0.
 */
#ifndef FAXGATE_CIDR_H
#define FAXGATE_CIDR_H

#include <stddef.h>

typedef struct cidr_net {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned bits;
} cidr_net_t;

typedef struct cidr_list {
	cidr_net_t *nets;
	size_t n;
} cidr_list_t;

int cidr_list_parse(const char *text, cidr_list_t *out, char *err, size_t errlen);
int cidr_list_match(const cidr_list_t *l, const char *addr);
void cidr_list_free(cidr_list_t *l);

#endif
