// The freezer state of a container from its stored cgroup record, without building a full
// CgroupManager: `state` and `list` derive "paused" on every call, and constructing a manager
// pulls in every resource controller, the stats readers and the eBPF code (about 90 KB more to
// parse in each of those commands' bundles). Same readers the managers use.
import { nodeCgroupFs } from './cgroupfs';
import type { CgroupPaths, FreezerState } from './types';
import { freezerStateV1 } from './v1/freezer';
import { freezerStateV2 } from './v2/freezer';

export function freezerStateOf(record: CgroupPaths): FreezerState {
  if (record.kind === 'v2') {
    const dir = record.paths.unified;
    return dir === undefined ? 'thawed' : freezerStateV2(nodeCgroupFs, dir);
  }
  // v1 and hybrid: the v1 freezer (docs/ARCHITECTURE.md section 4: hybrid is handled as v1).
  const dir = record.paths.freezer;
  return dir === undefined ? 'thawed' : freezerStateV1(nodeCgroupFs, dir);
}
