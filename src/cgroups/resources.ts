// Which linux.resources fields the cgroup manager applies on which layout, and every refusal that
// can be decided before a file is written, so a refused config leaves the cgroup untouched
// (config.md: a runtime MUST generate an error for what it cannot apply):
//   - assertResourcesSupported: the values themselves (ranges, combinations the spec forbids,
//     formats) and fields this layout does not implement; pure, no host access;
//   - controllersToWrite: which controllers set() will use and in which directory, refusing a
//     field whose cgroup controller is not mounted on this host, by name.
// Host facts finer than "is the controller there" (a control file only newer kernels have, a
// limit below the current usage) are each controller's check(), also run before any write.
import { SpecError, UnsupportedError } from '../errors';
import type { ResourceController } from './controller';
import { hugePageSizeName, pidsMaxValue } from './convert';
import { CgroupError } from './errors';
import type { CgroupKind, LinuxResources } from './types';
import { deviceWrites } from './v1/devices';

const P = '/linux/resources';

/** linux.resources fields the v1 manager (v1 and hybrid hosts) applies. `unified` only when empty. */
export const SUPPORTED_RESOURCES: readonly string[] = ['devices', 'memory', 'cpu', 'pids', 'blockIO', 'hugepageLimits', 'network', 'rdma'];

/** Absent for this purpose: undefined, null, an empty list or an empty object. */
function isAbsent(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value).every((v) => v === undefined || v === null);
  return false;
}

/** An integer within [min, max] (undefined passes); JSON may carry int64 values beyond 2^53. */
function int(value: unknown, pointer: string, min: number, max = Number.MAX_VALUE): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_VALUE ? `>= ${min}` : `${min}..${max}`;
    throw new SpecError(pointer, `must be an integer ${range}, got ${JSON.stringify(value)}`);
  }
}

const UINT16 = 0xffff;
const UINT32 = 0xffffffff;

function checkMemory(m: NonNullable<LinuxResources['memory']>): void {
  const at = `${P}/memory`;
  // config-linux.md "Memory": byte values are int64 with -1 = unlimited.
  for (const key of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'] as const) int(m[key], `${at}/${key}`, -1);
  int(m.swappiness, `${at}/swappiness`, 0, 100);
  const limit = m.limit ?? 0;
  const swap = m.swap ?? 0;
  // swap is the memory+swap limit, so it can never be below the memory limit (memory.rst 2.4;
  // runc refuses the same on v1 and v2).
  if (limit > 0 && swap > 0 && swap < limit) {
    throw new SpecError(`${at}/swap`, `is the memory+swap limit and must be at least the memory limit (${limit}), or -1; got ${swap}`);
  }
  if (limit === -1 && swap > 0) throw new SpecError(`${at}/swap`, 'cannot be limited while the memory limit is -1 (unlimited)');
}

function checkCpu(c: NonNullable<LinuxResources['cpu']>): void {
  const at = `${P}/cpu`;
  int(c.shares, `${at}/shares`, 0);
  int(c.quota, `${at}/quota`, -1);
  int(c.burst, `${at}/burst`, 0);
  int(c.period, `${at}/period`, 0);
  int(c.realtimeRuntime, `${at}/realtimeRuntime`, -1);
  int(c.realtimePeriod, `${at}/realtimePeriod`, 0);
  // config-linux.md: idle 0 is the default behaviour, 1 is SCHED_IDLE; the kernel takes nothing else.
  int(c.idle, `${at}/idle`, 0, 1);
  const quota = c.quota ?? 0;
  const burst = c.burst ?? 0;
  // config-linux.md "CPU": burst MUST be no larger than any positive quota (runtimes MAY error).
  if (quota > 0 && burst > quota) throw new SpecError(`${at}/burst`, `must not exceed the quota (${quota}), got ${burst}`);
  // The kernel refuses a burst on an unlimited quota (EINVAL, kernel/sched/core.c tg_set_cfs_bandwidth).
  if (quota === -1 && burst > 0) throw new SpecError(`${at}/burst`, 'needs a quota: it cannot be set while the quota is -1 (unlimited)');
  for (const key of ['cpus', 'mems'] as const) {
    const v = c[key];
    if (v !== undefined && (typeof v !== 'string' || /[\0\n]/.test(v))) throw new SpecError(`${at}/${key}`, 'must be a list such as "0-3,7"');
  }
}

function checkBlockIO(b: NonNullable<LinuxResources['blockIO']>): void {
  const at = `${P}/blockIO`;
  int(b.weight, `${at}/weight`, 0, UINT16);
  int(b.leafWeight, `${at}/leafWeight`, 0, UINT16);
  for (const [i, d] of (b.weightDevice ?? []).entries()) {
    int(d.major, `${at}/weightDevice/${i}/major`, 0);
    int(d.minor, `${at}/weightDevice/${i}/minor`, 0);
    int(d.weight, `${at}/weightDevice/${i}/weight`, 0, UINT16);
    int(d.leafWeight, `${at}/weightDevice/${i}/leafWeight`, 0, UINT16);
    // config-linux.md "Block IO": each entry MUST specify at least one of weight or leafWeight.
    if (d.weight === undefined && d.leafWeight === undefined) throw new SpecError(`${at}/weightDevice/${i}`, 'must set weight, leafWeight or both');
  }
  for (const key of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const) {
    for (const [i, d] of (b[key] ?? []).entries()) {
      int(d.major, `${at}/${key}/${i}/major`, 0);
      int(d.minor, `${at}/${key}/${i}/minor`, 0);
      if (d.rate === undefined) throw new SpecError(`${at}/${key}/${i}/rate`, 'is required');
      int(d.rate, `${at}/${key}/${i}/rate`, 0);
    }
  }
}

function checkNetwork(n: NonNullable<LinuxResources['network']>): void {
  const at = `${P}/network`;
  int(n.classID, `${at}/classID`, 0, UINT32);
  for (const [i, p] of (n.priorities ?? []).entries()) {
    // One "<ifname> <prio>" line per write: a name with whitespace would be read as other fields.
    if (typeof p.name !== 'string' || !/^[^\s/]+$/.test(p.name)) throw new SpecError(`${at}/priorities/${i}/name`, `must be a network interface name, got ${JSON.stringify(p.name)}`);
    int(p.priority, `${at}/priorities/${i}/priority`, 0, UINT32);
  }
}

function checkRdma(rdma: NonNullable<LinuxResources['rdma']>): void {
  for (const [device, l] of Object.entries(rdma)) {
    const at = `${P}/rdma/${device.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!/^\S+$/.test(device)) throw new SpecError(at, `${JSON.stringify(device)} is not an RDMA device name`);
    int(l.hcaHandles, `${at}/hcaHandles`, 0, UINT32);
    int(l.hcaObjects, `${at}/hcaObjects`, 0, UINT32);
    // config-linux.md "RDMA": at least one of hcaHandles or hcaObjects MUST be given.
    if (l.hcaHandles === undefined && l.hcaObjects === undefined) throw new SpecError(at, 'must set hcaHandles, hcaObjects or both');
  }
}

/** Throw UnsupportedError/SpecError for anything in `resources` this layout cannot apply. */
export function assertResourcesSupported(kind: CgroupKind, resources: LinuxResources | undefined): void {
  if (resources === undefined) return;
  // Only the v1 manager calls this; the v2 manager validates its own (v2/manager.ts).
  const supported = SUPPORTED_RESOURCES;
  for (const [key, value] of Object.entries(resources)) {
    if (isAbsent(value)) continue;
    if (key === 'unified' && kind !== 'v2') {
      // runc's fs driver: "cannot use unified on cgroup v1". On hybrid hosts the cgroup2
      // hierarchy carries no controllers, so its files cannot stand in for the v1 ones either.
      throw new UnsupportedError(`${P}/unified`, 'sets cgroup v2 files, which cannot be applied on a cgroup v1 host (hybrid hosts keep their controllers in v1); use the v1 fields of linux.resources');
    }
    if (!supported.includes(key)) {
      throw new UnsupportedError(`${P}/${key}`);
    }
  }
  if (resources.pids !== undefined && resources.pids !== null) pidsMaxValue(resources.pids.limit);
  if (resources.memory) checkMemory(resources.memory);
  if (resources.cpu) checkCpu(resources.cpu);
  if (resources.blockIO) checkBlockIO(resources.blockIO);
  for (const [i, h] of (resources.hugepageLimits ?? []).entries()) {
    hugePageSizeName(h.pageSize, `${P}/hugepageLimits/${i}/pageSize`);
    int(h.limit, `${P}/hugepageLimits/${i}/limit`, 0);
  }
  if (resources.network) checkNetwork(resources.network);
  if (resources.rdma) checkRdma(resources.rdma);
  if (kind !== 'v2' && resources.devices !== undefined && resources.devices !== null) deviceWrites(resources.devices);
}

/**
 * The controllers of `controllers` that `resources` asks for, each with its directory, in order.
 * A field whose controller has no hierarchy on this host is refused by name (for example
 * "/linux/resources/hugepageLimits: the hugetlb cgroup controller is not mounted on this host").
 */
export function controllersToWrite(
  controllers: readonly ResourceController[],
  dirs: Readonly<Record<string, string>>,
  resources: LinuxResources,
): Array<[ResourceController, string]> {
  const out: Array<[ResourceController, string]> = [];
  for (const ctl of controllers) {
    if (!ctl.applies(resources)) continue;
    const dir = dirs[ctl.hierarchy];
    if (dir === undefined) {
      throw new CgroupError(`${ctl.pointer}: the ${ctl.hierarchy} cgroup controller is not mounted on this host, so this setting cannot be applied`, {
        code: 'cgroup-missing',
      });
    }
    out.push([ctl, dir]);
  }
  return out;
}
