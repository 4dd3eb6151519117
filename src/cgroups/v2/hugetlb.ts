// cgroup v2 `hugetlb` controller (Documentation/admin-guide/cgroup-v2.rst "HugeTLB"):
// hugepageLimits[] -> hugetlb.<size>.max and, where the kernel has reservation accounting
// (Linux 5.7+), hugetlb.<size>.rsvd.max with the same value. config-linux.md prefers the
// reservation limit (it fails mmap/shmget early instead of a SIGBUS at fault time); writing the
// fault limit too keeps MAP_NORESERVE mappings bounded, and is what runc does.
// pageSize "<n>{KB,MB,GB}" is normalised to the kernel's name of the size by convert.ts
// hugePageSizeName ("2048KB" -> "2MB"); it becomes part of a file name, so anything else is refused
// before a path is built. A size the host does not have is refused by check(), before any write.
// Stats per host page size: usage from hugetlb.<size>.rsvd.current (else .current, as runc),
// failcnt from the "max" count of hugetlb.<size>.events. v2 keeps no peak usage, so `max` stays unset.
// Verified on this host's real cgroup2 mount (hugetlb is the one controller free there):
// .max/.rsvd.max writes read back, stats, unified "hugetlb.2MB.max" (test/integration/cgroups-v2-unified.test.ts).
import fs = require('node:fs');
import path = require('node:path');
import { type CgroupFs, writeCgroupFile } from '../cgroupfs';
import { hugePageSizeFromSysfs, hugePageSizeName, intString } from '../convert';
import { CgroupError } from '../errors';
import type { Hugetlb } from '../stats';
import type { LinuxResources } from '../types';
import { integerIn, type V2Controller } from './controller-v2';
import { readFlatKeyed, readValue } from './stat-files';

const POINTER = '/linux/resources/hugepageLimits';

/** [file prefix "<dir>/hugetlb.2MB", limit text, index] per entry, in config order. Throws SpecError. */
function limits(dir: string, r: LinuxResources): Array<[string, string, number]> {
  return (r.hugepageLimits ?? []).map((h, i) => {
    const size = hugePageSizeName(h.pageSize, `${POINTER}/${i}/pageSize`);
    return [path.join(dir, `hugetlb.${size}`), intString(integerIn(h.limit, `${POINTER}/${i}/limit`, 0)), i];
  });
}

export const hugetlbV2: V2Controller = {
  hierarchy: 'unified',
  controller: 'hugetlb',
  pointer: POINTER,
  applies: (r) => (r.hugepageLimits ?? []).length > 0,
  validate(r) {
    limits('', r);
  },
  check(cfs, dir, r) {
    for (const [prefix, , i] of limits(dir, r)) {
      if (!cfs.exists(`${prefix}.max`)) {
        throw new CgroupError(`cannot apply ${POINTER}/${i}/pageSize: this host has no such huge pages (${prefix}.max is missing)`, {
          path: `${prefix}.max`,
          code: 'cgroup-unsupported',
        });
      }
    }
  },
  write(cfs, dir, r) {
    for (const [prefix, value] of limits(dir, r)) {
      writeCgroupFile(cfs, `${prefix}.max`, value);
      if (cfs.exists(`${prefix}.rsvd.max`)) writeCgroupFile(cfs, `${prefix}.rsvd.max`, value);
    }
  },
};

/** The host's huge page sizes in the controller's naming ("2MB"), from /sys/kernel/mm/hugepages. */
export function hostHugePageSizes(sysfs = '/sys/kernel/mm/hugepages'): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(sysfs);
  } catch {
    return []; // no hugetlbfs support at all
  }
  return entries.map(hugePageSizeFromSysfs).filter((s): s is string => s !== undefined);
}

/** Per page size, as runc's events report it; sizes whose files are missing are left out. */
export function statHugetlbV2(cfs: CgroupFs, dir: string, sizes: readonly string[]): Record<string, Hugetlb> {
  const out: Record<string, Hugetlb> = {};
  for (const size of sizes) {
    const prefix = path.join(dir, `hugetlb.${size}`);
    const usage = readValue(cfs, `${prefix}.rsvd.current`) ?? readValue(cfs, `${prefix}.current`);
    if (usage === undefined) continue;
    out[size] = { usage, failcnt: readFlatKeyed(cfs, `${prefix}.events`)?.max ?? 0 };
  }
  return out;
}
