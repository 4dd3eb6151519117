// A bind mount made as a detached tree: open_tree(2) OPEN_TREE_CLONE of the source, its
// attributes set with mount_setattr(2) while it is detached, then move_mount(2) onto the target's
// O_PATH fd (in-root.ts). The target is resolved once, inside the root: the old way, mount(2)
// MS_BIND then a MS_REMOUNT|MS_BIND for ro/nosuid/..., looked the destination up a second time
// for the remount, a window in which a rename inside the rootfs could swap what gets remounted
// (the CVE-2021-30465 class). An id-mapped bind (config.md "Mounts", idmap/ridmap) is the same
// tree with MOUNT_ATTR_IDMAP set by the parent before it reaches the init stage
// (src/launcher/parent/idmap-trees.ts, since that needs the host's privilege), so both take this path.
import type { Sys } from '../sys/sys';
import {
  AT_EMPTY_PATH, AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_IDMAP, MOUNT_ATTR_NOATIME, MOUNT_ATTR_NODEV, MOUNT_ATTR_NODIRATIME,
  MOUNT_ATTR_NOEXEC, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NOSYMFOLLOW, MOUNT_ATTR_RDONLY, MOUNT_ATTR_RELATIME,
  MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME, MOVE_MOUNT_F_EMPTY_PATH, MOVE_MOUNT_T_EMPTY_PATH, MS_NOATIME,
  MS_NODEV, MS_NODIRATIME, MS_NOEXEC, MS_NOSUID, MS_NOSYMFOLLOW, MS_RDONLY, MS_RELATIME, MS_STRICTATIME,
  OPEN_TREE_CLOEXEC, OPEN_TREE_CLONE,
} from '../sys/constants';
import { RuntimeError, SyscallError } from '../errors';
import { fdPath } from './in-root';
import type { ParsedMountOptions } from './mount-options';

// The per-mount flags of mount(2) and their mount_setattr(2) attributes. These are all a bind
// remount ever changed: mount(2) "MS_REMOUNT | MS_BIND ... changes the per-mount-point flags";
// the others (sync, dirsync, mand, lazytime, iversion, silent) belong to the superblock, which a
// bind shares with its source, and were ignored there as they are here.
const PER_MOUNT: ReadonlyArray<readonly [number, number]> = [
  [MS_RDONLY, MOUNT_ATTR_RDONLY], [MS_NOSUID, MOUNT_ATTR_NOSUID], [MS_NODEV, MOUNT_ATTR_NODEV],
  [MS_NOEXEC, MOUNT_ATTR_NOEXEC], [MS_NODIRATIME, MOUNT_ATTR_NODIRATIME], [MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW],
];
const ATIME: ReadonlyArray<readonly [number, number]> = [
  [MS_STRICTATIME, MOUNT_ATTR_STRICTATIME], [MS_NOATIME, MOUNT_ATTR_NOATIME], [MS_RELATIME, MOUNT_ATTR_RELATIME],
];

/**
 * The top mount's attributes for a bind's options. Unlike the old remount, which replaced every
 * per-mount flag with those listed (so `bind,ro` of a nosuid source came out suid), an attribute
 * the options do not name keeps the source's value; one they turn off ("rw", "suid", "exec", ...)
 * is cleared. An atime mode replaces the whole atime field (mount_setattr(2) wants all of
 * MOUNT_ATTR__ATIME in attr_clr); MS_STRICTATIME wins over the others, as in mount(2). The words
 * that only clear an atime mode ("atime", "norelatime", "nostrictatime") leave the source's.
 */
export function bindAttributes(p: Pick<ParsedMountOptions, 'flags' | 'clearFlags'>): { set: number; clr: number } {
  let set = 0;
  let clr = 0;
  for (const [ms, attr] of PER_MOUNT) {
    if (p.flags & ms) set |= attr;
    else if (p.clearFlags & ms) clr |= attr;
  }
  const mode = ATIME.find(([ms]) => p.flags & ms);
  if (mode) {
    set |= mode[1];
    clr |= MOUNT_ATTR__ATIME;
  }
  return { set, clr };
}

/** A detached copy of the mount at `source` (a host path in our mount namespace); the whole subtree for rbind. */
export function cloneTree(sys: Sys, source: string, recursive: boolean): number {
  return sys.openTree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0), source);
}

/**
 * Id-maps a detached tree through the user namespace `usernsFd` (mount_setattr(2)
 * MOUNT_ATTR_IDMAP): the top mount for `idmap`, every mount of it for `ridmap`. `what` is the
 * source, named in errors. EINVAL is the kernel's answer for a filesystem without idmap support (and for a
 * tree that is not a fresh detached one, which cannot happen here), ENOSYS for a kernel before 5.12.
 */
export function idmapTree(sys: Sys, treeFd: number, usernsFd: number, recursive: boolean, what: string): void {
  try {
    sys.mountSetattr(treeFd, '', AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), { attr_set: MOUNT_ATTR_IDMAP, attr_clr: 0, propagation: 0, userns_fd: usernsFd }, what);
  } catch (e) {
    if (e instanceof SyscallError && (e.errnoCode === 'EINVAL' || e.errnoCode === 'ENOSYS' || e.errnoCode === 'EOPNOTSUPP')) {
      const who = e.errnoCode === 'ENOSYS' ? 'this kernel (needs Linux 5.12)' : `the filesystem of ${what}${recursive ? ' (or of a mount below it: ridmap)' : ''}`;
      throw new RuntimeError('mount', `id-mapped mounts are not supported by ${who} (mount_setattr MOUNT_ATTR_IDMAP: ${e.errnoCode})`, { cause: e });
    }
    throw e;
  }
}

/**
 * Sets the bind's attributes on the detached tree, attaches it onto `targetFd` (an O_PATH fd
 * resolved inside the root) and applies its propagation, all through the two fds: nothing is
 * looked up by path again. Closes nothing.
 */
export function attachTree(sys: Sys, treeFd: number, targetFd: number, p: ParsedMountOptions, where: string): void {
  const { set, clr } = bindAttributes(p);
  // Top mount first, then the recursive attributes (rro, rnosuid, ...): the order the options had
  // before (remount, then mount_setattr AT_RECURSIVE), so an `r*` option still has the last word.
  if (set || clr) sys.mountSetattr(treeFd, '', AT_EMPTY_PATH, { attr_set: set, attr_clr: clr, propagation: 0 }, where);
  if (p.recAttrSet || p.recAttrClr) {
    sys.mountSetattr(treeFd, '', AT_EMPTY_PATH | AT_RECURSIVE, { attr_set: p.recAttrSet, attr_clr: p.recAttrClr, propagation: 0 }, where);
  }
  sys.moveMount(treeFd, '', targetFd, '', MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH, where);
  // Propagation after the attach: the tree fd now names the attached mount's root, so
  // /proc/self/fd/<tree> is that mount (mount(2) takes no fd). Changed one call per option, in
  // order, as before.
  for (const prop of p.propagation) sys.mount(null, fdPath(treeFd), null, prop, null);
}
