// cgroup v1 `rdma` controller (Documentation/admin-guide/cgroup-v1/rdma.rst):
// linux.resources.rdma {device: {hcaHandles, hcaObjects}} -> one rdma.max line per device,
// "<device> hca_handle=<n> hca_object=<m>", leaving out what the entry does not set (the kernel
// keeps its current value for an omitted key). config-linux.md "RDMA" requires at least one of
// the two per entry; validate() refuses an entry with neither before anything is written.
import type { ResourceController } from '../controller';
import type { LinuxResources } from '../types';
import { writeExplained } from './files';
import { SpecError } from '../../errors';
import { checkInt, UINT32 } from './values';

type Rdma = NonNullable<LinuxResources['rdma']>;

/** The rdma.max lines for `rdma`, in config order. */
function rdmaLines(rdma: Rdma): string[] {
  return Object.entries(rdma).map(([device, l]) => {
    let line = device;
    if (l.hcaHandles !== undefined) line += ` hca_handle=${l.hcaHandles}`;
    if (l.hcaObjects !== undefined) line += ` hca_object=${l.hcaObjects}`;
    return line;
  });
}

export const rdmaV1: ResourceController = {
  hierarchy: 'rdma',
  pointer: '/linux/resources/rdma',
  applies: (r) => Object.keys(r.rdma ?? {}).length > 0,
  validate(r) {
    for (const [device, l] of Object.entries(r.rdma ?? {})) {
      const at = `/linux/resources/rdma/${device.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!/^\S+$/.test(device)) throw new SpecError(at, `${JSON.stringify(device)} is not an RDMA device name`);
      checkInt(l.hcaHandles, `${at}/hcaHandles`, 0, UINT32);
      checkInt(l.hcaObjects, `${at}/hcaObjects`, 0, UINT32);
      // config-linux.md "RDMA": at least one of hcaHandles or hcaObjects MUST be given.
      if (l.hcaHandles === undefined && l.hcaObjects === undefined) throw new SpecError(at, 'must set hcaHandles, hcaObjects or both');
    }
  },
  write(cfs, dir, r) {
    for (const line of rdmaLines(r.rdma ?? {})) {
      writeExplained(cfs, dir, 'rdma.max', line, (errno) => (errno === 'ENODEV' || errno === 'EINVAL' ? 'no RDMA device of that name is known to the rdma cgroup' : undefined));
    }
  },
};
