// cgroup v1 `cpuacct` controller (Documentation/admin-guide/cgroup-v1/cpuacct.rst): CPU time of
// the container for `events --stats`. It has no settings in linux.resources.
//   cpuacct.usage          total CPU time, ns
//   cpuacct.usage_percpu   per CPU, ns
//   cpuacct.usage_all      per CPU split into user and system, ns (Linux 4.7+)
//   cpuacct.stat           "user N" / "system N" in USER_HZ ticks
import type { CgroupFs } from '../cgroupfs';
import type { CpuUsage } from '../stats';
import { parseKeyValues, parseNumberList, readCounter, readOptional } from './files';

/**
 * USER_HZ, the unit of cpuacct.stat: the kernel exports clock_t to user space at a fixed 100 Hz
 * on every architecture Linux runs containers on (times(2), sysconf(_SC_CLK_TCK)); runc assumes
 * the same value.
 */
const USER_HZ = 100;
const NS_PER_TICK = 1e9 / USER_HZ;

/** Per-CPU user and system time from cpuacct.usage_all ("cpu user system" header, one row per CPU). */
function percpuModes(text: string, file: string): { user: number[]; kernel: number[] } | undefined {
  const rows = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (rows.length === 0 || !/^cpu\s+user\s+system$/.test(rows[0])) return undefined;
  const user: number[] = [];
  const kernel: number[] = [];
  for (const row of rows.slice(1)) {
    const [, u, s] = parseNumberList(row, file);
    user.push(u ?? 0);
    kernel.push(s ?? 0);
  }
  return { user, kernel };
}

/** CPU usage of the cgroup `dir`; undefined when it has no cpuacct files. */
export function cpuUsageV1(cfs: CgroupFs, dir: string): CpuUsage | undefined {
  const statText = readOptional(cfs, dir, 'cpuacct.stat');
  if (statText === undefined) return undefined;
  const ticks = parseKeyValues(statText, `${dir}/cpuacct.stat`);
  const usage: CpuUsage = {
    total: readCounter(cfs, dir, 'cpuacct.usage'),
    user: (ticks.user ?? 0) * NS_PER_TICK,
    kernel: (ticks.system ?? 0) * NS_PER_TICK,
  };
  const percpu = readOptional(cfs, dir, 'cpuacct.usage_percpu');
  if (percpu !== undefined) usage.percpu = parseNumberList(percpu, `${dir}/cpuacct.usage_percpu`);
  const all = readOptional(cfs, dir, 'cpuacct.usage_all');
  const modes = all === undefined ? undefined : percpuModes(all, `${dir}/cpuacct.usage_all`);
  if (modes !== undefined) {
    usage.percpuUser = modes.user;
    usage.percpuKernel = modes.kernel;
  }
  return usage;
}
