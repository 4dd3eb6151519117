// cgroups for a non-root caller (README "Rootless"). A user can write only the cgroups it owns:
// a cgroup2 directory delegated to it (cgroup-v2.rst "Delegation": chown of the directory and its
// cgroup.procs, cgroup.subtree_control and cgroup.threads; systemd's user@<uid>.service is one).
// cgroup v1 has no safe delegation, and its hierarchies are root's. So:
// - the container's cgroup directory in the unified hierarchy, or the nearest existing ancestor
//   of it, owned by the caller and writable: the container gets a cgroup v2 manager there only
//   (on a hybrid host too; the v1 controllers stay root's), and its limits are applied;
// - otherwise no cgroup is made, and create warns that linux.resources are skipped (runc's
//   rootless cgroup managers ignore a permission error the same way when no limit is asked).
// Device rules are never written for a rootless container (create.ts says why).
import fs = require('node:fs');
import path = require('node:path');
import type { CgroupLayout } from './detect';
import type { CgroupPaths } from './types';

/**
 * The layout to build `uid`'s container cgroup `inner` ("/tsrun/<id>") in: the unified hierarchy
 * alone, as a pure v2 host, when that cgroup (or its nearest existing ancestor) is `uid`'s and
 * writable; undefined when the caller owns no such cgroup.
 */
export function delegatedLayout(layout: CgroupLayout, inner: string, uid: number): CgroupLayout | undefined {
  if (layout.unified === undefined) return undefined;
  const root = layout.unified;
  let dir = path.join(root, inner);
  while (dir !== root && !fs.existsSync(dir)) dir = path.dirname(dir);
  // The root of the hierarchy is never delegated: it belongs to the host (and to root).
  if (dir === root) return undefined;
  try {
    if (fs.statSync(dir).uid !== uid) return undefined;
    fs.accessSync(dir, fs.constants.W_OK);
    // Joining needs cgroup.procs of the destination to be ours too (cgroup-v2.rst "Delegation Containment").
    fs.accessSync(path.join(dir, 'cgroup.procs'), fs.constants.W_OK);
  } catch {
    return undefined;
  }
  return { kind: 'v2', v1: {}, unified: root };
}

/**
 * The caller's own cgroups (/proc/self/cgroup: "id:controllers:path" per hierarchy, "0::path" for
 * the unified one) as container paths: what a `cgroup` mount shows a rootless container that has
 * no cgroup of its own, as runc's does (it binds the cgroups runc runs in, read-only in its spec).
 * Nothing is created there, so createdDirs stays empty.
 */
export function ownCgroupPaths(layout: CgroupLayout, procSelfCgroup: string): CgroupPaths {
  const paths: Record<string, string> = {};
  // The root cgroup ("/") is the mount point itself, without a trailing slash.
  const at = (mount: string, p: string) => (p === '/' ? mount : path.join(mount, p));
  for (const line of procSelfCgroup.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, , controllers, p] = m;
    if (controllers === '') {
      if (layout.unified !== undefined) paths.unified = at(layout.unified, p);
      continue;
    }
    for (const c of controllers.split(',')) {
      const mount = layout.v1[c];
      if (mount !== undefined) paths[c] = at(mount, p);
    }
  }
  return { kind: layout.kind, paths, createdDirs: [] };
}
