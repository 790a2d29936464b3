/* sniff.h - public API of libsniff: filter compiler, classic and eBPF
 * programs, live capture on Linux AF_PACKET sockets, pcap files.
 *
 * Conventions (see docs/ and libsniff(3)):
 *  - every exported symbol starts with sniff_ and carries SNIFF_API;
 *  - functions returning int give 0 (or a count/fd) on success, -errno on failure;
 *  - functions returning pointers give NULL and set errno on failure;
 *  - option structs start with `size_t sz`; declare them with SNIFF_OPTS() so that
 *    new fields added later never break old callers.
 */
#ifndef SNIFF_H
#define SNIFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SNIFF_API __attribute__((visibility("default")))

#define SNIFF_VERSION_MAJOR 0
#define SNIFF_VERSION_MINOR 1
#define SNIFF_VERSION_PATCH 0

/* Declare and zero an options struct with its size filled in:
 *   SNIFF_OPTS(sniff_compile_opts, o, .optimize = 1);                        */
#define SNIFF_OPTS(TYPE, NAME, ...) \
	struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }

SNIFF_API const char *sniff_version(void);
/* Text for a -errno (or errno) value, including sniff's own codes. */
SNIFF_API const char *sniff_strerror(int err);

/* Log levels and the one log path: every diagnostic the library prints goes
 * through this callback (default: warnings and errors to stderr). Worker
 * threads log too, but never two calls at once. */
enum sniff_log_level { SNIFF_LOG_ERROR, SNIFF_LOG_WARN, SNIFF_LOG_INFO, SNIFF_LOG_DEBUG };
typedef void (*sniff_log_fn)(enum sniff_log_level level, const char *msg, void *ctx);
SNIFF_API void sniff_set_log(sniff_log_fn fn, void *ctx);

/* ------------------------------------------------------------------------
 * Link types: the pcap DLT_* values (what pcap_datalink() returns).
 */
enum sniff_linktype {
	SNIFF_DLT_NULL = 0,        /* BSD loopback, host-order AF */
	SNIFF_DLT_EN10MB = 1,      /* Ethernet */
	SNIFF_DLT_RAW = 12,        /* raw IPv4/IPv6 (LINKTYPE_RAW 101 in files) */
	SNIFF_DLT_LOOP = 108,      /* OpenBSD loopback, network-order AF */
	SNIFF_DLT_LINUX_SLL = 113, /* Linux cooked v1 */
	SNIFF_DLT_IPV4 = 228,
	SNIFF_DLT_IPV6 = 229,
	SNIFF_DLT_LINUX_SLL2 = 276, /* Linux cooked v2 */
};
/* Name as tcpdump -y takes it ("EN10MB") <-> value; -1/NULL if unknown. */
SNIFF_API int sniff_linktype_from_name(const char *name);
SNIFF_API const char *sniff_linktype_name(int linktype);
SNIFF_API const char *sniff_linktype_description(int linktype);

/* ------------------------------------------------------------------------
 * Errors with a place: filter compile errors, validator errors.
 */
struct sniff_error {
	int column;      /* 1-based column in the expression, 0 when none */
	int length;      /* characters to underline, >= 1 when column > 0 */
	char msg[256];   /* one line, no trailing newline */
};
/* Print "PREFIX: filter error at column N: MSG\n  EXPR\n  ^^^\n" style text. */
SNIFF_API void sniff_error_print(FILE *out, const char *prefix, const char *expr,
				 const struct sniff_error *err);

/* ------------------------------------------------------------------------
 * Classic BPF programs (same layout as struct sock_filter / struct bpf_insn).
 */
struct sniff_insn {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

struct sniff_prog {
	unsigned int len;
	struct sniff_insn *insns;
};

enum sniff_filter_mode {
	SNIFF_MODE_SAVEFILE = 0, /* VLAN tags inline in the data (files, -r) */
	SNIFF_MODE_LINUX = 1,    /* live Linux socket: VLAN and direction via ancillary loads */
};

#define SNIFF_NETMASK_UNKNOWN 0xffffffffu
#define SNIFF_DEFAULT_SNAPLEN 262144u

struct sniff_compile_opts {
	size_t sz;
	uint32_t snaplen;             /* 0: SNIFF_DEFAULT_SNAPLEN */
	uint32_t netmask;             /* host order; 0 is read as SNIFF_NETMASK_UNKNOWN */
	int optimize;                 /* non-zero: run the optimizer */
	enum sniff_filter_mode mode;
	const char *names_dir;        /* NULL: /etc; else a folder with hosts, ethers,
					 networks, services, protocols files */
	/* sniff_ebpf_compile only: the classic `len` (less, greater, len) reads
	 * the __sk_buff's cb[0], where sniff_ebpf_test_run_len puts a file's
	 * wire length; a live socket would give skb->len, which BPF_PROG_TEST_RUN
	 * can only make the captured length */
	int wirelen_in_cb;
};
#define sniff_compile_opts__last_field wirelen_in_cb

/* Compile EXPR for LINKTYPE. On error returns -EINVAL (or -ENOMEM...) and fills
 * *err (when err != NULL). prog->insns is malloc'ed: free with sniff_prog_free. */
SNIFF_API int sniff_compile(const char *expr, int linktype,
			    const struct sniff_compile_opts *opts,
			    struct sniff_prog *prog, struct sniff_error *err);
SNIFF_API void sniff_prog_free(struct sniff_prog *prog);

/* The kernel's bpf_check_classic rules: 0 or -EINVAL with the reason and the
 * instruction index (in err->column, 0-based + 1). Up to 4096 (BPF_MAXINSNS)
 * instructions: what SO_ATTACH_FILTER accepts. */
SNIFF_API int sniff_prog_validate(const struct sniff_prog *prog, struct sniff_error *err);
/* sniff_compile() may produce up to SNIFF_MAX_INSNS instructions (a 10,000-host
 * filter is ~58,000): the interpreter and the eBPF path take them, classic
 * attachment does not. Same rules as sniff_prog_validate with MAX_LEN. */
#define SNIFF_MAX_INSNS 1000000u
SNIFF_API int sniff_prog_validate_max(const struct sniff_prog *prog, unsigned max_len,
				      struct sniff_error *err);

/* Run a validated program over a packet with libpcap's bpf_filter semantics.
 * Returns the filter's return value (0 = drop, else the snap length). */
SNIFF_API uint32_t sniff_prog_run(const struct sniff_prog *prog, const uint8_t *pkt,
				  uint32_t wirelen, uint32_t caplen);

/* Print in tcpdump's formats: style 1 = -d, 2 = -dd, 3 = -ddd. */
SNIFF_API int sniff_prog_dump(const struct sniff_prog *prog, int style, FILE *out);

/* ------------------------------------------------------------------------
 * eBPF programs translated from classic ones (BPF_PROG_TYPE_SOCKET_FILTER).
 */
struct sniff_ebpf_insn {
	uint8_t code;
	uint8_t dst_reg : 4;
	uint8_t src_reg : 4;
	int16_t off;
	int32_t imm;
};

/* A map an eBPF program uses (long `or` lists of hosts, nets, ports become one
 * lookup). Created and filled by sniff_ebpf_load; with value_size 0 every key
 * maps to one byte 1. */
struct sniff_ebpf_map {
	uint32_t type;          /* BPF_MAP_TYPE_HASH (u32 keys: address or port in
				   host order) or BPF_MAP_TYPE_LPM_TRIE (u32 prefix
				   length + 4 address bytes in network order) */
	uint32_t key_size;
	uint32_t nkeys;
	uint8_t *keys;          /* nkeys * key_size bytes */
	uint32_t value_size;    /* 0, or the size of each of values[] */
	uint8_t *values;        /* nkeys * value_size bytes (key i's is value i) */
};

struct sniff_ebpf_prog {
	unsigned int len;
	struct sniff_ebpf_insn *insns;
	/* Maps: the program names map i with ld_imm64 (src_reg BPF_PSEUDO_MAP_FD,
	 * imm = i) until sniff_ebpf_load puts the real fd there (in a copy).
	 * Zero-initialise the struct: translate/compile set them. */
	unsigned int nmaps;
	struct sniff_ebpf_map *maps;
};

/* Translate with the kernel's socket-filter semantics for classic programs.
 * -EINVAL: a program the kernel's classic checker refuses; -EOPNOTSUPP: an
 * ancillary load eBPF cannot express (HATYPE, PAY_OFFSET, NLATTR*); -ENOMEM.
 * out->insns is malloc'ed: free with sniff_ebpf_free. */
SNIFF_API int sniff_ebpf_translate(const struct sniff_prog *prog, struct sniff_ebpf_prog *out);
SNIFF_API void sniff_ebpf_free(struct sniff_ebpf_prog *prog);
/* Compile EXPR straight to eBPF (what a live capture loads): like
 * sniff_compile + sniff_ebpf_translate, except that an `or` list of at least
 * 8 IPv4 or IPv6 hosts / nets, ports or MAC addresses with the same
 * qualifiers ("host a or host b ...", "tcp port 1 or 2 ...", also `src and
 * dst` and names) becomes one map lookup, so the cost per packet does not
 * grow with the list, and `protochain` walks its header chain in a bounded
 * loop. Same decisions as the classic program. */
SNIFF_API int sniff_ebpf_compile(const char *expr, int linktype,
				 const struct sniff_compile_opts *opts,
				 struct sniff_ebpf_prog *out, struct sniff_error *err);
/* Run the loaded program PROG_FD on one packet (DATA as captured, starting with
 * the link-layer header) with BPF_PROG_TEST_RUN. Returns 0 or -errno; *ret =
 * the filter's value (0 drop, else the snap length). */
SNIFF_API int sniff_ebpf_test_run(int prog_fd, const uint8_t *data, uint32_t len,
				  uint32_t *ret);
/* Same for a program compiled with wirelen_in_cb: WIRELEN is the packet's
 * length on the wire (pcap's len), LEN what was captured. */
SNIFF_API int sniff_ebpf_test_run_len(int prog_fd, const uint8_t *data, uint32_t len,
				      uint32_t wirelen, uint32_t *ret);
/* Style 1: one readable instruction a line; 3: count then "code dst src off imm". */
SNIFF_API int sniff_ebpf_dump(const struct sniff_ebpf_prog *prog, int style, FILE *out);
/* BPF_PROG_LOAD as a socket filter. Returns an fd or -errno; on failure the
 * verifier log (if any) is copied into log (NUL-terminated). */
SNIFF_API int sniff_ebpf_load(const struct sniff_ebpf_prog *prog, char *log, size_t log_sz);

/* ------------------------------------------------------------------------
 * Capture handles: live (AF_PACKET, TPACKET_V3) or offline (pcap file).
 */
enum sniff_direction { SNIFF_DIR_INOUT = 0, SNIFF_DIR_IN = 1, SNIFF_DIR_OUT = 2 };

struct sniff_pkthdr {
	uint64_t ts_ns;      /* nanoseconds since the epoch */
	uint32_t caplen;     /* bytes at data */
	uint32_t len;        /* bytes on the wire */
	int ifindex;         /* 0 when unknown (offline) */
	uint8_t direction;   /* PACKET_HOST ... PACKET_OUTGOING (linux/if_packet.h) */
	uint8_t vlan_valid;  /* the kernel stripped a VLAN tag (already put back in data) */
	uint16_t vlan_tci;
	uint16_t vlan_tpid;
};

struct sniff_stats {
	uint64_t captured;   /* delivered to the callback */
	uint64_t received;   /* accepted by the filter (tp_packets) */
	uint64_t dropped;    /* dropped by the kernel for lack of room (tp_drops) */
	uint64_t ifdropped;
};

/* How a capture with several workers spreads packets over them (the kernel's
 * PACKET_FANOUT modes). */
enum sniff_fanout {
	SNIFF_FANOUT_HASH = 0,     /* by flow hash, IP fragments reassembled first
				      (PACKET_FANOUT_FLAG_DEFRAG): a flow stays on one worker */
	SNIFF_FANOUT_LB = 1,       /* round robin */
	SNIFF_FANOUT_CPU = 2,      /* by the CPU the packet arrived on */
	SNIFF_FANOUT_ROLLOVER = 3, /* fill one worker, then the next */
};

/* Who runs the callback when there are several workers. */
enum sniff_delivery {
	SNIFF_DELIVER_ORDERED = 0, /* a thread per worker walks its ring; the
				      caller's thread merges and delivers in
				      timestamp order, within latency_ms */
	SNIFF_DELIVER_SERIAL = 1,  /* one thread per worker; callbacks never overlap
				      (a lock), order kept per worker only */
	SNIFF_DELIVER_PARALLEL = 2,/* one thread per worker; callbacks run concurrently */
};

struct sniff_capture_opts {
	size_t sz;
	uint32_t snaplen;                 /* 0: SNIFF_DEFAULT_SNAPLEN */
	int promisc;                      /* non-zero: promiscuous mode */
	enum sniff_direction direction;
	size_t buffer_size;               /* ring bytes (per worker); 0: default (64 MiB) */
	int latency_ms;                   /* longest a packet waits in the ring before
					     the loop sees it; 0: default (10 ms). The
					     block timeout is set to 7/10 of it (half
					     with several workers). Up to twice it
					     while one worker's ring is busy (40k
					     packets/s or more): libsniff(3). */
	int tstamp_nano;                  /* pcap files in nanoseconds */
	int classic_bpf;                  /* non-zero: attach filters as classic BPF
					     (SO_ATTACH_FILTER: needs no CAP_BPF) */
	int workers;                      /* sockets + rings in one fanout group; 0: 1 */
	enum sniff_fanout fanout;         /* how the kernel spreads packets over them */
	enum sniff_delivery delivery;     /* who calls the callback (workers > 1) */
};
#define sniff_capture_opts__last_field delivery

struct sniff_capture;

typedef void (*sniff_packet_cb)(void *user, const struct sniff_pkthdr *hdr,
				const uint8_t *data);

/* Open a live capture on IFNAME. No packet is delivered before a filter is set
 * and sniff_capture__activate() is called. NULL + errno on failure; a message
 * saying which capability is missing is logged. "any" (every interface) and
 * links without an Ethernet-like header give LINUX_SLL2 packets, as libpcap. */
SNIFF_API struct sniff_capture *sniff_capture__open(const char *ifname,
						    const struct sniff_capture_opts *opts);
/* Open a pcap (or pcapng) file; "-" is stdin. */
SNIFF_API struct sniff_capture *sniff_capture__open_offline(const char *path,
							    char *errbuf, size_t errbuf_sz);
SNIFF_API int sniff_capture__linktype(const struct sniff_capture *cap);
SNIFF_API uint32_t sniff_capture__snaplen(const struct sniff_capture *cap);
/* Compile EXPR for this capture's link type and mode and install it. */
SNIFF_API int sniff_capture__set_filter(struct sniff_capture *cap, const char *expr,
					int optimize, struct sniff_error *err);
SNIFF_API int sniff_capture__set_prog(struct sniff_capture *cap, const struct sniff_prog *prog,
				      char *log, size_t log_sz);
/* Live: create the ring and bind (the filter is already attached). */
SNIFF_API int sniff_capture__activate(struct sniff_capture *cap);
/* Deliver up to COUNT packets (<= 0: no limit) until the end of the file or
 * sniff_capture__break(). Returns packets delivered or -errno. A live loop
 * ended by a break first delivers the packets the kernel has already counted
 * (at most a ring's worth), so that the next sniff_capture__stats() gives
 * captured + dropped == received exactly. */
SNIFF_API long sniff_capture__loop(struct sniff_capture *cap, long count,
				   sniff_packet_cb cb, void *user);
/* Async-signal-safe and thread-safe: make the loop return soon. */
SNIFF_API void sniff_capture__break(struct sniff_capture *cap);
SNIFF_API int sniff_capture__stats(struct sniff_capture *cap, struct sniff_stats *st);
/* Number of workers (1 for files), and one worker's share of the statistics. */
SNIFF_API int sniff_capture__workers(const struct sniff_capture *cap);
SNIFF_API int sniff_capture__worker_stats(struct sniff_capture *cap, int worker,
					  struct sniff_stats *st);
struct sniff_dumper;
/* Like sniff_capture__loop with a callback that writes every packet to D, but
 * faster: live, records are written straight from the ring, one writev per
 * batch, in timestamp order (see SNIFF_DELIVER_ORDERED) from one thread. */
SNIFF_API long sniff_capture__dump(struct sniff_capture *cap, long count,
				   struct sniff_dumper *d);
SNIFF_API void sniff_capture__close(struct sniff_capture *cap);

/* ------------------------------------------------------------------------
 * pcap file writer (libpcap's savefile format).
 */
struct sniff_dumper;
SNIFF_API struct sniff_dumper *sniff_dumper__open(const char *path, int linktype,
						  uint32_t snaplen, int nano,
						  char *errbuf, size_t errbuf_sz);
SNIFF_API int sniff_dumper__write(struct sniff_dumper *d, const struct sniff_pkthdr *hdr,
				  const uint8_t *data);
SNIFF_API int sniff_dumper__flush(struct sniff_dumper *d);
/* tcpdump -U: flush after every packet (always on when writing to stdout). */
SNIFF_API int sniff_dumper__set_packet_buffered(struct sniff_dumper *d, int on);
SNIFF_API int sniff_dumper__close(struct sniff_dumper *d);

#ifdef __cplusplus
}
#endif
#endif /* SNIFF_H */
