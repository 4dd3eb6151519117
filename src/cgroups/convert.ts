// Pure conversions from spec resource values to cgroupfs file contents, shared by v1 and v2
// (docs/ARCHITECTURE.md section 4: share only pure conversions between the two trees).
// v1-only formats live next to their controller in v1/.
import { SpecError } from '../errors';

/**
 * pids.limit -> pids.max (same file and syntax on v1 and v2).
 * runtime-spec PR #1279 (v1.3.0 guidance, runc 1.4): -1 means "max"; 0 is a real limit that the
 * kernel accepts (no fork at all); any positive value is written as is. crun also maps every
 * negative value to "max". The kernel rejects values above PID_MAX_LIMIT with EINVAL, which is
 * left to the kernel so the error names the file and value.
 */
export function pidsMaxValue(limit: number): string {
  if (!Number.isSafeInteger(limit)) {
    throw new SpecError('/linux/resources/pids/limit', `must be an integer, got ${String(limit)}`);
  }
  return limit < 0 ? 'max' : String(limit);
}

/**
 * Decimal text of an integer from config.json. JSON numbers above 2^53 (an int64 such as
 * 9223372036854775807 meaning "no limit") arrive as doubles; String() would print them as
 * "9.223372036854776e+18", which the kernel's kstrto* parsers reject, so they go through BigInt.
 */
export function intString(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

const PAGE_UNITS: Record<string, number> = { KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/**
 * hugepageLimits[].pageSize -> the size as the kernel names it in hugetlb file names
 * ("hugetlb.2MB.limit_in_bytes" on v1, "hugetlb.2MB.max" on v2). config-linux.md "Huge page
 * limits": "<size><unit-prefix>B", units base 1024. The kernel's hugetlb_cgroup mem_fmt() prints
 * the largest unit that is at least 1 (GB, else MB, else KB), so "2048KB" and "2MB" are the same
 * file and both become "2MB"; "1024MB" becomes "1GB".
 */
export function hugePageSizeName(pageSize: string, pointer = '/linux/resources/hugepageLimits'): string {
  const m = /^([1-9][0-9]*)(KB|MB|GB)$/.exec(pageSize);
  if (m === null) throw new SpecError(pointer, `pageSize must look like "64KB", "2MB" or "1GB", got ${JSON.stringify(pageSize)}`);
  const bytes = Number(m[1]) * PAGE_UNITS[m[2]];
  if (!Number.isSafeInteger(bytes)) throw new SpecError(pointer, `pageSize ${pageSize} is too large`);
  if (bytes >= PAGE_UNITS.GB) return `${Math.floor(bytes / PAGE_UNITS.GB)}GB`;
  if (bytes >= PAGE_UNITS.MB) return `${Math.floor(bytes / PAGE_UNITS.MB)}MB`;
  return `${Math.floor(bytes / PAGE_UNITS.KB)}KB`;
}

/**
 * Name of a hugepage size from its /sys/kernel/mm/hugepages directory ("hugepages-2048kB" ->
 * "2MB"), the key runc uses for hugetlb stats; undefined for anything else.
 */
export function hugePageSizeFromSysfs(dirName: string): string | undefined {
  const m = /^hugepages-([1-9][0-9]*)kB$/.exec(dirName);
  return m === null ? undefined : hugePageSizeName(`${m[1]}KB`);
}

/**
 * cpu.shares (v1, 2..262144, default 1024) -> cpu.weight (v2, 1..10000, default 100); 0 = unset.
 * The curve runc uses since 1.3.2 (libcontainer/cgroups ConvertCPUSharesToCgroupV2Value): a
 * quadratic in log2(shares) through the three fixed points min->min, 1024->100, max->max, so the
 * default share maps to the default weight (the older linear map gave 1024 -> 39).
 */
export function cpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(10 ** exponent);
}

/**
 * blkio.weight (v1, 10..1000) -> io.weight (v2, 1..10000), runc's ConvertBlkIOToIOWeightValue;
 * 0 = unset.
 */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}
