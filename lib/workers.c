/* workers.c - one capture on several sockets: every member has its own
 * AF_PACKET socket, filter and ring, and the kernel spreads the packets over
 * them through one PACKET_FANOUT group.
 *
 * Each member is set up exactly like a single capture (socket, filter, ring,
 * bind) and joins the group right after its bind: from then on the group picks
 * the socket and that socket's own filter decides. The group id comes from the
 * kernel (PACKET_FANOUT_FLAG_UNIQUEID on the first member), so two captures
 * never share a group by accident.
 *
 * Delivery: ORDERED (and sniff_capture__dump) gives every member a thread
 * that walks its ring and the caller's thread the merge (merge.c); a
 * count-limited loop merges the rings on the caller's thread alone (ring.c).
 * SERIAL and PARALLEL give every member a thread of its own running the
 * single-ring loop; SERIAL wraps the callback in a lock.
 */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include "lib.h"

int workers_open(struct sniff_capture *g, const char *ifname)
{
	struct sniff_capture *m0;
	int i, n = g->opts.workers;

	g->memb = calloc((size_t)n, sizeof(*g->memb));
	if (!g->memb) {
		g->memb = &g->self;
		return -ENOMEM;
	}
	g->nmemb = n;
	for (i = 0; i < n; i++) {
		g->memb[i] = live_open(ifname, &g->opts);
		if (!g->memb[i])
			return -errno;
	}
	m0 = g->memb[0];
	g->linktype = m0->linktype;
	g->snaplen = m0->snaplen;
	g->ifindex = m0->ifindex;
	g->is_loopback = m0->is_loopback;
	g->cooked = m0->cooked;
	g->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return g->wake_fd < 0 ? -errno : 0;
}

static int fanout_type(enum sniff_fanout f)
{
	switch (f) {
	case SNIFF_FANOUT_LB:
		return PACKET_FANOUT_LB;
	case SNIFF_FANOUT_CPU:
		return PACKET_FANOUT_CPU;
	case SNIFF_FANOUT_ROLLOVER:
		return PACKET_FANOUT_ROLLOVER;
	case SNIFF_FANOUT_HASH:
	default:
		/* fragments of one datagram hash alike only once reassembled */
		return PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
	}
}

int workers_activate(struct sniff_capture *g)
{
	int type = fanout_type(g->opts.fanout), id = 0, i, err;

	for (i = 0; i < g->nmemb; i++) {
		struct sniff_capture *m = g->memb[i];
		int arg, flags = i == 0 ? PACKET_FANOUT_FLAG_UNIQUEID : 0;
		socklen_t len = sizeof(arg);

		err = live_activate(m, 1);
		if (err)
			return err;
		/* unsigned: the DEFRAG flag reaches bit 31 */
		arg = (int)((uint32_t)id | ((uint32_t)(type | flags) << 16));
		if (setsockopt(m->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) < 0) {
			err = -errno;
			lib_log(SNIFF_LOG_ERROR, "%s: joining the fanout group (worker %d): %s",
				g->ifname, i, sniff_strerror(err));
			return err;
		}
		if (i == 0) {
			if (getsockopt(m->fd, SOL_PACKET, PACKET_FANOUT, &arg, &len) < 0) {
				err = -errno;
				lib_log(SNIFF_LOG_ERROR, "%s: reading the fanout group id: %s",
					g->ifname, sniff_strerror(err));
				return err;
			}
			id = arg & 0xffff;
		}
	}
	g->activated = 1;
	return 0;
}

struct worker {
	struct sniff_capture *g, *m;
	sniff_packet_cb cb;
	void *user;
	pthread_mutex_t *lock;      /* SERIAL */
	long ret;
	pthread_t th;
	int started;
};

static void serial_cb(void *user, const struct sniff_pkthdr *h, const uint8_t *data)
{
	struct worker *w = user;

	pthread_mutex_lock(w->lock);
	w->cb(w->user, h, data);
	pthread_mutex_unlock(w->lock);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	w->ret = ring_run(w->m, &w->m, 1, 0, w->lock ? serial_cb : w->cb,
			  w->lock ? (void *)w : w->user, NULL);
	if (w->ret < 0)
		sniff_capture__break(w->g); /* one worker failed: stop them all */
	return NULL;
}

long workers_loop(struct sniff_capture *g, long count, sniff_packet_cb cb, void *user)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct worker *w;
	long total = 0, err = 0;
	int i;

	(void)count; /* count-limited loops run merged, on one thread */
	w = calloc((size_t)g->nmemb, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (i = 0; i < g->nmemb; i++) {
		w[i].g = g;
		w[i].m = g->memb[i];
		w[i].cb = cb;
		w[i].user = user;
		w[i].lock = g->opts.delivery == SNIFF_DELIVER_SERIAL ? &lock : NULL;
	}
	for (i = 1; i < g->nmemb; i++) {
		int e = pthread_create(&w[i].th, NULL, worker_run, &w[i]);

		if (e) {
			lib_log(SNIFF_LOG_ERROR, "%s: cannot start worker %d: %s", g->ifname, i,
				strerror(e));
			err = -e;
			sniff_capture__break(g);
			break;
		}
		w[i].started = 1;
	}
	worker_run(&w[0]);
	for (i = 1; i < g->nmemb; i++)
		if (w[i].started)
			pthread_join(w[i].th, NULL);
	for (i = 0; i < g->nmemb; i++) {
		if (w[i].ret < 0 && !err)
			err = w[i].ret;
		else if (w[i].ret > 0)
			total += w[i].ret;
	}
	free(w);
	cap_break_clear(g);
	return err ? err : total;
}
