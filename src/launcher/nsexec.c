/*
 * tsrun-nsexec: the single-threaded step of a container with a user namespace, or one that joins a
 * time namespace (docs/ARCHITECTURE.md section 1, "The user namespace trampoline").
 *
 * Why it exists: unshare(CLONE_NEWUSER) and setns(2) into a user or time namespace need a
 * single-threaded caller (unshare(2): EINVAL; setns(2): EINVAL/EUSERS), and a Node process never is
 * one. Every other namespace of the container must be created *after* the user namespace so that
 * it is owned by it (user_namespaces(7) "Interaction of user namespaces and other types of
 * namespaces"): the container's root then has capabilities over its own mount, network, PID...
 * namespaces. So this program, exec'd by the parent instead of node, does the namespace work and
 * then execs node: the init stage (dist/init.js) or the exec stage (dist/exec.js).
 * Containers without a user namespace never run it: the parent's namespace window does their work.
 *
 * It makes no decisions: every namespace, flag and offset comes on the command line, computed by
 * the parent (src/launcher/parent/trampoline.ts). It is small on purpose; keep it that way.
 *
 * Usage: tsrun-nsexec CTL [-j TYPE PATH]... [-U] [-m] [-n FLAGS] [-o LINE]... [-f] -- PROGRAM ARG...
 *        tsrun-nsexec CTL -U -x
 *   CTL       fd of a socket to the parent, for the lines below (close-on-exec)
 *   -j        join the namespace of TYPE (user, mnt, pid, net, ipc, uts, time, cgroup) at PATH
 *   -U        create a user namespace, and have the parent write its id maps
 *   -m        once in the user namespace: a mount namespace of our own in which PROGRAM is
 *             bind-mounted read-only onto itself (CVE-2019-5736; used by a rootless `tsrun exec`,
 *             whose caller cannot make that mount namespace itself)
 *   -n FLAGS  unshare(2) these CLONE_NEW* flags (decimal) once the user namespace is in place
 *   -o LINE   write LINE to /proc/self/timens_offsets (after -n made a time namespace)
 *   -f        run PROGRAM in a child (clone(2) CLONE_PARENT): needed for a PID namespace (made or
 *             joined) and a new time namespace, which only children enter; without -f this
 *             process execs PROGRAM
 *   -x        with -U only, no PROGRAM: exit 0 once the parent has answered "M". The parent opens
 *             /proc/<pid>/ns/user before it answers, and keeps that fd: a user namespace with
 *             given maps and no process in it, for id-mapped mounts (src/launcher/parent/idmap-userns.ts)
 *
 * Lines to the parent on CTL: "U" (user namespace made: write uid_map/gid_map now, answer "M"),
 * "P <pid>" (the child's host pid), "E <syscall> <errno> <text>" (failure; then exit 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define MAX_JOIN 8
#define MAX_OFFSETS 2

static int ctl = -1;

static void fail(const char *call, int err, const char *what)
{
	dprintf(ctl, "E %s %d %s\n", call, err, what);
	_exit(1);
}

static const struct {
	const char *name;
	int flag;
} types[] = {
	{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS }, { "pid", CLONE_NEWPID },
	{ "net", CLONE_NEWNET }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
	{ "time", CLONE_NEWTIME }, { "cgroup", CLONE_NEWCGROUP },
};

static int flag_of(const char *name)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(types[i].name, name))
			return types[i].flag;
	fail("argv", EINVAL, name);
	return 0;
}

struct join {
	int flag;
	int fd;
	const char *path;
};

/* setns(2) into every namespace in `js` whose flag is in `mask`. */
static void join_all(struct join *js, int n, int mask)
{
	for (int i = 0; i < n; i++) {
		if (js[i].fd < 0 || !(js[i].flag & mask))
			continue;
		if (setns(js[i].fd, js[i].flag) < 0)
			fail("setns", errno, js[i].path);
		close(js[i].fd);
		js[i].fd = -1;
	}
}

/* Reads one line from the parent (the answer to "U"); anything but "M" is a failure. */
static void wait_mapped(void)
{
	char buf[4];
	size_t got = 0;
	while (got < 2) {
		ssize_t r = read(ctl, buf + got, 2 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail("read", r < 0 ? errno : EPIPE, "waiting for the id maps");
		got += (size_t)r;
	}
	if (buf[0] != 'M' || buf[1] != '\n')
		fail("read", EPROTO, "unexpected answer from the parent");
}

/*
 * Root in the namespace just made or joined (runc's nsexec does the same): execve(2) as uid 0 of
 * the namespace keeps the full capability set there (capabilities(7) "Capabilities and execution
 * of programs by root"); any other uid would start node without capabilities. gid first: after
 * setresuid away from a privileged id, setresgid could no longer be called.
 */
static void become_root(void)
{
	if (setresgid(0, 0, 0) < 0)
		fail("setresgid", errno, "gid 0 must be mapped in the user namespace (linux.gidMappings)");
	if (setresuid(0, 0, 0) < 0)
		fail("setresuid", errno, "uid 0 must be mapped in the user namespace (linux.uidMappings)");
}

/*
 * CVE-2019-5736: PROGRAM (node) is reachable from the container as /proc/<pid>/exe of what it
 * spawns, until that execs. Exec'd through a read-only bind of itself, every write to it fails
 * with EROFS. The same steps as src/launcher/protect-binary.ts, which a root caller runs before
 * spawning us; a non-root caller can only do it here, as root of the container's user namespace
 * (the new mount namespace is owned by it, mount_namespaces(7)). Made a slave first, so nothing
 * propagates back to the host.
 */
static void protect_program(const char *prog)
{
	char exe[PATH_MAX];
	if (!realpath(prog, exe))
		fail("realpath", errno, prog);
	if (unshare(CLONE_NEWNS) < 0)
		fail("unshare", errno, "CLONE_NEWNS (protecting the runtime binary)");
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		fail("mount", errno, "/ (MS_SLAVE)");
	if (mount(exe, exe, NULL, MS_BIND, NULL) < 0)
		fail("mount", errno, exe);
	if (mount(NULL, exe, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		fail("mount", errno, exe);
}

int main(int argc, char **argv)
{
	struct join js[MAX_JOIN];
	const char *offsets[MAX_OFFSETS];
	int njoin = 0, noff = 0, newuser = 0, protect = 0, unshare_flags = 0, do_fork = 0, map_only = 0, i;

	if (argc < 2)
		return 2;
	ctl = atoi(argv[1]);
	/* The parent sees EOF once we have exec'd (or exited); PROGRAM never gets the socket. */
	if (fcntl(ctl, F_SETFD, FD_CLOEXEC) < 0)
		return 2;
	for (i = 2; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-j") && i + 2 < argc && njoin < MAX_JOIN) {
			js[njoin].flag = flag_of(argv[i + 1]);
			js[njoin].path = argv[i + 2];
			/* Every path is opened before the first setns(2), while it resolves in the host's view. */
			js[njoin].fd = open(argv[i + 2], O_RDONLY | O_CLOEXEC);
			if (js[njoin].fd < 0)
				fail("open", errno, argv[i + 2]);
			njoin++;
			i += 2;
		} else if (!strcmp(a, "-U")) {
			newuser = 1;
		} else if (!strcmp(a, "-m")) {
			protect = 1;
		} else if (!strcmp(a, "-n") && i + 1 < argc) {
			unshare_flags = atoi(argv[++i]);
		} else if (!strcmp(a, "-o") && i + 1 < argc && noff < MAX_OFFSETS) {
			offsets[noff++] = argv[++i];
		} else if (!strcmp(a, "-f")) {
			do_fork = 1;
		} else if (!strcmp(a, "-x")) {
			map_only = 1;
		} else {
			fail("argv", EINVAL, a);
		}
	}
	if (map_only && (!newuser || njoin || unshare_flags || noff || do_fork || i < argc))
		fail("argv", EINVAL, "-x takes -U and nothing else");
	if (!map_only && i + 1 >= argc)
		fail("argv", EINVAL, "no program after --");
	char **prog = argv + i + 1;

	/*
	 * Joined namespaces other than user and mnt first, while we still hold the host's
	 * capabilities: after entering a user namespace, namespaces owned by an ancestor of it can no
	 * longer be joined (setns(2): CAP_SYS_ADMIN in the owner). runc's nsexec orders its joins the
	 * same way. The mount namespace is the last of these: entering it resets root and cwd (the
	 * paths were all opened above), and PROGRAM is then resolved in it.
	 */
	join_all(js, njoin, ~(CLONE_NEWUSER | CLONE_NEWNS));
	join_all(js, njoin, CLONE_NEWNS);
	if (newuser) {
		/*
		 * Alone, before every other new namespace, so that it owns them. Until the parent has
		 * written uid_map and gid_map we are the overflow uid in it (user_namespaces(7)).
		 */
		if (unshare(CLONE_NEWUSER) < 0)
			fail("unshare", errno, "CLONE_NEWUSER");
		dprintf(ctl, "U\n");
		wait_mapped();
		/* The parent holds an fd of the namespace by now; nothing of ours has to live in it. */
		if (map_only)
			_exit(0);
		become_root();
	} else {
		join_all(js, njoin, CLONE_NEWUSER);
		for (int k = 0; k < njoin; k++)
			if (js[k].flag == CLONE_NEWUSER)
				become_root();
	}
	if (protect)
		protect_program(prog[0]);
	if (unshare_flags && unshare(unshare_flags) < 0)
		fail("unshare", errno, "container namespaces");
	/*
	 * time_namespaces(7): offsets can be written only before any process has entered the new
	 * namespace, and by a holder of CAP_SYS_TIME in its owner (we are root in the user namespace
	 * that owns it).
	 */
	for (int k = 0; k < noff; k++) {
		int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, offsets[k], strlen(offsets[k])) < 0)
			fail("write", errno, "/proc/self/timens_offsets");
		close(fd);
	}
	if (do_fork) {
		/*
		 * A PID (or time) namespace made by unshare(2) is entered only by children. CLONE_PARENT
		 * makes the child our parent's child, as runc's stage-2 is: the tsrun process waits for
		 * it and records it as the container's init, and this process just exits. With no stack
		 * given, clone behaves like fork(2); we are single-threaded, so that is safe.
		 */
		pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
		if (pid < 0)
			fail("clone", errno, "CLONE_PARENT");
		if (pid > 0) {
			dprintf(ctl, "P %d\n", pid);
			_exit(0);
		}
		/* The init stage leads a session of its own, as without a user namespace (setsid(2)). */
		if (setsid() < 0)
			fail("setsid", errno, "");
	}
	execv(prog[0], prog);
	fail("execve", errno, prog[0]);
	return 1;
}
