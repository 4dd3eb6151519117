// Tearing a container down to nothing: kill what still runs, remove its cgroups (only the dirs
// tsrun made), remove its state dir. Used by delete, by a failed create, and by a foreground run.
import fs = require('node:fs');
import { cgroupManagerFor, type CgroupManager } from '../cgroups/manager';
import { killAll } from '../cgroups/kill';
import { containerDir, removeContainerDir, type ContainerRecord } from '../state/store';
import { isOurProcessAlive, readProcStat } from '../state/status';
import { log } from '../log';
import * as libc from '../sys/libc';
import { POLLIN } from '../sys/constants';
import { SyscallError } from '../errors';

export function managerOf(rec: ContainerRecord): CgroupManager | undefined {
  return rec.cgroup ? cgroupManagerFor({ id: rec.id, created: rec.cgroup }) : undefined;
}

/** Every host pid of the container: its cgroup's members, plus init itself. */
export function containerPids(rec: ContainerRecord, cg = managerOf(rec)): number[] {
  const pids = new Set<number>();
  try {
    for (const p of cg?.pids() ?? []) pids.add(p);
  } catch {
    // a half-made cgroup has no procs file; init's pid is still known
  }
  if (rec.pid && isOurProcessAlive(rec.pid, rec.startTime)) pids.add(rec.pid);
  return [...pids];
}

function signalAll(pids: number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // gone already
    }
  }
}

function exited(pid: number): boolean {
  const st = readProcStat(pid);
  return st === undefined || st.state === 'Z' || st.state === 'X';
}

/** pidfds per poll(2): well below the usual soft limit of 1024 open files (a fork bomb has more). */
const BATCH = 256;

/**
 * Waits until none of the pids is alive (a zombie counts as dead: its parent reaps it), in
 * blocking poll(2)s on their pidfds, each readable once its process has exited (pidfd_open(2)),
 * instead of sampling /proc in a sleep loop. A pid gone before its pidfd opens (ESRCH) is done.
 */
export function waitGone(pids: number[], timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < pids.length; i += BATCH) {
    if (!waitBatch(pids.slice(i, i + BATCH), deadline)) return pids.every(exited);
  }
  return true;
}

function waitBatch(pids: number[], deadline: number): boolean {
  const fds: number[] = [];
  try {
    for (const pid of pids) {
      try {
        fds.push(libc.pidfdOpen(pid));
      } catch (e) {
        if (!(e instanceof SyscallError && e.errnoCode === 'ESRCH')) throw e;
      }
    }
    let open = fds.map((fd) => ({ fd, events: POLLIN }));
    while (open.length > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const revents = libc.poll(open, left);
      open = open.filter((_, i) => (revents[i] & POLLIN) === 0);
    }
    return true;
  } finally {
    for (const fd of fds) libc.close(fd);
  }
}

/** SIGKILL to every process of the container, then wait for them (and for the cgroup to empty). */
export function killEverything(rec: ContainerRecord, cg = managerOf(rec)): void {
  // Thaw first: a frozen process cannot die (freezer semantics), so a paused container would hang.
  try {
    if (cg && cg.freezerState() !== 'thawed') cg.freeze('thawed');
  } catch {
    // no freezer: nothing to thaw
  }
  // cgroup.kill (or freeze, kill, thaw) first: it reaches every process, forks included.
  if (cg) {
    try {
      killAll(cg);
    } catch (e) {
      log.debug(`cgroup kill of ${rec.id}: ${(e as Error).message}`);
    }
  }
  for (let round = 0; round < 5; round++) {
    const pids = containerPids(rec, cg);
    if (pids.length === 0) return;
    signalAll(pids, 'SIGKILL');
    waitGone(pids, 2000);
  }
}

/** Removes everything a container left: processes, cgroups, state dir. Idempotent. */
export function destroyContainer(root: string, rec: ContainerRecord): void {
  const cg = managerOf(rec);
  killEverything(rec, cg);
  if (cg) {
    try {
      cg.destroy();
    } catch (e) {
      log.warn(`remove cgroup of ${rec.id}: ${(e as Error).message}`);
    }
  }
  removeContainerDir(root, rec.id);
}

/** A state dir with no readable record (create killed before its first write): just remove it. */
export function removeBareDir(root: string, id: string): void {
  fs.rmSync(containerDir(root, id), { recursive: true, force: true });
}
