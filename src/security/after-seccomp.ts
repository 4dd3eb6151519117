// Every system call tsrun itself makes after it has loaded a container's seccomp filter, in the
// order they come, and why each one has to be there. A profile must allow these (or answer them
// in a way glibc copes with) or the container cannot start; so the list is kept as short as
// runc's, and test/integration/seccomp-after-load.test.ts straces the stages and fails when a
// call that is not listed here shows up.
//
// Only the calling thread is filtered: tsrun does not set SECCOMP_FILTER_FLAG_TSYNC unless the
// profile's `flags` ask for it, so Node's own threads (libuv's pool, V8's workers) are not
// constrained and do not count. Everything that resolves a path (openat2 for the cwd and argv[0]),
// reads /proc, or talks to the parent over the channel happens before the load, whether or not
// no_new_privs is set (src/launcher/stage/become-process.ts says how CAP_SYS_ADMIN is held for it).
//
// Where the list ends, the user's program begins: execve in the init stage, and the spawned
// child's execve in the exec stage.

export interface AfterLoadCall {
  name: string;
  why: string;
}

/** sealProcess (become-process.ts): the load itself is followed, in both stages, by these. */
const SEAL: AfterLoadCall[] = [
  { name: 'sendmsg', why: 'a NOTIFY rule: the listener fd goes to linux.seccomp.listenerPath (SCM_RIGHTS), which is why NOTIFY on sendmsg is refused' },
  { name: 'close', why: 'a NOTIFY rule: the listener fd and the socket, so the container never holds its own listener' },
  { name: 'capset', why: 'without no_new_privs: the final sets, dropping the CAP_SYS_ADMIN held for the load' },
  { name: 'prctl', why: 'without no_new_privs: PR_CAP_AMBIENT_CLEAR_ALL and PR_CAP_AMBIENT_RAISE, the ambient set after that capset' },
];

/** The init stage (final-exec.ts): after sealProcess, only the exec. */
export const INIT_AFTER_LOAD: readonly AfterLoadCall[] = [
  ...SEAL,
  { name: 'execve', why: "the user's program; from here on the profile is the program's" },
];

/** The exec stage (exec-steps.ts, exec-main.ts): after sealProcess, glibc's posix_spawn and the report. */
export const EXEC_STAGE_AFTER_LOAD: readonly AfterLoadCall[] = [
  ...SEAL,
  { name: 'prlimit64', why: "glibc's posix_spawn_file_actions_add* check each fd against RLIMIT_NOFILE (getdtablesize)" },
  { name: 'mmap', why: "posix_spawn's stack for the child" },
  { name: 'rt_sigprocmask', why: 'posix_spawn blocks every signal around the clone, then restores the mask' },
  { name: 'clone3', why: 'posix_spawn tries it first; a denying profile that does not name it answers ENOSYS (seccomp-enosys.ts)' },
  { name: 'clone', why: "glibc's fallback on ENOSYS: CLONE_VM|CLONE_VFORK, the child enters the container's PID namespace" },
  { name: 'munmap', why: "posix_spawn frees the child's stack once the child has exec'd" },
  { name: 'write', why: 'the `spawned` message with the pid to tsrun exec (sync-channel.ts)' },
  { name: 'exit_group', why: 'the stage leaves at once (libc.exitNow), without Node\'s teardown' },
];

/** The exec stage's child, between the clone and its execve: glibc's __spawni_child. */
export const SPAWN_CHILD_AFTER_LOAD: readonly AfterLoadCall[] = [
  { name: 'rt_sigaction', why: 'POSIX_SPAWN_SETSIGDEF: every signal back to its default (Node ignores SIGPIPE, SIGXFSZ)' },
  { name: 'rt_sigprocmask', why: 'POSIX_SPAWN_SETSIGMASK: nothing blocked' },
  { name: 'setsid', why: 'with a terminal: a new session, so the pty opened next becomes its controlling terminal' },
  { name: 'openat', why: 'with a terminal: the pty slave, opened by the session leader' },
  { name: 'dup2', why: 'with a terminal: the slave onto 0, 1 and 2' },
  { name: 'close', why: 'with a terminal: the fd the slave was first opened on, once it is on 0' },
  { name: 'fcntl', why: 'dup2(fd, fd) actions clear FD_CLOEXEC on 0-2 and the preserved fds (every other fd is close-on-exec)' },
  { name: 'execve', why: "the user's program" },
  { name: 'exit_group', why: 'only when execve fails: the child leaves with 127 and posix_spawn reports the errno' },
];
