// cgroup v1 `cpu` controller: the scheduler half of linux.resources.cpu (config-linux.md "CPU";
// cpus/mems are the cpuset controller, cpuset.ts). Files (Documentation/scheduler/
// sched-bwc.rst, sched-rt-group.rst, admin-guide/cgroup-v1):
//   shares -> cpu.shares      quota -> cpu.cfs_quota_us (-1 = no limit)   period -> cpu.cfs_period_us
//   burst  -> cpu.cfs_burst_us (Linux 5.14)   idle -> cpu.idle (Linux 5.15)
//   realtimeRuntime -> cpu.rt_runtime_us      realtimePeriod -> cpu.rt_period_us (CONFIG_RT_GROUP_SCHED)
// 0 means "not set" for shares, quota and period (runc's reading). Throttling stats come from
// cpu.stat here; CPU time is the cpuacct controller's (cpuacct.ts).
import type { CgroupFs } from '../cgroupfs';
import type { CgroupWarn, ResourceController } from '../controller';
import { intString } from '../convert';
import { CgroupError } from '../errors';
import type { Throttling } from '../stats';
import type { LinuxResources } from '../types';
import { hasFile, parseKeyValues, readCounter, readOptional, writeExplained } from './files';
import { SpecError } from '../../errors';
import { checkInt } from './values';

const POINTER = '/linux/resources/cpu';
type Cpu = NonNullable<LinuxResources['cpu']>;

function asksCpu(c: Cpu | undefined): c is Cpu {
  if (c === undefined) return false;
  return [c.shares, c.quota, c.period, c.burst, c.realtimeRuntime, c.realtimePeriod, c.idle].some((v) => v !== undefined && v !== null);
}

/**
 * cpu.shares: the kernel clamps to 2..262144 without an error, so read the value back and say
 * which bound applied (runc does the same).
 */
function writeShares(cfs: CgroupFs, dir: string, shares: number): void {
  writeExplained(cfs, dir, 'cpu.shares', intString(shares));
  const got = readCounter(cfs, dir, 'cpu.shares');
  if (got !== shares) {
    throw new CgroupError(`${POINTER}/shares: ${shares} is out of range, the ${shares > got ? 'maximum' : 'minimum'} allowed cpu.shares is ${got}`, {
      code: 'cgroup-limit',
      path: dir,
    });
  }
}

/** True when the write failed with EINVAL (to be retried after the quota), else rethrows. */
function tryWrite(cfs: CgroupFs, dir: string, name: string, value: string, retryLater: boolean): boolean {
  try {
    writeExplained(cfs, dir, name, value);
    return false;
  } catch (err) {
    if (retryLater && err instanceof CgroupError && err.errnoCode === 'EINVAL') return true;
    throw err;
  }
}

/**
 * CFS bandwidth. The kernel validates each file against the other two and the parent
 * (sched-bwc.rst "Hierarchical considerations"), so a single fixed order fails for some updates:
 * a shorter period can make old_quota/new_period exceed the parent, a larger burst can exceed
 * the old quota. As in runc: try period and burst first; on EINVAL write them again after the quota.
 */
function writeBandwidth(cfs: CgroupFs, dir: string, c: Cpu): void {
  const quota = c.quota ?? 0;
  const period = c.period ?? 0;
  const periodLater = period !== 0 && tryWrite(cfs, dir, 'cpu.cfs_period_us', intString(period), quota !== 0);
  const burstLater = c.burst !== undefined && hasFile(cfs, dir, 'cpu.cfs_burst_us') && tryWrite(cfs, dir, 'cpu.cfs_burst_us', intString(c.burst), quota !== 0);
  if (quota === 0) return;
  writeExplained(cfs, dir, 'cpu.cfs_quota_us', intString(quota), (errno) =>
    errno === 'EINVAL' ? 'the quota must be at least 1000 us and fit within the parent cgroup\'s quota, and cannot be -1 while a burst is set' : undefined,
  );
  if (periodLater) writeExplained(cfs, dir, 'cpu.cfs_period_us', intString(period));
  if (burstLater && c.burst !== undefined) writeExplained(cfs, dir, 'cpu.cfs_burst_us', intString(c.burst));
}

/**
 * Realtime bandwidth (sched-rt-group.rst 2.3): runtime may never exceed the period, so write
 * whichever keeps that true after each step: the runtime first when the new period is shorter
 * than the current runtime, else the period first. A positive runtime also needs budget left in
 * the parent cgroup, which the kernel reports as EINVAL/EBUSY.
 */
function writeRealtime(cfs: CgroupFs, dir: string, c: Cpu): void {
  // Without CONFIG_RT_GROUP_SCHED check() has refused every value but the default 0: nothing to do.
  if (!hasFile(cfs, dir, 'cpu.rt_runtime_us')) return;
  const period = c.realtimePeriod ?? 0;
  const runtime = c.realtimeRuntime;
  const explain = (errno: string | undefined) =>
    errno === 'EINVAL' || errno === 'EBUSY'
      ? 'the realtime runtime must not exceed the period, and the parent cgroup must have that much cpu.rt_runtime_us left for its children'
      : undefined;
  const setPeriod = () => period !== 0 && writeExplained(cfs, dir, 'cpu.rt_period_us', intString(period), explain);
  const setRuntime = () => runtime !== undefined && runtime !== null && writeExplained(cfs, dir, 'cpu.rt_runtime_us', intString(runtime), explain);
  if (period !== 0 && runtime !== undefined && runtime !== null) {
    const current = readCounter(cfs, dir, 'cpu.rt_runtime_us');
    if (period < current) {
      setRuntime();
      setPeriod();
      return;
    }
  }
  setPeriod();
  setRuntime();
}

export const cpuV1: ResourceController = {
  hierarchy: 'cpu',
  pointer: POINTER,
  applies: (r) => asksCpu(r.cpu),
  validate(r) {
    const c = r.cpu;
    if (c === undefined || c === null) return;
    checkInt(c.shares, `${POINTER}/shares`, 0);
    checkInt(c.quota, `${POINTER}/quota`, -1);
    checkInt(c.burst, `${POINTER}/burst`, 0);
    checkInt(c.period, `${POINTER}/period`, 0);
    checkInt(c.realtimeRuntime, `${POINTER}/realtimeRuntime`, -1);
    checkInt(c.realtimePeriod, `${POINTER}/realtimePeriod`, 0);
    // config-linux.md: idle 0 is the default behaviour, 1 is SCHED_IDLE; the kernel takes nothing else.
    checkInt(c.idle, `${POINTER}/idle`, 0, 1);
    const quota = c.quota ?? 0;
    const burst = c.burst ?? 0;
    // config-linux.md "CPU": burst MUST be no larger than any positive quota (runtimes MAY error).
    if (quota > 0 && burst > quota) throw new SpecError(`${POINTER}/burst`, `must not exceed the quota (${quota}), got ${burst}`);
    // The kernel refuses a burst on an unlimited quota (EINVAL, kernel/sched/core.c tg_set_cfs_bandwidth).
    if (quota === -1 && burst > 0) throw new SpecError(`${POINTER}/burst`, 'needs a quota: it cannot be set while the quota is -1 (unlimited)');
  },

  check(cfs, dir, r) {
    const c = r.cpu;
    if (c === undefined) return;
    const rt = (c.realtimeRuntime !== undefined && c.realtimeRuntime !== null && c.realtimeRuntime !== 0) || (c.realtimePeriod ?? 0) !== 0;
    if (rt && !hasFile(cfs, dir, 'cpu.rt_runtime_us')) {
      throw new CgroupError(`${POINTER}/realtimeRuntime: this kernel has no realtime group scheduling (cpu.rt_runtime_us is missing; CONFIG_RT_GROUP_SCHED)`, {
        code: 'cgroup-unsupported',
        path: dir,
      });
    }
    // cpu.idle arrived in Linux 5.15; 0 is the default there is nothing to change without it.
    if ((c.idle ?? 0) !== 0 && !hasFile(cfs, dir, 'cpu.idle')) {
      throw new CgroupError(`${POINTER}/idle: this kernel has no cpu.idle (Linux 5.15 or later is needed)`, { code: 'cgroup-unsupported', path: dir });
    }
  },

  write(cfs, dir, r, warn: CgroupWarn = () => {}) {
    const c = r.cpu;
    if (c === undefined) return;
    // Order as runc: shares, CFS bandwidth, idle, realtime. Shares before idle: the kernel
    // refuses to change the shares of an idle group.
    if (c.shares !== undefined && c.shares !== 0) writeShares(cfs, dir, c.shares);
    if (c.burst !== undefined && c.burst !== 0 && !hasFile(cfs, dir, 'cpu.cfs_burst_us')) {
      // runc ignores a burst the kernel cannot apply (before Linux 5.14); say so instead of silence.
      warn(`${POINTER}/burst is ignored: this kernel has no cpu.cfs_burst_us (Linux 5.14 or later is needed)`);
    }
    writeBandwidth(cfs, dir, c);
    if (c.idle !== undefined && hasFile(cfs, dir, 'cpu.idle')) writeExplained(cfs, dir, 'cpu.idle', intString(c.idle));
    writeRealtime(cfs, dir, c);
  },
};

/** CFS throttling counters from cpu.stat (nr_periods, nr_throttled, throttled_time in ns); undefined without the file. */
export function cpuThrottlingV1(cfs: CgroupFs, dir: string): Throttling | undefined {
  const text = readOptional(cfs, dir, 'cpu.stat');
  if (text === undefined) return undefined;
  const kv = parseKeyValues(text, `${dir}/cpu.stat`);
  return { periods: kv.nr_periods ?? 0, throttledPeriods: kv.nr_throttled ?? 0, throttledTime: kv.throttled_time ?? 0 };
}
