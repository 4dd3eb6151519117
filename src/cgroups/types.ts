// Shared shapes of the cgroup manager: the host layout kind and the serialisable record of a
// container's cgroup (stored in state.json so later commands can rebuild the manager).
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
