// libc through FFI (koffi), one thin wrapper per call; the other sys/ modules bind their own few
// functions through libcFunction, so libc is loaded here only.
// Each wrapper returns the call's result or throws SyscallError{syscall, errno, path}; it makes no
// policy decisions (docs/ARCHITECTURE.md section 2, "sys").
//
// Everything here is synchronous and runs on the calling (main) thread. That matters: namespaces,
// credentials, capabilities and no_new_privs are per thread on Linux, and tsrun relies on the main
// thread being the one that spawns the init stage and later calls execve.
import { koffi, type Koffi } from './koffi';
import { RuntimeError, SyscallError } from '../errors';
import { SYS } from './constants';

type Lib = ReturnType<Koffi["load"]>;
let lib: Lib | undefined;
function libc(): Lib {
  // Loaded lazily so that commands that never make a raw syscall (state, list, spec) skip it.
  if (!lib) lib = koffi().load('libc.so.6');
  return lib;
}

type Fn = (...args: unknown[]) => unknown;
const cache = new Map<string, Fn>();
function fn(proto: string): Fn {
  let f = cache.get(proto);
  if (!f) {
    f = libc().func(proto) as Fn;
    cache.set(proto, f);
  }
  return f;
}

/**
 * A libc function bound once from its C prototype (cached): for the few sys/ modules that keep
 * their own wrappers (tty.ts, unix-socket.ts, spawn.ts), so libc is loaded in one place.
 */
export function libcFunction(proto: string): (...args: unknown[]) => unknown {
  return fn(proto);
}

function check(name: string, ret: number | bigint, path?: string): number {
  const n = Number(ret);
  if (n < 0) throw new SyscallError(name, koffi().errno(), path);
  return n;
}

// ---- structs ---------------------------------------------------------------------------------
let structs: ReturnType<typeof defineStructs> | undefined;
function defineStructs() {
  return {
    // openat2(2): struct open_how
    openHow: koffi().struct('tsrun_open_how', { flags: 'uint64', mode: 'uint64', resolve: 'uint64' }),
    // mount_setattr(2): struct mount_attr
    mountAttr: koffi().struct('tsrun_mount_attr', {
      attr_set: 'uint64', attr_clr: 'uint64', propagation: 'uint64', userns_fd: 'uint64',
    }),
    // capget(2)/capset(2): _LINUX_CAPABILITY_VERSION_3 header and two data words
    capHeader: koffi().struct('tsrun_cap_header', { version: 'uint32', pid: 'int' }),
    capData: koffi().struct('tsrun_cap_data', { effective: 'uint32', permitted: 'uint32', inheritable: 'uint32' }),
    // The v3 ABI takes an array of two data structs (low and high 32 capabilities).
    capData2: koffi().struct('tsrun_cap_data2', { lo: 'tsrun_cap_data', hi: 'tsrun_cap_data' }),
    rlimit: koffi().struct('tsrun_rlimit', { cur: 'uint64', max: 'uint64' }),
  };
}
function st() {
  if (!structs) structs = defineStructs();
  return structs;
}

function syscall(): Fn {
  return fn('long syscall(long number, ...)');
}

// ---- processes, identity ---------------------------------------------------------------------
export function prctl(option: number, arg2: number | bigint = 0, arg3: number | bigint = 0, arg4 = 0, arg5 = 0): number {
  const r = fn('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)')(
    option, arg2, arg3, arg4, arg5) as number;
  return check('prctl', r);
}

export function setresuid(uid: number): void {
  // glibc's setresuid changes every thread's credentials (its setxid broadcast), which is what we
  // want for the init stage: no thread of it keeps root after the switch.
  check('setresuid', fn('int setresuid(uint32_t r, uint32_t e, uint32_t s)')(uid, uid, uid) as number);
}
export function setresgid(gid: number): void {
  check('setresgid', fn('int setresgid(uint32_t r, uint32_t e, uint32_t s)')(gid, gid, gid) as number);
}
export function setgroups(gids: number[]): void {
  check('setgroups', fn('int setgroups(size_t size, const uint32_t *list)')(gids.length, gids.length ? gids : null) as number);
}
export function umask(mask: number): number {
  return fn('uint32_t umask(uint32_t mask)')(mask) as number;
}

export function kill(pid: number, sig: number): void {
  check('kill', fn('int kill(int pid, int sig)')(pid, sig) as number);
}

/** pidfd_open(2): a handle that cannot be confused with a later process reusing the pid. */
export function pidfdOpen(pid: number): number {
  return check('pidfd_open', syscall()(SYS.pidfd_open, 'int', pid, 'uint', 0) as number);
}
export function pidfdSendSignal(pidfd: number, sig: number): void {
  check('pidfd_send_signal', syscall()(SYS.pidfd_send_signal, 'int', pidfd, 'int', sig, 'void *', null, 'uint', 0) as number);
}

/** keyctl(KEYCTL_JOIN_SESSION_KEYRING, name): a new session keyring for the calling thread. */
export function joinSessionKeyring(name: string): number {
  return check('keyctl', syscall()(SYS.keyctl, 'int', 1 /* KEYCTL_JOIN_SESSION_KEYRING */, 'str', name) as number);
}

// ---- process attributes that survive execve (src/security/{personality,scheduler,...}.ts) ------
/** personality(2); returns the previous persona. 0xffffffff only queries. */
export function personality(persona: number): number {
  return check('personality', syscall()(SYS.personality, 'ulong', persona) as number);
}
/** sched_setattr(2) for the calling thread (pid 0); `attr` is an encoded struct sched_attr. */
export function schedSetattr(attr: Buffer): void {
  check('sched_setattr', syscall()(SYS.sched_setattr, 'int', 0, 'void *', attr, 'uint', 0) as number);
}
/** ioprio_set(2). */
export function ioprioSet(which: number, who: number, ioprio: number): void {
  check('ioprio_set', syscall()(SYS.ioprio_set, 'int', which, 'int', who, 'int', ioprio) as number);
}
/** set_mempolicy(2) for the calling thread; `nodemask` is an array of unsigned longs (or null). */
export function setMempolicy(mode: number, nodemask: Buffer | null, maxnode: number): void {
  check('set_mempolicy', syscall()(SYS.set_mempolicy, 'int', mode, 'void *', nodemask, 'ulong', maxnode) as number);
}

// ---- namespaces -------------------------------------------------------------------------------
export function unshare(flags: number): void {
  check('unshare', fn('int unshare(int flags)')(flags) as number);
}
export function setns(fd: number, nstype: number, path?: string): void {
  check('setns', fn('int setns(int fd, int nstype)')(fd, nstype) as number, path);
}
export function sethostname(name: string): void {
  const b = Buffer.from(name);
  check('sethostname', fn('int sethostname(const char *name, size_t len)')(b, b.length) as number);
}
export function setdomainname(name: string): void {
  const b = Buffer.from(name);
  check('setdomainname', fn('int setdomainname(const char *name, size_t len)')(b, b.length) as number);
}

// ---- mounts -----------------------------------------------------------------------------------
export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
  const r = fn('int mount(const char *src, const char *tgt, const char *fstype, unsigned long flags, const char *data)')(
    source, target, fstype, flags, data) as number;
  check('mount', r, target);
}
export function umount2(target: string, flags: number): void {
  check('umount2', fn('int umount2(const char *target, int flags)')(target, flags) as number, target);
}
export function pivotRoot(newRoot: string, putOld: string): void {
  check('pivot_root', syscall()(SYS.pivot_root, 'str', newRoot, 'str', putOld) as number, newRoot);
}
export function chroot(path: string): void {
  check('chroot', fn('int chroot(const char *path)')(path) as number, path);
}
export function fchdir(fd: number): void {
  check('fchdir', fn('int fchdir(int fd)')(fd) as number);
}
export function chdir(path: string): void {
  check('chdir', fn('int chdir(const char *path)')(path) as number, path);
}

/** mount_setattr(2) (Linux 5.12+): change attributes of a mount, optionally of the whole subtree. */
export function mountSetattr(dirfd: number, path: string, flags: number, attr: { attr_set: number; attr_clr: number; propagation: number; userns_fd?: number }, where?: string): void {
  const a = { attr_set: attr.attr_set, attr_clr: attr.attr_clr, propagation: attr.propagation, userns_fd: attr.userns_fd ?? 0 };
  const r = syscall()(SYS.mount_setattr, 'int', dirfd, 'str', path, 'uint', flags,
    koffi().pointer(st().mountAttr), a, 'size_t', 32) as number;
  check('mount_setattr', r, where ?? path);
}

/** open_tree(2) (Linux 5.2+): with OPEN_TREE_CLONE, a detached copy of the mount (tree) at path, as an fd. */
export function openTree(dirfd: number, path: string, flags: number, where?: string): number {
  return check('open_tree', syscall()(SYS.open_tree, 'int', dirfd, 'str', path, 'uint', flags) as number, where ?? path);
}
/** move_mount(2) (Linux 5.2+): attach (or move) the mount at from onto to; with *_EMPTY_PATH the fds themselves. */
export function moveMount(fromDirfd: number, fromPath: string, toDirfd: number, toPath: string, flags: number, where?: string): void {
  const r = syscall()(SYS.move_mount, 'int', fromDirfd, 'str', fromPath, 'int', toDirfd, 'str', toPath, 'uint', flags) as number;
  check('move_mount', r, where ?? toPath);
}

// ---- files ------------------------------------------------------------------------------------
export function open(path: string, flags: number, mode = 0): number {
  return check('open', fn('int open(const char *path, int flags, uint32_t mode)')(path, flags, mode) as number, path);
}
export function openat(dirfd: number, path: string, flags: number, mode = 0, where?: string): number {
  const r = fn('int openat(int dirfd, const char *path, int flags, uint32_t mode)')(dirfd, path, flags, mode) as number;
  return check('openat', r, where ?? path);
}
/** openat2(2) (Linux 5.6+); RESOLVE_IN_ROOT keeps every symlink inside dirfd (CVE-2021-30465 class). */
export function openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number, where?: string): number {
  const r = syscall()(SYS.openat2, 'int', dirfd, 'str', path, koffi().pointer(st().openHow),
    { flags, mode, resolve }, 'size_t', 24) as number;
  return check('openat2', r, where ?? path);
}
export function close(fd: number): void {
  fn('int close(int fd)')(fd);
}
export function mkdirat(dirfd: number, name: string, mode: number, where?: string): void {
  check('mkdirat', fn('int mkdirat(int dirfd, const char *path, uint32_t mode)')(dirfd, name, mode) as number, where ?? name);
}
export function mknodat(dirfd: number, name: string, mode: number, dev: bigint, where?: string): void {
  check('mknodat', fn('int mknodat(int dirfd, const char *path, uint32_t mode, uint64_t dev)')(dirfd, name, mode, dev) as number, where ?? name);
}
export function mkfifo(path: string, mode: number): void {
  check('mkfifo', fn('int mkfifo(const char *path, uint32_t mode)')(path, mode) as number, path);
}
export function symlinkat(target: string, dirfd: number, name: string, where?: string): void {
  check('symlinkat', fn('int symlinkat(const char *target, int dirfd, const char *path)')(target, dirfd, name) as number, where ?? name);
}
export function fchownat(dirfd: number, path: string, uid: number, gid: number, flags: number, where?: string): void {
  check('fchownat', fn('int fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags)')(dirfd, path, uid, gid, flags) as number, where ?? path);
}
/** flock(2): advisory lock on an open file or directory, released when the fd is closed. */
export function flock(fd: number, op: number): void {
  check('flock', fn('int flock(int fd, int op)')(fd, op) as number);
}
export function fcntl(fd: number, cmd: number, arg = 0): number {
  return check('fcntl', fn('int fcntl(int fd, int cmd, ...)')(fd, cmd, 'int', arg) as number);
}
/** close_range(2) (Linux 5.9+); with CLOSE_RANGE_CLOEXEC it marks instead of closing. */
export function closeRange(first: number, last: number, flags: number): void {
  check('close_range', syscall()(SYS.close_range, 'uint', first, 'uint', last, 'uint', flags) as number);
}
/** faccessat2(fd, "", mode, AT_EMPTY_PATH) (Linux 5.8): may the caller use the file `fd` holds (an O_PATH fd works)? */
export function accessFd(fd: number, mode: number): boolean {
  return Number(syscall()(SYS.faccessat2, 'int', fd, 'str', '', 'int', mode, 'int', 0x1000 /* AT_EMPTY_PATH */)) === 0;
}

// ---- resources, capabilities, signals ---------------------------------------------------------
export function prlimit(pid: number, resource: number, soft?: bigint, hard?: bigint): { cur: bigint; max: bigint } {
  const old = { cur: 0n, max: 0n };
  const neu = soft === undefined ? null : { cur: soft, max: hard ?? soft };
  void st(); // the struct types first: koffi parses the prototype against them
  const f = fn('int prlimit(int pid, int resource, const tsrun_rlimit *neu, _Out_ tsrun_rlimit *old)');
  check('prlimit', f(pid, resource, neu, old) as number);
  return { cur: BigInt(old.cur), max: BigInt(old.max) };
}

export interface CapSets { effective: [number, number]; permitted: [number, number]; inheritable: [number, number] }
export function capget(): CapSets {
  void st();
  const zero = { effective: 0, permitted: 0, inheritable: 0 };
  const data = { lo: { ...zero }, hi: { ...zero } };
  const f = fn('int capget(tsrun_cap_header *hdr, _Out_ tsrun_cap_data2 *data)');
  check('capget', f({ version: 0x20080522, pid: 0 }, data) as number);
  return {
    effective: [data.lo.effective >>> 0, data.hi.effective >>> 0],
    permitted: [data.lo.permitted >>> 0, data.hi.permitted >>> 0],
    inheritable: [data.lo.inheritable >>> 0, data.hi.inheritable >>> 0],
  };
}
/** capset(2) for the calling thread (_LINUX_CAPABILITY_VERSION_3: two 32-bit words per set). */
export function capset(sets: CapSets): void {
  void st();
  const [lo, hi] = [0, 1].map((i) => ({ effective: sets.effective[i], permitted: sets.permitted[i], inheritable: sets.inheritable[i] }));
  const data = { lo, hi };
  const f = fn('int capset(tsrun_cap_header *hdr, tsrun_cap_data2 *data)');
  check('capset', f({ version: 0x20080522, pid: 0 }, data) as number);
}

/** Puts signal `sig` back to its default action (SIG_DFL is a null handler). */
export function signalDefault(sig: number): void {
  fn('void *signal(int sig, void *handler)')(sig, null);
}
/** Makes the kernel discard signal `sig` (SIG_IGN is the handler value 1). */
export function signalIgnore(sig: number): void {
  fn('void *signal(int sig, intptr_t handler)')(sig, 1);
}
/** Unblocks every signal for the calling thread (SIG_SETMASK with an empty set). */
export function unblockAllSignals(): void {
  const empty = Buffer.alloc(128);
  check('sigprocmask', fn('int sigprocmask(int how, const uint8_t *set, uint8_t *old)')(2 /* SIG_SETMASK */, empty, null) as number);
}

/** execve(2): only returns on failure. argv/env are passed as given, never process.env. */
export function execve(path: string, argv: string[], env: string[]): never {
  const r = fn('int execve(const char *path, const char **argv, const char **envp)')(path, [...argv, null], [...env, null]) as number;
  throw new SyscallError('execve', koffi().errno(), path, `exec ${JSON.stringify(argv[0])} (ret ${r})`);
}

// ---- exec (src/launcher/exec-*.ts, src/container/exec.ts) -------------------------------------
/** sched_setaffinity(2) of the calling thread (pid 0) to exactly `cpus`. */
export function schedSetaffinity(cpus: number[]): void {
  const mask = Buffer.alloc(1024); // cpu_set_t for up to 8192 CPUs (cpu-affinity.ts MAX_LIST_ID)
  for (const c of cpus) mask[c >> 3] |= 1 << (c & 7);
  check('sched_setaffinity', fn('int sched_setaffinity(int pid, size_t size, const uint8_t *mask)')(0, mask.length, mask) as number);
}
/** _exit(2): leaves without Node's teardown (the exec stage's last call, maybe under seccomp). */
export function exitNow(code: number): never {
  fn('void _exit(int status)')(code);
  throw new RuntimeError('internal', '_exit returned');
}
/**
 * poll(2): blocks the calling thread until one of `fds` has one of its `events`, or `timeoutMs`
 * passes (-1: no limit). A negative fd is ignored (poll(2)), so a caller can drop one from the
 * set without reshaping it. Returns each fd's revents (all 0 on timeout). EINTR (a signal for
 * Node's handlers) is retried with what is left of the timeout.
 */
export function poll(fds: ReadonlyArray<{ fd: number; events: number }>, timeoutMs: number): number[] {
  // struct pollfd { int fd; short events; short revents; }: 8 bytes each.
  const buf = Buffer.alloc(8 * fds.length);
  fds.forEach((p, i) => {
    buf.writeInt32LE(p.fd, 8 * i);
    buf.writeInt16LE(p.events, 8 * i + 4);
  });
  const f = fn('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = timeoutMs < 0 ? -1 : Math.max(0, deadline - Date.now());
    const n = f(buf, fds.length, left) as number;
    if (n >= 0) break;
    const e = koffi().errno();
    if (e !== 4 /* EINTR */) throw new SyscallError('poll', e);
  }
  return fds.map((_, i) => buf.readInt16LE(8 * i + 6));
}

/**
 * waitpid(2) on a libuv pool thread (koffi's async call), so the event loop keeps forwarding
 * signals meanwhile. Resolves with the raw wait status.
 */
export function waitpidAsync(pid: number): Promise<number> {
  const f = fn('int waitpid(int pid, _Out_ int *status, int options)') as Fn & { async: (...a: unknown[]) => void };
  return new Promise((resolve, reject) => {
    const status = [0];
    const attempt = (): void => {
      f.async(pid, status, 0, (err: unknown, ret: number) => {
        if (err) return reject(err as Error);
        if (ret < 0) {
          const e = koffi().errno();
          if (e === 4 /* EINTR */) return attempt();
          return reject(new SyscallError('waitpid', e));
        }
        resolve(status[0]);
      });
    };
    attempt();
  });
}

/**
 * waitpid(pid, &status, WNOHANG): the raw wait status once `pid` has exited (it is reaped then),
 * undefined while it runs. For a child libuv did not spawn (src/launcher/parent/adopted-child.ts).
 */
export function waitpidNoHang(pid: number): number | undefined {
  const status = [0];
  const ret = check('waitpid', fn('int waitpid(int pid, _Out_ int *status, int options)')(pid, status, 1 /* WNOHANG */) as number);
  return ret === 0 ? undefined : status[0];
}

/** pipe2(2) with O_CLOEXEC: [read end, write end]. */
export function pipe(): [number, number] {
  const fds = [0, 0];
  check('pipe2', fn('int pipe2(_Out_ int *fds, int flags)')(fds, 0o2000000 /* O_CLOEXEC */) as number);
  return [fds[0] as number, fds[1] as number];
}

/** eventfd(2), close-on-exec: a counter the kernel can signal (cgroup v1 event notifications). */
export function eventfd(): number {
  return check('eventfd', fn('int eventfd(unsigned int initval, int flags)')(0, 0o2000000 /* EFD_CLOEXEC */) as number);
}

/**
 * read(2) on a libuv pool thread (koffi's async call), for an fd libuv cannot poll, such as an
 * eventfd: the thread blocks, the event loop does not. Resolves with the byte count.
 */
export function readAsync(fd: number, buf: Buffer): Promise<number> {
  const f = fn('long read(int fd, _Out_ uint8_t *buf, unsigned long count)') as Fn & { async: (...a: unknown[]) => void };
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      f.async(fd, buf, buf.length, (err: unknown, ret: number | bigint) => {
        if (err) return reject(err as Error);
        const n = Number(ret);
        if (n < 0) {
          const e = koffi().errno();
          if (e === 4 /* EINTR */) return attempt();
          return reject(new SyscallError('read', e));
        }
        resolve(n);
      });
    };
    attempt();
  });
}

// ---- seccomp without libseccomp's loader (src/security/seccomp-enosys.ts) --------------------
/** memfd_create(2), close-on-exec. */
export function memfdCreate(name: string): number {
  return check('memfd_create', fn('int memfd_create(const char *name, unsigned int flags)')(name, 1 /* MFD_CLOEXEC */) as number);
}
let fprog: unknown;
/**
 * seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog) for the calling thread; `prog` is an array of
 * struct sock_filter. Returns the listener fd with SECCOMP_FILTER_FLAG_NEW_LISTENER, else 0.
 */
export function seccompSetFilter(prog: Buffer, flags: number): number {
  fprog ??= koffi().struct('tsrun_sock_fprog', { len: 'uint16', filter: 'void *' });
  return check('seccomp', syscall()(SYS.seccomp, 'uint', 1 /* SECCOMP_SET_MODE_FILTER */, 'uint', flags,
    'tsrun_sock_fprog *', { len: prog.length / 8, filter: prog }) as number);
}
