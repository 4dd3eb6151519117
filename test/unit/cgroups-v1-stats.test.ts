// cgroup v1 statistics (src/cgroups/v1/*stats*, cpuacct.ts, pids.ts, hugetlb.ts) from control
// files laid out as the kernel prints them: every field of runc's `events --stats` shape that v1
// provides, the blkio file-group fallback, optional files left out, absent controllers empty,
// and oomKillCount() from memory.oom_control.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { nodeCgroupFs } from '../../src/cgroups/cgroupfs';
import { CgroupError } from '../../src/cgroups/errors';
import { cgroupManagerFor } from '../../src/cgroups/manager';
import { emptyStats } from '../../src/cgroups/stats';
import { parseBlkioStat } from '../../src/cgroups/v1/blkio-stats';
import { hugePageSizes } from '../../src/cgroups/v1/hugetlb';
import { collectV1Stats } from '../../src/cgroups/v1/stats';

function tmp(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-v1-stats-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function cgroup(root: string, name: string, files: Record<string, string>): string {
  const dir = path.join(root, name, 'c1');
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), data);
  return dir;
}

const MEMORY = {
  'memory.stat': 'cache 4096\nrss 8192\nmapped_file 0\ntotal_cache 4096\ntotal_rss 8192\n',
  'memory.usage_in_bytes': '12288\n',
  'memory.max_usage_in_bytes': '65536\n',
  'memory.failcnt': '3\n',
  'memory.limit_in_bytes': '16777216\n',
  'memory.memsw.usage_in_bytes': '12288\n',
  'memory.memsw.max_usage_in_bytes': '65536\n',
  'memory.memsw.failcnt': '0\n',
  'memory.memsw.limit_in_bytes': '9223372036854771712\n',
  'memory.kmem.usage_in_bytes': '1024\n',
  'memory.kmem.max_usage_in_bytes': '2048\n',
  'memory.kmem.failcnt': '0\n',
  'memory.kmem.limit_in_bytes': '9223372036854771712\n',
  'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
};

t.test('every v1 controller read into the events --stats shape', async (t) => {
  const root = tmp(t);
  const dirs = {
    memory: cgroup(root, 'memory', MEMORY),
    cpuacct: cgroup(root, 'cpuacct', {
      'cpuacct.usage': '3000000000\n',
      'cpuacct.usage_percpu': '1000000000 2000000000 \n',
      'cpuacct.usage_all': 'cpu user system\n0 700000000 300000000\n1 1500000000 500000000\n',
      'cpuacct.stat': 'user 220\nsystem 80\n',
    }),
    cpu: cgroup(root, 'cpu', { 'cpu.stat': 'nr_periods 10\nnr_throttled 4\nthrottled_time 123456\nnr_bursts 0\nburst_time 0\n' }),
    pids: cgroup(root, 'pids', { 'pids.current': '3\n', 'pids.max': 'max\n' }),
    blkio: cgroup(root, 'blkio', {
      'blkio.bfq.io_serviced_recursive': 'Total 0\n', // BFQ present but idle: skipped, as runc does
      'blkio.bfq.io_service_bytes_recursive': 'Total 0\n',
      'blkio.throttle.io_serviced_recursive': '254:0 Read 2\n254:0 Write 16\n254:0 Total 18\nTotal 18\n',
      'blkio.throttle.io_service_bytes_recursive': '254:0 Read 8192\n254:0 Write 1048576\n254:0 Total 1056768\nTotal 1056768\n',
    }),
    hugetlb: cgroup(root, 'hugetlb', {
      'hugetlb.2MB.usage_in_bytes': '0\n',
      'hugetlb.2MB.max_usage_in_bytes': '0\n',
      'hugetlb.2MB.failcnt': '0\n',
      'hugetlb.2MB.rsvd.usage_in_bytes': '2097152\n',
      'hugetlb.2MB.rsvd.max_usage_in_bytes': '4194304\n',
      'hugetlb.2MB.rsvd.failcnt': '1\n',
      'hugetlb.1GB.usage_in_bytes': '0\n',
      'hugetlb.1GB.max_usage_in_bytes': '0\n',
      'hugetlb.1GB.failcnt': '0\n',
    }),
  };
  const s = collectV1Stats(nodeCgroupFs, dirs, { hugePageSizes: ['2MB', '1GB', '64KB'] });
  t.same(s.memory, {
    raw: { cache: 4096, rss: 8192, mapped_file: 0, total_cache: 4096, total_rss: 8192 },
    cache: 4096,
    usage: { usage: 12288, max: 65536, failcnt: 3, limit: 16777216 },
    swap: { usage: 12288, max: 65536, failcnt: 0, limit: 9223372036854771712 },
    kernel: { usage: 1024, max: 2048, failcnt: 0, limit: 9223372036854771712 },
  }, 'memory, memsw as swap, kmem as kernel; no kmem.tcp files: kernelTCP left out');
  t.same(s.cpu, {
    usage: {
      total: 3e9,
      percpu: [1e9, 2e9],
      percpuUser: [7e8, 1.5e9],
      percpuKernel: [3e8, 5e8],
      user: 2.2e9, // 220 ticks of USER_HZ 100
      kernel: 8e8,
    },
    throttling: { periods: 10, throttledPeriods: 4, throttledTime: 123456 },
  });
  t.same(s.pids, { current: 3, limit: 0 }, 'pids.max "max" reads as 0, as runc reports it');
  t.same(s.blkio, {
    ioServicedRecursive: [
      { major: 254, minor: 0, op: 'Read', value: 2 },
      { major: 254, minor: 0, op: 'Write', value: 16 },
      { major: 254, minor: 0, op: 'Total', value: 18 },
    ],
    ioServiceBytesRecursive: [
      { major: 254, minor: 0, op: 'Read', value: 8192 },
      { major: 254, minor: 0, op: 'Write', value: 1048576 },
      { major: 254, minor: 0, op: 'Total', value: 1056768 },
    ],
  }, 'blk-throttle counters when BFQ has none');
  t.same(s.hugetlb, {
    '2MB': { usage: 2097152, max: 4194304, failcnt: 1 }, // reservation counters preferred
    '1GB': { usage: 0, max: 0, failcnt: 0 },
  }, 'sizes without files (64KB) left out');
  t.same(JSON.parse(JSON.stringify(s)), s, 'serialisable as is');

  const m = cgroupManagerFor({ id: 'c1', created: { kind: 'v1', paths: dirs, createdDirs: [] }, fs: nodeCgroupFs });
  t.equal(m.oomKillCount(), 2, 'oom_kill line of memory.oom_control');
  t.same(m.stats().memory, s.memory, 'the manager reads the same');
});

t.test('absent controllers and optional files', async (t) => {
  const root = tmp(t);
  t.same(collectV1Stats(nodeCgroupFs, {}), emptyStats(), 'no controller: everything empty, not an error');
  const pidsOnly = { pids: cgroup(root, 'pids', { 'pids.current': '1\n', 'pids.max': '20\n' }), 'name=systemd': path.join(root, 'sd') };
  t.same(collectV1Stats(nodeCgroupFs, pidsOnly), { ...emptyStats(), pids: { current: 1, limit: 20 } });

  const old = { ...MEMORY, 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\n' } as Record<string, string>;
  for (const k of Object.keys(old)) if (k.includes('memsw') || k.includes('kmem')) delete old[k];
  const memory = cgroup(root, 'memory', old);
  const s = collectV1Stats(nodeCgroupFs, { memory });
  t.notOk('swap' in s.memory, 'no swap accounting: swap left out');
  t.notOk('kernel' in s.memory);
  const m = cgroupManagerFor({ id: 'c1', created: { kind: 'v1', paths: { memory }, createdDirs: [] }, fs: nodeCgroupFs });
  t.equal(m.oomKillCount(), 0, 'a kernel without the oom_kill line counts 0');
  const gone = cgroupManagerFor({ id: 'c1', created: { kind: 'v1', paths: { memory: path.join(root, 'gone') }, createdDirs: [] }, fs: nodeCgroupFs });
  t.equal(gone.oomKillCount(), 0, 'a removed cgroup counts 0');
  const none = cgroupManagerFor({ id: 'c1', created: { kind: 'v1', paths: {}, createdDirs: [] }, fs: nodeCgroupFs });
  t.equal(none.oomKillCount(), 0, 'no memory controller counts 0');

  fs.writeFileSync(path.join(memory, 'memory.usage_in_bytes'), 'garbage\n');
  t.throws(() => collectV1Stats(nodeCgroupFs, { memory }), { constructor: CgroupError, message: /memory\.usage_in_bytes: expected a number/ });
});

t.test('blkio: CFQ files when they have entries, malformed lines refused', async (t) => {
  const root = tmp(t);
  const blkio = cgroup(root, 'blkio', {
    'blkio.sectors_recursive': '8:0 6792\n',
    'blkio.io_service_time_recursive': '8:0 Read 10\n8:0 Write 20\nTotal 30\n',
    'blkio.io_wait_time_recursive': '8:0 Read 1\nTotal 1\n',
    'blkio.io_merged_recursive': 'Total 0\n',
    'blkio.io_queued_recursive': 'Total 0\n',
    'blkio.time_recursive': '8:0 77\n',
    'blkio.io_serviced_recursive': '8:0 Read 124\nTotal 124\n',
    'blkio.io_service_bytes_recursive': '8:0 Read 1282048\nTotal 1282048\n',
    'blkio.throttle.io_serviced_recursive': '8:0 Read 999\n',
  });
  const s = collectV1Stats(nodeCgroupFs, { blkio }).blkio;
  t.same(s.sectorsRecursive, [{ major: 8, minor: 0, op: '', value: 6792 }]);
  t.same(s.ioServicedRecursive, [{ major: 8, minor: 0, op: 'Read', value: 124 }], 'CFQ group wins over throttle');
  t.same(s.ioMergedRecursive, []);
  t.same(s.ioTimeRecursive, [{ major: 8, minor: 0, op: '', value: 77 }]);
  t.throws(() => parseBlkioStat('8:0 Read\n', 'f'), { message: /malformed line/ });
  t.throws(() => parseBlkioStat('8:x Read 5\n', 'f'), { message: /malformed line/ });
  t.same(parseBlkioStat('', 'f'), []);
});

t.test('hugePageSizes: from the sysfs directory names', async (t) => {
  const root = tmp(t);
  for (const d of ['hugepages-2048kB', 'hugepages-1048576kB', 'hugepages-64kB', 'not-a-size']) fs.mkdirSync(path.join(root, d));
  t.same(hugePageSizes(nodeCgroupFs, root).sort(), ['1GB', '2MB', '64KB']);
  t.same(hugePageSizes(nodeCgroupFs, path.join(root, 'missing')), [], 'no hugepages support: no sizes');
});
