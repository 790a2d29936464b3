/* framegen - send a deterministic mix of Ethernet frames with libnet and write
 * the very same frames to a pcap file, so a test can ask libpcap which of them
 * a filter matches (pcap_compile + pcap_offline_filter) and compare with what a
 * capture delivered.
 *
 *   framegen -i IFACE [-n N] [-w out.pcap] [-s seed] [-m mix] [-v every]
 *
 * mix: comma-separated kinds among tcp4 udp4 icmp4 arp tcp6 udp6 icmp6 vlan
 *      ("vlan" = 802.1Q-tagged TCP or UDP over IPv4); default all but vlan.
 * The same seed gives the same frames. Prints "sent=N" when done.
 * Hosts are 10.1.0.x -> 10.2.0.x and fd00:1::x -> fd00:2::x with locally
 * administered MACs: nothing here is routable, and it only leaves through IFACE.
 */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <libnet.h>
#include <pcap/pcap.h>

#define MAX_FRAMES 1000000
#define NHOSTS 8

enum kind { K_TCP4, K_UDP4, K_ICMP4, K_ARP, K_TCP6, K_UDP6, K_ICMP6, K_VLAN, K__N };
static const char *const kind_names[K__N] = {
	[K_TCP4] = "tcp4", [K_UDP4] = "udp4", [K_ICMP4] = "icmp4", [K_ARP] = "arp",
	[K_TCP6] = "tcp6", [K_UDP6] = "udp6", [K_ICMP6] = "icmp6", [K_VLAN] = "vlan",
};
static const uint16_t ports[] = { 22, 53, 80, 123, 443, 8080 };

/* splitmix64: a tiny generator whose sequence only depends on the seed. */
static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return n ? (uint32_t)(z % n) : 0;
}

static void mac_of(uint8_t mac[6], int side, int host)
{
	const uint8_t m[6] = { 0x02, 0x00, 0x5e, 0x10, (uint8_t)side, (uint8_t)(host + 1) };

	memcpy(mac, m, 6);
}

static uint32_t ip4_of(int side, int host)
{
	return htonl(0x0a000000u | (uint32_t)side << 16 | (uint32_t)(host + 1));
}

static struct libnet_in6_addr ip6_of(int side, int host)
{
	struct libnet_in6_addr a;

	memset(&a, 0, sizeof(a));
	a.libnet_s6_addr[0] = 0xfd;
	a.libnet_s6_addr[3] = (uint8_t)side;
	a.libnet_s6_addr[15] = (uint8_t)(host + 1);
	return a;
}

static int parse_mix(const char *s, int kinds[K__N])
{
	char buf[256], *tok, *save = NULL;
	int n = 0, k;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < K__N && strcmp(tok, kind_names[k]); k++)
			;
		if (k == K__N || n == K__N) {
			fprintf(stderr, "framegen: unknown kind '%s' in -m\n", tok);
			return -1;
		}
		kinds[n++] = k;
	}
	return n;
}

/* Build one frame of kind K into L (headers are pushed innermost first). */
static int build(libnet_t *l, enum kind k)
{
	uint8_t smac[6], dmac[6], payload[1400];
	int sh = (int)rnd(NHOSTS), dh = (int)rnd(NHOSTS);
	uint32_t plen = rnd(8) == 0 ? 200 + rnd(1200) : rnd(120);
	uint16_t sport = (uint16_t)(rnd(2) ? ports[rnd(6)] : 1024 + rnd(60000));
	uint16_t dport = (uint16_t)ports[rnd(6)];
	uint8_t flags[] = { TH_SYN, TH_ACK, TH_PUSH | TH_ACK, TH_FIN | TH_ACK, TH_RST };
	int inner_tcp = 0;
	uint32_t i;

	for (i = 0; i < plen; i++)
		payload[i] = (uint8_t)(i * 7 + plen);
	mac_of(smac, 1, sh);
	mac_of(dmac, 2, dh);
	if (k == K_VLAN)
		inner_tcp = (int)rnd(2);

	switch (k) {
	case K_TCP4: case K_TCP6:
		inner_tcp = 1;
		/* fall through */
	case K_UDP4: case K_UDP6: case K_VLAN:
		if (inner_tcp) {
			if (libnet_build_tcp(sport, dport, rnd(0xffffffffu), rnd(0xffffffffu),
					     flags[rnd(5)], (uint16_t)(1024 + rnd(60000)), 0, 0,
					     (uint16_t)(LIBNET_TCP_H + plen), payload, plen, l, 0) < 0)
				return -1;
		} else if (libnet_build_udp(sport, dport, (uint16_t)(LIBNET_UDP_H + plen), 0,
					    payload, plen, l, 0) < 0) {
			return -1;
		}
		plen += inner_tcp ? LIBNET_TCP_H : LIBNET_UDP_H;
		break;
	case K_ICMP4:
		if (libnet_build_icmpv4_echo(rnd(2) ? ICMP_ECHO : ICMP_ECHOREPLY, 0, 0,
					     (uint16_t)rnd(65536), (uint16_t)rnd(65536),
					     payload, plen, l, 0) < 0)
			return -1;
		plen += LIBNET_ICMPV4_ECHO_H;
		break;
	case K_ICMP6:
		if (libnet_build_icmpv6_echo(rnd(2) ? 128 : 129, 0, 0, (uint16_t)rnd(65536),
					     (uint16_t)rnd(65536), payload, plen, l, 0) < 0)
			return -1;
		plen += LIBNET_ICMPV6_ECHO_H;
		break;
	case K_ARP: {
		uint32_t spa = ip4_of(1, sh), tpa = ip4_of(2, dh);
		static const uint8_t zero[6], bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
		int reply = (int)rnd(2);

		if (libnet_build_arp(ARPHRD_ETHER, ETHERTYPE_IP, 6, 4,
				     reply ? ARPOP_REPLY : ARPOP_REQUEST, smac, (uint8_t *)&spa,
				     reply ? dmac : zero, (uint8_t *)&tpa, NULL, 0, l, 0) < 0)
			return -1;
		return libnet_build_ethernet(reply ? dmac : bcast, smac, ETHERTYPE_ARP,
					     NULL, 0, l, 0) < 0 ? -1 : 0;
	}
	default:
		return -1;
	}

	if (k == K_TCP6 || k == K_UDP6 || k == K_ICMP6) {
		uint8_t nh = k == K_TCP6 ? IPPROTO_TCP : k == K_UDP6 ? IPPROTO_UDP : IPPROTO_ICMPV6;

		if (libnet_build_ipv6(0, rnd(1u << 20), (uint16_t)plen, nh, 64, ip6_of(1, sh),
				      ip6_of(2, dh), NULL, 0, l, 0) < 0)
			return -1;
		return libnet_build_ethernet(dmac, smac, ETHERTYPE_IPV6, NULL, 0, l, 0) < 0 ? -1 : 0;
	}
	if (libnet_build_ipv4((uint16_t)(LIBNET_IPV4_H + plen), 0, (uint16_t)rnd(65536), 0,
			      (uint8_t)(32 + rnd(100)),
			      k == K_ICMP4 ? IPPROTO_ICMP : inner_tcp ? IPPROTO_TCP : IPPROTO_UDP,
			      0, ip4_of(1, sh), ip4_of(2, dh), NULL, 0, l, 0) < 0)
		return -1;
	if (k == K_VLAN)
		return libnet_build_802_1q(dmac, smac, ETHERTYPE_VLAN, (uint8_t)rnd(8), 0,
					   (uint16_t)(1 + rnd(4094)), ETHERTYPE_IP, NULL, 0,
					   l, 0) < 0 ? -1 : 0;
	return libnet_build_ethernet(dmac, smac, ETHERTYPE_IP, NULL, 0, l, 0) < 0 ? -1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: framegen -i IFACE [-n N] [-w out.pcap] [-s seed] [-m mix]\n"
		"  mix: comma-separated tcp4,udp4,icmp4,arp,tcp6,udp6,icmp6,vlan\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char errbuf[LIBNET_ERRBUF_SIZE > PCAP_ERRBUF_SIZE ? LIBNET_ERRBUF_SIZE : PCAP_ERRBUF_SIZE];
	const char *ifname = NULL, *out = NULL, *mix = "tcp4,udp4,icmp4,arp,tcp6,udp6,icmp6";
	long n = 100, i;
	int kinds[K__N], nkinds, c, ret = 0;
	pcap_t *dead = NULL;
	pcap_dumper_t *dump = NULL;
	libnet_t *l;

	rng_state = 1;
	while ((c = getopt(argc, argv, "i:n:w:s:m:h")) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'n': n = strtol(optarg, NULL, 0); break;
		case 'w': out = optarg; break;
		case 's': rng_state = strtoull(optarg, NULL, 0); break;
		case 'm': mix = optarg; break;
		default: usage();
		}
	}
	if (!ifname || n < 0 || n > MAX_FRAMES)
		usage();
	nkinds = parse_mix(mix, kinds);
	if (nkinds <= 0)
		return 2;
	l = libnet_init(LIBNET_LINK_ADV, ifname, errbuf);
	if (!l) {
		fprintf(stderr, "framegen: %s\n", errbuf);
		return 1;
	}
	if (out) {
		dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535,
							    PCAP_TSTAMP_PRECISION_NANO);
		dump = dead ? pcap_dump_open(dead, out) : NULL;
		if (!dump) {
			fprintf(stderr, "framegen: %s: %s\n", out, dead ? pcap_geterr(dead) : "");
			return 1;
		}
	}
	for (i = 0; i < n; i++) {
		uint8_t *frame;
		uint32_t len;
		struct timespec ts;

		libnet_clear_packet(l);
		if (build(l, (enum kind)kinds[i % nkinds]) < 0 ||
		    libnet_adv_cull_packet(l, &frame, &len) < 0) {
			fprintf(stderr, "framegen: frame %ld: %s\n", i, libnet_geterror(l));
			ret = 1;
			break;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		if (dump) {
			struct pcap_pkthdr h = { .caplen = len, .len = len };

			h.ts.tv_sec = ts.tv_sec;
			h.ts.tv_usec = ts.tv_nsec; /* a nanosecond file */
			pcap_dump((u_char *)dump, &h, frame);
		}
		if (libnet_adv_write_link(l, frame, len) != (int)len) {
			fprintf(stderr, "framegen: frame %ld: %s\n", i, libnet_geterror(l));
			libnet_adv_free_packet(l, frame);
			ret = 1;
			break;
		}
		libnet_adv_free_packet(l, frame);
	}
	if (dump)
		pcap_dump_close(dump);
	if (dead)
		pcap_close(dead);
	libnet_destroy(l);
	printf("sent=%ld\n", i);
	return ret;
}
