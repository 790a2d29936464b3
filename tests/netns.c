/* netns.c - private network namespaces with a veth pair, for live tests.
 * The namespace is made and removed with ip(8); code runs inside with setns. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "netns.h"

#define MAX_NS 8

/* Backstop for exit paths that skip netns_delete (a failed assertion ends a
 * process with exit()): only the process that created a namespace removes it,
 * not the forked children that inherited this table. */
static struct {
	char name[64];
	pid_t owner;
} made[MAX_NS];
static int counter;

static void delete_by_name(const char *name)
{
	char *argv[] = { "ip", "netns", "del", (char *)name, NULL };

	netns_run_cmd(argv, 5000);
}

/* Interrupted (make check ^C): remove ours, then die of the same signal.
 * fork, execvp and waitpid are async-signal-safe. */
static void cleanup_on_signal(int sig)
{
	int i, status;

	for (i = 0; i < MAX_NS; i++) {
		if (!made[i].name[0] || made[i].owner != getpid())
			continue;
		pid_t pid = fork();

		if (pid == 0) {
			char *argv[] = { "ip", "netns", "del", made[i].name, NULL };

			execvp(argv[0], argv);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, &status, 0);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A run killed outright (SIGKILL) leaves its namespaces: remove those whose
 * creating process is gone. Only names of this tool's own pattern are touched. */
static void sweep_stale(void)
{
	DIR *d = opendir("/run/netns");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		int pid, n;
		char tail;

		if (sscanf(e->d_name, "sniff-test-%d-%d%c", &pid, &n, &tail) != 2 || pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue; /* its creator still runs (or is not ours to judge) */
		fprintf(stderr, "netns: removing %s, left by a killed run\n", e->d_name);
		delete_by_name(e->d_name);
	}
	closedir(d);
}

static void cleanup_at_exit(void)
{
	int i;

	for (i = 0; i < MAX_NS; i++)
		if (made[i].name[0] && made[i].owner == getpid()) {
			delete_by_name(made[i].name);
			made[i].name[0] = 0;
		}
}

/* fork, optionally setns, exec; wait at most TIMEOUT_MS. */
static int spawn(int nsfd, char *const argv[], const char *out, int timeout_ms)
{
	struct pollfd pfd = { .events = POLLIN };
	int status, r;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
			_exit(126);
		if (fd >= 0)
			dup2(fd, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd.fd >= 0) {
		r = poll(&pfd, 1, timeout_ms);
		close(pfd.fd);
		if (r == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fprintf(stderr, "netns: %s timed out after %d ms\n", argv[0], timeout_ms);
			return -ETIMEDOUT;
		}
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return -EINTR;
}

int netns_run_cmd(char *const argv[], int timeout_ms)
{
	return spawn(-1, argv, NULL, timeout_ms);
}

int netns_exec(const struct netns *ns, char *const argv[], const char *out, int timeout_ms)
{
	return spawn(ns->fd, argv, out, timeout_ms);
}

int netns_enter(const struct netns *ns)
{
	return setns(ns->fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

/* ip -n NS <words of CMD> */
static int ip(const struct netns *ns, const char *cmd)
{
	char buf[128], *argv[16], *save = NULL, *w;
	int n = 0, r;

	argv[n++] = "ip";
	argv[n++] = "-n";
	argv[n++] = (char *)ns->name;
	snprintf(buf, sizeof(buf), "%s", cmd);
	for (w = strtok_r(buf, " ", &save); w && n < 15; w = strtok_r(NULL, " ", &save))
		argv[n++] = w;
	argv[n] = NULL;
	r = netns_run_cmd(argv, 5000);
	if (r)
		fprintf(stderr, "netns: ip -n %s %s: failed (%d)\n", ns->name, cmd, r);
	return r ? -EIO : 0;
}

/* Runs in a child inside the namespace: /proc/sys/net is per namespace. */
static int disable_ipv6(const struct netns *ns)
{
	static const char *const files[] = {
		"/proc/sys/net/ipv6/conf/all/disable_ipv6",
		"/proc/sys/net/ipv6/conf/default/disable_ipv6",
	};
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		size_t i;

		if (setns(ns->fd, CLONE_NEWNET) < 0)
			_exit(1);
		for (i = 0; i < 2; i++) {
			int fd = open(files[i], O_WRONLY);

			/* No IPv6 in the kernel at all: there is no noise either. */
			if (fd < 0)
				continue;
			if (write(fd, "1", 1) != 1)
				_exit(1);
			close(fd);
		}
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* A veth passes traffic only once the kernel's link watcher has activated its
 * queue, which can lag "ip link set up" by up to a second; the operational
 * state (IFF_RUNNING) is set in the same step. */
static int wait_running(const struct netns *ns, const char *ifname, int timeout_ms)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct ifreq ifr;
		int i, fd;

		if (setns(ns->fd, CLONE_NEWNET) < 0)
			_exit(1);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		for (i = 0; i < timeout_ms; i++) {
			if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_RUNNING)) {
				usleep(10000); /* the queue is activated right after */
				_exit(0);
			}
			usleep(1000);
		}
		_exit(1);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fprintf(stderr, "netns: %s in %s not running after %d ms\n", ifname, ns->name, timeout_ms);
	return -ETIMEDOUT;
}

int netns_create(struct netns *ns)
{
	static int registered;
	char path[128];
	int slot, err;
	char *add[] = { "ip", "netns", "add", ns->name, NULL };

	for (slot = 0; slot < MAX_NS && made[slot].name[0]; slot++)
		;
	if (slot == MAX_NS)
		return -ENOSPC;
	snprintf(ns->name, sizeof(ns->name), "sniff-test-%d-%d", (int)getpid(), counter++);
	ns->fd = -1;
	if (!registered) {
		struct sigaction sa = { .sa_handler = cleanup_on_signal };
		static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
		size_t i;

		sweep_stale();
		atexit(cleanup_at_exit);
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], &sa, NULL);
		registered = 1;
	}
	err = netns_run_cmd(add, 5000);
	if (err) {
		fprintf(stderr, "netns: ip netns add %s failed (%d)\n", ns->name, err);
		return -EIO;
	}
	snprintf(made[slot].name, sizeof(made[slot].name), "%s", ns->name);
	made[slot].owner = getpid();
	snprintf(path, sizeof(path), "/run/netns/%s", ns->name);
	ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->fd < 0) {
		err = -errno;
		goto fail;
	}
	/* Before the veths exist, so that they inherit "default". */
	err = disable_ipv6(ns);
	if (!err)
		err = ip(ns, "link add veth0 type veth peer name veth1");
	if (!err)
		err = ip(ns, "link set lo up");
	if (!err)
		err = ip(ns, "link set veth0 up");
	if (!err)
		err = ip(ns, "link set veth1 up");
	if (!err)
		err = wait_running(ns, "veth0", 3000);
	if (!err)
		err = wait_running(ns, "veth1", 3000);
	if (err)
		goto fail;
	return 0;
fail:
	netns_delete(ns);
	return err;
}

void netns_delete(struct netns *ns)
{
	int i;

	if (!ns->name[0])
		return;
	if (ns->fd >= 0)
		close(ns->fd);
	ns->fd = -1;
	delete_by_name(ns->name);
	for (i = 0; i < MAX_NS; i++)
		if (strcmp(made[i].name, ns->name) == 0)
			made[i].name[0] = 0;
	ns->name[0] = 0;
}
