// cgroup v2 `pids` controller: linux.resources.pids.limit -> pids.max in the unified cgroup
// (Documentation/admin-guide/cgroup-v2.rst "PID"; -1 = "max", 0 is a real limit: convert.ts).
// The file exists only once the parent has "+pids" in cgroup.subtree_control, which the v2 manager
// arranges at create() and ensureController checks again before writing.
// Stats: pids.current and pids.max ("max" -> UNLIMITED, as runc reads it); without the controller
// the count of processes in the cgroup (and its children), as runc's statPidsFromCgroupProcs.
// Verified only against the fake cgroupfs for pids.max (this host's cgroup2 mount has no pids
// controller); the cgroup.procs fallback of the stats runs on the real unified hierarchy too.
import path = require('node:path');
import { type CgroupFs, readProcsRecursive, writeCgroupFile } from '../cgroupfs';
import { pidsMaxValue } from '../convert';
import type { Pids } from '../stats';
import type { V2Controller } from './controller-v2';
import { readValue } from './stat-files';

export const pidsV2: V2Controller = {
  hierarchy: 'unified',
  controller: 'pids',
  pointer: '/linux/resources/pids',
  applies: (r) => r.pids !== undefined,
  validate(r) {
    if (r.pids !== undefined) pidsMaxValue(r.pids.limit);
  },
  write(cfs, dir, r) {
    if (r.pids === undefined) return;
    writeCgroupFile(cfs, path.join(dir, 'pids.max'), pidsMaxValue(r.pids.limit));
  },
};

export function statPidsV2(cfs: CgroupFs, dir: string): Pids {
  const current = readValue(cfs, path.join(dir, 'pids.current'));
  if (current === undefined) return { current: readProcsRecursive(cfs, dir).length };
  const limit = readValue(cfs, path.join(dir, 'pids.max'));
  return limit === undefined ? { current } : { current, limit };
}
