/* ebpf/btf.c - what the direct packet path needs from the running kernel,
 * read from its BTF (/sys/kernel/btf/vmlinux) with no libbpf, and a probe
 * that the verifier accepts it for this process.
 *
 * The direct path (translate.c) reads packet bytes with plain loads from
 * skb->data instead of a helper call per LD_ABS (~12 ns each here): the kfunc
 * bpf_cast_to_kern_ctx (inlined by the verifier: no call) turns the context
 * into the struct sk_buff, whose len, data_len and data the program then
 * loads. The kernel's own classic converter reads packets the same way. It
 * needs the kfunc's BTF id and the three field offsets (they differ between
 * kernel builds), a GPL-compatible program license (kfuncs), CAP_PERFMON (BTF
 * pointer access), and a kernel that types `skb->data` as read-only
 * untrusted memory (6.16 or so). The probe loads a six-instruction program
 * that does all of it; anything missing and the translator keeps helper
 * calls. SNIFF_EBPF_DIRECT=0 in the environment turns the path off.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ebpf.h"

#define BTF_MAGIC_LE 0xeB9F
#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"
#define BTF_MAX (64u << 20)

/* The BTF kinds and how many bytes follow each struct btf_type (uapi btf.h) */
enum { K_INT = 1, K_PTR, K_ARRAY, K_STRUCT, K_UNION, K_ENUM, K_FWD, K_TYPEDEF, K_VOLATILE,
       K_CONST, K_RESTRICT, K_FUNC, K_FUNC_PROTO, K_VAR, K_DATASEC, K_FLOAT, K_DECL_TAG,
       K_TYPE_TAG, K_ENUM64 };

static long extra_bytes(unsigned kind, unsigned vlen)
{
	switch (kind) {
	case K_INT: case K_VAR: case K_DECL_TAG: return 4;
	case K_ARRAY: return 12;
	case K_STRUCT: case K_UNION: case K_DATASEC: case K_ENUM64: return 12L * vlen;
	case K_ENUM: case K_FUNC_PROTO: return 8L * vlen;
	case K_PTR: case K_FWD: case K_TYPEDEF: case K_VOLATILE: case K_CONST:
	case K_RESTRICT: case K_FUNC: case K_FLOAT: case K_TYPE_TAG: return 0;
	default: return -1;
	}
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 1u << 20, n = 0;
	uint8_t *buf = NULL, *nb;
	ssize_t r;

	if (fd < 0)
		return NULL;
	for (;;) {
		if (n == cap || !buf) {
			if (buf)
				cap *= 2;
			if (cap > BTF_MAX || !(nb = realloc(buf, cap)))
				goto fail;
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/* Fill KI from the BTF blob B: 0, or -ENOENT when something is missing. */
static int parse(const uint8_t *b, size_t len, struct eb_kinfo *ki)
{
	uint32_t hdr_len, type_off, type_len, str_off, str_len;
	const uint8_t *types, *strs;
	size_t pos = 0;
	uint32_t id = 0;
	int found = 0;

	if (len < 24 || (rd32(b) & 0xffff) != BTF_MAGIC_LE)
		return -ENOENT;
	hdr_len = rd32(b + 4);
	type_off = rd32(b + 8);
	type_len = rd32(b + 12);
	str_off = rd32(b + 16);
	str_len = rd32(b + 20);
	if ((uint64_t)hdr_len + type_off + type_len > len ||
	    (uint64_t)hdr_len + str_off + str_len > len || str_len == 0)
		return -ENOENT;
	types = b + hdr_len + type_off;
	strs = b + hdr_len + str_off;
#define NAME(off) ((off) < str_len ? (const char *)strs + (off) : "")
	while (pos + 12 <= type_len) {
		uint32_t name = rd32(types + pos), info = rd32(types + pos + 4);
		unsigned kind = (info >> 24) & 0x1f, vlen = info & 0xffff;
		long extra = extra_bytes(kind, vlen);

		id++;
		if (extra < 0 || pos + 12 + (size_t)extra > type_len)
			return -ENOENT;
		if (kind == K_FUNC && strcmp(NAME(name), "bpf_cast_to_kern_ctx") == 0) {
			ki->cast_id = (int32_t)id;
			found |= 1;
		} else if (kind == K_STRUCT && strcmp(NAME(name), "sk_buff") == 0 && !(found & 2)) {
			int kflag = info >> 31;

			for (unsigned m = 0; m < vlen; m++) {
				const uint8_t *mp = types + pos + 12 + 12 * m;
				const char *mn = NAME(rd32(mp));
				uint32_t bits = rd32(mp + 8);

				if (kflag)
					bits &= 0xffffff;
				if (bits % 8)
					continue;
				if (strcmp(mn, "len") == 0)
					ki->off_len = (int16_t)(bits / 8), found |= 4;
				else if (strcmp(mn, "data_len") == 0)
					ki->off_data_len = (int16_t)(bits / 8), found |= 8;
				else if (strcmp(mn, "data") == 0)
					ki->off_data = (int16_t)(bits / 8), found |= 16;
			}
			found |= 2;
		}
		pos += 12 + (size_t)extra;
	}
#undef NAME
	return found == 31 ? 0 : -ENOENT;
}

/* The smallest program using everything the direct path does. */
static int probe(const struct eb_kinfo *ki)
{
	struct sniff_ebpf_insn p[] = {
		EB_MOV64_REG(BPF_REG_6, BPF_REG_1),
		EB_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, ki->cast_id),
		EB_LDX_MEM(BPF_W, BPF_REG_8, BPF_REG_0, ki->off_len),
		EB_LDX_MEM(BPF_W, BPF_REG_1, BPF_REG_0, ki->off_data_len),
		EB_LDX_MEM(BPF_DW, BPF_REG_9, BPF_REG_0, ki->off_data),
		EB_ALU32_REG(BPF_SUB, BPF_REG_8, BPF_REG_1),
		EB_JMP_IMM(BPF_JLT, BPF_REG_8, 1, 2),
		EB_LDX_MEM(BPF_B, BPF_REG_0, BPF_REG_9, 0),
		EB_EXIT(),
		EB_LD_ABS(BPF_B, 0),
		EB_EXIT(),
	};
	int fd = eb_load(p, sizeof(p) / sizeof(p[0]), NULL, 0);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static struct eb_kinfo kinfo;
static pthread_once_t kinfo_once = PTHREAD_ONCE_INIT;

static void kinfo_init(void)
{
	const char *env = getenv("SNIFF_EBPF_DIRECT");
	size_t len = 0;
	uint8_t *b;

	if (env && strcmp(env, "0") == 0)
		return;
	b = read_all(VMLINUX_BTF, &len);
	if (!b)
		return;
	if (parse(b, len, &kinfo) == 0 && probe(&kinfo) == 0)
		kinfo.ok = 1;
	free(b);
}

const struct eb_kinfo *eb_kinfo(void)
{
	pthread_once(&kinfo_once, kinfo_init);
	return kinfo.ok ? &kinfo : NULL;
}
