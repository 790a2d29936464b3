/* ebpf/load.c - bpf(BPF_PROG_LOAD) as a socket filter and BPF_PROG_TEST_RUN.
 *
 * The first load runs without a verifier log (the common case, and the log
 * costs verification time); only a failure is retried with the log on, so
 * the caller gets the verifier's reason. When the verifier gives up (E2BIG:
 * too many instructions processed or too complex; EFAULT, ENOSPC) or its log
 * overflows, the caller gets one line saying so with the reason, not the
 * last states of a path it cannot act on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "ebpf.h"

#define EB_PROG_NAME "sniff"   /* what `bpftool prog show` lists */
#define EB_LOG_TAIL 16384      /* the verifier log read at least (its tail) */

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));

	return r < 0 ? -errno : (int)r;
}

static int uses_kfunc(const struct sniff_ebpf_insn *insns, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		if (insns[i].code == (BPF_JMP | BPF_CALL) && insns[i].src_reg == BPF_PSEUDO_KFUNC_CALL)
			return 1;
	return 0;
}

static int prog_load(const struct sniff_ebpf_insn *insns, unsigned len, char *log,
		     uint32_t log_sz)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = len;
	/* socket filters need no license string, but kfunc calls (the direct
	 * packet path, btf.c) need a GPL-compatible one */
	a.license = (uint64_t)(uintptr_t)(uses_kfunc(insns, len) ? "Dual BSD/GPL" : "");
	memcpy(a.prog_name, EB_PROG_NAME, sizeof(EB_PROG_NAME));
	if (log) {
		log[0] = '\0';
		a.log_level = 1;
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = log_sz;
	}
	return sys_bpf(BPF_PROG_LOAD, &a);
}

static void set_log(char *log, size_t log_sz, const char *msg)
{
	if (log && log_sz)
		snprintf(log, log_sz, "%s", msg);
}

/* Keep the verifier's last lines (where its reason is) when the caller's
 * buffer is too small for the whole log. */
static void copy_tail(char *dst, size_t dst_sz, const char *src)
{
	size_t n = strlen(src);

	if (n >= dst_sz)
		src += n - (dst_sz - 1);
	snprintf(dst, dst_sz, "%s", src);
}

/* Lines of a verifier log that are not its reason: instructions ("12: (b7)
 * r0 = 0"), register states, branch heads, statistics. */
static int log_noise(const char *line, size_t n)
{
	static const char *const skip[] = { "processed ", "verification time", "stack depth",
					    "from ", "mark_precise", "last_idx", "regs=",
					    "parent ", "frame", "func#", "R", ";" };

	if (n == 0 || (line[0] >= '0' && line[0] <= '9'))
		return 1;
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
		size_t k = strlen(skip[i]);

		if (n >= k && !strncmp(line, skip[i], k) &&
		    (skip[i][0] != 'R' || (n > 1 && line[1] >= '0' && line[1] <= '9')))
			return 1;
	}
	return 0;
}

/* The last line of LOG that gives a reason, into OUT ("" if none). */
static void log_reason(const char *log, char *out, size_t sz)
{
	const char *end = log + strlen(log);

	out[0] = '\0';
	while (end > log) {
		const char *start = end;

		while (start > log && start[-1] != '\n')
			start--;
		if (!log_noise(start, (size_t)(end - start))) {
			snprintf(out, sz, "%.*s", (int)(end - start), start);
			return;
		}
		end = start > log ? start - 1 : log;
	}
}

int eb_load(const struct sniff_ebpf_insn *insns, unsigned len, char *log, size_t log_sz)
{
	char *buf = log, reason[256];
	size_t buf_sz = log_sz;
	int fd, err, again, gave_up;

	if (!insns || len == 0)
		return -EINVAL;
	if (log && log_sz)
		log[0] = '\0';
	fd = prog_load(insns, len, NULL, 0);
	if (fd >= 0)
		return fd;
	err = fd;
	if (err == -EPERM) {
		set_log(log, log_sz, "loading eBPF needs CAP_BPF (or CAP_SYS_ADMIN); without "
			"them /proc/sys/kernel/unprivileged_bpf_disabled must be 0, and socket "
			"filters are then limited to 4096 instructions (kernels before 5.11 "
			"also count the program against RLIMIT_MEMLOCK)");
		return err;
	}
	if (!log || log_sz <= 1)
		return err;
	/* enough of the log's tail (the kernel keeps it when the log
	 * overflows) to find the reason in */
	if (log_sz < EB_LOG_TAIL || log_sz > UINT32_MAX) {
		buf_sz = EB_LOG_TAIL;
		buf = malloc(buf_sz);
		if (!buf)
			return err;
	}
	again = prog_load(insns, len, buf, (uint32_t)buf_sz);
	gave_up = err == -E2BIG || err == -EFAULT || err == -ENOSPC;
	if (gave_up || again == -ENOSPC) {
		/* the log is the verifier's last states, thousands of lines the
		 * user cannot act on: one line, the reason, instead */
		log_reason(buf, reason, sizeof(reason));
		snprintf(log, log_sz, "the kernel verifier %s a program of %u instructions: %s",
			 gave_up ? "gave up on" : "refused", len,
			 reason[0] ? reason : strerror(-err));
	} else if (buf != log) {
		copy_tail(log, log_sz, buf);
	}
	if (buf != log)
		free(buf);
	if (!log[0])
		set_log(log, log_sz, strerror(-err));
	return err;
}

/* Hash maps take every key in one BPF_MAP_UPDATE_BATCH (a 10,000-host
 * list's inserts were most of its load time); 0, or -errno to go one by one
 * (LPM tries have no batch, kernels before 5.6 neither). */
static int map_fill_batch(int fd, const struct sniff_ebpf_map *m)
{
	uint8_t *ones = NULL;
	union bpf_attr a;
	int r;

	if (m->type != BPF_MAP_TYPE_HASH || m->nkeys < 2)
		return -EOPNOTSUPP;
	if (!m->value_size) {
		ones = malloc(m->nkeys);
		if (!ones)
			return -ENOMEM;
		memset(ones, 1, m->nkeys);
	}
	memset(&a, 0, sizeof(a));
	a.batch.map_fd = (uint32_t)fd;
	a.batch.keys = (uint64_t)(uintptr_t)m->keys;
	a.batch.values = (uint64_t)(uintptr_t)(ones ? ones : m->values);
	a.batch.count = m->nkeys;
	a.batch.elem_flags = BPF_ANY;
	r = sys_bpf(BPF_MAP_UPDATE_BATCH, &a);
	free(ones);
	return r < 0 ? r : a.batch.count == m->nkeys ? 0 : -EIO;
}

static int map_create(const struct sniff_ebpf_map *m)
{
	union bpf_attr a;
	uint8_t one = 1;
	int fd, r;

	if (m->key_size == 0 || (m->nkeys && !m->keys) || (m->value_size && m->nkeys && !m->values))
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.map_type = m->type;
	a.key_size = m->key_size;
	a.value_size = m->value_size ? m->value_size : 1;
	a.max_entries = m->nkeys ? m->nkeys : 1;
	if (m->type == BPF_MAP_TYPE_LPM_TRIE)
		a.map_flags = BPF_F_NO_PREALLOC; /* the kernel insists */
	memcpy(a.map_name, EB_PROG_NAME, sizeof(EB_PROG_NAME));
	fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		return fd;
	/* on any failure the keys go one by one, where a real error shows */
	for (uint32_t i = map_fill_batch(fd, m) ? 0 : m->nkeys; i < m->nkeys; i++) {
		memset(&a, 0, sizeof(a));
		a.map_fd = (uint32_t)fd;
		a.key = (uint64_t)(uintptr_t)(m->keys + (size_t)i * m->key_size);
		a.value = (uint64_t)(uintptr_t)(m->value_size ? m->values + (size_t)i * m->value_size
						      : &one);
		a.flags = BPF_ANY;
		r = sys_bpf(BPF_MAP_UPDATE_ELEM, &a);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	/* the program only reads: a frozen map cannot be changed behind it */
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	(void)sys_bpf(BPF_MAP_FREEZE, &a);
	return fd;
}

int eb_load_prog(const struct sniff_ebpf_prog *prog, char *log, size_t log_sz)
{
	struct sniff_ebpf_insn *copy;
	int *fds, fd = 0;
	unsigned i, made = 0;

	if (!prog || !prog->insns || (prog->nmaps && !prog->maps))
		return -EINVAL;
	if (!prog->nmaps)
		return eb_load(prog->insns, prog->len, log, log_sz);
	copy = malloc(prog->len * sizeof(*copy));
	fds = calloc(prog->nmaps, sizeof(*fds));
	if (!copy || !fds) {
		fd = -ENOMEM;
		goto out;
	}
	for (made = 0; made < prog->nmaps; made++) {
		fds[made] = map_create(&prog->maps[made]);
		if (fds[made] < 0) {
			fd = fds[made];
			set_log(log, log_sz, "cannot create the filter's map (BPF_MAP_CREATE)");
			goto out;
		}
	}
	memcpy(copy, prog->insns, prog->len * sizeof(*copy));
	for (i = 0; i + 1 < prog->len; i++) {
		if (copy[i].code != (BPF_LD | BPF_DW | BPF_IMM))
			continue;
		if (copy[i].src_reg == BPF_PSEUDO_MAP_FD) {
			if ((unsigned)copy[i].imm >= prog->nmaps) {
				fd = -EINVAL;
				goto out;
			}
			copy[i].imm = fds[copy[i].imm];
		}
		i++; /* the second half */
	}
	fd = eb_load(copy, prog->len, log, log_sz);
out:
	/* a loaded program holds its own references to the maps */
	while (made > 0)
		close(fds[--made]);
	free(fds);
	free(copy);
	return fd;
}

SNIFF_API int sniff_ebpf_load(const struct sniff_ebpf_prog *prog, char *log, size_t log_sz)
{
	if (!prog || !prog->insns)
		return -EINVAL;
	return eb_load_prog(prog, log, log_sz);
}

int eb_test_run_ctx(int prog_fd, const uint8_t *data, uint32_t len, uint32_t repeat,
		    const struct __sk_buff *ctx, uint32_t *ret, uint32_t *ns)
{
	union bpf_attr a;
	struct __sk_buff ctx_copy;
	int r;

	if (prog_fd < 0 || !data)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)prog_fd;
	a.test.data_in = (uint64_t)(uintptr_t)data;
	a.test.data_size_in = len;
	a.test.repeat = repeat;
	if (ctx) {
		/* the kernel writes the context back: keep the caller's const */
		ctx_copy = *ctx;
		a.test.ctx_in = (uint64_t)(uintptr_t)&ctx_copy;
		a.test.ctx_size_in = sizeof(ctx_copy);
	}
	r = sys_bpf(BPF_PROG_TEST_RUN, &a);
	if (r < 0)
		return r;
	if (ret)
		*ret = a.test.retval;
	if (ns)
		*ns = a.test.duration;
	return 0;
}

int eb_test_run(int prog_fd, const uint8_t *data, uint32_t len, uint32_t repeat,
		uint32_t *ret, uint32_t *ns)
{
	return eb_test_run_ctx(prog_fd, data, len, repeat, NULL, ret, ns);
}

/* BPF_PROG_TEST_RUN hands a socket filter the data after its first 14 bytes
 * (it pulls an Ethernet header): put a dummy one in front so the program sees
 * the packet from its first byte, as on a SOCK_RAW packet socket. */
static int test_run_framed(int prog_fd, const uint8_t *data, uint32_t len,
			   const struct __sk_buff *ctx, uint32_t *ret)
{
	uint8_t stack_buf[2048], *buf = stack_buf;
	int r;

	if (prog_fd < 0 || (!data && len))
		return -EINVAL;
	if (len > sizeof(stack_buf) - 14) {
		if (len > UINT32_MAX - 14)
			return -EINVAL;
		buf = malloc((size_t)len + 14);
		if (!buf)
			return -ENOMEM;
	}
	memset(buf, 0, 14);
	memset(buf, 0xff, 6);    /* broadcast: a fixed pkt_type */
	buf[12] = 0x88;          /* a local ethertype: the kernel parses nothing */
	buf[13] = 0xb5;
	if (len)
		memcpy(buf + 14, data, len);
	r = eb_test_run_ctx(prog_fd, buf, len + 14, 1, ctx, ret, NULL);
	if (buf != stack_buf)
		free(buf);
	return r;
}

SNIFF_API int sniff_ebpf_test_run(int prog_fd, const uint8_t *data, uint32_t len,
				  uint32_t *ret)
{
	return test_run_framed(prog_fd, data, len, NULL, ret);
}

SNIFF_API int sniff_ebpf_test_run_len(int prog_fd, const uint8_t *data, uint32_t len,
				      uint32_t wirelen, uint32_t *ret)
{
	struct __sk_buff ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cb[0] = wirelen;
	return test_run_framed(prog_fd, data, len, &ctx, ret);
}
