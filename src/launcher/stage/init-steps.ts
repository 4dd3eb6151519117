// The init stage's build steps, in the order the kernel and the spec require. Each step is named;
// a failure is reported to the parent as error{step, ...} and `create` fails with nothing left.
// Order constraints are commented where they are: those are the lines people later "fix".
import type { Sys } from '../../sys/sys';
import { RuntimeError } from '../../errors';
import { CLONE_NEWCGROUP, O } from '../../sys/constants';
import { prepareRootfs, prepareRootInPlace, applyRootPropagationAfterPivot } from '../../linux/rootfs';
import { chrootInto, moveInto, pivotInto } from '../../linux/pivot';
import { maskPaths, readonlyPath, setReadonly } from '../../linux/paths';
import { mkdirAllInRoot } from '../../linux/in-root';
import { setHostnames, writeSysctls } from '../../linux/system';
import { readLastCap } from '../../security/capabilities';
import { applyMemoryPolicy } from '../../security/memory-policy';
import { applyPersonality } from '../../security/personality';
import { applyProcessLabels } from '../../security/lsm';
import { prepareSeccomp } from '../../security/seccomp';
import { makeConsole, mountConsole } from '../../linux/pty';
import * as tty from '../../sys/tty';
import * as unix from '../../sys/unix-socket';
import { step } from './step';
import { protectRuntimeBinary } from '../protect-binary';
import { becomeProcess, type Seal } from './become-process';
import type { InitConfig, InitProcess } from '../../stage-config/init-config';

export interface Prepared {
  fifoFd: number;
  preserveFds: number;
  /** Absent when config.json has no process: `start` refuses such a container. */
  executable?: string;
  args: string[];
  env: string[];
  /** The seccomp filter and the capabilities held for it: final-exec.ts seals right before execve. */
  seal?: Seal;
  /** With process.terminal: the pty slave final-exec.ts makes the controlling terminal and stdio. */
  ttySlave?: number;
  /** An O_PATH fd of our own /proc/self/fd, opened before pivot_root, to reopen the fifo through. */
  fdDir: number;
}

export function buildContainer(sys: Sys, cfg: InitConfig, warn: (msg: string) => void, debug: (msg: string) => void, beforePivot: () => void = () => {}): Prepared {
  // A known umask for everything we create (mount points, device nodes), whatever the caller had.
  sys.umask(0o022);
  // Made by the trampoline, the mount namespace did not exist when the parent spawned: the node
  // binary is made read-only here, first, before anything of the container can run (CVE-2019-5736;
  // parent.ts does it before the spawn otherwise).
  if (cfg.protectBinary) step('protect-binary', () => protectRuntimeBinary(sys));
  // cgroup namespace after the parent has put us in our cgroup (it did, before bootstrap), so the
  // namespace's root is the container's cgroup (cgroup_namespaces(7)).
  if (cfg.newCgroupNs) step('cgroupns', () => sys.unshare(CLONE_NEWCGROUP));
  // A session keyring of the container's own (runc does the same): otherwise the container shares
  // the caller's session keyring and can read or plant its keys (keyrings(7)). Keyrings live in
  // the thread's credentials, and this is the thread that calls execve.
  if (cfg.newKeyring) step('keyring', () => sys.joinSessionKeyring(`_ses.${cfg.id}`.slice(0, 255)));

  // The pty calls run after pivot_root and in final-exec.ts: bind them while libc is the host's.
  if (cfg.process?.terminal) {
    tty.preload();
    unix.preload();
  }
  const lastCap = readLastCap(sys);
  // Compile the filter (and connect a NOTIFY listener) while libseccomp and the host paths are
  // reachable, so a bad profile fails `create`; it is loaded much later.
  const sc = cfg.seccomp;
  const seccomp = sc && cfg.process ? step('seccomp', () => prepareSeccomp(sc)) : undefined;
  // Without a mount namespace of its own the container is in the host's mount table: nothing is
  // mounted there (prepareRootInPlace), and the root is entered with chroot (pivot.ts chrootInto
  // has what runc does instead).
  const rootFd = step('rootfs', () => (cfg.ownMountNs ? prepareRootfs(sys, cfg) : prepareRootInPlace(sys, cfg)));

  // The fifo's host path vanishes at pivot_root: hold it by an O_PATH fd (or the one the parent
  // passed, through the trampoline: the mapped id may not search the state dir), reopened for writing in
  // final-exec.ts through the runtime's /proc/self/fd, held here by a second fd (close-on-exec,
  // never handed to the program: final-exec.ts limitFds). Opened now, not through the container's
  // /proc: a config may mask /proc/self (or /proc, /proc/1) or mount no /proc at all, and the
  // container then could never start (found by test/reliability/mutated-configs.test.ts: a masked
  // /proc/self made init fail right after create with "open /proc/self/fd/N: ENOENT").
  const fifoFd = cfg.fifoFd ?? step('exec-fifo', () => sys.open(cfg.fifoPath, O.PATH | O.CLOEXEC));
  const fdDir = step('exec-fifo', () => sys.open('/proc/self/fd', O.PATH | O.DIRECTORY | O.CLOEXEC));

  // prestart/createRuntime (parent) and createContainer (here): after the mounts, before pivot_root
  // (config.md POSIX-platform Hooks; src/hooks/phases.ts).
  step('hooks', beforePivot);
  if (cfg.ownMountNs) {
    step('pivot_root', () => (cfg.noPivot ? moveInto(sys, cfg.rootfs) : pivotInto(sys, cfg.rootfs)));
  } else {
    // Before the chroot, through the runtime's /proc: the root has none. /proc/sys/net, the IPC
    // and UTS files follow the namespaces of the writer, not of the procfs mount (checks.ts only
    // lets through sysctls of namespaces the container has). --no-pivot changes nothing here.
    step('sysctl', () => writeSysctls(sys, cfg.sysctl));
    step('chroot', () => chrootInto(sys, rootFd));
  }
  sys.close(rootFd);
  // From here on "/" is the container's root. Paths from config.json (cwd, args[0]) are resolved
  // below this fd with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, so /proc/self/fd/N tricks cannot
  // reach a host directory through an inherited fd (CVE-2024-21626).
  const root = sys.open('/', O.PATH | O.DIRECTORY | O.CLOEXEC);
  step('propagation', () => applyRootPropagationAfterPivot(sys, cfg));
  // The console after pivot_root, so /dev/ptmx is the container's (its own devpts), and before the
  // root or /dev can go read-only and the identity switch (runc: setupConsole right after
  // prepareRootfs, before finalizeRootfs).
  const ttySlave = cfg.process?.terminal ? step('console', () => setupConsole(sys, root, cfg, cfg.process as InitProcess)) : undefined;
  // runc creates a missing cwd (as root, before the uid switch) rather than failing; before the
  // root goes read-only, or it could not.
  const cwd = cfg.process?.cwd;
  if (cwd) step('cwd', () => sys.close(mkdirAllInRoot(sys, root, cwd, 0o755, cwd)));
  if (cfg.ownMountNs) step('sysctl', () => writeSysctls(sys, cfg.sysctl));
  // Masked and read-only paths after sysctl: /proc/sys is usually read-only once done.
  step('readonly-paths', () => cfg.readonlyPaths.forEach((p) => readonlyPath(sys, p)));
  step('masked-paths', () => maskPaths(sys, cfg.maskedPaths));
  step('hostname', () => setHostnames(sys, cfg.hostname, cfg.domainname));
  if (cfg.readonlyRoot) step('readonly-root', () => setReadonly(sys, '/', false));

  const proc = cfg.process;
  if (!proc) return { fifoFd, fdDir, preserveFds: cfg.preserveFds, args: [], env: [] };
  // The process must be able to use its terminal after the uid switch: like runc's
  // fixStdioPermissions, give the slave to the process's uid and keep the gid devpts chose (the
  // spec's default /dev/pts mount says gid=5, "tty"; runc: "the mount may prefer a different gid").
  if (ttySlave !== undefined) step('console', () => tty.fchown(ttySlave, proc.uid, -1, '/dev/console'));

  const { memoryPolicy, personality } = cfg;
  const { executable, seal } = becomeProcess(sys, {
    proc, root, lastCap, seccomp, warn, debug,
    privileged: () => {
      if (memoryPolicy) step('memory-policy', () => applyMemoryPolicy(sys, memoryPolicy));
      if (personality) step('personality', () => applyPersonality(sys, personality));
    },
  });
  sys.close(root);
  // Last step of create: LSM exec labels take effect at the next execve of this thread, which is
  // the user program's (src/security/lsm.ts says why this is not after `start`).
  step('lsm-labels', () => applyProcessLabels(proc));
  return { fifoFd, fdDir, preserveFds: cfg.preserveFds, executable, args: proc.args, env: proc.env, seal, ttySlave };
}

/**
 * process.terminal: a pty pair from the container's devpts, consoleSize applied, the slave bound
 * onto /dev/console, the master sent over the console socket (runc's setupConsole: one message,
 * body "/dev/ptmx", one fd). The master and the socket are closed here: the client holds the
 * master from now on. Returns the slave, kept until final-exec.ts makes it the stdio.
 */
function setupConsole(sys: Sys, root: number, cfg: InitConfig, proc: InitProcess): number {
  const sock = cfg.consoleSocketFd;
  if (sock === undefined) throw new RuntimeError('console', 'process.terminal is set but no console socket was passed');
  return makeConsole(sys, root, sock, proc.consoleSize, (slave) => mountConsole(sys, root, slave));
}
