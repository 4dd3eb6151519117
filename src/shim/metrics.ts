// Stats: the container's cgroup statistics (src/api.ts stats, runc's events shape) as containerd's
// cgroups v1 Metrics message (github.com/containerd/cgroups stats/v1, vendored in proto/), in the
// Any that `ctr task metrics` and CRI decode by its type URL, as the runc shim sends it on a v1 or
// hybrid host (runtime/v2/runc/task/service.go Stats: cg.Stat() then typeurl.MarshalAny).
// containerd's v2 Metrics (for cgroup2-only hosts) is not vendored: there the same v1 message is
// filled from what the v2 manager reports (runc's names for memory.stat keys differ; those that do
// not exist stay 0).
import { create, toBinary } from '@bufbuild/protobuf';
import type { Any } from '@bufbuild/protobuf/wkt';
import type { Stats } from '../api';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { MetricsSchema, type BlkIOEntrySchema, type MemoryEntrySchema } from './gen/github.com/containerd/cgroups/stats/v1/metrics_pb';

const u = (n: number | undefined): bigint => BigInt(Math.max(0, Math.trunc(n ?? 0)));

type EntryInit = MessageInitShape<typeof MemoryEntrySchema>;

function memEntry(e: { limit: number; usage?: number; max?: number; failcnt: number } | undefined): EntryInit | undefined {
  if (!e) return undefined;
  return { limit: u(e.limit), usage: u(e.usage), max: u(e.max), failcnt: u(e.failcnt) };
}

function blkio(list: Array<{ major?: number; minor?: number; op?: string; value?: number }> | undefined): Array<MessageInitShape<typeof BlkIOEntrySchema>> {
  return (list ?? []).map((e) => ({ op: e.op ?? '', major: u(e.major), minor: u(e.minor), value: u(e.value) }));
}

/** memory.stat keys (v1 names) -> MemoryStat fields. */
const MEMORY_STAT: Record<string, string> = {
  cache: 'cache', rss: 'rss', rss_huge: 'rssHuge', mapped_file: 'mappedFile', dirty: 'dirty', writeback: 'writeback',
  pgpgin: 'pgPgIn', pgpgout: 'pgPgOut', pgfault: 'pgFault', pgmajfault: 'pgMajFault', inactive_anon: 'inactiveAnon',
  active_anon: 'activeAnon', inactive_file: 'inactiveFile', active_file: 'activeFile', unevictable: 'unevictable',
  hierarchical_memory_limit: 'hierarchicalMemoryLimit', hierarchical_memsw_limit: 'hierarchicalSwapLimit',
};

export function metricsAny(s: Stats, oomKills: number): Any {
  const raw = s.memory.raw ?? {};
  const memory: Record<string, unknown> = {
    usage: memEntry(s.memory.usage), swap: memEntry(s.memory.swap), kernel: memEntry(s.memory.kernel), kernelTcp: memEntry(s.memory.kernelTCP),
  };
  for (const [key, field] of Object.entries(MEMORY_STAT)) {
    memory[field] = u(raw[key]);
    const total = raw[`total_${key}`];
    if (total !== undefined) memory[`total${field[0].toUpperCase()}${field.slice(1)}`] = u(total);
  }
  if (s.memory.cache !== undefined && raw.cache === undefined) memory.cache = u(s.memory.cache);
  const m = create(MetricsSchema, {
    pids: { current: u(s.pids.current), limit: u(s.pids.limit) },
    cpu: {
      usage: {
        total: u(s.cpu.usage?.total), kernel: u(s.cpu.usage?.kernel), user: u(s.cpu.usage?.user),
        perCpu: (s.cpu.usage?.percpu ?? []).map(u),
      },
      throttling: { periods: u(s.cpu.throttling?.periods), throttledPeriods: u(s.cpu.throttling?.throttledPeriods), throttledTime: u(s.cpu.throttling?.throttledTime) },
    },
    memory,
    memoryOomControl: { oomKill: u(oomKills) },
    blkio: {
      ioServiceBytesRecursive: blkio(s.blkio.ioServiceBytesRecursive), ioServicedRecursive: blkio(s.blkio.ioServicedRecursive),
      ioQueuedRecursive: blkio(s.blkio.ioQueueRecursive), ioServiceTimeRecursive: blkio(s.blkio.ioServiceTimeRecursive),
      ioWaitTimeRecursive: blkio(s.blkio.ioWaitTimeRecursive), ioMergedRecursive: blkio(s.blkio.ioMergedRecursive),
      ioTimeRecursive: blkio(s.blkio.ioTimeRecursive), sectorsRecursive: blkio(s.blkio.sectorsRecursive),
    },
    hugetlb: Object.entries(s.hugetlb).map(([pagesize, h]) => ({ pagesize, usage: u(h.usage), max: u(h.max), failcnt: u(h.failcnt) })),
  });
  // containerd's typeurl names gogo messages by their bare full name (events.ts says the same).
  return { $typeName: 'google.protobuf.Any', typeUrl: MetricsSchema.typeName, value: toBinary(MetricsSchema, m) };
}
