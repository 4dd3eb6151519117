// maskedPaths and readonlyPaths (runtime-spec config-linux.md), applied after pivot_root so that
// every path resolves inside the container's own root.
import * as libc from '../sys/libc';
import { AT_EMPTY_PATH, AT_RECURSIVE, MOUNT_ATTR_RDONLY, MS_BIND, MS_RDONLY, MS_REC, O } from '../sys/constants';
import { SyscallError } from '../errors';

function missing(e: unknown): boolean {
  return e instanceof SyscallError && e.errnoCode === 'ENOENT';
}

/**
 * Makes a path unreadable: /dev/null bound over a file, an empty read-only tmpfs over a directory
 * (the way runc and crun mask /proc/kcore, /proc/keys, /sys/firmware ...). A missing path is skipped.
 */
export function maskPath(p: string): void {
  try {
    libc.mount('/dev/null', p, null, MS_BIND, null);
  } catch (e) {
    if (missing(e)) return;
    if (e instanceof SyscallError && e.errnoCode === 'ENOTDIR') {
      libc.mount('tmpfs', p, 'tmpfs', MS_RDONLY, 'size=0k,mode=0555');
      return;
    }
    throw e;
  }
}

/** Bind the path onto itself, then make the whole subtree read-only with mount_setattr(2). */
export function readonlyPath(p: string): void {
  try {
    libc.mount(p, p, null, MS_BIND | MS_REC, null);
  } catch (e) {
    if (missing(e)) return;
    throw e;
  }
  setReadonly(p, true);
}

/** MOUNT_ATTR_RDONLY changes only the read-only bit, keeping nosuid/nodev/noexec as they were. */
export function setReadonly(p: string, recursive: boolean): void {
  const fd = libc.open(p, O.PATH | O.CLOEXEC);
  try {
    libc.mountSetattr(fd, '', AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), { attr_set: MOUNT_ATTR_RDONLY, attr_clr: 0, propagation: 0 }, p);
  } finally {
    libc.close(fd);
  }
}

