/* \summary: Domain Name System printer (RFC 1035; EDNS(0) RFC 6891,
 * client subnet RFC 7871, cookies RFC 7873; mDNS RFC 6762; DNS over TCP
 * RFC 7766)
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "sniffer/print.h"

struct dns_header {
	nd_uint16_t id;
	nd_uint16_t flags;
	nd_uint16_t qdcount;
	nd_uint16_t ancount;
	nd_uint16_t nscount;
	nd_uint16_t arcount;
};

#define DNS_QR(f) ((f) & 0x8000)
#define DNS_OPCODE(f) (((f) >> 11) & 0xF)
#define DNS_AA(f) ((f) & 0x0400)
#define DNS_TC(f) ((f) & 0x0200)
#define DNS_RD(f) ((f) & 0x0100)
#define DNS_RA(f) ((f) & 0x0080)
#define DNS_AD(f) ((f) & 0x0020)
#define DNS_CD(f) ((f) & 0x0010)
#define DNS_RCODE(f) ((f) & 0x000F)
#define IQUERY 1

/* The two top bits of a label length say what it is. */
#define TYPE_MASK 0xc0
#define TYPE_INDIR 0xc0     /* compression pointer */
#define TYPE_EDNS0 0x40     /* extended label type */
#define TYPE_RESERVED 0x80
#define TYPE_LABEL 0x00
#define EDNS0_ELT_BITLABEL 0x01
#define MAXCDNAME 255

#define C_IN 1
#define C_QU 0x8000          /* mDNS: unicast response wanted */
#define C_CACHE_FLUSH 0x8000 /* mDNS */

#define T_A 1
#define T_NS 2
#define T_CNAME 5
#define T_SOA 6
#define T_PTR 12
#define T_MX 15
#define T_TXT 16
#define T_AAAA 28
#define T_SRV 33
#define T_A6 38
#define T_DNAME 39
#define T_OPT 41
#define T_TSIG 250
#define T_URI 256

#define E_ECS 8
#define E_EXPIRE 9
#define E_COOKIE 10
#define E_KEEPALIVE 11
#define E_PADDING 12
#define E_CHAIN 13
#define E_KEYTAG 14
#define E_DAU 5
#define E_DHU 6
#define E_N3U 7

static const char *const ns_ops[] = {
	"", " inv_q", " stat", " op3", " notify", " update", " op6", " op7",
	" op8", " updateA", " updateD", " updateDA", " updateM", " updateMA", " zoneInit",
	" zoneRef",
};

/* (the missing spaces before Resp17 and Resp21 are tcpdump's) */
static const char *const ns_resp[] = {
	"", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused", " YXDomain",
	" YXRRSet", " NXRRSet", " NotAuth", " NotZone", " Resp11", " Resp12", " Resp13",
	" Resp14", " NoChange", " BadVers", "Resp17", " Resp18", " Resp19", " Resp20", "Resp21",
	" Resp22", " BadCookie",
};

static const struct tok ns_type2str[] = {
	{ 1, "A" }, { 2, "NS" }, { 3, "MD" }, { 4, "MF" }, { 5, "CNAME" }, { 6, "SOA" },
	{ 7, "MB" }, { 8, "MG" }, { 9, "MR" }, { 10, "NULL" }, { 11, "WKS" }, { 12, "PTR" },
	{ 13, "HINFO" }, { 14, "MINFO" }, { 15, "MX" }, { 16, "TXT" }, { 17, "RP" },
	{ 18, "AFSDB" }, { 19, "X25" }, { 20, "ISDN" }, { 21, "RT" }, { 22, "NSAP" },
	{ 23, "NSAP_PTR" }, { 24, "SIG" }, { 25, "KEY" }, { 26, "PX" }, { 27, "GPOS" },
	{ 28, "AAAA" }, { 29, "LOC" }, { 30, "NXT" }, { 31, "EID" }, { 32, "NIMLOC" },
	{ 33, "SRV" }, { 34, "ATMA" }, { 35, "NAPTR" }, { 36, "KX" }, { 37, "CERT" },
	{ 38, "A6" }, { 39, "DNAME" }, { 40, "SINK" }, { 41, "OPT" }, { 42, "APL" },
	{ 43, "DS" }, { 44, "SSHFP" }, { 45, "IPSECKEY" }, { 46, "RRSIG" }, { 47, "NSEC" },
	{ 48, "DNSKEY" }, { 49, "DHCID" }, { 50, "NSEC3" }, { 51, "NSEC3PARAM" },
	{ 52, "TLSA" }, { 53, "SMIMEA" }, { 55, "HIP" }, { 56, "NINFO" }, { 57, "RKEY" },
	{ 58, "TALINK" }, { 59, "CDS" }, { 60, "CDNSKEY" }, { 61, "OPENPGPKEY" },
	{ 62, "CSYNC" }, { 63, "ZONEMD" }, { 64, "SVCB" }, { 65, "HTTPS" }, { 99, "SPF" },
	{ 100, "UINFO" }, { 101, "UID" }, { 102, "GID" }, { 103, "UNSPEC" }, { 104, "NID" },
	{ 105, "L32" }, { 106, "L64" }, { 107, "LP" }, { 108, "EUI48" }, { 109, "EUI64" },
	{ 249, "TKEY" }, { 250, "TSIG" }, { 251, "IXFR" }, { 252, "AXFR" }, { 253, "MAILB" },
	{ 254, "MAILA" }, { 255, "ANY" }, { 256, "URI" }, { 257, "CAA" }, { 258, "AVC" },
	{ 259, "DOA" }, { 260, "AMTRELAY" }, { 32768, "TA" }, { 32769, "DLV" }, { 0, NULL }
};

static const struct tok ns_class2str[] = {
	{ 1, "IN" }, { 3, "CHAOS" }, { 4, "HS" }, { 255, "ANY" }, { 0, NULL }
};

static const struct tok edns_opt2str[] = {
	{ 1, "LLQ" }, { 2, "UL" }, { 3, "NSID" }, { 5, "DAU" }, { 6, "DHU" }, { 7, "N3U" },
	{ 8, "ECS" }, { 9, "EXPIRE" }, { 10, "COOKIE" }, { 11, "KEEPALIVE" }, { 12, "PADDING" },
	{ 13, "CHAIN" }, { 14, "KEY-TAG" }, { 16, "CLIENT-TAG" }, { 17, "SERVER-TAG" },
	{ 0, NULL }
};

static const struct tok dau_alg2str[] = {
	{ 0, "DELETE" }, { 1, "RSAMD5" }, { 2, "DH" }, { 3, "DS" }, { 5, "RSASHA1" },
	{ 6, "DSA-NSEC3-SHA1" }, { 7, "RSASHA1-NSEC3-SHA1" }, { 8, "RSASHA256" },
	{ 10, "RSASHA512" }, { 12, "ECC-GOST" }, { 13, "ECDSAP256SHA256" },
	{ 14, "ECDSAP384SHA384" }, { 15, "ED25519" }, { 16, "ED448" }, { 252, "INDIRECT" },
	{ 253, "PRIVATEDNS" }, { 254, "PRIVATEOID" }, { 0, NULL }
};

static const struct tok dhu_alg2str[] = {
	{ 1, "SHA-1" }, { 2, "SHA-256" }, { 3, "GOST_R_34.11-94" }, { 4, "SHA-384" }, { 0, NULL }
};

static const struct tok n3u_alg2str[] = {
	{ 1, "SHA-1" }, { 0, NULL }
};

static const char *ns_rcode(u_int rcode)
{
	static char buf[sizeof(" Resp4095")];

	if (rcode < sizeof(ns_resp) / sizeof(ns_resp[0]))
		return ns_resp[rcode];
	snprintf(buf, sizeof(buf), " Resp%u", rcode & 0xfff);
	return buf;
}

/* Print up to n characters, stopping at ep; 1 if it stopped early. */
static int nd_printn(struct print_ctx *ndo, const uint8_t *s, u_int n, const uint8_t *ep)
{
	while (n > 0 && (ep == NULL || (uintptr_t)s < (uintptr_t)ep)) {
		n--;
		fn_print_char(ndo, GET_U_1(s));
		s++;
	}
	return n == 0 ? 0 : 1;
}

/* A time as 1w2d3h... as tcpdump's unsigned_relts_print(). */
static void unsigned_relts_print(struct print_ctx *ndo, uint32_t secs)
{
	static const char *lengths[] = { "y", "w", "d", "h", "m", "s" };
	static const u_int seconds[] = { 31536000, 604800, 86400, 3600, 60, 1 };
	int i;

	if (secs == 0) {
		ND_PRINT("0s");
		return;
	}
	for (i = 0; secs > 0 && i < 6; i++) {
		if (secs >= seconds[i]) {
			ND_PRINT("%u%s", secs / seconds[i], lengths[i]);
			secs -= (secs / seconds[i]) * seconds[i];
		}
	}
}

/* Skip a domain name without printing it; NULL if malformed or cut. */
static const uint8_t *ns_nskip(struct print_ctx *ndo, const uint8_t *cp)
{
	uint8_t i;

	if (!ND_TTEST_1(cp))
		return NULL;
	i = GET_U_1(cp);
	cp++;
	while (i) {
		switch (i & TYPE_MASK) {
		case TYPE_INDIR:
			return cp + 1;
		case TYPE_EDNS0: {
			u_int bitlen;

			if ((i & ~TYPE_MASK) != EDNS0_ELT_BITLABEL)
				return NULL;
			if (!ND_TTEST_1(cp))
				return NULL;
			if ((bitlen = GET_U_1(cp)) == 0)
				bitlen = 256;
			cp++;
			cp += (bitlen + 7) / 8;
			break;
		}
		case TYPE_RESERVED:
			return NULL;
		case TYPE_LABEL:
			cp += i;
			break;
		}
		if (!ND_TTEST_1(cp))
			return NULL;
		i = GET_U_1(cp);
		cp++;
	}
	return cp;
}

/* An RFC 2673 bit-string label as \[xHEX/len]. */
static const uint8_t *blabel_print(struct print_ctx *ndo, const uint8_t *cp)
{
	u_int bitlen, slen, b;
	const uint8_t *bitp, *lim;
	uint8_t tc;

	if (!ND_TTEST_1(cp))
		return NULL;
	if ((bitlen = GET_U_1(cp)) == 0)
		bitlen = 256;
	slen = (bitlen + 3) / 4;
	lim = cp + 1 + slen;
	ND_PRINT("\\[x");
	for (bitp = cp + 1, b = bitlen; bitp < lim && b > 7; b -= 8, bitp++)
		ND_PRINT("%02x", GET_U_1(bitp));
	if (b > 4) {
		tc = GET_U_1(bitp);
		ND_PRINT("%02x", tc & (0xff << (8 - b)));
	} else if (b > 0) {
		tc = GET_U_1(bitp);
		ND_PRINT("%1x", ((tc >> 4) & 0x0f) & (0x0f << (4 - b)));
	}
	ND_PRINT("/%u]", bitlen);
	return lim;
}

static int labellen(struct print_ctx *ndo, const uint8_t *cp)
{
	u_int i;

	if (!ND_TTEST_1(cp))
		return -1;
	i = GET_U_1(cp);
	switch (i & TYPE_MASK) {
	case TYPE_EDNS0: {
		u_int bitlen, elt;

		if ((elt = (i & ~TYPE_MASK)) != EDNS0_ELT_BITLABEL) {
			ND_PRINT("<ELT %d>", (int)elt);
			return -1;
		}
		if (!ND_TTEST_1(cp + 1))
			return -1;
		if ((bitlen = GET_U_1(cp + 1)) == 0)
			bitlen = 256;
		return (int)(((bitlen + 7) / 8) + 1);
	}
	case TYPE_INDIR:
	case TYPE_LABEL:
		return (int)i;
	default:
		ND_PRINT("<BAD LABEL TYPE>");
		return -1;
	}
}

/* Print a <domain-name>; returns the byte after it in the record (not
 * after the target of a compression pointer), or NULL. bp is the start of
 * the DNS message, which pointers are relative to. */
const uint8_t *fqdn_print(struct print_ctx *ndo, const uint8_t *cp, const uint8_t *bp)
{
	u_int i, l, elt, offset, max_offset, name_chars = 0;
	const uint8_t *rp = NULL;
	int compress = 0, ll;

	if ((ll = labellen(ndo, cp)) < 0)
		return NULL;
	l = (u_int)ll;
	if (!ND_TTEST_1(cp))
		return NULL;
	max_offset = (u_int)(cp - bp);
	i = GET_U_1(cp);
	cp++;
	if ((i & TYPE_MASK) != TYPE_INDIR)
		rp = cp + l;
	if (i == 0) {
		ND_PRINT(".");
		return rp;
	}
	while (i && (uintptr_t)cp < (uintptr_t)ndo->snapend) {
		switch (i & TYPE_MASK) {
		case TYPE_INDIR:
			if (!compress) {
				rp = cp + 1;
				compress = 1;
			}
			if (!ND_TTEST_1(cp))
				return NULL;
			offset = (((i << 8) | GET_U_1(cp)) & 0x3fff);
			/* pointers must go backwards: this is what stops loops */
			if (offset >= max_offset) {
				ND_PRINT("<BAD PTR>");
				return NULL;
			}
			max_offset = offset;
			cp = bp + offset;
			if (!ND_TTEST_1(cp))
				return NULL;
			i = GET_U_1(cp);
			if ((ll = labellen(ndo, cp)) < 0)
				return NULL;
			l = (u_int)ll;
			cp++;
			continue;
		case TYPE_EDNS0:
			elt = (i & ~TYPE_MASK);
			if (elt != EDNS0_ELT_BITLABEL) {
				ND_PRINT("<ELT %u>", elt);
				return NULL;
			}
			if (blabel_print(ndo, cp) == NULL)
				return NULL;
			break;
		case TYPE_RESERVED:
			ND_PRINT("<BAD LABEL TYPE>");
			return NULL;
		case TYPE_LABEL:
			if (name_chars + l <= MAXCDNAME) {
				if (nd_printn(ndo, cp, l, ndo->snapend))
					return NULL;
			} else if (name_chars < MAXCDNAME) {
				if (nd_printn(ndo, cp, MAXCDNAME - name_chars, ndo->snapend))
					return NULL;
			}
			name_chars += l;
			break;
		}
		cp += l;
		if (name_chars <= MAXCDNAME)
			ND_PRINT(".");
		name_chars++;
		if (!ND_TTEST_1(cp))
			return NULL;
		i = GET_U_1(cp);
		if ((ll = labellen(ndo, cp)) < 0)
			return NULL;
		l = (u_int)ll;
		cp++;
		if (!compress)
			rp += l + 1;
	}
	if (name_chars > MAXCDNAME)
		ND_PRINT("<DOMAIN NAME TOO LONG>");
	return rp;
}

/* A <character-string>. */
static const uint8_t *ns_cprint(struct print_ctx *ndo, const uint8_t *cp)
{
	u_int i;

	if (!ND_TTEST_1(cp))
		return NULL;
	i = GET_U_1(cp);
	cp++;
	if (nd_printn(ndo, cp, i, ndo->snapend))
		return NULL;
	return cp + i;
}

static void print_eopt_ecs(struct print_ctx *ndo, const uint8_t *cp, u_int data_len)
{
	u_int family, addr_bits, src_len, scope_len;
	uint8_t padded[32];
	char addr[INET6_ADDRSTRLEN];

	if (data_len < 4) {
		nd_print_invalid(ndo);
		return;
	}
	family = GET_BE_U_2(cp);
	src_len = GET_U_1(cp + 2);
	scope_len = GET_U_1(cp + 3);
	cp += 4;
	if (family == 1)
		addr_bits = 32;
	else if (family == 2)
		addr_bits = 128;
	else {
		nd_print_invalid(ndo);
		return;
	}
	if (data_len - 4 > (addr_bits / 8) || src_len > addr_bits || scope_len > addr_bits ||
	    ((src_len + 7) / 8) != (data_len - 4)) {
		nd_print_invalid(ndo);
		return;
	}
	memset(padded, 0, sizeof(padded));
	ND_BCHECK_LEN(cp, data_len - 4);
	memcpy(padded, cp, data_len - 4);
	inet_ntop(family == 1 ? AF_INET : AF_INET6, padded, addr, sizeof(addr));
	ND_PRINT("%s/%d/%d", addr, (int)src_len, (int)scope_len);
}

/* One <EDNS-option>. */
static const uint8_t *eopt_print(struct print_ctx *ndo, const uint8_t *cp)
{
	u_int opt, data_len, i;

	if (!ND_TTEST_2(cp))
		return NULL;
	opt = GET_BE_U_2(cp);
	cp += 2;
	ND_PRINT("%s", tok2str(edns_opt2str, "Opt%u", opt));
	if (!ND_TTEST_2(cp))
		return NULL;
	data_len = GET_BE_U_2(cp);
	cp += 2;
	if (!ND_TTEST_LEN(cp, data_len))
		return NULL;
	if (data_len > 0) {
		ND_PRINT(" ");
		switch (opt) {
		case E_ECS:
			print_eopt_ecs(ndo, cp, data_len);
			break;
		case E_COOKIE:
			if (data_len < 8 || (data_len > 8 && data_len < 16) || data_len > 40)
				nd_print_invalid(ndo);
			else
				for (i = 0; i < data_len; ++i) {
					/* client cookie, then server cookie */
					if (i == 8)
						ND_PRINT(" ");
					ND_PRINT("%02x", GET_U_1(cp + i));
				}
			break;
		case E_KEEPALIVE:
			if (data_len != 2)
				nd_print_invalid(ndo);
			else
				ND_PRINT("%0.1f sec", (GET_BE_U_2(cp) / 10.0));
			break;
		case E_EXPIRE:
			if (data_len != 4)
				nd_print_invalid(ndo);
			else
				ND_PRINT("%u sec", GET_BE_U_4(cp));
			break;
		case E_PADDING:
			ND_PRINT("(%u)", data_len);
			break;
		case E_KEYTAG:
			if (data_len % 2 != 0)
				nd_print_invalid(ndo);
			else
				for (i = 0; i < data_len; i += 2) {
					if (i > 0)
						ND_PRINT(" ");
					ND_PRINT("%u", GET_BE_U_2(cp + i));
				}
			break;
		case E_DAU:
		case E_DHU:
		case E_N3U:
			for (i = 0; i < data_len; ++i) {
				if (i > 0)
					ND_PRINT(" ");
				ND_PRINT("%s", tok2str(opt == E_DAU ? dau_alg2str
						       : opt == E_DHU ? dhu_alg2str : n3u_alg2str,
						       "Alg_%u", GET_U_1(cp + i)));
			}
			break;
		case E_CHAIN:
			fqdn_print(ndo, cp, cp + data_len);
			break;
		default:
			for (i = 0; i < data_len; ++i)
				ND_PRINT("%02x", GET_U_1(cp + i));
			break;
		}
	}
	return cp + data_len;
}

static const uint8_t *ns_qprint(struct print_ctx *ndo, const uint8_t *cp, const uint8_t *bp,
				int is_mdns)
{
	const uint8_t *np = cp;
	u_int i, class;

	cp = ns_nskip(ndo, cp);
	if (cp == NULL || !ND_TTEST_4(cp))
		return NULL;
	i = GET_BE_U_2(cp);
	cp += 2;
	ND_PRINT(" %s", tok2str(ns_type2str, "Type%u", i));
	i = GET_BE_U_2(cp);
	class = is_mdns ? (i & ~C_QU) : i;
	if (class != C_IN)
		ND_PRINT(" %s", tok2str(ns_class2str, "(Class %u)", class));
	if (is_mdns)
		ND_PRINT(i & C_QU ? " (QU)" : " (QM)");
	ND_PRINT("? ");
	cp = fqdn_print(ndo, np, bp);
	return cp ? cp + 4 : NULL;
}

static const uint8_t *ns_rprint(struct print_ctx *ndo, const uint8_t *cp, const uint8_t *bp,
				int is_mdns)
{
	u_int i, class, opt_flags = 0;
	uint16_t typ, len;
	const uint8_t *rp;

	if (ndo->vflag) {
		ND_PRINT(" ");
		if ((cp = fqdn_print(ndo, cp, bp)) == NULL)
			return NULL;
	} else
		cp = ns_nskip(ndo, cp);
	if (cp == NULL || !ND_TTEST_LEN(cp, 10))
		return ndo->snapend;

	typ = GET_BE_U_2(cp);
	cp += 2;
	i = GET_BE_U_2(cp);
	cp += 2;
	class = is_mdns ? (i & ~C_CACHE_FLUSH) : i;
	if (class != C_IN && typ != T_OPT)
		ND_PRINT(" %s", tok2str(ns_class2str, "(Class %u)", class));
	if (is_mdns && (i & C_CACHE_FLUSH))
		ND_PRINT(" (Cache flush)");
	if (typ == T_OPT) {
		cp += 2;
		opt_flags = GET_BE_U_2(cp);
		cp += 2;
	} else if (ndo->vflag > 2) {
		ND_PRINT(" [");
		unsigned_relts_print(ndo, GET_BE_U_4(cp));
		ND_PRINT("]");
		cp += 4;
	} else
		cp += 4;
	len = GET_BE_U_2(cp);
	cp += 2;
	rp = cp + len;
	ND_PRINT(" %s", tok2str(ns_type2str, "Type%u", typ));
	if ((uintptr_t)rp > (uintptr_t)ndo->snapend)
		return NULL;

	switch (typ) {
	case T_A:
		if (!ND_TTEST_LEN(cp, 4))
			return NULL;
		ND_PRINT(" %s", GET_IPADDR_STRING(cp));
		break;
	case T_NS:
	case T_CNAME:
	case T_PTR:
	case T_DNAME:
		ND_PRINT(" ");
		if (fqdn_print(ndo, cp, bp) == NULL)
			return NULL;
		break;
	case T_SOA:
		if (!ndo->vflag)
			break;
		ND_PRINT(" ");
		if ((cp = fqdn_print(ndo, cp, bp)) == NULL)
			return NULL;
		ND_PRINT(" ");
		if ((cp = fqdn_print(ndo, cp, bp)) == NULL)
			return NULL;
		if (!ND_TTEST_LEN(cp, 5 * 4))
			return NULL;
		for (i = 0; i < 5; i++)
			ND_PRINT(" %u", GET_BE_U_4(cp + 4 * i));
		break;
	case T_MX:
		ND_PRINT(" ");
		if (!ND_TTEST_2(cp))
			return NULL;
		if (fqdn_print(ndo, cp + 2, bp) == NULL)
			return NULL;
		ND_PRINT(" %u", GET_BE_U_2(cp));
		break;
	case T_TXT:
		while ((uintptr_t)cp < (uintptr_t)rp) {
			ND_PRINT(" \"");
			cp = ns_cprint(ndo, cp);
			if (cp == NULL)
				return NULL;
			ND_PRINT("\"");
		}
		break;
	case T_SRV:
		ND_PRINT(" ");
		if (!ND_TTEST_LEN(cp, 6))
			return NULL;
		if (fqdn_print(ndo, cp + 6, bp) == NULL)
			return NULL;
		ND_PRINT(":%u %u %u", GET_BE_U_2(cp + 4), GET_BE_U_2(cp), GET_BE_U_2(cp + 2));
		break;
	case T_AAAA:
		if (!ND_TTEST_LEN(cp, 16))
			return NULL;
		ND_PRINT(" %s", GET_IP6ADDR_STRING(cp));
		break;
	case T_A6: {
		uint8_t a[16];
		char ntop_buf[INET6_ADDRSTRLEN];
		u_int pbit, pbyte;

		if (!ND_TTEST_1(cp))
			return NULL;
		pbit = GET_U_1(cp);
		pbyte = (pbit & ~7u) / 8;
		if (pbit > 128) {
			ND_PRINT(" %u(bad plen)", pbit);
			break;
		} else if (pbit < 128) {
			memset(a, 0, sizeof(a));
			ND_BCHECK_LEN(cp + 1, sizeof(a) - pbyte);
			memcpy(a + pbyte, cp + 1, sizeof(a) - pbyte);
			inet_ntop(AF_INET6, a, ntop_buf, sizeof(ntop_buf));
			ND_PRINT(" %u %s", pbit, ntop_buf);
		}
		if (pbit > 0) {
			ND_PRINT(" ");
			if (fqdn_print(ndo, cp + 1 + sizeof(a) - pbyte, bp) == NULL)
				return NULL;
		}
		break;
	}
	case T_URI:
		if (!ND_TTEST_LEN(cp, len))
			return NULL;
		ND_PRINT(" %u %u ", GET_BE_U_2(cp), GET_BE_U_2(cp + 2));
		if (nd_printn(ndo, cp + 4, len - 4u, ndo->snapend))
			return NULL;
		break;
	case T_OPT:
		ND_PRINT(" UDPsize=%u", class);
		if (opt_flags & 0x8000)
			ND_PRINT(" DO");
		if ((uintptr_t)cp < (uintptr_t)rp) {
			ND_PRINT(" [");
			while ((uintptr_t)cp < (uintptr_t)rp) {
				cp = eopt_print(ndo, cp);
				if (cp == NULL)
					return NULL;
				if ((uintptr_t)cp < (uintptr_t)rp)
					ND_PRINT(",");
			}
			ND_PRINT("]");
		}
		break;
	case T_TSIG:
		if ((uintptr_t)cp + len > (uintptr_t)ndo->snapend)
			return NULL;
		if (!ndo->vflag)
			break;
		ND_PRINT(" ");
		if ((cp = fqdn_print(ndo, cp, bp)) == NULL)
			return NULL;
		cp += 6;
		if (!ND_TTEST_2(cp))
			return NULL;
		ND_PRINT(" fudge=%u", GET_BE_U_2(cp));
		cp += 2;
		if (!ND_TTEST_2(cp))
			return NULL;
		ND_PRINT(" maclen=%u", GET_BE_U_2(cp));
		cp += 2 + GET_BE_U_2(cp);
		if (!ND_TTEST_2(cp))
			return NULL;
		ND_PRINT(" origid=%u", GET_BE_U_2(cp));
		cp += 2;
		if (!ND_TTEST_2(cp))
			return NULL;
		ND_PRINT(" error=%u", GET_BE_U_2(cp));
		cp += 2;
		if (!ND_TTEST_2(cp))
			return NULL;
		ND_PRINT(" otherlen=%u", GET_BE_U_2(cp));
		break;
	}
	return rp;
}

/* The records of one section after the first, comma-separated. */
static const uint8_t *ns_rprint_list(struct print_ctx *ndo, const uint8_t *cp, const uint8_t *bp,
				     int is_mdns, u_int *count)
{
	if ((cp = ns_rprint(ndo, cp, bp, is_mdns)) == NULL)
		return NULL;
	(*count)--;
	while ((uintptr_t)cp < (uintptr_t)ndo->snapend && *count) {
		ND_PRINT(",");
		if ((cp = ns_rprint(ndo, cp, bp, is_mdns)) == NULL)
			return NULL;
		(*count)--;
	}
	return cp;
}

/* The authority and additional sections (-vv): 0 when the packet ends
 * before every record announced in the header was printed. */
static int ns_rprint_ns_ar(struct print_ctx *ndo, const uint8_t *cp, const uint8_t *bp,
			   int is_mdns, u_int nscount, u_int arcount)
{
	if ((uintptr_t)cp < (uintptr_t)ndo->snapend && nscount) {
		ND_PRINT(" ns:");
		if ((cp = ns_rprint_list(ndo, cp, bp, is_mdns, &nscount)) == NULL)
			return 0;
	}
	if (nscount)
		return 0;
	if ((uintptr_t)cp < (uintptr_t)ndo->snapend && arcount) {
		ND_PRINT(" ar:");
		if ((cp = ns_rprint_list(ndo, cp, bp, is_mdns, &arcount)) == NULL)
			return 0;
	}
	return arcount == 0;
}

/* The extended rcode lives in the OPT record's TTL: find it first. */
static u_int find_rcode(struct print_ctx *ndo, const struct dns_header *np, uint16_t flags,
			u_int qdcount, u_int ancount, u_int nscount, u_int arcount)
{
	const uint8_t *cp = (const uint8_t *)(np + 1);
	u_int rcode = DNS_RCODE(flags), i;

	for (i = 0; i < qdcount; i++) {
		if ((cp = ns_nskip(ndo, cp)) == NULL)
			return rcode;
		cp += 4;
		if ((uintptr_t)cp >= (uintptr_t)ndo->snapend)
			return rcode;
	}
	for (i = 0; i < ancount + nscount; i++) {
		if ((cp = ns_nskip(ndo, cp)) == NULL)
			return rcode;
		cp += 8;
		if ((uintptr_t)cp + 2 > (uintptr_t)ndo->snapend)
			return rcode;
		cp += 2 + GET_BE_U_2(cp);
		if ((uintptr_t)cp >= (uintptr_t)ndo->snapend)
			return rcode;
	}
	for (i = 0; i < arcount; i++) {
		uint16_t type;

		if ((cp = ns_nskip(ndo, cp)) == NULL)
			return rcode;
		if ((uintptr_t)cp + 2 > (uintptr_t)ndo->snapend)
			return rcode;
		type = GET_BE_U_2(cp);
		cp += 4;
		if ((uintptr_t)cp + 1 > (uintptr_t)ndo->snapend)
			return rcode;
		if (type == T_OPT)
			return rcode | (u_int)(GET_U_1(cp) << 4);
		cp += 4;
		if ((uintptr_t)cp + 2 > (uintptr_t)ndo->snapend)
			return rcode;
		cp += 2 + GET_BE_U_2(cp);
		if ((uintptr_t)cp >= (uintptr_t)ndo->snapend)
			return rcode;
	}
	return rcode;
}

void domain_print(struct print_ctx *ndo, const uint8_t *bp, u_int length, int over_tcp,
		  int is_mdns)
{
	const struct dns_header *np;
	u_int qdcount, ancount, nscount, arcount, i, rcode;
	const uint8_t *cp;
	uint16_t flags;

	ndo->protocol = "domain";
	if (over_tcp) {
		/* RFC 1035 4.2.2: a two-byte length comes first */
		if (length < 2) {
			ND_PRINT(" [DNS over TCP: length %u < 2]", length);
			nd_print_invalid(ndo);
			return;
		}
		length -= 2;
		if (GET_BE_U_2(bp) != length) {
			ND_PRINT(" [prefix length(%u) != length(%u)]", GET_BE_U_2(bp), length);
			nd_print_invalid(ndo);
			return;
		}
		bp += 2;
		ND_PRINT(" ");
	}
	np = (const struct dns_header *)bp;
	if (length < sizeof(*np)) {
		ND_PRINT("%s", ndo->protocol);
		ND_PRINT(" [length %u < %zu]", length, sizeof(*np));
		nd_print_invalid(ndo);
		return;
	}
	ND_TCHECK_SIZE(np);
	flags = GET_BE_U_2(np->flags);
	qdcount = GET_BE_U_2(np->qdcount);
	ancount = GET_BE_U_2(np->ancount);
	nscount = GET_BE_U_2(np->nscount);
	arcount = GET_BE_U_2(np->arcount);
	rcode = find_rcode(ndo, np, flags, qdcount, ancount, nscount, arcount);

	if (DNS_QR(flags)) {
		ND_PRINT("%u%s%s%s%s%s%s", GET_BE_U_2(np->id), ns_ops[DNS_OPCODE(flags)],
			 ns_rcode(rcode), DNS_AA(flags) ? "*" : "", DNS_RA(flags) ? "" : "-",
			 DNS_TC(flags) ? "|" : "", DNS_AD(flags) ? "$" : "");
		if (qdcount != 1)
			ND_PRINT(" [%uq]", qdcount);
		cp = (const uint8_t *)(np + 1);
		for (i = 0; i < qdcount; i++) {
			if (i != 0)
				ND_PRINT(",");
			if (ndo->vflag > 1) {
				ND_PRINT(" q:");
				if ((cp = ns_qprint(ndo, cp, bp, is_mdns)) == NULL)
					goto trunc;
			} else {
				if ((cp = ns_nskip(ndo, cp)) == NULL)
					goto trunc;
				cp += 4;
			}
		}
		ND_PRINT(" %u/%u/%u", ancount, nscount, arcount);
		if (ancount && (cp = ns_rprint_list(ndo, cp, bp, is_mdns, &ancount)) == NULL)
			goto trunc;
		if (ancount)
			goto trunc;
		if (ndo->vflag > 1 && !ns_rprint_ns_ar(ndo, cp, bp, is_mdns, nscount, arcount))
			goto trunc;
	} else {
		uint16_t b2;

		ND_PRINT("%u%s%s%s", GET_BE_U_2(np->id), ns_ops[DNS_OPCODE(flags)],
			 DNS_RD(flags) ? "+" : "", DNS_CD(flags) ? "%" : "");
		b2 = GET_BE_U_2(np->flags);
		if (b2 & 0x6cf)
			ND_PRINT(" [b2&3=0x%x]", b2);
		if (DNS_OPCODE(flags) == IQUERY) {
			if (qdcount)
				ND_PRINT(" [%uq]", qdcount);
			if (ancount != 1)
				ND_PRINT(" [%ua]", ancount);
		} else {
			if (ancount)
				ND_PRINT(" [%ua]", ancount);
			if (qdcount != 1)
				ND_PRINT(" [%uq]", qdcount);
		}
		if (nscount)
			ND_PRINT(" [%un]", nscount);
		if (arcount)
			ND_PRINT(" [%uau]", arcount);
		cp = (const uint8_t *)(np + 1);
		if (qdcount) {
			cp = ns_qprint(ndo, cp, bp, is_mdns);
			if (!cp)
				goto trunc;
			qdcount--;
			while ((uintptr_t)cp < (uintptr_t)ndo->snapend && qdcount) {
				cp = ns_qprint(ndo, cp, bp, is_mdns);
				if (!cp)
					goto trunc;
				qdcount--;
			}
		}
		if (qdcount)
			goto trunc;
		if (ndo->vflag > 1) {
			if (ancount && (cp = ns_rprint_list(ndo, cp, bp, is_mdns, &ancount)) == NULL)
				goto trunc;
			if (ancount)
				goto trunc;
			if (!ns_rprint_ns_ar(ndo, cp, bp, is_mdns, nscount, arcount))
				goto trunc;
		}
	}
	ND_PRINT(" (%u)", length);
	return;
trunc:
	nd_print_trunc(ndo);
}
