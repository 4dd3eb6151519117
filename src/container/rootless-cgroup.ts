// Which cgroup a rootless container gets, and which limits (README "Rootless";
// src/cgroups/rootless.ts says what a user can write). create.ts asks only when tsrun is not root.
import fs = require('node:fs');
import { cgroupManagerFor, type CgroupManager } from '../cgroups/manager';
import { resolveCgroupsPath } from '../cgroups/cgroups-path';
import { hostCgroupLayout } from '../cgroups/detect';
import { delegatedLayout, ownCgroupPaths } from '../cgroups/rootless';
import type { CgroupPaths } from '../cgroups/types';
import type { LinuxResources, Spec } from '../spec/types';
import type { Caller } from '../spec/rootless';
import { log } from '../log';

/** The default spec's single rule, deny everything: it asks for nothing a rootless container has. */
function onlyDenyAll(devices: NonNullable<LinuxResources['devices']>): boolean {
  return devices.every((d) => !d.allow && d.type === undefined && d.major === undefined && d.minor === undefined);
}

/**
 * The container's cgroup (when `caller` owns a delegated cgroup2 directory on the way to it) and
 * the limits to write there. Without one: no cgroup, and a warning when linux.resources asked for
 * limits. Device rules are never written: attaching the v2 device program needs bpf(2) privileges a
 * user lacks (runc skips eBPF errors in a user namespace the same way, fs2/devices.go), and a
 * rootless container cannot reach a device the user could not already: mknod(2) needs CAP_MKNOD
 * in the initial user namespace, and the nodes bound from the host keep their modes and owners.
 */
export function rootlessCgroup(spec: Spec, id: string, caller: Caller): { cg?: CgroupManager; resources: LinuxResources } {
  const inner = resolveCgroupsPath(spec.linux?.cgroupsPath, id);
  const { devices, ...limits } = spec.linux?.resources ?? {};
  if (devices && !onlyDenyAll(devices)) {
    log.warn(`linux.resources.devices skipped: tsrun runs as ${caller.name}, not root; device access is the host's (nodes are bound from it, none can be made)`);
  }
  const asked = Object.values(limits).some((v) => v !== undefined);
  const layout = delegatedLayout(hostCgroupLayout(), inner, caller.uid);
  if (!layout) {
    if (asked) {
      log.warn(`linux.resources skipped: tsrun runs as ${caller.name} (uid ${caller.uid}), not root, and no cgroup2 directory on the way to ${inner} is delegated to it; no cgroup is made`);
    }
    return { resources: {} };
  }
  return { cg: cgroupManagerFor({ cgroupsPath: spec.linux?.cgroupsPath, id, layout }), resources: limits };
}

/**
 * The cgroups a `cgroup` mount shows: the container's own, or for a rootless caller its own
 * cgroups where the container has none (every v1 hierarchy, and the unified one without a
 * delegated cgroup).
 */
export function mountedCgroups(cg: CgroupManager | undefined, caller: Caller | undefined): CgroupPaths {
  if (!caller && cg) return cg.paths();
  const own = ownCgroupPaths(hostCgroupLayout(), fs.readFileSync('/proc/self/cgroup', 'utf8'));
  return { ...own, paths: { ...own.paths, ...(cg?.paths().paths ?? {}) } };
}
