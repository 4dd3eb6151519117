// The factory of the CgroupManager the runtime uses (docs/ARCHITECTURE.md section 4; the
// interface is in types.ts). It picks the implementation for the host layout: pure v2 ->
// v2/manager.ts, pure v1 and hybrid -> v1/manager.ts (hybrid additionally places the process in the cgroup2 hierarchy, as runc does).
// A manager is either fresh (create verb: detect, resolve linux.cgroupsPath) or rebuilt from the
// CgroupPaths stored in state.json (later verbs), so it never re-detects or re-resolves.
import { type CgroupFs, nodeCgroupFs } from './cgroupfs';
import { cgroupPathsFor, resolveCgroupsPath } from './cgroups-path';
import { type CgroupLayout, hostCgroupLayout } from './detect';
import { CgroupError } from './errors';
import type { CgroupManager, CgroupPaths } from './types';
import { V1CgroupManager } from './v1/manager';
import { V2CgroupManager } from './v2/manager';
import type { DeviceFilterAttacher } from './ebpf';

// The interface lives in types.ts, below the managers that implement it (base-manager.ts would
// otherwise import this file, which imports the v1 and v2 managers, which extend base-manager.ts).
export type { CgroupKind, CgroupManager, CgroupPaths, CgroupPlacement, FreezerState } from './types';


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
