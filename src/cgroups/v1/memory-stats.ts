// Memory statistics of a cgroup v1 memory cgroup, in runc's `events --stats` shape (stats.ts):
// usage/max/limit/failcnt of memory, memory+swap (memsw), kernel (kmem) and kernel TCP
// (kmem.tcp), memory.stat as `raw` with its `cache`, and the OOM kill counter of
// memory.oom_control (Documentation/admin-guide/cgroup-v1/memory.rst sections 5.2 and 10).
// memsw and kmem files exist only with swap accounting / kmem accounting in the kernel: like
// runc, a missing one leaves its entry out instead of failing.
import type { CgroupFs } from '../cgroupfs';
import type { Memory, MemoryEntry } from '../stats';
import { parseKeyValues, readCounter, readOptional, readOptionalCounter } from './files';

/** One usage/max/failcnt/limit group: prefix "memory", "memory.memsw", "memory.kmem", "memory.kmem.tcp". */
function entry(cfs: CgroupFs, dir: string, prefix: string, optional: boolean): MemoryEntry | undefined {
  const usage = optional ? readOptionalCounter(cfs, dir, `${prefix}.usage_in_bytes`) : readCounter(cfs, dir, `${prefix}.usage_in_bytes`);
  if (usage === undefined) return undefined;
  return {
    usage,
    max: readCounter(cfs, dir, `${prefix}.max_usage_in_bytes`),
    failcnt: readCounter(cfs, dir, `${prefix}.failcnt`),
    limit: readCounter(cfs, dir, `${prefix}.limit_in_bytes`),
  };
}

/** Memory stats of the cgroup `dir`. */
export function memoryStatsV1(cfs: CgroupFs, dir: string): Memory {
  const out: Memory = {};
  const statText = readOptional(cfs, dir, 'memory.stat');
  if (statText !== undefined) {
    out.raw = parseKeyValues(statText, `${dir}/memory.stat`);
    // runc reports the page cache separately as `cache` (memory.stat "cache", in bytes).
    if (out.raw.cache !== undefined) out.cache = out.raw.cache;
  }
  out.usage = entry(cfs, dir, 'memory', false);
  const swap = entry(cfs, dir, 'memory.memsw', true);
  if (swap !== undefined) out.swap = swap;
  const kernel = entry(cfs, dir, 'memory.kmem', true);
  if (kernel !== undefined) out.kernel = kernel;
  const kernelTCP = entry(cfs, dir, 'memory.kmem.tcp', true);
  if (kernelTCP !== undefined) out.kernelTCP = kernelTCP;
  return out;
}

/**
 * How many processes the OOM killer killed in this cgroup: the "oom_kill" line of
 * memory.oom_control (Linux 4.13+); 0 on older kernels and when the cgroup is gone.
 */
export function oomKillCountV1(cfs: CgroupFs, dir: string): number {
  const text = readOptional(cfs, dir, 'memory.oom_control');
  if (text === undefined) return 0;
  return parseKeyValues(text, `${dir}/memory.oom_control`).oom_kill ?? 0;
}
