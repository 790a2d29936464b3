/* testutil.c - helpers shared by the unit tests (see testutil.h). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/ebpf.h"
#include "testutil.h"

int test_ci_mode(void)
{
	const char *v = getenv("CI");

	return v && strcmp(v, "true") == 0;
}

int test_have_bpf(const char *test, int need_root)
{
	struct sniff_ebpf_insn p[] = { EB_MOV32_IMM(0, 0), EB_EXIT() };
	int fd = !need_root || geteuid() == 0 ? eb_load(p, 2, NULL, 0) : -EPERM;

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (test_ci_mode())
		ck_abort_msg("%s: BPF_PROG_LOAD failed (%s) and CI=true: this test must run "
			     "as root", test, strerror(-fd));
	printf("SKIP %s: needs root / CAP_BPF (BPF_PROG_LOAD: %s)\n", test, strerror(-fd));
	fflush(stdout);
	return 0;
}
