// cgroup v2 `rdma` controller (Documentation/admin-guide/cgroup-v2.rst "RDMA"): linux.resources.rdma
// maps a device name to hcaHandles/hcaObjects; each device is one write to rdma.max,
// "<device> hca_handle=N hca_object=M", with only the fields the config sets (runc's RdmaSet).
// config-linux.md "RDMA": an entry MUST set at least one of the two. The device name becomes
// part of a control line, so whitespace in it is refused.
// Verified only against the fake cgroupfs: this host has no RDMA devices and no rdma controller on cgroup2.
import path = require('node:path');
import { SpecError } from '../../errors';
import { writeCgroupFile } from '../cgroupfs';
import type { LinuxResources } from '../types';
import { integerIn, type V2Controller } from './controller-v2';

const POINTER = '/linux/resources/rdma';
const UINT32_MAX = 0xffffffff;

/** One rdma.max line per device, in the config's key order. Throws SpecError. */
export function rdmaLines(r: LinuxResources): string[] {
  return Object.entries(r.rdma ?? {}).map(([dev, limits]) => {
    const at = `${POINTER}/${dev.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (dev === '' || /\s/.test(dev)) throw new SpecError(at, `device name ${JSON.stringify(dev)} must be non-empty without whitespace`);
    const { hcaHandles, hcaObjects } = limits ?? {};
    if (hcaHandles === undefined && hcaObjects === undefined) throw new SpecError(at, 'must set hcaHandles or hcaObjects (or both)');
    let line = dev;
    if (hcaHandles !== undefined) line += ` hca_handle=${integerIn(hcaHandles, `${at}/hcaHandles`, 0, UINT32_MAX)}`;
    if (hcaObjects !== undefined) line += ` hca_object=${integerIn(hcaObjects, `${at}/hcaObjects`, 0, UINT32_MAX)}`;
    return line;
  });
}

export const rdmaV2: V2Controller = {
  hierarchy: 'unified',
  controller: 'rdma',
  pointer: POINTER,
  applies: (r) => Object.keys(r.rdma ?? {}).length > 0,
  validate(r) {
    rdmaLines(r);
  },
  write(cfs, dir, r) {
    for (const line of rdmaLines(r)) writeCgroupFile(cfs, path.join(dir, 'rdma.max'), line);
  },
};
