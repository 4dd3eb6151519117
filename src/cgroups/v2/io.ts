// cgroup v2 `io` controller (Documentation/admin-guide/cgroup-v2.rst "IO"), from linux.resources.blockIO:
//   weight        -> io.weight "N", converted from the v1 range by blkioWeightToIoWeight (runc's
//                    formula), and io.bfq.weight "N" unconverted (BFQ keeps v1's 1..1000 range).
//                    io.weight is honoured by the iocost policy, io.bfq.weight by devices using the
//                    BFQ scheduler; tsrun writes every one of the two that exists (runc picks one,
//                    BFQ first), and fails when neither exists.
//   weightDevice  -> "MAJ:MIN N" lines to the same files (io.bfq.weight only when it takes
//                    per-device lines, Linux 5.4+: it then reads "default N" instead of a bare number)
//   throttle{Read,Write}{Bps,IOPS}Device -> io.max "MAJ:MIN rbps=N" / wbps / riops / wiops, one line
//                    per write (the kernel parses one device per write). Rate 0 is v1's "remove the
//                    limit" and becomes "max" (runc skips 0 entries, so an update could not lift a limit)
//   leafWeight (global or per device) -> refused: v2 has no separate weight for child cgroups.
// Stats: io.stat -> blkio ioServiceBytesRecursive (rbytes/wbytes as Read/Write) and
// ioServicedRecursive (rios/wios), as runc maps them.
// Verified only against the fake cgroupfs: this host's cgroup2 mount has no io controller.
import path = require('node:path');
import { SpecError, UnsupportedError } from '../../errors';
import { type CgroupFs, readCgroupFile, writeCgroupFile } from '../cgroupfs';
import { CgroupError } from '../errors';
import { blkioWeightToIoWeight, intString } from '../convert';
import type { Blkio, BlkioEntry } from '../stats';
import type { LinuxBlockIO, LinuxResources } from '../../spec/types';
import { integerIn, type V2Controller } from './controller-v2';
import { readOptional } from './stat-files';

const POINTER = '/linux/resources/blockIO';
const THROTTLES = [
  ['throttleReadBpsDevice', 'rbps'],
  ['throttleWriteBpsDevice', 'wbps'],
  ['throttleReadIOPSDevice', 'riops'],
  ['throttleWriteIOPSDevice', 'wiops'],
] as const;

function device(d: { major: number; minor: number }, at: string): string {
  return `${integerIn(d.major, `${at}/major`, 0)}:${integerIn(d.minor, `${at}/minor`, 0)}`;
}

function validateBlockIO(b: LinuxBlockIO): void {
  if (b.weight !== undefined && b.weight !== 0) integerIn(b.weight, `${POINTER}/weight`, 10, 1000);
  if (b.leafWeight !== undefined && b.leafWeight !== 0) {
    throw new UnsupportedError(`${POINTER}/leafWeight`, 'has no cgroup v2 equivalent (io.weight has no separate weight for child cgroups)');
  }
  (b.weightDevice ?? []).forEach((d, i) => {
    const at = `${POINTER}/weightDevice/${i}`;
    device(d, at);
    if (d.weight === undefined && d.leafWeight === undefined) throw new SpecError(at, 'must set weight or leafWeight (or both)');
    if (d.leafWeight !== undefined && d.leafWeight !== 0) {
      throw new UnsupportedError(`${at}/leafWeight`, 'has no cgroup v2 equivalent (io.weight has no separate weight for child cgroups)');
    }
    if (d.weight !== undefined) integerIn(d.weight, `${at}/weight`, 10, 1000);
  });
  for (const [field] of THROTTLES) {
    (b[field] ?? []).forEach((d, i) => {
      device(d, `${POINTER}/${field}/${i}`);
      integerIn(d.rate, `${POINTER}/${field}/${i}/rate`, 0);
    });
  }
}

/** io.max lines for the throttles, in config order (read bps, write bps, read iops, write iops). */
export function ioMaxLines(b: LinuxBlockIO): string[] {
  const lines: string[] = [];
  for (const [field, key] of THROTTLES) {
    for (const d of b[field] ?? []) lines.push(`${d.major}:${d.minor} ${key}=${d.rate === 0 ? 'max' : intString(d.rate)}`);
  }
  return lines;
}

function deviceWeights(b: LinuxBlockIO): Array<{ dev: string; weight: number }> {
  return (b.weightDevice ?? []).filter((d) => d.weight !== undefined).map((d) => ({ dev: `${d.major}:${d.minor}`, weight: d.weight as number }));
}

function writeWeights(cfs: CgroupFs, dir: string, b: LinuxBlockIO): void {
  const global = b.weight !== undefined && b.weight !== 0 ? b.weight : undefined;
  const perDevice = deviceWeights(b);
  if (global === undefined && perDevice.length === 0) return;
  const ioWeight = path.join(dir, 'io.weight');
  const bfqWeight = path.join(dir, 'io.bfq.weight');
  const hasIo = cfs.exists(ioWeight);
  const hasBfq = cfs.exists(bfqWeight);
  if (!hasIo && !hasBfq) {
    throw new CgroupError(`cannot apply ${POINTER}/weight: ${dir} has neither io.weight (iocost) nor io.bfq.weight (BFQ scheduler)`, {
      path: dir,
      code: 'cgroup-missing',
    });
  }
  if (hasIo) {
    if (global !== undefined) writeCgroupFile(cfs, ioWeight, String(blkioWeightToIoWeight(global)));
    for (const d of perDevice) writeCgroupFile(cfs, ioWeight, `${d.dev} ${blkioWeightToIoWeight(d.weight)}`);
  }
  if (hasBfq) {
    // Before Linux 5.4 io.bfq.weight reads back a bare number and takes no per-device lines
    // (read before this call writes to it).
    const bfqPerDevice = !/^\d+$/.test(readCgroupFile(cfs, bfqWeight));
    if (perDevice.length > 0 && !bfqPerDevice && !hasIo) {
      throw new CgroupError(`cannot apply ${POINTER}/weightDevice: ${bfqWeight} takes no per-device weights on this kernel (Linux 5.4+)`, {
        path: bfqWeight,
        code: 'cgroup-unsupported',
      });
    }
    if (global !== undefined) writeCgroupFile(cfs, bfqWeight, String(global));
    if (bfqPerDevice) for (const d of perDevice) writeCgroupFile(cfs, bfqWeight, `${d.dev} ${d.weight}`);
  }
}

export const ioV2: V2Controller = {
  hierarchy: 'unified',
  controller: 'io',
  pointer: POINTER,
  applies(r: LinuxResources) {
    const b = r.blockIO;
    if (b === undefined) return false;
    return (b.weight !== undefined && b.weight !== 0) || deviceWeights(b).length > 0 || ioMaxLines(b).length > 0;
  },
  validate(r) {
    if (r.blockIO !== undefined) validateBlockIO(r.blockIO);
  },
  write(cfs, dir, r) {
    const b = r.blockIO;
    if (b === undefined) return;
    writeWeights(cfs, dir, b);
    for (const line of ioMaxLines(b)) writeCgroupFile(cfs, path.join(dir, 'io.max'), line);
  },
};

const STAT_MAP: Record<string, ['ioServiceBytesRecursive' | 'ioServicedRecursive', string]> = {
  rbytes: ['ioServiceBytesRecursive', 'Read'],
  wbytes: ['ioServiceBytesRecursive', 'Write'],
  rios: ['ioServicedRecursive', 'Read'],
  wios: ['ioServicedRecursive', 'Write'],
};

/** blkio stats from io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0"), or undefined without the file. */
export function statIoV2(cfs: CgroupFs, dir: string): Blkio | undefined {
  const text = readOptional(cfs, path.join(dir, 'io.stat'));
  if (text === undefined) return undefined;
  const out: Blkio = {};
  for (const line of text.split('\n')) {
    const [dev, ...fields] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (m === null) continue;
    for (const field of fields) {
      const kv = /^([a-z]+)=(\d+)$/.exec(field);
      const target = kv === null ? undefined : STAT_MAP[kv[1]];
      if (kv === null || target === undefined) continue; // dbytes, dios, cost.* ...: no v1 column for them
      const entry: BlkioEntry = { major: Number(m[1]), minor: Number(m[2]), op: target[1], value: Number(kv[2]) };
      (out[target[0]] ??= []).push(entry);
    }
  }
  return out;
}
