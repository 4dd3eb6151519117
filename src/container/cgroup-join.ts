// When the init stage joins each of the container's cgroups: most of them right after the spawn,
// while the stage's Node is still booting, the rest on `hello`, after the boot (create.ts).
//
// Why split it. The first write to any cgroup.procs waits for an RCU grace period (the kernel's
// cgroup_threadgroup_rwsem switches to its slow mode through rcu_sync_enter), a few to ~11 ms;
// writes that follow it within a grace period are cheap, one more than a grace period later waits
// again. Made right after the spawn, that wait runs while the stage starts Node (tens of ms) on
// the other core instead of after it. Limits are still written on `hello`, after the boot: the
// stage's Node creates its threads while booting, and under pids.limit 1, written before that,
// the boot itself could not start them (pids charges move with a task, so a limit written after
// the join counts the stage's threads but refuses only later forks).
//
// Whose charges land where, and when (memory.rst "Moving charges": a page stays charged to the
// cgroup that first faulted it in; v1 moves charges only with move_charge_at_immigrate, which
// tsrun leaves at 0, and cgroup v2 never moves them):
//   - memory joined right after the spawn (no memory setting in the config): the stage's Node
//     heap, its bundle's pages and everything after are the container's, as runc's init is. They
//     are uncharged when the stage's execve frees that address space; from then on the charges
//     are the container program's.
//   - memory joined on `hello` (any memory setting, or a v2 `memory.*` unified key): the boot's
//     pages (about 9 MB of anonymous memory, Node's heaps and stacks; its code is page cache
//     charged long before) stay charged to the caller's cgroup, which is what lets the stage live
//     under an 8 MiB limit (test/integration/limits.test.ts; joined early, its boot alone was
//     8.7 MB there). Only what the stage faults in after `hello` (the bootstrap
//     message, the rootfs steps: little) and then the container program's pages count against the
//     limit. Joined before the boot, the boot would run into the limit; joined before the boot
//     with the limit written at `hello`, the limit would be below usage (v1: EBUSY, v2: the OOM
//     killer takes the stage).
// That costs a second grace period on `hello` for memory-limited containers (what joining
// everything there cost before), and none for the others.
//
// A directory this create did not make (linux.cgroupsPath naming an existing cgroup) may hold
// limits already, written by whoever made it; the stage joins it only on `hello`, after its boot.
// On pure cgroup v2 the one directory holds the memory controller (when its parent enables it).
import type { CgroupManager, CgroupPlacement } from '../cgroups/manager';
import type { LinuxResources } from '../cgroups/types';

export interface JoinPlan {
  /** Joined right after the spawn, while the stage boots. */
  early: string[];
  /** Joined on `hello`, after the boot, right before the limits are written. */
  late: string[];
}

/** Whether the config sets anything in the memory controller. */
export function setsMemory(resources: LinuxResources | undefined): boolean {
  if (!resources) return false;
  const memory = Object.values(resources.memory ?? {}).some((v) => v !== undefined && v !== null);
  return memory || Object.keys(resources.unified ?? {}).some((k) => k.startsWith('memory.'));
}

function holdsMemory(kind: CgroupManager['kind'], p: CgroupPlacement): boolean {
  // On hybrid hosts the memory controller is bound to its v1 hierarchy, so the cgroup2 one has it not.
  return p.controllers.includes('memory') || (kind === 'v2' && p.controllers.includes('unified'));
}

/** Splits the container's cgroup directories into the early and the late join (see above). */
export function planJoin(cg: Pick<CgroupManager, 'kind' | 'placements'>, resources: LinuxResources | undefined): JoinPlan {
  const deferMemory = setsMemory(resources);
  const plan: JoinPlan = { early: [], late: [] };
  for (const p of cg.placements()) {
    const early = p.made && !(deferMemory && holdsMemory(cg.kind, p));
    (early ? plan.early : plan.late).push(p.dir);
  }
  return plan;
}
