// Turns the host's cgroup layout and the container's cgroup paths into the plan for a `cgroup`
// mount inside the container (linux/cgroup-mount.ts): which hierarchies to show, under which
// names, with which controllers.
import path = require('node:path');
import type { CgroupLayout } from '../../cgroups/detect';
import type { CgroupPaths } from '../../cgroups/types';
import type { CgroupMountPlan } from '../../stage-config/init-config';

export function cgroupMountPlan(layout: CgroupLayout, paths: CgroupPaths): CgroupMountPlan {
  if (layout.kind === 'v2') return { kind: 'v2', hierarchies: [], unifiedHostPath: paths.paths.unified, links: [] };
  // Co-mounted controllers share one mount point: group them (e.g. "cpu,cpuacct").
  const byMount = new Map<string, string[]>();
  for (const [ctrl, mp] of Object.entries(layout.v1)) {
    const list = byMount.get(mp) ?? [];
    list.push(ctrl);
    byMount.set(mp, list);
  }
  const hierarchies: CgroupMountPlan['hierarchies'] = [];
  const links: CgroupMountPlan['links'] = [];
  for (const [mp, ctrls] of byMount) {
    const name = path.basename(mp);
    const named = ctrls.find((c) => c.startsWith('name='));
    const options = named ? `none,${named}` : ctrls.sort().join(',');
    hierarchies.push({ name, options, hostPath: paths.paths[ctrls[0]] });
    // A co-mounted "cpu,cpuacct" is also reachable as "cpu" and "cpuacct" (the systemd layout).
    for (const c of ctrls) if (!c.startsWith('name=') && c !== name) links.push({ name: c, target: name });
  }
  return { kind: layout.kind, hierarchies, unifiedHostPath: paths.paths.unified, links };
}
