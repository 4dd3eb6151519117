// maskedPaths and readonlyPaths (runtime-spec config-linux.md), applied after pivot_root so that
// every path resolves inside the container's own root.
import type { Sys } from '../sys/sys';
import { AT_EMPTY_PATH, AT_RECURSIVE, MOUNT_ATTR_RDONLY, MS_BIND, MS_RDONLY, MS_REC, O } from '../sys/constants';
import { RuntimeError, SyscallError } from '../errors';
import { S_IFCHR, S_IFMT } from '../sys/constants';
import { makedev } from './devices';

function missing(e: unknown): boolean {
  return e instanceof SyscallError && e.errnoCode === 'ENOENT';
}

/**
 * Makes paths unreadable: /dev/null bound over a file, an empty read-only tmpfs over a directory
 * (the way runc and crun mask /proc/kcore, /proc/keys, /sys/firmware ...). A missing path is
 * skipped. /dev/null is opened once and checked to be the real null device (char 1:3) before it is
 * used as a bind source: a container-controlled /dev could otherwise put any file there and have
 * it mounted over /proc files (the CVE-2025-31133 pattern).
 */
export function maskPaths(sys: Sys, paths: string[]): void {
  if (!paths.length) return;
  const nullFd = sys.open('/dev/null', O.PATH | O.CLOEXEC);
  try {
    const st = sys.stat(`/proc/self/fd/${nullFd}`);
    if ((st.mode & S_IFMT) !== S_IFCHR || st.rdev !== makedev(1, 3)) {
      throw new RuntimeError('masked-paths', '/dev/null in the container is not the null device (char 1:3)');
    }
    for (const p of paths) maskPath(sys, p, `/proc/self/fd/${nullFd}`);
  } finally {
    sys.close(nullFd);
  }
}

function maskPath(sys: Sys, p: string, devNull: string): void {
  try {
    sys.mount(devNull, p, null, MS_BIND, null);
  } catch (e) {
    if (missing(e)) return;
    if (e instanceof SyscallError && e.errnoCode === 'ENOTDIR') {
      sys.mount('tmpfs', p, 'tmpfs', MS_RDONLY, 'size=0k,mode=0555');
      return;
    }
    throw e;
  }
}

/** Bind the path onto itself, then make the whole subtree read-only with mount_setattr(2). */
export function readonlyPath(sys: Sys, p: string): void {
  try {
    sys.mount(p, p, null, MS_BIND | MS_REC, null);
  } catch (e) {
    if (missing(e)) return;
    throw e;
  }
  setReadonly(sys, p, true);
}

/** MOUNT_ATTR_RDONLY changes only the read-only bit, keeping nosuid/nodev/noexec as they were. */
export function setReadonly(sys: Sys, p: string, recursive: boolean): void {
  const fd = sys.open(p, O.PATH | O.CLOEXEC);
  try {
    sys.mountSetattr(fd, '', AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), { attr_set: MOUNT_ATTR_RDONLY, attr_clr: 0, propagation: 0 }, p);
  } finally {
    sys.close(fd);
  }
}

