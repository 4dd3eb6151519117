// cgroup v2 `cpu` controller (Documentation/admin-guide/cgroup-v2.rst "CPU"):
//   idle    -> cpu.idle (0|1, [v1.1.0]); written first: the kernel refuses cpu.weight while idle is 1
//   shares  -> cpu.weight via cpuSharesToWeight (runc's conversion, convert.ts); skipped when idle
//   quota/period -> cpu.max "$QUOTA $PERIOD", quota <= 0 (-1) -> "max". A part the config leaves
//              unset keeps the cgroup's current value (runc resets the period to 100000 instead,
//              which would undo an earlier period on `update --cpu-quota`); 100000 us is the
//              kernel default when nothing is known
//   burst   -> cpu.max.burst [v1.1.0]; the spec requires burst <= a positive quota. As in runc, a
//              burst the kernel refuses (EINVAL) before the new quota is in place is retried after cpu.max
//   realtimeRuntime/realtimePeriod -> refused: cgroup v2 has no RT bandwidth files (crun refuses
//              too; runc silently drops them, and the spec wants an error for what cannot be applied).
// cpus/mems belong to the cpuset controller (cpuset.ts). Stats: cpu.stat (usage_usec, user_usec,
// system_usec -> ns; nr_periods, nr_throttled, throttled_usec -> ns), present in every non-root
// cgroup even without the cpu controller.
// Verified on this host's real cgroup2: cpu.stat usage (no cpu controller there); the limit files
// only against the fake cgroupfs.
import path = require('node:path');
import { SpecError, UnsupportedError } from '../../errors';
import { type CgroupFs, writeCgroupFile } from '../cgroupfs';
import { CgroupError } from '../errors';
import { cpuSharesToWeight, intString } from '../convert';
import type { Cpu } from '../stats';
import type { LinuxResources } from '../types';
import { integerIn, type V2Controller } from './controller-v2';
import { readFlatKeyed, readOptional } from './stat-files';

const POINTER = '/linux/resources/cpu';
const DEFAULT_PERIOD = 100000;

function has(v: number | undefined): v is number {
  return v !== undefined && v !== 0;
}

/** Whether the config asks for cpu.max at all (quota or period). */
function wantsMax(r: LinuxResources): boolean {
  return has(r.cpu?.quota) || has(r.cpu?.period);
}

/** "$QUOTA $PERIOD" for cpu.max, filling unset parts from the current file. */
export function cpuMaxValue(r: LinuxResources, current: string | undefined): string {
  const [curQuota, curPeriod] = (current ?? '').trim().split(/\s+/);
  const quota = r.cpu?.quota;
  const quotaText = has(quota) ? (quota > 0 ? intString(quota) : 'max') : curQuota !== undefined && curQuota !== '' ? curQuota : 'max';
  const period = r.cpu?.period;
  const periodText = has(period) ? intString(period) : /^\d+$/.test(curPeriod ?? '') ? curPeriod : String(DEFAULT_PERIOD);
  return `${quotaText} ${periodText}`;
}

export const cpuV2: V2Controller = {
  hierarchy: 'unified',
  controller: 'cpu',
  pointer: POINTER,
  applies(r) {
    const c = r.cpu;
    return c !== undefined && (has(c.shares) || wantsMax(r) || c.burst !== undefined || c.idle !== undefined);
  },
  validate(r) {
    const c = r.cpu;
    if (c === undefined) return;
    if (has(c.realtimeRuntime) || has(c.realtimePeriod)) {
      const field = has(c.realtimeRuntime) ? 'realtimeRuntime' : 'realtimePeriod';
      throw new UnsupportedError(`${POINTER}/${field}`, 'is not supported on cgroup v2: the kernel has no realtime CPU bandwidth files there (cpu.rt_* exist only in cgroup v1)');
    }
    if (c.shares !== undefined) integerIn(c.shares, `${POINTER}/shares`, 0);
    if (c.quota !== undefined) integerIn(c.quota, `${POINTER}/quota`, -1);
    if (c.period !== undefined) integerIn(c.period, `${POINTER}/period`, 0);
    if (c.idle !== undefined) integerIn(c.idle, `${POINTER}/idle`, 0, 1);
    if (c.burst !== undefined) {
      integerIn(c.burst, `${POINTER}/burst`, 0);
      if (has(c.quota) && c.quota > 0 && c.burst > c.quota) {
        throw new SpecError(`${POINTER}/burst`, `must not exceed the quota (${c.burst} > ${c.quota})`);
      }
      // The kernel refuses a burst on an unlimited quota (EINVAL from tg_set_cfs_bandwidth).
      if (c.quota === -1 && c.burst > 0) throw new SpecError(`${POINTER}/burst`, 'needs a quota: it cannot be set while the quota is -1 (unlimited)');
    }
  },
  write(cfs, dir, r) {
    const c = r.cpu;
    if (c === undefined) return;
    if (c.idle !== undefined) writeCgroupFile(cfs, path.join(dir, 'cpu.idle'), String(c.idle));
    if (has(c.shares) && c.idle !== 1) writeCgroupFile(cfs, path.join(dir, 'cpu.weight'), String(cpuSharesToWeight(c.shares)));
    const burst = c.burst === undefined ? undefined : intString(c.burst);
    let burstLater = false;
    if (burst !== undefined) {
      try {
        writeCgroupFile(cfs, path.join(dir, 'cpu.max.burst'), burst);
      } catch (err) {
        // A burst larger than the old quota is EINVAL until the new quota is written.
        if (!(err instanceof CgroupError) || err.errnoCode !== 'EINVAL' || !wantsMax(r)) throw err;
        burstLater = true;
      }
    }
    if (wantsMax(r)) {
      const file = path.join(dir, 'cpu.max');
      writeCgroupFile(cfs, file, cpuMaxValue(r, readOptional(cfs, file)));
    }
    if (burstLater && burst !== undefined) writeCgroupFile(cfs, path.join(dir, 'cpu.max.burst'), burst);
  },
};

/** CPU usage and throttling from cpu.stat, or undefined when the file is missing. */
export function statCpuV2(cfs: CgroupFs, dir: string): Cpu | undefined {
  const s = readFlatKeyed(cfs, path.join(dir, 'cpu.stat'));
  if (s === undefined) return undefined;
  const ns = (usec: number | undefined) => (usec === undefined ? 0 : usec * 1000);
  const out: Cpu = { usage: { total: ns(s.usage_usec), kernel: ns(s.system_usec), user: ns(s.user_usec) } };
  // nr_periods and friends appear only with the cpu controller enabled (bandwidth control).
  if (s.nr_periods !== undefined) {
    out.throttling = { periods: s.nr_periods, throttledPeriods: s.nr_throttled ?? 0, throttledTime: ns(s.throttled_usec) };
  }
  return out;
}
