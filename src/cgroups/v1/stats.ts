// Collects a cgroup v1 container's statistics (runc's `events --stats` shape, ../stats.ts) from
// each controller's reader: memory, cpu (usage from cpuacct, throttling from cpu), pids, blkio,
// hugetlb. A controller the host does not mount is left empty, not an error (runc skips
// subsystems without a path the same way).
import type { CgroupFs } from '../cgroupfs';
import { emptyStats, type Stats } from '../stats';
import { blkioStatsV1 } from './blkio-stats';
import { cpuThrottlingV1 } from './cpu';
import { cpuUsageV1 } from './cpuacct';
import { hugePageSizes, hugetlbStatsV1 } from './hugetlb';
import { memoryStatsV1 } from './memory-stats';
import { pidsStatsV1 } from './pids';

export interface V1StatsOptions {
  /** Huge page sizes to report; default: what /sys/kernel/mm/hugepages lists. */
  hugePageSizes?: readonly string[];
}

/** Stats of the container whose per-controller directories are `dirs` (CgroupPaths.paths). */
export function collectV1Stats(cfs: CgroupFs, dirs: Readonly<Record<string, string>>, opts: V1StatsOptions = {}): Stats {
  const stats = emptyStats();
  if (dirs.memory !== undefined) stats.memory = memoryStatsV1(cfs, dirs.memory);
  if (dirs.cpuacct !== undefined) {
    const usage = cpuUsageV1(cfs, dirs.cpuacct);
    if (usage !== undefined) stats.cpu.usage = usage;
  }
  if (dirs.cpu !== undefined) {
    const throttling = cpuThrottlingV1(cfs, dirs.cpu);
    if (throttling !== undefined) stats.cpu.throttling = throttling;
  }
  if (dirs.pids !== undefined) stats.pids = pidsStatsV1(cfs, dirs.pids);
  if (dirs.blkio !== undefined) stats.blkio = blkioStatsV1(cfs, dirs.blkio);
  if (dirs.hugetlb !== undefined) stats.hugetlb = hugetlbStatsV1(cfs, dirs.hugetlb, opts.hugePageSizes ?? hugePageSizes(cfs));
  return stats;
}
