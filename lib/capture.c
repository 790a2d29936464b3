/* capture.c - live capture handles: the AF_PACKET socket, its filter and the
 * public sniff_capture__* methods (offline handles are passed to offline.c,
 * the ring and the packet loop live in ring.c, cooked captures in cooked.c).
 *
 * Set-up order, so that no unfiltered packet ever reaches the ring:
 *   open:      socket(AF_PACKET, SOCK_RAW, 0)  -- protocol 0: hooked to no device yet
 *              (SOCK_DGRAM for "any" and links without an Ethernet-like header)
 *   set_*:     validate, translate to eBPF, load, SO_ATTACH_BPF (classic BPF
 *              with SO_ATTACH_FILTER when asked for or when eBPF fails)
 *   activate:  accept-all filter if none was set, TPACKET_V3 ring, membership,
 *              then bind(ETH_P_ALL, ifindex), which is what starts the flow.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include "lib.h"

#define DEFAULT_BUFFER (64u << 20) /* as tcpdump -B 65536: 0.4 s at 170 MB/s */
#define DEFAULT_LATENCY_MS 10

/* libbpf's OPTS_VALID: a caller built against a newer header may pass a larger
 * struct; that is fine as long as the fields we do not know are zero. */
static int opts_copy(void *dst, size_t dst_sz, const void *src)
{
	size_t sz, i;

	memset(dst, 0, dst_sz);
	if (!src)
		goto out;
	sz = *(const size_t *)src;
	if (sz < sizeof(size_t))
		return -EINVAL;
	for (i = dst_sz; i < sz; i++)
		if (((const uint8_t *)src)[i])
			return -EINVAL;
	memcpy(dst, src, sz < dst_sz ? sz : dst_sz);
out:
	*(size_t *)dst = dst_sz;
	return 0;
}

static int linktype_of(int arphrd)
{
	switch (arphrd) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK: /* Linux fakes an Ethernet header on lo, as libpcap assumes */
	case ARPHRD_IEEE802:
		return SNIFF_DLT_EN10MB;
	case ARPHRD_NONE:     /* tun: the data starts with the IP header */
		return SNIFF_DLT_RAW;
	default:
		return -1;
	}
}

static struct sniff_capture *cap_new(enum cap_kind kind)
{
	struct sniff_capture *cap = calloc(1, sizeof(*cap));

	if (!cap)
		return NULL;
	cap->kind = kind;
	cap->fd = -1;
	cap->wake_fd = -1;
	cap->prog_fd = -1;
	atomic_init(&cap->break_req, 0);
	cap->self = cap;
	cap->memb = &cap->self;
	cap->nmemb = 1;
	return cap;
}

struct sniff_capture *cap_new_offline(void)
{
	return cap_new(CAP_OFFLINE);
}

void cap_free(struct sniff_capture *cap)
{
	int i;

	if (cap->memb && cap->memb != &cap->self) {
		for (i = 0; i < cap->nmemb; i++)
			if (cap->memb[i])
				cap_free(cap->memb[i]);
		free(cap->memb);
	}
	if (cap->kind == CAP_OFFLINE)
		off_close(cap);
	ring_teardown(cap);
	if (cap->fd >= 0)
		close(cap->fd);
	if (cap->wake_fd >= 0)
		close(cap->wake_fd);
	if (cap->prog_fd >= 0)
		close(cap->prog_fd);
	free(cap->prog.insns); /* a cooked capture's user-space filter */
	free(cap);
}

static int if_ioctl(struct sniff_capture *cap, unsigned long req, struct ifreq *ifr)
{
	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, cap->ifname, sizeof(cap->ifname));
	return ioctl(cap->fd, req, ifr) < 0 ? -errno : 0;
}

/* Switch to a SOCK_DGRAM socket with LINUX_SLL2 headers built by us. */
static int go_cooked(struct sniff_capture *cap)
{
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		lib_log(SNIFF_LOG_ERROR, "%s: socket(AF_PACKET, SOCK_DGRAM): %s", cap->ifname,
			strerror(errno));
		return -errno;
	}
	close(cap->fd);
	cap->fd = fd;
	cap->cooked = 1;
	cap->linktype = SNIFF_DLT_LINUX_SLL2;
	/* libpcap's "any" shows each packet of lo once: its arriving copy. */
	cap->lo_ifindex = (int)if_nametoindex("lo");
	return 0;
}

/* Options checked and defaults filled in; -EINVAL when they make no sense. */
static int opts_fill(struct sniff_capture_opts *o, const struct sniff_capture_opts *in)
{
	int err = opts_copy(o, sizeof(*o), in);

	if (err || o->direction > SNIFF_DIR_OUT || o->latency_ms < 0 || o->workers < 0 ||
	    o->workers > SNIFF_MAX_WORKERS || o->fanout > SNIFF_FANOUT_ROLLOVER ||
	    o->delivery > SNIFF_DELIVER_PARALLEL)
		return -EINVAL;
	if (!o->snaplen)
		o->snaplen = SNIFF_DEFAULT_SNAPLEN;
	if (!o->buffer_size)
		o->buffer_size = DEFAULT_BUFFER;
	if (!o->latency_ms)
		o->latency_ms = DEFAULT_LATENCY_MS;
	if (!o->workers)
		o->workers = 1;
	return 0;
}

struct sniff_capture *sniff_capture__open(const char *ifname,
					  const struct sniff_capture_opts *opts)
{
	struct sniff_capture_opts o;
	struct sniff_capture *cap;
	int err;

	if (!ifname || !*ifname) {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(ifname) >= IFNAMSIZ) {
		lib_log(SNIFF_LOG_ERROR, "%s: no such interface (name too long)", ifname);
		errno = ENODEV;
		return NULL;
	}
	if (opts_fill(&o, opts)) {
		lib_log(SNIFF_LOG_ERROR, "%s: invalid capture options", ifname);
		errno = EINVAL;
		return NULL;
	}
	if (o.workers == 1)
		return live_open(ifname, &o);
	cap = cap_new(CAP_LIVE);
	if (!cap)
		return NULL;
	cap->opts = o;
	memcpy(cap->ifname, ifname, strlen(ifname) + 1);
	err = workers_open(cap, ifname);
	if (err) {
		cap_free(cap);
		errno = -err;
		return NULL;
	}
	return cap;
}

/* One socket; OPTS already checked and filled in. */
struct sniff_capture *live_open(const char *ifname, const struct sniff_capture_opts *opts)
{
	struct sniff_capture *cap;
	struct ifreq ifr;
	int err;

	cap = cap_new(CAP_LIVE);
	if (!cap)
		return NULL;
	cap->opts = *opts;
	cap->snaplen = cap->opts.snaplen;
	memcpy(cap->ifname, ifname, strlen(ifname) + 1);

	/* Protocol 0: the socket receives nothing until bind() names ETH_P_ALL. */
	cap->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (cap->fd < 0) {
		err = -errno;
		if (err == -EPERM || err == -EACCES)
			lib_log(SNIFF_LOG_ERROR, "%s: capturing needs CAP_NET_RAW "
				"(run as root or give the program cap_net_raw)", ifname);
		else
			lib_log(SNIFF_LOG_ERROR, "%s: socket(AF_PACKET): %s", ifname,
				sniff_strerror(err));
		goto fail;
	}
	if (strcmp(ifname, "any") == 0) {
		err = go_cooked(cap);
		if (err)
			goto fail;
		goto done;
	}
	err = if_ioctl(cap, SIOCGIFINDEX, &ifr);
	if (err) {
		if (err == -ENODEV)
			lib_log(SNIFF_LOG_ERROR, "%s: no such interface", ifname);
		else
			lib_log(SNIFF_LOG_ERROR, "%s: SIOCGIFINDEX: %s", ifname, sniff_strerror(err));
		goto fail;
	}
	cap->ifindex = ifr.ifr_ifindex;
	err = if_ioctl(cap, SIOCGIFHWADDR, &ifr);
	if (err) {
		lib_log(SNIFF_LOG_ERROR, "%s: SIOCGIFHWADDR: %s", ifname, sniff_strerror(err));
		goto fail;
	}
	cap->is_loopback = ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK;
	cap->linktype = linktype_of(ifr.ifr_hwaddr.sa_family);
	if (cap->linktype < 0) {
		/* No link header we can hand out as is: give a cooked one. */
		err = go_cooked(cap);
		if (err)
			goto fail;
	}
done:
	cap->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (cap->wake_fd < 0) {
		err = -errno;
		goto fail;
	}
	return cap;
fail:
	cap_free(cap);
	errno = -err;
	return NULL;
}

int sniff_capture__linktype(const struct sniff_capture *cap)
{
	return cap ? cap->linktype : -EINVAL;
}

uint32_t sniff_capture__snaplen(const struct sniff_capture *cap)
{
	return cap ? cap->snaplen : 0;
}

/* ---- filters */

static int attach_classic(int fd, const struct sniff_insn *insns, unsigned len)
{
	struct sock_fprog fp = {
		.len = (unsigned short)len,
		.filter = (struct sock_filter *)(void *)insns,
	};

	if (len == 0 || len > BPF_MAXINSNS)
		return -EINVAL;
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0 ? -errno : 0;
}

/* Only the kernel knows which packets left through this interface: for -Q out
 * the program is prefixed with "drop unless pkttype == OUTGOING". The prefix
 * sets A back to 0 so the user's program starts from the state it expects. */
static int with_direction(const struct sniff_capture *cap, const struct sniff_prog *in,
			  struct sniff_prog *out)
{
	static const struct sniff_insn prefix[] = {
		{ BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE) },
		{ BPF_JMP | BPF_JEQ | BPF_K, 1, 0, PACKET_OUTGOING },
		{ BPF_RET | BPF_K, 0, 0, 0 },
		{ BPF_LD | BPF_IMM, 0, 0, 0 },
	};
	unsigned extra = cap->opts.direction == SNIFF_DIR_OUT ? 4 : 0;

	out->len = in->len + extra;
	out->insns = malloc(out->len * sizeof(*out->insns));
	if (!out->insns)
		return -ENOMEM;
	memcpy(out->insns, prefix, extra * sizeof(*prefix));
	memcpy(out->insns + extra, in->insns, in->len * sizeof(*in->insns));
	return 0;
}

static void copy_log(char *log, size_t log_sz, const char *msg)
{
	if (log && log_sz) {
		strncpy(log, msg, log_sz - 1);
		log[log_sz - 1] = 0;
	}
}

/* Translate and load; returns the program fd or -errno. -EPERM is final (the
 * caller lacks CAP_BPF); any other failure is logged and the caller falls back
 * to the kernel's own classic BPF, so a translator gap never stops a capture. */
static int load_ebpf(struct sniff_capture *cap, const struct sniff_prog *p, char *log,
		     size_t log_sz)
{
	struct sniff_ebpf_prog ep = { 0 };
	int fd;

	fd = sniff_ebpf_translate(p, &ep);
	if (fd < 0) {
		lib_log(SNIFF_LOG_WARN, "%s: cannot translate the filter to eBPF (%s): "
			"attaching it as classic BPF", cap->ifname, sniff_strerror(fd));
		return fd;
	}
	if (log && log_sz)
		log[0] = 0;
	fd = sniff_ebpf_load(&ep, log, log_sz);
	sniff_ebpf_free(&ep);
	if (fd == -EPERM || fd == -EACCES) {
		lib_log(SNIFF_LOG_ERROR, "%s: loading the eBPF filter needs CAP_BPF "
			"(or ask for a classic filter: classic_bpf)", cap->ifname);
		copy_log(log, log_sz, "loading the eBPF filter needs CAP_BPF");
		return -EPERM;
	}
	if (fd < 0)
		lib_log(SNIFF_LOG_WARN, "%s: the kernel refused the eBPF filter (%s%s%s): "
			"attaching it as classic BPF", cap->ifname, sniff_strerror(fd),
			log && *log ? ": " : "", log ? log : "");
	return fd;
}

int live_set_prog(struct sniff_capture *cap, const struct sniff_prog *prog,
			 char *log, size_t log_sz)
{
	struct sniff_insn all[] = { { BPF_RET | BPF_K, 0, 0, cap->snaplen } };
	struct sniff_prog p, kprog = { 0 }, user = { 0 };
	int err, fd = -ENOSYS; /* not loaded: attach as classic */

	if (cap->cooked) {
		err = cooked_fix_prog(prog, &kprog);
		if (err == -EOPNOTSUPP) {
			/* the kernel keeps everything; we run the filter on our header */
			user = *prog;
			kprog.insns = all;
			kprog.len = 1;
		} else if (err) {
			return err;
		}
		prog = &kprog;
	}
	err = with_direction(cap, prog, &p);
	if (kprog.insns != all)
		free(kprog.insns);
	if (err)
		return err;
	if (!cap->opts.classic_bpf)
		fd = load_ebpf(cap, &p, log, log_sz);
	if (fd >= 0) {
		if (setsockopt(cap->fd, SOL_SOCKET, SO_ATTACH_BPF, &fd, sizeof(fd)) < 0) {
			err = -errno;
			lib_log(SNIFF_LOG_ERROR, "%s: SO_ATTACH_BPF: %s", cap->ifname,
				sniff_strerror(err));
			close(fd);
			goto out;
		}
		if (cap->prog_fd >= 0)
			close(cap->prog_fd);
		cap->prog_fd = fd;
		goto out;
	}
	if (fd == -EPERM) {
		err = fd;
		goto out;
	}
	/* Classic: asked for, or the eBPF path failed. */
	if (p.len > BPF_MAXINSNS) {
		/* sniff_compile goes up to SNIFF_MAX_INSNS; only eBPF takes that */
		err = fd == -ENOSYS ? -E2BIG : fd;
		lib_log(SNIFF_LOG_ERROR, "%s: the filter has %u instructions: classic BPF takes "
			"at most %d, and %s", cap->ifname, p.len, BPF_MAXINSNS,
			cap->opts.classic_bpf ? "a classic filter was asked for"
			: "the eBPF path failed");
		/* the eBPF failure, if any, is in the log callback already */
		copy_log(log, log_sz, "filter longer than 4096 instructions: "
			 "needs the eBPF path (no classic fallback)");
		goto out;
	}
	err = attach_classic(cap->fd, p.insns, p.len);
	if (err) {
		lib_log(SNIFF_LOG_ERROR, "%s: the kernel refused the classic filter: %s",
			cap->ifname, sniff_strerror(err));
		copy_log(log, log_sz, "SO_ATTACH_FILTER refused the program");
		goto out;
	}
	if (cap->prog_fd >= 0)
		close(cap->prog_fd);
	cap->prog_fd = -1;
out:
	free(p.insns);
	if (!err) {
		cap->has_filter = 1;
		free(cap->prog.insns);
		cap->prog.insns = NULL;
		cap->prog.len = 0;
		if (user.len)
			err = off_set_prog(cap, &user); /* a copy, run by ring.c */
	}
	return err;
}

int sniff_capture__set_prog(struct sniff_capture *cap, const struct sniff_prog *prog,
			    char *log, size_t log_sz)
{
	struct sniff_error verr;
	int err;

	if (!cap || !prog || !prog->insns || !prog->len)
		return -EINVAL;
	/* The eBPF translator and the interpreter trust validated programs. */
	err = sniff_prog_validate_max(prog, SNIFF_MAX_INSNS, &verr);
	if (err) {
		lib_log(SNIFF_LOG_ERROR, "invalid filter program: %s", verr.msg);
		copy_log(log, log_sz, verr.msg);
		return err;
	}
	if (cap->kind == CAP_OFFLINE)
		return off_set_prog(cap, prog);
	if (cap->activated)
		return -EBUSY;
	/* every worker gets its own copy: the group picks the socket, then that
	 * socket's filter decides */
	for (int i = 0; i < cap->nmemb; i++) {
		err = live_set_prog(cap->memb[i], prog, log, log_sz);
		if (err)
			return err;
	}
	return 0;
}

/* Long `or` lists as map lookups (sniff_ebpf_compile): only where the program
 * goes to the kernel as compiled (no cooked rewrite, no -Q out prefix).
 * Returns 1 when this path does not apply or fails softly: the caller then
 * takes the classic-program path, which also reports compile errors. */
static int set_filter_maps(struct sniff_capture *cap, const char *expr,
			   const struct sniff_compile_opts *o, struct sniff_error *err)
{
	struct sniff_ebpf_prog ep = { 0 };
	char log[256];
	int fd, i;

	if (cap->opts.classic_bpf || cap->opts.direction == SNIFF_DIR_OUT || cap->activated)
		return 1;
	for (i = 0; i < cap->nmemb; i++)
		if (cap->memb[i]->cooked)
			return 1;
	if (sniff_ebpf_compile(expr, cap->linktype, o, &ep, err) || !ep.nmaps) {
		sniff_ebpf_free(&ep);
		if (err)
			memset(err, 0, sizeof(*err));
		return 1;
	}
	fd = sniff_ebpf_load(&ep, log, sizeof(log));
	sniff_ebpf_free(&ep);
	if (fd < 0) {
		lib_log(SNIFF_LOG_WARN, "%s: the kernel refused the map-based eBPF filter (%s: %s): "
			"using the plain program", cap->ifname, sniff_strerror(fd), log);
		return 1;
	}
	for (i = 0; i < cap->nmemb; i++) {
		struct sniff_capture *m = cap->memb[i];
		int mfd = i + 1 < cap->nmemb ? dup(fd) : fd;

		if (mfd < 0 || setsockopt(m->fd, SOL_SOCKET, SO_ATTACH_BPF, &mfd, sizeof(mfd)) < 0) {
			int e = -errno;

			lib_log(SNIFF_LOG_ERROR, "%s: SO_ATTACH_BPF: %s", m->ifname, sniff_strerror(e));
			if (mfd >= 0)
				close(mfd);
			if (mfd != fd)
				close(fd);
			return e;
		}
		if (m->prog_fd >= 0)
			close(m->prog_fd);
		m->prog_fd = mfd;
		m->has_filter = 1;
		free(m->prog.insns);
		m->prog.insns = NULL;
		m->prog.len = 0;
	}
	return 0;
}

static uint32_t if_netmask(struct sniff_capture *cap)
{
	struct ifreq ifr;

	if (!cap->ifindex)
		return SNIFF_NETMASK_UNKNOWN;
	/* As tcpdump does with pcap_lookupnet: "ip broadcast" needs the mask. */
	if (if_ioctl(cap, SIOCGIFNETMASK, &ifr))
		return SNIFF_NETMASK_UNKNOWN;
	return ntohl(((struct sockaddr_in *)(void *)&ifr.ifr_netmask)->sin_addr.s_addr);
}

int sniff_capture__set_filter(struct sniff_capture *cap, const char *expr, int optimize,
			      struct sniff_error *err)
{
	SNIFF_OPTS(sniff_compile_opts, o, .optimize = optimize, .mode = SNIFF_MODE_LINUX);
	struct sniff_prog prog = { 0 };
	char log[256];
	int ret;

	if (!cap)
		return -EINVAL;
	if (err)
		memset(err, 0, sizeof(*err));
	if (cap->kind == CAP_OFFLINE)
		return off_set_filter(cap, expr, optimize, err);
	o.snaplen = cap->snaplen;
	o.netmask = if_netmask(cap->memb[0]);
	ret = set_filter_maps(cap, expr ? expr : "", &o, err);
	if (ret <= 0)
		return ret;
	ret = sniff_compile(expr ? expr : "", cap->linktype, &o, &prog, err);
	if (ret)
		return ret;
	log[0] = 0;
	ret = sniff_capture__set_prog(cap, &prog, log, sizeof(log));
	if (ret && err && !err->msg[0])
		snprintf(err->msg, sizeof(err->msg), "%s", log[0] ? log : sniff_strerror(ret));
	sniff_prog_free(&prog);
	return ret;
}

/* ---- activation */

int sniff_capture__activate(struct sniff_capture *cap)
{
	if (!cap)
		return -EINVAL;
	if (cap->kind == CAP_OFFLINE)
		return 0;
	if (cap->activated)
		return -EBUSY;
	if (cap->nmemb > 1)
		return workers_activate(cap);
	return live_activate(cap, 0);
}

/* Filter (accept-all if none), ring, membership, bind. IN_GROUP: the socket
 * joins a fanout group next, whose own hook ignores PACKET_IGNORE_OUTGOING. */
int live_activate(struct sniff_capture *cap, int in_group)
{
	struct sockaddr_ll sll = { 0 };
	struct ifreq ifr;
	socklen_t len;
	int err, soerr = 0;
	if (!cap->has_filter) {
		struct sniff_insn all[] = { { BPF_RET | BPF_K, 0, 0, cap->snaplen } };
		struct sniff_prog p = { 1, all };

		err = live_set_prog(cap, &p, NULL, 0);
		if (err)
			return err;
	}
	/* lo shows every packet twice (leaving, then arriving); keeping only the
	 * arriving copy also keeps the kernel's counters equal to what we deliver. */
	cap->skip_outgoing = cap->opts.direction == SNIFF_DIR_IN ||
		(cap->is_loopback && cap->opts.direction == SNIFF_DIR_INOUT);
	if (cap->opts.direction != SNIFF_DIR_INOUT)
		cap->lo_ifindex = 0; /* -Q in drops them all, -Q out keeps them */
	if (cap->skip_outgoing && !in_group) {
		int one = 1;

		if (setsockopt(cap->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) == 0)
			cap->skip_outgoing = 0; /* the kernel does it */
	}
	err = ring_setup(cap);
	if (err)
		return err;
	if (cap->opts.promisc && cap->ifindex) {
		struct packet_mreq mr = { .mr_ifindex = cap->ifindex, .mr_type = PACKET_MR_PROMISC };

		if (setsockopt(cap->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
			err = -errno;
			lib_log(SNIFF_LOG_ERROR, "%s: promiscuous mode: %s", cap->ifname,
				sniff_strerror(err));
			return err;
		}
	}
	err = cap->ifindex ? if_ioctl(cap, SIOCGIFFLAGS, &ifr) : 0;
	if (!cap->ifindex)
		ifr.ifr_flags = IFF_UP; /* "any" */
	if (err == -ENODEV) {
		lib_log(SNIFF_LOG_ERROR, "%s: no such interface (it went away)", cap->ifname);
		return err;
	}
	if (!err && !(ifr.ifr_flags & IFF_UP)) {
		lib_log(SNIFF_LOG_ERROR, "%s: That device is not up", cap->ifname);
		return -ENETDOWN;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = cap->ifindex;
	if (bind(cap->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		err = -errno;
		lib_log(SNIFF_LOG_ERROR, "%s: bind: %s", cap->ifname, sniff_strerror(err));
		return err;
	}
	len = sizeof(soerr);
	if (getsockopt(cap->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr) {
		lib_log(SNIFF_LOG_ERROR, "%s: %s", cap->ifname, strerror(soerr));
		return -soerr;
	}
	cap->activated = 1;
	return 0;
}

/* ---- the rest of the public methods */

long sniff_capture__loop(struct sniff_capture *cap, long count, sniff_packet_cb cb, void *user)
{
	if (!cap || !cb)
		return -EINVAL;
	if (cap->kind == CAP_OFFLINE)
		return off_loop(cap, count, cb, user);
	if (!cap->activated) {
		lib_log(SNIFF_LOG_ERROR, "%s: capture not activated", cap->ifname);
		return -EINVAL;
	}
	if (cap->nmemb > 1 && count <= 0)
		return cap->opts.delivery == SNIFF_DELIVER_ORDERED ?
			merge_run(cap, cb, user, NULL) : workers_loop(cap, count, cb, user);
	return ring_run(cap, cap->memb, cap->nmemb, count, cb, user, NULL);
}

static void dump_cb(void *user, const struct sniff_pkthdr *h, const uint8_t *data)
{
	struct sniff_dumper *d = user;

	sniff_dumper__write(d, h, data); /* errors stick in d: the flush says */
}

long sniff_capture__dump(struct sniff_capture *cap, long count, struct sniff_dumper *d)
{
	long n;
	int err;

	if (!cap || !d)
		return -EINVAL;
	if (cap->kind == CAP_OFFLINE) {
		n = off_loop(cap, count, dump_cb, d);
		err = sniff_dumper__flush(d);
		return n < 0 ? n : err ? err : n;
	}
	if (!cap->activated) {
		lib_log(SNIFF_LOG_ERROR, "%s: capture not activated", cap->ifname);
		return -EINVAL;
	}
	if (cap->nmemb > 1 && count <= 0)
		return merge_run(cap, NULL, NULL, d);
	return ring_run(cap, cap->memb, cap->nmemb, count, NULL, NULL, d);
}

/* Wake whoever polls the eventfd FD. write() is async-signal-safe, and a
 * full counter (EAGAIN) still wakes poll. */
void cap_poke(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0) {
		/* nothing to do: the reader wakes anyway */
	}
}

/* Take what was written to the eventfd FD (EAGAIN: nothing was). */
void cap_unpoke(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* nothing was written */
	}
}

void sniff_capture__break(struct sniff_capture *cap)
{
	if (!cap)
		return;
	atomic_store(&cap->break_req, 1);
	if (cap->wake_fd >= 0)
		cap_poke(cap->wake_fd);
	/* worker threads each wait on their own member */
	for (int i = 0; cap->memb != &cap->self && i < cap->nmemb; i++)
		sniff_capture__break(cap->memb[i]);
}

/* A loop that has seen a break: consume the wake-up, then clear the request,
 * so that the next loop sleeps again (a break before the loop may have come
 * without a wake-up: then there is nothing to read). */
void cap_break_clear(struct sniff_capture *cap)
{
	if (cap->wake_fd >= 0)
		cap_unpoke(cap->wake_fd);
	atomic_store(&cap->break_req, 0);
}

int sniff_capture__stats(struct sniff_capture *cap, struct sniff_stats *st)
{
	int err = 0;

	if (!cap || !st)
		return -EINVAL;
	if (cap->kind == CAP_OFFLINE) {
		*st = cap->st;
		return 0;
	}
	memset(st, 0, sizeof(*st));
	for (int i = 0; i < cap->nmemb; i++) {
		struct sniff_stats one;
		int e = sniff_capture__worker_stats(cap, i, &one);

		if (e && !err)
			err = e;
		st->captured += one.captured;
		st->received += one.received;
		st->dropped += one.dropped;
		st->ifdropped += one.ifdropped;
	}
	return err;
}

int sniff_capture__worker_stats(struct sniff_capture *cap, int worker, struct sniff_stats *st)
{
	struct sniff_capture *m;
	int err = 0;

	if (!cap || !st || worker < 0 || worker >= cap->nmemb)
		return -EINVAL;
	if (cap->kind == CAP_OFFLINE) {
		*st = cap->st;
		return 0;
	}
	m = cap->memb[worker];
	/* After a break the snapshot the drain matched stays: it adds up. */
	if (cap->activated && !m->hold_stats)
		err = ring_stats_pull(m);
	*st = m->st;
	st->received -= m->skipped;
	return err;
}

int sniff_capture__workers(const struct sniff_capture *cap)
{
	return cap ? cap->nmemb : -EINVAL;
}

void sniff_capture__close(struct sniff_capture *cap)
{
	if (cap)
		cap_free(cap);
}
