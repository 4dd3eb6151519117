// Pure conversions from the spec's (cgroup v1 shaped) resource values to cgroup v2 file values
// that only the v2 controllers need (config-linux.md "Unified": when the config is given for the v1
// equivalent controller, the runtime MAY convert). The conversions v1 code shares (shares -> weight,
// blkio weight -> io.weight, huge page size names, int64 text) live in convert.ts. Each follows
// runc's helper of the same purpose (opencontainers/cgroups utils.go, fs2/memory.go) so a config
// lands on the same values under tsrun and runc. No I/O; unit-tested in test/unit/cgroups-v2-convert.test.ts.
import { SpecError } from '../errors';
import { intString } from './convert';

/**
 * linux.resources.memory.swap is memory+swap together (the v1 memsw limit); v2's memory.swap.max
 * is swap alone. runc's ConvertMemorySwapToCgroupV2Value, case by case (0 = unset, -1 = max):
 *   - limit -1 and swap unset  -> -1 (both unlimited, as v1 would treat it)
 *   - swap -1 or 0             -> as is
 *   - limit -1                 -> swap as is (nothing to subtract from)
 *   - limit unset              -> error: swap needs a memory limit
 *   - swap < limit             -> error: memory+swap must be >= memory
 *   - otherwise                -> swap - limit (0 when they are equal: no swap at all)
 */
export function memorySwapV2(swap: number, limit: number, pointer = '/linux/resources/memory/swap'): number {
  if (limit === -1 && swap === 0) return -1;
  if (swap === -1 || swap === 0) return swap;
  if (limit === -1) return swap;
  if (limit === 0) throw new SpecError(pointer, 'cannot set a swap limit without a memory limit (memory.swap is memory+swap on cgroup v2 too)');
  if (limit < 0) throw new SpecError('/linux/resources/memory/limit', `invalid memory limit ${limit}`);
  if (swap < limit) throw new SpecError(pointer, `memory+swap limit ${swap} must be >= the memory limit ${limit}`);
  return swap - limit;
}

/**
 * A v2 limit file value (memory.max, memory.low, ...) for a spec number: -1 -> "max", 0 -> ""
 * (unset: nothing is written, as runc's numToStr), otherwise the number.
 */
export function limitValueV2(value: number): string {
  if (value === 0) return '';
  if (value === -1) return 'max';
  return intString(value);
}
