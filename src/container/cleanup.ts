// Tearing a container down to nothing: kill what still runs, remove its cgroups (only the dirs
// tsrun made), remove its state dir. Used by delete, by a failed create, and by a foreground run.
import fs from 'node:fs';
import { cgroupManagerFor, type CgroupManager } from '../cgroups/manager';
import { killAll } from '../cgroups/kill';
import { containerDir, removeContainerDir, type ContainerRecord } from '../state/store';
import { isOurProcessAlive, readProcStat } from '../state/status';
import { log } from '../log';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

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

/** Waits until none of the pids is alive (a zombie counts as dead: its parent reaps it). */
export function waitGone(pids: number[], timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter((p) => {
      const st = readProcStat(p);
      return st !== undefined && st.state !== 'Z' && st.state !== 'X';
    });
    if (alive.length === 0) return true;
    if (Date.now() > deadline) return false;
    sleepMs(10);
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
