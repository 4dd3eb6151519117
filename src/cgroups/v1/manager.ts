// Manager for cgroup v1 hosts and hybrid hosts. The container gets a cgroup in every mounted v1
// hierarchy (all controllers plus name=systemd, as runc's fs driver joins them) and, on hybrid,
// in the cgroup2 hierarchy as well (runc does the same so cgroup2-only tools see the container);
// resources and the freezer always use the v1 controllers (docs/ARCHITECTURE.md section 4:
// "hybrid is handled as v1").
import { BaseCgroupManager } from '../base-manager';
import type { Stats } from '../stats';
import type { ResourceController } from '../controller';
import { CgroupError } from '../errors';
import type { FreezerState } from '../types';
import { blkioV1 } from './blkio';
import { cpuV1 } from './cpu';
import { cpusetV1, fillEmptyCpusets } from './cpuset';
import { devicesV1 } from './devices';
import { freezerStateV1, setFreezerV1 } from './freezer';
import { hugetlbV1 } from './hugetlb';
import { memoryV1 } from './memory';
import { oomKillCountV1 } from './memory-stats';
import { netClsV1 } from './net-cls';
import { netPrioV1 } from './net-prio';
import { pidsV1 } from './pids';
import { rdmaV1 } from './rdma';
import { unifiedV1 } from './unified';
import { collectV1Stats } from './stats';

/**
 * The v1 resource controllers, in runc's fs driver order (libcontainer/cgroups/fs/fs.go
 * subsystems). The kernel needs no order between hierarchies; keeping runc's makes a partial
 * failure look the same as runc's would. `tsrun features` reports from this list (src/features.ts).
 */
export const V1_CONTROLLERS: readonly ResourceController[] = Object.freeze([
  cpusetV1, devicesV1, memoryV1, cpuV1, pidsV1, blkioV1, hugetlbV1, netClsV1, netPrioV1, rdmaV1,
  // Writes nothing: refuses linux.resources.unified, which has no v1 files.
  unifiedV1,
]);

export class V1CgroupManager extends BaseCgroupManager {
  // set() runs every controller's validate() and check() before the first write of any of them.
  protected readonly controllers: readonly ResourceController[] = V1_CONTROLLERS;

  protected afterMkdir(): void {
    const leaf = this.dirs.cpuset;
    if (leaf !== undefined) fillEmptyCpusets(this.cfs, leaf);
  }

  private freezerDir(): string {
    const dir = this.dirs.freezer;
    if (dir === undefined) throw new CgroupError('the freezer cgroup controller is not mounted on this host', { code: 'cgroup-missing' });
    return dir;
  }

  protected isFrozen(dir: string): boolean {
    return dir === this.dirs.freezer && freezerStateV1(this.cfs, dir) !== 'thawed';
  }

  protected procsDir(): string {
    // The pids hierarchy is the natural one; any other lists the same processes.
    const dir = this.dirs.pids ?? this.dirs.freezer ?? this.uniqueDirs()[0];
    if (dir === undefined) throw new CgroupError('no cgroup hierarchy recorded for this container', { code: 'cgroup-state' });
    return dir;
  }

  freeze(state: 'frozen' | 'thawed'): void {
    setFreezerV1(this.cfs, this.freezerDir(), state);
  }

  freezerState(): FreezerState {
    return freezerStateV1(this.cfs, this.freezerDir());
  }

  stats(): Stats {
    return collectV1Stats(this.cfs, this.dirs);
  }

  oomKillCount(): number {
    const dir = this.dirs.memory;
    return dir === undefined ? 0 : oomKillCountV1(this.cfs, dir);
  }
}
