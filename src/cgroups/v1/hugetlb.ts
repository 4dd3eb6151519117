// cgroup v1 `hugetlb` controller (Documentation/admin-guide/cgroup-v1/hugetlb.rst):
// linux.resources.hugepageLimits[] -> hugetlb.<size>.limit_in_bytes and, where the kernel has
// reservation accounting (Linux 5.7+), hugetlb.<size>.rsvd.limit_in_bytes. config-linux.md
// "Huge page limits" wants the reservation limit when supported and the fault limit otherwise;
// like runc, tsrun writes the fault limit always and the reservation limit too when it exists,
// so both accountings hold the same bound. <size> is the kernel's name of the page size
// ("2MB", "1GB"), derived from pageSize by convert.ts.
import type { CgroupFs } from '../cgroupfs';
import type { ResourceController } from '../controller';
import { hugePageSizeFromSysfs, hugePageSizeName, intString } from '../convert';
import { CgroupError, fsErrorCode } from '../errors';
import type { Hugetlb } from '../stats';
import { hasFile, readCounter, readOptionalCounter, writeExplained } from './files';
import { checkInt } from './values';

const POINTER = '/linux/resources/hugepageLimits';

/** Where the kernel lists the huge page sizes it supports ("hugepages-2048kB", ...). */
const SYSFS_HUGEPAGES = '/sys/kernel/mm/hugepages';

export const hugetlbV1: ResourceController = {
  hierarchy: 'hugetlb',
  pointer: POINTER,
  applies: (r) => (r.hugepageLimits ?? []).length > 0,
  validate(r) {
    for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
      hugePageSizeName(h.pageSize, `${POINTER}/${i}/pageSize`);
      checkInt(h.limit, `${POINTER}/${i}/limit`, 0);
    }
  },

  check(cfs, dir, r) {
    for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
      const size = hugePageSizeName(h.pageSize, `${POINTER}/${i}/pageSize`);
      if (!hasFile(cfs, dir, `hugetlb.${size}.limit_in_bytes`)) {
        throw new CgroupError(`${POINTER}/${i}/pageSize: this host has no ${size} huge pages (hugetlb.${size}.limit_in_bytes is missing)`, {
          code: 'cgroup-unsupported',
          path: dir,
        });
      }
    }
  },

  write(cfs, dir, r) {
    for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
      const size = hugePageSizeName(h.pageSize, `${POINTER}/${i}/pageSize`);
      const value = intString(h.limit);
      writeExplained(cfs, dir, `hugetlb.${size}.limit_in_bytes`, value);
      if (hasFile(cfs, dir, `hugetlb.${size}.rsvd.limit_in_bytes`)) writeExplained(cfs, dir, `hugetlb.${size}.rsvd.limit_in_bytes`, value);
    }
  },
};

/** Huge page sizes of this host as runc names them ("2MB", "1GB"); [] when the kernel has none. */
export function hugePageSizes(cfs: CgroupFs, sysfsDir = SYSFS_HUGEPAGES): string[] {
  let names: string[];
  try {
    names = cfs.subdirs(sysfsDir);
  } catch (err) {
    if (fsErrorCode(err) === 'ENOENT') return [];
    throw new CgroupError(`list ${sysfsDir}: ${fsErrorCode(err) ?? String(err)}`, { path: sysfsDir, cause: err });
  }
  return names.map(hugePageSizeFromSysfs).filter((s): s is string => s !== undefined);
}

/**
 * Usage per page size. Like runc, the reservation counters are reported when the kernel has
 * them (they are what hugepageLimits limits there), else the fault counters; sizes whose files
 * are missing are left out.
 */
export function hugetlbStatsV1(cfs: CgroupFs, dir: string, sizes: readonly string[]): Record<string, Hugetlb> {
  const out: Record<string, Hugetlb> = {};
  for (const size of sizes) {
    const rsvd = hasFile(cfs, dir, `hugetlb.${size}.rsvd.usage_in_bytes`);
    const prefix = rsvd ? `hugetlb.${size}.rsvd` : `hugetlb.${size}`;
    const usage = readOptionalCounter(cfs, dir, `${prefix}.usage_in_bytes`);
    if (usage === undefined) continue;
    out[size] = {
      usage,
      max: readCounter(cfs, dir, `${prefix}.max_usage_in_bytes`),
      failcnt: readCounter(cfs, dir, `${prefix}.failcnt`),
    };
  }
  return out;
}
