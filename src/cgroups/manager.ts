// The CgroupManager interface the runtime uses (docs/ARCHITECTURE.md section 4) and the factory
// that picks the implementation for the host layout: pure v2 -> v2/manager.ts, pure v1 and hybrid
// -> v1/manager.ts (hybrid additionally places the process in the cgroup2 hierarchy, as runc does).
// A manager is either fresh (create verb: detect, resolve linux.cgroupsPath) or rebuilt from the
// CgroupPaths stored in state.json (later verbs), so it never re-detects or re-resolves.
import { type CgroupFs, nodeCgroupFs } from './cgroupfs';
import { cgroupPathsFor, resolveCgroupsPath } from './cgroups-path';
import { type CgroupLayout, hostCgroupLayout } from './detect';
import { CgroupError } from './errors';
import type { CgroupKind, CgroupPaths, FreezerState, LinuxResources } from './types';
import type { Stats } from './stats';
import { V1CgroupManager } from './v1/manager';
import { V2CgroupManager } from './v2/manager';
import type { DeviceFilterAttacher } from './ebpf';

export type { CgroupKind, CgroupPaths, FreezerState } from './types';

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

export interface CgroupPlacement {
  dir: string;
  /** v1 controllers (and "name=systemd") mounted there; "unified" for the cgroup2 hierarchy. */
  controllers: string[];
  /** Made by this manager's create(): no limits in it yet but what set() writes. */
  made: boolean;
}

export interface CgroupManagerOptions {
  /** linux.cgroupsPath from config.json. */
  cgroupsPath?: string;
  /** Container id (names the cgroup when cgroupsPath is absent). */
  id: string;
  /** What an earlier paths() returned: rebuild the manager for an existing container. */
  created?: CgroupPaths;
  /** Host layout; default: detected once per process. Tests pass a fake one. */
  layout?: CgroupLayout;
  /** Filesystem access; default node:fs. Tests pass a fake cgroupfs. */
  fs?: CgroupFs;
  /** v2 device filter loader; default: the real bpf(2). Tests pass a recording one. */
  deviceFilter?: DeviceFilterAttacher;
}

/** A record read back from state.json: only absolute directories, so destroy cannot wander off. */
function checkRecord(record: CgroupPaths): CgroupPaths {
  const kinds: readonly string[] = ['v1', 'v2', 'hybrid'];
  const absolute = (d: unknown) => typeof d === 'string' && d.startsWith('/') && !d.split('/').includes('..');
  if (
    !kinds.includes(record.kind) ||
    typeof record.paths !== 'object' ||
    record.paths === null ||
    !Object.values(record.paths).every(absolute) ||
    !Array.isArray(record.createdDirs) ||
    !record.createdDirs.every(absolute)
  ) {
    throw new CgroupError('stored cgroup paths are malformed', { code: 'cgroup-state' });
  }
  return { kind: record.kind, paths: { ...record.paths }, createdDirs: [...record.createdDirs] };
}

export function cgroupManagerFor(opts: CgroupManagerOptions): CgroupManager {
  const cfs = opts.fs ?? nodeCgroupFs;
  const record = opts.created
    ? checkRecord(opts.created)
    : cgroupPathsFor(opts.layout ?? hostCgroupLayout(), resolveCgroupsPath(opts.cgroupsPath, opts.id));
  return record.kind === 'v2' ? new V2CgroupManager(cfs, record, { deviceFilter: opts.deviceFilter }) : new V1CgroupManager(cfs, record);
}
