// `exec`: run one more process in a container (runc exec). tsrun exec spawns the exec stage
// (src/launcher/exec-stage.ts), which joins the container and posix_spawns the process; the stage
// then leaves and the process is reparented to tsrun exec, a child subreaper
// (prctl(2) PR_SET_CHILD_SUBREAPER), which forwards signals to it and returns its exit status
// (128+n when killed by signal n), as runc exec does. With --detach tsrun exec returns once the
// process runs, and the process goes to the caller's subreaper (containerd's shim, conmon).
import { setgroupsDeniedIn } from '../linux/id-maps';
import { isRuntimeNamespace } from '../linux/ns-identity';
import * as libc from '../sys/libc';
import { PR_SET_CHILD_SUBREAPER, CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS } from '../sys/constants';
import { readRecord, type ContainerRecord } from '../state/store';
import { RuntimeError, StateError } from '../errors';
import { log } from '../log';
import { SIGNALS } from '../sys/signals';
import { managerOf } from './cleanup';
import { statusOf } from './state';
import { canExec } from '../state/status';
import { writePidFile } from '../state/pid-file';
import { checkTerminal, requireOwnTerminal } from './terminal-rules';
import { buildExecProcess, type ExecProcessFlags } from './exec-process';
import { runExecStage } from '../launcher/exec-stage';
import { trace } from '../trace';
import { checkPreservedFds } from '../launcher/preserved-fds';
import * as unix from '../sys/unix-socket';
import * as ttySys from '../sys/tty';
import { startTtyRelay, type TtyRelay } from './tty-relay';
import { SignalForwarder } from './signal-forwarder';
import type { ExecConfig } from '../launcher/exec-config';
import type { NsRequest } from '../launcher/ns-window';
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
    // (src/launcher/trampoline.ts), user first, so the stage is root in the container's user
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

export async function execProcess(g: GlobalOptions, o: ExecOptions): Promise<number> {
  const rec = readRecord(g.root, o.id);
  const refused = canExec(statusOf(g, rec), o.ignorePaused);
  if (refused) throw refused;
  checkPreservedFds(o.preserveFds);
  const proc = buildExecProcess(rec.config.process, o);
  // A rootless container whose gid map is only its creator's gid has setgroups(2) denied in its
  // user namespace (src/spec/rootless.ts): the process keeps its groups, as the init did.
  if (setgroupsDeniedIn(rec.pid)) {
    if (proc.additionalGids.length > 0) {
      throw new RuntimeError('exec', 'additional gids cannot be set: setgroups(2) is denied in this container\'s user namespace (its gid map is only its creator\'s gid)');
    }
    proc.setgroupsDenied = true;
  }
  checkTerminal(proc.terminal, o.detach, o.consoleSocket);
  if (proc.terminal && !o.consoleSocket) requireOwnTerminal();
  // runtime-linux.md /dev/console, and the pty itself, come from the container's own devpts, a
  // mount that a container without a mount namespace does not have (checks.ts refuses
  // process.terminal there too).
  if (proc.terminal && rec.ownMountNamespace === false) {
    throw new RuntimeError('exec', 'a terminal needs the container\'s own devpts, and this container has no mount namespace (it has no /dev/pts)');
  }
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
    preserveFds: o.preserveFds,
  };
  // The terminal's master goes over a unix socket: to --console-socket (the caller's), or to us
  // for the relay (runc exec -t in the foreground). The stage gets its end right after the
  // preserved fds.
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
    config.consoleFd = 3 + o.preserveFds;
  }
  // Signals that arrive before the process exists are held, then delivered (runc's signal
  // handler is installed before the process starts too).
  let relay: TtyRelay | undefined;
  const signals = o.detach ? undefined : new SignalForwarder(true);
  // Orphans of our children come to us: the process, once the stage that spawned it leaves.
  if (!o.detach) libc.prctl(PR_SET_CHILD_SUBREAPER, 1);
  try {
    // execCPUAffinity.initial: the stage inherits this thread's affinity and keeps it until it
    // joins the cgroup (config.md "execCPUAffinity").
    if (proc.cpuAffinityInitial) libc.schedSetaffinity(proc.cpuAffinityInitial);
    const extraFds = Array.from({ length: o.preserveFds }, (_, i) => 3 + i);
    if (consoleFd !== undefined) extraFds.push(consoleFd);
    const cg = managerOf(rec);
    trace('process config built and checked');
    const stage = runExecStage({
      config,
      trampolineJoins: ns.trampoline,
      extraFds,
      inheritsAffinity: proc.cpuAffinityInitial !== undefined,
      early: g.early,
      // Only the stage's main thread (tid = pid), the one that spawns the process.
      onHello: (stagePid) => {
        trace('exec stage said hello');
        cg?.applyThread(stagePid);
        trace('exec stage in the cgroup');
      },
      onWarning: (m) => log.warn(m),
    });
    // The stage has its copy now (spawn dup2()ed it synchronously); ours would keep a console
    // socket client from seeing EOF.
    if (consoleFd !== undefined) libc.close(consoleFd);
    consoleFd = undefined;
    const { pid, stageExited } = await stage;
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
