/* testutil.h - what several unit tests share: the CI rule for skips and the
 * "can we load eBPF here" probe. */
#ifndef SNIFF_TESTUTIL_H
#define SNIFF_TESTUTIL_H

/* 1 when CI=true: a test that would skip must fail instead. */
int test_ci_mode(void);

/* 1 when BPF_PROG_LOAD works here (and, with need_root, we are root); else
 * print a visible SKIP line for TEST and return 0, or abort the check under
 * CI=true. */
int test_have_bpf(const char *test, int need_root);

#endif
