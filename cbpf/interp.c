/* cbpf/interp.c - classic BPF interpreter with libpcap's bpf_filter()
 * semantics: this is the offline filter path (sniff -r), so a program must
 * decide exactly as tcpdump -r would.
 *
 * The program must have passed cb_validate() (or, for a program from
 * libpcap, its bpf_validate(), which also lets ja go backwards): jumps stay
 * inside it, M[] is written before it is read, div/mod/shift constants are
 * sane. Only the checks the semantics need remain at run time:
 *  - a packet load past caplen ends the filter with 0 (offsets are unsigned;
 *    X + k is checked without wrapping, as libpcap does);
 *  - div/mod by X == 0 ends the filter with 0;
 *  - a shift by X >= 32 gives 0 (libpcap), or shifts by X & 31 with
 *    kernel_shift (what the kernel and its eBPF translation do).
 *
 * Negative offsets. In user space there is no skb: the buffer starts at the
 * link-layer header and there is no separate network-header pointer, and
 * libpcap's bpf_filter() does not know SKF_NET_OFF / SKF_LL_OFF. We follow
 * libpcap: such offsets are just very large unsigned offsets, so the load is
 * out of range and the filter returns 0.
 *
 * Ancillary loads (ld/ldh/ldb [SKF_AD_OFF + n]). Without ANC (the savefile
 * case) they behave as in bpf_filter() without aux data: out of range, the
 * filter returns 0. With ANC they read the field whatever the load size, as
 * the kernel does (protocol and vlan_tpid in host order, as the kernel gives
 * them to classic programs); SKF_AD_ALU_XOR_X is A ^= X. Fields cb_anc has no
 * place for (hatype, nla, nlan, poff) end the filter with 0.
 */
#include "cbpf.h"

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* Value of ancillary field k; *ok = 0 when the filter must end with 0. */
static uint32_t anc_load(uint32_t k, const struct cb_anc *anc, uint32_t a, uint32_t x, int *ok)
{
	*ok = 1;
	switch (k - (uint32_t)SKF_AD_OFF) {
	case SKF_AD_PROTOCOL:         return anc->protocol;
	case SKF_AD_PKTTYPE:          return anc->pkttype;
	case SKF_AD_IFINDEX:          return anc->ifindex;
	case SKF_AD_MARK:             return anc->mark;
	case SKF_AD_QUEUE:            return anc->queue;
	case SKF_AD_RXHASH:           return anc->rxhash;
	case SKF_AD_CPU:              return anc->cpu;
	case SKF_AD_RANDOM:           return anc->random;
	case SKF_AD_VLAN_TAG:         return anc->vlan_tci;
	case SKF_AD_VLAN_TAG_PRESENT: return anc->vlan_present;
	case SKF_AD_VLAN_TPID:        return anc->vlan_tpid;
	case SKF_AD_ALU_XOR_X:        return a ^ x;
	}
	*ok = 0;
	return 0;
}

uint32_t cb_run(const struct sniff_insn *insns, unsigned len, const uint8_t *pkt,
		uint32_t wirelen, uint32_t caplen, const struct cb_anc *anc, int kernel_shift)
{
	const struct sniff_insn *pc = insns;
	uint32_t A = 0, X = 0, k;
	uint32_t mem[BPF_MEMWORDS];
	int ok;

	(void)len; /* validated: every path ends in a ret inside the program */
	for (;; pc++) {
		switch (pc->code) {
		case BPF_RET | BPF_K:
			return pc->k;
		case BPF_RET | BPF_A:
			return A;

		case BPF_LD | BPF_W | BPF_ABS:
			k = pc->k;
			if (k > caplen || 4 > caplen - k)
				goto anc_or_drop;
			A = get32(pkt + k);
			continue;
		case BPF_LD | BPF_H | BPF_ABS:
			k = pc->k;
			if (k > caplen || 2 > caplen - k)
				goto anc_or_drop;
			A = get16(pkt + k);
			continue;
		case BPF_LD | BPF_B | BPF_ABS:
			k = pc->k;
			if (k >= caplen)
				goto anc_or_drop;
			A = pkt[k];
			continue;
		anc_or_drop:
			if (!anc || k < (uint32_t)SKF_AD_OFF)
				return 0;
			A = anc_load(k, anc, A, X, &ok);
			if (!ok)
				return 0;
			continue;

		case BPF_LD | BPF_W | BPF_LEN:
			A = wirelen;
			continue;
		case BPF_LDX | BPF_W | BPF_LEN:
			X = wirelen;
			continue;

		case BPF_LD | BPF_W | BPF_IND:
			k = pc->k;
			if (k > caplen || X > caplen - k || 4 > caplen - k - X)
				return 0;
			A = get32(pkt + X + k);
			continue;
		case BPF_LD | BPF_H | BPF_IND:
			k = pc->k;
			if (k > caplen || X > caplen - k || 2 > caplen - k - X)
				return 0;
			A = get16(pkt + X + k);
			continue;
		case BPF_LD | BPF_B | BPF_IND:
			k = pc->k;
			if (k >= caplen || X >= caplen - k)
				return 0;
			A = pkt[X + k];
			continue;
		case BPF_LDX | BPF_MSH | BPF_B:
			k = pc->k;
			if (k >= caplen)
				return 0;
			X = (uint32_t)(pkt[k] & 0xf) << 2;
			continue;

		case BPF_LD | BPF_IMM:
			A = pc->k;
			continue;
		case BPF_LDX | BPF_IMM:
			X = pc->k;
			continue;
		/* & keeps an unvalidated index inside mem[] at no cost */
		case BPF_LD | BPF_MEM:
			A = mem[pc->k & (BPF_MEMWORDS - 1)];
			continue;
		case BPF_LDX | BPF_MEM:
			X = mem[pc->k & (BPF_MEMWORDS - 1)];
			continue;
		case BPF_ST:
			mem[pc->k & (BPF_MEMWORDS - 1)] = A;
			continue;
		case BPF_STX:
			mem[pc->k & (BPF_MEMWORDS - 1)] = X;
			continue;

		case BPF_JMP | BPF_JA:
			/* signed, as libpcap: its protochain code jumps backwards (the
			 * kernel refuses that, so only foreign programs do it) */
			pc += (int32_t)pc->k;
			continue;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += (A > pc->k) ? pc->jt : pc->jf;
			continue;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += (A >= pc->k) ? pc->jt : pc->jf;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += (A == pc->k) ? pc->jt : pc->jf;
			continue;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (A & pc->k) ? pc->jt : pc->jf;
			continue;
		case BPF_JMP | BPF_JGT | BPF_X:
			pc += (A > X) ? pc->jt : pc->jf;
			continue;
		case BPF_JMP | BPF_JGE | BPF_X:
			pc += (A >= X) ? pc->jt : pc->jf;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_X:
			pc += (A == X) ? pc->jt : pc->jf;
			continue;
		case BPF_JMP | BPF_JSET | BPF_X:
			pc += (A & X) ? pc->jt : pc->jf;
			continue;

		case BPF_ALU | BPF_ADD | BPF_X: A += X; continue;
		case BPF_ALU | BPF_SUB | BPF_X: A -= X; continue;
		case BPF_ALU | BPF_MUL | BPF_X: A *= X; continue;
		case BPF_ALU | BPF_AND | BPF_X: A &= X; continue;
		case BPF_ALU | BPF_OR | BPF_X:  A |= X; continue;
		case BPF_ALU | BPF_XOR | BPF_X: A ^= X; continue;
		case BPF_ALU | BPF_DIV | BPF_X:
			if (X == 0)
				return 0;
			A /= X;
			continue;
		case BPF_ALU | BPF_MOD | BPF_X:
			if (X == 0)
				return 0;
			A %= X;
			continue;
		case BPF_ALU | BPF_LSH | BPF_X:
			if (X < 32)
				A <<= X;
			else
				A = kernel_shift ? A << (X & 31) : 0;
			continue;
		case BPF_ALU | BPF_RSH | BPF_X:
			if (X < 32)
				A >>= X;
			else
				A = kernel_shift ? A >> (X & 31) : 0;
			continue;

		case BPF_ALU | BPF_ADD | BPF_K: A += pc->k; continue;
		case BPF_ALU | BPF_SUB | BPF_K: A -= pc->k; continue;
		case BPF_ALU | BPF_MUL | BPF_K: A *= pc->k; continue;
		case BPF_ALU | BPF_AND | BPF_K: A &= pc->k; continue;
		case BPF_ALU | BPF_OR | BPF_K:  A |= pc->k; continue;
		case BPF_ALU | BPF_XOR | BPF_K: A ^= pc->k; continue;
		/* the validator refuses k == 0 and k >= 32; the tests keep C defined
		 * for programs that skipped it */
		case BPF_ALU | BPF_DIV | BPF_K:
			if (pc->k == 0)
				return 0;
			A /= pc->k;
			continue;
		case BPF_ALU | BPF_MOD | BPF_K:
			if (pc->k == 0)
				return 0;
			A %= pc->k;
			continue;
		case BPF_ALU | BPF_LSH | BPF_K:
			A = pc->k < 32 ? A << pc->k : kernel_shift ? A << (pc->k & 31) : 0;
			continue;
		case BPF_ALU | BPF_RSH | BPF_K:
			A = pc->k < 32 ? A >> pc->k : kernel_shift ? A >> (pc->k & 31) : 0;
			continue;
		case BPF_ALU | BPF_NEG:
			A = 0u - A;
			continue;

		case BPF_MISC | BPF_TAX:
			X = A;
			continue;
		case BPF_MISC | BPF_TXA:
			A = X;
			continue;

		default:
			/* not a valid opcode: refuse the packet rather than guess */
			return 0;
		}
	}
}

SNIFF_API uint32_t sniff_prog_run(const struct sniff_prog *prog, const uint8_t *pkt,
				  uint32_t wirelen, uint32_t caplen)
{
	/* libpcap: no program accepts everything */
	if (!prog || !prog->insns || prog->len == 0)
		return 0xffffffffu;
	return cb_run(prog->insns, prog->len, pkt, wirelen, caplen, NULL, 0);
}
