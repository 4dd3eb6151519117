// cgroup v1 `pids` controller: linux.resources.pids.limit -> pids.max
// (Documentation/admin-guide/cgroup-v1/pids.rst).
import * as path from 'node:path';
import { writeCgroupFile } from '../cgroupfs';
import type { ResourceController } from '../controller';
import { pidsMaxValue } from '../convert';

export const pidsV1: ResourceController = {
  hierarchy: 'pids',
  pointer: '/linux/resources/pids',
  applies: (r) => r.pids !== undefined,
  write(cfs, dir, r) {
    if (r.pids === undefined) return;
    writeCgroupFile(cfs, path.join(dir, 'pids.max'), pidsMaxValue(r.pids.limit));
  },
};
