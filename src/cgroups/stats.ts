// Container resource statistics in the shape runc's `events` prints (runc
// libcontainer/... events/types.go): `tsrun events --stats` writes {"type":"stats","id",
// "data": Stats}. Field names and omitempty behaviour follow runc so existing consumers
// (containerd's shim, monitoring) parse ours unchanged. Values are raw counters from cgroupfs.

export interface CpuUsage {
  /** Total CPU time in nanoseconds. */
  total?: number;
  percpu?: number[];
  percpuKernel?: number[];
  percpuUser?: number[];
  kernel: number;
  user: number;
}

export interface Throttling {
  periods?: number;
  throttledPeriods?: number;
  throttledTime?: number;
}

export interface Cpu {
  usage?: CpuUsage;
  throttling?: Throttling;
}

export interface MemoryEntry {
  limit: number;
  usage?: number;
  max?: number;
  failcnt: number;
}

export interface Memory {
  cache?: number;
  usage?: MemoryEntry;
  swap?: MemoryEntry;
  kernel?: MemoryEntry;
  kernelTCP?: MemoryEntry;
  /** memory.stat as name -> value. */
  raw?: Record<string, number>;
}

export interface Pids {
  current?: number;
  limit?: number;
}

export interface BlkioEntry {
  major?: number;
  minor?: number;
  op?: string;
  value?: number;
}

export interface Blkio {
  ioServiceBytesRecursive?: BlkioEntry[];
  ioServicedRecursive?: BlkioEntry[];
  ioQueueRecursive?: BlkioEntry[];
  ioServiceTimeRecursive?: BlkioEntry[];
  ioWaitTimeRecursive?: BlkioEntry[];
  ioMergedRecursive?: BlkioEntry[];
  ioTimeRecursive?: BlkioEntry[];
  sectorsRecursive?: BlkioEntry[];
}

export interface Hugetlb {
  usage?: number;
  max?: number;
  failcnt: number;
}

export interface Stats {
  cpu: Cpu;
  memory: Memory;
  pids: Pids;
  blkio: Blkio;
  /** Keyed by page size as runc names it ("2MB", "1GB"). */
  hugetlb: Record<string, Hugetlb>;
}

/** An empty Stats, for managers to fill in what their controllers report. */
export function emptyStats(): Stats {
  return { cpu: {}, memory: {}, pids: {}, blkio: {}, hugetlb: {} };
}
