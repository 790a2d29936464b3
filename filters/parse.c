/* parse.c - recursive-descent parser for pcap-filter(7), accepting exactly
 * the language of libpcap's grammar.y. One function per grammar rule, the
 * rule in a comment above it (chibicc style: each returns its node and hands
 * back the rest of the tokens through `rest`).
 *
 * Things yacc decides that a reader would not guess, kept here on purpose:
 *  - "and" and "or" have the SAME precedence and group to the left:
 *    "a or b and c" is "(a or b) and c" (%left OR AND).
 *  - Arithmetic: | < & < << >> < + - < * / < unary minus (%left lines), and
 *    '%' and '^' have no precedence at all, so yacc always shifts them: their
 *    left operand is the nearest primary, their right one the whole rest
 *    ("1 + 2 % 3 + 4" is "1 + (2 % (3 + 4))").
 *  - An id without qualifiers inherits those of the primitive to its left
 *    ($<blk>0): "host a or b", "tcp port 80 or 443", "not host a and b". A
 *    parenthesised expression passes on what was before the '(' and a bare
 *    protocol, relation or other primitive passes on nothing, so "tcp or b"
 *    and "(host a) or b" are errors, as in libpcap.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "filters/filters.h"

struct parser {
	const char *expr;
	struct arena *a;
	struct sniff_error *err;
	int failed;
	int nomem;  /* the failure was an allocation, not the filter */
	int depth;  /* nesting of the recursive rules, against stack exhaustion */
};

/* libpcap's yacc stack stops at 10000 states; a recursive parser needs a
 * tighter bound so that deep nesting fails cleanly on a small thread stack. */
#define MAX_NESTING 500

/* What an id without qualifiers inherits: libpcap's $<blk>0.q; ok == 0 is
 * its "qerr" (nothing to inherit). */
struct inh {
	struct qual q;
	int ok;
	int inherited;  /* q came from an earlier primitive, not written here */
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct node *expr(struct parser *p, struct token **rest, struct token *tok,
			 struct inh *ctx);
static struct node *id(struct parser *p, struct token **rest, struct token *tok,
		       const struct inh *ctx, const struct token *after);
static struct node *arth(struct parser *p, struct token **rest, struct token *tok);
static int is_upper_keyword(struct parser *p, const struct token *t);

/* ---- helpers */

static void *fail(struct parser *p, const struct token *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void *fail(struct parser *p, const struct token *t, const char *fmt, ...)
{
	char msg[sizeof(p->err->msg)];
	va_list ap;

	/* the first error is the one to show; later ones are its echoes */
	if (p->failed)
		return NULL;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	filter_error(p->err, t->pos, t->len, "%s", msg);
	return NULL;
}

/* Entering one more level of a recursive rule; the caller undoes it. */
static int deeper(struct parser *p, const struct token *t)
{
	if (++p->depth <= MAX_NESTING)
		return 0;
	fail(p, t, "the filter nests more than %d levels deep", MAX_NESTING);
	return -1;
}

/* The token as the user wrote it, for messages ("'port'", "end of filter"). */
static const char *text(struct parser *p, const struct token *t, char *buf, size_t n)
{
	if (t->kind == TK_EOF)
		snprintf(buf, n, "the end of the filter");
	else
		snprintf(buf, n, "'%.*s'", t->len > 40 ? 40 : t->len, p->expr + t->pos);
	return buf;
}

#define TXT(t) text(p, (t), (char[64]){ 0 }, 64)

/* "unexpected 'x': WANT", or at the end "WANT after 'y'" where y is the
 * last token (the one that lacks its continuation). */
static void *unexpected(struct parser *p, const struct token *t, const char *want)
{
	if (t->kind == TK_EOF && t->len)
		return fail(p, t, "%s after '%.*s'", want, t->len > 40 ? 40 : t->len,
			    p->expr + t->pos);
	if (t->kind == TK_EOF)
		return fail(p, t, "%s", want);
	if (t->kind == TK_RPAREN)
		return fail(p, t, "unexpected ')': %s", want);
	return fail(p, t, "unexpected %s: %s", TXT(t), want);
}

/* Like unexpected(), naming the keyword the missing part belongs to. */
static void *missing(struct parser *p, const struct token *t, const char *want,
		     const struct token *after)
{
	char buf[160];

	if (!after || after->kind == TK_EOF)
		return unexpected(p, t, want);
	snprintf(buf, sizeof(buf), "%s after '%.*s'", want, after->len > 40 ? 40 : after->len,
		 p->expr + after->pos);
	if (t->kind == TK_EOF)
		return fail(p, t, "%s", buf);
	return unexpected(p, t, buf);
}

static struct node *new_node(struct parser *p, enum node_kind kind, int pos, int end)
{
	struct node *n = arena_alloc(p->a, sizeof(*n));

	if (!n) {
		if (!p->failed)
			filter_error(p->err, -1, 0, "out of memory");
		p->failed = p->nomem = 1;
		return NULL;
	}
	n->kind = kind;
	n->pos = pos;
	n->len = end - pos;
	return n;
}

static int tok_end(const struct token *t)
{
	return t->pos + t->len;
}

static int node_end(const struct node *n)
{
	return n->pos + n->len;
}

static struct node *new_binary(struct parser *p, enum node_kind kind, struct node *lhs,
			       struct node *rhs)
{
	struct node *n;

	if (!lhs || !rhs)
		return NULL;
	n = new_node(p, kind, lhs->pos, node_end(rhs));
	if (n) {
		n->lhs = lhs;
		n->rhs = rhs;
	}
	return n;
}

static char *tok_str(struct parser *p, const struct token *t)
{
	char *s = arena_strndup(p->a, p->expr + t->pos, t->len);

	if (!s) {
		if (!p->failed)
			filter_error(p->err, -1, 0, "out of memory");
		p->failed = p->nomem = 1;
	}
	return s;
}

static int is_id_token(enum tok_kind k)
{
	return k == TK_ID || k == TK_HID || k == TK_HID6 || k == TK_EID || k == TK_AID;
}

static int is_arith_op(enum tok_kind k)
{
	return k == TK_PLUS || k == TK_MINUS || k == TK_STAR || k == TK_SLASH ||
	       k == TK_PERCENT || k == TK_AMP || k == TK_PIPE || k == TK_CARET ||
	       k == TK_LSH || k == TK_RSH;
}

static int is_relop(enum tok_kind k)
{
	return k == TK_GT || k == TK_GE || k == TK_EQ || k == TK_LT || k == TK_LE ||
	       k == TK_NE;
}

static int is_head_start(enum tok_kind k)
{
	return k == TK_SRC || k == TK_DST || k == TK_ADDRQ || k == TK_HOST || k == TK_NET ||
	       k == TK_PORT || k == TK_PORTRANGE || k == TK_PROTO || k == TK_PROTOCHAIN ||
	       k == TK_GATEWAY;
}

/* The token after the ')' matching the '(' at T, or NULL when unbalanced. */
static struct token *skip_parens(struct token *t)
{
	return t->match ? t->match->next : NULL;
}

/* The token after a complete pnum (NUM or "(" pnum ")") at T, or NULL. */
static struct token *pnum_end(struct token *t)
{
	int depth = 0;

	for (; t->kind == TK_LPAREN; t = t->next)
		depth++;
	if (t->kind != TK_NUM)
		return NULL;
	for (t = t->next; depth > 0; depth--, t = t->next)
		if (t->kind != TK_RPAREN)
			return NULL;
	return t;
}

/* Does a parenthesised group at T close into arithmetic ("(len) > 5")
 * rather than a boolean expression ("(tcp or udp)")? */
static int paren_is_arith(struct token *t)
{
	struct token *after = skip_parens(t);

	return after && (is_arith_op(after->kind) || is_relop(after->kind));
}

/* After "and"/"or", yacc chooses between a term and an id by what follows;
 * the two never share a sentence, so a look past the nots and parens and at
 * the first operand decides. */
static int starts_id(struct token *t)
{
	struct token *u;

	while (t->kind == TK_NOT)
		t = t->next;
	if (t->kind == TK_LPAREN && paren_is_arith(t))
		return 0;
	for (u = t; u->kind == TK_LPAREN || u->kind == TK_NOT; u = u->next)
		;
	if (is_id_token(u->kind))
		return 1;
	if (u->kind == TK_NUM) {
		struct token *v = u->next;

		while (v->kind == TK_RPAREN)
			v = v->next;
		return !is_arith_op(v->kind) && !is_relop(v->kind);
	}
	return 0;
}

static const char *const q_type_names[] = {
	[QT_DEFAULT] = "default", [QT_HOST] = "host", [QT_NET] = "net", [QT_PORT] = "port",
	[QT_GATEWAY] = "gateway", [QT_PROTO] = "proto", [QT_PROTOCHAIN] = "protochain",
	[QT_PORTRANGE] = "portrange",
};

/* ---- ids: what follows the qualifiers */

static struct node *new_prim(struct parser *p, const struct inh *ctx, struct token *first,
			     int end)
{
	struct node *n;

	if (!ctx->ok && is_upper_keyword(p, first))
		return fail(p, first, "unexpected %s: keywords are lower case", TXT(first));
	if (!ctx->ok)
		return fail(p, first,
			    "%s needs a qualifier such as 'host' or 'port': the term before it "
			    "has none to pass on", TXT(first));
	n = new_node(p, ND_PRIM, first->pos, end);
	if (n) {
		n->q = ctx->q;
		n->id.pos = first->pos;
		n->id.len = end - first->pos;
	}
	return n;
}

/* libpcap's grammar refuses an IP address where a port or protocol is due. */
static struct node *check_addr_qual(struct parser *p, struct node *n, struct token *t,
				    const struct inh *ctx, const char *what)
{
	if (!n)
		return NULL;
	switch (n->q.type) {
	case QT_PORT:
	case QT_PORTRANGE:
	case QT_PROTO:
	case QT_PROTOCHAIN:
		if (ctx->inherited)
			return fail(p, t, "'%s' qualifier applied to %s (inherited from the "
				    "primitive before it: write 'host %.*s')",
				    q_type_names[n->q.type], what, t->len, p->expr + t->pos);
		return fail(p, t, "'%s' qualifier applied to %s", q_type_names[n->q.type], what);
	default:
		return n;
	}
}

// pnum = NUM | "(" pnum ")"
// (a loop rather than recursion: the parentheses can only nest around one NUM)
static int pnum(struct parser *p, struct token **rest, struct token *tok, uint32_t *v)
{
	struct token *open = tok;
	int depth = 0;

	for (; tok->kind == TK_LPAREN; tok = tok->next)
		depth++;
	if (tok->kind != TK_NUM) {
		unexpected(p, tok, "expected a number");
		return -1;
	}
	*v = tok->num;
	for (tok = tok->next; depth > 0; depth--, tok = tok->next) {
		if (tok->kind == TK_RPAREN)
			continue;
		if (tok->kind == TK_EOF)
			fail(p, open, "unterminated '('");
		else
			unexpected(p, tok, "expected ')' after the number");
		return -1;
	}
	*rest = tok;
	return 0;
}

// nid = ID | HID "/" NUM | HID "mask" HID | HID | HID6 "/" NUM | HID6
//     | EID | AID | "not" id
static struct node *nid(struct parser *p, struct token **rest, struct token *tok,
			const struct inh *ctx, const struct token *after)
{
	struct token *first = tok;
	struct node *n;

	switch (tok->kind) {
	case TK_NOT: {
		struct node *inner = id(p, rest, tok->next, ctx, tok);

		if (!inner)
			return NULL;
		n = new_node(p, ND_NOT, tok->pos, node_end(inner));
		if (n)
			n->lhs = inner;
		return n;
	}
	case TK_ID:
		n = new_prim(p, ctx, tok, tok_end(tok));
		if (!n)
			return NULL;
		n->id.kind = n->q.type == QT_PORTRANGE ? ID_PORTRANGE : ID_NAME;
		n->id.s = tok->s;
		*rest = tok->next;
		return n;
	case TK_HID:
		if (tok->next->kind == TK_SLASH) {
			struct token *len = tok->next->next;

			if (len->kind != TK_NUM)
				return missing(p, len, "expected a prefix length", tok->next);
			n = new_prim(p, ctx, tok, tok_end(len));
			if (!n)
				return NULL;
			n->id.kind = ID_IPV4_LEN;
			n->id.num = len->num;
			*rest = len->next;
			n = check_addr_qual(p, n, first, ctx, "IPv4 address and prefix length");
		} else if (tok->next->kind == TK_NETMASK) {
			struct token *mask = tok->next->next;

			if (mask->kind != TK_HID)
				return missing(p, mask, "expected a dotted netmask", tok->next);
			n = new_prim(p, ctx, tok, tok_end(mask));
			if (!n)
				return NULL;
			n->id.kind = ID_IPV4_MASK;
			n->id.mask = mask->s;
			*rest = mask->next;
			n = check_addr_qual(p, n, first, ctx, "IPv4 address and netmask");
		} else {
			n = new_prim(p, ctx, tok, tok_end(tok));
			if (!n)
				return NULL;
			n->id.kind = ID_IPV4;
			*rest = tok->next;
			n = check_addr_qual(p, n, first, ctx, "IPv4 address");
		}
		if (n)
			n->id.s = first->s;
		return n;
	case TK_HID6:
		if (tok->next->kind == TK_SLASH) {
			struct token *len = tok->next->next;

			if (len->kind != TK_NUM)
				return missing(p, len, "expected a prefix length", tok->next);
			n = new_prim(p, ctx, tok, tok_end(len));
			if (!n)
				return NULL;
			n->id.kind = ID_IPV6_LEN;
			n->id.num = len->num;
			*rest = len->next;
			n = check_addr_qual(p, n, first, ctx, "IPv6 address and prefix length");
		} else {
			n = new_prim(p, ctx, tok, tok_end(tok));
			if (!n)
				return NULL;
			n->id.kind = ID_IPV6;
			*rest = tok->next;
			n = check_addr_qual(p, n, first, ctx, "IPv6 address");
		}
		if (n)
			n->id.s = first->s;
		return n;
	case TK_EID:
	case TK_AID:
		n = new_prim(p, ctx, tok, tok_end(tok));
		if (!n)
			return NULL;
		n->id.kind = tok->kind == TK_EID ? ID_MAC : ID_ARCNET;
		n->id.s = tok->s;
		*rest = tok->next;
		return n;
	default:
		break;
	}
	if (ctx->ok) {
		switch (ctx->q.type) {
		case QT_PORT:
			return missing(p, tok, "expected a port number or name", after);
		case QT_PORTRANGE:
			return missing(p, tok, "expected a port range such as 6000-6010", after);
		case QT_NET:
			return missing(p, tok, "expected a network address", after);
		case QT_HOST:
			return missing(p, tok, "expected a host address or name", after);
		case QT_PROTO:
		case QT_PROTOCHAIN:
			return missing(p, tok, "expected a protocol number or name", after);
		default:
			break;
		}
	}
	return missing(p, tok, "expected an address, number or name", after);
}

static struct node *pnum_prim(struct parser *p, struct token **rest, struct token *tok,
			      const struct inh *ctx)
{
	struct token *start = tok, *last;
	struct node *n;
	uint32_t v;

	if (pnum(p, &tok, tok, &v) < 0)
		return NULL;
	if (!ctx->ok)
		return new_prim(p, ctx, start, 0);
	/* the span ends with the last ')' of the pnum */
	for (last = start; last->next != tok; last = last->next)
		;
	n = new_prim(p, ctx, start, tok_end(last));
	if (!n)
		return NULL;
	n->id.kind = ID_NUM;
	n->id.num = v;
	*rest = tok;
	return n;
}

// pid = nid | qid ("and" | "or") id
// qid = pnum | pid
static struct node *pid(struct parser *p, struct token **rest, struct token *tok,
			const struct inh *ctx, const struct token *after)
{
	struct node *n;

	if (pnum_end(tok)) {
		n = pnum_prim(p, &tok, tok, ctx);
		if (n && tok->kind != TK_AND && tok->kind != TK_OR)
			return unexpected(p, tok, "expected 'and' or 'or' in the list");
	} else {
		n = nid(p, &tok, tok, ctx, after);
	}
	while (n && (tok->kind == TK_AND || tok->kind == TK_OR)) {
		enum node_kind k = tok->kind == TK_AND ? ND_AND : ND_OR;
		struct token *op = tok;

		n = new_binary(p, k, n, id(p, &tok, tok->next, ctx, op));
	}
	*rest = tok;
	return n;
}

// id = nid | pnum | "(" pid ")"
static struct node *id(struct parser *p, struct token **rest, struct token *tok,
		       const struct inh *ctx, const struct token *after)
{
	struct node *n;

	if (deeper(p, tok) < 0)
		return NULL;
	if (pnum_end(tok)) {
		n = pnum_prim(p, rest, tok, ctx);
	} else if (tok->kind == TK_LPAREN) {
		struct token *open = tok;

		n = pid(p, &tok, tok->next, ctx, open);
		if (n && tok->kind != TK_RPAREN)
			n = tok->kind == TK_EOF ? fail(p, open, "unterminated '('") :
				unexpected(p, tok, "expected ')', 'and' or 'or' in the list");
		if (n) {
			*rest = tok->next;
			/* the list's span includes its parentheses */
			n->pos = open->pos;
			n->len = tok_end(tok) - open->pos;
		}
	} else {
		n = nid(p, rest, tok, ctx, after);
	}
	p->depth--;
	return n;
}

/* ---- qualifiers */

// dqual = "src" | "dst" | "src" "or" "dst" | "dst" "or" "src"
//       | "src" "and" "dst" | "dst" "and" "src"
//       | "addr1" | "addr2" | "addr3" | "addr4" | "ra" | "ta"
static int dqual(struct parser *p, struct token **rest, struct token *tok, uint8_t *dir)
{
	if (tok->kind == TK_ADDRQ) {
		*dir = (uint8_t)tok->num;
		*rest = tok->next;
		return 0;
	}
	*dir = tok->kind == TK_SRC ? QD_SRC : QD_DST;
	if (tok->next->kind == TK_OR || tok->next->kind == TK_AND) {
		struct token *other = tok->next->next;
		enum tok_kind want = tok->kind == TK_SRC ? TK_DST : TK_SRC;

		if (other->kind != want) {
			unexpected(p, other, want == TK_DST ? "expected 'dst' (as in 'src or dst')"
							   : "expected 'src' (as in 'dst or src')");
			return -1;
		}
		*dir = tok->next->kind == TK_OR ? QD_OR : QD_AND;
		*rest = other->next;
		return 0;
	}
	*rest = tok->next;
	return 0;
}

// aqual = "host" | "net" | "port" | "portrange"
static int aqual(struct token **rest, struct token *tok, uint8_t *type)
{
	switch (tok->kind) {
	case TK_HOST: *type = QT_HOST; break;
	case TK_NET: *type = QT_NET; break;
	case TK_PORT: *type = QT_PORT; break;
	case TK_PORTRANGE: *type = QT_PORTRANGE; break;
	default: return 0;
	}
	*rest = tok->next;
	return 1;
}

// head = pqual dqual aqual | pqual dqual | pqual aqual | pqual "proto"
//      | pqual "protochain" | pqual "gateway"
// pqual = pname | (nothing)
static int head(struct parser *p, struct token **rest, struct token *tok, struct qual *q,
		struct token **last)
{
	struct token *first = tok;

	memset(q, 0, sizeof(*q));
	if (tok->kind == TK_PNAME) {
		q->proto = (uint8_t)tok->num;
		tok = tok->next;
	}
	switch (tok->kind) {
	case TK_SRC:
	case TK_DST:
	case TK_ADDRQ:
		if (dqual(p, &tok, tok, &q->dir) < 0)
			return -1;
		aqual(&tok, tok, &q->type);
		break;
	case TK_PROTO:
	case TK_PROTOCHAIN:
	case TK_GATEWAY:
		q->type = tok->kind == TK_PROTO ? QT_PROTO :
			  tok->kind == TK_PROTOCHAIN ? QT_PROTOCHAIN : QT_GATEWAY;
		tok = tok->next;
		break;
	default:
		if (!aqual(&tok, tok, &q->type)) {
			unexpected(p, tok, "expected a qualifier");
			return -1;
		}
		break;
	}
	/* the last qualifier word, for "expected ... after 'port'" */
	for (*last = first; (*last)->next != tok; *last = (*last)->next)
		;
	*rest = tok;
	return 0;
}

/* ---- arithmetic */

// primary = NUM | "len" | pname "[" arth (":" NUM)? "]" | "(" arth ")"
static struct node *primary(struct parser *p, struct token **rest, struct token *tok)
{
	struct node *n;

	switch (tok->kind) {
	case TK_NUM:
		n = new_node(p, ND_NUM, tok->pos, tok_end(tok));
		if (n)
			n->num = tok->num;
		*rest = tok->next;
		return n;
	case TK_LEN:
		*rest = tok->next;
		return new_node(p, ND_LEN, tok->pos, tok_end(tok));
	case TK_LPAREN: {
		struct token *open = tok;

		n = arth(p, &tok, tok->next);
		if (!n)
			return NULL;
		if (tok->kind != TK_RPAREN) {
			if (tok->kind == TK_EOF)
				return fail(p, open, "unterminated '('");
			return unexpected(p, tok, "expected ')' or an arithmetic operator");
		}
		*rest = tok->next;
		return n;
	}
	case TK_PNAME: {
		struct token *name = tok, *open = tok->next;
		struct node *idx;

		if (open->kind != TK_LBRACKET)
			return unexpected(p, open, "expected '[' (as in 'ip[0]')");
		idx = arth(p, &tok, open->next);
		if (!idx)
			return NULL;
		n = new_node(p, ND_LOAD, name->pos, name->pos);
		if (!n)
			return NULL;
		n->q.proto = (uint8_t)name->num;
		n->s = tok_str(p, name);
		n->lhs = idx;
		n->num = 1;
		if (tok->kind == TK_COLON) {
			struct token *size = tok->next;

			if (size->kind != TK_NUM)
				return unexpected(p, size, "expected the load size 1, 2 or 4");
			if (size->num != 1 && size->num != 2 && size->num != 4)
				return fail(p, size, "load size must be 1, 2 or 4, not %u",
					    size->num);
			n->num = size->num;
			tok = size->next;
		}
		if (tok->kind != TK_RBRACKET) {
			if (tok->kind == TK_EOF)
				return fail(p, open, "unterminated '['");
			return unexpected(p, tok, "expected ']'");
		}
		n->len = tok_end(tok) - n->pos;
		*rest = tok->next;
		return n;
	}
	default:
		return unexpected(p, tok, "expected a number, 'len' or a load such as 'ip[0]'");
	}
}

// arth_mod = primary (("%" | "^") arth)?
static struct node *arth_mod(struct parser *p, struct token **rest, struct token *tok)
{
	struct node *n = primary(p, &tok, tok);

	if (n && (tok->kind == TK_PERCENT || tok->kind == TK_CARET)) {
		enum node_kind k = tok->kind == TK_PERCENT ? ND_MOD : ND_XOR;

		n = new_binary(p, k, n, arth(p, &tok, tok->next));
	}
	*rest = tok;
	return n;
}

// arth_unary = "-" arth_unary | arth_mod
static struct node *arth_unary(struct parser *p, struct token **rest, struct token *tok)
{
	struct node *n = NULL;

	if (deeper(p, tok) < 0)
		return NULL;
	if (tok->kind == TK_MINUS) {
		struct token *minus = tok;
		struct node *inner = arth_unary(p, rest, tok->next);

		if (inner)
			n = new_node(p, ND_NEG, minus->pos, node_end(inner));
		if (n)
			n->lhs = inner;
	} else {
		n = arth_mod(p, rest, tok);
	}
	p->depth--;
	return n;
}

/* The binary operators, by how tightly they bind (0: not one).  Each level
 * is a rule of the grammar, loosest first:
 *   arth       = arth_and ("|" arth_and)*
 *   arth_and   = arth_shift ("&" arth_shift)*
 *   arth_shift = arth_add (("<<" | ">>") arth_add)*
 *   arth_add   = arth_mul (("+" | "-") arth_mul)*
 *   arth_mul   = arth_unary (("*" | "/") arth_unary)*
 * all left-associative. */
static int binop_level(enum tok_kind t, enum node_kind *k)
{
	switch (t) {
	case TK_PIPE: *k = ND_BOR; return 1;
	case TK_AMP: *k = ND_BAND; return 2;
	case TK_LSH: *k = ND_SHL; return 3;
	case TK_RSH: *k = ND_SHR; return 3;
	case TK_PLUS: *k = ND_ADD; return 4;
	case TK_MINUS: *k = ND_SUB; return 4;
	case TK_STAR: *k = ND_MUL; return 5;
	case TK_SLASH: *k = ND_DIV; return 5;
	default: return 0;
	}
}

/* The rules above from level MIN down, by precedence climbing: an operand
 * is parsed by one call, not by a call per level (a descent per level was a
 * third of parsing an arithmetic filter); the tree is the same. */
static struct node *arth_binary(struct parser *p, struct token **rest, struct token *tok,
				int min)
{
	struct node *n = arth_unary(p, &tok, tok);
	enum node_kind k;
	int level;

	while (n && (level = binop_level(tok->kind, &k)) >= min)
		n = new_binary(p, k, n, arth_binary(p, &tok, tok->next, level + 1));
	*rest = tok;
	return n;
}

// arth = arth_and ("|" arth_and)*, the loosest level of arth_binary
static struct node *arth(struct parser *p, struct token **rest, struct token *tok)
{
	struct node *n;

	if (deeper(p, tok) < 0)
		return NULL;
	n = arth_binary(p, &tok, tok, 1);
	*rest = tok;
	p->depth--;
	return n;
}

// relation = arth relop arth | arth irelop arth
// relop = ">" | ">=" | "=" ; irelop = "<=" | "<" | "!="
static struct node *relation(struct parser *p, struct token **rest, struct token *tok)
{
	struct node *lhs = arth(p, &tok, tok), *n;
	enum relop op;

	if (!lhs)
		return NULL;
	switch (tok->kind) {
	case TK_GT: op = REL_GT; break;
	case TK_GE: op = REL_GE; break;
	case TK_EQ: op = REL_EQ; break;
	case TK_NE: op = REL_NE; break;
	case TK_LT: op = REL_LT; break;
	case TK_LE: op = REL_LE; break;
	default:
		return unexpected(p, tok, "expected a comparison (>, >=, =, !=, <, <=) "
				  "after the arithmetic expression");
	}
	n = new_binary(p, ND_REL, lhs, arth(p, &tok, tok->next));
	if (n)
		n->op = op;
	*rest = tok;
	return n;
}

/* "TCP", "Host": a name that would be a keyword in lower case, which is
 * the only case libpcap's scanner knows. */
static int is_upper_keyword(struct parser *p, const struct token *t)
{
	struct arena a = { 0 };
	struct token *lower;
	char buf[32];
	int i, yes = 0;

	if (t->kind != TK_ID || t->len >= (int)sizeof(buf))
		return 0;
	for (i = 0; i < t->len; i++)
		buf[i] = (char)tolower((unsigned char)p->expr[t->pos + i]);
	buf[i] = '\0';
	if (strncmp(buf, p->expr + t->pos, t->len) != 0 &&
	    filter_tokenize(buf, &a, &lower, NULL) == 0)
		yes = lower->kind != TK_ID && lower->next->kind == TK_EOF;
	arena_free(&a);
	return yes;
}

/* ---- primitives of link types sniff does not capture (ND_OTHER_LT) */

struct name_val {
	const char *name;
	int val;
};

static int lookup(const struct name_val *t, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(t[i].name, s) == 0)
			return t[i].val;
	return -1;
}

static const struct name_val pf_reasons[] = {
	{ "match", 0 }, { "bad-offset", 1 }, { "fragment", 2 }, { "short", 3 },
	{ "normalize", 4 }, { "memory", 5 }, { "bad-timestamp", 6 }, { "congestion", 7 },
	{ "ip-option", 8 }, { "proto-cksum", 9 }, { "state-mismatch", 10 },
	{ "state-insert", 11 }, { "state-limit", 12 }, { "src-limit", 13 },
	{ "synproxy", 14 },
	/* the BSDs' and macOS's own, which libpcap accepts where pf has them */
	{ "map-failed", 15 }, { "state-locked", 15 }, { "translate", 15 },
	{ "no-route", 16 }, { "dummynet", 15 },
};

static const struct name_val pf_actions[] = {
	{ "pass", 0 }, { "accept", 0 }, { "drop", 1 }, { "block", 1 }, { "scrub", 2 },
	{ "noscrub", 3 }, { "nat", 4 }, { "nonat", 5 }, { "binat", 6 }, { "nobinat", 7 },
	{ "rdr", 8 }, { "nordr", 9 }, { "synproxy-drop", 10 },
	/* the BSDs' and macOS's own */
	{ "defer", 11 }, { "match", 12 }, { "divert", 13 }, { "rt", 14 }, { "afrt", 15 },
	{ "dummynet", 11 }, { "nodummynet", 12 }, { "nat64", 13 }, { "nonat64", 14 },
};

static const struct name_val wlan_types[] = {
	{ "data", 0x08 }, { "mgt", 0x00 }, { "management", 0x00 }, { "ctl", 0x04 },
	{ "control", 0x04 },
};

static const struct name_val wlan_mgt[] = {
	{ "assocreq", 0x00 }, { "assoc-req", 0x00 }, { "assocresp", 0x10 },
	{ "assoc-resp", 0x10 }, { "reassocreq", 0x20 }, { "reassoc-req", 0x20 },
	{ "reassocresp", 0x30 }, { "reassoc-resp", 0x30 }, { "probereq", 0x40 },
	{ "probe-req", 0x40 }, { "proberesp", 0x50 }, { "probe-resp", 0x50 },
	{ "beacon", 0x80 }, { "atim", 0x90 }, { "disassoc", 0xa0 },
	{ "disassociation", 0xa0 }, { "auth", 0xb0 }, { "authentication", 0xb0 },
	{ "deauth", 0xc0 }, { "deauthentication", 0xc0 },
};

static const struct name_val wlan_ctl[] = {
	{ "bar", 0x80 }, { "ba", 0x90 }, { "ps-poll", 0xa0 }, { "rts", 0xb0 },
	{ "cts", 0xc0 }, { "ack", 0xd0 }, { "cf-end", 0xe0 }, { "cf-end-ack", 0xf0 },
};

static const struct name_val wlan_data[] = {
	{ "data", 0x00 }, { "data-cf-ack", 0x10 }, { "data-cf-poll", 0x20 },
	{ "data-cf-ack-poll", 0x30 }, { "null", 0x40 }, { "cf-ack", 0x50 },
	{ "cf-poll", 0x60 }, { "cf-ack-poll", 0x70 }, { "qos-data", 0x80 },
	{ "qos-data-cf-ack", 0x90 }, { "qos-data-cf-poll", 0xa0 },
	{ "qos-data-cf-ack-poll", 0xb0 }, { "qos", 0xc0 }, { "qos-cf-poll", 0xe0 },
	{ "qos-cf-ack-poll", 0xf0 },
};

static const struct name_val wlan_dirs[] = {
	{ "nods", 0 }, { "tods", 1 }, { "fromds", 2 }, { "dstods", 3 },
};

static const struct name_val llc_types[] = {
	{ "i", 0 }, { "s", 1 }, { "u", 2 }, { "rr", 3 }, { "rnr", 4 }, { "rej", 5 },
	{ "ui", 6 }, { "ua", 7 }, { "disc", 8 }, { "dm", 9 }, { "sabme", 10 },
	{ "test", 11 }, { "xid", 12 }, { "frmr", 13 },
};

static struct node *new_other_lt(struct parser *p, struct token *kw, struct token *last)
{
	struct node *n = new_node(p, ND_OTHER_LT, kw->pos, tok_end(last));

	if (n)
		n->s = tok_str(p, kw);
	return n;
}

// pfvar = ("on" | "ifname") ID | ("rset" | "ruleset") ID | ("rnr" | "rulenum") NUM
//       | ("srnr" | "subrulenum") NUM | "reason" (NUM | ID) | "action" ID
static struct node *pfvar(struct parser *p, struct token **rest, struct token *tok)
{
	struct token *kw = tok, *v = tok->next;

	switch (kw->kind) {
	case TK_PF_IFNAME:
	case TK_PF_RSET:
		if (v->kind != TK_ID)
			return unexpected(p, v, kw->kind == TK_PF_IFNAME ?
					  "expected an interface name" : "expected a ruleset name");
		break;
	case TK_PF_RNR:
	case TK_PF_SRNR:
		if (v->kind != TK_NUM)
			return unexpected(p, v, "expected a rule number");
		break;
	case TK_PF_REASON:
		if (v->kind == TK_ID && lookup(pf_reasons, ARRAY_SIZE(pf_reasons), v->s) < 0)
			return fail(p, v, "unknown PF reason \"%s\"", v->s);
		if (v->kind != TK_ID && v->kind != TK_NUM)
			return unexpected(p, v, "expected a PF reason");
		break;
	default: /* action */
		if (v->kind != TK_ID)
			return unexpected(p, v, "expected a PF action");
		if (lookup(pf_actions, ARRAY_SIZE(pf_actions), v->s) < 0)
			return fail(p, v, "unknown PF action \"%s\"", v->s);
		break;
	}
	*rest = v->next;
	return new_other_lt(p, kw, v);
}

// p80211 = "type" type ("subtype" subtype)? | "subtype" type_subtype | "dir" dir
// type = NUM | ID ; subtype = NUM | ID ; type_subtype = ID ; dir = NUM | ID
static struct node *p80211(struct parser *p, struct token **rest, struct token *tok)
{
	struct token *kw = tok, *v = tok->next;
	int type = -1;

	switch (kw->kind) {
	case TK_TYPE:
		if (v->kind == TK_NUM) {
			if (v->num & ~0x0cu)
				return fail(p, v, "invalid 802.11 type value 0x%02x", v->num);
			type = (int)v->num;
		} else if (v->kind == TK_ID) {
			type = lookup(wlan_types, ARRAY_SIZE(wlan_types), v->s);
			if (type < 0)
				return fail(p, v, "unknown 802.11 type name \"%s\"", v->s);
		} else {
			return unexpected(p, v, "expected an 802.11 type (mgt, ctl, data)");
		}
		if (v->next->kind == TK_SUBTYPE) {
			struct token *sv = v->next->next;

			if (sv->kind == TK_NUM) {
				if (sv->num & ~0xf0u)
					return fail(p, sv, "invalid 802.11 subtype value 0x%02x",
						    sv->num);
			} else if (sv->kind == TK_ID) {
				const struct name_val *t = type == 0x00 ? wlan_mgt :
							   type == 0x04 ? wlan_ctl :
							   type == 0x08 ? wlan_data : NULL;
				size_t n = type == 0x00 ? ARRAY_SIZE(wlan_mgt) :
					   type == 0x04 ? ARRAY_SIZE(wlan_ctl) :
							  ARRAY_SIZE(wlan_data);

				if (!t)
					return fail(p, v, "unknown 802.11 type");
				if (lookup(t, n, sv->s) < 0)
					return fail(p, sv, "unknown 802.11 subtype name \"%s\"",
						    sv->s);
			} else {
				return unexpected(p, sv, "expected an 802.11 subtype");
			}
			v = sv;
		}
		break;
	case TK_SUBTYPE:
		if (v->kind != TK_ID)
			return unexpected(p, v, "expected an 802.11 subtype name");
		if (lookup(wlan_mgt, ARRAY_SIZE(wlan_mgt), v->s) < 0 &&
		    lookup(wlan_ctl, ARRAY_SIZE(wlan_ctl), v->s) < 0 &&
		    lookup(wlan_data, ARRAY_SIZE(wlan_data), v->s) < 0)
			return fail(p, v, "unknown 802.11 type name \"%s\"", v->s);
		break;
	default: /* dir */
		if (v->kind == TK_ID) {
			if (lookup(wlan_dirs, ARRAY_SIZE(wlan_dirs), v->s) < 0)
				return fail(p, v, "unknown 802.11 direction \"%s\"", v->s);
		} else if (v->kind != TK_NUM) {
			return unexpected(p, v, "expected an 802.11 direction");
		}
		break;
	}
	*rest = v->next;
	return new_other_lt(p, kw, v);
}

// pllc = "llc" | "llc" ID | "llc" "rnr"
static struct node *pllc(struct parser *p, struct token **rest, struct token *tok)
{
	struct token *kw = tok, *v = tok->next;
	struct node *n;
	size_t i;

	/* "rnr" (or its alias "rulenum") is a pf keyword, so the grammar takes
	 * that token here rather than an ID */
	if (v->kind != TK_ID && v->kind != TK_PF_RNR) {
		*rest = v;
		return new_node(p, ND_LLC, kw->pos, tok_end(kw));
	}
	if (v->kind == TK_PF_RNR) {
		i = 4;
	} else {
		for (i = 0; i < ARRAY_SIZE(llc_types); i++)
			if (strcasecmp(llc_types[i].name, v->s) == 0)
				break;
		if (i == ARRAY_SIZE(llc_types))
			return fail(p, v, "unknown LLC type name \"%s\"", v->s);
	}
	n = new_node(p, ND_LLC, kw->pos, tok_end(v));
	if (n)
		n->s = llc_types[i].name;
	*rest = v->next;
	return n;
}

// atmvalue = NUM | relop NUM | irelop NUM | "(" NUM ("or" NUM)* ")"
// (also mtp3value)
static struct node *atmvalue(struct parser *p, struct token **rest, struct token *tok)
{
	struct token *kw = tok, *v = tok->next;

	if (is_relop(v->kind))
		v = v->next;
	if (v->kind == TK_LPAREN) {
		struct token *open = v;

		do {
			v = v->next;
			if (v->kind != TK_NUM)
				return unexpected(p, v, "expected a number");
			v = v->next;
		} while (v->kind == TK_OR);
		if (v->kind != TK_RPAREN) {
			if (v->kind == TK_EOF)
				return fail(p, open, "unterminated '('");
			return unexpected(p, v, "expected ')' or 'or'");
		}
	} else if (v->kind != TK_NUM) {
		return unexpected(p, v, "expected a number");
	}
	*rest = v->next;
	return new_other_lt(p, kw, v);
}

/* "vlan" pnum? and its kin. */
static struct node *opt_num(struct parser *p, struct token **rest, struct token *tok,
			    enum node_kind kind)
{
	struct token *kw = tok;
	struct node *n = new_node(p, kind, kw->pos, tok_end(kw));

	tok = tok->next;
	if (n && (tok->kind == TK_NUM || tok->kind == TK_LPAREN)) {
		struct token *t = tok, *end = tok;

		if (pnum(p, &tok, tok, &n->num) < 0)
			return NULL;
		for (; t != tok; t = t->next)
			end = t;
		n->has_num = 1;
		n->len = tok_end(end) - n->pos;
	}
	*rest = tok;
	return n;
}

static struct node *need_num(struct parser *p, struct token **rest, struct token *tok,
			     enum node_kind kind, const char *want)
{
	struct node *n;

	if (tok->next->kind != TK_NUM)
		return missing(p, tok->next, want, tok);
	n = new_node(p, kind, tok->pos, tok_end(tok->next));
	if (n)
		n->num = tok->next->num;
	*rest = tok->next->next;
	return n;
}

// other = pqual "broadcast" | pqual "multicast" | "less" NUM | "greater" NUM
//       | "byte" NUM byteop NUM | "inbound" | "outbound" | "ifindex" NUM
//       | "vlan" pnum? | "mpls" pnum? | "pppoed" | "pppoes" pnum?
//       | "geneve" pnum? | "vxlan" pnum? | pfvar | pqual p80211 | pllc
//       | atmtype | atmmultitype | atmfield atmvalue | mtp2type | mtp3field mtp3value
// byteop = "&" | "|" | "<" | ">" | "="
static struct node *other(struct parser *p, struct token **rest, struct token *tok,
			  struct token *pname)
{
	struct node *n;

	switch (tok->kind) {
	case TK_BROADCAST:
	case TK_MULTICAST:
		n = new_node(p, tok->kind == TK_BROADCAST ? ND_BROADCAST : ND_MULTICAST,
			     pname ? pname->pos : tok->pos, tok_end(tok));
		if (n && pname) {
			n->q.proto = (uint8_t)pname->num;
			n->s = tok_str(p, pname);
		}
		*rest = tok->next;
		return n;
	case TK_TYPE:
	case TK_SUBTYPE:
	case TK_DIR:
		return p80211(p, rest, tok);
	case TK_LESS:
		return need_num(p, rest, tok, ND_LESS, "expected a length");
	case TK_GREATER:
		return need_num(p, rest, tok, ND_GREATER, "expected a length");
	case TK_IFINDEX:
		return need_num(p, rest, tok, ND_IFINDEX,
				"expected an interface index");
	case TK_BYTE: {
		struct token *off = tok->next, *op, *val;

		if (off->kind != TK_NUM)
			return missing(p, off, "expected a byte offset", tok);
		op = off->next;
		val = op->next;
		n = new_node(p, ND_BYTE, tok->pos, tok_end(val));
		if (!n)
			return NULL;
		switch (op->kind) {
		case TK_AMP: n->op = REL_AND; break;
		case TK_PIPE: n->op = REL_OR; break;
		case TK_LT: n->op = REL_LT; break;
		case TK_GT: n->op = REL_GT; break;
		case TK_EQ: n->op = REL_EQ; break;
		default:
			return unexpected(p, op, "expected one of & | < > = after the byte offset");
		}
		if (val->kind != TK_NUM)
			return unexpected(p, val, "expected a number");
		n->num = off->num;
		n->num2 = val->num;
		*rest = val->next;
		return n;
	}
	case TK_INBOUND:
	case TK_OUTBOUND:
	case TK_PPPOED:
		*rest = tok->next;
		return new_node(p, tok->kind == TK_INBOUND ? ND_INBOUND :
				   tok->kind == TK_OUTBOUND ? ND_OUTBOUND : ND_PPPOED,
				tok->pos, tok_end(tok));
	case TK_VLAN:
		return opt_num(p, rest, tok, ND_VLAN);
	case TK_MPLS:
		return opt_num(p, rest, tok, ND_MPLS);
	case TK_PPPOES:
		return opt_num(p, rest, tok, ND_PPPOES);
	case TK_GENEVE:
		return opt_num(p, rest, tok, ND_GENEVE);
	case TK_VXLAN:
		return opt_num(p, rest, tok, ND_VXLAN);
	case TK_LLC:
		return pllc(p, rest, tok);
	case TK_PF_IFNAME:
	case TK_PF_RSET:
	case TK_PF_RNR:
	case TK_PF_SRNR:
	case TK_PF_REASON:
	case TK_PF_ACTION:
		return pfvar(p, rest, tok);
	case TK_ATMTYPE:
	case TK_ATMMULTI:
	case TK_MTP2TYPE:
		*rest = tok->next;
		return new_other_lt(p, tok, tok);
	case TK_ATMFIELD:
	case TK_MTP3FIELD:
		return atmvalue(p, rest, tok);
	default:
		if (is_upper_keyword(p, tok))
			return fail(p, tok, "unexpected %s: keywords are lower case", TXT(tok));
		return unexpected(p, tok, "expected a filter primitive");
	}
}

/* ---- boolean structure */

// rterm = head id | "(" expr ")" | pname | relation | other
static struct node *rterm(struct parser *p, struct token **rest, struct token *tok,
			  struct inh *ctx)
{
	struct token *pname = NULL;

	if (tok->kind == TK_LPAREN && !paren_is_arith(tok)) {
		struct token *open = tok;
		struct inh inner = *ctx;
		struct node *n = expr(p, &tok, tok->next, &inner);

		if (!n)
			return NULL;
		if (tok->kind != TK_RPAREN) {
			if (tok->kind == TK_EOF)
				return fail(p, open, "unterminated '('");
			return unexpected(p, tok, "expected ')', 'and' or 'or'");
		}
		/* ctx stays: "(...)" hands on what stood before its '(' */
		*rest = tok->next;
		return n;
	}
	if (tok->kind == TK_LPAREN || tok->kind == TK_NUM || tok->kind == TK_MINUS ||
	    tok->kind == TK_LEN || (tok->kind == TK_PNAME && tok->next->kind == TK_LBRACKET)) {
		ctx->ok = 0;
		return relation(p, rest, tok);
	}
	if (tok->kind == TK_PNAME) {
		pname = tok;
		if (!is_head_start(tok->next->kind)) {
			enum tok_kind k = tok->next->kind;
			struct node *n;

			ctx->ok = 0;
			if (k == TK_BROADCAST || k == TK_MULTICAST || k == TK_TYPE ||
			    k == TK_SUBTYPE || k == TK_DIR)
				return other(p, rest, tok->next, pname);
			n = new_node(p, ND_PROTO, tok->pos, tok_end(tok));
			if (n) {
				n->q.proto = (uint8_t)tok->num;
				n->s = tok_str(p, tok);
			}
			*rest = tok->next;
			return n;
		}
	}
	if (pname || is_head_start(tok->kind)) {
		struct token *last = NULL, *start = tok;
		struct qual q;
		struct node *n;

		if (head(p, &tok, tok, &q, &last) < 0)
			return NULL;
		ctx->q = q;
		ctx->ok = 1;
		ctx->inherited = 0;
		n = id(p, rest, tok, ctx, last);
		/* a primitive's span starts at its qualifiers */
		if (n && n->kind == ND_PRIM) {
			n->len = node_end(n) - start->pos;
			n->pos = start->pos;
		}
		return n;
	}
	ctx->ok = 0;
	if (tok->kind == TK_EOF)
		return unexpected(p, tok, "expected a filter primitive");
	return other(p, rest, tok, NULL);
}

// term = "not" term | rterm
static struct node *term(struct parser *p, struct token **rest, struct token *tok,
			 struct inh *ctx)
{
	struct node *n = NULL;

	if (deeper(p, tok) < 0)
		return NULL;
	if (tok->kind == TK_NOT) {
		struct token *not = tok;
		struct node *inner = term(p, rest, tok->next, ctx);

		if (inner)
			n = new_node(p, ND_NOT, not->pos, node_end(inner));
		if (n)
			n->lhs = inner;
	} else {
		n = rterm(p, rest, tok, ctx);
	}
	p->depth--;
	return n;
}

// expr = term (("and" | "or") (term | id))*
static struct node *expr(struct parser *p, struct token **rest, struct token *tok,
			 struct inh *ctx)
{
	struct node *n = term(p, &tok, tok, ctx);

	while (n && (tok->kind == TK_AND || tok->kind == TK_OR)) {
		enum node_kind k = tok->kind == TK_AND ? ND_AND : ND_OR;
		struct token *op = tok;
		struct node *rhs;

		tok = tok->next;
		if (tok->kind == TK_EOF)
			return fail(p, op, "expected a filter primitive after %s", TXT(op));
		if (starts_id(tok)) {
			struct inh from_left = *ctx;

			from_left.inherited = 1;
			rhs = id(p, &tok, tok, &from_left, op);
		} else {
			rhs = term(p, &tok, tok, ctx);
		}
		n = new_binary(p, k, n, rhs);
	}
	*rest = tok;
	return n;
}

// prog = expr | (nothing)
int filter_parse(const char *expr_text, struct arena *a, struct node **out,
		 struct sniff_error *err)
{
	struct parser p = { .expr = expr_text, .a = a, .err = err };
	struct inh ctx = { .ok = 0 };
	struct token *tok;
	struct node *n;
	int ret;

	*out = NULL;
	if (!expr_text)
		return filter_error(err, -1, 0, "no filter expression");
	if (err)
		memset(err, 0, sizeof(*err));
	ret = filter_tokenize(expr_text, a, &tok, err);
	if (ret < 0)
		return ret;
	if (tok->kind == TK_EOF)
		return 0;
	n = expr(&p, &tok, tok, &ctx);
	if (n && tok->kind != TK_EOF) {
		if (tok->kind == TK_RPAREN)
			fail(&p, tok, "unexpected ')' without a matching '('");
		else
			fail(&p, tok, "unexpected %s: expected 'and', 'or' or the end of the filter",
			     text(&p, tok, (char[64]){ 0 }, 64));
		n = NULL;
	}
	if (!n || p.failed)
		return p.nomem ? -ENOMEM : -EINVAL;
	*out = n;
	return 0;
}
