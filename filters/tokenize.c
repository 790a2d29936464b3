/* tokenize.c - the lexer of libpcap's scanner.l.
 *
 * flex picks, at each place, the longest text any rule matches and, when two
 * rules match the same length, the one written first. Each matcher below
 * returns how much text its rule would take; lex_one() compares them in
 * scanner.l's rule order, so "tcp-syn" is the number 2, "20-30" is a name
 * (for portrange), "1.2.3.4.5" is a name and "001122334455" a MAC address.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include "filters/filters.h"

struct keyword {
	const char *text;
	enum tok_kind kind;
	uint32_t num;
};

/* Every keyword of scanner.l, aliases included. */
static const struct keyword keywords[] = {
	{ "dst", TK_DST, 0 },
	{ "src", TK_SRC, 0 },
	{ "link", TK_PNAME, QP_LINK },
	{ "ether", TK_PNAME, QP_LINK },
	{ "ppp", TK_PNAME, QP_LINK },
	{ "slip", TK_PNAME, QP_LINK },
	{ "fddi", TK_PNAME, QP_LINK },
	{ "tr", TK_PNAME, QP_LINK },
	{ "wlan", TK_PNAME, QP_LINK },
	{ "arp", TK_PNAME, QP_ARP },
	{ "rarp", TK_PNAME, QP_RARP },
	{ "ip", TK_PNAME, QP_IP },
	{ "sctp", TK_PNAME, QP_SCTP },
	{ "tcp", TK_PNAME, QP_TCP },
	{ "udp", TK_PNAME, QP_UDP },
	{ "icmp", TK_PNAME, QP_ICMP },
	{ "igmp", TK_PNAME, QP_IGMP },
	{ "igrp", TK_PNAME, QP_IGRP },
	{ "pim", TK_PNAME, QP_PIM },
	{ "vrrp", TK_PNAME, QP_VRRP },
	{ "carp", TK_PNAME, QP_CARP },
	{ "radio", TK_PNAME, QP_RADIO },
	{ "ip6", TK_PNAME, QP_IPV6 },
	{ "icmp6", TK_PNAME, QP_ICMPV6 },
	{ "ah", TK_PNAME, QP_AH },
	{ "esp", TK_PNAME, QP_ESP },
	{ "atalk", TK_PNAME, QP_ATALK },
	{ "aarp", TK_PNAME, QP_AARP },
	{ "decnet", TK_PNAME, QP_DECNET },
	{ "lat", TK_PNAME, QP_LAT },
	{ "sca", TK_PNAME, QP_SCA },
	{ "moprc", TK_PNAME, QP_MOPRC },
	{ "mopdl", TK_PNAME, QP_MOPDL },
	{ "iso", TK_PNAME, QP_ISO },
	{ "esis", TK_PNAME, QP_ESIS },
	{ "es-is", TK_PNAME, QP_ESIS },
	{ "isis", TK_PNAME, QP_ISIS },
	{ "is-is", TK_PNAME, QP_ISIS },
	{ "l1", TK_PNAME, QP_ISIS_L1 },
	{ "l2", TK_PNAME, QP_ISIS_L2 },
	{ "iih", TK_PNAME, QP_ISIS_IIH },
	{ "lsp", TK_PNAME, QP_ISIS_LSP },
	{ "snp", TK_PNAME, QP_ISIS_SNP },
	{ "csnp", TK_PNAME, QP_ISIS_CSNP },
	{ "psnp", TK_PNAME, QP_ISIS_PSNP },
	{ "clnp", TK_PNAME, QP_CLNP },
	{ "stp", TK_PNAME, QP_STP },
	{ "ipx", TK_PNAME, QP_IPX },
	{ "netbeui", TK_PNAME, QP_NETBEUI },
	{ "host", TK_HOST, 0 },
	{ "net", TK_NET, 0 },
	{ "mask", TK_NETMASK, 0 },
	{ "port", TK_PORT, 0 },
	{ "portrange", TK_PORTRANGE, 0 },
	{ "proto", TK_PROTO, 0 },
	{ "protochain", TK_PROTOCHAIN, 0 },
	{ "gateway", TK_GATEWAY, 0 },
	{ "type", TK_TYPE, 0 },
	{ "subtype", TK_SUBTYPE, 0 },
	{ "direction", TK_DIR, 0 },
	{ "dir", TK_DIR, 0 },
	{ "address1", TK_ADDRQ, QD_ADDR1 },
	{ "addr1", TK_ADDRQ, QD_ADDR1 },
	{ "address2", TK_ADDRQ, QD_ADDR2 },
	{ "addr2", TK_ADDRQ, QD_ADDR2 },
	{ "address3", TK_ADDRQ, QD_ADDR3 },
	{ "addr3", TK_ADDRQ, QD_ADDR3 },
	{ "address4", TK_ADDRQ, QD_ADDR4 },
	{ "addr4", TK_ADDRQ, QD_ADDR4 },
	{ "ra", TK_ADDRQ, QD_RA },
	{ "ta", TK_ADDRQ, QD_TA },
	{ "less", TK_LESS, 0 },
	{ "greater", TK_GREATER, 0 },
	{ "byte", TK_BYTE, 0 },
	{ "broadcast", TK_BROADCAST, 0 },
	{ "multicast", TK_MULTICAST, 0 },
	{ "and", TK_AND, 0 },
	{ "or", TK_OR, 0 },
	{ "not", TK_NOT, 0 },
	{ "len", TK_LEN, 0 },
	{ "length", TK_LEN, 0 },
	{ "inbound", TK_INBOUND, 0 },
	{ "outbound", TK_OUTBOUND, 0 },
	{ "ifindex", TK_IFINDEX, 0 },
	{ "vlan", TK_VLAN, 0 },
	{ "mpls", TK_MPLS, 0 },
	{ "pppoed", TK_PPPOED, 0 },
	{ "pppoes", TK_PPPOES, 0 },
	{ "geneve", TK_GENEVE, 0 },
	{ "vxlan", TK_VXLAN, 0 },
	{ "lane", TK_ATMTYPE, 0 },
	{ "llc", TK_LLC, 0 },
	{ "metac", TK_ATMTYPE, 0 },
	{ "bcc", TK_ATMTYPE, 0 },
	{ "oam", TK_ATMMULTI, 0 },
	{ "oamf4", TK_ATMMULTI, 0 },
	{ "oamf4ec", TK_ATMTYPE, 0 },
	{ "oamf4sc", TK_ATMTYPE, 0 },
	{ "sc", TK_ATMTYPE, 0 },
	{ "ilmic", TK_ATMTYPE, 0 },
	{ "vpi", TK_ATMFIELD, 0 },
	{ "vci", TK_ATMFIELD, 0 },
	{ "connectmsg", TK_ATMMULTI, 0 },
	{ "metaconnect", TK_ATMMULTI, 0 },
	{ "on", TK_PF_IFNAME, 0 },
	{ "ifname", TK_PF_IFNAME, 0 },
	{ "rset", TK_PF_RSET, 0 },
	{ "ruleset", TK_PF_RSET, 0 },
	{ "rnr", TK_PF_RNR, 0 },
	{ "rulenum", TK_PF_RNR, 0 },
	{ "srnr", TK_PF_SRNR, 0 },
	{ "subrulenum", TK_PF_SRNR, 0 },
	{ "reason", TK_PF_REASON, 0 },
	{ "action", TK_PF_ACTION, 0 },
	{ "fisu", TK_MTP2TYPE, 0 },
	{ "lssu", TK_MTP2TYPE, 0 },
	{ "lsu", TK_MTP2TYPE, 0 },
	{ "msu", TK_MTP2TYPE, 0 },
	{ "hfisu", TK_MTP2TYPE, 0 },
	{ "hlssu", TK_MTP2TYPE, 0 },
	{ "hmsu", TK_MTP2TYPE, 0 },
	{ "sio", TK_MTP3FIELD, 0 },
	{ "opc", TK_MTP3FIELD, 0 },
	{ "dpc", TK_MTP3FIELD, 0 },
	{ "sls", TK_MTP3FIELD, 0 },
	{ "hsio", TK_MTP3FIELD, 0 },
	{ "hopc", TK_MTP3FIELD, 0 },
	{ "hdpc", TK_MTP3FIELD, 0 },
	{ "hsls", TK_MTP3FIELD, 0 },
};

static const struct keyword and_kw = { "&&", TK_AND, 0 };
static const struct keyword or_kw = { "||", TK_OR, 0 };

/* The named constants scanner.l turns into NUM (after the address rules). */
static const struct keyword named_nums[] = {
	{ "icmptype", TK_NUM, 0 },
	{ "icmpcode", TK_NUM, 1 },
	{ "icmp-echoreply", TK_NUM, 0 },
	{ "icmp-unreach", TK_NUM, 3 },
	{ "icmp-sourcequench", TK_NUM, 4 },
	{ "icmp-redirect", TK_NUM, 5 },
	{ "icmp-echo", TK_NUM, 8 },
	{ "icmp-routeradvert", TK_NUM, 9 },
	{ "icmp-routersolicit", TK_NUM, 10 },
	{ "icmp-timxceed", TK_NUM, 11 },
	{ "icmp-paramprob", TK_NUM, 12 },
	{ "icmp-tstamp", TK_NUM, 13 },
	{ "icmp-tstampreply", TK_NUM, 14 },
	{ "icmp-ireq", TK_NUM, 15 },
	{ "icmp-ireqreply", TK_NUM, 16 },
	{ "icmp-maskreq", TK_NUM, 17 },
	{ "icmp-maskreply", TK_NUM, 18 },
	{ "icmp6type", TK_NUM, 0 },
	{ "icmp6code", TK_NUM, 1 },
	{ "icmp6-destinationunreach", TK_NUM, 1 },
	{ "icmp6-packettoobig", TK_NUM, 2 },
	{ "icmp6-timeexceeded", TK_NUM, 3 },
	{ "icmp6-parameterproblem", TK_NUM, 4 },
	{ "icmp6-echo", TK_NUM, 128 },
	{ "icmp6-echoreply", TK_NUM, 129 },
	{ "icmp6-multicastlistenerquery", TK_NUM, 130 },
	{ "icmp6-multicastlistenerreportv1", TK_NUM, 131 },
	{ "icmp6-multicastlistenerdone", TK_NUM, 132 },
	{ "icmp6-routersolicit", TK_NUM, 133 },
	{ "icmp6-routeradvert", TK_NUM, 134 },
	{ "icmp6-neighborsolicit", TK_NUM, 135 },
	{ "icmp6-neighboradvert", TK_NUM, 136 },
	{ "icmp6-redirect", TK_NUM, 137 },
	{ "icmp6-routerrenum", TK_NUM, 138 },
	{ "icmp6-nodeinformationquery", TK_NUM, 139 },
	{ "icmp6-nodeinformationresponse", TK_NUM, 140 },
	{ "icmp6-ineighbordiscoverysolicit", TK_NUM, 141 },
	{ "icmp6-ineighbordiscoveryadvert", TK_NUM, 142 },
	{ "icmp6-multicastlistenerreportv2", TK_NUM, 143 },
	{ "icmp6-homeagentdiscoveryrequest", TK_NUM, 144 },
	{ "icmp6-homeagentdiscoveryreply", TK_NUM, 145 },
	{ "icmp6-mobileprefixsolicit", TK_NUM, 146 },
	{ "icmp6-mobileprefixadvert", TK_NUM, 147 },
	{ "icmp6-certpathsolicit", TK_NUM, 148 },
	{ "icmp6-certpathadvert", TK_NUM, 149 },
	{ "icmp6-multicastrouteradvert", TK_NUM, 151 },
	{ "icmp6-multicastroutersolicit", TK_NUM, 152 },
	{ "icmp6-multicastrouterterm", TK_NUM, 153 },
	{ "tcpflags", TK_NUM, 13 },
	{ "tcp-fin", TK_NUM, 0x01 },
	{ "tcp-syn", TK_NUM, 0x02 },
	{ "tcp-rst", TK_NUM, 0x04 },
	{ "tcp-push", TK_NUM, 0x08 },
	{ "tcp-ack", TK_NUM, 0x10 },
	{ "tcp-urg", TK_NUM, 0x20 },
	{ "tcp-ece", TK_NUM, 0x40 },
	{ "tcp-cwr", TK_NUM, 0x80 },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Single-character tokens of the [+\-*\/%:\[\]!<>()&|\^=] rule. */
static const enum tok_kind punct1[128] = {
	['('] = TK_LPAREN, [')'] = TK_RPAREN, ['['] = TK_LBRACKET,
	[']'] = TK_RBRACKET, [':'] = TK_COLON, ['+'] = TK_PLUS,
	['-'] = TK_MINUS, ['*'] = TK_STAR, ['/'] = TK_SLASH,
	['%'] = TK_PERCENT, ['&'] = TK_AMP, ['|'] = TK_PIPE,
	['^'] = TK_CARET, ['>'] = TK_GT, ['<'] = TK_LT, ['='] = TK_EQ,
	['!'] = TK_NOT,
};

struct punct2 {
	const char *text;
	enum tok_kind kind;
};

static const struct punct2 punct2[] = {
	{ ">=", TK_GE }, { "<=", TK_LE }, { "!=", TK_NE },
	{ "==", TK_EQ }, { "<<", TK_LSH }, { ">>", TK_RSH },
};

/* Character classes, ASCII only (no locale): every character of every
 * filter is classified, so one table load instead of a chain of tests. */
enum {
	C_DEC = 1, C_HEX = 2, C_ALNUM = 4,
	C_SPACE = 8,    /* skipped */
	C_P1 = 16,      /* a token of its own: ( ) [ ] + * / % ^ - */
	C_OP = 32,      /* one or two characters: & | = ! < > */
	C_SEP = 64,     /* . - _ : inside a word: the slow rules may apply */
	C_ID = 128,     /* may continue a name: letters, digits, - _ . */
};

static const unsigned char cclass[256] = {
	['0' ... '9'] = C_DEC | C_HEX | C_ALNUM | C_ID,
	['a' ... 'f'] = C_HEX | C_ALNUM | C_ID,
	['A' ... 'F'] = C_HEX | C_ALNUM | C_ID,
	['g' ... 'z'] = C_ALNUM | C_ID,
	['G' ... 'Z'] = C_ALNUM | C_ID,
	[' '] = C_SPACE, ['\t'] = C_SPACE, ['\n'] = C_SPACE, ['\r'] = C_SPACE,
	['('] = C_P1, [')'] = C_P1, ['['] = C_P1, [']'] = C_P1, ['+'] = C_P1,
	['*'] = C_P1, ['/'] = C_P1, ['%'] = C_P1, ['^'] = C_P1,
	['-'] = C_P1 | C_SEP | C_ID,
	['&'] = C_OP, ['|'] = C_OP, ['='] = C_OP, ['!'] = C_OP, ['<'] = C_OP, ['>'] = C_OP,
	['_'] = C_SEP | C_ID, ['.'] = C_SEP | C_ID, [':'] = C_SEP,
};

static int is_hex(char c)
{
	return cclass[(unsigned char)c] & C_HEX;
}

static int is_dec(char c)
{
	return cclass[(unsigned char)c] & C_DEC;
}

static int is_alnum(char c)
{
	return cclass[(unsigned char)c] & C_ALNUM;
}

static int hex_run(const char *s)
{
	int n = 0;

	while (is_hex(s[n]))
		n++;
	return n;
}

/* Keywords and named constants are found by hash, not by a scan of the
 * tables: every word of every filter is looked up.  The index is built once
 * per process (pthread_once: several threads may compile at the same time). */
#define KW_HBITS 10
#define KW_MAXLEN 40

static uint16_t kw_index[1u << KW_HBITS]; /* 1 + index into kw_all(), 0 = empty */
static uint8_t kw_len[1u << KW_HBITS];    /* strlen of that entry's text */
static pthread_once_t kw_once = PTHREAD_ONCE_INIT;
static int kw_ready;                      /* set (release) once the index is built */
static int kw_digit_led;                  /* some entry starts with a digit (none does) */

static uint32_t kw_hash(const char *s, int len)
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return (h ^ (h >> 15)) & ((1u << KW_HBITS) - 1);
}

/* keywords[] then named_nums[], as one array */
static const struct keyword *kw_all(unsigned i)
{
	return i < ARRAY_SIZE(keywords) ? &keywords[i] : &named_nums[i - ARRAY_SIZE(keywords)];
}

static void kw_build(void)
{
	unsigned i, n = ARRAY_SIZE(keywords) + ARRAY_SIZE(named_nums);

	for (i = 0; i < n; i++) {
		const char *t = kw_all(i)->text;
		uint32_t j = kw_hash(t, (int)strlen(t));

		while (kw_index[j])
			j = (j + 1) & ((1u << KW_HBITS) - 1);
		kw_index[j] = (uint16_t)(i + 1);
		kw_digit_led |= is_dec(t[0]);
		kw_len[j] = (uint8_t)strlen(t);
	}
	__atomic_store_n(&kw_ready, 1, __ATOMIC_RELEASE);
}

/* The entry of TAB (keywords or named_nums) spelled exactly as the LEN bytes
 * at S; sets *k.  Every entry has the shape of a name, so a shorter entry can
 * never win against the name rule: only a match of the whole name counts. */
static int match_table(const char *s, int len, const struct keyword *tab, size_t n,
		       const struct keyword **k)
{
	uint32_t j;

	if (len <= 0 || len > KW_MAXLEN)
		return 0;
	/* the index is built by filter_tokenize(), the only caller */
	for (j = kw_hash(s, len); kw_index[j]; j = (j + 1) & ((1u << KW_HBITS) - 1)) {
		const struct keyword *e;

		if (kw_len[j] != len)
			continue;
		e = kw_all(kw_index[j] - 1u);
		if (e >= tab && e < tab + n && memcmp(e->text, s, (size_t)len) == 0) {
			*k = e;
			return len;
		}
	}
	return 0;
}

/* N: [0-9]+ | 0[xX][0-9A-Fa-f]+ */
static int match_n(const char *s)
{
	int dec = 0, hex = 0;

	while (is_dec(s[dec]))
		dec++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && is_hex(s[2]))
		hex = 2 + hex_run(s + 2);
	return hex > dec ? hex : dec;
}

/* HID: N.N | N.N.N | N.N.N.N (the longest that fits). */
static int match_hid(const char *s, int max_parts, int min_parts)
{
	int i = 0, parts = 0, best = 0;

	for (;;) {
		int n = match_n(s + i);

		if (n == 0)
			break;
		i += n;
		parts++;
		if (parts >= min_parts)
			best = i;
		if (parts == max_parts || s[i] != '.')
			break;
		i++;
	}
	return best;
}

/* MAC: B:B:B:B:B:B | B-B-B-B-B-B | B.B.B.B.B.B | B2.B2.B2 | B2B2B2 */
static int match_mac_sep(const char *s, char sep)
{
	int i = 0, part;

	for (part = 0; part < 6; part++) {
		int h = hex_run(s + i);

		if (h == 0)
			return 0;
		if (part < 5) {
			if (h > 2 || s[i + h] != sep)
				return 0;
			i += h + 1;
		} else {
			/* the last B takes at most two digits, the rest is left over */
			i += h > 2 ? 2 : h;
		}
	}
	return i;
}

static int match_mac(const char *s)
{
	int best = 0, n;

	n = match_mac_sep(s, ':');
	best = n > best ? n : best;
	n = match_mac_sep(s, '-');
	best = n > best ? n : best;
	n = match_mac_sep(s, '.');
	best = n > best ? n : best;
	if (hex_run(s) >= 4 && s[4] == '.' && hex_run(s + 5) >= 4 && s[9] == '.' &&
	    hex_run(s + 10) >= 4)
		best = 14 > best ? 14 : best;
	if (hex_run(s) >= 12)
		best = 12 > best ? 12 : best;
	return best;
}

/* The bogus-MAC rule {B}:+({B}:+)+ that scanner.l turns into an error. */
static int match_bogus_mac(const char *s)
{
	int i = 0, parts = 0, best = 0;

	for (;;) {
		int h = hex_run(s + i);

		if (h < 1 || h > 2 || s[i + h] != ':')
			break;
		i += h;
		while (s[i] == ':')
			i++;
		if (++parts >= 2)
			best = i;
	}
	return best;
}

/* V6: the 60 alternatives of scanner.l: 8 groups, or up to 7 around one "::",
 * or 6 groups (up to 5 with "::") followed by a dotted quad. */
static void v6_slot(const char *s, int i, int ng, int dbl, int *best);

static void v6_after_dbl(const char *s, int i, int ng, int *best)
{
	if (ng <= 7 && i > *best)
		*best = i;
	v6_slot(s, i, ng, 1, best);
}

static void v6_slot(const char *s, int i, int ng, int dbl, int *best)
{
	int h = hex_run(s + i), w;

	if ((dbl && ng <= 5) || (!dbl && ng == 6)) {
		int m = match_hid(s + i, 4, 4);

		if (m && i + m > *best)
			*best = i + m;
	}
	for (w = 1; w <= 4 && w <= h; w++) {
		int j = i + w, ng2 = ng + 1;

		if (ng2 > 8)
			break;
		if (((dbl && ng2 <= 7) || (!dbl && ng2 == 8)) && j > *best)
			*best = j;
		/* only a whole hex run can be followed by a separator */
		if (w != h || s[j] != ':')
			continue;
		if (s[j + 1] == ':') {
			if (!dbl)
				v6_after_dbl(s, j + 2, ng2, best);
		} else {
			v6_slot(s, j + 1, ng2, dbl, best);
		}
	}
}

static int match_v6(const char *s)
{
	int best = 0;

	if (s[0] == ':' && s[1] == ':')
		v6_after_dbl(s, 2, 0, &best);
	else if (is_hex(s[0]))
		v6_slot(s, 0, 0, 0, &best);
	return best;
}

/* ID: [A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])? */
static int match_id(const char *s)
{
	int i, last;

	if (!is_alnum(s[0]))
		return 0;
	last = 1;
	for (i = 1; cclass[(unsigned char)s[i]] & C_ID; i++)
		if (s[i] != '-' && s[i] != '_')
			last = i + 1;
	return last;
}

/* "\\"[^ !()\n\t]+ */
static int match_escaped_id(const char *s)
{
	int i = 1;

	if (s[0] != '\\')
		return 0;
	while (s[i] && !strchr(" !()\n\t", s[i]))
		i++;
	return i > 1 ? i : 0;
}

/* libpcap's stoulen(): leading 0x is hex, leading 0 octal, else decimal. */
static int parse_num(const char *s, int len, uint32_t *val, struct sniff_error *err,
		     int pos)
{
	uint64_t n = 0;
	int i = 0, base = 10;
	const char *what = "decimal";

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
		what = "hexadecimal";
	} else if (len >= 1 && s[0] == '0') {
		base = 8;
		i = 1;
		what = "octal";
	}
	for (; i < len; i++) {
		int d;

		if (is_dec(s[i]))
			d = s[i] - '0';
		else
			d = tolower((unsigned char)s[i]) - 'a' + 10;
		if (d >= base)
			return filter_error(err, pos, len,
					    "number %.*s contains non-octal digit", len, s);
		n = n * base + d;
		if (n > 0xffffffffu)
			return filter_error(err, pos, len, "%s number %.*s overflows 32 bits",
					    what, len, s);
	}
	*val = (uint32_t)n;
	return 0;
}

enum rule {
	R_KEYWORD, R_SPACE, R_PUNCT1, R_PUNCT2, R_AID, R_MAC, R_N, R_HID, R_V6,
	R_BOGUS_MAC, R_NAMED_NUM, R_ID, R_ESCAPED_ID, R__COUNT
};

/* An IPv4 address or prefix in decimal ("10.1.2.3", "192.168"): the length
 * when S starts with 2 to 4 decimal parts that end the word, else 0 (the
 * slow path decides).  Of the other rules only the name rule takes such a
 * word, and no longer (so HID wins, being first), and the MAC rule, which
 * takes "dddd.dddd.dddd" (left to the slow path). */
static int lex_fast_hid(const char *s)
{
	int i = 0, parts = 0, d;

	for (;;) {
		for (d = 0; is_dec(s[i + d]); d++)
			;
		if (!d)
			return 0;
		i += d;
		parts++;
		if (s[i] != '.')
			break;
		i++;
	}
	/* s[i] is not '.' here */
	if (parts < 2 || parts > 4 || (cclass[(unsigned char)s[i]] & (C_ALNUM | C_SEP)) ||
	    (parts == 3 && s[4] == '.' && s[9] == '.'))
		return 0;
	return i;
}

/* The common tokens, decided without trying every rule: blanks, operators
 * and words of letters and digits alone.  A word that is followed by none of
 * ". - _ :" can only be matched by the name, keyword, named-number, number
 * and 12-digit MAC rules, over its whole length (every other rule needs one
 * of those characters); their priority is scanner.l's, as in lex_one().
 * Returns 1 with *n set (the length, or -EINVAL), 2 when the token's text
 * must be kept as well, 0 to take the slow path. */
static int lex_fast(const char *s, int pos, struct token *t, int *n, struct sniff_error *err)
{
	const struct keyword *kw;
	unsigned char c = (unsigned char)s[0];
	unsigned cl = cclass[c], next;
	int w, num;

	if (cl & C_SPACE) {
		t->kind = TK_EOF; /* skipped by the caller */
		*n = 1;
		return 1;
	}
	if (cl & C_P1) {
		t->pos = pos;
		t->len = *n = 1;
		t->kind = punct1[c];
		return 1;
	}
	if (cl & C_OP) {
		/* "&&" and "||" are keywords; any other pair of punct2 beats punct1 */
		t->pos = pos;
		t->len = *n = 1;
		t->kind = punct1[c];
		if ((c == '&' || c == '|') && s[1] == s[0]) {
			t->kind = c == '&' ? and_kw.kind : or_kw.kind;
			t->len = *n = 2;
			return 1;
		}
		for (size_t i = 0; i < ARRAY_SIZE(punct2); i++)
			if (punct2[i].text[0] == s[0] && punct2[i].text[1] == s[1]) {
				t->kind = punct2[i].kind;
				t->len = *n = 2;
			}
		return 1;
	}
	if (!(cl & C_ALNUM))
		return 0;
	for (w = 1; is_alnum(s[w]); w++)
		;
	next = cclass[(unsigned char)s[w]];
	if (!(cl & C_HEX) && (next & C_SEP)) {
		/* A word that starts with a letter past 'f' can only be a name, a
		 * keyword or a named number (every other rule starts with a digit,
		 * a hex digit, ':', '$' or '\\'), all over match_id()'s length. */
		w = match_id(s);
		t->pos = pos;
		t->len = *n = w;
		if (match_table(s, w, keywords, ARRAY_SIZE(keywords), &kw) ||
		    match_table(s, w, named_nums, ARRAY_SIZE(named_nums), &kw)) {
			t->kind = kw->kind; /* TK_NUM for a named number */
			t->num = kw->num;
			return 1;
		}
		t->kind = TK_ID;
		return 2;
	}
	if ((cl & C_DEC) && !kw_digit_led && (s[w] == ':' || s[w] == '-') &&
	    !match_mac(s) && !match_bogus_mac(s) && !match_v6(s)) {
		/* "2:2]" (a load's offset and size) and "1000-2000" (a port range):
		 * with no MAC, IPv6 or bogus-MAC match and no keyword starting with
		 * a digit, the number or the name rule takes the longest */
		int id = match_id(s);

		num = match_n(s);
		if (num == w && id == w) {
			t->pos = pos;
			t->len = *n = w;
			t->kind = TK_NUM;
			if (parse_num(s, w, &t->num, err, pos) < 0)
				*n = -EINVAL;
			return 1;
		}
		if (id > w) {
			t->pos = pos;
			t->len = *n = id;
			t->kind = TK_ID;
			return 2;
		}
		return 0;
	}
	if (s[w] == '.' && is_dec((char)c)) {
		w = lex_fast_hid(s);
		if (!w)
			return 0;
		t->pos = pos;
		t->len = *n = w;
		t->kind = TK_HID;
		return 2;
	}
	if (next & C_SEP)
		return 0;
	t->pos = pos;
	t->len = *n = w;
	/* numbers are most of the digit-led words: no lookup for them */
	if ((!(cl & C_DEC) || kw_digit_led) &&
	    match_table(s, w, keywords, ARRAY_SIZE(keywords), &kw)) {
		t->kind = kw->kind;
		t->num = kw->num;
		return 1;
	}
	if (w == 12 && hex_run(s) == 12) {
		t->kind = TK_EID;	/* the MAC rule comes before the number's */
		return 2;
	}
	num = is_dec((char)c) ? match_n(s) : 0;
	if (num == w) {
		t->kind = TK_NUM;
		if (parse_num(s, w, &t->num, err, pos) < 0)
			*n = -EINVAL;
		return 1;
	}
	if ((!(cl & C_DEC) || kw_digit_led) &&
	    match_table(s, w, named_nums, ARRAY_SIZE(named_nums), &kw)) {
		t->kind = TK_NUM;
		t->num = kw->num;
		return 1;
	}
	t->kind = TK_ID;
	return 2;	/* the caller copies the text */
}

/* Lex one token at s[pos]; returns its length (0 at the end) or -EINVAL. */
static int lex_one(const char *expr, int pos, struct arena *a, struct token *t,
		   struct sniff_error *err)
{
	const char *s = expr + pos;
	const struct keyword *kw = NULL, *nn = NULL;
	int len[R__COUNT] = { 0 };
	int r, best = 0, rule = -1;
	size_t i;

	if (!*s)
		return 0;
	switch (lex_fast(s, pos, t, &best, err)) {
	case 1:
		return best;
	case 2:
		t->s = arena_strndup(a, s, best);
		return t->s ? best : -ENOMEM;
	}
	len[R_ID] = match_id(s);
	if ((s[0] == '&' || s[0] == '|') && s[1] == s[0]) {
		len[R_KEYWORD] = 2;
		kw = s[0] == '&' ? &and_kw : &or_kw;
	} else {
		len[R_KEYWORD] = match_table(s, len[R_ID], keywords, ARRAY_SIZE(keywords), &kw);
	}
	len[R_SPACE] = strchr(" \r\n\t", *s) && *s ? 1 : 0;
	len[R_PUNCT1] = (unsigned char)*s < 128 && punct1[(unsigned char)*s] ? 1 : 0;
	for (i = 0; i < ARRAY_SIZE(punct2); i++)
		if (strncmp(s, punct2[i].text, 2) == 0)
			len[R_PUNCT2] = 2;
	len[R_AID] = s[0] == '$' && is_hex(s[1]) ? (is_hex(s[2]) ? 3 : 2) : 0;
	len[R_MAC] = match_mac(s);
	len[R_N] = match_n(s);
	len[R_HID] = match_hid(s, 4, 2);
	len[R_V6] = match_v6(s);
	len[R_BOGUS_MAC] = match_bogus_mac(s);
	len[R_NAMED_NUM] = match_table(s, len[R_ID], named_nums, ARRAY_SIZE(named_nums), &nn);
	len[R_ESCAPED_ID] = match_escaped_id(s);

	for (r = 0; r < R__COUNT; r++)
		if (len[r] > best) {
			best = len[r];
			rule = r;
		}
	if (!*s)
		return 0;
	if (rule < 0) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f)
			return filter_error(err, pos, 1, "unexpected character '%c'", c);
		return filter_error(err, pos, 1, "unexpected byte 0x%02x (not part of any "
				    "filter word)", c);
	}

	t->pos = pos;
	t->len = best;
	switch ((enum rule)rule) {
	case R_KEYWORD:
		t->kind = kw->kind;
		t->num = kw->num;
		break;
	case R_SPACE:
		t->kind = TK_EOF; /* skipped by the caller */
		break;
	case R_PUNCT1:
		t->kind = punct1[(unsigned char)*s];
		break;
	case R_PUNCT2:
		for (i = 0; i < ARRAY_SIZE(punct2); i++)
			if (strncmp(s, punct2[i].text, 2) == 0)
				t->kind = punct2[i].kind;
		break;
	case R_AID:
		t->kind = TK_AID;
		break;
	case R_MAC:
		t->kind = TK_EID;
		break;
	case R_N:
		t->kind = TK_NUM;
		if (parse_num(s, best, &t->num, err, pos) < 0)
			return -EINVAL;
		break;
	case R_HID:
		t->kind = TK_HID;
		break;
	case R_V6: {
		struct in6_addr a6;
		char buf[64];

		t->kind = TK_HID6;
		if (best >= (int)sizeof(buf))
			return filter_error(err, pos, best, "'%.*s' is not a valid IPv6 address",
					    best, s);
		memcpy(buf, s, best);
		buf[best] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			return filter_error(err, pos, best, "'%s' is not a valid IPv6 address",
					    buf);
		break;
	}
	case R_BOGUS_MAC:
		return filter_error(err, pos, best, "'%.*s' is not a valid MAC address",
				    best, s);
	case R_NAMED_NUM:
		t->kind = TK_NUM;
		t->num = nn->num;
		break;
	case R_ID:
		t->kind = TK_ID;
		break;
	case R_ESCAPED_ID:
		t->kind = TK_ID;
		t->s = arena_strndup(a, s + 1, best - 1);
		if (!t->s)
			return -ENOMEM;
		return best;
	case R__COUNT:
		break;
	}
	if (t->kind >= TK_ID && t->kind <= TK_AID) {
		t->s = arena_strndup(a, s, best);
		if (!t->s)
			return -ENOMEM;
	}
	return best;
}

/* Pair each '(' with its ')': the open ones wait in a chain threaded
 * through their own match fields, so no extra memory is needed. */
static void link_parens(struct token *t)
{
	struct token *open = NULL;

	for (; t->kind != TK_EOF; t = t->next) {
		if (t->kind == TK_LPAREN) {
			t->match = open;
			open = t;
		} else if (t->kind == TK_RPAREN && open) {
			struct token *outer = open->match;

			open->match = t;
			open = outer;
		}
	}
	while (open) {
		struct token *outer = open->match;

		open->match = NULL;
		open = outer;
	}
}

int filter_tokenize(const char *expr, struct arena *a, struct token **out,
		    struct sniff_error *err)
{
	struct token head = { 0 }, *cur = &head, *t, *spare = NULL;
	int pos = 0, last_pos = 0, last_len = 0;

	if (!__atomic_load_n(&kw_ready, __ATOMIC_ACQUIRE))
		pthread_once(&kw_once, kw_build);
	for (;;) {
		int n;

		while (cclass[(unsigned char)expr[pos]] & C_SPACE)
			pos++;
		if (!expr[pos])
			break;
		/* lexed in place: a blank's token is reused for the next */
		t = spare ? spare : arena_alloc_raw(a, sizeof(*t));
		if (!t) {
			filter_error(err, -1, 0, "out of memory");
			return -ENOMEM;
		}
		*t = (struct token){ 0 };
		n = lex_one(expr, pos, a, t, err);
		if (n == -ENOMEM)
			filter_error(err, -1, 0, "out of memory");
		if (n < 0)
			return n;
		if (n == 0)
			break;
		spare = t;
		if (t->kind != TK_EOF) {
			spare = NULL;
			cur = cur->next = t;
			last_pos = t->pos;
			last_len = t->len;
		}
		pos += n;
	}
	t = arena_alloc(a, sizeof(*t));
	if (!t) {
		filter_error(err, -1, 0, "out of memory");
		return -ENOMEM;
	}
	t->kind = TK_EOF;
	/* An error "at the end" points at the last token, which is what lacks
	 * a continuation ("tcp port" -> under "port"). */
	t->pos = last_pos;
	t->len = last_len;
	cur->next = t;
	*out = head.next;
	link_parens(*out);
	return 0;
}
