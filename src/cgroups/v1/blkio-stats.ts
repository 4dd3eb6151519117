// Block I/O statistics of a cgroup v1 blkio cgroup, in runc's `events --stats` shape. Which files
// carry the numbers depends on the kernel and the disks' I/O schedulers
// (Documentation/admin-guide/cgroup-v1/blkio-controller.rst): BFQ's blkio.bfq.* (its full set only
// with CONFIG_BFQ_CGROUP_DEBUG), CFQ's blkio.* (gone since Linux 5.0), and blk-throttle's
// blkio.throttle.*, which count every bio of every device whatever the scheduler. As runc does,
// the first group whose first file exists and has entries wins; files look like
//   8:0 Read 1282048
//   8:0 Write 2195456
//   ...
//   Total 3477504
import type { CgroupFs } from '../cgroupfs';
import { CgroupError } from '../errors';
import type { Blkio, BlkioEntry } from '../stats';
import { readOptional } from './files';

type Field = keyof Blkio;

/** Groups in runc's order of preference; within a group, [file, Blkio field]. */
const GROUPS: ReadonlyArray<ReadonlyArray<[string, Field]>> = [
  [
    ['blkio.bfq.sectors_recursive', 'sectorsRecursive'],
    ['blkio.bfq.io_service_time_recursive', 'ioServiceTimeRecursive'],
    ['blkio.bfq.io_wait_time_recursive', 'ioWaitTimeRecursive'],
    ['blkio.bfq.io_merged_recursive', 'ioMergedRecursive'],
    ['blkio.bfq.io_queued_recursive', 'ioQueueRecursive'],
    ['blkio.bfq.time_recursive', 'ioTimeRecursive'],
    ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.sectors_recursive', 'sectorsRecursive'],
    ['blkio.io_service_time_recursive', 'ioServiceTimeRecursive'],
    ['blkio.io_wait_time_recursive', 'ioWaitTimeRecursive'],
    ['blkio.io_merged_recursive', 'ioMergedRecursive'],
    ['blkio.io_queued_recursive', 'ioQueueRecursive'],
    ['blkio.time_recursive', 'ioTimeRecursive'],
    ['blkio.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.throttle.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.throttle.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.throttle.io_serviced', 'ioServicedRecursive'],
    ['blkio.throttle.io_service_bytes', 'ioServiceBytesRecursive'],
  ],
];

/** Parse one blkio stat file: "maj:min [op] value" lines; the "Total N" summary line is skipped. */
export function parseBlkioStat(text: string, file: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/[\s:]+/).filter((f) => f !== '');
    if (fields.length === 0) continue;
    if (fields.length === 2 && fields[0] === 'Total') continue;
    const nums = [fields[0], fields[1], fields[fields.length - 1]];
    if ((fields.length !== 3 && fields.length !== 4) || !nums.every((n) => /^[0-9]+$/.test(n))) {
      throw new CgroupError(`${file}: malformed line ${JSON.stringify(line.trim())}`, { path: file });
    }
    const entry: BlkioEntry = { major: Number(fields[0]), minor: Number(fields[1]), op: fields.length === 4 ? fields[2] : '', value: Number(fields[fields.length - 1]) };
    out.push(entry);
  }
  return out;
}

/** Block I/O stats of the cgroup `dir` (empty when no group of files has entries). */
export function blkioStatsV1(cfs: CgroupFs, dir: string): Blkio {
  for (const group of GROUPS) {
    const out: Blkio = {};
    let complete = true;
    for (const [i, [file, field]] of group.entries()) {
      const text = readOptional(cfs, dir, file);
      const entries = text === undefined ? [] : parseBlkioStat(text, `${dir}/${file}`);
      if (i === 0 && entries.length === 0) {
        complete = false;
        break;
      }
      if (text === undefined) {
        // runc: a file missing after the first one of its group is an error; tsrun keeps what
        // it has rather than failing the whole stats call over one optional counter.
        continue;
      }
      out[field] = entries;
    }
    if (complete) return out;
  }
  return {};
}
