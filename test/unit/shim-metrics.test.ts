// The shim's Stats answer: tsrun's cgroup statistics (runc's events shape) as containerd's cgroups
// v1 Metrics in an Any, decoded back here as ctr decodes it (by the type URL and the vendored
// message): each kind of field lands where `ctr task metrics` reads it.
import t from 'tap';
import { fromBinary } from '@bufbuild/protobuf';
import { metricsAny } from '../../src/shim/metrics';
import { MetricsSchema } from '../../src/shim/gen/github.com/containerd/cgroups/stats/v1/metrics_pb';
import { emptyStats } from '../../src/cgroups/stats';

t.test('Stats -> io.containerd.cgroups.v1.Metrics', async (t) => {
  const s = emptyStats();
  s.cpu = { usage: { total: 3000, kernel: 1000, user: 2000, percpu: [1200, 1800] }, throttling: { periods: 5, throttledPeriods: 2, throttledTime: 70 } };
  s.memory = {
    usage: { limit: 33554432, usage: 4096, max: 8192, failcnt: 3 },
    swap: { limit: 67108864, usage: 4096, failcnt: 0 },
    raw: { rss: 111, cache: 222, pgmajfault: 7, total_rss: 333, hierarchical_memory_limit: 33554432 },
  };
  s.pids = { current: 4, limit: 10 };
  s.blkio = { ioServiceBytesRecursive: [{ major: 8, minor: 0, op: 'Read', value: 512 }] };
  s.hugetlb = { '2MB': { usage: 0, max: 2097152, failcnt: 1 } };
  const any = metricsAny(s, 2);
  t.equal(any.typeUrl, 'io.containerd.cgroups.v1.Metrics', "the bare full name containerd's typeurl registers");
  const m = fromBinary(MetricsSchema, any.value);
  t.equal(m.cpu?.usage?.total, 3000n);
  t.same(m.cpu?.usage?.perCpu, [1200n, 1800n], 'per-cpu usage');
  t.equal(m.cpu?.throttling?.throttledPeriods, 2n);
  t.equal(m.memory?.usage?.limit, 33554432n, 'memory.limit_in_bytes');
  t.equal(m.memory?.usage?.usage, 4096n, 'memory.usage_in_bytes');
  t.equal(m.memory?.usage?.failcnt, 3n);
  t.equal(m.memory?.swap?.limit, 67108864n);
  t.equal(m.memory?.rss, 111n, 'memory.stat rss');
  t.equal(m.memory?.cache, 222n, 'memory.stat cache');
  t.equal(m.memory?.pgMajFault, 7n, 'pgmajfault, renamed');
  t.equal(m.memory?.totalRss, 333n, 'total_rss');
  t.equal(m.memory?.hierarchicalMemoryLimit, 33554432n);
  t.equal(m.memory?.totalCache, 0n, 'a key memory.stat lacks stays 0');
  t.equal(m.pids?.current, 4n);
  t.equal(m.pids?.limit, 10n);
  t.same(m.blkio?.ioServiceBytesRecursive.map((e) => [e.major, e.minor, e.op, e.value]), [[8n, 0n, 'Read', 512n]]);
  t.same(m.hugetlb.map((h) => [h.pagesize, h.max, h.failcnt]), [['2MB', 2097152n, 1n]]);
  t.equal(m.memoryOomControl?.oomKill, 2n, 'the OOM-kill count');
});
