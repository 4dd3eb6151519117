// A `cgroup` mount entry (type "cgroup" in config.json, runc's default spec has one at
// /sys/fs/cgroup). On cgroup v2 it is a cgroup2 mount; on v1 and hybrid hosts it is a tmpfs with
// one mount per hierarchy (plus cgroup2 at "unified" on hybrid), the layout runc builds. With a
// cgroup namespace the container sees its own cgroup as the root of each hierarchy; without one,
// the container's own cgroup directories are bind-mounted so it still cannot see its siblings.
import type { Sys } from '../sys/sys';
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_REMOUNT } from '../sys/constants';
import { fdPath, mkdirAllInRoot, openInRoot } from './in-root';
import { parseMountOptions } from './mount-options';
import { guardProcTarget } from './mounts';
import type { CgroupMountPlan, InitMount } from '../stage-config/init-config';
import { RuntimeError, SyscallError } from '../errors';

function mountAt(sys: Sys, rootFd: number, dest: string, fn: (target: string) => void): void {
  const fd = mkdirAllInRoot(sys, rootFd, dest, 0o755, dest);
  try {
    guardProcTarget(sys, rootFd, fd, { destination: dest, source: 'cgroup', type: 'cgroup', options: [] });
    fn(fdPath(fd));
  } finally {
    sys.close(fd);
  }
}

export function mountCgroupEntry(sys: Sys, rootFd: number, m: InitMount, plan: CgroupMountPlan | undefined, cgroupNs: boolean): void {
  if (!plan) throw new RuntimeError('mount', `${m.destination}: cgroup mount requested but no cgroup hierarchy was found on the host`);
  const p = parseMountOptions(m.options);
  const flags = p.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  const dest = m.destination;
  if (plan.kind === 'v2') {
    mountUnified(sys, rootFd, dest, flags, plan, cgroupNs);
    return;
  }
  // v1/hybrid: a tmpfs to hold the per-hierarchy directories; read-only at the end if asked.
  const base = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  mountAt(sys, rootFd, dest, (t) => sys.mount('tmpfs', t, 'tmpfs', base, 'mode=755'));
  for (const h of plan.hierarchies) {
    const sub = `${dest}/${h.name}`;
    mountAt(sys, rootFd, sub, (t) => {
      if (cgroupNs) sys.mount('cgroup', t, 'cgroup', flags, h.options);
      else sys.mount(h.hostPath, t, null, MS_BIND | MS_REC, null);
    });
    if (!cgroupNs) remountBind(sys, rootFd, sub, flags);
  }
  if (plan.kind === 'hybrid') mountUnified(sys, rootFd, `${dest}/unified`, flags, plan, cgroupNs);
  for (const l of plan.links) {
    const dirFd = openInRoot(sys, rootFd, dest, 0, dest);
    try {
      sys.symlinkat(l.target, dirFd, l.name, `${dest}/${l.name}`);
    } catch (e) {
      if (!(e instanceof SyscallError && e.errnoCode === 'EEXIST')) throw e;
    } finally {
      sys.close(dirFd);
    }
  }
  if (flags & MS_RDONLY) {
    const fd = openInRoot(sys, rootFd, dest, 0, dest);
    try {
      sys.mount(null, fdPath(fd), null, MS_REMOUNT | MS_RDONLY | base, 'mode=755');
    } finally {
      sys.close(fd);
    }
  }
}

function mountUnified(sys: Sys, rootFd: number, dest: string, flags: number, plan: CgroupMountPlan, cgroupNs: boolean): void {
  const bind = !cgroupNs && plan.unifiedHostPath;
  mountAt(sys, rootFd, dest, (t) => {
    if (bind) sys.mount(plan.unifiedHostPath as string, t, null, MS_BIND | MS_REC, null);
    else sys.mount('cgroup2', t, 'cgroup2', flags, null);
  });
  if (bind) remountBind(sys, rootFd, dest, flags);
}

/** A bind takes no flags on the first call; apply them with a remount of the *new* mount (reopened). */
function remountBind(sys: Sys, rootFd: number, dest: string, flags: number): void {
  const settings = flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (!settings) return;
  const fd = openInRoot(sys, rootFd, dest, 0, dest);
  try {
    sys.mount(null, fdPath(fd), null, MS_BIND | MS_REMOUNT | settings, null);
  } finally {
    sys.close(fd);
  }
}
