// `kill`: send a signal to the container's process, or with --all to every process in its
// cgroup (runtime.md "kill"; runc's `kill --all`). A pidfd pins the init process so a recycled
// pid is never signalled. --all goes through the cgroup: SIGKILL via cgroup.kill where the
// container has a cgroup2 directory (atomic, no fork can escape: cgroup-v2.rst "cgroup.kill"),
// any other signal, or SIGKILL without cgroup.kill, freeze -> signal every pid -> thaw, as runc's
// signalAllProcesses does, so that no process forks a child the signal would miss.
import * as libc from '../sys/libc';
import { SIGNALS } from '../sys/signals';
import { killAll } from '../cgroups/kill';
import type { CgroupManager } from '../cgroups/manager';
import { readRecord, type ContainerRecord } from '../state/store';
import { canKill, isOurProcessAlive, notRunning } from '../state/status';
import { SyscallError } from '../errors';
import { log } from '../log';
import { containerPids, managerOf } from './cleanup';
import { statusOf } from './state';
import type { GlobalOptions } from './context';

function signalInit(rec: ContainerRecord, sig: number): void {
  const pidfd = libc.pidfdOpen(rec.pid);
  try {
    // The pidfd now refers to one process for good; check it is still the one we started.
    if (!isOurProcessAlive(rec.pid, rec.startTime)) throw notRunning();
    libc.pidfdSendSignal(pidfd, sig);
  } finally {
    libc.close(pidfd);
  }
}

function signalPids(pids: number[], sig: number): void {
  for (const pid of pids) {
    try {
      libc.kill(pid, sig);
    } catch (e) {
      if (!(e instanceof SyscallError && e.errnoCode === 'ESRCH')) throw e;
    }
  }
}

/** Whether the freezer says frozen (or freezing); false when the container has no freezer. */
function isFrozen(cg: CgroupManager): boolean {
  try {
    return cg.freezerState() !== 'thawed';
  } catch {
    return false;
  }
}

/** --all: every process of the container's cgroup gets `sig`. */
function signalAll(rec: ContainerRecord, sig: number): void {
  const cg = managerOf(rec);
  if (!cg) {
    // No cgroup recorded (not made by this tsrun's create): init is all we know of.
    signalPids(containerPids(rec, cg), sig);
    return;
  }
  if (sig === SIGNALS.SIGKILL) {
    // init is in the cgroup from before its first instruction (create: apply at hello), so
    // the cgroup holds every process of the container.
    killAll(cg);
    return;
  }
  // A paused container stays paused: the signal is queued and acted on at resume. Otherwise
  // freeze for the walk over the pids, so a fork cannot race it, and thaw afterwards.
  const frozenBefore = isFrozen(cg);
  let froze = false;
  if (!frozenBefore) {
    try {
      cg.freeze('frozen');
      froze = true;
    } catch (e) {
      log.warn(`kill --all: freeze: ${(e as Error).message}; signalling without it (a new child may be missed)`);
    }
  }
  try {
    signalPids(containerPids(rec, cg), sig);
  } finally {
    if (froze) cg.freeze('thawed');
  }
}

export function killContainer(g: GlobalOptions, id: string, sig: number, all: boolean): void {
  const rec = readRecord(g.root, id);
  const status = statusOf(g, rec);
  const refused = canKill(status);
  if (refused) throw refused;
  if (all) {
    signalAll(rec, sig);
  } else {
    try {
      signalInit(rec, sig);
    } catch (e) {
      if (e instanceof SyscallError && e.errnoCode === 'ESRCH') throw notRunning();
      throw e;
    }
  }
  // A frozen task (v1 freezer) does not act on SIGKILL until it is thawed, so a SIGKILL to a
  // paused container would leave it frozen forever; runc thaws in this one case as well.
  if (status === 'paused' && sig === SIGNALS.SIGKILL) {
    const cg = managerOf(rec);
    try {
      cg?.freeze('thawed');
    } catch (e) {
      log.warn(`kill: thaw after SIGKILL: ${(e as Error).message}`);
    }
  }
}
