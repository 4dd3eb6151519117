// Turns linux.cgroupsPath into the cgroup's path inside every hierarchy, and that into the
// per-hierarchy directories (config-linux.md "Cgroups path"):
//   - absolute: relative to each hierarchy's mount point ("/a/b" -> /sys/fs/cgroup/pids/a/b)
//   - relative: under a runtime-chosen base; tsrun uses "/tsrun/<path>" (runc nests relative paths
//     under its own cgroup instead; a fixed base keeps tsrun's cgroups in one known place)
//   - absent:   "/tsrun/<container id>"
// The same value always maps to the same cgroup, as the spec requires.
import path = require('node:path');
import { SpecError, UnsupportedError } from '../errors';
import type { CgroupLayout } from './detect';
import type { CgroupPaths } from './types';

/** Parent of relative and default cgroups paths, inside every hierarchy. */
export const TSRUN_CGROUP_PARENT = '/tsrun';

const POINTER = '/linux/cgroupsPath';

/** runc's systemd driver reads "slice:prefix:name" (runc docs/systemd.md). */
function isSystemdStyle(p: string): boolean {
  return !p.startsWith('/') && p.split(':').length === 3;
}

/** Path of the container's cgroup inside each hierarchy, always absolute and normalised ("/tsrun/x"). */
export function resolveCgroupsPath(cgroupsPath: string | undefined, id: string): string {
  if (cgroupsPath === undefined || cgroupsPath === '') return joinChecked(TSRUN_CGROUP_PARENT, id, '');
  if (isSystemdStyle(cgroupsPath)) {
    throw new UnsupportedError(
      POINTER,
      `"${cgroupsPath}" is a systemd-style "slice:prefix:name" path, which needs the systemd cgroup driver; tsrun has only the cgroupfs driver so far`,
    );
  }
  if (cgroupsPath.startsWith('/')) {
    return joinChecked('/', cgroupsPath, POINTER);
  }
  return joinChecked(TSRUN_CGROUP_PARENT, cgroupsPath, POINTER);
}

/** Join `rel` under `base`, refusing ".." (it would escape the base or the mount) and control characters. */
function joinChecked(base: string, rel: string, pointer: string): string {
  // A newline would corrupt /proc/<pid>/cgroup lines; NUL cannot reach the kernel at all.
  if (/[\0\n]/.test(rel)) throw new SpecError(pointer, 'must not contain NUL or newline characters');
  const parts = rel.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.includes('..')) throw new SpecError(pointer, `"${rel}" must not contain ".." components`);
  if (parts.length === 0) {
    // "/" would put the container in the hierarchy's root cgroup, shared with the whole host.
    throw new SpecError(pointer, `"${rel}" is the root of the cgroup hierarchy; a container needs a cgroup of its own`);
  }
  return path.posix.join(base, ...parts);
}

/** The directory of the cgroup `inner` in every hierarchy of `layout`. */
export function cgroupPathsFor(layout: CgroupLayout, inner: string): CgroupPaths {
  const paths: Record<string, string> = {};
  for (const [controller, mount] of Object.entries(layout.v1)) paths[controller] = path.join(mount, inner);
  if (layout.unified !== undefined) paths.unified = path.join(layout.unified, inner);
  return { kind: layout.kind, paths, createdDirs: [] };
}
