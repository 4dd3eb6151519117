// posix_spawn(3) through koffi: how the exec stage starts the exec'd process. Why not Node's
// child_process: libuv forks from its own code, gives no way to make the pty the child's
// controlling terminal (POSIX_SPAWN_SETSID plus an open(2) of the pty slave by the new session
// leader does that: tty_ioctl(4), "the first terminal a session leader opens becomes its
// controlling terminal"), and a forked copy of Node may not run any JS anyway (V8 marks its heap
// MADV_DONTFORK). glibc's posix_spawn clones with CLONE_VM|CLONE_VFORK from the calling thread
// and runs only libc code in the child, so the child inherits exactly that thread's namespaces,
// credentials, capabilities, no_new_privs, seccomp filter, cwd and umask (docs/ARCHITECTURE.md
// section 3, "exec").
import { SyscallError } from '../errors';
import { libcFunction } from './libc';

// <spawn.h> flags (glibc).
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
// sizeof(posix_spawn_file_actions_t) is 80 and sizeof(posix_spawnattr_t) 336 on LP64 glibc;
// the buffers are larger so a different layout cannot overflow them.
const OPAQUE_SIZE = 1024;
/** sizeof(sigset_t) in glibc. */
const SIGSET_SIZE = 128;

type Fn = (...args: unknown[]) => unknown;
let fns: Record<string, Fn> | undefined;
function f(): Record<string, Fn> {
  if (!fns) {
    const def = (proto: string): Fn => libcFunction(proto);
    fns = {
      spawn: def('int posix_spawn(_Out_ int *pid, const char *path, void *actions, void *attr, const char **argv, const char **envp)'),
      faInit: def('int posix_spawn_file_actions_init(void *actions)'),
      faDestroy: def('int posix_spawn_file_actions_destroy(void *actions)'),
      faDup2: def('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)'),
      faOpen: def('int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int oflag, uint32_t mode)'),
      attrInit: def('int posix_spawnattr_init(void *attr)'),
      attrDestroy: def('int posix_spawnattr_destroy(void *attr)'),
      attrFlags: def('int posix_spawnattr_setflags(void *attr, short flags)'),
      attrSigDefault: def('int posix_spawnattr_setsigdefault(void *attr, const uint8_t *set)'),
      attrSigMask: def('int posix_spawnattr_setsigmask(void *attr, const uint8_t *set)'),
    };
  }
  return fns;
}

/** Binds every function now: the exec stage calls this before it enters the container's mount namespace. */
export function preloadSpawn(): void {
  f();
}

export type FileAction =
  | { op: 'dup2'; fd: number; newfd: number }
  /** open(2) in the child, after setsid: a tty opened here becomes the controlling terminal. */
  | { op: 'open'; fd: number; path: string; flags: number; mode?: number };

export interface SpawnRequest {
  path: string;
  argv: string[];
  env: string[];
  actions: FileAction[];
  /** Start a new session (setsid(2)) before the file actions run. */
  setsid: boolean;
}

/** posix_spawn returns an error number rather than setting errno. */
function checkRet(what: string, ret: unknown, path?: string): void {
  const n = Number(ret);
  if (n !== 0) throw new SyscallError(what, n, path);
}

/**
 * Spawns `path` from the calling thread and returns its pid (in the caller's pid namespace).
 * Every signal gets its default action and none is blocked in the child: Node ignores SIGPIPE and
 * SIGXFSZ, and ignored signals survive execve(2). An exec failure (ENOENT, EACCES, ...) is
 * returned by posix_spawn itself, so it is reported before anyone sees a pid.
 */
export function spawnProcess(r: SpawnRequest): number {
  const fn = f();
  const actions = Buffer.alloc(OPAQUE_SIZE);
  const attr = Buffer.alloc(OPAQUE_SIZE);
  checkRet('posix_spawn_file_actions_init', fn.faInit(actions));
  try {
    checkRet('posix_spawnattr_init', fn.attrInit(attr));
    try {
      for (const a of r.actions) {
        if (a.op === 'dup2') checkRet('posix_spawn_file_actions_adddup2', fn.faDup2(actions, a.fd, a.newfd));
        else checkRet('posix_spawn_file_actions_addopen', fn.faOpen(actions, a.fd, a.path, a.flags, a.mode ?? 0), a.path);
      }
      // Every signal 1..64 to SIG_DFL. Not sigfillset(3): glibc leaves its internal signals 32 and
      // 33 out of it, and posix_spawn then sets those two to SIG_IGN in the child, which execve
      // keeps (glibc sysdeps/unix/sysv/linux/spawni.c).
      const all = Buffer.alloc(SIGSET_SIZE);
      all.fill(0xff, 0, 8);
      checkRet('posix_spawnattr_setsigdefault', fn.attrSigDefault(attr, all));
      checkRet('posix_spawnattr_setsigmask', fn.attrSigMask(attr, Buffer.alloc(SIGSET_SIZE)));
      const flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (r.setsid ? POSIX_SPAWN_SETSID : 0);
      checkRet('posix_spawnattr_setflags', fn.attrFlags(attr, flags));
      const pid = [0];
      checkRet('posix_spawn', fn.spawn(pid, r.path, actions, attr, [...r.argv, null], [...r.env, null]), r.path);
      return pid[0];
    } finally {
      fn.attrDestroy(attr);
    }
  } finally {
    fn.faDestroy(actions);
  }
}
