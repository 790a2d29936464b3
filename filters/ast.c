/* ast.c - the AST as an S-expression, for tests and `sniff --ast`.
 *
 *   (and (prim ip src host 10.0.0.1) (not (prim tcp - port 80)))
 *   (rel > (+ (load ip 0 1) 4) len)
 *
 * A primitive prints as (prim PROTO DIR TYPE ID), "-" for a qualifier not
 * given; names print quoted so they cannot be mistaken for numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include "filters/filters.h"

const char *filter_proto_name(int proto)
{
	static const char *const names[QP__COUNT] = {
		[QP_DEFAULT] = "", [QP_LINK] = "link", [QP_IP] = "ip", [QP_ARP] = "arp",
		[QP_RARP] = "rarp", [QP_SCTP] = "sctp", [QP_TCP] = "tcp", [QP_UDP] = "udp",
		[QP_ICMP] = "icmp", [QP_IGMP] = "igmp", [QP_IGRP] = "igrp", [QP_ATALK] = "atalk",
		[QP_DECNET] = "decnet", [QP_LAT] = "lat", [QP_SCA] = "sca", [QP_MOPRC] = "moprc",
		[QP_MOPDL] = "mopdl", [QP_IPV6] = "ip6", [QP_ICMPV6] = "icmp6", [QP_AH] = "ah",
		[QP_ESP] = "esp", [QP_PIM] = "pim", [QP_VRRP] = "vrrp", [QP_AARP] = "aarp",
		[QP_ISO] = "iso", [QP_ESIS] = "esis", [QP_ISIS] = "isis", [QP_CLNP] = "clnp",
		[QP_STP] = "stp", [QP_IPX] = "ipx", [QP_NETBEUI] = "netbeui", [QP_ISIS_L1] = "l1",
		[QP_ISIS_L2] = "l2", [QP_ISIS_IIH] = "iih", [QP_ISIS_SNP] = "snp",
		[QP_ISIS_CSNP] = "csnp", [QP_ISIS_PSNP] = "psnp", [QP_ISIS_LSP] = "lsp",
		[QP_RADIO] = "radio", [QP_CARP] = "carp",
	};

	return proto >= 0 && proto < QP__COUNT && names[proto] ? names[proto] : "?";
}

/* the S-expression shows a missing qualifier as "-" */
static const char *proto_sexp(int proto)
{
	return proto == QP_DEFAULT ? "-" : filter_proto_name(proto);
}


static const char *const dir_names[] = {
	[QD_DEFAULT] = "-", [QD_SRC] = "src", [QD_DST] = "dst", [QD_OR] = "src-or-dst",
	[QD_AND] = "src-and-dst", [QD_ADDR1] = "addr1", [QD_ADDR2] = "addr2",
	[QD_ADDR3] = "addr3", [QD_ADDR4] = "addr4", [QD_RA] = "ra", [QD_TA] = "ta",
};

static const char *const type_names[] = {
	[QT_DEFAULT] = "-", [QT_HOST] = "host", [QT_NET] = "net", [QT_PORT] = "port",
	[QT_GATEWAY] = "gateway", [QT_PROTO] = "proto", [QT_PROTOCHAIN] = "protochain",
	[QT_PORTRANGE] = "portrange",
};

static const char *const relop_names[] = {
	[REL_GT] = ">", [REL_GE] = ">=", [REL_EQ] = "=", [REL_NE] = "!=",
	[REL_LT] = "<", [REL_LE] = "<=", [REL_AND] = "&", [REL_OR] = "|",
};

static const char *const binop_names[] = {
	[ND_ADD] = "+", [ND_SUB] = "-", [ND_MUL] = "*", [ND_DIV] = "/", [ND_MOD] = "%",
	[ND_BAND] = "&", [ND_BOR] = "|", [ND_XOR] = "^", [ND_SHL] = "<<", [ND_SHR] = ">>",
};

#define NAME(tab, i) ((size_t)(i) < sizeof(tab) / sizeof((tab)[0]) && (tab)[i] ? (tab)[i] : "?")

static void print_id(const struct id *id, FILE *out)
{
	switch (id->kind) {
	case ID_NAME:
		fprintf(out, "\"%s\"", id->s);
		break;
	case ID_NUM:
		fprintf(out, "%u", id->num);
		break;
	case ID_IPV4:
	case ID_IPV6:
	case ID_MAC:
	case ID_ARCNET:
	case ID_PORTRANGE:
		fputs(id->s, out);
		break;
	case ID_IPV4_LEN:
	case ID_IPV6_LEN:
		fprintf(out, "%s/%u", id->s, id->num);
		break;
	case ID_IPV4_MASK:
		fprintf(out, "%s mask %s", id->s, id->mask);
		break;
	}
}

static void print_opt_num(const char *name, const struct node *n, FILE *out)
{
	if (n->has_num)
		fprintf(out, "(%s %u)", name, n->num);
	else
		fprintf(out, "(%s)", name);
}

/* "a or b or c ..." is left-deep and can be as long as the filter: walk its
 * left spine in a loop so a 100000-term list cannot exhaust the stack. */
static void print_chain(const struct node *n, FILE *out)
{
	const struct node *t, **spine;
	size_t depth = 0, i;

	for (t = n; t->kind == ND_AND || t->kind == ND_OR; t = t->lhs)
		depth++;
	spine = malloc(depth * sizeof(*spine));
	if (!spine) {
		fputs("(out-of-memory)", out);
		return;
	}
	for (i = 0, t = n; i < depth; i++, t = t->lhs) {
		spine[i] = t;
		fputs(t->kind == ND_AND ? "(and " : "(or ", out);
	}
	filter_ast_print(t, out);
	for (i = depth; i-- > 0;) {
		fputc(' ', out);
		filter_ast_print(spine[i]->rhs, out);
		fputc(')', out);
	}
	free(spine);
}

void filter_ast_print(const struct node *n, FILE *out)
{
	if (!n) {
		fputs("(all)", out);
		return;
	}
	switch (n->kind) {
	case ND_AND:
	case ND_OR:
		print_chain(n, out);
		break;
	case ND_NOT:
		fputs("(not ", out);
		filter_ast_print(n->lhs, out);
		fputc(')', out);
		break;
	case ND_PRIM:
		fprintf(out, "(prim %s %s %s ", proto_sexp(n->q.proto),
			NAME(dir_names, n->q.dir), NAME(type_names, n->q.type));
		print_id(&n->id, out);
		fputc(')', out);
		break;
	case ND_PROTO:
		fprintf(out, "(proto %s)", proto_sexp(n->q.proto));
		break;
	case ND_REL:
		fprintf(out, "(rel %s ", NAME(relop_names, n->op));
		filter_ast_print(n->lhs, out);
		fputc(' ', out);
		filter_ast_print(n->rhs, out);
		fputc(')', out);
		break;
	case ND_LESS:
		fprintf(out, "(less %u)", n->num);
		break;
	case ND_GREATER:
		fprintf(out, "(greater %u)", n->num);
		break;
	case ND_BROADCAST:
	case ND_MULTICAST:
		fprintf(out, "(%s %s)", n->kind == ND_BROADCAST ? "broadcast" : "multicast",
			proto_sexp(n->q.proto));
		break;
	case ND_INBOUND:
		fputs("(inbound)", out);
		break;
	case ND_OUTBOUND:
		fputs("(outbound)", out);
		break;
	case ND_IFINDEX:
		fprintf(out, "(ifindex %u)", n->num);
		break;
	case ND_VLAN:
		print_opt_num("vlan", n, out);
		break;
	case ND_MPLS:
		print_opt_num("mpls", n, out);
		break;
	case ND_PPPOED:
		fputs("(pppoed)", out);
		break;
	case ND_PPPOES:
		print_opt_num("pppoes", n, out);
		break;
	case ND_GENEVE:
		print_opt_num("geneve", n, out);
		break;
	case ND_VXLAN:
		print_opt_num("vxlan", n, out);
		break;
	case ND_LLC:
		if (n->s)
			fprintf(out, "(llc %s)", n->s);
		else
			fputs("(llc)", out);
		break;
	case ND_BYTE:
		fprintf(out, "(byte %u %s %u)", n->num, NAME(relop_names, n->op), n->num2);
		break;
	case ND_OTHER_LT:
		fprintf(out, "(other %s)", n->s ? n->s : "?");
		break;
	case ND_NUM:
		fprintf(out, "%u", n->num);
		break;
	case ND_LEN:
		fputs("len", out);
		break;
	case ND_LOAD:
		fprintf(out, "(load %s ", proto_sexp(n->q.proto));
		filter_ast_print(n->lhs, out);
		fprintf(out, " %u)", n->num);
		break;
	case ND_NEG:
		fputs("(neg ", out);
		filter_ast_print(n->lhs, out);
		fputc(')', out);
		break;
	case ND_ADD:
	case ND_SUB:
	case ND_MUL:
	case ND_DIV:
	case ND_MOD:
	case ND_BAND:
	case ND_BOR:
	case ND_XOR:
	case ND_SHL:
	case ND_SHR:
		fprintf(out, "(%s ", NAME(binop_names, n->kind));
		filter_ast_print(n->lhs, out);
		fputc(' ', out);
		filter_ast_print(n->rhs, out);
		fputc(')', out);
		break;
	}
}
