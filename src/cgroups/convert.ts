// Pure conversions from spec resource values to cgroupfs file contents, shared by v1 and v2
// (ARCHITECTURE-NOTES.md section 4: share only pure conversions between the two trees).
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
