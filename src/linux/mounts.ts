// One `mounts` entry of config.json onto the container's rootfs (runtime-spec config.md "Mounts"),
// in the init stage's mount namespace, before pivot_root. Destinations are resolved inside the
// rootfs (in-root.ts); the mount is made onto /proc/self/fd/<fd> of that confined O_PATH fd, or,
// for a bind, moved onto the fd itself (bind-tree.ts).
import type { FileStat, Sys } from '../sys/sys';
import { AT_EMPTY_PATH, AT_RECURSIVE, O, S_IFDIR, S_IFMT } from '../sys/constants';
import { RuntimeError, SyscallError } from '../errors';
import { parseMountOptions, type ParsedMountOptions } from './mount-options';
import { ensureFileInRoot, fdPath, mkdirAllInRoot, openInRoot } from './in-root';
import { copyUp } from './copy-up';
import { attachTree, cloneTree } from './bind-tree';
import type { InitMount } from '../stage-config/init-config';

// runc's checkProcMount (CVE-2019-19921): a mount whose destination resolves into the container's
// /proc (an image can make "volume" a symlink to /proc) could replace /proc/sys or /proc/self/attr
// files that later steps rely on. Allowed: procfs at /proc itself, and binds over these files that
// tools like lxcfs replace.
const PROC_MOUNT_ALLOWED = new Set([
  '/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime',
  '/proc/loadavg', '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid',
]);

/** Refuses a target that landed inside the container's /proc (checked on the resolved fd, so a symlink cannot hide it). */
export function guardProcTarget(sys: Sys, rootFd: number, targetFd: number, m: InitMount): void {
  const root = sys.readlink(fdPath(rootFd));
  const real = sys.readlink(fdPath(targetFd));
  const rel = real === root ? '/' : real.startsWith(root + '/') ? real.slice(root.length) : real;
  // procfs itself goes only to /proc: an image symlink "/proc -> /x" would otherwise put procfs at
  // /x, and later mounts under /x/... would pass the check below (runc refuses the same).
  if (m.type === 'proc' && rel !== '/proc') {
    throw new RuntimeError('mount', `${m.destination} resolves to ${rel}: procfs may only be mounted at /proc`);
  }
  if (rel !== '/proc' && !rel.startsWith('/proc/')) return;
  if (rel === '/proc' && m.type === 'proc') return;
  if (PROC_MOUNT_ALLOWED.has(rel)) return;
  throw new RuntimeError('mount', `${m.destination} resolves to ${rel} inside the container's /proc; mounting there is refused (CVE-2019-19921)`);
}

/** Applies propagation (in order) and recursive attributes (mount_setattr, Linux 5.12+) to a mounted target. */
function applyAfter(sys: Sys, rootFd: number, dest: string, p: ParsedMountOptions): void {
  if (!p.propagation.length && !p.recAttrSet && !p.recAttrClr) return;
  const fd = openInRoot(sys, rootFd, dest, 0, dest);
  try {
    for (const prop of p.propagation) sys.mount(null, fdPath(fd), null, prop, null);
    if (p.recAttrSet || p.recAttrClr) {
      sys.mountSetattr(fd, '', AT_EMPTY_PATH | AT_RECURSIVE, { attr_set: p.recAttrSet, attr_clr: p.recAttrClr, propagation: 0 }, dest);
    }
  } finally {
    sys.close(fd);
  }
}

/**
 * A bind: the source as a detached tree (bind-tree.ts), its own or, for an id-mapped one, the tree
 * the parent made and passed as m.treeFd, moved onto the target resolved once inside the root.
 */
function mountBind(sys: Sys, rootFd: number, m: InitMount, p: ParsedMountOptions): void {
  // The parent's tree must be there for an id-mapped mount: binding the plain source instead would
  // give the container the host's ids (config.md: the mount MUST have an idmapping applied).
  if (m.idmap && m.treeFd === undefined) throw new RuntimeError('mount', `${m.destination}: the id-mapped tree of ${m.source} was not passed to the init stage`);
  let st: FileStat;
  try {
    st = m.treeFd !== undefined ? sys.fstat(m.treeFd) : sys.stat(m.source);
  } catch (e) {
    throw new RuntimeError('mount', `mount source ${m.source} for ${m.destination}: ${e instanceof SyscallError ? e.errnoCode : (e as Error).message}`);
  }
  const target = (st.mode & S_IFMT) === S_IFDIR ? mkdirAllInRoot(sys, rootFd, m.destination, 0o755, m.destination)
    : ensureFileInRoot(sys, rootFd, m.destination, m.destination);
  let tree = -1;
  try {
    guardProcTarget(sys, rootFd, target, m);
    // Cloned after the target exists, as the bind was made after it before: a source below the
    // destination's new directories sees them.
    tree = m.treeFd ?? cloneTree(sys, m.source, p.recursiveBind);
    attachTree(sys, tree, target, p, m.destination);
  } finally {
    sys.close(target);
    if (tree >= 0) sys.close(tree);
  }
}

/** tmpcopyup: the old directory (held by an fd opened before the mount) into the new tmpfs. */
function copyUpInto(sys: Sys, oldDirFd: number, rootFd: number, dest: string, data: string[]): void {
  const newFd = openInRoot(sys, rootFd, dest, O.DIRECTORY, dest);
  try {
    copyUp(sys, fdPath(oldDirFd), fdPath(newFd), data.some((d) => d.startsWith('mode=')));
  } finally {
    sys.close(newFd);
  }
}

export function mountEntry(sys: Sys, rootFd: number, m: InitMount): void {
  const p = parseMountOptions(m.options);
  if (p.bind) {
    // Propagation and recursive attributes included, through the tree's fd (bind-tree.ts).
    mountBind(sys, rootFd, m, p);
    return;
  }
  const target = mkdirAllInRoot(sys, rootFd, m.destination, 0o755, m.destination);
  let oldDir = -1;
  try {
    guardProcTarget(sys, rootFd, target, m);
    if (p.tmpcopyup) oldDir = sys.open(fdPath(target), O.RDONLY | O.DIRECTORY | O.CLOEXEC);
    sys.mount(m.source || m.type, fdPath(target), m.type, p.flags, p.data.length ? p.data.join(',') : null);
    if (oldDir >= 0) copyUpInto(sys, oldDir, rootFd, m.destination, p.data);
  } finally {
    sys.close(target);
    if (oldDir >= 0) sys.close(oldDir);
  }
  applyAfter(sys, rootFd, m.destination, p);
}
