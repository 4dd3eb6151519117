// Path operations confined to the container's root filesystem. Every lookup goes through
// openat2(2) with RESOLVE_IN_ROOT, so a symlink in the rootfs (even "../../etc" or an absolute
// "/etc") resolves inside the rootfs and never reaches a host path: the CVE-2021-30465 class
// (symlink-exchange attacks on mount destinations) cannot make tsrun mount or create on the host.
// Results are O_PATH fds; callers mount onto "/proc/self/fd/<fd>", which names exactly the object
// the fd holds, so no second path walk can race with a rename.
import type { Sys } from '../sys/sys';
import { O, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS } from '../sys/constants';
import { SyscallError } from '../errors';

const RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

/** Splits "/a/b/../c" into clean components, dropping "." and empty ones (".." is kept: RESOLVE_IN_ROOT clamps it at the root). */
export function components(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** O_PATH fd of `rel` inside the root fd; throws SyscallError (ENOENT when missing). */
export function openInRoot(sys: Sys, rootFd: number, rel: string, flags = 0, where?: string): number {
  const p = components(rel).join('/') || '.';
  return sys.openat2(rootFd, p, O.PATH | O.CLOEXEC | flags, 0, RESOLVE, where ?? rel);
}

function isMissing(e: unknown): boolean {
  return e instanceof SyscallError && e.errnoCode === 'ENOENT';
}

/**
 * mkdir -p inside the root: each missing component is created with mkdirat() relative to an fd of
 * its (already confined) parent. Returns an O_PATH fd of the final directory.
 */
export function mkdirAllInRoot(sys: Sys, rootFd: number, rel: string, mode = 0o755, where?: string): number {
  const parts = components(rel);
  const dirFlags = O.PATH | O.CLOEXEC | O.DIRECTORY;
  let fd = sys.openat2(rootFd, '.', dirFlags, 0, RESOLVE, where ?? '/');
  for (let i = 0; i < parts.length; i++) {
    // Every step resolves the whole prefix from the real root fd: RESOLVE_IN_ROOT treats the dirfd
    // as "/", so anchoring on an intermediate dir would resolve a symlink's ".." or absolute target
    // against the wrong directory.
    const prefix = parts.slice(0, i + 1).join('/');
    let next: number;
    try {
      next = sys.openat2(rootFd, prefix, dirFlags, 0, RESOLVE, where ?? rel);
    } catch (e) {
      if (!isMissing(e)) {
        sys.close(fd);
        throw e;
      }
      try {
        // mkdirat relative to the confined parent fd: never follows a link at the new name.
        sys.mkdirat(fd, parts[i], mode, where ?? rel);
      } catch (e2) {
        if (!(e2 instanceof SyscallError && e2.errnoCode === 'EEXIST')) {
          sys.close(fd);
          throw e2;
        }
      }
      next = sys.openat2(rootFd, prefix, dirFlags, 0, RESOLVE, where ?? rel);
    }
    sys.close(fd);
    fd = next;
  }
  return fd;
}

/** Makes sure `rel` exists as a regular file (mount target for a file bind); returns an O_PATH fd. */
export function ensureFileInRoot(sys: Sys, rootFd: number, rel: string, where?: string): number {
  const parts = components(rel);
  const name = parts.pop();
  if (!name) throw new SyscallError('open', 21 /* EISDIR */, where ?? rel, 'not a file');
  const dirFd = mkdirAllInRoot(sys, rootFd, parts.join('/'), 0o755, where);
  try {
    try {
      return sys.openat2(rootFd, [...parts, name].join('/'), O.PATH | O.CLOEXEC, 0, RESOLVE, where ?? rel);
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
    // O_CREAT|O_EXCL never follows a symlink at the last component.
    try {
      const fd = sys.openat(dirFd, name, O.CREAT | O.EXCL | O.WRONLY | O.CLOEXEC | O.NOFOLLOW, 0o644, where ?? rel);
      sys.close(fd);
    } catch (e) {
      if (!(e instanceof SyscallError && e.errnoCode === 'EEXIST')) throw e;
    }
    return sys.openat2(rootFd, [...parts, name].join('/'), O.PATH | O.CLOEXEC, 0, RESOLVE, where ?? rel);
  } finally {
    sys.close(dirFd);
  }
}

