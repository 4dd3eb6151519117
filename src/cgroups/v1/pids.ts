// cgroup v1 `pids` controller: linux.resources.pids.limit -> pids.max, and pids.current /
// pids.max for the stats (Documentation/admin-guide/cgroup-v1/pids.rst).
import path = require('node:path');
import type { CgroupFs } from '../cgroupfs';
import { writeCgroupFile } from '../cgroupfs';
import type { ResourceController } from '../controller';
import { pidsMaxValue } from '../convert';
import type { Pids } from '../stats';
import { readOptionalCounter } from './files';

export const pidsV1: ResourceController = {
  hierarchy: 'pids',
  pointer: '/linux/resources/pids',
  applies: (r) => r.pids !== undefined,
  validate(r) {
    if (r.pids !== undefined && r.pids !== null) pidsMaxValue(r.pids.limit);
  },
  write(cfs, dir, r) {
    if (r.pids === undefined) return;
    writeCgroupFile(cfs, path.join(dir, 'pids.max'), pidsMaxValue(r.pids.limit));
  },
};

/** Tasks in the cgroup and its limit; "max" (no limit) reads as 0, as runc reports it. */
export function pidsStatsV1(cfs: CgroupFs, dir: string): Pids {
  const out: Pids = {};
  const current = readOptionalCounter(cfs, dir, 'pids.current');
  if (current !== undefined) out.current = current;
  const limit = readOptionalCounter(cfs, dir, 'pids.max', 0);
  if (limit !== undefined) out.limit = limit;
  return out;
}
