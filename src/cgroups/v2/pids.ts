// cgroup v2 `pids` controller: linux.resources.pids.limit -> pids.max in the unified cgroup
// (Documentation/admin-guide/cgroup-v2.rst "PID"). The file exists only once the parent has
// "+pids" in cgroup.subtree_control, which the v2 manager arranges at create().
import * as path from 'node:path';
import { writeCgroupFile } from '../cgroupfs';
import type { ResourceController } from '../controller';
import { pidsMaxValue } from '../convert';

export const pidsV2: ResourceController = {
  hierarchy: 'unified',
  pointer: '/linux/resources/pids',
  applies: (r) => r.pids !== undefined,
  write(cfs, dir, r) {
    if (r.pids === undefined) return;
    writeCgroupFile(cfs, path.join(dir, 'pids.max'), pidsMaxValue(r.pids.limit));
  },
};
