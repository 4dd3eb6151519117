// Device nodes and /dev links in the container (runtime-spec config-linux.md "Devices" and
// runtime-linux.md "Default Devices" / "Dev symbolic links"). Runs before pivot_root; every path
// is confined to the rootfs (in-root.ts).
import type { FileStat, Sys } from '../sys/sys';
import { S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, AT_EMPTY_PATH, MS_BIND } from '../sys/constants';
import { RuntimeError, SyscallError } from '../errors';
import { components, ensureFileInRoot, fdPath, mkdirAllInRoot, openInRoot } from './in-root';
import type { LinuxDevice } from '../spec/types';

/** runtime-linux.md: the runtime MUST supply these (console only with a terminal). */
export const DEFAULT_DEVICES: readonly LinuxDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

/** makedev(3) for the 64-bit dev_t glibc uses. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n) | ((ma & ~0xfffn) << 32n);
}

function typeBits(t: LinuxDevice['type']): number {
  if (t === 'b') return S_IFBLK;
  if (t === 'p') return S_IFIFO;
  return S_IFCHR; // 'c' and 'u' (unbuffered character device)
}

/** Creates one device node; an existing node must match type and numbers (config-linux.md). */
export function createDevice(sys: Sys, rootFd: number, d: LinuxDevice): void {
  const parts = components(d.path);
  const name = parts.pop();
  if (!name) throw new RuntimeError('device', `device path ${d.path} is not a file path`);
  const mode = (d.fileMode ?? 0o666) & 0o7777;
  const bits = typeBits(d.type);
  const dev = d.type === 'p' ? 0n : makedev(d.major ?? 0, d.minor ?? 0);
  const dirFd = mkdirAllInRoot(sys, rootFd, parts.join('/'), 0o755, d.path);
  try {
    try {
      sys.mknodat(dirFd, name, bits | mode, dev, d.path);
    } catch (e) {
      if (!(e instanceof SyscallError && e.errnoCode === 'EEXIST')) throw e;
      checkExisting(sys, rootFd, d, bits);
      return;
    }
    // mknod honours the umask; fchmodat through an O_PATH fd is not possible, so chmod via /proc.
    const fd = openInRoot(sys, rootFd, d.path, 0, d.path);
    try {
      sys.chmod(fdPath(fd), mode);
      sys.fchownat(fd, '', d.uid ?? 0, d.gid ?? 0, AT_EMPTY_PATH, d.path);
    } finally {
      sys.close(fd);
    }
  } finally {
    sys.close(dirFd);
  }
}

/**
 * In a user namespace: bind-mounts the host's node at the same path (runc's bindMountDeviceNode).
 * mknod(2) of a device needs CAP_MKNOD in the initial user namespace, and a node on a filesystem
 * mounted inside a user namespace (the container's /dev tmpfs) cannot be opened anyway (the
 * kernel marks such superblocks SB_I_NODEV); the host's devtmpfs node through a bind can. The
 * host's node must be the one the config describes: a bind of something else would be a silent
 * substitute.
 */
export function bindDevice(sys: Sys, rootFd: number, d: LinuxDevice): void {
  let st: FileStat;
  try {
    st = sys.stat(d.path);
  } catch (e) {
    throw new RuntimeError('device', `${d.path}: in a user namespace devices are bind-mounted from the host, which has no ${d.path} (${e instanceof SyscallError ? e.errnoCode : (e as Error).message})`);
  }
  const bits = typeBits(d.type);
  const sameDev = d.type === 'p' || st.rdev === makedev(d.major ?? 0, d.minor ?? 0);
  if ((st.mode & S_IFMT) !== bits || !sameDev) {
    throw new RuntimeError('device', `${d.path}: in a user namespace devices are bind-mounted from the host, whose ${d.path} is not ${d.type} ${d.major ?? 0}:${d.minor ?? 0}`);
  }
  const target = ensureFileInRoot(sys, rootFd, d.path, d.path);
  try {
    sys.mount(d.path, fdPath(target), null, MS_BIND, null);
  } finally {
    sys.close(target);
  }
}

function checkExisting(sys: Sys, rootFd: number, d: LinuxDevice, bits: number): void {
  const fd = openInRoot(sys, rootFd, d.path, 0, d.path);
  try {
    const st = sys.stat(fdPath(fd));
    const sameType = (st.mode & S_IFMT) === bits;
    const sameDev = d.type === 'p' || st.rdev === makedev(d.major ?? 0, d.minor ?? 0);
    if (!sameType || !sameDev) {
      throw new RuntimeError('device', `${d.path}: a different file already exists there`);
    }
  } finally {
    sys.close(fd);
  }
}

function linkIfAbsent(sys: Sys, rootFd: number, target: string, rel: string): void {
  const parts = components(rel);
  const name = parts.pop() as string;
  const dirFd = mkdirAllInRoot(sys, rootFd, parts.join('/'), 0o755, rel);
  try {
    sys.symlinkat(target, dirFd, name, rel);
  } catch (e) {
    if (!(e instanceof SyscallError && e.errnoCode === 'EEXIST')) throw e;
  } finally {
    sys.close(dirFd);
  }
}

/** runtime-linux.md "Dev symbolic links" plus /dev/ptmx -> pts/ptmx (config-linux.md default devices). */
export function createDevLinks(sys: Sys, rootFd: number): void {
  linkIfAbsent(sys, rootFd, '/proc/self/fd', '/dev/fd');
  linkIfAbsent(sys, rootFd, '/proc/self/fd/0', '/dev/stdin');
  linkIfAbsent(sys, rootFd, '/proc/self/fd/1', '/dev/stdout');
  linkIfAbsent(sys, rootFd, '/proc/self/fd/2', '/dev/stderr');
  linkIfAbsent(sys, rootFd, 'pts/ptmx', '/dev/ptmx');
}
