/* filters.h - internal interface of the pcap-filter(7) front end.
 *
 * Sections: arena.c (allocation), tokenize.c (lexer), parse.c (parser -> AST),
 * error.c (positioned errors). Name resolution lives with the code generator
 * (cbpf/names.c) because only code generation needs it.
 *
 * Every token and every node keeps the byte offset and length of the text it
 * came from, so any later stage can point a caret at it.
 */
#ifndef SNIFF_FILTERS_H
#define SNIFF_FILTERS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "sniff.h"

/* ---- arena.c: every AST node and string of one compilation lives in one arena */
struct arena {
	struct arena_chunk *head;
	char *cur, *end;        /* the free part of head's chunk */
};
#define ARENA_ALIGN 16
void *arena_alloc_chunk(struct arena *a, size_t n);    /* arena_alloc_raw's new-chunk path */
/* Not zeroed.  Inline: a compile takes thousands of small pieces, and most
 * fit in the current chunk. */
static inline void *arena_alloc_raw(struct arena *a, size_t n)
{
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);

	if (a->cur && need >= n && (size_t)(a->end - a->cur) >= need) {
		void *p = a->cur;

		a->cur += need;
		return p;
	}
	return arena_alloc_chunk(a, n);
}
/* Zeroed; NULL on ENOMEM.  Inline too: most callers ask for a constant size
 * (a node, a token), which the compiler then clears with a few stores
 * instead of a call to memset behind a call here. */
static inline void *arena_alloc(struct arena *a, size_t n)
{
	void *p = arena_alloc_raw(a, n);

	if (p)
		memset(p, 0, n);
	return p;
}
/* An arena that holds its own struct (for objects that point to their arena
 * and may be moved): arena_delete() frees it with everything in it. */
struct arena *arena_new(void);
void arena_delete(struct arena *a);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_free(struct arena *a);

/* ---- error.c */
/* Fill ERR with a message at [pos, pos+len) of the expression (0-based offsets);
 * returns -EINVAL so callers can `return filter_error(...)`. */
int filter_error(struct sniff_error *err, int pos, int len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- tokenize.c: the lexer of libpcap's scanner.l. Like flex, it takes the
 * longest match at each place and, on a tie, the rule listed first there
 * (so "host" is a keyword, "hostx" a name, "tcp-syn" the number 2 and
 * "20-30" a name). Keywords are lower case only, as in libpcap. */
enum tok_kind {
	TK_EOF,        /* end of the expression */
	TK_NUM,        /* 80, 0x50, 0120 (octal), tcp-syn, icmp-echo, tcpflags ... */
	TK_ID,         /* www.example.com, eth0, 20-30; \name (backslash removed) */
	TK_HID,        /* 10.1.2.3, 10.1.2, 10.1 */
	TK_HID6,       /* fe80::1, ::ffff:1.2.3.4 */
	TK_EID,        /* 00:11:22:33:44:55, 00-11-.., 0011.2233.4455, 001122334455 */
	TK_AID,        /* $0a */
	TK_LPAREN,     /* ( */
	TK_RPAREN,     /* ) */
	TK_LBRACKET,   /* [ */
	TK_RBRACKET,   /* ] */
	TK_COLON,      /* : */
	TK_PLUS,       /* + */
	TK_MINUS,      /* - */
	TK_STAR,       /* * */
	TK_SLASH,      /* / */
	TK_PERCENT,    /* % */
	TK_AMP,        /* & */
	TK_PIPE,       /* | */
	TK_CARET,      /* ^ */
	TK_LSH,        /* << */
	TK_RSH,        /* >> */
	TK_GT,         /* > */
	TK_GE,         /* >= */
	TK_LT,         /* < */
	TK_LE,         /* <= */
	TK_EQ,         /* = == */
	TK_NE,         /* != */
	TK_AND,        /* and && */
	TK_OR,         /* or || */
	TK_NOT,        /* not ! */
	TK_PNAME,      /* ip, tcp, ether, link, ... (enum q_proto in num) */
	TK_SRC,        /* src */
	TK_DST,        /* dst */
	TK_ADDRQ,      /* addr1..addr4, address1..4, ra, ta (enum q_dir in num) */
	TK_HOST,       /* host */
	TK_NET,        /* net */
	TK_PORT,       /* port */
	TK_PORTRANGE,  /* portrange */
	TK_GATEWAY,    /* gateway */
	TK_PROTO,      /* proto */
	TK_PROTOCHAIN, /* protochain */
	TK_NETMASK,    /* mask */
	TK_LESS,       /* less */
	TK_GREATER,    /* greater */
	TK_BYTE,       /* byte */
	TK_BROADCAST,  /* broadcast */
	TK_MULTICAST,  /* multicast */
	TK_INBOUND,    /* inbound */
	TK_OUTBOUND,   /* outbound */
	TK_IFINDEX,    /* ifindex */
	TK_LEN,        /* len length */
	TK_VLAN,       /* vlan */
	TK_MPLS,       /* mpls */
	TK_PPPOED,     /* pppoed */
	TK_PPPOES,     /* pppoes */
	TK_GENEVE,     /* geneve */
	TK_VXLAN,      /* vxlan */
	TK_LLC,        /* llc */
	TK_TYPE,       /* type (802.11) */
	TK_SUBTYPE,    /* subtype */
	TK_DIR,        /* dir direction */
	TK_PF_IFNAME,  /* on ifname (pflog) */
	TK_PF_RSET,    /* rset ruleset */
	TK_PF_RNR,     /* rnr rulenum */
	TK_PF_SRNR,    /* srnr subrulenum */
	TK_PF_REASON,  /* reason */
	TK_PF_ACTION,  /* action */
	TK_ATMTYPE,    /* lane metac bcc oamf4ec oamf4sc sc ilmic */
	TK_ATMMULTI,   /* oam oamf4 connectmsg metaconnect */
	TK_ATMFIELD,   /* vpi vci */
	TK_MTP2TYPE,   /* fisu lssu lsu msu hfisu hlssu hmsu */
	TK_MTP3FIELD,  /* sio opc dpc sls hsio hopc hdpc hsls */
};

struct token {
	enum tok_kind kind;
	int pos, len;        /* place in the expression (EOF: that of the last token) */
	const char *s;       /* ID (unescaped), HID, HID6, EID, AID text */
	uint32_t num;        /* NUM value; PNAME: enum q_proto; ADDRQ: enum q_dir */
	struct token *next;  /* the list always ends with one TK_EOF */
	struct token *match; /* '(': its ')' (NULL if none), so lookahead stays linear */
};

/* Split EXPR into tokens (allocated in A). Number overflow, bad octal digits,
 * malformed MAC and IPv6 addresses and stray characters are reported here. */
int filter_tokenize(const char *expr, struct arena *a, struct token **out,
		    struct sniff_error *err);

/* ---- Qualifiers: the three parts of "[proto] [dir] [type] id" (libpcap's Q_*). */
enum q_proto {
	QP_DEFAULT,  /* none given */
	QP_LINK,     /* ether, link, fddi, tr, wlan, ppp, slip */
	QP_IP,       /* ip */
	QP_ARP,      /* arp */
	QP_RARP,     /* rarp */
	QP_SCTP,     /* sctp */
	QP_TCP,      /* tcp */
	QP_UDP,      /* udp */
	QP_ICMP,     /* icmp */
	QP_IGMP,     /* igmp */
	QP_IGRP,     /* igrp */
	QP_ATALK,    /* atalk */
	QP_DECNET,   /* decnet */
	QP_LAT,      /* lat */
	QP_SCA,      /* sca */
	QP_MOPRC,    /* moprc */
	QP_MOPDL,    /* mopdl */
	QP_IPV6,     /* ip6 */
	QP_ICMPV6,   /* icmp6 */
	QP_AH,       /* ah */
	QP_ESP,      /* esp */
	QP_PIM,      /* pim */
	QP_VRRP,     /* vrrp */
	QP_AARP,     /* aarp */
	QP_ISO,      /* iso */
	QP_ESIS,     /* esis, es-is */
	QP_ISIS,     /* isis, is-is */
	QP_CLNP,     /* clnp */
	QP_STP,      /* stp */
	QP_IPX,      /* ipx */
	QP_NETBEUI,  /* netbeui */
	QP_ISIS_L1,  /* l1 */
	QP_ISIS_L2,  /* l2 */
	QP_ISIS_IIH, /* iih */
	QP_ISIS_SNP, /* snp */
	QP_ISIS_CSNP, /* csnp */
	QP_ISIS_PSNP, /* psnp */
	QP_ISIS_LSP, /* lsp */
	QP_RADIO,    /* radio */
	QP_CARP,     /* carp */
	QP__COUNT
};

enum q_dir {
	QD_DEFAULT,  /* none given: src or dst */
	QD_SRC,      /* src */
	QD_DST,      /* dst */
	QD_OR,       /* src or dst */
	QD_AND,      /* src and dst */
	QD_ADDR1,    /* addr1 (802.11) */
	QD_ADDR2,    /* addr2 */
	QD_ADDR3,    /* addr3 */
	QD_ADDR4,    /* addr4 */
	QD_RA,       /* ra */
	QD_TA,       /* ta */
};

enum q_type {
	QT_DEFAULT,    /* none given: host (or net/port by the id's form) */
	QT_HOST,       /* host */
	QT_NET,        /* net */
	QT_PORT,       /* port */
	QT_GATEWAY,    /* gateway */
	QT_PROTO,      /* proto */
	QT_PROTOCHAIN, /* protochain */
	QT_PORTRANGE,  /* portrange */
};

struct qual {
	uint8_t proto; /* enum q_proto */
	uint8_t dir;   /* enum q_dir */
	uint8_t type;  /* enum q_type */
};

/* ---- The id of a primitive, in the form it was written. */
enum id_kind {
	ID_NAME,      /* www.example.com, http, \tcp (backslash removed) */
	ID_NUM,       /* 80, 0x50, 0120 (octal) */
	ID_IPV4,      /* 10.1.2.3, 10.1.2, 10.1, 10 written as dotted (HID) */
	ID_IPV4_LEN,  /* 10.1.0.0/16 */
	ID_IPV4_MASK, /* 10.1.0.0 mask 255.255.0.0 */
	ID_IPV6,      /* fe80::1 */
	ID_IPV6_LEN,  /* fe80::/10 */
	ID_MAC,       /* 00:11:22:33:44:55, 00-11-..., 0011.2233.4455, 001122334455 */
	ID_ARCNET,    /* $0a */
	ID_PORTRANGE, /* 20-30 or name-name (text kept in s, split by the generator) */
};

struct id {
	enum id_kind kind;
	const char *s;      /* the text as written (name, dotted address, ...) */
	uint32_t num;       /* ID_NUM; the length for *_LEN */
	const char *mask;   /* ID_IPV4_MASK: the mask text */
	int pos, len;       /* place in the expression */
};

/* ---- AST */
enum node_kind {
	/* boolean */
	ND_AND,        /* expr and expr, expr && expr */
	ND_OR,         /* expr or expr, expr || expr */
	ND_NOT,        /* not expr, ! expr */
	ND_PRIM,       /* [proto] [dir] [type] id: src host 10.0.0.1, tcp port 80 */
	ND_PROTO,      /* a protocol alone: ip, tcp, ip6, arp */
	ND_REL,        /* arth relop arth: len > 100, tcp[13] & 2 != 0 */
	ND_LESS,       /* less N */
	ND_GREATER,    /* greater N */
	ND_BROADCAST,  /* [ether|ip] broadcast */
	ND_MULTICAST,  /* [ether|ip|ip6] multicast */
	ND_INBOUND,    /* inbound */
	ND_OUTBOUND,   /* outbound */
	ND_IFINDEX,    /* ifindex N */
	ND_VLAN,       /* vlan [N] */
	ND_MPLS,       /* mpls [N] */
	ND_PPPOED,     /* pppoed */
	ND_PPPOES,     /* pppoes [N] */
	ND_GENEVE,     /* geneve [N] */
	ND_VXLAN,      /* vxlan [N] */
	ND_LLC,        /* llc [i|s|u|rr|rnr|rej|ui|ua|disc|dm|sabme|test|xid|frmr] (name in s) */
	ND_BYTE,       /* byte N op N (op in relop: '=' '<' '>' '&' '|') */
	ND_OTHER_LT,   /* a primitive of a link type sniff does not support (pf, 802.11,
			  MTP2/MTP3, ATM, ...): name in s; the generator rejects it */
	/* arithmetic */
	ND_NUM,        /* 42, 0x2a, tcp-syn, icmp-echo */
	ND_LEN,        /* len */
	ND_LOAD,       /* proto [ index ] or proto [ index : size ] */
	ND_ADD,        /* + */
	ND_SUB,        /* - */
	ND_MUL,        /* * */
	ND_DIV,        /* / */
	ND_MOD,        /* % */
	ND_BAND,       /* & */
	ND_BOR,        /* | */
	ND_XOR,        /* ^ */
	ND_SHL,        /* << */
	ND_SHR,        /* >> */
	ND_NEG,        /* - arth */
};

enum relop {
	REL_GT,  /* > */
	REL_GE,  /* >= */
	REL_EQ,  /* = or == */
	REL_NE,  /* != */
	REL_LT,  /* < */
	REL_LE,  /* <= */
	REL_AND, /* & (byte op only) */
	REL_OR,  /* | (byte op only) */
};

struct node {
	enum node_kind kind;
	int pos, len;         /* byte offset and length of the text this node covers */
	struct node *lhs;     /* AND/OR/NOT operand, REL/binary lhs, LOAD index, NEG operand */
	struct node *rhs;     /* AND/OR/REL/binary rhs */
	struct qual q;        /* PRIM; PROTO/BROADCAST/MULTICAST/LOAD use q.proto */
	struct id id;         /* PRIM */
	enum relop op;        /* REL, BYTE */
	uint32_t num;         /* NUM; LESS/GREATER/IFINDEX; LOAD size (1, 2, 4); BYTE offset;
				 VLAN/MPLS/PPPOES/GENEVE/VXLAN value when has_num */
	uint32_t num2;        /* BYTE value */
	int has_num;          /* VLAN/MPLS/PPPOES/GENEVE/VXLAN: a number was given */
	const char *s;        /* LLC subtype name, OTHER_LT keyword, PROTO/LOAD keyword text */
};

/* What the parser puts where (beyond the field comments above):
 *  - ND_PRIM: q is complete (inherited qualifiers filled in); pos/len cover
 *    the qualifiers and the id for the first primitive of a list ("tcp port
 *    80"), only the id for inherited ones ("443" in "tcp port 80 or 443");
 *    id.pos/len always cover just the id. An ID token under 'portrange'
 *    becomes ID_PORTRANGE; ID_ARCNET keeps its '$'; ID_IPV4 text is not
 *    range-checked ("256.1.1.1" reaches the generator, as in libpcap).
 *  - ND_PROTO, ND_LOAD, ND_BROADCAST, ND_MULTICAST: s is the protocol keyword
 *    as written ("ether", "link"); NULL for a bare broadcast/multicast.
 *  - ND_LOAD: num is the size, already checked to be 1, 2 or 4.
 *  - ND_LLC: s is the subtype in lower case ("i", "rnr", "sabme"), NULL alone.
 *  - ND_OTHER_LT: s is the first keyword as written ("vpi", "on", "type").
 *  - and/or chains are left-deep: "a or b or c" is (or (or a b) c).
 */

/* ---- parse.c
 * Parse EXPR into *out (NULL for the empty expression, which accepts every
 * packet). Qualifier inheritance ("host a or b", "tcp port 80 or 443") and id
 * lists in parentheses ("host (a or b)") are resolved here, so the generator
 * only sees complete primitives. Returns 0 or -EINVAL with *err filled. */
int filter_parse(const char *expr, struct arena *a, struct node **out,
		 struct sniff_error *err);

/* ---- ast.c: print the AST as an S-expression (tests and `sniff --ast`):
 * (and (prim tcp - port 80) (not (proto udp))), "-" for an unset qualifier. */
void filter_ast_print(const struct node *n, FILE *out);

/* A protocol qualifier as written ("ip6", "icmp6"; "" for QP_DEFAULT), for
 * messages and the AST printer. */
const char *filter_proto_name(int proto);

#endif /* SNIFF_FILTERS_H */
