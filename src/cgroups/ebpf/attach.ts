// Puts a device filter program on a cgroup2 directory and makes it the only one there, the way
// runc's LoadAttachCgroupDeviceFilter does (libcontainer/cgroups/ebpf/ebpf_linux.go):
//   1. open the cgroup directory (the attach target is a directory fd);
//   2. list the BPF_CGROUP_DEVICE programs attached to it now (an earlier set(), i.e. `update`);
//   3. BPF_PROG_LOAD the new program (type BPF_PROG_TYPE_CGROUP_DEVICE, license "Apache");
//   4. attach it with BPF_F_ALLOW_MULTI; with exactly one old program, BPF_F_REPLACE swaps them
//      atomically (Linux 5.6+); otherwise the new one is attached first and the old ones detached
//      after, so there is never a moment with no filter (while both are attached, a device must
//      pass both: the stricter of the two applies);
//   5. close every fd. The cgroup keeps its own reference to an attached program, which the kernel
//      drops when the cgroup directory is removed (cgroup_bpf_release), so destroy() needs no
//      extra step.
// Old programs that cannot be opened (EPERM/EACCES from an LSM, ENOENT when already gone) are left
// alone, as runc does: an extra device program can only take permissions away.
// RLIMIT_MEMLOCK is not raised: since Linux 5.11 bpf memory is charged to the memory cgroup.
//
// Verified on this host's real cgroup2 mount (/sys/fs/cgroup/unified, kernel 6.18): attach, the
// kernel enforcing it for a process in the cgroup (EPERM on a denied node), replacing on a second
// attach (one program left), release on rmdir (test/integration/ebpf-devices.test.ts).
import fs = require('node:fs');
import { SyscallError } from '../../errors';
import {
  BPF_CGROUP_DEVICE,
  BPF_F_ALLOW_MULTI,
  BPF_F_REPLACE,
  BPF_PROG_TYPE_CGROUP_DEVICE,
  bpfProgAttach,
  bpfProgDetach,
  bpfProgGetFdById,
  bpfProgLoad,
  bpfProgQuery,
} from '../../sys/bpf';
import { CgroupError } from '../errors';
import { DEVICE_FILTER_LICENSE } from './device-filter';

/** Something that can make `insns` the device filter of a cgroup2 directory (the real bpf(2) one, or a test double). */
export interface DeviceFilterAttacher {
  attach(cgroupDir: string, insns: Buffer): void;
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Nothing useful to do: the fd is ours and gets closed at exit anyway.
  }
}

/** fds of the programs attached to dirFd now; unreadable ones are skipped (see header). */
function openAttached(dirFd: number): number[] {
  const fds: number[] = [];
  for (const id of bpfProgQuery(dirFd, BPF_CGROUP_DEVICE)) {
    try {
      fds.push(bpfProgGetFdById(id));
    } catch (err) {
      if (err instanceof SyscallError && ['EPERM', 'EACCES', 'ENOENT'].includes(err.errnoCode)) continue;
      for (const fd of fds) closeQuietly(fd);
      throw err;
    }
  }
  return fds;
}

function attachReplacing(dirFd: number, progFd: number, old: number[]): void {
  if (old.length === 1) {
    try {
      bpfProgAttach(dirFd, progFd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI | BPF_F_REPLACE, old[0]);
      return;
    } catch (err) {
      // EINVAL: a kernel without BPF_F_REPLACE; fall back to attach-then-detach below.
      if (!(err instanceof SyscallError) || err.errnoCode !== 'EINVAL') throw err;
    }
  }
  bpfProgAttach(dirFd, progFd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI);
  for (const fd of old) bpfProgDetach(dirFd, fd, BPF_CGROUP_DEVICE);
}

/** The attacher that uses bpf(2). */
export const bpfDeviceFilterAttacher: DeviceFilterAttacher = {
  attach(cgroupDir: string, insns: Buffer): void {
    let dirFd: number;
    try {
      dirFd = fs.openSync(cgroupDir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CgroupError(`open ${cgroupDir} to attach the device filter: ${code ?? String(err)}`, { path: cgroupDir, errnoCode: code, cause: err });
    }
    const old: number[] = [];
    let progFd = -1;
    try {
      old.push(...openAttached(dirFd));
      progFd = bpfProgLoad({ progType: BPF_PROG_TYPE_CGROUP_DEVICE, insns, license: DEVICE_FILTER_LICENSE, name: 'tsrun_devices' });
      attachReplacing(dirFd, progFd, old);
    } catch (err) {
      const hints: Record<string, string> = {
        EPERM: ' (loading cgroup device programs needs CAP_BPF/CAP_SYS_ADMIN)',
        EBADF: ' (not a cgroup2 directory?)',
      };
      const why = err instanceof SyscallError ? `${err.message}${hints[err.errnoCode] ?? ''}` : String(err);
      throw new CgroupError(`cannot apply /linux/resources/devices: eBPF device filter on ${cgroupDir}: ${why}`, {
        path: cgroupDir,
        errnoCode: err instanceof SyscallError ? err.errnoCode : undefined,
        cause: err,
      });
    } finally {
      if (progFd >= 0) closeQuietly(progFd);
      for (const fd of old) closeQuietly(fd);
      closeQuietly(dirFd);
    }
  },
};
