// CgroupError: every failure of the cgroup manager that is not a config problem (those are
// SpecError/UnsupportedError from src/errors.ts). docs/ARCHITECTURE.md section 4 lists it as one
// of the RuntimeError subclasses; it lives here so src/errors.ts stays owned by one person.
import { type ErrorCode, RuntimeError, errnoName } from '../errors';

export class CgroupError extends RuntimeError {
  /** The cgroupfs file or directory involved, when there is one. */
  readonly path?: string;
  /** errno name ("EBUSY") when the failure came from a filesystem call. */
  readonly errnoCode?: string;
  constructor(message: string, fields: { path?: string; errnoCode?: string; cause?: unknown; code?: ErrorCode } = {}) {
    super(fields.code ?? 'cgroup', message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.path = fields.path;
    this.errnoCode = fields.errnoCode;
  }
}

/** errno name of a Node fs error ("ENOENT"), or undefined when it is not one. */
export function fsErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; errno?: unknown };
  if (typeof e.code === 'string' && e.code.startsWith('E')) return e.code;
  // Node reports errno as a negative number (-2 for ENOENT).
  if (typeof e.errno === 'number') return errnoName(Math.abs(e.errno));
  return undefined;
}
