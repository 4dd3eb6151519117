// The syscall seam (issue 12): the calls the stage steps make, as an interface, the way the
// cgroups code works against `CgroupFs` (src/cgroups/cgroupfs.ts). src/linux/, the privilege drop
// in src/security/, the init and exec stages' steps and the namespace window take a `Sys`
// argument instead of importing libc, so their order and error paths can be unit-tested against
// a recording fake (test/lib/fake-sys.ts) without root. `libcSys` (libc-sys.ts) is the real one.
//
// The signatures are libc.ts's own, so the real implementation is a plain object of those
// functions: nothing is loaded or computed for it at a stage's start-up (issue 11). Every method
// throws SyscallError{syscall, errno, path} on failure, the file calls included (readFile, stat...),
// so callers and fakes deal with one error type.
import type { CapSets } from './libc';

/** What stat(2)/fstat(2) tell the callers: the type and permission bits, and the device number. */
export interface FileStat {
  /** st_mode: S_IFMT type bits and the permission bits. */
  mode: number;
  /** st_rdev (64-bit dev_t, as makedev() in src/linux/devices.ts builds it). */
  rdev: bigint;
}

export interface MountAttr { attr_set: number; attr_clr: number; propagation: number; userns_fd?: number }

export interface Sys {
  // ---- processes, identity, capabilities, resources
  prctl(option: number, arg2?: number | bigint, arg3?: number | bigint, arg4?: number, arg5?: number): number;
  setresuid(uid: number): void;
  setresgid(gid: number): void;
  setgroups(gids: number[]): void;
  umask(mask: number): number;
  capget(): CapSets;
  capset(sets: CapSets): void;
  prlimit(pid: number, resource: number, soft?: bigint, hard?: bigint): { cur: bigint; max: bigint };
  joinSessionKeyring(name: string): number;
  personality(persona: number): number;
  schedSetattr(attr: Buffer): void;
  ioprioSet(which: number, who: number, ioprio: number): void;
  setMempolicy(mode: number, nodemask: Buffer | null, maxnode: number): void;
  schedSetaffinity(cpus: number[]): void;
  pidfdOpen(pid: number): number;
  seccompSetFilter(prog: Buffer, flags: number): number;
  // ---- namespaces
  unshare(flags: number): void;
  setns(fd: number, nstype: number, path?: string): void;
  sethostname(name: string): void;
  setdomainname(name: string): void;
  // ---- mounts and the root
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  pivotRoot(newRoot: string, putOld: string): void;
  mountSetattr(dirfd: number, path: string, flags: number, attr: MountAttr, where?: string): void;
  openTree(dirfd: number, path: string, flags: number, where?: string): number;
  moveMount(fromDirfd: number, fromPath: string, toDirfd: number, toPath: string, flags: number, where?: string): void;
  chroot(path: string): void;
  chdir(path: string): void;
  fchdir(fd: number): void;
  // ---- files and fds
  open(path: string, flags: number, mode?: number): number;
  openat(dirfd: number, path: string, flags: number, mode?: number, where?: string): number;
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number, where?: string): number;
  close(fd: number): void;
  mkdirat(dirfd: number, name: string, mode: number, where?: string): void;
  mknodat(dirfd: number, name: string, mode: number, dev: bigint, where?: string): void;
  symlinkat(target: string, dirfd: number, name: string, where?: string): void;
  fchownat(dirfd: number, path: string, uid: number, gid: number, flags: number, where?: string): void;
  fcntl(fd: number, cmd: number, arg?: number): number;
  closeRange(first: number, last: number, flags: number): void;
  accessFd(fd: number, mode: number): boolean;
  // ---- whole-file calls (open + read/write + close; stat; readlink; chmod)
  readFile(path: string): string;
  /** One write(2) of `data` (procfs and sysfs files parse one value per write). */
  writeFile(path: string, data: string): void;
  stat(path: string): FileStat;
  fstat(fd: number): FileStat;
  readlink(path: string): string;
  chmod(path: string, mode: number): void;
}
