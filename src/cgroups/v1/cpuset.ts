// cgroup v1 `cpuset` controller (Documentation/admin-guide/cgroup-v1/cpusets.rst).
//  - Placement: a new cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and the kernel
//    refuses to attach a task to it (ENOSPC, "1.9 How do I use cpusets?"). Before apply(), every
//    cgroup tsrun made in the cpuset hierarchy therefore copies its parent's values, top-down, as
//    runc's cpuset ensureParent does (inheritCpuset).
//  - Resources: linux.resources.cpu.cpus -> cpuset.cpus, .mems -> cpuset.mems, list syntax
//    "0-3,7" passed to the kernel as is (cpusets.rst 2.2, bitmap_parselist).
import path = require('node:path');
import { type CgroupFs, readCgroupFile, writeCgroupFile } from '../cgroupfs';
import type { ResourceController } from '../controller';
import { readOptional, writeExplained } from './files';
import { SpecError } from '../../errors';

const FILES = ['cpuset.cpus', 'cpuset.mems'];

/** Fill empty cpuset.cpus/mems of `dirs` from their parents; `dirs` must be ordered top-down. */
function inheritCpuset(cfs: CgroupFs, dirs: readonly string[]): void {
  for (const dir of dirs) {
    for (const name of FILES) {
      const file = path.join(dir, name);
      if (readCgroupFile(cfs, file) !== '') continue;
      writeCgroupFile(cfs, file, readCgroupFile(cfs, path.join(path.dirname(dir), name)));
    }
  }
}

/**
 * The cpuset dirs from the nearest ancestor of `leaf` whose cpus and mems are both set, down to
 * `leaf`, each filled from its parent where empty. Judged by content, not by who made the dir:
 * with concurrent creates, a shared parent such as /tsrun may have been made by another tsrun
 * that has not filled it yet, and a leaf attached below an empty parent gets ENOSPC (cpusets.rst
 * 1.9). Two creators filling the same parent write the same values, so the race is harmless.
 */
export function fillEmptyCpusets(cfs: CgroupFs, leaf: string): void {
  const chain: string[] = [];
  for (let d = leaf; ; d = path.dirname(d)) {
    if (FILES.every((name) => readCgroupFile(cfs, path.join(d, name)) !== '')) break;
    chain.unshift(d);
    if (d === path.dirname(d)) break;
  }
  inheritCpuset(cfs, chain);
}

/** cpusets.rst 1.4: a cpuset's CPUs and nodes must be a subset of its parent's; EINVAL names them. */
function explainSubset(cfs: CgroupFs, dir: string, name: string): (errno: string | undefined) => string | undefined {
  return (errno) => {
    if (errno !== 'EINVAL' && errno !== 'ERANGE') return undefined;
    const parent = readOptional(cfs, path.dirname(dir), name);
    return `the list must be valid ("0-3,7") and a subset of the parent cgroup's ${name} (${parent ?? '?'})`;
  };
}

export const cpusetV1: ResourceController = {
  hierarchy: 'cpuset',
  pointer: '/linux/resources/cpu',
  applies: (r) => (r.cpu?.cpus ?? '') !== '' || (r.cpu?.mems ?? '') !== '',
  validate(r) {
    for (const key of ['cpus', 'mems'] as const) {
      const v = r.cpu?.[key];
      // Written as one line to cpuset.cpus/cpuset.mems: a NUL or newline would end it early.
      if (v !== undefined && (typeof v !== 'string' || /[\0\n]/.test(v))) throw new SpecError(`/linux/resources/cpu/${key}`, 'must be a list such as "0-3,7"');
    }
  },
  write(cfs, dir, r) {
    const { cpus, mems } = r.cpu ?? {};
    // cpus then mems, as runc; the two are independent for the kernel.
    if (cpus !== undefined && cpus !== '') writeExplained(cfs, dir, 'cpuset.cpus', cpus, explainSubset(cfs, dir, 'cpuset.cpus'));
    if (mems !== undefined && mems !== '') writeExplained(cfs, dir, 'cpuset.mems', mems, explainSubset(cfs, dir, 'cpuset.mems'));
  },
};
