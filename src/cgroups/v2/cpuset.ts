// cgroup v2 `cpuset` controller (Documentation/admin-guide/cgroup-v2.rst "Cpuset"):
// linux.resources.cpu.cpus -> cpuset.cpus, cpu.mems -> cpuset.mems. Unlike v1 an empty file
// means "inherit the parent's", so nothing needs copying down at create (v1/cpuset.ts does that
// on v1). An empty string in the config means unset, as in runc. The kernel checks that the
// list is a subset of the parent's effective set; this file only refuses text that is not a
// list at all ("0-3,7", with the kernel's optional ":used/group" stride), so the error names the field.
// Verified only against the fake cgroupfs: this host's cgroup2 mount has no cpuset controller.
import path = require('node:path');
import { SpecError } from '../../errors';
import { writeCgroupFile } from '../cgroupfs';
import type { V2Controller } from './controller-v2';

const POINTER = '/linux/resources/cpu';
const LIST = /^\d+(-\d+(:\d+\/\d+)?)?(,\d+(-\d+(:\d+\/\d+)?)?)*$/;

function checkList(value: string | undefined, field: 'cpus' | 'mems'): void {
  if (value === undefined || value === '') return;
  if (!LIST.test(value.trim())) {
    throw new SpecError(`${POINTER}/${field}`, `must be a list like "0-3,7", got ${JSON.stringify(value)}`);
  }
}

export const cpusetV2: V2Controller = {
  hierarchy: 'unified',
  controller: 'cpuset',
  pointer: `${POINTER}/cpus`,
  applies: (r) => (r.cpu?.cpus ?? '') !== '' || (r.cpu?.mems ?? '') !== '',
  validate(r) {
    checkList(r.cpu?.cpus, 'cpus');
    checkList(r.cpu?.mems, 'mems');
  },
  write(cfs, dir, r) {
    const cpus = r.cpu?.cpus ?? '';
    const mems = r.cpu?.mems ?? '';
    if (cpus !== '') writeCgroupFile(cfs, path.join(dir, 'cpuset.cpus'), cpus.trim());
    if (mems !== '') writeCgroupFile(cfs, path.join(dir, 'cpuset.mems'), mems.trim());
  },
};
