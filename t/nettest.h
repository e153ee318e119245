/*
 * nettest.h - for the unit tests that open sockets (header-only).
 *
 * SYNOPSIS
 *	#include "nettest.h"
 *	int nettest_free_port(void);
 *
 * DESCRIPTION
 *	A UDP port on 127.0.0.1 that was free a moment ago: the kernel picks
 *	it for a socket that is closed at once. Another process may take it
 *	before the caller binds, so callers that bind retry.
 */
#ifndef FAXGATE_NETTEST_H
#define FAXGATE_NETTEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

__attribute__((unused))
static int nettest_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &len);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

#endif
