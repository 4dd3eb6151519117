// Shared shapes of the cgroup manager: the host layout kind, the serialisable record of a
// container's cgroup (stored in state.json so later commands can rebuild the manager), and the
// CgroupManager interface itself, kept here, below base-manager.ts and the v1/v2 managers that
// implement it and manager.ts that picks one, so none of them imports another in a circle.
import type { LinuxResources } from '../spec/types';
import type { Stats } from './stats';

export type { LinuxResources, LinuxDeviceCgroup, LinuxPids } from '../spec/types';

/** v1: only cgroup v1 hierarchies; v2: cgroup2 at the root; hybrid: v1 controllers + cgroup2 at <root>/unified. */
export type CgroupKind = 'v1' | 'v2' | 'hybrid';

/** What `freezerState()` reports (lower-case, like the OCI "paused" derivation wants). */
export type FreezerState = 'frozen' | 'thawed' | 'freezing';

export interface CgroupPaths {
  kind: CgroupKind;
  /**
   * Controller (v1: "cpu", "pids", "name=systemd", ...) or "unified" (the cgroup2 hierarchy) ->
   * absolute directory of the container's cgroup. Co-mounted v1 controllers share a directory.
   */
  paths: Record<string, string>;
  /** Every directory tsrun mkdir'ed (leaf and intermediate parents); destroy removes only these. */
  createdDirs: string[];
}

export interface CgroupPlacement {
  dir: string;
  /** v1 controllers (and "name=systemd") mounted there; "unified" for the cgroup2 hierarchy. */
  controllers: string[];
  /** Made by this manager's create(): no limits in it yet but what set() writes. */
  made: boolean;
}

export interface CgroupManager {
  readonly kind: CgroupKind;
  /**
   * Create the cgroup dirs (every hierarchy) if missing; refuse a cgroup that already holds
   * processes or is frozen (config-linux.md "Cgroups path": the runtime MAY check it is fit).
   * Remembers which dirs it created.
   */
  create(): void;
  /**
   * Move pid into the cgroup (cgroup.procs): in every hierarchy, or only in `dirs` (directories
   * from placements()). create joins in two parts (src/container/cgroup-join.ts says why).
   */
  apply(pid: number, dirs?: readonly string[]): void;
  /** The distinct directories apply() writes, what each stands for and whether this manager made it. */
  placements(): CgroupPlacement[];
  /**
   * Move one thread: through `tasks` in v1 hierarchies (cgroups.txt: a thread's membership is its
   * own there), through cgroup.procs (its whole process) in the cgroup2 one, which has no per-thread
   * membership outside threaded subtrees. exec uses it so that only the thread that spawns the
   * process counts against pids.max and the container's other limits.
   */
  applyThread(tid: number): void;
  /**
   * Write the supported resources; throws CgroupError/UnsupportedError for the rest, before any
   * write. `warn` receives settings that were ignored (e.g. memory.kernel, as runc 1.2 does).
   */
  set(resources: LinuxResources | undefined, warn?: (message: string) => void): void;
  freeze(state: 'frozen' | 'thawed'): void;
  /** 'frozen' | 'thawed' | 'freezing' */
  freezerState(): FreezerState;
  /** Host pids of every process in the container's cgroup (sub-cgroups included). */
  pids(): number[];
  /** Resource usage as runc's `events --stats` reports it; controllers the host lacks are left empty. */
  stats(): Stats;
  /** memory: how many times the container hit its limit and the OOM killer ran (v1 memory.oom_control oom_kill, v2 memory.events oom_kill). */
  oomKillCount(): number;
  /** Remove the dirs we created (only those), deepest first; retries briefly on EBUSY while processes exit; idempotent. */
  destroy(): void;
  /** Serialisable description to store in state.json and rebuild the manager in later commands. */
  paths(): CgroupPaths;
}
