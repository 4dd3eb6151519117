// process.rlimits (runtime-spec config.md "POSIX process"): setrlimit for each entry. The check
// runs before `ready` so an impossible limit fails `create`; the set runs just before execve so a
// low RLIMIT_NOFILE cannot starve the init stage itself.
import * as libc from '../sys/libc';
import { RuntimeError } from '../errors';
import { RLIM_INFINITY, rlimitResource } from './rlimit-table';
import type { POSIXRlimit } from '../spec/types';

/** JSON numbers lose precision past 2^53; anything at or past 2^64-1 means RLIM_INFINITY. */
export function toRlim(v: number): bigint {
  if (!Number.isFinite(v) || v >= 2 ** 64 - 1) return RLIM_INFINITY;
  return BigInt(Math.trunc(v));
}

export interface RlimitPlan { resource: number; type: string; soft: bigint; hard: bigint }

export function planRlimits(rlimits: POSIXRlimit[]): RlimitPlan[] {
  return rlimits.map((r) => {
    const resource = rlimitResource(r.type);
    if (resource === undefined) throw new RuntimeError('rlimit', `unknown rlimit type ${r.type}`);
    const soft = toRlim(r.soft);
    const hard = toRlim(r.hard);
    if (soft > hard) throw new RuntimeError('rlimit', `${r.type}: soft limit ${soft} is above hard limit ${hard}`);
    return { resource, type: r.type, soft, hard };
  });
}

/** Raising a hard limit needs CAP_SYS_RESOURCE (setrlimit(2)); tell that at create, not after start. */
export function checkRlimits(plan: RlimitPlan[], canRaise: boolean): void {
  if (canRaise) return;
  for (const r of plan) {
    const cur = libc.prlimit(0, r.resource);
    if (r.hard > cur.max) {
      throw new RuntimeError('rlimit', `${r.type}: hard limit ${r.hard} is above the current ${cur.max} and CAP_SYS_RESOURCE is not available`);
    }
  }
}

export function applyRlimits(plan: RlimitPlan[]): void {
  for (const r of plan) {
    try {
      libc.prlimit(0, r.resource, r.soft, r.hard);
    } catch (e) {
      throw new RuntimeError('rlimit', `setrlimit ${r.type} ${r.soft}/${r.hard}: ${(e as Error).message}`);
    }
  }
}
