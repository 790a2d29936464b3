/* dumpcode.c - sniff -d/-dd/-ddd [--ebpf]: print the compiled program and exit.
 *
 * The link type comes from -y, else from the file (-r) or the interface (-i),
 * else Ethernet with tcpdump's warning. With -i the program is compiled for a
 * live Linux socket (VLAN tags and direction from ancillary data), exactly what
 * a capture would attach.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sniffer.h"

/* Link type, snap length and mode the program would be compiled for. */
static int target(const struct sniff_cmd *cmd, int *linktype, uint32_t *snaplen,
		  enum sniff_filter_mode *mode)
{
	struct sniff_capture *cap = NULL;

	*snaplen = cmd->snaplen ? cmd->snaplen : SNIFF_DEFAULT_SNAPLEN;
	*mode = SNIFF_MODE_SAVEFILE;
	if (cmd->rfile) {
		cap = cmd_open_offline(cmd);
		if (!cap)
			return -1;
		*linktype = sniff_capture__linktype(cap);
		if (!cmd->snaplen)
			*snaplen = sniff_capture__snaplen(cap);
	} else if (cmd->iface) {
		SNIFF_OPTS(sniff_capture_opts, o, .snaplen = *snaplen);

		cap = sniff_capture__open(cmd->iface, &o);
		if (!cap) {
			cmd_lib_error(cmd, cmd->iface, -errno);
			return -1;
		}
		*linktype = sniff_capture__linktype(cap);
		*mode = SNIFF_MODE_LINUX;
	} else {
		*linktype = SNIFF_DLT_EN10MB;
		if (!cmd->linktype)
			fprintf(stderr, "Warning: assuming Ethernet\n");
	}
	if (cap)
		sniff_capture__close(cap);
	if (cmd->linktype) {
		*linktype = sniff_linktype_from_name(cmd->linktype);
		if (*linktype < 0) {
			cmd_error(cmd, "invalid data link type %s", cmd->linktype);
			return -1;
		}
	}
	return 0;
}

int cmd_dumpcode(const struct sniff_cmd *cmd)
{
	struct sniff_prog prog = { 0 };
	struct sniff_ebpf_prog eprog = { 0 };
	struct sniff_error err = { 0 };
	enum sniff_filter_mode mode;
	uint32_t snaplen;
	int linktype, rc;

	if (target(cmd, &linktype, &snaplen, &mode))
		return 1;
	SNIFF_OPTS(sniff_compile_opts, copts, .snaplen = snaplen, .optimize = cmd->optimize,
		   .mode = mode);
	rc = sniff_compile(cmd->expr, linktype, &copts, &prog, &err);
	if (rc) {
		if (err.msg[0])
			cmd_filter_error(cmd, &err);
		else
			cmd_lib_error(cmd, "can't compile the filter", rc);
		return 1;
	}
	if (!cmd->ebpf) {
		rc = sniff_prog_dump(&prog, cmd->dump_style, stdout);
	} else {
		/* what a live capture loads: long `or` lists become map lookups */
		rc = sniff_ebpf_compile(cmd->expr, linktype, &copts, &eprog, &err);
		if (rc)
			cmd_lib_error(cmd, "can't translate the program to eBPF", rc);
		else
			rc = sniff_ebpf_dump(&eprog, cmd->dump_style, stdout);
		sniff_ebpf_free(&eprog);
	}
	sniff_prog_free(&prog);
	if (fflush(stdout) || ferror(stdout)) {
		cmd_error(cmd, "can't write the program: %s", strerror(errno));
		return 1;
	}
	return rc ? 1 : 0;
}
