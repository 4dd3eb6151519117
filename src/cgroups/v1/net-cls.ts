// cgroup v1 `net_cls` controller (Documentation/admin-guide/cgroup-v1/net_cls.rst):
// linux.resources.network.classID -> net_cls.classid, the 0xAAAABBBB tc class handle written as
// a decimal number. 0 is the kernel's default and, as in runc, means "not set". v1 only: cgroup
// v2 has no net_cls (config-linux.md "Network").
import type { ResourceController } from '../controller';
import { writeExplained } from './files';
import { checkInt, UINT32 } from './values';

export const netClsV1: ResourceController = {
  hierarchy: 'net_cls',
  pointer: '/linux/resources/network/classID',
  applies: (r) => (r.network?.classID ?? 0) !== 0,
  validate(r) {
    checkInt(r.network?.classID, '/linux/resources/network/classID', 0, UINT32);
  },
  write(cfs, dir, r) {
    const id = r.network?.classID ?? 0;
    if (id !== 0) writeExplained(cfs, dir, 'net_cls.classid', String(id));
  },
};
