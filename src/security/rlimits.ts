// process.rlimits (runtime-spec config.md "POSIX process"): setrlimit for each entry, applied by
// the init stage before it drops capabilities (raising a hard limit needs CAP_SYS_RESOURCE), so an
// impossible limit fails `create`.
import type { Sys } from '../sys/sys';
import { RuntimeError } from '../errors';
import { RLIM_INFINITY, rlimitResource } from './rlimit-table';
import type { POSIXRlimit } from '../spec/types';

/** JSON numbers lose precision past 2^53; anything at or past 2^64-1 means RLIM_INFINITY. */
function toRlim(v: number): bigint {
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

export function applyRlimits(sys: Sys, plan: RlimitPlan[]): void {
  for (const r of plan) {
    try {
      sys.prlimit(0, r.resource, r.soft, r.hard);
    } catch (e) {
      throw new RuntimeError('rlimit', `setrlimit ${r.type} ${r.soft}/${r.hard}: ${(e as Error).message}`);
    }
  }
}
