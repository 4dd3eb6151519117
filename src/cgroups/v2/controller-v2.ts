// The shape of a cgroup v2 resource controller file: the shared ResourceController (validate,
// check, write: controller.ts) plus `controller`, the v2 controller whose files write() touches.
// It must be listed in the cgroup's cgroup.controllers, and V2CgroupManager enables it in the
// ancestors' cgroup.subtree_control (hierarchy.ts) between the validate and check stages.
import { SpecError } from '../../errors';
import type { CgroupWarn, ResourceController } from '../controller';

export type Warn = CgroupWarn;

export interface V2Controller extends ResourceController {
  readonly hierarchy: 'unified';
  /** v2 controller name listed in cgroup.controllers ("memory"); absent for core files and the eBPF device hook. */
  readonly controller?: string;
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
