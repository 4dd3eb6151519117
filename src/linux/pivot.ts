// Switching the init stage's root to the container rootfs.
import * as libc from '../sys/libc';
import { MNT_DETACH, MS_MOVE, MS_REC, MS_SLAVE, O } from '../sys/constants';

/**
 * pivot_root(".", ".") as runc does (pivot_root(2) NOTES: new_root and put_old may be the same
 * directory; the old root is then stacked under the new one and can be unmounted from "."), so
 * no put_old directory is ever created inside the rootfs.
 */
export function pivotInto(rootfs: string): void {
  const oldRoot = libc.open('/', O.DIRECTORY | O.RDONLY | O.CLOEXEC);
  const newRoot = libc.open(rootfs, O.DIRECTORY | O.RDONLY | O.CLOEXEC);
  try {
    libc.fchdir(newRoot);
    libc.pivotRoot('.', '.');
    libc.fchdir(oldRoot);
    // Make the old root a slave first: unmounting it must not propagate to the host's mounts.
    libc.mount(null, '.', null, MS_SLAVE | MS_REC, null);
    libc.umount2('.', MNT_DETACH);
    libc.chdir('/');
  } finally {
    libc.close(oldRoot);
    libc.close(newRoot);
  }
}

/** --no-pivot: move the rootfs mount over "/" and chroot (runc msMoveRoot). Weaker: the old root stays reachable to a process with CAP_SYS_CHROOT. */
export function moveInto(rootfs: string): void {
  libc.chdir(rootfs);
  libc.mount(rootfs, '/', null, MS_MOVE, null);
  libc.chroot('.');
  libc.chdir('/');
}
