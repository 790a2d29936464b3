/* merge.c - ordered delivery with several workers: a thread per worker walks
 * its own ring, and the caller's thread merges what they keep by timestamp,
 * runs the callback and writes the file.
 *
 * What a capture costs is mostly reading the ring (headers another CPU has
 * just written) and the work per frame (VLAN tag, cooked header, user-space
 * filter, file record header). The worker threads do that, each on its own
 * ring; the merging thread reads only the compact entries they queue, and
 * the callback or the file sees one thread in timestamp order, as with one
 * worker.
 *
 * Hand-over: each worker has a single-producer, single-consumer queue of
 * entries (time, where the frame lies, lengths, metadata). The frame stays in
 * the ring: a block goes back to the kernel only when the merger is done with
 * every entry in it, which for a file means written. Entries carry the
 * worker's block sequence number, and the worker publishes how many blocks it
 * has finished, so the merger knows which blocks nobody needs any more; the
 * worker reads a block again only after the merger has given it back.
 *
 * Order: as in ring.c, the oldest head entry goes next once every other
 * queue shows an entry too. An empty queue stops holding the others back
 * once latency_ms has passed since the head's timestamp and its worker has
 * read its ring to the end since then (pick): a late worker thread delays
 * delivery but cannot break the order. A worker that must wait for room (its
 * queue full, or its whole ring out) sleeps until the merger moves on, which
 * it does within latency_ms, having written and given back what it could
 * before it slept: neither side waits for the other forever.
 *
 * Waking: each side sleeps (a worker in epoll on its socket, the merger in
 * poll) on an eventfd too, and says beforehand what it waits for; the other
 * side writes that eventfd only then. Idle, nobody wakes.
 *
 * Break: the group's break reaches every member. Each worker reads its
 * counters and takes from its ring exactly the packets counted, as ring.c's
 * drain does, then says it has finished; the merger delivers until every
 * queue is empty and every worker has finished. Counts then add up exactly,
 * per worker and in total.
 */
#include "config.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <linux/if_packet.h>
#include "lib.h"

/* Entries per worker: 0.3 s of a worker's share at 100k packets/s, fewer
 * packets than its ring holds, so that a slow merger makes the worker wait
 * (and the ring fill) rather than the queue hold the ring's blocks. */
#define Q_LEN 16384u
#define Q_MASK (Q_LEN - 1)
#define NO_IDX (~0u)

struct ent {
	uint64_t key;             /* tp_sec << 32 | tp_nsec: orders as the time does */
	uint8_t *data;            /* in the ring; for a file, its record header in front */
	uint32_t caplen, len;
	uint32_t blk;             /* the worker's block sequence number */
	int32_t ifindex;
	uint16_t vlan_tci, vlan_tpid;
	uint8_t direction, vlan_valid;
};

struct merge;

/* One worker's queue; each side writes only its own cache line. */
struct wq {
	/* the worker's */
	_Alignas(64) atomic_uint tail;
	atomic_uint done_blocks;     /* blocks finished: all their entries queued */
	atomic_int finished;         /* the worker has stopped (drained, or failed) */
	_Atomic uint64_t looked_ns;  /* when it last found no unread block in its ring */
	atomic_uint next_idx;        /* the block it was to read next then (NO_IDX: none yet) */
	int err;                     /* -errno the worker stopped with */
	/* the merger's */
	_Alignas(64) atomic_uint head;
	atomic_uint released;        /* blocks given back to the kernel */
	uint32_t tail_seen;          /* tail as last read */
	uint64_t look_seen;          /* looked_ns as last read */
	unsigned idx_seen;           /* next_idx as last read */
	int quiet;                   /* empty, and the worker still running */
	unsigned give_idx;           /* ring index of the next block to give back */
	/* what each side sleeps for */
	_Alignas(64) atomic_int merger_waits;  /* the merger: an entry in this queue */
	atomic_int worker_waits;     /* the worker: room (head or released moved) */
	struct merge *mg;
	struct sniff_capture *m;
	struct ent *e;
	pthread_t th;
	int started;
};

struct merge {
	struct sniff_capture *g;
	struct wq *q;
	int n;
	sniff_packet_cb cb;
	void *user;
	struct sniff_dumper *d;
	int err;                     /* first write error */
	int wake_fd;                 /* eventfd: the workers wake the merger */
	atomic_int abort;            /* stop at once (an error) */
	uint64_t window_ns;
	uint64_t timed_ns;           /* when a wait last ended by its timeout */
};

/* ---- the worker's side */

/* Queue what the ring holds, up to the queue's room and, when draining, the
 * counted packets. Returns 1 when the worker must wait for the merger to make
 * room in the queue or give blocks back. */
static int take(struct wq *q, uint32_t *blk, uint64_t *taken, uint64_t stop_at)
{
	struct sniff_capture *m = q->m;
	struct cap_ring *r = &m->ring;
	struct merge *mg = q->mg;
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	uint32_t room = Q_LEN - (tail - atomic_load_explicit(&q->head, memory_order_acquire));
	uint64_t now = realtime_ns();
	int meta = !mg->d, blocked = 0, read_all = 0;

	/* blocks out of our hands: ring_head reads no block the merger still has */
	r->held = *blk - atomic_load_explicit(&q->released, memory_order_acquire);
	while (*taken < stop_at) {
		struct tpacket3_hdr *h;
		struct sniff_pkthdr hdr;
		uint8_t *data;
		unsigned held = r->held;

		if (!room) {
			blocked = 1;
			break;
		}
		h = ring_head(r);
		*blk += r->held - held; /* empty blocks it stepped over */
		if (!h) {
			read_all = r->held < r->block_nr;
			blocked = !read_all;
			break;
		}
		if (ring_frame(m, h, meta, &hdr, &data)) {
			struct ent *e = &q->e[tail & Q_MASK];

			*e = (struct ent){
				.key = (uint64_t)h->tp_sec << 32 | h->tp_nsec,
				.data = data,
				.caplen = hdr.caplen,
				.len = hdr.len,
				.blk = *blk,
				.ifindex = hdr.ifindex,
				.vlan_tci = hdr.vlan_tci,
				.vlan_tpid = hdr.vlan_tpid,
				.direction = hdr.direction,
				.vlan_valid = hdr.vlan_valid,
			};
			if (mg->d)
				dumper_put_hdr(mg->d, h->tp_sec, h->tp_nsec, hdr.caplen, hdr.len,
					       data);
			tail++;
			room--;
		}
		++*taken;
		held = r->held;
		ring_next(r, 1);
		*blk += r->held - held;
	}
	/* Sequentially consistent, as the merger's "I wait" and its second
	 * look: one of the two sides sees the other, so no wake-up is lost. */
	atomic_store(&q->tail, tail);
	atomic_store(&q->done_blocks, *blk); /* after tail: give_back() */
	if (read_all) {
		atomic_store(&q->looked_ns, now); /* after tail: pick() */
		atomic_store(&q->next_idx, r->block);
	}
	if (atomic_load(&q->merger_waits) &&
	    atomic_exchange(&q->merger_waits, 0))
		cap_poke(mg->wake_fd);
	return blocked;
}

/* Sleep until the merger has made room or given blocks back (or a break or
 * an abort). No poke: the merger writes its batch and gives back what it can
 * before it sleeps, and takes a waiting queue's entries within latency_ms. */
static void wait_merger(struct wq *q, uint32_t blk)
{
	struct sniff_capture *m = q->m;
	struct pollfd p = { m->wake_fd, POLLIN, 0 };
	uint32_t head = atomic_load(&q->head), rel = atomic_load(&q->released);

	atomic_store(&q->worker_waits, 1); /* then look again: see take() */
	if (atomic_load(&q->head) == head && atomic_load(&q->released) == rel &&
	    (blk - rel >= m->ring.block_nr || atomic_load(&q->tail) - head >= Q_LEN) &&
	    !atomic_load(&m->break_req) && !atomic_load(&q->mg->abort))
		poll(&p, 1, -1);
	atomic_store(&q->worker_waits, 0);
	cap_unpoke(m->wake_fd); /* a break or an abort stays in its flag */
}

/* The worker sleeps in epoll, edge-triggered on its socket: a packet socket
 * polls readable while the block before the one the kernel fills is not the
 * kernel's, and that is the case as long as the merger still has the last
 * block the worker read; what the worker waits for is the next block handed
 * over, which the kernel signals once (TPACKET_V3 wakes readers when it
 * closes a block). */
static int worker_poll_fd(struct sniff_capture *m)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	int fd = epoll_create1(EPOLL_CLOEXEC);

	if (fd < 0)
		return -errno;
	ev.data.fd = m->fd;
	if (epoll_ctl(fd, EPOLL_CTL_ADD, m->fd, &ev) == 0) {
		ev.events = EPOLLIN;
		ev.data.fd = m->wake_fd;
		if (epoll_ctl(fd, EPOLL_CTL_ADD, m->wake_fd, &ev) == 0)
			return fd;
	}
	ev.data.fd = -errno;
	close(fd);
	return ev.data.fd;
}

static void *worker_main(void *arg)
{
	struct wq *q = arg;
	struct sniff_capture *m = q->m;
	struct merge *mg = q->mg;
	uint64_t taken = m->st.captured + m->skipped, stop_at = UINT64_MAX, before;
	uint32_t blk = 0;
	int64_t deadline = 0;
	int draining = 0, efd = worker_poll_fd(m);

	if (efd < 0) {
		q->err = efd;
		lib_log(SNIFF_LOG_ERROR, "%s: epoll: %s", m->ifname, strerror(-efd));
	}
	while (efd >= 0 && !atomic_load(&mg->abort)) {
		struct epoll_event ev[2];
		int i, n, wait_ms = -1;

		if (!draining && atomic_load(&m->break_req)) {
			cap_break_clear(m);
			q->err = ring_count_now(m);
			if (q->err)
				break;
			stop_at = m->stop_at;
			draining = 1;
		}
		before = taken;
		if (take(q, &blk, &taken, stop_at)) {
			wait_merger(q, blk);
			deadline = 0; /* waiting for the merger is not the kernel's time */
			continue;
		}
		if (taken >= stop_at)
			break;
		if (draining) {
			/* the time allowed runs from the last packet taken */
			if (!deadline || taken != before)
				deadline = mono_ms() + DRAIN_MS(mg->g->opts.latency_ms);
			wait_ms = (int)(deadline - mono_ms());
			if (wait_ms <= 0) {
				lib_log(SNIFF_LOG_WARN, "%s: %llu counted packets not found in the "
					"ring", m->ifname, (unsigned long long)(stop_at - taken));
				break;
			}
		}
		n = epoll_wait(efd, ev, 2, wait_ms);
		if (n < 0 && errno != EINTR) {
			q->err = -errno;
			break;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.fd == m->wake_fd)
				cap_unpoke(m->wake_fd); /* a break or an abort stays in its flag */
			else if (ev[i].events & (EPOLLERR | EPOLLHUP))
				q->err = ring_sock_error(m);
		}
		if (q->err)
			break;
	}
	if (efd >= 0)
		close(efd);
	atomic_store(&q->finished, 1);
	cap_poke(mg->wake_fd);
	return NULL;
}

/* ---- the merger's side */

/* Give back the blocks of Q whose entries the merger is done with. */
static void give_back(struct wq *q)
{
	struct cap_ring *r = &q->m->ring;
	uint32_t done = atomic_load_explicit(&q->done_blocks, memory_order_acquire);
	uint32_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	uint32_t rel = atomic_load_explicit(&q->released, memory_order_relaxed);
	/* every block before the first pending entry's is finished with; done
	 * was read first, so the entries of its blocks are all in tail */
	uint32_t upto = head != tail ? q->e[head & Q_MASK].blk : done;

	if (upto != rel) {
		for (; rel != upto; rel++) {
			ring_give_back(r, q->give_idx);
			q->give_idx = (q->give_idx + 1) % r->block_nr;
		}
		atomic_store(&q->released, rel);
	}
	/* the worker may wait for room in the queue too: head moved (emit
	 * stored it sequentially consistent, as released: see take()) */
	if (atomic_load(&q->worker_waits) &&
	    atomic_exchange(&q->worker_waits, 0))
		cap_poke(q->m->wake_fd);
}

/* Write the batch (for a file), then give back every block nobody needs. */
static void settle(struct merge *mg)
{
	int i;

	if (mg->d) {
		int err = dumper_commit(mg->d);

		if (err && !mg->err)
			mg->err = err;
	}
	for (i = 0; i < mg->n; i++)
		if (mg->q[i].e)
			give_back(&mg->q[i]);
}

static uint64_t key_ns(uint64_t key)
{
	return (key >> 32) * 1000000000u + (uint32_t)key;
}

static uint64_t ns_key(uint64_t ns)
{
	return (ns / 1000000000u) << 32 | ns % 1000000000u;
}

/* The time before which no packet can come any more from the worker of an
 * empty queue Q, as far as the merger can tell without waking it. Its last
 * look: a packet may wait in the open block up to a block timeout (half of
 * latency_ms) and the timer may be late, so latency_ms before the look.
 * Better, when the block it was to read next is still the kernel's (it has
 * read everything handed over): nothing older than that block's opening
 * can come, or than now if the block is empty, less the other half of
 * latency_ms for the time between a packet's timestamp and its place in the
 * ring. */
static uint64_t quiet_bound(const struct merge *mg, struct wq *q, uint64_t now)
{
	uint64_t b = q->look_seen > mg->window_ns ? q->look_seen - mg->window_ns : 0, opened = 0;
	unsigned npkts;

	if (q->idx_seen != NO_IDX && ring_peek(&q->m->ring, q->idx_seen, &npkts, &opened)) {
		uint64_t p = (npkts ? opened : now) - mg->window_ns / 2;

		if (p > b)
			b = p;
	}
	return b;
}

/* The queue whose head goes next, with *LIMIT the key up to which it may run;
 * -1 when none may go yet: then wait at most *WAIT_MS (-1: until a worker
 * wakes us). *BUSY: queues still to hear from. An empty queue holds the others
 * back up to its quiet_bound(). When that holds the head, the merger waits
 * until the bound of a worker whose ring is empty passes the head, but for at
 * least a block timeout after such a wait last ended: a lone packet is
 * delivered about half of latency_ms after its time stamp, and while packets
 * come to one worker only, the merger wakes once per block timeout, each
 * packet still within latency_ms. Should the head reach latency_ms, the
 * workers holding it back are asked to look again. */
static int pick(struct merge *mg, int draining, uint64_t *limit, int *wait_ms, int *busy)
{
	uint64_t best_key = 0, second = UINT64_MAX;
	int i, best = -1, empty = 0;

	*wait_ms = -1;
	*busy = 0;
	for (i = 0; i < mg->n; i++) {
		struct wq *q = &mg->q[i];
		uint32_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
		uint64_t k;

		if (head == q->tail_seen) {
			/* finished and looked first: their entries are in tail then */
			int fin = atomic_load_explicit(&q->finished, memory_order_acquire);

			q->look_seen = atomic_load_explicit(&q->looked_ns, memory_order_acquire);
			q->idx_seen = atomic_load_explicit(&q->next_idx, memory_order_acquire);
			q->tail_seen = atomic_load_explicit(&q->tail, memory_order_acquire);
			q->quiet = head == q->tail_seen && !fin;
			if (head == q->tail_seen) {
				empty += q->quiet;
				*busy += q->quiet;
				continue;
			}
		}
		q->quiet = 0;
		++*busy;
		k = q->e[head & Q_MASK].key;
		if (best < 0 || k < best_key) {
			if (best >= 0)
				second = best_key;
			best = i;
			best_key = k;
		} else if (k < second) {
			second = k;
		}
	}
	if (best < 0 || (empty && draining))
		return -1; /* draining: every counted packet comes, wait for all */
	if (empty) {
		uint64_t now = realtime_ns(), bound = UINT64_MAX, need;

		/* Stamped more than the window after now: the clock was set back
		 * since. Until it catches up, time tells nothing about the silent
		 * workers; waiting for it would stall the capture (for as long as
		 * the step) and the rings would overflow. */
		if (key_ns(best_key) > now + mg->window_ns) {
			*limit = second;
			return best;
		}
		for (i = 0; i < mg->n; i++)
			if (mg->q[i].quiet) {
				uint64_t b = quiet_bound(mg, &mg->q[i], now);

				if (b < bound)
					bound = b;
			}
		if (key_ns(best_key) > bound) {
			/* when the bound of a worker with an empty block passes
			 * the head, but not sooner than a block timeout after the
			 * last such wake-up */
			need = key_ns(best_key) + mg->window_ns / 2;
			/* (a wait that ended after now: before a clock step back) */
			if (need < mg->timed_ns + mg->window_ns / 2 && mg->timed_ns <= now)
				need = mg->timed_ns + mg->window_ns / 2;
			/* else the workers hand over soon, or are asked to */
			if (now >= need)
				need = key_ns(best_key) + mg->window_ns;
			if (now < need) {
				*wait_ms = (int)((need - now + 999999u) / 1000000u);
				return -1;
			}
			for (i = 0; i < mg->n; i++)
				if (mg->q[i].quiet && quiet_bound(mg, &mg->q[i], now) < key_ns(best_key))
					cap_poke(mg->q[i].m->wake_fd); /* look again */
			return -1;
		}
		if (ns_key(bound) < second)
			second = ns_key(bound);
	}
	*limit = second;
	return best;
}

/* Deliver Q's entries up to key LIMIT; returns how many. */
static long emit(struct merge *mg, struct wq *q, uint64_t limit)
{
	struct sniff_capture *m = q->m;
	uint32_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	long got = 0, all = 0;

	do {
		const struct ent *e = &q->e[head & Q_MASK];

		if (mg->d) {
			int r = dumper_add_rec(mg->d, e->data, e->caplen);

			head++;
			got++;
			if (r) {
				if (r < 0 && !mg->err)
					mg->err = r;
				atomic_store(&q->head, head);
				m->st.captured += (uint64_t)got;
				all += got;
				got = 0;
				settle(mg);
				if (mg->err)
					return all;
			}
		} else {
			struct sniff_pkthdr hdr = {
				.ts_ns = key_ns(e->key),
				.caplen = e->caplen,
				.len = e->len,
				.ifindex = e->ifindex,
				.direction = e->direction,
				.vlan_valid = e->vlan_valid,
				.vlan_tci = e->vlan_tci,
				.vlan_tpid = e->vlan_tpid,
			};

			mg->cb(mg->user, &hdr, e->data);
			head++;
			got++;
		}
	} while (head != q->tail_seen && q->e[head & Q_MASK].key <= limit);
	atomic_store(&q->head, head);
	m->st.captured += (uint64_t)got;
	if (!mg->d)
		give_back(q);
	return all + got;
}

/* Sleep until WAIT_MS has passed, a worker finishes, or a break; with no
 * time set (-1), until an empty queue gets an entry. With a time set, a
 * worker handing over does not wake the merger: while packets come to every
 * worker, the timer set when one queue ran dry (pick) then finds the next
 * hand-over of every worker, one wake-up for all instead of one each. */
static int merger_wait(struct merge *mg, int wait_ms)
{
	struct pollfd p[2] = { { mg->wake_fd, POLLIN, 0 }, { mg->g->wake_fd, POLLIN, 0 } };
	int i, again = 0;

	settle(mg); /* going idle: the file is complete up to here */
	for (i = 0; wait_ms < 0 && i < mg->n; i++) {
		struct wq *q = &mg->q[i];

		if (atomic_load(&q->head) == q->tail_seen && !atomic_load(&q->finished))
			atomic_store(&q->merger_waits, 1); /* then look again: see take() */
	}
	for (i = 0; i < mg->n; i++) {
		struct wq *q = &mg->q[i];

		again |= atomic_load(&q->merger_waits) &&
			(atomic_load(&q->tail) != atomic_load(&q->head) ||
			 atomic_load(&q->looked_ns) != q->look_seen);
	}
	if (!again) {
		int n = poll(p, 2, wait_ms);

		if (n < 0 && errno != EINTR) {
			lib_log(SNIFF_LOG_ERROR, "%s: poll: %s", mg->g->ifname, strerror(errno));
			return -errno;
		}
		if (!n)
			mg->timed_ns = realtime_ns();
	}
	for (i = 0; i < mg->n; i++)
		atomic_store(&mg->q[i].merger_waits, 0);
	cap_unpoke(mg->wake_fd);
	if (atomic_load(&mg->g->break_req))
		cap_unpoke(mg->g->wake_fd); /* else poll would not sleep while draining */
	return 0;
}

static void stop_workers(struct merge *mg)
{
	int i;

	atomic_store(&mg->abort, 1);
	for (i = 0; i < mg->n; i++)
		if (mg->q[i].started)
			cap_poke(mg->q[i].m->wake_fd);
	for (i = 0; i < mg->n; i++)
		if (mg->q[i].started)
			pthread_join(mg->q[i].th, NULL);
}

static int merge_start(struct merge *mg)
{
	struct sniff_capture *g = mg->g;
	sigset_t all, old;
	int i, e = 0;

	/* aligned: each side's counters on a cache line of their own */
	mg->q = aligned_alloc(_Alignof(struct wq), (size_t)mg->n * sizeof(*mg->q));
	mg->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!mg->q || mg->wake_fd < 0)
		return -ENOMEM;
	memset(mg->q, 0, (size_t)mg->n * sizeof(*mg->q));
	for (i = 0; i < mg->n; i++) {
		mg->q[i].mg = mg;
		mg->q[i].m = g->memb[i];
		atomic_store(&mg->q[i].next_idx, NO_IDX);
		mg->q[i].idx_seen = NO_IDX;
	}
	for (i = 0; i < mg->n; i++) {
		struct wq *q = &mg->q[i];

		q->e = malloc(Q_LEN * sizeof(*q->e));
		if (!q->e)
			return -ENOMEM;
		/* the blocks a previous loop kept, then block sequence 0 is the
		 * one the ring is at */
		ring_release(&q->m->ring);
		q->give_idx = q->m->ring.block;
		q->m->hold_stats = 0;
	}
	/* signals stay with the application's threads: its handler (which may
	 * call sniff_capture__break) runs where it expects */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < mg->n; i++) {
		e = pthread_create(&mg->q[i].th, NULL, worker_main, &mg->q[i]);
		if (e) {
			lib_log(SNIFF_LOG_ERROR, "%s: cannot start worker %d: %s", g->ifname, i,
				strerror(e));
			break;
		}
		mg->q[i].started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -e;
}

/* After the threads have ended: no block stays out of the kernel's hands
 * (entries left by an error are dropped with them), the member loops start
 * from a clean state, and the breaks are consumed. */
static void merge_end(struct merge *mg)
{
	int i;

	for (i = 0; mg->q && i < mg->n; i++) {
		struct wq *q = &mg->q[i];

		if (q->e) {
			atomic_store(&q->head, atomic_load(&q->tail));
			give_back(q);
			q->m->ring.held = 0;
		}
		free(q->e);
		cap_break_clear(q->m);
	}
	free(mg->q);
	if (mg->wake_fd >= 0)
		close(mg->wake_fd);
	cap_break_clear(mg->g);
}

long merge_run(struct sniff_capture *g, sniff_packet_cb cb, void *user, struct sniff_dumper *d)
{
	struct merge mg = {
		.g = g, .n = g->nmemb, .cb = cb, .user = user, .d = d, .wake_fd = -1,
		.window_ns = (uint64_t)g->opts.latency_ms * 1000000u,
	};
	long got = 0;
	int i, err, draining = 0;

	g->hold_stats = 0;
	err = merge_start(&mg);
	while (!err && !mg.err) {
		uint64_t limit;
		int busy, wait_ms;

		if (!draining && atomic_load(&g->break_req))
			draining = 1; /* the workers saw it too: their drain ends them */
		i = pick(&mg, draining, &limit, &wait_ms, &busy);
		if (i >= 0) {
			got += emit(&mg, &mg.q[i], limit);
			continue;
		}
		for (i = 0; i < mg.n; i++)
			if (atomic_load(&mg.q[i].finished) && mg.q[i].err && !err)
				err = mg.q[i].err;
		if (err || !busy)
			break; /* a worker failed, or all have drained and been delivered */
		err = merger_wait(&mg, wait_ms);
	}
	if (mg.q)
		settle(&mg);
	stop_workers(&mg);
	merge_end(&mg);
	if (mg.err) {
		lib_log(SNIFF_LOG_ERROR, "writing the capture file: %s", strerror(-mg.err));
		return mg.err;
	}
	return err ? err : got;
}
