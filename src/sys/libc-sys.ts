// The real `Sys` (sys.ts): libc.ts's wrappers as they are, and the whole-file calls through
// node:fs with its errors turned into SyscallError. A plain object built once when the bundle
// loads: no module of its own to load at a stage's start (issue 11), no work per call beyond the
// wrapper's.
import fs = require('node:fs');
import * as libc from './libc';
import { SyscallError } from '../errors';
import type { FileStat, Sys } from './sys';

/** A node:fs call whose error becomes SyscallError(name, errno, path), as libc.ts's wrappers throw. */
function fsCall<T>(name: string, path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    // libuv reports -errno in .errno (on Linux its codes are the kernel's).
    const errno = (e as NodeJS.ErrnoException).errno;
    if (typeof errno === 'number') throw new SyscallError(name, -errno, path);
    throw e;
  }
}

function fileStat(s: fs.BigIntStats): FileStat {
  return { mode: Number(s.mode), rdev: s.rdev };
}

export const libcSys: Sys = {
  prctl: libc.prctl,
  setresuid: libc.setresuid,
  setresgid: libc.setresgid,
  setgroups: libc.setgroups,
  umask: libc.umask,
  capget: libc.capget,
  capset: libc.capset,
  prlimit: libc.prlimit,
  joinSessionKeyring: libc.joinSessionKeyring,
  personality: libc.personality,
  schedSetattr: libc.schedSetattr,
  ioprioSet: libc.ioprioSet,
  setMempolicy: libc.setMempolicy,
  schedSetaffinity: libc.schedSetaffinity,
  pidfdOpen: libc.pidfdOpen,
  seccompSetFilter: libc.seccompSetFilter,
  unshare: libc.unshare,
  setns: libc.setns,
  sethostname: libc.sethostname,
  setdomainname: libc.setdomainname,
  mount: libc.mount,
  umount2: libc.umount2,
  pivotRoot: libc.pivotRoot,
  mountSetattr: libc.mountSetattr,
  openTree: libc.openTree,
  moveMount: libc.moveMount,
  chroot: libc.chroot,
  chdir: libc.chdir,
  fchdir: libc.fchdir,
  open: libc.open,
  openat: libc.openat,
  openat2: libc.openat2,
  close: libc.close,
  mkdirat: libc.mkdirat,
  mknodat: libc.mknodat,
  symlinkat: libc.symlinkat,
  fchownat: libc.fchownat,
  fcntl: libc.fcntl,
  closeRange: libc.closeRange,
  accessFd: libc.accessFd,
  readFile: (path) => fsCall('open', path, () => fs.readFileSync(path, 'utf8')),
  writeFile: (path, data) => fsCall('write', path, () => fs.writeFileSync(path, data)),
  stat: (path) => fsCall('stat', path, () => fileStat(fs.statSync(path, { bigint: true }))),
  fstat: (fd) => fsCall('fstat', `fd ${fd}`, () => fileStat(fs.fstatSync(fd, { bigint: true }))),
  readlink: (path) => fsCall('readlink', path, () => fs.readlinkSync(path)),
  chmod: (path, mode) => fsCall('chmod', path, () => fs.chmodSync(path, mode)),
};
