// Builds the container's filesystem view inside the init stage's new mount namespace, before
// pivot_root: propagation, the rootfs bind mount, every `mounts` entry in order, /dev. Without a
// mount namespace, prepareRootInPlace: /dev only, no mount.
// (runtime-spec config.md "Root", "Mounts"; config-linux.md "Devices", "rootfsPropagation".)
import type { Sys } from '../sys/sys';
import { MS_BIND, MS_PRIVATE, MS_REC, MS_SLAVE, O } from '../sys/constants';
import { mountEntry } from './mounts';
import { mountCgroupEntry } from './cgroup-mount';
import { bindDevice, createDevice, createDevLinks } from './devices';
import { propagationFlag } from './mount-options';
import type { InitConfig, InitMount } from '../stage-config/init-config';
import { RuntimeError, SyscallError } from '../errors';

/** Names the mount entry in the message: "mount proc to /proc (type proc): EINVAL ...". */
class MountError extends RuntimeError {
  constructor(m: InitMount, cause: unknown) {
    const why = cause instanceof SyscallError ? `${cause.syscall}: ${cause.errnoCode}` : (cause as Error).message;
    super('mount', `mount ${m.source || m.type} to ${m.destination}${m.type ? ` (type ${m.type})` : ''}: ${why}`, { cause });
  }
}

/** The mount point in /proc/self/mountinfo that holds `p` (longest prefix) and its optional fields. */
function findMountOf(mountinfo: string, p: string): { mountPoint: string; shared: boolean } | undefined {
  let best: { mountPoint: string; shared: boolean } | undefined;
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    if (f.length < 7) continue;
    const mp = f[4].replace(/\\040/g, ' ');
    const within = mp === '/' || p === mp || p.startsWith(mp + '/');
    if (!within) continue;
    if (!best || mp.length >= best.mountPoint.length) {
      const sep = f.indexOf('-');
      best = { mountPoint: mp, shared: f.slice(6, sep).some((o) => o.startsWith('shared:')) };
    }
  }
  return best;
}

/**
 * pivot_root(2) fails (EINVAL) when the parent mount of the new root is shared; runc makes that
 * one mount private (rootfsParentMountPrivate). Only our namespace's copy changes.
 */
function makeParentMountPrivate(sys: Sys, rootfs: string): void {
  const info = sys.readFile('/proc/self/mountinfo');
  // Start at the rootfs itself (runc getParentMount): when the rootfs is a mount point of its own
  // (an overlay at bundle/rootfs, as containerd and podman lay it out), that mount is the one whose
  // propagation matters. Starting at its parent made the wrong mount private, so with a shared
  // rootfs mount pivot_root failed and every container mount propagated to the host.
  const m = findMountOf(info, rootfs);
  // Private whatever it was, not only when shared (runc 1.2 does the same): with rootfsPropagation
  // "unbindable" the parent is unbindable now, and binding the rootfs out of it fails with EINVAL
  // (found by test/integration/rootfs.test.ts). rootfsPropagation is applied again after pivot.
  if (m) sys.mount(null, m.mountPoint, null, MS_PRIVATE, null);
}

/** Returns an O_PATH fd of the mounted rootfs; the caller closes it. */
export function prepareRootfs(sys: Sys, cfg: InitConfig): number {
  // mount_namespaces(7): the copied namespace shares propagation with the host. Make every mount a
  // slave (or what rootfsPropagation asks) so nothing we mount propagates back to the host.
  // rootfsPropagation applies as named, recursive only for the r* forms (runc prepareRoot): forcing
  // MS_REC made "unbindable" recursive, and every later bind of a host path (cgroup mounts, bind
  // mounts) then failed with EINVAL (found by test/integration/rootfs.test.ts).
  const prop = cfg.rootfsPropagation ? propagationFlag(cfg.rootfsPropagation) : MS_SLAVE | MS_REC;
  sys.mount(null, '/', null, prop, null);
  makeParentMountPrivate(sys, cfg.rootfs);
  // The rootfs must be a mount point for pivot_root; binding it onto itself makes it one.
  sys.mount(cfg.rootfs, cfg.rootfs, null, MS_BIND | MS_REC, null);
  const rootFd = sys.open(cfg.rootfs, O.PATH | O.DIRECTORY | O.CLOEXEC);
  try {
    for (const m of cfg.mounts) {
      try {
        if (m.type === 'cgroup') mountCgroupEntry(sys, rootFd, m, cfg.cgroupMount, cfg.newCgroupNs);
        else mountEntry(sys, rootFd, m);
      } catch (e) {
        throw new MountError(m, e);
      }
    }
    if (cfg.setupDev) createDevLinks(sys, rootFd);
    for (const d of cfg.devices) (cfg.userNs ? bindDevice : createDevice)(sys, rootFd, d);
  } catch (e) {
    sys.close(rootFd);
    throw e;
  }
  return rootFd;
}

/**
 * Without a mount namespace (InitConfig.ownMountNs false): the same preparation as prepareRootfs
 * minus every mount(2), because each one would land in the host's own mount table (runc's
 * prepareRoot does them anyway, see pivot.ts chrootInto). /dev is root.path's own dev/ directory:
 * the default devices, linux.devices and the /dev links are made there (mknod, symlink), as runc
 * does, and stay in root.path after delete. Returns an O_PATH fd of the rootfs; the caller closes
 * it.
 */
export function prepareRootInPlace(sys: Sys, cfg: InitConfig): number {
  // checks.ts (no-mount-namespace) refused all of these at create; this stage must not depend on
  // that alone, since here they would be made on the host.
  const wouldMount = [
    cfg.mounts.length ? 'mounts' : '', cfg.maskedPaths.length ? 'maskedPaths' : '', cfg.readonlyPaths.length ? 'readonlyPaths' : '',
    cfg.readonlyRoot ? 'root.readonly' : '', cfg.rootfsPropagation ? 'rootfsPropagation' : '', cfg.process?.terminal ? 'process.terminal' : '',
  ].filter(Boolean);
  if (wouldMount.length) throw new RuntimeError('rootfs', `without a mount namespace ${wouldMount.join(', ')} would change the host's mount table`);
  const rootFd = sys.open(cfg.rootfs, O.PATH | O.DIRECTORY | O.CLOEXEC);
  try {
    createDevLinks(sys, rootFd);
    for (const d of cfg.devices) createDevice(sys, rootFd, d);
  } catch (e) {
    sys.close(rootFd);
    throw e;
  }
  return rootFd;
}

/** After pivot_root: rootfsPropagation is applied to "/" again (runc does the same, after pivot). */
export function applyRootPropagationAfterPivot(sys: Sys, cfg: InitConfig): void {
  if (cfg.rootfsPropagation) sys.mount(null, '/', null, propagationFlag(cfg.rootfsPropagation), null);
}
