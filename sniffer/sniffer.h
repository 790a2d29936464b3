/* sniffer.h - the sniff command's own state, shared by its three files:
 *   main.c      command line (tcpdump's flags) -> struct sniff_cmd
 *   dumpcode.c  -d / -dd / -ddd (classic or --ebpf) and exit
 *   run.c       live capture or file reading, printing or writing, statistics
 */
#ifndef SNIFF_SNIFFER_H
#define SNIFF_SNIFFER_H

#include <stdint.h>
#include "sniff.h"

struct sniff_cmd {
	const char *iface;      /* -i */
	const char *rfile;      /* -r */
	const char *wfile;      /* -w */
	const char *linktype;   /* -y */
	char *expr;             /* the filter: remaining arguments joined, or -F file */
	long count;             /* -c; 0 = no limit */
	uint32_t snaplen;       /* -s; 0 = default */
	int dump_style;         /* number of -d given: 1, 2, 3 */
	int ebpf;               /* --ebpf: dump the eBPF program instead */
	int optimize;           /* cleared by -O */
	int promisc;            /* cleared by -p */
	int direction;          /* -Q */
	int nano;               /* --time-stamp-precision=nano */
	int immediate;          /* --immediate-mode: 1 ms block timeout */
	int latency_ms;         /* --latency MS: the longest a packet waits in the ring */
	size_t buffer_size;     /* -B KiB: ring bytes per worker (0: the library's) */
	int buffered_write;     /* -w without -U: flush only at exit */
	int list_ifaces;        /* -D */
	int workers;            /* --workers N: sockets in one fanout group */
	int fanout;             /* --fanout MODE: enum sniff_fanout */
	int kernel_filter;      /* --kernel-filter: -r decides in the kernel (eBPF test run) */
	/* printing flags, tcpdump's meanings */
	int nflag, tflag, eflag, qflag, vflag, xflag, Xflag, Aflag, number, Sflag;
	const char *prog;       /* argv[0] basename, for messages */
};

/* dumpcode.c: print the program for cmd->expr; returns the exit status. */
int cmd_dumpcode(const struct sniff_cmd *cmd);

/* run.c: capture or read; returns the exit status. */
int cmd_run(const struct sniff_cmd *cmd);
int cmd_list_ifaces(const struct sniff_cmd *cmd);
/* Open cmd->rfile; on failure print one line naming the file, return NULL. */
struct sniff_capture *cmd_open_offline(const struct sniff_cmd *cmd);

/* main.c */
void cmd_error(const struct sniff_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A library call failed with -ERR: print the library's own explanation if it
 * logged one, else "WHAT: strerror". */
void cmd_lib_error(const struct sniff_cmd *cmd, const char *what, int err);
void cmd_filter_error(const struct sniff_cmd *cmd, const struct sniff_error *err);

#endif /* SNIFF_SNIFFER_H */
