// `kill`: send a signal to the container's process, or with --all to every process in its
// cgroup (runtime.md "kill"). A pidfd pins the process so a recycled pid is never signalled.
import * as libc from '../sys/libc';
import { readRecord, type ContainerRecord } from '../state/store';
import { isOurProcessAlive } from '../state/status';
import { StateError, SyscallError } from '../errors';
import { containerPids, managerOf } from './cleanup';
import { statusOf } from './state';
import type { GlobalOptions } from './context';

function signalInit(rec: ContainerRecord, sig: number): void {
  const pidfd = libc.pidfdOpen(rec.pid);
  try {
    // The pidfd now refers to one process for good; check it is still the one we started.
    if (!isOurProcessAlive(rec.pid, rec.startTime)) throw new StateError('container not running');
    libc.pidfdSendSignal(pidfd, sig);
  } finally {
    libc.close(pidfd);
  }
}

export function killContainer(g: GlobalOptions, id: string, sig: number, all: boolean): void {
  const rec = readRecord(g.root, id);
  const status = statusOf(g, rec);
  if (status !== 'created' && status !== 'running' && status !== 'paused') {
    // runc: "container not running" for a stopped container (kill has no effect then).
    throw new StateError('container not running');
  }
  if (!all) {
    try {
      signalInit(rec, sig);
    } catch (e) {
      if (e instanceof SyscallError && e.errnoCode === 'ESRCH') throw new StateError('container not running');
      throw e;
    }
    return;
  }
  for (const pid of containerPids(rec, managerOf(rec))) {
    try {
      libc.kill(pid, sig);
    } catch (e) {
      if (!(e instanceof SyscallError && e.errnoCode === 'ESRCH')) throw e;
    }
  }
}
