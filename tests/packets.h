/* packets.h - test packets built from scratch, for the tests that compare
 * filter verdicts with libpcap's (test_gen, test_kernel_corpus).
 *
 * A network-layer packet (struct pk_l3) is built first, then wrapped in a
 * link header of one of the in-scope link types and handed to the caller's
 * sink, with cut copies where asked: each test keeps packets its own way
 * (test_gen with caplen < wirelen, the kernel test as shorter whole packets).
 * The constants (addresses, ports, MACs) are the ones the tests' expression
 * tables and the corpus name files use, so that filters have packets that
 * match as well as packets that do not.
 */
#ifndef SNIFF_TESTS_PACKETS_H
#define SNIFF_TESTS_PACKETS_H

#include <stddef.h>
#include <stdint.h>

/* Gets each frame: CAPLEN bytes of a WIRELEN-byte frame (less for a cut). */
typedef void (*pk_sink_fn)(void *ctx, const uint8_t *frame, uint32_t caplen,
			   uint32_t wirelen);

struct pk_sink {
	pk_sink_fn add;
	void *ctx;
};

/* A network-layer packet and the ethertype that carries it (0: 802.3 LLC). */
struct pk_l3 {
	uint16_t type;
	uint32_t len;
	uint8_t b[256];
};

extern const uint32_t pk_v4[];
extern const size_t pk_nv4;
extern const char *const pk_v6names[];
extern const size_t pk_nv6;
extern const uint32_t pk_ports[];
extern const size_t pk_nports;
extern const uint8_t pk_macs[][6];
extern const size_t pk_nmacs;

void pk_put16(uint8_t *p, uint32_t v);
void pk_put32(uint8_t *p, uint32_t v);

/* Transport header of PROTO at P: ports (ICMP & co: type/code), TCP FLAGS.
 * Returns its length. */
uint32_t pk_l4(uint8_t *p, int proto, uint32_t sport, uint32_t dport, uint8_t flags);
/* IPv4 with OPTWORDS words of NOP options; FRAG is the flags/offset field. */
void pk_ip4(struct pk_l3 *l, uint32_t src, uint32_t dst, int proto, uint32_t sport,
	    uint32_t dport, uint16_t frag, int optwords, uint8_t flags);
/* IPv6 (16-byte addresses), with a fragment header first when FRAGHDR. */
void pk_ip6(struct pk_l3 *l, const uint8_t *src, const uint8_t *dst, int proto,
	    uint32_t sport, uint32_t dport, int fraghdr, uint8_t flags);
/* ARP-shaped payload under ethertype TYPE (ARP or RARP), opcode OP. */
void pk_arp(struct pk_l3 *l, uint16_t type, uint32_t spa, uint32_t tpa, int op);
/* 802.2 LLC (SNAP with SNAPTYPE when the SAP is 0xaa) as an 802.3 payload. */
void pk_llc(struct pk_l3 *l, uint8_t sap, uint8_t ctl, uint16_t snaptype);

/* Wrap L in DLT's link header (V picks MACs, VLAN tags, packet type,
 * AF_INET6 value) and hand it to OUT, plus its cuts at every header
 * boundary when CUT. MAC, when given, is the Ethernet destination. */
void pk_frame_add(const struct pk_sink *out, int dlt, const struct pk_l3 *l, unsigned v,
		  int cut, const uint8_t *mac);
/* Every built packet of DLT: IPv4/IPv6 over the protocols, fragments and
 * options, MPLS/PPPoE/Geneve/VXLAN around them, extension-header and AH
 * chains, ARP/RARP, LLC/SNAP, other ethertypes. */
void pk_build_pool(const struct pk_sink *out, int dlt);

#endif /* SNIFF_TESTS_PACKETS_H */
