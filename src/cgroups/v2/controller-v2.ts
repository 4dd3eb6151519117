// The shape of a cgroup v2 resource controller file. It extends the shared ResourceController
// (applies + write) with the stages V2CgroupManager.set() runs for *every* controller before the
// first write, so that a config v2 cannot honour is refused with nothing changed:
//   1. validate(r, warn)  pure checks of the spec values (SpecError/UnsupportedError), warnings for
//                         fields v2 ignores the way runc does; runs even when applies() is false;
//   2. controller         the v2 controller whose files write() touches: it must be listed in the
//                         cgroup's cgroup.controllers, and is enabled in the ancestors'
//                         cgroup.subtree_control when the host has it (hierarchy.ts);
//   3. check(...)         the shared ResourceController hook: refusals against the live cgroup
//                         (memory checkBeforeUpdate, a huge page size the host lacks);
//   4. write(...)         the file writes.
import { SpecError } from '../../errors';
import type { CgroupWarn, ResourceController } from '../controller';
import type { LinuxResources } from '../types';

export type Warn = CgroupWarn;

export interface V2Controller extends ResourceController {
  readonly hierarchy: 'unified';
  /** v2 controller name listed in cgroup.controllers ("memory"); absent for core files and the eBPF device hook. */
  readonly controller?: string;
  validate(r: LinuxResources, warn: Warn): void;
}

/**
 * `value` as an integer in [min, max], or SpecError at `pointer`. int64/uint64 fields may arrive
 * above 2^53 (JSON numbers become doubles); write them with convert.ts intString.
 */
export function integerIn(value: unknown, pointer: string, min: number, max = Number.MAX_VALUE): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_VALUE ? `>= ${min}` : `between ${min} and ${max}`;
    throw new SpecError(pointer, `must be an integer ${range}, got ${JSON.stringify(value)}`);
  }
  return value;
}
