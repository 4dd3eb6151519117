// Where a cgroup2 directory sits and which controllers reach it. A controller's interface files
// exist in a cgroup only when every ancestor from the mount root down to its parent lists the
// controller in cgroup.subtree_control (Documentation/admin-guide/cgroup-v2.rst "Enabling and
// Disabling"; "Top-down Constraint"). Two uses:
//   - enableAvailable: at create, turn on everything each level offers, best effort, as runc's
//     fs2 CreateCgroupPath does, so later set()/update calls find the files;
//   - ensureController: before writing a controller's files, make sure it reaches the cgroup and
//     fail clearly when the host lacks it or it cannot be enabled (config-linux.md "Unified": the
//     runtime MUST enable needed controllers and MUST error when one is absent or cannot be enabled).
// Enabling fails with EBUSY when the parent holds processes itself ("no internal process"
// constraint), which is why the leaf's own cgroup.subtree_control is never touched.
// Verified on this host's cgroup2 mount (only hugetlb is free there) and on the fake tree.
import path = require('node:path');
import type { CgroupFs } from '../cgroupfs';
import { readCgroupFile } from '../cgroupfs';
import { CgroupError, fsErrorCode } from '../errors';

/** Whitespace-separated names in a cgroup file (cgroup.controllers, cgroup.subtree_control). */
function readList(cfs: CgroupFs, file: string): string[] {
  return readCgroupFile(cfs, file).split(/\s+/).filter(Boolean);
}

/** The leaf's ancestors inside the cgroup2 mount, top-down: the mount root is the highest dir with cgroup.controllers. */
function cgroup2Ancestors(cfs: CgroupFs, leaf: string): string[] {
  const chain: string[] = [];
  for (let d = path.dirname(leaf); ; d = path.dirname(d)) {
    chain.unshift(d);
    const parent = path.dirname(d);
    if (parent === d || !cfs.exists(path.join(parent, 'cgroup.controllers'))) return chain;
  }
}

/** Enable, level by level, every controller each ancestor offers; refusals are left for ensureController to report. */
export function enableAvailable(cfs: CgroupFs, leaf: string): void {
  for (const dir of cgroup2Ancestors(cfs, leaf)) {
    const available = readList(cfs, path.join(dir, 'cgroup.controllers'));
    const control = path.join(dir, 'cgroup.subtree_control');
    const enabled = new Set(readList(cfs, control));
    for (const c of available) {
      if (enabled.has(c)) continue;
      // One controller per write: the kernel applies a line all-or-nothing, and one refusal
      // (e.g. "cpu" while a realtime task sits in the parent) must not keep the others off.
      try {
        cfs.write(control, `+${c}`);
      } catch {
        /* reported later, only if a config needs it */
      }
    }
  }
}

/** Whether the host has controller `name` at all (listed at the root of the cgroup2 mount). */
export function hostHasController(cfs: CgroupFs, leaf: string, name: string): boolean {
  const root = cgroup2Ancestors(cfs, leaf)[0];
  return readList(cfs, path.join(root, 'cgroup.controllers')).includes(name);
}

/**
 * Make controller `name` reach `leaf`, enabling it in each ancestor that does not pass it down yet.
 * CgroupError code "cgroup-missing" names the level that lacks it or refused to enable it.
 */
export function ensureController(cfs: CgroupFs, leaf: string, name: string, pointer: string): void {
  if (readList(cfs, path.join(leaf, 'cgroup.controllers')).includes(name)) return;
  for (const dir of cgroup2Ancestors(cfs, leaf)) {
    const available = readList(cfs, path.join(dir, 'cgroup.controllers'));
    if (!available.includes(name)) {
      throw new CgroupError(
        `cannot apply ${pointer}: the cgroup v2 "${name}" controller is not available in ${dir} (cgroup.controllers: "${available.join(' ')}")`,
        { path: dir, code: 'cgroup-missing' },
      );
    }
    const control = path.join(dir, 'cgroup.subtree_control');
    if (readList(cfs, control).includes(name)) continue;
    try {
      cfs.write(control, `+${name}`);
    } catch (err) {
      const code = fsErrorCode(err);
      const why = code === 'EBUSY' ? ' (that cgroup holds processes itself, so it cannot pass controllers down)' : '';
      throw new CgroupError(`cannot apply ${pointer}: the cgroup v2 "${name}" controller cannot be enabled in ${control}: ${code ?? String(err)}${why}`, {
        path: control,
        errnoCode: code,
        code: 'cgroup-missing',
        cause: err,
      });
    }
  }
}
