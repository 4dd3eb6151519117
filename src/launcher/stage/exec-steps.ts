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
import fs = require('node:fs');
import type { Sys } from '../../sys/sys';
import { CLONE_FS, CLOSE_RANGE_CLOEXEC, O } from '../../sys/constants';
import { readProcStat } from '../../state/status';
import { readLastCap } from '../../security/capabilities';
import { applyProcessLabels } from '../../security/lsm';
import { prepareSeccomp } from '../../security/seccomp';
import { preloadSpawn, spawnProcess, type FileAction } from '../../sys/spawn';
import { RuntimeError } from '../../errors';
import { step } from './step';
import { becomeProcess, sealProcess } from './become-process';
import { chrootInto } from '../../linux/pivot';
import type { ExecConfig } from '../../stage-config/exec-config';

const F_GETFD = 1;

/**
 * The boottime offset of this stage's time namespace, in ns. Joined through the trampoline, the
 * stage may be in the container's time namespace, and /proc/<pid>/stat shows a start time shifted
 * by that offset (proc(5) field 22 is in the reader's boottime, time_namespaces(7)).
 */
function boottimeOffsetNs(): bigint {
  let text = '';
  try {
    text = fs.readFileSync('/proc/self/timens_offsets', 'utf8');
  } catch {
    return 0n; // no time namespaces in this kernel
  }
  const m = /^boottime\s+(-?\d+)\s+(\d+)/m.exec(text);
  return m ? BigInt(m[1]) * 1_000_000_000n + BigInt(m[2]) : 0n;
}

/**
 * Is `seen` (a start time read here) the recorded one (read by tsrun in the host's time
 * namespace)? Field 22 is in clock ticks (USER_HZ, 100 a second: 10^7 ns each), rounded down
 * after the offset is added, so with an offset that is not a whole tick it is one of two values.
 */
function isRecordedStart(seen: number, recorded: number): boolean {
  const off = boottimeOffsetNs();
  const tick = 10_000_000n;
  const floorDiv = (a: bigint): bigint => (a >= 0n ? a / tick : -((-a + tick - 1n) / tick));
  const lo = BigInt(recorded) + floorDiv(off);
  const s = BigInt(seen);
  return s === lo || (off % tick !== 0n && s === lo + 1n);
}

/** Pins the container's init with a pidfd, so a recycled pid can never be joined. */
function pinInit(sys: Sys, cfg: ExecConfig): number {
  const pidfd = sys.pidfdOpen(cfg.initPid);
  const stat = readProcStat(cfg.initPid);
  if (!stat || !isRecordedStart(stat.startTime, cfg.initStartTime) || stat.state === 'Z') {
    sys.close(pidfd);
    throw new RuntimeError('exec', `container ${cfg.id} is not running (its init process is gone)`);
  }
  return pidfd;
}

/**
 * O_PATH fd of the init's root directory (/proc/<pid>/root: the chroot made by init-steps.ts). The
 * pid is checked again afterwards: had the init died and its pid been reused between the pin and
 * the open, the start time would differ now.
 */
function openInitRoot(sys: Sys, cfg: ExecConfig): number {
  const fd = sys.open(`/proc/${cfg.initPid}/root`, O.PATH | O.DIRECTORY | O.CLOEXEC);
  const stat = readProcStat(cfg.initPid);
  if (!stat || !isRecordedStart(stat.startTime, cfg.initStartTime)) {
    sys.close(fd);
    throw new RuntimeError('exec', `container ${cfg.id} is not running (its init process is gone)`);
  }
  return fd;
}

/** Whether `fd` is open in this stage (a caller may have closed its stdin). */
function isOpen(sys: Sys, fd: number): boolean {
  try {
    sys.fcntl(fd, F_GETFD);
    return true;
  } catch {
    return false;
  }
}

/**
 * The child's fds: 0-2 and the preserved ones, nothing else (runtime.md; CVE-2024-21626: no
 * runtime fd may reach the process). Every fd of the stage from 3 up is close-on-exec by then
 * (execInContainer); dup2(fd, fd) in a posix_spawn file action clears FD_CLOEXEC (glibc, POSIX
 * issue 411) for the ones the child keeps, including 0-2, on which Node sets it. Marking instead of
 * a closefrom action keeps close_range(2) out of the child, which runs under the filter.
 */
function fileActions(sys: Sys, cfg: ExecConfig, ptyName: string | undefined): FileAction[] {
  const actions: FileAction[] = [];
  const last = 3 + cfg.preserveFds;
  if (ptyName) {
    // The new session leader opens the slave without O_NOCTTY: it becomes the controlling
    // terminal (tty_ioctl(4) TIOCSCTTY, credentials(7) "sessions").
    actions.push({ op: 'open', fd: 0, path: ptyName, flags: O.RDWR }, { op: 'dup2', fd: 0, newfd: 1 }, { op: 'dup2', fd: 0, newfd: 2 });
  } else {
    for (let fd = 0; fd < 3; fd++) if (isOpen(sys, fd)) actions.push({ op: 'dup2', fd, newfd: fd });
  }
  for (let fd = 3; fd < last; fd++) if (isOpen(sys, fd)) actions.push({ op: 'dup2', fd, newfd: fd });
  return actions;
}

export interface PtyHooks {
  /** Before setns: bind what `open` calls. */
  preload: () => void;
  /** After setns, as root: open the pty in the container, send the master; returns the slave's path. */
  open: (sys: Sys, cfg: ExecConfig, root: number) => string;
}

/** Runs every step and spawns the process; returns its host pid. */
export function execInContainer(sys: Sys, cfg: ExecConfig, warn: (m: string) => void, debug: (m: string) => void, pty?: PtyHooks): number {
  const proc = cfg.process;
  // Host-side preparations, while libseccomp, the listener socket and the host's /proc resolve.
  preloadSpawn();
  if (proc.terminal) pty?.preload();
  const seccomp = cfg.seccomp ? step('seccomp', () => prepareSeccomp(cfg.seccomp!)) : undefined;
  // LSM exec labels are written to /proc/thread-self/attr/exec, which the container's /proc
  // cannot name (this stage is outside its PID namespace); they act at the next execve of a
  // thread that inherits them, the child's (src/security/lsm.ts).
  step('lsm-labels', () => applyProcessLabels(proc));
  const lastCap = readLastCap(sys);
  // execCPUAffinity.final, after tsrun exec put us in the cgroup (config.md "execCPUAffinity";
  // `initial` was set by tsrun exec on the thread that spawned this stage).
  const final = proc.cpuAffinityFinal;
  if (final) step('cpu-affinity', () => sys.schedSetaffinity(final));

  const pidfd = step('pidfd', () => pinInit(sys, cfg));
  // Opened before setns, while /proc is the runtime's, and after the pin: see openInitRoot.
  const initRoot = cfg.enterInitRoot ? step('root', () => openInitRoot(sys, cfg)) : undefined;
  // setns(2) into a mount namespace wants a private fs_struct (EINVAL otherwise): libuv's threads
  // share ours. It also resets this thread's root and cwd to the namespace's root.
  if (cfg.joinsMountNs) step('setns', () => sys.unshare(CLONE_FS));
  // One setns(2) call with the pidfd joins every namespace at once (Linux 5.8).
  if (cfg.nsFlags) step('setns', () => sys.setns(pidfd, cfg.nsFlags, `/proc/${cfg.initPid}`));
  sys.close(pidfd);
  if (initRoot !== undefined) {
    // No mount namespace of its own: setns(2) put our root at the namespace's root (the host's
    // "/"), while the container's is the init's chroot (init-steps.ts). runc's exec stops at the
    // setns and runs the process in the host's "/" (pivot.ts chrootInto).
    step('chroot', () => chrootInto(sys, initRoot));
    sys.close(initRoot);
  }
  if (cfg.newKeyring) step('keyring', () => sys.joinSessionKeyring(`_ses.${cfg.id}`.slice(0, 255)));
  const root = sys.open('/', O.PATH | O.DIRECTORY | O.CLOEXEC);
  if (proc.terminal && !pty) throw new RuntimeError('console', 'this exec stage cannot make terminals');
  const ptyName = proc.terminal && pty ? step('console', () => pty.open(sys, cfg, root)) : undefined;

  const { executable, seal } = becomeProcess(sys, { proc, root, lastCap, seccomp, warn, debug });
  sys.close(root);
  const actions = fileActions(sys, cfg, ptyName);
  sys.closeRange(3, 0xffffffff, CLOSE_RANGE_CLOEXEC);
  // Last, so the profile constrains as little of our own work as possible. Unlike runc, which
  // loads it right before its own execve, the spawn still runs under it here: glibc's clone3
  // (ENOSYS for a profile that does not name it, seccomp.ts) and clone, then in the child the
  // signal resets, setsid, dup2/fcntl and execve (src/security/after-seccomp.ts lists them all).
  // A container granted CAP_SYS_PTRACE could also attach to the child before its execve, which
  // shares this stage's memory (CLONE_VM): runc's init holds the same window with all its caps.
  sealProcess(sys, seal, 'running');
  return step('exec', () => spawnProcess({ path: executable, argv: proc.args, env: proc.env, actions, setsid: Boolean(ptyName) }));
}
