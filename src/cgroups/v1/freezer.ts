// cgroup v1 `freezer` controller (Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst):
// freezer.state reads THAWED, FREEZING or FROZEN; writing FROZEN starts freezing and the state
// stays FREEZING until every task is stopped. Used by pause/resume and by killAll on v1.
import path = require('node:path');
import { type CgroupFs, readCgroupFile, sleepSync, writeCgroupFile } from '../cgroupfs';
import { CgroupError } from '../errors';
import type { FreezerState } from '../types';

function stateFile(dir: string): string {
  return path.join(dir, 'freezer.state');
}

/** Lower-case freezer state; "thawed" when the cgroup is already gone (nothing left to freeze). */
export function freezerStateV1(cfs: CgroupFs, dir: string): FreezerState {
  if (!cfs.exists(dir)) return 'thawed';
  const raw = readCgroupFile(cfs, stateFile(dir));
  switch (raw) {
    case 'FROZEN':
      return 'frozen';
    case 'FREEZING':
      return 'freezing';
    case 'THAWED':
      return 'thawed';
    default:
      throw new CgroupError(`unexpected freezer state ${JSON.stringify(raw)} in ${stateFile(dir)}`, { path: stateFile(dir) });
  }
}

/** Freeze or thaw, waiting until the kernel reports the new state; CgroupError after `timeoutMs`. */
export function setFreezerV1(cfs: CgroupFs, dir: string, want: 'frozen' | 'thawed', timeoutMs = 5000): void {
  const file = stateFile(dir);
  const deadline = Date.now() + timeoutMs;
  if (want === 'thawed') {
    writeCgroupFile(cfs, file, 'THAWED');
    // Reads FROZEN while an ancestor cgroup is frozen; nothing tsrun can do then but report it.
    while (freezerStateV1(cfs, dir) !== 'thawed') {
      if (Date.now() >= deadline) throw new CgroupError(`${dir} did not thaw within ${timeoutMs} ms (is a parent cgroup frozen?)`, { path: file });
      sleepSync(5);
    }
    return;
  }
  for (let round = 1; ; round++) {
    // Rewriting FROZEN restarts the walk over the tasks; a task forked while freezing can keep the
    // cgroup in FREEZING, and runc's freezer also thaws briefly now and then to get past that.
    writeCgroupFile(cfs, file, 'FROZEN');
    const state = freezerStateV1(cfs, dir);
    if (state === 'frozen') return;
    if (Date.now() >= deadline) {
      writeCgroupFile(cfs, file, 'THAWED'); // do not leave the container half frozen
      throw new CgroupError(`${dir} did not freeze within ${timeoutMs} ms (state ${state})`, { path: file });
    }
    if (round % 50 === 0) writeCgroupFile(cfs, file, 'THAWED');
    sleepSync(round < 10 ? 1 : 10);
  }
}
