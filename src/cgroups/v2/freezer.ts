// cgroup v2 freezer (Documentation/admin-guide/cgroup-v2.rst "Core Interface Files"):
// cgroup.freeze holds the wanted state (0/1); cgroup.events reports "frozen 1" once every task is
// stopped. Needs Linux 5.2+; without cgroup.freeze there is no freezer at all.
// Verified on this host's real cgroup2 mount: a counting process stops while frozen and resumes on
// thaw (test/integration/cgroups-v2-unified.test.ts).
import path = require('node:path');
import { type CgroupFs, readCgroupFile, sleepSync, writeCgroupFile } from '../cgroupfs';
import { CgroupError } from '../errors';
import type { FreezerState } from '../types';

function frozenFlag(cfs: CgroupFs, dir: string): boolean {
  const events = readCgroupFile(cfs, path.join(dir, 'cgroup.events'));
  return /^frozen 1$/m.test(events);
}

function requireFreezer(cfs: CgroupFs, dir: string): string {
  const file = path.join(dir, 'cgroup.freeze');
  if (!cfs.exists(file)) {
    throw new CgroupError(`${file} is missing: the cgroup v2 freezer needs Linux 5.2 or later`, { path: file, code: 'cgroup-unsupported' });
  }
  return file;
}

/** "thawed" when the cgroup is gone; "freezing" while cgroup.freeze is 1 but not every task has stopped. */
export function freezerStateV2(cfs: CgroupFs, dir: string): FreezerState {
  if (!cfs.exists(dir)) return 'thawed';
  const wanted = readCgroupFile(cfs, requireFreezer(cfs, dir));
  if (wanted !== '1') return 'thawed';
  return frozenFlag(cfs, dir) ? 'frozen' : 'freezing';
}

/** Freeze or thaw and wait for cgroup.events to agree; CgroupError after `timeoutMs`. */
export function setFreezerV2(cfs: CgroupFs, dir: string, want: 'frozen' | 'thawed', timeoutMs = 5000): void {
  const file = requireFreezer(cfs, dir);
  const target = want === 'frozen';
  writeCgroupFile(cfs, file, target ? '1' : '0');
  const deadline = Date.now() + timeoutMs;
  for (let round = 1; frozenFlag(cfs, dir) !== target; round++) {
    if (Date.now() >= deadline) {
      if (target) writeCgroupFile(cfs, file, '0'); // do not leave the container half frozen
      throw new CgroupError(`${dir} did not ${target ? 'freeze' : 'thaw'} within ${timeoutMs} ms`, { path: file });
    }
    sleepSync(round < 10 ? 1 : 10);
  }
}
