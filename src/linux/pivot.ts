// Switching the init stage's root to the container rootfs.
import type { Sys } from '../sys/sys';
import { MNT_DETACH, MS_MOVE, MS_REC, MS_SLAVE, O } from '../sys/constants';

/**
 * pivot_root(".", ".") as runc does (pivot_root(2) NOTES: new_root and put_old may be the same
 * directory; the old root is then stacked under the new one and can be unmounted from "."), so
 * no put_old directory is ever created inside the rootfs.
 */
export function pivotInto(sys: Sys, rootfs: string): void {
  const oldRoot = sys.open('/', O.DIRECTORY | O.RDONLY | O.CLOEXEC);
  const newRoot = sys.open(rootfs, O.DIRECTORY | O.RDONLY | O.CLOEXEC);
  try {
    sys.fchdir(newRoot);
    sys.pivotRoot('.', '.');
    sys.fchdir(oldRoot);
    // Make the old root a slave first: unmounting it must not propagate to the host's mounts.
    sys.mount(null, '.', null, MS_SLAVE | MS_REC, null);
    sys.umount2('.', MNT_DETACH);
    sys.chdir('/');
  } finally {
    sys.close(oldRoot);
    sys.close(newRoot);
  }
}

/** --no-pivot: move the rootfs mount over "/" and chroot (runc msMoveRoot). Weaker: the old root stays reachable to a process with CAP_SYS_CHROOT. */
export function moveInto(sys: Sys, rootfs: string): void {
  sys.chdir(rootfs);
  sys.mount(rootfs, '/', null, MS_MOVE, null);
  sys.chroot('.');
  sys.chdir('/');
}

/**
 * No mount namespace (config-linux.md Namespaces: an unlisted type is inherited from the runtime):
 * chroot(2) into the rootfs by fd, then chdir("/"). No mount is made, moved or unmounted: this
 * thread is in the host's mount namespace, where pivot_root(2) would move the root of every
 * process whose root is the old one, and MS_MOVE/umount would rearrange the host's own mounts.
 *
 * What runc does for such a config (libcontainer, read for this):
 * - configs/validate/validator.go `security`: maskedPaths/readonlyPaths are refused ("unable to
 *   restrict sys entries without a private MNT namespace"); nothing else is.
 * - rootfs_linux.go `prepareRootfs` runs unchanged: `prepareRoot` makes the host's "/" rslave
 *   (or rootfsPropagation) recursively, makes the rootfs's parent mount private and rbinds the
 *   rootfs onto itself; every `mounts` entry is mounted; `needsSetupDev` still holds, so the
 *   devices are mknod'ed into root.path/dev and the /dev links made there. All of it in the
 *   host's mount namespace, and nothing undoes it: runc's default mounts stay on the host.
 * - It then fchdir()s to the rootfs and picks `msMoveRoot` with NoPivotRoot (--no-pivot, which
 *   would MS_MOVE the rootfs over the host's "/"), `pivotRoot` only when the config has NEWNS,
 *   and otherwise `chroot`: chroot(".") then chdir("/"). Root propagation is applied to "/" after.
 * - standard_init_linux.go skips `finalizeRootfs` without NEWNS: no read-only remounts (so
 *   root.readonly is silently ignored) and no process.user.umask, which only that function
 *   applies for the container's process. setupConsole still bind-mounts the pty onto
 *   /dev/console; hostname, sysctl, apparmor, seccomp and capabilities are unchanged.
 * - `runc exec` joins every namespace of the init by /proc/<pid>/ns, mnt included; joining a
 *   mount namespace resets the root to the namespace's, so the exec'd process is not chrooted
 *   at all and sees the host's "/". tsrun's exec stage chroots into the init's root instead
 *   (exec-steps.ts).
 * Debian's runc 1.1.5, tried in a private mount namespace: with no `mounts` it fails ("open
 * /proc/self/fd: no such file or directory": the chroot has no /proc); with a proc mount it
 * runs, and leaves every mount of its namespace rslave, the rootfs bind and the proc mount.
 */
export function chrootInto(sys: Sys, rootFd: number): void {
  sys.fchdir(rootFd);
  sys.chroot('.');
  sys.chdir('/');
}
