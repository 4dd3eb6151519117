// process.execCPUAffinity (config.md "Process", [v1.2.0]) and the list syntax it shares with
// linux.memoryPolicy.nodes: "0-3,7" (cpuset(7) "List format").
//
// execCPUAffinity applies only to processes started by `exec`, never to the container's own
// process: `initial` is the affinity the exec'd process gets before it joins the container's
// cgroup, `final` the one it gets after (an empty/absent `final` SHOULD leave the affinity the
// cgroup gives it alone). `create` validates the field (a bad list fails create, as runc's
// validator does); src/container/exec.ts sets `initial` on the thread that spawns the exec stage
// and src/launcher/stage/exec-steps.ts sets `final` once the stage is in the cgroup.
import { FieldError } from '../errors';
import type { ExecCPUAffinity } from '../spec/types';

/** The largest id a list may name: CPU and node masks are bounded by the kernel's NR_CPUS (8192 max). */
const MAX_LIST_ID = 8191;

/**
 * Parses a cpuset(7) list ("0-3,7", "", " 1 , 4-5 ") into sorted unique ids. Throws a FieldError
 * about the value itself on bad syntax (the caller names the field with `in()`).
 */
export function parseIdList(text: string, what = 'CPU'): number[] {
  const ids = new Set<number>();
  const trimmed = text.trim();
  if (trimmed === '') return [];
  for (const rawPart of trimmed.split(',')) {
    const part = rawPart.trim();
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw new FieldError('', `"${part}" is not a ${what} number or range (expected a list like "0-3,7")`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new FieldError('', `range "${part}" ends before it starts`);
    if (hi > MAX_LIST_ID) throw new FieldError('', `${what} ${hi} is above the kernel limit (${MAX_LIST_ID})`);
    for (let i = lo; i <= hi; i++) ids.add(i);
  }
  return [...ids].sort((a, b) => a - b);
}

/** Validated affinity for the exec verb; planExecCpuAffinity throws a FieldError naming "initial" or "final". */
export interface CpuAffinityPlan {
  initial?: number[];
  /** undefined: leave the affinity the cgroup gives alone. */
  final?: number[];
}

export function planExecCpuAffinity(a: ExecCPUAffinity): CpuAffinityPlan {
  const out: CpuAffinityPlan = {};
  for (const field of ['initial', 'final'] as const) {
    const v = a[field];
    if (v === undefined) continue;
    let ids: number[];
    try {
      ids = parseIdList(v);
    } catch (e) {
      throw e instanceof FieldError ? e.in(field) : e;
    }
    // An empty list means "not set" (runc treats "" the same way); sched_setaffinity(2) would
    // refuse an empty mask with EINVAL.
    if (ids.length) out[field] = ids;
  }
  return out;
}
