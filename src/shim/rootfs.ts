// The container's root filesystem as containerd hands it to a shim: CreateTaskRequest.rootfs is
// a list of mounts (an overlay of snapshot layers, or a bind of a native snapshot) that the shim
// mounts on <bundle>/rootfs before create and unmounts at delete (containerd 1.6 runc shim,
// runtime/v2/runc/container.go NewContainer; mount.UnmountAll at Delete). Options are read with
// tsrun's own mount option table (src/linux/mount-options.ts): flags, and the rest as data.
import fs = require('node:fs');
import path = require('node:path');
import * as libc from '../sys/libc';
import { MNT_DETACH, MS_BIND, MS_RDONLY, MS_REMOUNT } from '../sys/constants';
import { SyscallError } from '../errors';
import { parseMountOptions } from '../linux/mount-options';

export interface RootfsMount {
  type: string;
  source: string;
  options: string[];
}

function rootfsDir(bundle: string): string {
  return path.join(bundle, 'rootfs');
}

/** Mounts `mounts` in order on <bundle>/rootfs; on failure unmounts what was mounted. */
export function mountRootfs(bundle: string, mounts: readonly RootfsMount[]): void {
  if (mounts.length === 0) return;
  const target = rootfsDir(bundle);
  fs.mkdirSync(target, { recursive: true, mode: 0o711 });
  let done = 0;
  try {
    for (const m of mounts) {
      const o = parseMountOptions(m.options);
      const bind = o.bind || m.type === 'bind';
      const flags = bind ? (o.flags | MS_BIND) & ~MS_RDONLY : o.flags;
      libc.mount(m.source, target, bind ? null : m.type, flags, o.data.length > 0 ? o.data.join(',') : null);
      done++;
      // mount(2): MS_RDONLY is ignored with MS_BIND; a read-only bind is a remount of it.
      if (bind && o.flags & MS_RDONLY) libc.mount(null, target, null, MS_REMOUNT | MS_BIND | MS_RDONLY, null);
    }
  } catch (e) {
    for (; done > 0; done--) unmountOnce(target);
    throw e;
  }
}

function unmountOnce(target: string): boolean {
  try {
    libc.umount2(target, MNT_DETACH);
    return true;
  } catch (e) {
    // EINVAL: not a mount point (any more); ENOENT: no rootfs dir.
    if (e instanceof SyscallError && (e.errnoCode === 'EINVAL' || e.errnoCode === 'ENOENT')) return false;
    throw e;
  }
}

/** Unmounts everything stacked on <bundle>/rootfs (mount.UnmountAll: until EINVAL). */
export function unmountRootfs(bundle: string): void {
  const target = rootfsDir(bundle);
  for (let i = 0; i < 64 && unmountOnce(target); i++);
}
