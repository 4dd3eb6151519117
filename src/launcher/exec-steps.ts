// The exec stage's steps: turn this stage's main thread into the exec'd process's template, then
// posix_spawn the process from it. Namespaces (setns on a thread), credentials, capabilities,
// no_new_privs, seccomp, cwd, umask and CPU affinity are all per thread on Linux, and a child
// inherits the spawning thread's (clone(2)); so the stage itself stays in the host's PID namespace,
// where nothing in the container can see, signal or ptrace it, and only its child enters the
// container's PID namespace (setns(2) on a PID namespace sets the namespace of the *children*).
// That child runs nothing of ours: it is the user's program from its first instruction
// (CVE-2019-5736: see exec-stage.ts for the read-only node binary it still carries until execve).
//
// The order follows runc's setns init (libcontainer/setns_init_linux.go) and this project's
// init-steps.ts: everything that needs the host's view (libseccomp, the seccomp listener, LSM
// attributes, /proc of the host) first, then setns, then what needs privileges, then the drop.
import * as libc from '../sys/libc';
import { CLONE_FS, O } from '../sys/constants';
import { readProcStat } from '../state/status';
import { readLastCap } from '../security/capabilities';
import { applyProcessLabels } from '../security/lsm';
import { loadSeccomp, prepareSeccomp } from '../security/seccomp';
import { preloadSpawn, spawnProcess, type FileAction } from '../sys/spawn';
import { RuntimeError } from '../errors';
import { step } from './step';
import { becomeProcess } from './become-process';
import type { ExecConfig } from './exec-config';

const F_GETFD = 1;

/** Pins the container's init with a pidfd, so a recycled pid can never be joined. */
function pinInit(cfg: ExecConfig): number {
  const pidfd = libc.pidfdOpen(cfg.initPid);
  const stat = readProcStat(cfg.initPid);
  if (!stat || stat.startTime !== cfg.initStartTime || stat.state === 'Z') {
    libc.close(pidfd);
    throw new RuntimeError('exec', `container ${cfg.id} is not running (its init process is gone)`);
  }
  return pidfd;
}

/** Whether `fd` is open in this stage (a caller may have closed its stdin). */
function isOpen(fd: number): boolean {
  try {
    libc.fcntl(fd, F_GETFD);
    return true;
  } catch {
    return false;
  }
}

/**
 * The child's fds: 0-2 and the preserved ones, nothing else (runtime.md; CVE-2024-21626: no
 * runtime fd may reach the process). dup2(fd, fd) in a posix_spawn file action clears
 * FD_CLOEXEC, which Node sets on 0-2.
 */
function fileActions(cfg: ExecConfig, ptyName: string | undefined): FileAction[] {
  const actions: FileAction[] = [];
  const last = 3 + cfg.preserveFds;
  if (ptyName) {
    // The new session leader opens the slave without O_NOCTTY: it becomes the controlling
    // terminal (tty_ioctl(4) TIOCSCTTY, credentials(7) "sessions").
    actions.push({ op: 'open', fd: 0, path: ptyName, flags: O.RDWR }, { op: 'dup2', fd: 0, newfd: 1 }, { op: 'dup2', fd: 0, newfd: 2 });
  } else {
    for (let fd = 0; fd < 3; fd++) if (isOpen(fd)) actions.push({ op: 'dup2', fd, newfd: fd });
  }
  for (let fd = 3; fd < last; fd++) if (isOpen(fd)) actions.push({ op: 'dup2', fd, newfd: fd });
  actions.push({ op: 'closefrom', from: last });
  return actions;
}

export interface PtyHooks {
  /** Before setns: bind what `open` calls. */
  preload: () => void;
  /** After setns, as root: open the pty in the container, send the master; returns the slave's path. */
  open: (cfg: ExecConfig, root: number) => string;
}

/** Runs every step and spawns the process; returns its host pid. */
export function execInContainer(cfg: ExecConfig, warn: (m: string) => void, debug: (m: string) => void, pty?: PtyHooks): number {
  const proc = cfg.process;
  // Host-side preparations, while libseccomp, the listener socket and the host's /proc resolve.
  preloadSpawn();
  if (proc.terminal) pty?.preload();
  const seccomp = cfg.seccomp ? step('seccomp', () => prepareSeccomp(cfg.seccomp!)) : undefined;
  // LSM exec labels are written to /proc/thread-self/attr/exec, which the container's /proc
  // cannot name (this stage is outside its PID namespace); they act at the next execve of a
  // thread that inherits them, the child's (src/security/lsm.ts).
  step('lsm-labels', () => applyProcessLabels(proc));
  const lastCap = readLastCap();
  // execCPUAffinity.final, after tsrun exec put us in the cgroup (config.md "execCPUAffinity";
  // `initial` was set by tsrun exec on the thread that spawned this stage).
  const final = proc.cpuAffinityFinal;
  if (final) step('cpu-affinity', () => libc.schedSetaffinity(final));

  const pidfd = step('pidfd', () => pinInit(cfg));
  // setns(2) into a mount namespace wants a private fs_struct (EINVAL otherwise): libuv's threads
  // share ours. It also resets this thread's root and cwd to the namespace's root.
  if (cfg.joinsMountNs) step('setns', () => libc.unshare(CLONE_FS));
  // One setns(2) call with the pidfd joins every namespace at once (Linux 5.8).
  if (cfg.nsFlags) step('setns', () => libc.setns(pidfd, cfg.nsFlags, `/proc/${cfg.initPid}`));
  libc.close(pidfd);
  if (cfg.newKeyring) step('keyring', () => libc.joinSessionKeyring(`_ses.${cfg.id}`.slice(0, 255)));
  const root = libc.open('/', O.PATH | O.DIRECTORY | O.CLOEXEC);
  if (proc.terminal && !pty) throw new RuntimeError('console', 'this exec stage cannot make terminals');
  const ptyName = proc.terminal && pty ? step('console', () => pty.open(cfg, root)) : undefined;

  const executable = becomeProcess({ proc, root, lastCap, seccomp, seccompStatus: 'running', warn, debug });
  libc.close(root);
  const actions = fileActions(cfg, ptyName);
  // Last, so the profile constrains as little of our own work as possible. Unlike runc, which
  // loads it right before its own execve, the spawn still runs under it here: glibc's clone3 (or
  // clone on ENOSYS), then in the child rt_sigaction, setsid, dup2, close_range and execve. The
  // default profiles of docker, podman and containerd allow all of them (README "seccomp").
  // A container granted CAP_SYS_PTRACE could also attach to the child before its execve, which
  // shares this stage's memory (CLONE_VM): runc's init holds the same window with all its caps.
  if (seccomp && proc.noNewPrivileges) step('seccomp', () => loadSeccomp(seccomp, 'running'));
  return step('exec', () => spawnProcess({ path: executable, argv: proc.args, env: proc.env, actions, setsid: Boolean(ptyName) }));
}
