// Manager for pure cgroup v2 hosts: one directory in the unified hierarchy.
//
// What happens where:
//   create()   mkdir, then enable every controller each ancestor offers (hierarchy.ts), as runc's
//              fs2 CreateCgroupPath does, so the controller files exist in the new cgroup;
//   set(r)     the shared stages (base-manager.ts, controller.ts): every controller's validate()
//              (SpecError/UnsupportedError, warnings for what v2 ignores like runc), then
//              ensureController for each controller the config needs (prepare), then each
//              controller's check() against the live cgroup (memory checkBeforeUpdate), and only
//              then the writes, in runc's fs2 order: pids, memory, io, cpu, devices (eBPF),
//              cpuset, hugetlb, rdma, unified last so its explicit values win. A refused config
//              changes nothing;
//   freeze     cgroup.freeze / cgroup.events (freezer.ts);
//   stats()    cpu.stat, memory.*, pids.*, io.stat, hugetlb.* (each controller file has its reader);
//   oomKillCount()  memory.events oom_kill.
//
// Verification status (this host is hybrid: cgroup2 at /sys/fs/cgroup/unified offers only hugetlb):
//   real cgroup2  create/apply/pids/destroy, cgroup.freeze + cgroup.events, cgroup.kill, the eBPF
//                 device program (enforced on a child process), hugetlb writes, unified writes and
//                 refusals, cpu.stat usage and the cgroup.procs fallback of pids stats
//                 (test/integration/cgroups-v2-unified.test.ts, ebpf-devices.test.ts);
//   fake only     memory, cpu limits, cpuset, io, pids.max, rdma, subtree_control enabling of those
//                 controllers, memory/io/pids stats (test/unit/cgroups-v2-*.test.ts).
import path = require('node:path');
import { log } from '../../log';
import { BaseCgroupManager } from '../base-manager';
import type { CgroupFs } from '../cgroupfs';
import { bpfDeviceFilterAttacher, type DeviceFilterAttacher } from '../ebpf';
import { CgroupError } from '../errors';
import { emptyStats, type Stats } from '../stats';
import type { CgroupPaths, FreezerState } from '../types';
import type { V2Controller, Warn } from './controller-v2';
import { cpuV2, statCpuV2 } from './cpu';
import { cpusetV2 } from './cpuset';
import { devicesV2 } from './devices';
import { freezerStateV2, setFreezerV2 } from './freezer';
import { enableAvailable, ensureController } from './hierarchy';
import { hostHugePageSizes, hugetlbV2, statHugetlbV2 } from './hugetlb';
import { ioV2, statIoV2 } from './io';
import { memoryV2, oomKillCountV2, statMemoryV2 } from './memory';
import { networkV2 } from './network';
import { pidsV2, statPidsV2 } from './pids';
import { rdmaV2 } from './rdma';
import { unifiedV2 } from './unified';

export interface V2ManagerOptions {
  /** Puts the device program on the cgroup; default: bpf(2). Tests on a fake cgroupfs pass a recorder. */
  deviceFilter?: DeviceFilterAttacher;
  /** Huge page sizes to report stats for ("2MB"); default: the host's /sys/kernel/mm/hugepages. */
  hugePageSizes?: () => readonly string[];
  /** Where warnings about ignored fields go; default: the runtime log. */
  warn?: Warn;
}

/**
 * The v2 resource controllers, in the order set() writes them (see the top of this file). The
 * device controller puts its program on the cgroup through `deviceFilter` (bpf(2) by default).
 * `tsrun features` reports from this list (src/features.ts).
 */
export function v2Controllers(deviceFilter: DeviceFilterAttacher = bpfDeviceFilterAttacher): readonly V2Controller[] {
  return [pidsV2, memoryV2, ioV2, cpuV2, devicesV2(deviceFilter), cpusetV2, hugetlbV2, rdmaV2, networkV2, unifiedV2];
}

export class V2CgroupManager extends BaseCgroupManager {
  protected readonly controllers: readonly V2Controller[];
  private readonly hugePageSizes: () => readonly string[];

  constructor(cfs: CgroupFs, record: CgroupPaths, opts: V2ManagerOptions = {}) {
    super(cfs, record);
    this.controllers = v2Controllers(opts.deviceFilter);
    this.hugePageSizes = opts.hugePageSizes ?? hostHugePageSizes;
    this.defaultWarn = opts.warn ?? ((msg) => log.warn(msg));
  }

  private unifiedDir(): string {
    const dir = this.dirs.unified;
    if (dir === undefined) throw new CgroupError('no cgroup2 directory recorded for this container', { code: 'cgroup-state' });
    return dir;
  }

  protected afterMkdir(): void {
    enableAvailable(this.cfs, this.unifiedDir());
  }

  protected prepare(todo: ReadonlyArray<readonly [V2Controller, string]>): void {
    for (const [c, dir] of todo) if (c.controller !== undefined) ensureController(this.cfs, dir, c.controller, c.pointer);
  }

  protected isFrozen(dir: string): boolean {
    return this.cfs.exists(path.join(dir, 'cgroup.freeze')) && freezerStateV2(this.cfs, dir) !== 'thawed';
  }

  protected procsDir(): string {
    return this.unifiedDir();
  }

  freeze(state: 'frozen' | 'thawed'): void {
    setFreezerV2(this.cfs, this.unifiedDir(), state);
  }

  freezerState(): FreezerState {
    return freezerStateV2(this.cfs, this.unifiedDir());
  }

  stats(): Stats {
    const dir = this.unifiedDir();
    const stats = emptyStats();
    stats.cpu = statCpuV2(this.cfs, dir) ?? stats.cpu;
    stats.memory = statMemoryV2(this.cfs, dir) ?? stats.memory;
    stats.pids = statPidsV2(this.cfs, dir);
    stats.blkio = statIoV2(this.cfs, dir) ?? stats.blkio;
    stats.hugetlb = statHugetlbV2(this.cfs, dir, this.hugePageSizes());
    return stats;
  }

  oomKillCount(): number {
    return oomKillCountV2(this.cfs, this.unifiedDir());
  }
}
