// `exec`: run one more process in a container (runc exec). tsrun exec spawns the exec stage
// (src/launcher/parent/exec-stage.ts), which joins the container and posix_spawns the process; the stage
// then leaves and the process is reparented to tsrun exec, a child subreaper
// (prctl(2) PR_SET_CHILD_SUBREAPER), which forwards signals to it and returns its exit status
// (128+n when killed by signal n), as runc exec does. With --detach tsrun exec returns once the
// process runs, and the process goes to the caller's subreaper (containerd's shim, conmon).
import { setgroupsDeniedIn } from '../linux/id-maps';
import { isRuntimeNamespace } from '../linux/ns-identity';
import * as libc from '../sys/libc';
import { PR_SET_CHILD_SUBREAPER, CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS } from '../sys/constants';
import { readRecord, type ContainerRecord } from '../state/store';
import { RuntimeError, StateError, UnsupportedError } from '../errors';
import { log } from '../log';
import { SIGNALS } from '../sys/signals';
import { managerOf } from './cleanup';
import { statusOf } from './state';
import { canExec } from '../state/status';
import { writePidFile } from '../state/pid-file';
import { checkTerminal, requireOwnTerminal } from './terminal-rules';
import { buildExecProcess, checkedExecProcess, type ExecProcessFlags } from './exec-process';
import { runExecStage, type ExecStageResult } from '../launcher/parent/exec-stage';
import { trace } from '../trace';
import { checkPreservedFds } from '../launcher/parent/preserved-fds';
import * as unix from '../sys/unix-socket';
import * as ttySys from '../sys/tty';
import { startTtyRelay, type TtyRelay } from './tty-relay';
import { SignalForwarder } from './signal-forwarder';
import type { ExecConfig, ExecProcess } from '../stage-config/exec-config';
import type { StageStdio } from '../launcher/parent/spawn-stage';
import type { Process } from '../spec/types';
import type { NsRequest } from '../stage-config/namespaces';
import type { EarlyInit } from '../launcher/parent/early-plan';
import type { GlobalOptions } from './context';
import { reached } from '../step-hook';

export interface ExecOptions extends ExecProcessFlags {
  id: string;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds: number;
  ignorePaused: boolean;
}

// The namespaces an exec'd process joins: those of init that are not the runtime's own
// (a container that shares the host's network, say, has nothing to join there).
const JOINABLE: Array<[string, number]> = [
  ['ipc', CLONE_NEWIPC], ['uts', CLONE_NEWUTS], ['net', CLONE_NEWNET], ['pid', CLONE_NEWPID], ['mnt', CLONE_NEWNS], ['cgroup', CLONE_NEWCGROUP],
];

function sameNs(pid: number, name: string): boolean {
  return isRuntimeNamespace(`/proc/${pid}/ns/${name}`, name);
}

function namespaceFlags(rec: ContainerRecord): { flags: number; mount: boolean; trampoline: NsRequest[] } {
  let flags = 0;
  const trampoline: NsRequest[] = [];
  try {
    for (const [name, flag] of JOINABLE) if (!sameNs(rec.pid, name)) flags |= flag;
    // No mount namespace of its own: the container's is the one its init runs in (the runtime's
    // at create, which need not be ours now). Join it all the same; the stage then chroots into
    // the init's root (exec-steps.ts), since setns(2) resets the root to the namespace's.
    if (rec.ownMountNamespace === false) flags |= CLONE_NEWNS;
    // setns(2) into a time or user namespace needs a single-threaded caller (EUSERS/EINVAL), and
    // a Node process never is one: the trampoline joins those before it execs the stage
    // (src/launcher/parent/trampoline.ts), user first, so the stage is root in the container's user
    // namespace when it joins the rest. The paths are opened by pid; the stage then pins init by a
    // pidfd and checks its start time (exec-steps.ts), and joining the rest of a recycled pid's
    // namespaces from a stranger's user namespace fails (setns(2): EPERM).
    if (!sameNs(rec.pid, 'user')) trampoline.push({ type: 'user', path: `/proc/${rec.pid}/ns/user` });
    if (!sameNs(rec.pid, 'time')) trampoline.push({ type: 'time', path: `/proc/${rec.pid}/ns/time` });
  } catch (e) {
    if (e instanceof RuntimeError) throw e;
    throw new StateError(`container ${rec.id} is not running (its namespaces are gone)`);
  }
  return { flags, mount: (flags & CLONE_NEWNS) !== 0, trampoline };
}

/** Our terminal's size, from the first of 0-2 that is a terminal. */
function ownWindowSize(): { height: number; width: number } | undefined {
  for (const fd of [0, 1, 2]) {
    try {
      if (!ttySys.isatty(fd)) continue;
      const ws = ttySys.getWinsize(fd);
      return { height: ws.rows, width: ws.cols };
    } catch {
      // not a terminal after all
    }
  }
  return undefined;
}

function exitStatus(raw: number): number {
  const sig = raw & 0x7f;
  return sig === 0 ? (raw >> 8) & 0xff : 128 + sig;
}

/** What runs the exec stage: the container, the process, and the fds the stage is given. */
interface StageRequest {
  rec: ContainerRecord;
  proc: ExecProcess;
  preserveFds: number;
  /** The sending end of the pty master's socket (process.terminal); closed here once the stage has its copy. */
  consoleFd?: number;
  /** The stage's (and so the process's) fds 0-2; default ours. */
  stdio?: StageStdio[];
  /** An exec stage the dispatcher spawned ahead (tsrun exec only). */
  early?: EarlyInit;
}

/** Joins the container through the exec stage; resolves with the process's pid (shared by the CLI and the library). */
async function spawnInContainer(r: StageRequest): Promise<ExecStageResult> {
  const { rec, proc } = r;
  const ns = namespaceFlags(rec);
  const config: ExecConfig = {
    id: rec.id,
    initPid: rec.pid,
    initStartTime: rec.startTime,
    nsFlags: ns.flags,
    joinsMountNs: ns.mount,
    enterInitRoot: rec.ownMountNamespace === false,
    process: proc,
    newKeyring: rec.config.newKeyring ?? true,
    seccomp: rec.config.seccomp,
    preserveFds: r.preserveFds,
  };
  // The stage gets the console socket's end right after the preserved fds.
  if (r.consoleFd !== undefined) config.consoleFd = 3 + r.preserveFds;
  try {
    // execCPUAffinity.initial: the stage inherits this thread's affinity and keeps it until it
    // joins the cgroup (config.md "execCPUAffinity").
    if (proc.cpuAffinityInitial) libc.schedSetaffinity(proc.cpuAffinityInitial);
    const extraFds = Array.from({ length: r.preserveFds }, (_, i) => 3 + i);
    if (r.consoleFd !== undefined) extraFds.push(r.consoleFd);
    const cg = managerOf(rec);
    trace('process config built and checked');
    return await runExecStage({
      config,
      trampolineJoins: ns.trampoline,
      extraFds,
      stdio: r.stdio,
      inheritsAffinity: proc.cpuAffinityInitial !== undefined,
      early: r.early,
      // Only the stage's main thread (tid = pid), the one that spawns the process.
      onHello: (stagePid) => {
        trace('exec stage said hello');
        cg?.applyThread(stagePid);
        trace('exec stage in the cgroup');
      },
      onWarning: (m) => log.warn(m),
    });
  } finally {
    // The stage has its copy now (spawn dup2()ed it synchronously); ours would keep a console
    // socket client from seeing EOF.
    if (r.consoleFd !== undefined) libc.close(r.consoleFd);
  }
}

/** The checks every exec makes before anything is spawned. */
function checkExecTarget(g: GlobalOptions, rec: ContainerRecord, proc: ExecProcess, ignorePaused: boolean): void {
  const refused = canExec(statusOf(g, rec), ignorePaused);
  if (refused) throw refused;
  // A rootless container whose gid map is only its creator's gid has setgroups(2) denied in its
  // user namespace (src/spec/rootless.ts): the process keeps its groups, as the init did.
  if (setgroupsDeniedIn(rec.pid)) {
    if (proc.additionalGids.length > 0) {
      throw new RuntimeError('exec', 'additional gids cannot be set: setgroups(2) is denied in this container\'s user namespace (its gid map is only its creator\'s gid)');
    }
    proc.setgroupsDenied = true;
  }
  // runtime-linux.md /dev/console, and the pty itself, come from the container's own devpts, a
  // mount that a container without a mount namespace does not have (checks.ts refuses
  // process.terminal there too).
  if (proc.terminal && rec.ownMountNamespace === false) {
    throw new RuntimeError('exec', 'a terminal needs the container\'s own devpts, and this container has no mount namespace (it has no /dev/pts)');
  }
}

export async function execProcess(g: GlobalOptions, o: ExecOptions): Promise<number> {
  const rec = readRecord(g.root, o.id);
  checkPreservedFds(o.preserveFds);
  const proc = buildExecProcess(rec.config.process, o);
  checkTerminal(proc.terminal, o.detach, o.consoleSocket);
  if (proc.terminal && !o.consoleSocket) requireOwnTerminal();
  checkExecTarget(g, rec, proc, o.ignorePaused);
  // The terminal's master goes over a unix socket: to --console-socket (the caller's), or to us
  // for the relay (runc exec -t in the foreground).
  let consoleFd: number | undefined;
  let relayEnd: number | undefined;
  if (proc.terminal) {
    if (o.consoleSocket) {
      consoleFd = unix.connectUnix(o.consoleSocket);
    } else {
      [relayEnd, consoleFd] = unix.socketPair();
      // The process starts with our window size rather than 0x0 until the relay's first resize.
      proc.consoleSize ??= ownWindowSize();
    }
  }
  // Signals that arrive before the process exists are held, then delivered (runc's signal
  // handler is installed before the process starts too).
  let relay: TtyRelay | undefined;
  const signals = o.detach ? undefined : new SignalForwarder(true);
  // Orphans of our children come to us: the process, once the stage that spawned it leaves.
  if (!o.detach) libc.prctl(PR_SET_CHILD_SUBREAPER, 1);
  try {
    const given = consoleFd;
    // spawnInContainer closes it, whatever happens.
    consoleFd = undefined;
    const { pid, stageExited } = await spawnInContainer({ rec, proc, preserveFds: o.preserveFds, consoleFd: given, early: g.early });
    trace('process spawned in the container');
    reached('started');
    if (relayEnd !== undefined) relay = startTtyRelay(unix.recvFd(relayEnd).fd);
    log.debug(`exec: ${rec.id}: process ${pid} started`);
    if (o.pidFile) writePidFile(o.pidFile, pid);
    if (o.detach) {
      await stageExited;
      return 0;
    }
    // The stage has to be gone before the process is our child and waitpid(2) can reap it.
    const pidfd = libc.pidfdOpen(pid);
    signals?.setTarget((sig) => libc.pidfdSendSignal(pidfd, SIGNALS[sig]), relay !== undefined);
    await stageExited;
    reached('stage-exited');
    const raw = await libc.waitpidAsync(pid);
    trace('process exited');
    reached('waited');
    signals?.clearTarget();
    libc.close(pidfd);
    // What the process wrote before it exited is still in the pty's buffer.
    await relay?.finish();
    return exitStatus(raw);
  } finally {
    relay?.close();
    for (const fd of [consoleFd, relayEnd]) if (fd !== undefined) libc.close(fd);
    signals?.stop();
  }
}

export interface LibraryExecOptions {
  id: string;
  /** The whole runtime-spec process (what `tsrun exec --process` reads from a file). */
  process: Process;
  /** The process's fds 0-2 when it has no terminal. */
  stdio: StageStdio[];
}

export interface LibraryExec {
  pid: number;
  /** With process.terminal: the pty master, the caller's to relay and close. */
  ptyMaster?: number;
  /** Resolves when the stage is gone: the process is then the caller's child, if it is a subreaper. */
  stageExited: Promise<void>;
}

/**
 * `exec` for an in-process caller (src/api.ts): the process is started and left running; the
 * caller, a child subreaper, inherits it when the stage exits and reaps it itself. A terminal's
 * master comes back to the caller over a socket pair (the in-process form of --console-socket).
 */
export async function spawnExec(g: GlobalOptions, o: LibraryExecOptions): Promise<LibraryExec> {
  const rec = readRecord(g.root, o.id);
  const proc = checkedExecProcess(o.process);
  // The stage inherits the calling thread's affinity: a long-lived caller would keep
  // execCPUAffinity.initial as its own afterwards.
  if (proc.cpuAffinityInitial) throw new UnsupportedError('/process/execCPUAffinity', 'is not supported by in-process exec (the caller would keep the initial affinity)');
  checkExecTarget(g, rec, proc, false);
  let keep: number | undefined;
  let give: number | undefined;
  if (proc.terminal) [keep, give] = unix.socketPair();
  try {
    const { pid, stageExited } = await spawnInContainer({ rec, proc, preserveFds: 0, consoleFd: give, stdio: proc.terminal ? ['ignore', 'ignore', 'ignore'] : o.stdio });
    give = undefined;
    // The stage sent the master before it said `spawned`: it waits in the socket buffer.
    const ptyMaster = keep !== undefined ? unix.recvFd(keep).fd : undefined;
    return { pid, ptyMaster, stageExited };
  } finally {
    for (const fd of [keep, give]) if (fd !== undefined) libc.close(fd);
  }
}
