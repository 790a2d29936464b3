/* netns.h - private network namespaces for live tests.
 *
 * netns_create() makes "sniff-test-<pid>-<n>" with a veth pair veth0 <-> veth1,
 * both ends inside, up and running (ready to pass frames), IPv6 off (so the
 * kernel sends no DAD/MLD/RS noise).
 * Frames sent out of veth0 arrive on veth1 and go nowhere else. Every
 * namespace created is deleted by netns_delete() and, as a backstop, at exit.
 */
#ifndef SNIFF_TESTS_NETNS_H
#define SNIFF_TESTS_NETNS_H

struct netns {
	char name[64];
	int fd;          /* /run/netns/<name>, for setns */
};

/* 0 or -errno (with a message on stderr). */
int netns_create(struct netns *ns);
void netns_delete(struct netns *ns);
/* Move the calling thread into NS (threads it starts later follow). */
int netns_enter(const struct netns *ns);
/* Run ARGV inside NS and wait (bounded by TIMEOUT_MS: then the child is
 * killed). Returns the exit status, or -errno. Output goes to OUT if not NULL. */
int netns_exec(const struct netns *ns, char *const argv[], const char *out, int timeout_ms);
/* Run a plain command (no namespace), e.g. `ip`; same return convention. */
int netns_run_cmd(char *const argv[], int timeout_ms);

#endif
