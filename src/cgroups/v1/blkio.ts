// cgroup v1 `blkio` controller: linux.resources.blockIO (config-linux.md "Block IO") written to
// the files of Documentation/admin-guide/cgroup-v1/blkio-controller.rst:
//   weight -> blkio.weight            weightDevice[].weight     -> blkio.weight_device "maj:min w"
//   leafWeight -> blkio.leaf_weight   weightDevice[].leafWeight -> blkio.leaf_weight_device
//   throttle{Read,Write}{Bps,IOPS}Device[] -> blkio.throttle.{read,write}_{bps,iops}_device "maj:min rate"
// CFQ, which provided blkio.weight, left the kernel in Linux 5.0; BFQ offers the same knobs as
// blkio.bfq.weight / blkio.bfq.weight_device. Like runc, tsrun uses blkio.weight when it exists
// and the BFQ files otherwise. BFQ has no leaf weights. One device rule per write(2): the kernel
// parses each write as one "maj:min value" line. 0 for weight and leafWeight means "not set".
import type { CgroupFs } from '../cgroupfs';
import type { ResourceController } from '../controller';
import { intString } from '../convert';
import { CgroupError } from '../errors';
import type { LinuxResources } from '../types';
import { hasFile, writeExplained } from './files';
import { SpecError } from '../../errors';
import { checkInt, UINT16 } from './values';

const POINTER = '/linux/resources/blockIO';
type BlockIO = NonNullable<LinuxResources['blockIO']>;

/** The files that carry weights on this kernel: CFQ's when present, else BFQ's. */
function weightFiles(cfs: CgroupFs, dir: string): { weight: string; weightDevice: string } {
  return hasFile(cfs, dir, 'blkio.weight')
    ? { weight: 'blkio.weight', weightDevice: 'blkio.weight_device' }
    : { weight: 'blkio.bfq.weight', weightDevice: 'blkio.bfq.weight_device' };
}

const THROTTLES: ReadonlyArray<[keyof BlockIO, string]> = [
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
];

function asksBlkio(b: BlockIO | undefined): b is BlockIO {
  if (b === undefined) return false;
  if ((b.weight ?? 0) !== 0 || (b.leafWeight ?? 0) !== 0 || (b.weightDevice ?? []).length > 0) return true;
  return THROTTLES.some(([key]) => ((b[key] as unknown[] | undefined) ?? []).length > 0);
}

function usesLeafWeight(b: BlockIO): boolean {
  return (b.leafWeight ?? 0) !== 0 || (b.weightDevice ?? []).some((d) => (d.leafWeight ?? 0) !== 0);
}

/** A per-device rule the kernel refuses (no such device, scheduler without weights) gets this hint. */
function explainDevice(errno: string | undefined): string | undefined {
  if (errno === 'ENODEV' || errno === 'ENXIO') return 'no block device with that major:minor exists on this host';
  if (errno === 'EOPNOTSUPP' || errno === 'ENOTSUP') return 'the device\'s I/O scheduler does not support per-cgroup weights (BFQ is needed for weights)';
  if (errno === 'EINVAL' || errno === 'ERANGE') return 'the value is out of range or the device is not a whole disk';
  return undefined;
}

export const blkioV1: ResourceController = {
  hierarchy: 'blkio',
  pointer: POINTER,
  applies: (r) => asksBlkio(r.blockIO),
  validate(r) {
    const b = r.blockIO;
    if (b === undefined || b === null) return;
    checkInt(b.weight, `${POINTER}/weight`, 0, UINT16);
    checkInt(b.leafWeight, `${POINTER}/leafWeight`, 0, UINT16);
    for (const [i, d] of (b.weightDevice ?? []).entries()) {
      checkInt(d.major, `${POINTER}/weightDevice/${i}/major`, 0);
      checkInt(d.minor, `${POINTER}/weightDevice/${i}/minor`, 0);
      checkInt(d.weight, `${POINTER}/weightDevice/${i}/weight`, 0, UINT16);
      checkInt(d.leafWeight, `${POINTER}/weightDevice/${i}/leafWeight`, 0, UINT16);
      // config-linux.md "Block IO": each entry MUST specify at least one of weight or leafWeight.
      if (d.weight === undefined && d.leafWeight === undefined) throw new SpecError(`${POINTER}/weightDevice/${i}`, 'must set weight, leafWeight or both');
    }
    for (const key of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const) {
      for (const [i, d] of (b[key] ?? []).entries()) {
        checkInt(d.major, `${POINTER}/${key}/${i}/major`, 0);
        checkInt(d.minor, `${POINTER}/${key}/${i}/minor`, 0);
        if (d.rate === undefined) throw new SpecError(`${POINTER}/${key}/${i}/rate`, 'is required');
        checkInt(d.rate, `${POINTER}/${key}/${i}/rate`, 0);
      }
    }
  },

  check(cfs, dir, r) {
    const b = r.blockIO;
    if (b === undefined) return;
    if (usesLeafWeight(b) && !hasFile(cfs, dir, 'blkio.leaf_weight')) {
      throw new CgroupError(`${POINTER}: leaf weights need the CFQ I/O scheduler's blkio.leaf_weight, which this kernel does not have (CFQ was removed in Linux 5.0; BFQ has no leaf weights)`, {
        code: 'cgroup-unsupported',
        path: dir,
      });
    }
    const files = weightFiles(cfs, dir);
    const wantsWeight = (b.weight ?? 0) !== 0 || (b.weightDevice ?? []).some((d) => (d.weight ?? 0) !== 0);
    if (wantsWeight && !hasFile(cfs, dir, files.weight)) {
      throw new CgroupError(`${POINTER}/weight: this kernel has neither blkio.weight (CFQ) nor blkio.bfq.weight (BFQ), so I/O weights cannot be applied`, {
        code: 'cgroup-unsupported',
        path: dir,
      });
    }
  },

  write(cfs, dir, r) {
    const b = r.blockIO;
    if (b === undefined) return;
    const files = weightFiles(cfs, dir);
    // Order as runc: weight, leaf weight, per-device weights, then the four throttle lists.
    if ((b.weight ?? 0) !== 0) writeExplained(cfs, dir, files.weight, String(b.weight), (e) => (e === 'EINVAL' || e === 'ERANGE' ? 'blkio weights range from 10 (BFQ: 1) to 1000' : undefined));
    if ((b.leafWeight ?? 0) !== 0) writeExplained(cfs, dir, 'blkio.leaf_weight', String(b.leafWeight));
    for (const d of b.weightDevice ?? []) {
      if ((d.weight ?? 0) !== 0) writeExplained(cfs, dir, files.weightDevice, `${d.major}:${d.minor} ${d.weight}`, explainDevice);
      if ((d.leafWeight ?? 0) !== 0) writeExplained(cfs, dir, 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`, explainDevice);
    }
    for (const [key, file] of THROTTLES) {
      const list = (b[key] as NonNullable<BlockIO['throttleReadBpsDevice']> | undefined) ?? [];
      // A rate of 0 removes the device's limit (blkio-controller.rst "Throttling").
      for (const d of list) writeExplained(cfs, dir, file, `${d.major}:${d.minor} ${intString(d.rate)}`, explainDevice);
    }
  },
};
