// cgroup v1 cpuset placement detail: a new cpuset cgroup starts with empty cpuset.cpus and
// cpuset.mems, and the kernel refuses to attach a task to it (ENOSPC, cgroup-v1/cpusets.rst
// "1.9 How do I use cpusets?"). Before apply(), every cgroup tsrun made in the cpuset hierarchy
// therefore copies its parent's values, top-down, as runc's cpuset ensureParent does.
// (Setting linux.resources.cpu.cpus/mems is a later controller; this only makes placement work.)
import * as path from 'node:path';
import { type CgroupFs, readCgroupFile, writeCgroupFile } from '../cgroupfs';

const FILES = ['cpuset.cpus', 'cpuset.mems'];

/** Fill empty cpuset.cpus/mems of `dirs` from their parents; `dirs` must be ordered top-down. */
export function inheritCpuset(cfs: CgroupFs, dirs: readonly string[]): void {
  for (const dir of dirs) {
    for (const name of FILES) {
      const file = path.join(dir, name);
      if (readCgroupFile(cfs, file) !== '') continue;
      writeCgroupFile(cfs, file, readCgroupFile(cfs, path.join(path.dirname(dir), name)));
    }
  }
}
