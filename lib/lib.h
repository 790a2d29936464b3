/* lib.h - internal interface of the capture engine and the public API around it.
 *
 * Sections, one per file:
 *   errors.c    the one log path (lib_log), sniff_strerror, sniff_version
 *   linktype.c  DLT names and descriptions (tcpdump -y, pcap_datalink_val_to_*)
 *   capture.c   live capture handles: AF_PACKET socket, filter, activation,
 *               and the public sniff_capture__* methods
 *   ring.c      the TPACKET_V3 ring: set-up, packet loop over one or several
 *               rings (merged in timestamp order), exact statistics
 *   workers.c   several sockets in one PACKET_FANOUT group, worker threads
 *   merge.c     ordered delivery from several workers: a thread per ring,
 *               one merging thread that runs the callback or writes the file
 *   cooked.c    LINUX_SLL2 capture ("any"): kernel program rewrite, header
 *   offline.c   pcap/pcapng files through libpcap's savefile reader
 *   dumper.c    pcap files through libpcap's savefile writer
 *
 * A capture handle is either live or offline; the public sniff_capture__*
 * methods live in capture.c and hand offline handles to offline.c.
 */
#ifndef SNIFF_LIB_H
#define SNIFF_LIB_H

#include <stdatomic.h>
#include <stdint.h>
#include "sniff.h"

/* ---- errors.c */
void lib_log(enum sniff_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- capture.c / offline.c: the handle */
enum cap_kind {
	CAP_LIVE,    /* AF_PACKET socket + ring */
	CAP_OFFLINE, /* pcap_t from pcap_open_offline */
};

struct cap_ring {
	uint8_t *map;          /* mmap'ed blocks */
	size_t map_len;
	unsigned block_size, block_nr;
	unsigned block;        /* the block to read next */
	unsigned pkt_left;     /* packets of the current user block not delivered yet */
	uint8_t *pkt;          /* next packet in the current user block (NULL: none open) */
	uint8_t *pf, *pf_end;  /* prefetched up to pf, of the current block's data */
	unsigned held;         /* blocks read but kept from the kernel: their data is
				  referenced by records not written yet (dump) */
	int timed_out;         /* the block read last was handed over by the retire
				  timer, not because it was full */
};

struct sniff_capture {
	enum cap_kind kind;
	int linktype;
	uint32_t snaplen;
	atomic_int break_req;        /* set by sniff_capture__break */
	struct sniff_stats st;       /* what sniff_capture__stats reports */

	/* live */
	int fd;                      /* AF_PACKET socket */
	int wake_fd;                 /* eventfd poked by sniff_capture__break */
	int ifindex;
	char ifname[16];
	int is_loopback;
	int activated;
	int has_filter;              /* a program is attached */
	int cooked;                  /* SOCK_DGRAM: we build LINUX_SLL2 headers */
	int lo_ifindex;              /* cooked "any": drop lo's outgoing copies */
	int skip_outgoing;           /* drop PACKET_OUTGOING entries here (no kernel option) */
	int hold_stats;              /* a loop ended by break: cap->st is its exact snapshot */
	int prog_fd;                 /* the attached eBPF filter, -1 when classic or none */
	uint64_t skipped;            /* packets the kernel counted but we did not deliver */
	struct sniff_capture_opts opts;
	struct cap_ring ring;
	uint64_t stop_at;            /* drain: deliver no entry past this count */

	/* workers: a live handle is a group of member handles, each with its own
	 * socket, filter and ring. With one worker the handle is its own member. */
	struct sniff_capture **memb;
	int nmemb;
	struct sniff_capture *self;  /* memb when there is one member */

	/* offline, and live cooked captures whose filter the kernel cannot run */
	void *pcap;                  /* pcap_t */
	struct sniff_prog prog;      /* run with sniff_prog_run; len 0: none */
};

/* ---- capture.c */
struct sniff_capture *cap_new_offline(void);
void cap_break_clear(struct sniff_capture *cap); /* after a loop saw a break */
void cap_poke(int fd);                           /* eventfd wake-ups: post one */
void cap_unpoke(int fd);                         /* take them */

#define SNIFF_MAX_WORKERS 64

/* ---- capture.c: one member's life (workers.c builds groups of them) */
struct sniff_capture *live_open(const char *ifname, const struct sniff_capture_opts *opts);
int live_set_prog(struct sniff_capture *m, const struct sniff_prog *prog, char *log,
		  size_t log_sz);
int live_activate(struct sniff_capture *m, int fanout_arg);
void cap_free(struct sniff_capture *cap);

/* ---- ring.c */
int ring_setup(struct sniff_capture *cap);
void ring_teardown(struct sniff_capture *cap);
/* Deliver from the rings of members M[0..N-1] (merged in timestamp order when
 * N > 1) to CB, or write to D when D is not NULL, until COUNT packets or a
 * break of GROUP (which is then drained: see ring.c). */
long ring_run(struct sniff_capture *group, struct sniff_capture **m, int n, long count,
	      sniff_packet_cb cb, void *user, struct sniff_dumper *d);
int ring_stats_pull(struct sniff_capture *cap);  /* add PACKET_STATISTICS to cap->st */
int ring_count_now(struct sniff_capture *cap);   /* a drain's target: cap->stop_at */
/* The pieces of the loop merge.c's worker threads share: the entry at the
 * head (NULL: no block ready, or r->held blocks already out), the step past
 * it (a finished block counts in r->held; given back at once unless HOLD),
 * the frame as delivered (0: skipped, counted), giving blocks back. */
struct tpacket3_hdr;
struct tpacket3_hdr *ring_head(struct cap_ring *r);
void ring_next(struct cap_ring *r, int hold);
int ring_frame(struct sniff_capture *cap, struct tpacket3_hdr *h, int meta,
	       struct sniff_pkthdr *hdr, uint8_t **data);
void ring_release(struct cap_ring *r);           /* the r->held blocks behind r->block */
void ring_give_back(struct cap_ring *r, unsigned i);
int ring_peek(struct cap_ring *r, unsigned i, unsigned *npkts, uint64_t *opened_ns);
int ring_sock_error(struct sniff_capture *cap);  /* log why the socket failed; -errno */
/* How long a drain waits for counted packets after the last one it took. */
#define DRAIN_MS(latency_ms) (4 * (int64_t)(latency_ms) + 200)
uint64_t realtime_ns(void);
int64_t mono_ms(void);

/* ---- merge.c: ORDERED delivery with several workers, a thread per ring */
long merge_run(struct sniff_capture *group, sniff_packet_cb cb, void *user,
	       struct sniff_dumper *d);

/* ---- workers.c */
int workers_open(struct sniff_capture *group, const char *ifname);
int workers_activate(struct sniff_capture *group);
long workers_loop(struct sniff_capture *group, long count, sniff_packet_cb cb, void *user);

/* ---- dumper.c: records referenced in place, written by dumper_commit.
 * dumper_add_ref_ts writes the record header into the DUMPER_ROOM bytes in
 * front of DATA, with the time as the ring gives it (seconds, nanoseconds:
 * no 64-bit multiply and divide per packet); it returns 1 when the caller
 * must commit now, 0, or -errno. */
#define DUMPER_ROOM 16                 /* struct pcap_sf_pkthdr */
int dumper_add_ref_ts(struct sniff_dumper *d, uint32_t sec, uint32_t nsec, uint32_t caplen,
		      uint32_t len, uint8_t *data);
/* The same in two steps, so that another thread can write the header:
 * dumper_put_hdr reads nothing of D but its precision. */
void dumper_put_hdr(const struct sniff_dumper *d, uint32_t sec, uint32_t nsec, uint32_t caplen,
		    uint32_t len, uint8_t *data);
int dumper_add_rec(struct sniff_dumper *d, uint8_t *data, uint32_t caplen);
int dumper_commit(struct sniff_dumper *d);

/* ---- cooked.c */
#define COOKED_HDR_LEN 20            /* struct sll2_header */
struct sockaddr_ll;
/* IN compiled for LINUX_SLL2 -> the same decisions on header-less kernel data;
 * -EOPNOTSUPP when only user space can run it. */
int cooked_fix_prog(const struct sniff_prog *in, struct sniff_prog *out);
/* Write the SLL2 header in the COOKED_HDR_LEN bytes before NET; returns its start. */
uint8_t *cooked_header(uint8_t *net, const struct sockaddr_ll *sll);

/* ---- offline.c: the offline half of the sniff_capture__* methods */
int off_set_prog(struct sniff_capture *cap, const struct sniff_prog *prog);
int off_set_filter(struct sniff_capture *cap, const char *expr, int optimize,
		   struct sniff_error *err);
long off_loop(struct sniff_capture *cap, long count, sniff_packet_cb cb, void *user);
void off_close(struct sniff_capture *cap);

#endif /* SNIFF_LIB_H */
