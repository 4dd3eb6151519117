// SIGKILL every process in a container's cgroup, for delete --force and for cleaning up after a
// failed create. cgroup.kill (Linux 5.14, cgroup-v2.rst) kills the whole subtree atomically, with
// no race against forks, and exists in the cgroup2 hierarchy on hybrid hosts too since tsrun
// places the container there. Without it, the fallback is runc's signalAllProcesses: freeze so no
// process can fork, signal every pid, thaw so the frozen tasks can act on the signal and die.
import path = require('node:path');
import { type CgroupFs, nodeCgroupFs, writeCgroupFile } from './cgroupfs';
import { fsErrorCode } from './errors';
import type { CgroupManager } from './types';

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if (fsErrorCode(err) !== 'ESRCH') throw err; // already gone
  }
}

/** SIGKILL every process of the container's cgroup; does not wait for them to exit (destroy retries). */
export function killAll(manager: CgroupManager, cfs: CgroupFs = nodeCgroupFs): void {
  const unified = manager.paths().paths.unified;
  if (unified !== undefined && cfs.exists(path.join(unified, 'cgroup.kill'))) {
    writeCgroupFile(cfs, path.join(unified, 'cgroup.kill'), '1');
    return;
  }
  let frozen = false;
  try {
    manager.freeze('frozen');
    frozen = true;
  } catch {
    // No freezer (or it timed out and thawed itself): signal anyway, a fork may slip through.
  }
  try {
    for (const pid of manager.pids()) killPid(pid);
  } finally {
    if (frozen) manager.freeze('thawed');
  }
}
