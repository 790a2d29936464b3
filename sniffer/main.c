/* main.c - the sniff command line: tcpdump's flags, one error line on misuse.
 *
 * Options are parsed into struct sniff_cmd; the work happens in dumpcode.c (-d
 * and friends) or run.c (capture, read, print, write).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sniffer.h"

void cmd_error(const struct sniff_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cmd->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The library explains failures through its log; keep the last error so the
 * command prints it once, in its own words, instead of a bare errno. */
static char last_lib_error[512];

static void on_lib_log(enum sniff_log_level level, const char *msg, void *ctx)
{
	const struct sniff_cmd *cmd = ctx;

	if (level == SNIFF_LOG_ERROR)
		snprintf(last_lib_error, sizeof(last_lib_error), "%s", msg);
	else if (level == SNIFF_LOG_WARN || cmd->vflag > 1)
		fprintf(stderr, "%s: warning: %s\n", cmd->prog, msg);
}

void cmd_lib_error(const struct sniff_cmd *cmd, const char *what, int err)
{
	if (last_lib_error[0])
		cmd_error(cmd, "%s", last_lib_error);
	else
		cmd_error(cmd, "%s: %s", what, sniff_strerror(err));
	last_lib_error[0] = '\0';
}

void cmd_filter_error(const struct sniff_cmd *cmd, const struct sniff_error *err)
{
	sniff_error_print(stderr, cmd->prog, cmd->expr ? cmd->expr : "", err);
}

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [-dDenNOpqStvxX#] [-B size] [-c count] [-F file] [-i interface]\n"
		"       %*s [-Q in|out|inout] [-r file] [-s snaplen] [-w file] [-y linktype] [--ebpf]\n"
		"       %*s [--time-stamp-precision=micro|nano] [--immediate-mode] [--latency ms]\n"
		"       %*s [--workers N] [--fanout hash|lb|cpu|rollover] [--kernel-filter] [expression]\n",
		prog, (int)strlen(prog), "", (int)strlen(prog), "", (int)strlen(prog), "");
}

/* Join the remaining arguments with spaces, as tcpdump does. */
static char *join_args(char **argv, int argc)
{
	size_t n = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	s = malloc(n);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* -F FILE: the expression from a file; '#' starts a comment to the end of the
 * line, like tcpdump's read_infile(). */
static char *read_filter_file(const struct sniff_cmd *cmd, const char *path)
{
	struct stat st;
	char *buf;
	ssize_t got;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		cmd_error(cmd, "can't open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || st.st_size > 1 << 24) {
		cmd_error(cmd, "can't read %s: %s", path, st.st_size > 1 << 24 ? "file too large" : strerror(errno));
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	if (got < 0) {
		cmd_error(cmd, "can't read %s: %s", path, strerror(errno));
		free(buf);
		return NULL;
	}
	buf[got] = '\0';
	for (ssize_t i = 0; i < got; i++)
		if (buf[i] == '#')
			while (i < got && buf[i] != '\n')
				buf[i++] = ' ';
	return buf;
}

static int parse_long(const struct sniff_cmd *cmd, const char *opt, const char *arg,
		      long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 0);
	if (errno || end == arg || *end || v < min || v > max) {
		cmd_error(cmd, "invalid %s '%s' (expected a number from %ld to %ld)", opt, arg, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

enum {
	OPT_EBPF = 256,
	OPT_TSPREC,
	OPT_IMMEDIATE,
	OPT_HELP,
	OPT_VERSION,
	OPT_WORKERS,
	OPT_FANOUT,
	OPT_KERNEL_FILTER,
	OPT_LATENCY,
};

static const struct option long_opts[] = {
	{ "ebpf", no_argument, NULL, OPT_EBPF },
	{ "time-stamp-precision", required_argument, NULL, OPT_TSPREC },
	{ "immediate-mode", no_argument, NULL, OPT_IMMEDIATE },
	{ "list-interfaces", no_argument, NULL, 'D' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "fanout", required_argument, NULL, OPT_FANOUT },
	{ "kernel-filter", no_argument, NULL, OPT_KERNEL_FILTER },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "buffer-size", required_argument, NULL, 'B' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	struct sniff_cmd cmd = { .optimize = 1, .promisc = 1, .buffered_write = 1 };
	const char *ffile = NULL;
	long v;
	int c, rc;

	cmd.prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	sniff_set_log(on_lib_log, &cmd);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:AB:c:dDeF:hi:nNOpqQ:r:s:StUvw:xXy:#", long_opts, NULL)) != -1) {
		switch (c) {
		case 'A': cmd.Aflag++; break;
		case 'B': /* KiB, as tcpdump; at most 4 GiB a worker */
			if (parse_long(&cmd, "buffer size", optarg, 1, 4L << 20, &v))
				return 1;
			cmd.buffer_size = (size_t)v << 10;
			break;
		case 'c':
			if (parse_long(&cmd, "packet count", optarg, 1, LONG_MAX, &v))
				return 1;
			cmd.count = v;
			break;
		case 'd': cmd.dump_style++; break;
		case 'D': cmd.list_ifaces = 1; break;
		case 'e': cmd.eflag++; break;
		case 'F': ffile = optarg; break;
		case 'i': cmd.iface = optarg; break;
		case 'n': cmd.nflag++; break;
		case 'N': break; /* domain names are never printed: nothing to strip */
		case 'O': cmd.optimize = 0; break;
		case 'p': cmd.promisc = 0; break;
		case 'q': cmd.qflag++; break;
		case 'Q':
			if (!strcmp(optarg, "in"))
				cmd.direction = SNIFF_DIR_IN;
			else if (!strcmp(optarg, "out"))
				cmd.direction = SNIFF_DIR_OUT;
			else if (!strcmp(optarg, "inout"))
				cmd.direction = SNIFF_DIR_INOUT;
			else {
				cmd_error(&cmd, "invalid direction '%s' for -Q (expected in, out or inout)", optarg);
				return 1;
			}
			break;
		case 'r': cmd.rfile = optarg; break;
		case 's':
			if (parse_long(&cmd, "snapshot length", optarg, 0, 262144, &v))
				return 1;
			cmd.snaplen = v ? (uint32_t)v : SNIFF_DEFAULT_SNAPLEN;
			break;
		case 'S': cmd.Sflag++; break;
		case 't': cmd.tflag++; break;
		case 'U': cmd.buffered_write = 0; break;
		case 'v': cmd.vflag++; break;
		case 'w': cmd.wfile = optarg; break;
		case 'x': cmd.xflag++; break;
		case 'X': cmd.Xflag++; break;
		case 'y': cmd.linktype = optarg; break;
		case '#': cmd.number = 1; break;
		case OPT_EBPF: cmd.ebpf = 1; break;
		case OPT_KERNEL_FILTER: cmd.kernel_filter = 1; break;
		case OPT_IMMEDIATE: cmd.immediate = 1; break;
		case OPT_LATENCY:
			if (parse_long(&cmd, "latency", optarg, 1, 60000, &v))
				return 1;
			cmd.latency_ms = (int)v;
			break;
		case OPT_WORKERS:
			if (parse_long(&cmd, "worker count", optarg, 1, 64, &v))
				return 1;
			cmd.workers = (int)v;
			break;
		case OPT_FANOUT:
			if (!strcmp(optarg, "hash"))
				cmd.fanout = SNIFF_FANOUT_HASH;
			else if (!strcmp(optarg, "lb"))
				cmd.fanout = SNIFF_FANOUT_LB;
			else if (!strcmp(optarg, "cpu"))
				cmd.fanout = SNIFF_FANOUT_CPU;
			else if (!strcmp(optarg, "rollover"))
				cmd.fanout = SNIFF_FANOUT_ROLLOVER;
			else {
				cmd_error(&cmd, "invalid fanout mode '%s' (expected hash, lb, cpu or rollover)", optarg);
				return 1;
			}
			break;
		case OPT_TSPREC:
			if (!strcmp(optarg, "nano") || !strcmp(optarg, "nanoseconds"))
				cmd.nano = 1;
			else if (!strcmp(optarg, "micro") || !strcmp(optarg, "microseconds"))
				cmd.nano = 0;
			else {
				cmd_error(&cmd, "unsupported time stamp precision '%s' (expected micro or nano)", optarg);
				return 1;
			}
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout, cmd.prog);
			return 0;
		case OPT_VERSION:
			printf("sniff version %s\n", sniff_version());
			return 0;
		case ':':
			cmd_error(&cmd, "option '%s' needs an argument (see %s --help)", argv[optind - 1], cmd.prog);
			return 1;
		default:
			if (optopt && optopt < 256)
				cmd_error(&cmd, "unknown option '-%c' (see %s --help)", optopt, cmd.prog);
			else if (optopt)
				cmd_error(&cmd, "option '%s' needs an argument (see %s --help)", argv[optind - 1], cmd.prog);
			else
				cmd_error(&cmd, "unknown option '%s' (see %s --help)", argv[optind - 1], cmd.prog);
			return 1;
		}
	}
	if (cmd.ebpf && !cmd.dump_style) {
		cmd_error(&cmd, "--ebpf goes with -d, -dd or -ddd");
		return 1;
	}
	if (cmd.kernel_filter && !cmd.rfile) {
		cmd_error(&cmd, "--kernel-filter goes with -r (a live capture always filters in the kernel)");
		return 1;
	}
	if (cmd.iface && cmd.rfile) {
		cmd_error(&cmd, "-i and -r both given: capture from an interface or read a file, not both");
		return 1;
	}
	if (ffile) {
		if (optind < argc) {
			cmd_error(&cmd, "a filter file (-F) and a filter expression both given");
			return 1;
		}
		cmd.expr = read_filter_file(&cmd, ffile);
		if (!cmd.expr)
			return 1;
	} else {
		cmd.expr = join_args(argv + optind, argc - optind);
		if (!cmd.expr) {
			cmd_error(&cmd, "out of memory");
			return 1;
		}
	}

	if (cmd.list_ifaces)
		rc = cmd_list_ifaces(&cmd);
	else if (cmd.dump_style)
		rc = cmd_dumpcode(&cmd);
	else
		rc = cmd_run(&cmd);
	free(cmd.expr);
	return rc;
}
