/* ring.c - the TPACKET_V3 receive ring of a live capture: set-up, the packet
 * loop, and statistics that add up exactly.
 *
 * The kernel fills blocks of variable-sized frames and hands a block over
 * (TP_STATUS_USER) when it is full or when tp_retire_blk_tov ms have passed.
 * We walk the blocks in order and give each back (TP_STATUS_KERNEL) once its
 * last packet has been delivered, so data pointers stay valid during callbacks.
 *
 * Waking up costs the reader more than a block of packets does, so the loop
 * wakes as seldom as latency_ms allows. A packet may wait LATE_US (7/10 of
 * latency_ms; the rest is the margin for being scheduled late) before we look.
 * The retire timeout is set to that, and blocks are big enough that up to
 * about 70 MB/s they do not fill within it (ring_setup): then the kernel's timer
 * hands over one block per period and we sleep in poll() with no timer of
 * our own (nothing at all when no packet comes). Only when blocks fill
 * before their timeout, or while a single ring is busy (40k packets/s, where
 * packets may wait up to 2 x latency_ms), do we sleep on our own timer, so
 * that one wake-up serves several blocks (pause_us).
 *
 * Counting: PACKET_STATISTICS returns the counts since its previous call (the
 * kernel resets them), so they are summed into cap->st. tp_packets already
 * includes tp_drops, and the kernel counts a packet when it places it in the
 * ring, in ring order. So when a loop ends by sniff_capture__break, one read
 * of the counters says exactly how many packets the ring holds that we have
 * not delivered; we deliver those (waiting for the retire timer if they sit
 * in the open block) and keep that snapshot for sniff_capture__stats, so that
 * captured + dropped == received holds exactly, as tcpdump reports it.
 * Packets arriving meanwhile stay in the ring (and in the kernel's counters)
 * for the next loop.
 *
 * Several rings (the workers of one fanout group, in a count-limited loop;
 * other loops give each its own thread, merge.c) are merged by timestamp: the
 * head packet with the smallest timestamp goes next, but only once every
 * other ring shows a packet too, or latency_ms has passed since its timestamp
 * (a packet the kernel timestamped earlier sits at most one retire period in
 * an open block: for several rings that is half of latency_ms, so that timer
 * slack and a late wake-up stay within the window). So the order is exact
 * unless the kernel holds a packet longer than that.
 *
 * Writing to a dumper, records point into the ring (no copy): the blocks they
 * lie in are held back from the kernel until the batch has been written.
 */
#include "config.h"
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include "lib.h"

#define VLAN_TAG_LEN 4
/* Blocks: big, so that up to a good rate they take longer to fill than the
 * retire timeout, and the timer, not the rate, sets how often we wake (at the
 * bench's 100k packets/s, 40 MB/s in the ring, 256 KiB blocks filled in
 * 5-6 ms and took 2000 wake-ups where 512 KiB took 1465, as many as tcpdump,
 * and 0.66x tcpdump's CPU instead of 0.45x). Many, because when the timer
 * hands them over each holds one timeout's packets, so the ring absorbs a
 * stall of the reader of block_nr timeouts, whatever its size in bytes (16
 * blocks of 1 MiB lost 7% of a 50k packets/s capture to one stall of about
 * 0.8 s on this busy 2-CPU machine). The default ring, 128 blocks of 512 KiB,
 * is timer-driven up to about 70 MB/s and absorbs 0.9 s at such rates, 0.4 s
 * at 170 MB/s. Never less than the largest frame. */
#define BLOCKS_AIM 128u
#define BLOCK_MAX (512u << 10)
/* How long a packet may wait before the loop looks: 7/10 of latency_ms, the
 * rest is the margin for being scheduled late on a busy machine (at load 3-7,
 * test_latency and test_latency_after_burst saw 10-12 ms in 4 of 12 runs with
 * 8/10; with 7/10, 9.8 ms worst in 14 runs, and one probe of 10.1 ms during a
 * parallel make check, which the test forgives). */
#define LATE_US(ms) ((int64_t)(ms) * 700)
/* While a single ring is busy (BUSY_PPS or more since the last look), one
 * wake-up per block timeout is most of what the reader costs (at 100k
 * packets/s on this VM, 13.5 us a wake-up against 20 ns a packet), so the
 * loop lets two timeouts' blocks pile up: packets then wait up to
 * BUSY_LATE_US, 17/10 of latency_ms (two timeouts and a little, so that the
 * second block is ours when we look), which leaves the same margin of 3/10
 * for being scheduled late within 2 x latency_ms.
 * Below BUSY_PPS (interactive use: a probe, a handshake) the bound stays
 * latency_ms. The first look that finds the rate lower goes back to waiting
 * for the kernel, so a packet after a burst waits at most BUSY_LATE_US. */
#define BUSY_PPS 40000
#define BUSY_LATE_US(ms) ((int64_t)(ms) * 1700)
/* Largest frame a packet socket is handed on usual links: a 64 KiB GSO/GRO
 * super-packet plus its link header (and room for a VLAN tag we put back). */
#define FRAME_MAX (65536u + 18u)
/* How far ahead of the packet being read its block is prefetched: far enough
 * for a line to arrive from the other CPU before it is read (tens of packets),
 * near enough to stay in L1. */
#define PREFETCH_AHEAD 4096

static unsigned pow2_at_least(size_t n)
{
	unsigned v = 4096;

	while (v < n)
		v <<= 1;
	return v;
}

int ring_setup(struct sniff_capture *cap)
{
	struct tpacket_req3 req = { 0 };
	struct cap_ring *r = &cap->ring;
	size_t need, snap = cap->snaplen < FRAME_MAX ? cap->snaplen : FRAME_MAX;
	/* The kernel leaves at least the reserve free between the address and
	 * the packet: room for what we put in front of it (a VLAN tag or the
	 * cooked header, then a file's record header). */
	int v3 = TPACKET_V3, reserve = (cap->cooked ? COOKED_HDR_LEN : VLAN_TAG_LEN) + DUMPER_ROOM;
	void *map;

	if (setsockopt(cap->fd, SOL_PACKET, PACKET_VERSION, &v3, sizeof(v3)) < 0) {
		lib_log(SNIFF_LOG_ERROR, "%s: TPACKET_V3 not available: %s", cap->ifname,
			strerror(errno));
		return -errno;
	}
	/* Room in front of the frame to put a stripped VLAN tag back in place,
	 * or in front of the network header for the cooked header. */
	if (setsockopt(cap->fd, SOL_PACKET, PACKET_RESERVE, &reserve, sizeof(reserve)) < 0) {
		lib_log(SNIFF_LOG_ERROR, "%s: PACKET_RESERVE: %s", cap->ifname, strerror(errno));
		return -errno;
	}
	need = 64 + TPACKET_ALIGN(TPACKET3_HDRLEN + 16) + (size_t)reserve + snap + TPACKET_ALIGNMENT;
	r->block_size = pow2_at_least(need);
	while (r->block_size < BLOCK_MAX &&
	       (size_t)r->block_size * 2 * BLOCKS_AIM <= cap->opts.buffer_size)
		r->block_size *= 2;
	r->block_nr = (unsigned)(cap->opts.buffer_size / r->block_size);
	if (r->block_nr < 2)
		r->block_nr = 2;
	req.tp_block_size = r->block_size;
	req.tp_block_nr = r->block_nr;
	req.tp_frame_size = 2048;
	req.tp_frame_nr = r->block_nr * (r->block_size / req.tp_frame_size);
	/* The retire timer restarts when a block opens; a packet reaches us a
	 * little after one period (measured on 6.18, HZ=250, 150 single packets
	 * at random times: tov 8 ms, worst 9.3 ms; tov 10 ms, worst 12.3 ms).
	 * Several rings merged by timestamp need a wider margin (see above). */
	req.tp_retire_blk_tov = (unsigned)(cap->opts.workers > 1 ? cap->opts.latency_ms / 2 :
					   LATE_US(cap->opts.latency_ms) / 1000);
	if (!req.tp_retire_blk_tov)
		req.tp_retire_blk_tov = 1;
	if (setsockopt(cap->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
		lib_log(SNIFF_LOG_ERROR, "%s: PACKET_RX_RING (%u blocks of %u bytes): %s",
			cap->ifname, r->block_nr, r->block_size, strerror(errno));
		return -errno;
	}
	r->map_len = (size_t)r->block_size * r->block_nr;
	map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		   cap->fd, 0);
	if (map == MAP_FAILED) {
		lib_log(SNIFF_LOG_ERROR, "%s: mmap of the ring (%zu bytes): %s", cap->ifname,
			r->map_len, strerror(errno));
		r->map_len = 0;
		return -errno;
	}
	r->map = map;
	r->block = 0;
	r->pkt = NULL;
	r->pkt_left = 0;
	return 0;
}

void ring_teardown(struct sniff_capture *cap)
{
	if (cap->ring.map)
		munmap(cap->ring.map, cap->ring.map_len);
	cap->ring.map = NULL;
}

int ring_stats_pull(struct sniff_capture *cap)
{
	struct tpacket_stats_v3 s;
	socklen_t len = sizeof(s);

	if (getsockopt(cap->fd, SOL_PACKET, PACKET_STATISTICS, &s, &len) < 0)
		return -errno;
	cap->st.received += s.tp_packets;
	cap->st.dropped += s.tp_drops;
	return 0;
}

/* A drain's target: the packets the kernel has counted so far (drops
 * included in tp_packets) are the ones to deliver; the counters stay as read,
 * so that sniff_capture__stats adds up with what was delivered. */
int ring_count_now(struct sniff_capture *cap)
{
	int err = ring_stats_pull(cap);

	if (err)
		return err;
	cap->hold_stats = 1;
	cap->stop_at = cap->st.received - cap->st.dropped;
	return 0;
}

static struct tpacket_block_desc *block_at(struct cap_ring *r, unsigned i)
{
	return (struct tpacket_block_desc *)(void *)(r->map + (size_t)i * r->block_size);
}

/* The entry at the head of the ring, or NULL when no block is ready. */
struct tpacket3_hdr *ring_head(struct cap_ring *r)
{
	while (!r->pkt) {
		struct tpacket_block_desc *b = block_at(r, r->block);
		uint32_t status;

		/* a held block is still ours: never read it twice */
		if (r->held >= r->block_nr)
			return NULL;
		status = __atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
		if (!(status & TP_STATUS_USER))
			return NULL;
		r->timed_out = !!(status & TP_STATUS_BLK_TMO);
		r->pkt_left = b->hdr.bh1.num_pkts;
		r->pkt = (uint8_t *)b + b->hdr.bh1.offset_to_first_pkt;
		r->pf = (uint8_t *)((uintptr_t)r->pkt & ~(uintptr_t)63);
		r->pf_end = (uint8_t *)b + b->hdr.bh1.blk_len;
		if (!r->pkt_left) {
			r->held++;
			r->block = (r->block + 1) % r->block_nr;
			r->pkt = NULL;
		}
	}
	return (struct tpacket3_hdr *)(void *)r->pkt;
}

/* Give the blocks read so far back to the kernel. */
void ring_release(struct cap_ring *r)
{
	unsigned i = (r->block + r->block_nr - r->held) % r->block_nr;

	for (; r->held; r->held--, i = (i + 1) % r->block_nr)
		__atomic_store_n(&block_at(r, i)->hdr.bh1.block_status, TP_STATUS_KERNEL,
				 __ATOMIC_RELEASE);
}

/* Give block I back to the kernel (the worker threads' merger, merge.c). */
void ring_give_back(struct cap_ring *r, unsigned i)
{
	__atomic_store_n(&block_at(r, i)->hdr.bh1.block_status, TP_STATUS_KERNEL,
			 __ATOMIC_RELEASE);
}

/* Block I as the kernel has it: 0 when it is user space's (handed over, or
 * kept); else 1, with the packets already in it and, if any, when it was
 * opened (before its first packet came). The kernel writes these as we read:
 * a torn value is only an older or newer state. */
int ring_peek(struct cap_ring *r, unsigned i, unsigned *npkts, uint64_t *opened_ns)
{
	struct tpacket_block_desc *b = block_at(r, i);

	if (__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)
		return 0;
	*npkts = __atomic_load_n(&b->hdr.bh1.num_pkts, __ATOMIC_ACQUIRE);
	if (*npkts)
		*opened_ns = (uint64_t)__atomic_load_n(&b->hdr.bh1.ts_first_pkt.ts_sec,
						       __ATOMIC_RELAXED) * 1000000000u +
			__atomic_load_n(&b->hdr.bh1.ts_first_pkt.ts_nsec, __ATOMIC_RELAXED);
	return 1;
}

void ring_next(struct cap_ring *r, int hold)
{
	const struct tpacket3_hdr *h = (const void *)r->pkt;

	r->pkt += h->tp_next_offset;
	if (--r->pkt_left) {
		/* The headers ahead were written by another CPU: reading them is
		 * most of what a capture to a file costs. Where the next ones lie
		 * is known only from these, so every line of the block up to
		 * PREFETCH_AHEAD bytes ahead is asked for, once. */
		uint8_t *to = r->pkt + PREFETCH_AHEAD < r->pf_end ? r->pkt + PREFETCH_AHEAD :
			r->pf_end;

		for (; r->pf < to; r->pf += 64)
			__builtin_prefetch(r->pf);
		return;
	}
	r->held++;
	r->block = (r->block + 1) % r->block_nr;
	r->pkt = NULL;
	if (!hold)
		ring_release(r); /* the callbacks are done with this block's data */
}

static uint64_t ts_of(const struct tpacket3_hdr *h)
{
	return (uint64_t)h->tp_sec * 1000000000u + h->tp_nsec;
}

/* One loop over one or several rings. */
struct run {
	struct sniff_capture *group;
	struct sniff_capture **m;
	int n;
	sniff_packet_cb cb;
	void *user;
	struct sniff_dumper *d;
	int due;                 /* the dumper asks for a commit */
	int err;                 /* first write error */
	int draining;
	uint64_t window_ns;
	struct pollfd *pfd;      /* n rings + the group's wake-up */
	unsigned blocks;         /* blocks finished since the rings last ran dry */
	long pkts;               /* entries read since then */
	int64_t batch_start_us;  /* when that batch began */
};

/* The kernel strips VLAN tags into the ring metadata: put it back into the
 * data, in the PACKET_RESERVE bytes left free in front of the frame. */
static inline void vlan_put_back(const struct sniff_capture *cap, const struct tpacket3_hdr *h,
				 struct sniff_pkthdr *hdr, uint8_t **data)
{
	uint16_t tpid = h->tp_status & TP_STATUS_VLAN_TPID_VALID ?
		h->hv1.tp_vlan_tpid : ETH_P_8021Q;

	hdr->vlan_valid = 1;
	hdr->vlan_tci = h->hv1.tp_vlan_tci;
	hdr->vlan_tpid = tpid;
	if (cap->linktype == SNIFF_DLT_EN10MB && hdr->caplen >= 2 * ETH_ALEN) {
		uint16_t tag[2] = { htons(tpid), htons(h->hv1.tp_vlan_tci) };

		memmove(*data - VLAN_TAG_LEN, *data, 2 * ETH_ALEN);
		*data -= VLAN_TAG_LEN;
		memcpy(*data + 2 * ETH_ALEN, tag, sizeof(tag));
		hdr->caplen += VLAN_TAG_LEN;
		hdr->len += VLAN_TAG_LEN;
	}
}

/* The frame at H as the user sees it: *HDR and *DATA (VLAN tag put back,
 * cooked header built), or 0 when it is not to be delivered (counted in
 * cap->skipped). The interface and direction are read only when META is set
 * or skipping needs them: they sit on the header's second cache line, which
 * a file record does not need. */
int ring_frame(struct sniff_capture *cap, struct tpacket3_hdr *h, int meta,
	       struct sniff_pkthdr *hdr, uint8_t **datap)
{
	const struct sockaddr_ll *sll = (const void *)((uint8_t *)h +
						      TPACKET_ALIGN(sizeof(*h)));
	uint8_t *data = (uint8_t *)h + h->tp_mac;

	*hdr = (struct sniff_pkthdr){
		.ts_ns = ts_of(h),
		.caplen = h->tp_snaplen,
		.len = h->tp_len,
	};
	if (meta || cap->skip_outgoing || cap->lo_ifindex || cap->cooked) {
		hdr->ifindex = sll->sll_ifindex;
		hdr->direction = sll->sll_pkttype;
		if (sll->sll_pkttype == PACKET_OUTGOING &&
		    (cap->skip_outgoing ||
		     (cap->lo_ifindex && sll->sll_ifindex == cap->lo_ifindex))) {
			cap->skipped++;
			return 0;
		}
	}
	if (h->tp_status & TP_STATUS_VLAN_VALID || h->hv1.tp_vlan_tci)
		vlan_put_back(cap, h, hdr, &data);
	if (cap->cooked) {
		/* tp_mac == tp_net on a SOCK_DGRAM socket; PACKET_RESERVE made room */
		data = cooked_header(data, sll);
		hdr->caplen += COOKED_HDR_LEN;
		hdr->len += COOKED_HDR_LEN;
	}
	if (hdr->caplen > cap->snaplen)
		hdr->caplen = cap->snaplen;
	if (cap->prog.len && !sniff_prog_run(&cap->prog, data, hdr->len, hdr->caplen)) {
		cap->skipped++; /* filtered here, counted by the kernel */
		return 0;
	}
	*datap = data;
	return 1;
}

/* Deliver one frame; returns 1 when it was delivered. */
static int deliver(struct run *rs, struct sniff_capture *cap, struct tpacket3_hdr *h)
{
	struct sniff_pkthdr hdr;
	uint8_t *data;

	if (!ring_frame(cap, h, !rs->d, &hdr, &data))
		return 0;
	cap->st.captured++;
	if (rs->d) {
		/* DUMPER_ROOM: see ring_setup */
		int r = dumper_add_ref_ts(rs->d, h->tp_sec, h->tp_nsec, hdr.caplen, hdr.len, data);

		if (r < 0 && !rs->err)
			rs->err = r;
		rs->due |= r > 0;
	} else {
		rs->cb(rs->user, &hdr, data);
	}
	return 1;
}

/* Write the batch, then give its blocks back. */
static void commit(struct run *rs)
{
	int i, err = dumper_commit(rs->d);

	if (err && !rs->err)
		rs->err = err;
	for (i = 0; i < rs->n; i++)
		ring_release(&rs->m[i]->ring);
	rs->due = 0;
}

static int member_done(const struct run *rs, const struct sniff_capture *m)
{
	return rs->draining && m->st.captured + m->skipped >= m->stop_at;
}

uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The member whose head packet goes next, or -1: then wait at most *wait_ms
 * (-1: until a ring has something) and look again. */
static int pick(struct run *rs, int *wait_ms)
{
	int i, best = -1, idle = 0;
	uint64_t best_ts = 0, now;

	*wait_ms = -1;
	if (rs->n == 1)
		return member_done(rs, rs->m[0]) || !ring_head(&rs->m[0]->ring) ? -1 : 0;
	for (i = 0; i < rs->n; i++) {
		struct tpacket3_hdr *h;

		/* poll only the rings we wait for: one with a packet ready would
		 * wake us at once, and we would spin until the window passes */
		rs->pfd[i].fd = -1;
		if (member_done(rs, rs->m[i]))
			continue;
		h = ring_head(&rs->m[i]->ring);
		if (!h) {
			rs->pfd[i].fd = rs->m[i]->fd;
			idle++;
			continue;
		}
		if (best < 0 || ts_of(h) < best_ts) {
			best = i;
			best_ts = ts_of(h);
		}
	}
	if (best < 0 || !idle)
		return best;
	if (rs->draining)
		return -1; /* every counted packet shows up: wait for all of them */
	/* A silent ring may still hold an older packet in its open block;
	 * unless the head is stamped more than the window after now: the clock
	 * was set back since, and waiting for it would stall (merge.c's pick) */
	now = realtime_ns();
	if (best_ts + rs->window_ns <= now || best_ts > now + rs->window_ns)
		return best;
	*wait_ms = (int)((best_ts + rs->window_ns - now) / 1000000u) + 1;
	return -1;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t mono_ms(void)
{
	return now_us() / 1000;
}

int ring_sock_error(struct sniff_capture *cap)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (getsockopt(cap->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	if (!soerr)
		soerr = EIO;
	if (soerr == ENETDOWN)
		lib_log(SNIFF_LOG_ERROR, "%s: The interface went down", cap->ifname);
	else if (soerr == ENODEV || soerr == ENXIO)
		lib_log(SNIFF_LOG_ERROR, "%s: The interface disappeared", cap->ifname);
	else
		lib_log(SNIFF_LOG_ERROR, "%s: %s", cap->ifname, strerror(soerr));
	return -soerr;
}

/* One ring written to a file, every packet kept (no skipping or filtering
 * here): the packets go to the dumper a block at a time, in a loop that
 * touches nothing but the packet headers and the dumper. Same contract as
 * run_some. */
static long dump_fast(struct run *rs, long max, int *wait_ms, int honour_break)
{
	struct sniff_capture *cap = rs->m[0];
	struct cap_ring *r = &cap->ring;
	long got = 0;

	if (rs->draining) {
		uint64_t done = cap->st.captured + cap->skipped;

		if (done >= cap->stop_at) {
			*wait_ms = -1;
			return 0;
		}
		if ((uint64_t)max > cap->stop_at - done)
			max = (long)(cap->stop_at - done);
	}
	while (got < max && !rs->err) {
		long k;

		if (!ring_head(r)) {
			*wait_ms = -1;
			return got;
		}
		k = (long)r->pkt_left < max - got ? (long)r->pkt_left : max - got;
		got += k;
		rs->pkts += k;
		cap->st.captured += (uint64_t)k;
		while (k--) {
			struct tpacket3_hdr *h = (struct tpacket3_hdr *)(void *)r->pkt;
			uint8_t *data = (uint8_t *)h + h->tp_mac;
			struct sniff_pkthdr hdr = {
				.caplen = h->tp_snaplen,
				.len = h->tp_len,
			};
			int e;

			if (h->tp_status & TP_STATUS_VLAN_VALID || h->hv1.tp_vlan_tci)
				vlan_put_back(cap, h, &hdr, &data);
			if (hdr.caplen > cap->snaplen)
				hdr.caplen = cap->snaplen;
			e = dumper_add_ref_ts(rs->d, h->tp_sec, h->tp_nsec, hdr.caplen, hdr.len,
					      data);
			ring_next(r, 1);
			if (e) {
				if (e < 0 && !rs->err)
					rs->err = e;
				commit(rs);
			}
		}
		rs->blocks += !r->pkt;
		if (r->held >= r->block_nr / 2)
			commit(rs);
		if (honour_break && atomic_load_explicit(&rs->group->break_req,
							 memory_order_relaxed))
			break;
	}
	*wait_ms = 0;
	return got;
}

/* Deliver what pick() allows; returns packets delivered, with *wait_ms set
 * when it stopped because it must wait. */
static long run_some(struct run *rs, long max, int *wait_ms, int honour_break)
{
	long got = 0;
	int i;

	if (rs->n == 1 && rs->d && !rs->m[0]->skip_outgoing && !rs->m[0]->lo_ifindex &&
	    !rs->m[0]->cooked && !rs->m[0]->prog.len)
		return dump_fast(rs, max, wait_ms, honour_break);
	while (got < max && !rs->err) {
		struct cap_ring *r;

		i = pick(rs, wait_ms);
		if (i < 0)
			return got;
		r = &rs->m[i]->ring;
		got += deliver(rs, rs->m[i], ring_head(r));
		ring_next(r, rs->d != NULL);
		rs->pkts++;
		rs->blocks += !r->pkt;
		if (rs->d && (rs->due || r->held >= r->block_nr / 2))
			commit(rs);
		if (honour_break && atomic_load_explicit(&rs->group->break_req,
							 memory_order_relaxed))
			break;
	}
	*wait_ms = 0;
	return got;
}

/* How long to sleep before looking at the rings again, in us (0: wait for
 * the kernel's wake-up instead; in us because a pause cut to whole ms is paid
 * in more wake-ups). While the retire timer hands over the blocks (they do
 * not fill within its period), the kernel's wake-up comes as late as the
 * bound allows anyway: no pause, unless the ring is busy (BUSY_PPS). When
 * blocks fill first, the kernel would wake us for each of them: a pause lets
 * several pile up instead, if it can be longer than a block takes to fill
 * (else it saves nothing: at 40 MB/s a 256 KiB block fills in 6.5 ms, and
 * pausing until the open block's first packet is 7 ms old took more wake-ups
 * than the kernel's one per block).
 * Bounds, all LATE_US (BUSY_LATE_US while busy): a packet arriving during the
 * pause waits at most the pause; the block the kernel is filling now must be
 * looked at before its first packet is LATE_US old (its contents become ours
 * when it fills, which may happen during the pause); and at the rate just
 * seen, half the ring must not fill, so the pause never costs a drop. A
 * packet the merge holds back (its ring's head, waiting for the other rings)
 * must be looked at again before it is LATE_US old. */
static int64_t pause_us(struct run *rs)
{
	int64_t now = now_us(), took = now - rs->batch_start_us;
	int64_t late = LATE_US(rs->group->opts.latency_ms), us, fill = 0;
	uint64_t real = 0;
	/* several rings: their timers are not in step, and each would wake us
	 * on its own, so a pause pays even when no block fills (their merge's
	 * window is latency_ms: no busy bound for them) */
	int i, filling = rs->n > 1;
	int busy = rs->n == 1 && took > 0 && rs->pkts * (int64_t)1000000 >= BUSY_PPS * took;

	for (i = 0; i < rs->n; i++)
		filling |= !rs->m[i]->ring.timed_out;
	if (busy)
		late = BUSY_LATE_US(rs->group->opts.latency_ms);
	us = late;
	if (!(filling || busy) || !rs->blocks || rs->pkts < 64 || took <= 0) {
		us = 0;
	} else {
		/* blocks per us seen: rs->blocks / took */
		const struct cap_ring *r0 = &rs->m[0]->ring;
		int64_t room = (int64_t)r0->block_nr * rs->n * took / (2 * (int64_t)rs->blocks);

		if (room < us)
			us = room;
		if (rs->n == 1)
			fill = took / rs->blocks;
	}
	for (i = 0; i < rs->n && us > 0; i++) {
		struct cap_ring *r = &rs->m[i]->ring;
		uint64_t first;
		unsigned npkts;
		int64_t left;

		if (!real)
			real = realtime_ns() / 1000u;
		if (r->pkt) {
			/* merging: this ring's head waits for the others */
			left = (int64_t)(ts_of((const void *)r->pkt) / 1000u - real) + late;
			if (left < us)
				us = left;
			continue;
		}
		if (!ring_peek(r, r->block, &npkts, &first)) {
			us = 0; /* more to read already */
			break;
		}
		/* the open block (a torn value only makes this pause shorter or
		 * longer once) */
		if (!npkts)
			continue;
		left = (int64_t)(first / 1000u - real) + late;
		if (left < us)
			us = left;
	}
	rs->blocks = 0;
	rs->pkts = 0;
	rs->batch_start_us = now;
	/* The kernel wakes us for every block it hands over: a pause no longer
	 * than a block takes to fill would save no wake-up, only add a timer. */
	return us >= 1000 && us > fill ? us : 0;
}

/* Before sleeping: the file gets the batch, the kernel every block we hold
 * (empty ones too, which a callback loop keeps until its next packet). */
static void settle(struct run *rs)
{
	int i;

	if (rs->d) {
		commit(rs);
		return;
	}
	for (i = 0; i < rs->n; i++)
		ring_release(&rs->m[i]->ring);
}

/* Wait for a ring or the wake-up; 0, or -errno of a socket that failed. */
static int wait_rings(struct run *rs, int wait_ms)
{
	int i;

	settle(rs); /* going idle: the file is complete up to here */
	if (poll(rs->pfd, (nfds_t)rs->n + 1, wait_ms) < 0) {
		if (errno == EINTR)
			return 0;
		lib_log(SNIFF_LOG_ERROR, "%s: poll: %s", rs->group->ifname, strerror(errno));
		return -errno;
	}
	for (i = 0; i < rs->n; i++)
		if (rs->pfd[i].revents & (POLLERR | POLLNVAL))
			return ring_sock_error(rs->m[i]);
	return 0;
}

/* After a break: deliver the packets the kernel has counted but we have not
 * delivered yet. They are at the head of the rings, possibly in open blocks.
 * The time allowed runs from the last packet taken, so a slow callback does
 * not use it up. */
static long drain(struct run *rs, long max)
{
	int64_t deadline = mono_ms() + DRAIN_MS(rs->group->opts.latency_ms);
	long got = 0, pkts;
	int i, wait_ms;

	for (i = 0; i < rs->n; i++)
		if (ring_count_now(rs->m[i]))
			return 0;
	rs->draining = 1;
	while (got < max && !rs->err) {
		int64_t left;
		int busy = 0;

		pkts = rs->pkts;
		got += run_some(rs, max - got, &wait_ms, 0);
		for (i = 0; i < rs->n; i++)
			busy |= !member_done(rs, rs->m[i]);
		if (!busy || got >= max)
			break;
		if (rs->pkts != pkts)
			deadline = mono_ms() + DRAIN_MS(rs->group->opts.latency_ms);
		left = deadline - mono_ms();
		if (left <= 0) {
			for (i = 0; i < rs->n; i++) {
				struct sniff_capture *m = rs->m[i];

				if (!member_done(rs, m))
					lib_log(SNIFF_LOG_WARN, "%s: %llu counted packets not found "
						"in the ring", m->ifname, (unsigned long long)
						(m->stop_at - m->st.captured - m->skipped));
			}
			break;
		}
		if (wait_rings(rs, (int)left) < 0)
			break;
	}
	rs->draining = 0;
	return got;
}

long ring_run(struct sniff_capture *group, struct sniff_capture **m, int n, long count,
	      sniff_packet_cb cb, void *user, struct sniff_dumper *d)
{
	struct run rs = {
		.group = group, .m = m, .n = n, .cb = cb, .user = user, .d = d,
		.window_ns = (uint64_t)group->opts.latency_ms * 1000000u,
	};
	long max = count > 0 ? count : (long)(~0ul >> 1);
	long got = 0;
	int i, err = 0, wait_ms;

	rs.pfd = calloc((size_t)n + 1, sizeof(*rs.pfd));
	if (!rs.pfd)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		rs.pfd[i].fd = m[i]->fd;
		rs.pfd[i].events = POLLIN;
		m[i]->hold_stats = 0;
	}
	rs.pfd[n].fd = group->wake_fd;
	rs.pfd[n].events = POLLIN;
	group->hold_stats = 0;
	rs.batch_start_us = now_us();
	for (;;) {
		int64_t pause;

		if (atomic_load(&group->break_req))
			break;
		got += run_some(&rs, max - got, &wait_ms, 1);
		if (got >= max || rs.err)
			goto out;
		if (!wait_ms)
			continue; /* a break request: checked at the top */
		/* also while the merge waits for a ring whose block is still
		 * open: at a high rate, sleeping until several blocks have filled
		 * costs one wake-up instead of one per block per ring */
		pause = pause_us(&rs);
		if (pause) {
			struct timespec ts = { pause / 1000000, pause % 1000000 * 1000 };

			/* only a break ends the pause early */
			settle(&rs);
			if (ppoll(&rs.pfd[n], 1, &ts, NULL) < 0 && errno != EINTR) {
				err = -errno;
				goto out;
			}
			continue;
		}
		err = wait_rings(&rs, wait_ms);
		if (err)
			goto out;
	}
	/* Broken out of: consume the wake-ups, then make the counts exact. A
	 * group's break also reached its members (for worker threads): reset
	 * theirs too. */
	for (i = -1; i < n; i++)
		cap_break_clear(i < 0 ? group : m[i]);
	got += drain(&rs, max - got);
out:
	if (d)
		commit(&rs);
	free(rs.pfd);
	if (rs.err) {
		lib_log(SNIFF_LOG_ERROR, "writing the capture file: %s", strerror(-rs.err));
		return rs.err;
	}
	return err ? err : got;
}
