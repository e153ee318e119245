/* cidr.c - network lists; see cidr.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"

/* parse_one - one "addr[/bits]" entry into *net, returns 0 or -1 */
static int parse_one(const char *tok, cidr_net_t *net)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long bits;

	if (strlen(tok) >= sizeof(buf))
		return -1;
	strcpy(buf, tok);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	memset(net, 0, sizeof(*net));
	if (inet_pton(AF_INET, buf, net->addr) == 1) {
		net->family = AF_INET;
		net->bits = 32;
	} else if (inet_pton(AF_INET6, buf, net->addr) == 1) {
		net->family = AF_INET6;
		net->bits = 128;
	} else
		return -1;
	if (slash) {
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || bits < 0 || bits > (long)net->bits)
			return -1;
		net->bits = (unsigned)bits;
	}
	return 0;
}

/* cidr_list_parse - parse a list of networks, returns 0 or -1 */
int cidr_list_parse(const char *text, cidr_list_t *out, char *err, size_t errlen)
{
	const char *p = text;
	char tok[128];

	out->nets = NULL;
	out->n = 0;
	while (p && *p) {
		size_t n = strcspn(p, ", \t");
		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof(tok)) {
			snprintf(err, errlen, "network entry too long");
			goto fail;
		}
		memcpy(tok, p, n);
		tok[n] = '\0';
		cidr_net_t net;
		if (parse_one(tok, &net) < 0) {
			snprintf(err, errlen, "'%s' is not a network (want e.g. 192.0.2.0/24 or ::1/128)", tok);
			goto fail;
		}
		cidr_net_t *nn = realloc(out->nets, (out->n + 1) * sizeof(*nn));
		if (!nn) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		out->nets = nn;
		out->nets[out->n++] = net;
		p += n;
	}
	return 0;
fail:
	cidr_list_free(out);
	return -1;
}

/* prefix_eq - compare the first bits of two addresses */
static int prefix_eq(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

/* cidr_list_match - is addr inside one of the networks? returns 1 or 0 */
int cidr_list_match(const cidr_list_t *l, const char *addr)
{
	unsigned char a4[4], a6[16];
	int is4 = 0, is6 = 0;

	if (!addr)
		return 0;
	if (inet_pton(AF_INET, addr, a4) == 1)
		is4 = 1;
	else if (inet_pton(AF_INET6, addr, a6) == 1) {
		static const unsigned char mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };
		is6 = 1;
		if (memcmp(a6, mapped, 12) == 0) {
			memcpy(a4, a6 + 12, 4);
			is4 = 1;
		}
	}
	for (size_t i = 0; i < l->n; i++) {
		const cidr_net_t *n = &l->nets[i];
		if (n->family == AF_INET && is4 && prefix_eq(n->addr, a4, n->bits))
			return 1;
		if (n->family == AF_INET6 && is6 && prefix_eq(n->addr, a6, n->bits))
			return 1;
	}
	return 0;
}

/* cidr_list_free - release the list */
void cidr_list_free(cidr_list_t *l)
{
	free(l->nets);
	l->nets = NULL;
	l->n = 0;
}
