// Value checks shared by the v1 controllers' validate() hooks: the ranges config-linux.md and the
// kernel's control files give for linux.resources (int64 byte counts, uint16 weights, uint32 ids).
import { SpecError } from '../../errors';

export const UINT16 = 0xffff;
export const UINT32 = 0xffffffff;

/** An integer within [min, max] (undefined/null passes); JSON may carry int64 values beyond 2^53. */
export function checkInt(value: unknown, pointer: string, min: number, max = Number.MAX_VALUE): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_VALUE ? `>= ${min}` : `${min}..${max}`;
    throw new SpecError(pointer, `must be an integer ${range}, got ${JSON.stringify(value)}`);
  }
}
