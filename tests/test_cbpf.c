/* tests/test_cbpf.c - classic BPF tools held to their oracles:
 *  validator    == the kernel (setsockopt SO_ATTACH_FILTER on a UDP socket)
 *  interpreter  == libpcap's bpf_filter(); with kernel_shift, == the kernel's
 *                  socket filter on an AF_UNIX socketpair (no root, no network)
 *  -d/-dd/-ddd  == libpcap's bpf_image() / bpf_dump()
 *  assembler    == the inverse of the dump, on every corpus libpcap_program
 * Random programs come from a fixed seed (env SEED overrides it); every test
 * prints what it checked so the log shows the counts. SHOW_DIFF=1 lists the
 * apply cases where libpcap 1.10.3's programs and the corpus (master) differ.
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/filter.h>

#include "cbpf/cbpf.h"
#include "testutil.h"

/* ---- helpers */

/* one reproducible generator for the whole file (testutil.h) */
static struct test_rng rng;

static uint32_t rnd32(void)
{
	return test_rnd(&rng);
}

static uint32_t rnd(uint32_t n) /* 0..n-1 */
{
	return test_below(&rng, n);
}

static void seed(uint64_t dflt)
{
	const char *s = getenv("SEED");

	rng.s = s ? strtoull(s, NULL, 0) : dflt;
	if (!rng.s)
		rng.s = 1;
}

static const char *corpus_dir(void)
{
	const char *c = getenv("CORPUS");

	return c && *c ? c : SRCDIR "/../shared/corpus";
}

#define ASSERT_INSNS_EQ(a, b, n)                                                        \
	do {                                                                            \
		for (unsigned i_ = 0; i_ < (n); i_++)                                   \
			ck_assert_msg((a)[i_].code == (b)[i_].code && (a)[i_].jt == (b)[i_].jt && \
				      (a)[i_].jf == (b)[i_].jf && (a)[i_].k == (b)[i_].k,        \
				      "insn %u: {0x%x,%u,%u,0x%x} != {0x%x,%u,%u,0x%x}", i_,     \
				      (a)[i_].code, (a)[i_].jt, (a)[i_].jf, (a)[i_].k,           \
				      (b)[i_].code, (b)[i_].jt, (b)[i_].jf, (b)[i_].k);          \
	} while (0)

/* The kernel's verdict: 0 accepted, -EINVAL refused, other -errno unusable. */
static int kernel_verdict(int fd, const struct sniff_insn *insns, unsigned len)
{
	struct sock_fprog fp = { .len = (unsigned short)len,
				 .filter = (struct sock_filter *)(uintptr_t)insns };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) == 0)
		return 0;
	return -errno;
}

static uint32_t pcap_run(const struct sniff_insn *insns, unsigned len, const uint8_t *pkt,
			 uint32_t wirelen, uint32_t caplen)
{
	struct bpf_insn prog[4096];

	memcpy(prog, insns, len * sizeof(prog[0]));
	return bpf_filter(prog, pkt, wirelen, caplen);
}

static const uint16_t allowed_codes[] = {
	BPF_ALU | BPF_ADD | BPF_K, BPF_ALU | BPF_ADD | BPF_X, BPF_ALU | BPF_SUB | BPF_K,
	BPF_ALU | BPF_SUB | BPF_X, BPF_ALU | BPF_MUL | BPF_K, BPF_ALU | BPF_MUL | BPF_X,
	BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_DIV | BPF_X, BPF_ALU | BPF_MOD | BPF_K,
	BPF_ALU | BPF_MOD | BPF_X, BPF_ALU | BPF_AND | BPF_K, BPF_ALU | BPF_AND | BPF_X,
	BPF_ALU | BPF_OR | BPF_K, BPF_ALU | BPF_OR | BPF_X, BPF_ALU | BPF_XOR | BPF_K,
	BPF_ALU | BPF_XOR | BPF_X, BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_LSH | BPF_X,
	BPF_ALU | BPF_RSH | BPF_K, BPF_ALU | BPF_RSH | BPF_X, BPF_ALU | BPF_NEG,
	BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS,
	BPF_LD | BPF_W | BPF_LEN, BPF_LD | BPF_W | BPF_IND, BPF_LD | BPF_H | BPF_IND,
	BPF_LD | BPF_B | BPF_IND, BPF_LD | BPF_IMM, BPF_LD | BPF_MEM, BPF_LDX | BPF_W | BPF_LEN,
	BPF_LDX | BPF_B | BPF_MSH, BPF_LDX | BPF_IMM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX,
	BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA, BPF_RET | BPF_K, BPF_RET | BPF_A,
	BPF_JMP | BPF_JA, BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JEQ | BPF_X,
	BPF_JMP | BPF_JGE | BPF_K, BPF_JMP | BPF_JGE | BPF_X, BPF_JMP | BPF_JGT | BPF_K,
	BPF_JMP | BPF_JGT | BPF_X, BPF_JMP | BPF_JSET | BPF_K, BPF_JMP | BPF_JSET | BPF_X,
};
#define N_ALLOWED (sizeof(allowed_codes) / sizeof(allowed_codes[0]))

/* Values where the rules change: 0, M[] size, shift width, ancillary range. */
static uint32_t edgy_k(unsigned pc, unsigned len)
{
	switch (rnd(14)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return 15 + rnd(3);          /* 15, 16, 17 */
	case 3: return 31 + rnd(3);          /* 31, 32, 33 */
	case 4: return (uint32_t)SKF_AD_OFF + rnd(SKF_AD_MAX + 8);
	case 5: return (uint32_t)SKF_AD_OFF - 1 - rnd(2);
	case 6: return len - pc - 2 + rnd(3); /* ja at the end, around the limit */
	case 7: return 0xffffffffu;
	case 8: return (uint32_t)SKF_NET_OFF + rnd(4);
	default: return rnd(8) ? rnd(64) : rnd32();
	}
}

/* Any program, mostly invalid in one way or another. */
static unsigned gen_any(struct sniff_insn *p)
{
	unsigned len = 1 + rnd(rnd(4) ? 8 : 40), i;

	for (i = 0; i < len; i++) {
		unsigned r = rnd(100);

		p[i].code = r < 80 ? allowed_codes[rnd(N_ALLOWED)] :
			    r < 97 ? (uint16_t)rnd(256) : (uint16_t)rnd32();
		p[i].k = edgy_k(i, len);
		p[i].jt = rnd(8) ? (uint8_t)rnd(len - i + 1) : (uint8_t)rnd(256);
		p[i].jf = rnd(8) ? (uint8_t)rnd(len - i + 1) : (uint8_t)rnd(256);
	}
	if (rnd(100) < 85)
		p[len - 1].code = rnd(2) ? BPF_RET | BPF_K : BPF_RET | BPF_A;
	return len;
}

/* A valid program (by construction): forward jumps inside it, M[] reads
 * only of cells stored before the first branch, sane constants. Loads reach
 * around CAPLEN_HINT so they fall both in and out of the packet.
 * TAME keeps to what the kernel and libpcap do alike, apart from shifts:
 * X only ever holds small values (no tax, no ldx M[]) so x + k never wraps,
 * no ancillary or negative offsets, and ret #k stays near the packet size. */
static unsigned gen_valid(struct sniff_insn *p, unsigned maxlen, unsigned caplen_hint, int tame)
{
	static const uint16_t alu_ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD,
					    BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH };
	static const uint16_t jmp_ops[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET };
	unsigned len = 2 + rnd(maxlen - 1), i = 0, nstore = rnd(4);
	uint16_t written = 0;

	for (; i < nstore && i < len - 1; i++) {
		p[i] = rnd(2) ? CB_ST(rnd(16)) : CB_STX(rnd(16));
		written |= (uint16_t)(1u << p[i].k);
	}
	for (; i < len - 1; i++) {
		unsigned room = len - i - 2; /* largest forward offset that stays inside */
		uint16_t op = alu_ops[rnd(10)];
		uint32_t k;

		switch (rnd(22)) {
		case 0: case 1: case 2: {
			static const uint16_t sz[] = { BPF_W, BPF_H, BPF_B };

			k = rnd(16) || tame ? rnd(caplen_hint + 6) :
			    rnd(2) ? (uint32_t)SKF_AD_OFF + 4 * rnd(16) : rnd32();
			p[i] = CB_LD_ABS(sz[rnd(3)], k);
			break;
		}
		case 3: case 4: {
			static const uint16_t sz[] = { BPF_W, BPF_H, BPF_B };

			p[i] = CB_LD_IND(sz[rnd(3)], rnd(8) || tame ? rnd(caplen_hint + 4) : rnd32());
			break;
		}
		case 5:
			p[i] = CB_LDX_MSH(rnd(caplen_hint + 2));
			break;
		case 6:
			p[i] = rnd(2) ? CB_LD_LEN() : CB_STMT(BPF_LDX | BPF_W | BPF_LEN, 0);
			break;
		case 7:
			k = rnd(4) ? rnd(40) : rnd32();
			p[i] = rnd(2) ? CB_LD_IMM(k) : CB_LDX_IMM(tame ? k % 40 : k);
			break;
		case 8:
			if (written) {
				do
					k = rnd(16);
				while (!(written & (1u << k)));
				p[i] = rnd(2) || tame ? CB_LD_MEM(k) : CB_LDX_MEM(k);
			} else {
				p[i] = CB_NEG();
			}
			break;
		case 9:
			p[i] = rnd(2) ? CB_ST(rnd(16)) : CB_STX(rnd(16));
			break;
		case 10: case 11: case 12:
			if (op == BPF_DIV || op == BPF_MOD)
				k = rnd(3) ? 1 + rnd(9) : rnd32() | 1;
			else if (op == BPF_LSH || op == BPF_RSH)
				k = rnd(32);
			else
				k = rnd(3) ? rnd(256) : rnd32();
			p[i] = CB_ALU_K(op, k);
			break;
		case 13: case 14:
			/* shifts by X are where the kernel and libpcap part */
			p[i] = CB_ALU_X(tame && rnd(2) ? (rnd(2) ? BPF_LSH : BPF_RSH) : op);
			break;
		case 15:
			p[i] = CB_NEG();
			break;
		case 16:
			p[i] = rnd(2) && !tame ? CB_TAX() : CB_TXA();
			break;
		case 17:
			p[i] = CB_JA(rnd(room + 1));
			break;
		case 18:
			p[i] = rnd(2) ? CB_RET_K(rnd(3) || tame ? rnd(2000) : rnd32()) : CB_RET_A();
			break;
		default: {
			uint8_t jt = (uint8_t)rnd((room < 255 ? room : 255) + 1);
			uint8_t jf = (uint8_t)rnd((room < 255 ? room : 255) + 1);

			k = rnd(3) ? rnd(caplen_hint + 8) : rnd32();
			p[i] = rnd(3) ? CB_JMP_K(jmp_ops[rnd(4)], k, jt, jf) :
				        CB_JMP_X(jmp_ops[rnd(4)], jt, jf);
			break;
		}
		}
	}
	p[len - 1] = rnd(3) ? CB_RET_K(tame ? rnd(2 * caplen_hint + 8) :
				       rnd(4) ? 0xffff : rnd(2) ? 0 : rnd32()) : CB_RET_A();
	return len;
}

static unsigned gen_packet(uint8_t *pkt, unsigned max)
{
	unsigned len = rnd(max + 1), i;

	for (i = 0; i < len; i++) {
		unsigned r = rnd(10);

		/* zeros make div-by-X and X + k = small offsets likely */
		pkt[i] = r < 3 ? 0 : r < 6 ? (uint8_t)rnd(16) : (uint8_t)rnd32();
	}
	return len;
}

/* ---- (a) validator vs the kernel */

struct vcase {
	const char *what;
	unsigned len;
	struct sniff_insn insns[6];
	int column; /* expected err->column when refused (index + 1), 0: not checked */
};

#define P(...) { __VA_ARGS__ }
static const struct vcase vcases[] = {
	{ "ret only", 1, P(CB_RET_K(0)), 0 },
	{ "ret a", 1, P(CB_RET_A()), 0 },
	{ "no ret at end", 2, P(CB_RET_K(0), CB_LD_IMM(1)), 2 },
	{ "ret x (0x1e) not allowed", 1, P(CB_STMT(BPF_RET | BPF_X, 0)), 1 },
	{ "div #0", 2, P(CB_ALU_K(BPF_DIV, 0), CB_RET_A()), 1 },
	{ "mod #0", 2, P(CB_ALU_K(BPF_MOD, 0), CB_RET_A()), 1 },
	{ "div #1", 2, P(CB_ALU_K(BPF_DIV, 1), CB_RET_A()), 0 },
	{ "div x", 2, P(CB_ALU_X(BPF_DIV), CB_RET_A()), 0 },
	{ "lsh #31", 2, P(CB_ALU_K(BPF_LSH, 31), CB_RET_A()), 0 },
	{ "lsh #32", 2, P(CB_ALU_K(BPF_LSH, 32), CB_RET_A()), 1 },
	{ "rsh #32", 2, P(CB_ALU_K(BPF_RSH, 32), CB_RET_A()), 1 },
	{ "rsh #0xffffffff", 2, P(CB_ALU_K(BPF_RSH, 0xffffffff), CB_RET_A()), 1 },
	{ "st M[15]", 2, P(CB_ST(15), CB_RET_A()), 0 },
	{ "st M[16]", 2, P(CB_ST(16), CB_RET_A()), 1 },
	{ "ldx M[16]", 3, P(CB_ST(0), CB_LDX_MEM(16), CB_RET_A()), 2 },
	{ "ld M[0] unwritten", 2, P(CB_LD_MEM(0), CB_RET_A()), 1 },
	{ "st M[1], ld M[0]", 3, P(CB_ST(1), CB_LD_MEM(0), CB_RET_A()), 2 },
	{ "st M[0], ld M[0]", 3, P(CB_ST(0), CB_LD_MEM(0), CB_RET_A()), 0 },
	{ "store on one branch only", 6,
	  P(CB_JMP_K(BPF_JEQ, 1, 0, 1), CB_ST(3), CB_LD_MEM(3), CB_RET_A(), CB_RET_K(0), CB_RET_K(1)), 3 },
	{ "store before the branch", 5,
	  P(CB_ST(3), CB_JMP_K(BPF_JEQ, 1, 0, 1), CB_LD_MEM(3), CB_RET_A(), CB_RET_K(1)), 0 },
	{ "ja over the store", 5, P(CB_JA(1), CB_ST(2), CB_LDX_MEM(2), CB_RET_A(), CB_RET_K(0)), 3 },
	{ "read after ret, reached only by a jump", 5,
	  P(CB_ST(4), CB_JMP_K(BPF_JEQ, 0, 1, 0), CB_RET_K(0), CB_LD_MEM(4), CB_RET_A()), 0 },
	{ "ja to last", 2, P(CB_JA(0), CB_RET_K(0)), 0 },
	{ "ja past end", 2, P(CB_JA(1), CB_RET_K(0)), 1 },
	{ "ja huge", 2, P(CB_JA(0xffffffff), CB_RET_K(0)), 1 },
	{ "jt past end", 2, P(CB_JMP_K(BPF_JEQ, 0, 1, 0), CB_RET_K(0)), 1 },
	{ "jf past end", 3, P(CB_JMP_X(BPF_JGT, 0, 2), CB_RET_K(0), CB_RET_K(1)), 1 },
	{ "jset to last", 3, P(CB_JMP_K(BPF_JSET, 1, 1, 0), CB_RET_K(0), CB_RET_K(1)), 0 },
	{ "ld [proto]", 2, P(CB_LD_ABS(BPF_W, SKF_AD_OFF + SKF_AD_PROTOCOL), CB_RET_A()), 0 },
	{ "ldb [vlan_tpid]", 2, P(CB_LD_ABS(BPF_B, SKF_AD_OFF + SKF_AD_VLAN_TPID), CB_RET_A()), 0 },
	{ "ld [SKF_AD_OFF+1]", 2, P(CB_LD_ABS(BPF_W, SKF_AD_OFF + 1), CB_RET_A()), 1 },
	{ "ld [SKF_AD_OFF+64]", 2, P(CB_LD_ABS(BPF_H, SKF_AD_OFF + SKF_AD_MAX), CB_RET_A()), 1 },
	{ "ld [SKF_NET_OFF]", 2, P(CB_LD_ABS(BPF_W, SKF_NET_OFF), CB_RET_A()), 0 },
	{ "ld [x + SKF_AD_OFF+1] (ind not checked)", 2,
	  P(CB_LD_IND(BPF_W, SKF_AD_OFF + 1), CB_RET_A()), 0 },
	{ "ldx #pktlen (0x81)", 2, P(CB_STMT(BPF_LDX | BPF_W | BPF_LEN, 0), CB_RET_A()), 0 },
	{ "ld #k with size bits (0x08)", 2, P(CB_STMT(BPF_LD | BPF_H | BPF_IMM, 0), CB_RET_A()), 1 },
	{ "ldxb [k] without msh bits", 2, P(CB_STMT(BPF_LDX | BPF_B | BPF_ABS, 0), CB_RET_A()), 1 },
	{ "jne (eBPF only)", 3, P(CB_JMP_K(0x50, 0, 0, 0), CB_RET_K(0), CB_RET_K(0)), 1 },
	{ "opcode 0x100", 2, P(CB_STMT(0x100, 0), CB_RET_K(0)), 1 },
};

START_TEST(test_validate_table)
{
	struct sniff_error err;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned i, acc = 0;

	ck_assert_int_ge(fd, 0);
	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		const struct vcase *c = &vcases[i];
		int kern = kernel_verdict(fd, c->insns, c->len);
		int ours = cb_validate(c->insns, c->len, &err);

		ck_assert_msg(kern == 0 || kern == -EINVAL, "%s: kernel said %d", c->what, kern);
		ck_assert_msg(ours == kern, "%s: ours %d (%s), kernel %d", c->what, ours,
			      ours ? err.msg : "ok", kern);
		if (ours && c->column)
			ck_assert_msg(err.column == c->column, "%s: column %d, expected %d (%s)",
				      c->what, err.column, c->column, err.msg);
		acc += !kern;
	}
	printf("validate table: %u cases agree with the kernel (%u accepted)\n", i, acc);
	close(fd);
}
END_TEST

START_TEST(test_validate_lengths)
{
	static struct sniff_insn p[4097];
	struct sniff_error err;
	struct sniff_prog prog = { 0, p };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), big;
	unsigned i;

	ck_assert_int_ge(fd, 0);
	/* ld #k converts to one eBPF insn each: a long ret-only program would
	 * exceed the socket's optmem once translated (ENOMEM, not a verdict) */
	for (i = 0; i < 4097; i++)
		p[i] = CB_LD_IMM(i);
	p[4095] = CB_RET_A();
	p[4096] = CB_RET_A();
	ck_assert_int_eq(kernel_verdict(fd, p, 0), -EINVAL);
	ck_assert_int_eq(cb_validate(p, 0, &err), -EINVAL);
	big = kernel_verdict(fd, p, 4096);
	/* a small net.core.optmem_max (older kernels: 20480) cannot hold the
	 * translated program: ENOMEM says nothing about validity */
	if (big == -ENOMEM)
		printf("validate lengths: NOTICE optmem_max too small for 4096 insns, "
		       "kernel verdicts on them not checked\n");
	else
		ck_assert_int_eq(big, 0);
	ck_assert_int_eq(cb_validate(p, 4096, &err), 0);
	ck_assert_int_eq(kernel_verdict(fd, p, 4097), -EINVAL);
	ck_assert_int_eq(cb_validate(p, 4097, &err), -EINVAL);
	/* the longest ja the kernel takes */
	p[0] = CB_JA(4094);
	ck_assert_int_eq(kernel_verdict(fd, p, 4096), big);
	ck_assert_int_eq(cb_validate(p, 4096, &err), 0);
	p[0] = CB_JA(4095);
	ck_assert_int_eq(kernel_verdict(fd, p, 4096), -EINVAL);
	ck_assert_int_eq(cb_validate(p, 4096, &err), -EINVAL);
	ck_assert_int_eq(err.column, 1);
	p[0] = CB_LD_IMM(0);
	p[4095] = CB_LD_IMM(0);
	ck_assert_int_eq(kernel_verdict(fd, p, 4096), -EINVAL);
	ck_assert_int_eq(cb_validate(p, 4096, &err), -EINVAL);
	ck_assert_int_eq(err.column, 4096);
	/* public wrapper */
	prog.len = 1;
	p[0] = CB_RET_K(0);
	ck_assert_int_eq(sniff_prog_validate(&prog, &err), 0);
	ck_assert_int_eq(sniff_prog_validate(NULL, &err), -EINVAL);
	ck_assert_int_eq(sniff_prog_validate(&prog, NULL), 0);
	printf("validate lengths: 0, 4096, 4097 and ja limits agree with the kernel\n");
	close(fd);
}
END_TEST

START_TEST(test_validate_random)
{
	static struct sniff_insn p[64];
	struct sniff_error err;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned n, tot = 0, acc = 0, other = 0, mutated = 0, r;
	static const char *const rules[] = { "is not allowed", "by constant 0", "shift by constant",
					     "scratch memory", "jumps past the end", "jump target",
					     "ancillary", "not a ret", "read before" };
	enum { NRULES = sizeof(rules) / sizeof(rules[0]) };
	unsigned rule_hits[NRULES] = { 0 };

	ck_assert_int_ge(fd, 0);
	seed(0xa11ce);
	for (n = 0; n < 30000; n++) {
		unsigned len;
		int kern, ours;

		if (n % 2) {
			len = gen_any(p);
		} else {
			/* a valid program with one field changed: near the boundary */
			unsigned i;

			len = gen_valid(p, 12, 20, 0);
			i = rnd(len);
			switch (rnd(5)) {
			case 0: p[i].code = allowed_codes[rnd(N_ALLOWED)]; break;
			case 1: p[i].k = edgy_k(i, len); break;
			case 2: p[i].jt = (uint8_t)rnd(len - i + 1); break;
			case 3: p[i].jf = (uint8_t)rnd(len - i + 1); break;
			default: p[i].code ^= (uint16_t)(1u << rnd(8)); break;
			}
			mutated++;
		}
		kern = kernel_verdict(fd, p, len);
		if (kern != 0 && kern != -EINVAL) {
			other++;
			continue;
		}
		ours = cb_validate(p, len, &err);
		if (ours != kern) {
			char line[128];
			unsigned i;

			for (i = 0; i < len; i++) {
				cb_insn_text(&p[i], i, line, sizeof(line));
				fprintf(stderr, "  {0x%x,%u,%u,0x%x} %s\n", p[i].code, p[i].jt, p[i].jf,
					p[i].k, line);
			}
			ck_abort_msg("program %u: ours %d (%s), kernel %d", n, ours,
				     ours ? err.msg : "ok", kern);
		}
		tot++;
		acc += !kern;
		for (r = 0; ours && r < NRULES; r++)
			if (strstr(err.msg, rules[r])) {
				rule_hits[r]++;
				break;
			}
	}
	printf("validate random: %u programs (%u mutated valid ones) agree with the kernel: "
	       "%u accepted, %u refused; %u skipped (kernel error other than EINVAL)\n",
	       tot, mutated, acc, tot - acc, other);
	/* every rule must have been the reason for some refusal, or the sample
	 * says nothing about it */
	for (r = 0; r < NRULES; r++) {
		printf("  refused for '%s': %u\n", rules[r], rule_hits[r]);
		ck_assert_uint_gt(rule_hits[r], 20);
	}
	ck_assert_uint_gt(acc, 3000);
	ck_assert_uint_gt(tot - acc, 3000);
	ck_assert_uint_lt(other, 10);
	close(fd);
}
END_TEST

/* ---- (b) interpreter vs libpcap's bpf_filter */

START_TEST(test_interp_random)
{
	static struct sniff_insn p[64];
	uint8_t pkt[80];
	struct sniff_error err;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned n, runs = 0, accepted = 0, kchecked = 0;

	ck_assert_int_ge(fd, 0);
	seed(0xb0b);
	for (n = 0; n < 120000; n++) {
		unsigned caplen_hint = 1 + rnd(64);
		unsigned len = gen_valid(p, n % 10 ? 12 : 48, caplen_hint, 0), j;
		int v = cb_validate(p, len, &err);

		ck_assert_msg(v == 0, "generated program %u not valid: %s", n, err.msg);
		if (n % 64 == 0) {
			ck_assert_int_eq(kernel_verdict(fd, p, len), 0);
			kchecked++;
		}
		for (j = 0; j < 4; j++) {
			unsigned caplen = gen_packet(pkt, caplen_hint + 4);
			uint32_t wirelen = caplen + (rnd(3) ? 0 : rnd(1500));
			uint32_t want = pcap_run(p, len, pkt, wirelen, caplen);
			uint32_t got = cb_run(p, len, pkt, wirelen, caplen, NULL, 0);

			if (got != want) {
				char line[128];
				unsigned i;

				for (i = 0; i < len; i++) {
					cb_insn_text(&p[i], i, line, sizeof(line));
					fprintf(stderr, "  (%03u) %s\n", i, line);
				}
				ck_abort_msg("program %u, packet %u (caplen %u): ours %u, libpcap %u",
					     n, j, caplen, got, want);
			}
			runs++;
			accepted += want != 0;
		}
	}
	printf("interp random: %u valid programs x 4 packets = %u runs equal to bpf_filter "
	       "(%u non-zero); %u of the programs also attached by the kernel\n",
	       n, runs, accepted, kchecked);
	ck_assert_uint_gt(accepted, runs / 10);
	close(fd);
}
END_TEST

/* The kernel as the oracle for kernel_shift: a filter on the receiving end
 * of an AF_UNIX datagram socketpair runs on each message (no network, no
 * root). Its value V shows as the message cut to min(len, V), or dropped on
 * 0, so that is what we compare. */
START_TEST(test_interp_kernel)
{
	static struct sniff_insn p[64];
	uint8_t pkt[128], buf[512];
	int sv[2];
	unsigned n, runs = 0, dropped = 0, cut = 0, shift_mattered = 0;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	seed(0xcafe);
	for (n = 0; n < 10000; n++) {
		unsigned hint = 8 + rnd(56), len = gen_valid(p, 16, hint, 1), j;

		ck_assert_int_eq(kernel_verdict(sv[1], p, len), 0);
		for (j = 0; j < 2; j++) {
			unsigned plen = gen_packet(pkt, hint + 4);
			uint32_t v;
			long want, got;

			if (!plen)
				pkt[plen++] = 1; /* an empty datagram would look like a drop */
			v = cb_run(p, len, pkt, plen, plen, NULL, 1);
			want = v == 0 ? -1 : (long)(v < plen ? v : plen);
			ck_assert_int_eq(send(sv[0], pkt, plen, 0), plen);
			got = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
			if (got < 0)
				ck_assert_int_eq(errno, EAGAIN);
			if (got != want) {
				char line[128];
				unsigned i;

				for (i = 0; i < len; i++) {
					cb_insn_text(&p[i], i, line, sizeof(line));
					fprintf(stderr, "  (%03u) %s\n", i, line);
				}
				ck_abort_msg("program %u, %u-byte message: ours %u (-> %ld), kernel %ld",
					     n, plen, v, want, got);
			}
			runs++;
			dropped += want < 0;
			cut += want >= 0 && want < (long)plen;
			shift_mattered += v != cb_run(p, len, pkt, plen, plen, NULL, 0);
		}
	}
	/* every shift count 0..63 by X, one byte of the result at a time:
	 * A = [0], X = [4], A = ((A op X) >> 8 * byte & 0xff) + 1, ret a */
	for (n = 0; n < 64 * 2 * 4 * 3; n++) {
		unsigned x = n % 64, byte = n / 64 % 4, lsh = n / 256 % 2;
		uint32_t a = n / 512 == 0 ? 0xffffffffu : n / 512 == 1 ? 0x80000001u : rnd32();
		struct sniff_insn q[] = {
			CB_LD_ABS(BPF_W, 4), CB_TAX(), CB_LD_ABS(BPF_W, 0),
			CB_ALU_X(lsh ? BPF_LSH : BPF_RSH), CB_ALU_K(BPF_RSH, 8 * byte),
			CB_ALU_K(BPF_AND, 0xff), CB_ALU_K(BPF_ADD, 1), CB_RET_A(),
		};
		uint8_t msg[300] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8),
				     (uint8_t)a, 0, 0, 0, (uint8_t)x };
		uint32_t v = cb_run(q, 8, msg, sizeof(msg), sizeof(msg), NULL, 1);
		long got;

		ck_assert_int_eq(kernel_verdict(sv[1], q, 8), 0);
		ck_assert_int_eq(send(sv[0], msg, sizeof(msg), 0), (long)sizeof(msg));
		got = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
		ck_assert_msg(got == (long)v, "A 0x%x %s X %u byte %u: ours %u, kernel %ld", a,
			      lsh ? "<<" : ">>", x, byte, v, got);
		runs++;
		shift_mattered += v != cb_run(q, 8, msg, sizeof(msg), sizeof(msg), NULL, 0);
	}
	/* SKF_AD_ALU_XOR_X is the one ancillary load whose value does not depend
	 * on the skb: A ^= X, whatever the load size */
	for (n = 0; n < 3 * 64; n++) {
		static const uint16_t sz[] = { BPF_W, BPF_H, BPF_B };
		struct cb_anc anc = { 0 };
		uint32_t a = rnd32(), x = rnd32();
		struct sniff_insn q[] = {
			CB_LD_IMM(a), CB_LDX_IMM(x),
			CB_LD_ABS(sz[n % 3], SKF_AD_OFF + SKF_AD_ALU_XOR_X),
			CB_ALU_K(BPF_RSH, 8 * (n / 3 % 4)), CB_ALU_K(BPF_AND, 0xff),
			CB_ALU_K(BPF_ADD, 1), CB_RET_A(),
		};
		uint8_t msg[300] = { 0 };
		uint32_t v = cb_run(q, 7, msg, sizeof(msg), sizeof(msg), &anc, 1);
		long got;

		ck_assert_int_eq(kernel_verdict(sv[1], q, 7), 0);
		ck_assert_int_eq(send(sv[0], msg, sizeof(msg), 0), (long)sizeof(msg));
		got = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
		ck_assert_msg(got == (long)v, "xor_x A 0x%x X 0x%x: ours %u, kernel %ld", a, x, v, got);
		runs++;
	}
	printf("interp kernel: %u runs (random programs, every shift by X in 0..63, xor_x) with "
	       "kernel_shift agree with the kernel's socket filter: %u dropped, %u cut, %u where "
	       "the shift rule mattered\n", runs, dropped, cut, shift_mattered);
	ck_assert_uint_gt(dropped, runs / 20);
	ck_assert_uint_gt(cut, runs / 20);
	ck_assert_uint_gt(shift_mattered, 300);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_interp_semantics)
{
	/* hand-written expectations from BPF-SEMANTICS.md and the kernel */
	const uint8_t pkt[] = { 0x45, 0x00, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef };
	struct cb_anc anc = { .protocol = 0x0800, .pkttype = 4, .ifindex = 7, .mark = 9,
			      .queue = 2, .rxhash = 0x1234, .vlan_tci = 100, .vlan_present = 1,
			      .vlan_tpid = 0x8100, .cpu = 3, .random = 42 };
	struct sniff_insn shl[] = { CB_LD_IMM(1), CB_LDX_IMM(33), CB_ALU_X(BPF_LSH), CB_RET_A() };
	struct sniff_insn shr[] = { CB_LD_IMM(8), CB_LDX_IMM(34), CB_ALU_X(BPF_RSH), CB_RET_A() };
	struct sniff_insn ll[] = { CB_LD_ABS(BPF_B, SKF_LL_OFF), CB_RET_K(1) };
	struct sniff_insn net[] = { CB_LD_ABS(BPF_B, SKF_NET_OFF), CB_RET_K(1) };
	struct sniff_insn ind[] = { CB_LDX_IMM(0xffffffff), CB_LD_IND(BPF_B, 1), CB_RET_K(1) };
	struct sniff_insn xorx[] = { CB_LD_IMM(0xf0), CB_LDX_IMM(0x0f),
				     CB_LD_ABS(BPF_W, SKF_AD_OFF + SKF_AD_ALU_XOR_X), CB_RET_A() };
	struct sniff_insn hat[] = { CB_LD_ABS(BPF_W, SKF_AD_OFF + SKF_AD_HATYPE), CB_RET_K(1) };
	static const struct { uint32_t off, want; } fields[] = {
		{ SKF_AD_PROTOCOL, 0x0800 }, { SKF_AD_PKTTYPE, 4 }, { SKF_AD_IFINDEX, 7 },
		{ SKF_AD_MARK, 9 }, { SKF_AD_QUEUE, 2 }, { SKF_AD_RXHASH, 0x1234 },
		{ SKF_AD_VLAN_TAG, 100 }, { SKF_AD_VLAN_TAG_PRESENT, 1 },
		{ SKF_AD_VLAN_TPID, 0x8100 }, { SKF_AD_CPU, 3 }, { SKF_AD_RANDOM, 42 },
	};
	struct sniff_prog prog = { 2, ll };
	unsigned i;

	ck_assert_uint_eq(cb_run(shl, 4, pkt, 8, 8, NULL, 0), 0);
	ck_assert_uint_eq(cb_run(shl, 4, pkt, 8, 8, NULL, 1), 2);
	ck_assert_uint_eq(cb_run(shr, 4, pkt, 8, 8, NULL, 0), 0);
	ck_assert_uint_eq(cb_run(shr, 4, pkt, 8, 8, NULL, 1), 2);
	ck_assert_uint_eq(pcap_run(shl, 4, pkt, 8, 8), 0);
	ck_assert_uint_eq(cb_run(ll, 2, pkt, 8, 8, NULL, 0), 0);
	ck_assert_uint_eq(cb_run(net, 2, pkt, 8, 8, &anc, 0), 0);
	ck_assert_uint_eq(pcap_run(ll, 2, pkt, 8, 8), 0);
	ck_assert_uint_eq(cb_run(ind, 3, pkt, 8, 8, NULL, 0), 0);
	ck_assert_uint_eq(pcap_run(ind, 3, pkt, 8, 8), 0);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct sniff_insn p[] = { CB_LD_ABS(BPF_B, SKF_AD_OFF + fields[i].off), CB_RET_A() };

		ck_assert_uint_eq(cb_run(p, 2, pkt, 8, 8, &anc, 0), fields[i].want);
		ck_assert_uint_eq(cb_run(p, 2, pkt, 8, 8, NULL, 0), 0);
		ck_assert_uint_eq(pcap_run(p, 2, pkt, 8, 8), 0);
	}
	ck_assert_uint_eq(cb_run(xorx, 4, pkt, 8, 8, &anc, 0), 0xff);
	ck_assert_uint_eq(cb_run(hat, 2, pkt, 8, 8, &anc, 0), 0);
	ck_assert_uint_eq(sniff_prog_run(NULL, pkt, 8, 8), 0xffffffffu);
	ck_assert_uint_eq(sniff_prog_run(&prog, pkt, 8, 8), 0);
	printf("interp semantics: shifts, negative offsets, %zu ancillary fields checked\n",
	       sizeof(fields) / sizeof(fields[0]));
}
END_TEST

/* ---- corpus reading */

/* Value of string field KEY of a JSON line into BUF; 0 when null or absent. */
static int json_str(const char *line, const char *key, char *buf, size_t sz)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(line, pat);
	if (!p)
		return 0;
	p += strlen(pat);
	if (*p != '"')
		return 0;
	for (p++; *p && *p != '"' && n + 1 < sz; p++) {
		char c = *p;

		if (c == '\\') {
			p++;
			c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	return 1;
}

struct corpus_prog {
	char *text;
	char dlt[32];
};

static struct corpus_prog *load_corpus(unsigned *count)
{
	char path[1024], *line = NULL, *buf;
	size_t cap = 0;
	struct corpus_prog *v = NULL;
	unsigned n = 0, vcap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/filters/accept.jsonl", corpus_dir());
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	buf = malloc(1 << 20);
	while (getline(&line, &cap, f) > 0) {
		if (!json_str(line, "libpcap_program", buf, 1 << 20))
			continue;
		if (n == vcap) {
			vcap = vcap ? 2 * vcap : 1024;
			v = realloc(v, vcap * sizeof(*v));
		}
		v[n].text = strdup(buf);
		if (!json_str(line, "dlt", v[n].dlt, sizeof(v[n].dlt)))
			v[n].dlt[0] = '\0';
		n++;
	}
	free(buf);
	free(line);
	fclose(f);
	*count = n;
	return v;
}

static void free_corpus(struct corpus_prog *v, unsigned n)
{
	while (n--)
		free(v[n].text);
	free(v);
}

/* The corpus listings come from libpcap master, which prints no padding
 * after an operand-less instruction ("tax", not 1.10.3's "tax      "):
 * compare lines without trailing blanks. */
static void rstrip_lines(char *s)
{
	const char *r;
	char *w = s;

	for (r = s;; r++) {
		if (*r != '\n' && *r != '\0') {
			*w++ = *r;
			continue;
		}
		while (w > s && w[-1] == ' ')
			w--;
		*w = *r;
		if (!*r)
			break;
		w++;
	}
}

/* ---- (c) dump vs bpf_image / bpf_dump */

START_TEST(test_dump_every_opcode)
{
	static const uint32_t ks[] = { 0, 7, 0x7fffffff, 0x80000000, 0xffffffff,
				       (uint32_t)SKF_AD_OFF, (uint32_t)SKF_AD_OFF + SKF_AD_VLAN_TAG,
				       (uint32_t)SKF_AD_OFF + 1, (uint32_t)SKF_AD_OFF + SKF_AD_MAX,
				       (uint32_t)SKF_NET_OFF, (uint32_t)SKF_LL_OFF, 1000000 };
	static const int pcs[] = { 0, 5, 99, 100, 999, 1000, 4095 };
	unsigned code, n = 0, ik, ip;

	for (code = 0; code < 0x10000; code++) {
		for (ik = 0; ik < sizeof(ks) / sizeof(ks[0]); ik++) {
			for (ip = 0; ip < sizeof(pcs) / sizeof(pcs[0]); ip++) {
				struct sniff_insn in = { (uint16_t)code, (uint8_t)(ik * 37),
							 (uint8_t)(255 - ik), ks[ik] };
				struct bpf_insn b;
				char ours[160], text[128];

				/* unimp lines carry no k: fewer combinations suffice */
				if (code >= 0x100 && (ik > 1 || ip > 1))
					continue;
				memcpy(&b, &in, sizeof(b));
				cb_insn_text(&in, (unsigned)pcs[ip], text, sizeof(text));
				snprintf(ours, sizeof(ours), "(%03d) %s", pcs[ip], text);
				ck_assert_msg(!strcmp(ours, bpf_image(&b, pcs[ip])),
					      "code 0x%x k 0x%x: '%s' vs libpcap '%s'", code, ks[ik],
					      ours, bpf_image(&b, pcs[ip]));
				n++;
			}
		}
	}
	printf("dump: %u (opcode, k, pc) combinations over all 65536 opcodes equal bpf_image()\n",
	       n);
}
END_TEST

/* What bpf_dump() prints to stdout, as a string. */
static char *capture_bpf_dump(const struct sniff_insn *insns, unsigned len, int option)
{
	struct bpf_program bp = { len, malloc((len ? len : 1) * sizeof(struct bpf_insn)) };
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO);
	long size;
	char *s;

	ck_assert(tmp && saved >= 0);
	memcpy(bp.bf_insns, insns, len * sizeof(struct bpf_insn));
	fflush(stdout);
	dup2(fileno(tmp), STDOUT_FILENO);
	bpf_dump(&bp, option);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	size = lseek(fileno(tmp), 0, SEEK_END);
	s = calloc(1, (size_t)size + 1);
	lseek(fileno(tmp), 0, SEEK_SET);
	ck_assert(read(fileno(tmp), s, (size_t)size) == size);
	fclose(tmp);
	free(bp.bf_insns);
	return s;
}

static char *our_dump(const struct sniff_insn *insns, unsigned len, int style)
{
	struct sniff_prog prog = { len, (struct sniff_insn *)(uintptr_t)insns };
	char *s = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&s, &sz);

	ck_assert(f != NULL);
	ck_assert_int_eq(sniff_prog_dump(&prog, style, f), 0);
	fclose(f);
	return s;
}

START_TEST(test_dump_styles_random)
{
	static struct sniff_insn p[300];
	unsigned n, style, lines = 0;

	seed(0xd0d0);
	for (n = 0; n < 600; n++) {
		unsigned len = n % 2 ? gen_any(p) : gen_valid(p, n % 10 ? 20 : 300, 40, 0);

		for (style = 1; style <= 3; style++) {
			char *want = capture_bpf_dump(p, len, (int)style);
			char *got = our_dump(p, len, (int)style);

			ck_assert_msg(!strcmp(got, want), "program %u style %u:\n%s\nlibpcap:\n%s",
				      n, style, got, want);
			lines += len;
			free(want);
			free(got);
		}
	}
	{
		struct sniff_prog prog = { 1, p };

		ck_assert_int_eq(sniff_prog_dump(&prog, 4, stdout), -EINVAL);
		ck_assert_int_eq(sniff_prog_dump(&prog, 0, stdout), -EINVAL);
		ck_assert_int_eq(sniff_prog_dump(NULL, 1, stdout), -EINVAL);
	}
	printf("dump styles: %u programs x -d/-dd/-ddd (%u lines) equal bpf_dump()\n", n, lines);
}
END_TEST

/* ---- (c)+(d) corpus: assemble, dump, compare; round trips */

START_TEST(test_corpus_asm_dump)
{
	unsigned count, i, insns = 0, kern_ok = 0, shown = 0;
	struct corpus_prog *v = load_corpus(&count);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_gt(count, 4000);
	for (i = 0; i < count; i++) {
		struct sniff_prog prog, again;
		struct sniff_error err;
		char *d, *img;
		size_t n;
		int r = cb_asm(v[i].text, &prog, &err);

		ck_assert_msg(r == 0, "corpus %u: %s (column %d)\n%s", i, err.msg, err.column,
			      v[i].text);
		/* our dump is what libpcap 1.10.3 prints for the assembled program,
		 * and, trailing blanks aside, the corpus text */
		d = our_dump(prog.insns, prog.len, 1);
		img = capture_bpf_dump(prog.insns, prog.len, 1);
		ck_assert_msg(!strcmp(d, img), "corpus %u: bpf_dump differs:\n%s\nvs\n%s", i, d, img);
		ck_assert_int_eq(cb_asm(d, &again, &err), 0);
		rstrip_lines(img);
		n = strlen(img);
		ck_assert(n > 0 && img[n - 1] == '\n');
		img[n - 1] = '\0';
		ck_assert_msg(!strcmp(img, v[i].text), "corpus %u:\n%s\nvs\n%s", i, img, v[i].text);
		ck_assert_uint_eq(again.len, prog.len);
		ASSERT_INSNS_EQ(again.insns, prog.insns, prog.len);
		/* libpcap's programs are valid for the kernel and for us alike */
		r = kernel_verdict(fd, prog.insns, prog.len);
		ck_assert_msg(r == 0 || r == -EINVAL, "corpus %u: kernel %d", i, r);
		ck_assert_msg(cb_validate(prog.insns, prog.len, &err) == r,
			      "corpus %u: ours %s, kernel %d", i, err.msg, r);
		kern_ok += r == 0;
		if (r && shown++ < 3)
			printf("  corpus %u refused by the kernel and by us: %s\n", i, err.msg);
		insns += prog.len;
		free(d);
		free(img);
		free(again.insns);
		free(prog.insns);
	}
	printf("corpus: %u libpcap_program listings (%u insns) assemble; our -d == bpf_dump() and "
	       "== the text (trailing blanks aside); asm(dump) round-trips; validator == kernel "
	       "on all (%u accepted)\n",
	       count, insns, kern_ok);
	free_corpus(v, count);
	close(fd);
}
END_TEST

START_TEST(test_asm_roundtrip_random)
{
	static struct sniff_insn p[300];
	unsigned n, insns = 0;

	seed(0xa5a5);
	for (n = 0; n < 20000; n++) {
		unsigned len = gen_valid(p, n % 10 ? 16 : 300, 64, 0);
		struct sniff_prog back;
		struct sniff_error err;
		char *d = our_dump(p, len, 1);

		ck_assert_msg(cb_asm(d, &back, &err) == 0, "%s\n%s", err.msg, d);
		ck_assert_uint_eq(back.len, len);
		ASSERT_INSNS_EQ(back.insns, p, len);
		insns += len;
		free(back.insns);
		free(d);
	}
	printf("asm: %u random valid programs (%u insns) round-trip asm(dump(p)) == p\n", n, insns);
}
END_TEST

START_TEST(test_asm_roundtrip_dd_ddd)
{
	static struct sniff_insn p[300];
	unsigned n, style, progs = 0;

	seed(0x5eed);
	for (n = 0; n < 5000; n++) {
		/* -dd/-ddd carry every field: any program, valid or not, comes back */
		unsigned len = n % 2 ? gen_any(p) : gen_valid(p, n % 10 ? 16 : 300, 64, 0);

		for (style = 2; style <= 3; style++) {
			struct sniff_prog back;
			struct sniff_error err;
			char *d = our_dump(p, len, (int)style);

			ck_assert_msg(cb_asm(d, &back, &err) == 0, "%s\n%s", err.msg, d);
			ck_assert_uint_eq(back.len, len);
			ASSERT_INSNS_EQ(back.insns, p, len);
			free(back.insns);
			free(d);
			progs++;
		}
	}
	printf("asm: %u random programs round-trip through -dd and -ddd text\n", progs);
}
END_TEST

START_TEST(test_asm_errors)
{
	static const struct { const char *text; int column; } bad[] = {
		{ "", 1 },
		{ "(000) foo      #1", 7 },
		{ "(000) ret      #1\n(002) ret      #2", 19 },
		{ "(000) jeq      #0x1             jt 0\tjf 1\n(001) ret #0", 33 },
		{ "(000) jeq      #0x1             jt 300\tjf 1\n(001) ret #0", 33 },
		{ "(000) ld       [nosuch]", 17 },
		{ "(000) ld       M[", 16 },
		{ "(000) ret      #1 junk", 19 },
		{ "(000) ret      #0x100000000", 16 },
		{ "(000) jeq      #1", 18 },
		{ "{ 0x6, 0, 0, 0x00000000 },\n{ 0x6, 0, 0 },", 40 },
		{ "{ 0x10000, 0, 0, 0x00000000 },", 1 },
		{ "{ 0x6, 0, 256, 0x00000000 },", 1 },
		{ "2\n6 0 0 0\n", 1 },
		{ "1\n6 0 0 0 7\n", 11 },
		{ "1\n6 0 0\n", 8 },
	};
	/* also taken: what people write that dump.c never prints */
	static const struct { const char *text; struct sniff_insn want; } good[] = {
		{ "ret a", CB_RET_A() },
		{ "(000) ret", CB_RET_A() },
		{ "  ldx #pktlen", CB_STMT(BPF_LDX | BPF_W | BPF_LEN, 0) },
		{ "ld [vlan_tci]", CB_LD_ABS(BPF_W, SKF_AD_OFF + SKF_AD_VLAN_TAG) },
		{ "ldh [x + -1]", CB_LD_IND(BPF_H, 0xffffffff) },
		{ "ja 0", CB_JA(0xffffffff) },
		{ "ret #0xffffffff", CB_RET_K(0xffffffff) },
		{ "(000) unimp    0x1e", CB_STMT(0x1e, 0) },
		{ "{ 0x28, 1, 2, 0x0000000c },", CB_JUMP(0x28, 0xc, 1, 2) },
		{ "\n1\n 21 0 255 4294967295\n\n", CB_JUMP(0x15, 0xffffffff, 0, 255) },
	};
	struct sniff_prog prog;
	struct sniff_error err;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(cb_asm(bad[i].text, &prog, &err) == -EINVAL, "'%s' accepted",
			      bad[i].text);
		ck_assert_msg(err.column == bad[i].column, "'%s': column %d, expected %d (%s)",
			      bad[i].text, err.column, bad[i].column, err.msg);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(cb_asm(good[i].text, &prog, &err) == 0, "'%s': %s", good[i].text,
			      err.msg);
		ck_assert_uint_eq(prog.len, 1);
		ASSERT_INSNS_EQ(prog.insns, &good[i].want, 1);
		free(prog.insns);
	}
	printf("asm errors: %zu bad inputs refused at the right column, %zu extra forms read\n",
	       sizeof(bad) / sizeof(bad[0]), sizeof(good) / sizeof(good[0]));
}
END_TEST

/* ---- corpus programs on real packets: decisions and speed */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct packet {
	uint8_t *data;
	uint32_t caplen, len;
};

static unsigned load_packets(struct packet *pk, unsigned max)
{
	static const char *files[] = { "vxlan.pcap", "pppoe.pcap", "ipv6_ext_headers.pcap",
				       "isakmp4500.pcap", "vrrp.pcap", "geneve.pcap",
				       "pim-packet-assortment.pcap", "gateway_or_not.pcap",
				       "dsa.pcap", "llc.pcap", "carp.pcap", "decnet.pcap" };
	unsigned n = 0, f;

	for (f = 0; f < sizeof(files) / sizeof(files[0]) && n < max; f++) {
		char path[1024], errbuf[PCAP_ERRBUF_SIZE];
		struct pcap_pkthdr *h;
		const u_char *d;
		pcap_t *pc;

		snprintf(path, sizeof(path), "%s/filters/captures/%s", corpus_dir(), files[f]);
		pc = pcap_open_offline(path, errbuf);
		if (!pc)
			continue;
		while (n < max && pcap_next_ex(pc, &h, &d) == 1) {
			pk[n].data = malloc(h->caplen ? h->caplen : 1);
			memcpy(pk[n].data, d, h->caplen);
			pk[n].caplen = h->caplen;
			pk[n].len = h->len;
			n++;
		}
		pcap_close(pc);
	}
	return n;
}

START_TEST(test_corpus_on_packets)
{
	enum { MAXPK = 300, ROUNDS = 5 };
	static struct packet pk[MAXPK];
	unsigned count, npk, i, j, r, nprog = 0;
	struct corpus_prog *v = load_corpus(&count);
	struct sniff_prog *progs = calloc(count, sizeof(*progs));
	struct bpf_insn **bps = calloc(count, sizeof(*bps));
	uint64_t runs = 0, accepted = 0;
	double best_ours = 1e9, best_pcap = 1e9;
	volatile uint32_t sink = 0;

	npk = load_packets(pk, MAXPK);
	ck_assert_uint_gt(npk, 100);
	for (i = 0; i < count; i++) {
		struct sniff_error err;

		ck_assert_int_eq(cb_asm(v[i].text, &progs[nprog], &err), 0);
		if (cb_validate(progs[nprog].insns, progs[nprog].len, &err)) {
			free(progs[nprog].insns);
			continue;
		}
		bps[nprog] = malloc(progs[nprog].len * sizeof(**bps));
		memcpy(bps[nprog], progs[nprog].insns, progs[nprog].len * sizeof(**bps));
		for (j = 0; j < npk; j++) {
			uint32_t want = bpf_filter(bps[nprog], pk[j].data, pk[j].len, pk[j].caplen);
			uint32_t got = sniff_prog_run(&progs[nprog], pk[j].data, pk[j].len, pk[j].caplen);

			ck_assert_msg(got == want, "corpus %u packet %u: ours %u, libpcap %u\n%s",
				      i, j, got, want, v[i].text);
			accepted += want != 0;
		}
		runs += npk;
		nprog++;
	}
	/* the machine is shared: the best of a few alternating rounds is the
	 * figure least disturbed by others */
	for (r = 0; r < ROUNDS; r++) {
		double t0 = now(), t1, t2;

		for (i = 0; i < nprog; i++)
			for (j = 0; j < npk; j++)
				sink += bpf_filter(bps[i], pk[j].data, pk[j].len, pk[j].caplen);
		t1 = now();
		for (i = 0; i < nprog; i++)
			for (j = 0; j < npk; j++)
				sink += sniff_prog_run(&progs[i], pk[j].data, pk[j].len, pk[j].caplen);
		t2 = now();
		best_pcap = t1 - t0 < best_pcap ? t1 - t0 : best_pcap;
		best_ours = t2 - t1 < best_ours ? t2 - t1 : best_ours;
	}
	printf("corpus on packets: %u programs x %u capture packets = %" PRIu64 " runs equal "
	       "to bpf_filter (%" PRIu64 " accepted); best of %d rounds: ours %.1f ns/run, "
	       "bpf_filter %.1f ns/run\n", nprog, npk, runs, accepted, ROUNDS,
	       best_ours * 1e9 / (double)runs, best_pcap * 1e9 / (double)runs);
	for (i = 0; i < nprog; i++) {
		free(progs[i].insns);
		free(bps[i]);
	}
	free(progs);
	free(bps);
	for (j = 0; j < npk; j++)
		free(pk[j].data);
	free_corpus(v, count);
}
END_TEST

/* libpcap's apply cases: pcap_compile (as an oracle only) builds the program,
 * our interpreter runs it over the capture; it must match bpf_filter() on
 * every packet, and the corpus' expected results where this libpcap (1.10.3)
 * compiles the expression as master did. */
START_TEST(test_apply_corpus)
{
	char path[1024], *line = NULL, expr[2048], capture[256], mask[64], errbuf[PCAP_ERRBUF_SIZE];
	size_t cap = 0;
	unsigned cases = 0, skipped = 0, pkts = 0, expected_ok = 0, expected_diff = 0, refused = 0;
	struct sniff_error verr;
	FILE *f;

	snprintf(path, sizeof(path), "%s/filters/apply.jsonl", corpus_dir());
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (getline(&line, &cap, f) > 0) {
		const char *res = strstr(line, "\"results\": [");
		int optimize = strstr(line, "\"optimize\": 1") != NULL;
		struct bpf_program bp;
		struct pcap_pkthdr *h;
		const u_char *d;
		pcap_t *pc;
		bpf_u_int32 netmask = PCAP_NETMASK_UNKNOWN;

		ck_assert(res && json_str(line, "capture", capture, sizeof(capture)));
		if (!json_str(line, "expr", expr, sizeof(expr)) ||
		    (json_str(line, "needs", mask, sizeof(mask)) && mask[0])) {
			skipped++; /* needs name files this machine may not have */
			continue;
		}
		if (json_str(line, "netmask", mask, sizeof(mask))) {
			struct in_addr a;

			ck_assert(inet_pton(AF_INET, mask, &a) == 1);
			netmask = ntohl(a.s_addr);
		}
		snprintf(path, sizeof(path), "%s/filters/%s", corpus_dir(), capture);
		pc = pcap_open_offline(path, errbuf);
		ck_assert_msg(pc != NULL, "%s: %s", path, errbuf);
		if (pcap_compile(pc, &bp, expr, optimize, netmask) < 0) {
			skipped++; /* newer syntax than this libpcap */
			pcap_close(pc);
			continue;
		}
		res += strlen("\"results\": [");
		if (cb_validate((struct sniff_insn *)bp.bf_insns, bp.bf_len, &verr)) {
			/* protochain jumps backwards: the kernel refuses it, libpcap
			 * runs it in user space, and so must cb_run */
			ck_assert_msg(strstr(verr.msg, "backwards"), "%s: %s", expr, verr.msg);
			ck_assert(bpf_validate(bp.bf_insns, (int)bp.bf_len));
			refused++;
		}
		while (pcap_next_ex(pc, &h, &d) == 1) {
			struct sniff_prog prog = { bp.bf_len, (struct sniff_insn *)bp.bf_insns };
			uint32_t want = bpf_filter(bp.bf_insns, d, h->len, h->caplen);
			uint32_t got = sniff_prog_run(&prog, d, h->len, h->caplen);
			char *end;
			unsigned long expected = strtoul(res, &end, 10);

			ck_assert_msg(got == want, "%s on %s: ours %u, bpf_filter %u", expr, capture,
				      got, want);
			ck_assert_msg(end != res, "%s: fewer results than packets", expr);
			res = end + strspn(end, ", ");
			if (expected != got && getenv("SHOW_DIFF"))
				printf("  apply diff: '%s' on %s: ours %u, corpus %lu\n", expr, capture, got, expected);
			expected_ok += expected == got;
			expected_diff += expected != got;
			pkts++;
		}
		pcap_freecode(&bp);
		pcap_close(pc);
		cases++;
	}
	free(line);
	fclose(f);
	printf("apply corpus: %u cases (%u skipped: name files or newer syntax; %u protochain "
	       "programs with backward ja, refused by the kernel's rules), %u packets: ours == "
	       "bpf_filter on all; == the corpus results on %u, differ on %u (libpcap 1.10.3 vs "
	       "master programs)\n",
	       cases, skipped, refused, pkts, expected_ok, expected_diff);
	ck_assert_uint_gt(cases, 250);
}
END_TEST

static Suite *cbpf_suite(void)
{
	Suite *s = suite_create("cbpf");
	TCase *tc = tcase_create("tools");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_validate_table);
	tcase_add_test(tc, test_validate_lengths);
	tcase_add_test(tc, test_validate_random);
	tcase_add_test(tc, test_interp_semantics);
	tcase_add_test(tc, test_interp_random);
	tcase_add_test(tc, test_interp_kernel);
	tcase_add_test(tc, test_dump_every_opcode);
	tcase_add_test(tc, test_dump_styles_random);
	tcase_add_test(tc, test_asm_errors);
	tcase_add_test(tc, test_asm_roundtrip_random);
	tcase_add_test(tc, test_asm_roundtrip_dd_ddd);
	tcase_add_test(tc, test_corpus_asm_dump);
	tcase_add_test(tc, test_corpus_on_packets);
	tcase_add_test(tc, test_apply_corpus);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cbpf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
