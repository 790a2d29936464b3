/* names.c - name resolution with libpcap's rules: hosts (all addresses of
 * the name, IPv4 and IPv6), services (tcp/udp/sctp), protocols, ethers and
 * networks. A names_ctx with a dir reads only that folder's files (tests
 * point it at the corpus), except services and protocols, which fall back to
 * /etc when the folder has none; without a dir, /etc and, for hosts, the
 * system resolver.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* qsort_r */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "cbpf.h"

#define MAXTOK 16

/* Call FN on every line of DIR/FILE (or /etc/FILE) split into tokens, until it
 * returns non-zero. FALLBACK: use /etc when DIR has no such file. */
typedef int (*line_fn)(void *ctx, char **tok, int ntok);

static int each_line(const struct names_ctx *c, const char *file, int fallback,
		     line_fn fn, void *ctx)
{
	char path[4096], line[1024];
	FILE *f = NULL;
	int rc = 0;

	if (c && c->dir) {
		snprintf(path, sizeof(path), "%s/%s", c->dir, file);
		f = fopen(path, "re");
		if (!f && !fallback)
			return 0;
	}
	if (!f) {
		snprintf(path, sizeof(path), "/etc/%s", file);
		f = fopen(path, "re");
		if (!f)
			return 0;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		char *tok[MAXTOK], *save = NULL, *p;
		int n = 0;

		p = strchr(line, '#');
		if (p)
			*p = '\0';
		for (p = strtok_r(line, " \t\r\n", &save); p && n < MAXTOK;
		     p = strtok_r(NULL, " \t\r\n", &save))
			tok[n++] = p;
		if (n)
			rc = fn(ctx, tok, n);
	}
	fclose(f);
	return rc;
}

static int has_name(char **tok, int ntok, int from, const char *name, int icase)
{
	for (int i = from; i < ntok; i++)
		if (icase ? !strcasecmp(tok[i], name) : !strcmp(tok[i], name))
			return 1;
	return 0;
}

/* ---- hosts */

struct host_q {
	const char *name;
	int family;
	uint8_t *addrs;
	int n, alen;
};

static int add_addr(struct host_q *q, const void *a)
{
	uint8_t *v = realloc(q->addrs, (size_t)(q->n + 1) * (size_t)q->alen);

	if (!v)
		return -ENOMEM;
	q->addrs = v;
	/* the same address twice is one test, as getaddrinfo dedups */
	for (int i = 0; i < q->n; i++)
		if (!memcmp(v + i * q->alen, a, (size_t)q->alen))
			return 0;
	memcpy(v + q->n * q->alen, a, (size_t)q->alen);
	q->n++;
	return 0;
}

static int cmp_addr(const void *a, const void *b, void *len)
{
	return memcmp(a, b, (size_t)*(int *)len);
}

static int host_line(void *ctx, char **tok, int ntok)
{
	struct host_q *q = ctx;
	uint8_t a[16];

	if (ntok < 2 || !has_name(tok, ntok, 1, q->name, 1))
		return 0;
	if (inet_pton(q->family, tok[0], a) != 1)
		return 0;
	return add_addr(q, a) < 0;
}

int names_host(const struct names_ctx *c, const char *name, int family,
	       uint8_t **addrs, int *n)
{
	struct host_q q = { name, family, NULL, 0, family == AF_INET ? 4 : 16 };

	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	*addrs = NULL;
	*n = 0;
	each_line(c, "hosts", 0, host_line, &q);
	/* the order only decides which load runs off a short packet first;
	 * ascending is stable and is what the corpus' libpcap saw */
	if (q.n > 1)
		qsort_r(q.addrs, (size_t)q.n, (size_t)q.alen, cmp_addr, &q.alen);
	if (!q.n && !(c && c->dir)) {
		struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_STREAM };
		struct addrinfo *res = NULL, *ai;

		if (getaddrinfo(name, NULL, &hints, &res) == 0) {
			for (ai = res; ai; ai = ai->ai_next) {
				const void *a = family == AF_INET
					? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
					: (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

				if (ai->ai_family == family && add_addr(&q, a) < 0)
					break;
			}
			freeaddrinfo(res);
		}
	}
	if (!q.n) {
		free(q.addrs);
		return -ENOENT;
	}
	*addrs = q.addrs;
	*n = q.n;
	return 0;
}

/* ---- services, protocols, networks, ethers */

struct simple_q {
	const char *name;
	const char *proto;   /* services: "tcp", "udp", "sctp" */
	long v;
	uint8_t mac[6];
	int found;
};

static int service_line(void *ctx, char **tok, int ntok)
{
	struct simple_q *q = ctx;
	char *slash;
	long port;

	if (ntok < 2)
		return 0;
	slash = strchr(tok[1], '/');
	if (!slash || strcmp(slash + 1, q->proto))
		return 0;
	if (strcmp(tok[0], q->name) && !has_name(tok, ntok, 2, q->name, 0))
		return 0;
	port = strtol(tok[1], NULL, 10);
	if (port < 0 || port > 65535)
		return 0;
	q->v = port;
	q->found = 1;
	return 1;
}

int names_port(const struct names_ctx *c, const char *name, int proto)
{
	struct simple_q q = { .name = name };

	switch (proto) {
	case 6:   q.proto = "tcp"; break;
	case 17:  q.proto = "udp"; break;
	case 132: q.proto = "sctp"; break;
	default:  return -EINVAL;
	}
	each_line(c, "services", 1, service_line, &q);
	return q.found ? (int)q.v : -ENOENT;
}

static int proto_line(void *ctx, char **tok, int ntok)
{
	struct simple_q *q = ctx;

	if (ntok < 2 || (strcmp(tok[0], q->name) && !has_name(tok, ntok, 2, q->name, 0)))
		return 0;
	q->v = strtol(tok[1], NULL, 10);
	q->found = q->v >= 0 && q->v <= 255;
	return q->found;
}

int names_proto(const struct names_ctx *c, const char *name)
{
	struct simple_q q = { .name = name };

	each_line(c, "protocols", 1, proto_line, &q);
	return q.found ? (int)q.v : -ENOENT;
}

static int ether_line(void *ctx, char **tok, int ntok)
{
	struct simple_q *q = ctx;
	unsigned v[6];
	char tail;

	if (ntok < 2 || strcasecmp(tok[1], q->name))
		return 0;
	if (sscanf(tok[0], "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return 0;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return 0;
		q->mac[i] = (uint8_t)v[i];
	}
	q->found = 1;
	return 1;
}

int names_ether(const struct names_ctx *c, const char *name, uint8_t mac[6])
{
	struct simple_q q = { .name = name };

	each_line(c, "ethers", 0, ether_line, &q);
	if (!q.found)
		return -ENOENT;
	memcpy(mac, q.mac, 6);
	return 0;
}

static int net_line(void *ctx, char **tok, int ntok)
{
	struct simple_q *q = ctx;
	in_addr_t net;

	if (ntok < 2 || (strcasecmp(tok[0], q->name) && !has_name(tok, ntok, 2, q->name, 1)))
		return 0;
	/* inet_network: "10.20" is 0x0a14, as getnetbyname's n_net */
	net = inet_network(tok[1]);
	if (net == (in_addr_t)-1)
		return 0;
	q->v = (long)net;
	q->found = 1;
	return 1;
}

int names_net(const struct names_ctx *c, const char *name, uint32_t *net)
{
	struct simple_q q = { .name = name };

	each_line(c, "networks", 0, net_line, &q);
	if (!q.found)
		return -ENOENT;
	*net = (uint32_t)q.v;
	return 0;
}
