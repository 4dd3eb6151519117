// The cgroup v1 resource controllers (src/cgroups/v1/*) through V1CgroupManager.set() against a
// fake cgroupfs seeded with each controller's control files: file names, values, write order,
// -1, the kernel-error explanations, the checks that refuse before any write, and warnings.
// A small "kernel" wrapper enforces the rules whose order matters (memsw >= limit, shares
// clamping, EINVAL on a period that needs the quota first), so a wrong order fails here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { constants as osConstants } from 'node:os';
import t, { type Test } from 'tap';
import type { CgroupFs } from '../../src/cgroups/cgroupfs';
import { CgroupError } from '../../src/cgroups/errors';
import { type FakeCgroupTree, makeFakeCgroupTree } from '../lib/fake-cgroupfs';
import { type CgroupManager, cgroupManagerFor } from '../../src/cgroups/manager';
import type { LinuxResources } from '../../src/cgroups/types';
import { SpecError, UnsupportedError } from '../../src/errors';

const UNLIMITED = '9223372036854771712';

/** Control files of a fresh v1 cgroup, per hierarchy, as this host's kernel shows them. */
const SEED: Record<string, Record<string, string>> = {
  memory: {
    'memory.limit_in_bytes': UNLIMITED,
    'memory.memsw.limit_in_bytes': UNLIMITED,
    'memory.soft_limit_in_bytes': UNLIMITED,
    'memory.usage_in_bytes': '1048576',
    'memory.max_usage_in_bytes': '2097152',
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
    'memory.swappiness': '60',
    'memory.use_hierarchy': '1',
    'memory.kmem.limit_in_bytes': UNLIMITED,
    'memory.kmem.tcp.limit_in_bytes': UNLIMITED,
  },
  cpu: {
    'cpu.shares': '1024',
    'cpu.cfs_quota_us': '-1',
    'cpu.cfs_period_us': '100000',
    'cpu.cfs_burst_us': '0',
    'cpu.idle': '0',
    'cpu.rt_runtime_us': '0',
    'cpu.rt_period_us': '1000000',
  },
  cpuset: { 'cpuset.cpus': '0-3', 'cpuset.mems': '0' },
  blkio: {
    'blkio.bfq.weight': '100',
    'blkio.bfq.weight_device': '',
    'blkio.throttle.read_bps_device': '',
    'blkio.throttle.write_bps_device': '',
    'blkio.throttle.read_iops_device': '',
    'blkio.throttle.write_iops_device': '',
  },
  hugetlb: { 'hugetlb.2MB.limit_in_bytes': UNLIMITED, 'hugetlb.2MB.rsvd.limit_in_bytes': UNLIMITED, 'hugetlb.1GB.limit_in_bytes': UNLIMITED },
  net_cls: { 'net_cls.classid': '0' },
  net_prio: { 'net_prio.ifpriomap': 'lo 0\n' },
  rdma: { 'rdma.max': '' },
  pids: { 'pids.max': 'max' },
  devices: { 'devices.allow': '', 'devices.deny': '' },
};

function errnoError(code: string, file: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: ${file}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = -((osConstants.errno as Record<string, number>)[code] ?? 1);
  return err;
}

/** Bytes as the kernel's page_counter_memparse reads them: -1 and anything larger are "unlimited". */
const num = (s: string) => (s.trim() === '-1' ? Number(UNLIMITED) : Math.min(Number(s.trim()), Number(UNLIMITED)));

/**
 * The fake cgroupfs plus the kernel rules the controllers must respect:
 *  - memory.limit_in_bytes <= memory.memsw.limit_in_bytes after every write (EINVAL otherwise);
 *  - cpu.shares clamped to 2..262144; `failOnce` makes the first write of a file fail with an errno.
 */
function kernelish(tree: FakeCgroupTree, failOnce: Map<string, string>): CgroupFs {
  const read = (f: string) => fs.readFileSync(f, 'utf8');
  return {
    ...tree.fs,
    write(file, data) {
      const name = path.basename(file);
      const dir = path.dirname(file);
      const errno = failOnce.get(name);
      if (errno !== undefined) {
        failOnce.delete(name);
        throw errnoError(errno, file);
      }
      const memsw = path.join(dir, 'memory.memsw.limit_in_bytes');
      if (name === 'memory.limit_in_bytes' && fs.existsSync(memsw) && num(data) > num(read(memsw))) throw errnoError('EINVAL', file);
      if (name === 'memory.memsw.limit_in_bytes' && num(data) < num(read(path.join(dir, 'memory.limit_in_bytes')))) throw errnoError('EINVAL', file);
      if (name === 'cpu.shares') return tree.fs.write(file, String(Math.min(262144, Math.max(2, Number(data)))));
      return tree.fs.write(file, data);
    },
  };
}

interface Env {
  tree: FakeCgroupTree;
  m: CgroupManager;
  failOnce: Map<string, string>;
  dir: (h: string) => string;
  read: (h: string, file: string) => string;
  writes: () => string[];
}

/** A v1 manager whose hierarchies are `hierarchies` (default: all of SEED), dirs seeded. */
function env(t: Test, hierarchies: string[] = Object.keys(SEED), seed: Record<string, Record<string, string>> = SEED): Env {
  const tree = makeFakeCgroupTree('v1');
  t.teardown(tree.cleanup);
  const paths: Record<string, string> = {};
  for (const h of hierarchies) {
    const parent = path.join(tree.root, `x-${h}`);
    const dir = path.join(parent, 'c1');
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, data] of Object.entries(seed[h] ?? {})) {
      fs.writeFileSync(path.join(dir, name), data);
      fs.writeFileSync(path.join(parent, name), data);
    }
    fs.writeFileSync(path.join(dir, 'cgroup.procs'), '');
    paths[h] = dir;
  }
  const failOnce = new Map<string, string>();
  const m = cgroupManagerFor({ id: 'c1', created: { kind: 'v1', paths, createdDirs: [] }, fs: kernelish(tree, failOnce) });
  return {
    tree,
    m,
    failOnce,
    dir: (h) => paths[h],
    read: (h, file) => fs.readFileSync(path.join(paths[h], file), 'utf8').trim(),
    writes: () => tree.writes.map((w) => `${w.file.split('/').slice(2).join('/')}=${w.data}`),
  };
}

function set(e: Env, r: LinuxResources): string[] {
  const warnings: string[] = [];
  e.tree.writes.length = 0;
  e.m.set(r, (w) => warnings.push(w));
  return warnings;
}

t.test('memory: files, values, -1, and the kernel-memory warnings', async (t) => {
  const e = env(t);
  const warnings = set(e, {
    memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20, swappiness: 10, disableOOMKiller: true, useHierarchy: true, kernel: -1, kernelTCP: 1 << 20 },
  });
  t.same(e.writes(), [
    'memory.use_hierarchy=1',
    // memsw may not drop below the current limit (unlimited): the limit goes first.
    `memory.limit_in_bytes=${64 << 20}`,
    `memory.memsw.limit_in_bytes=${128 << 20}`,
    `memory.soft_limit_in_bytes=${32 << 20}`,
    `memory.kmem.tcp.limit_in_bytes=${1 << 20}`,
    'memory.oom_control=1',
    'memory.swappiness=10',
  ], 'kernelTCP written (after the reservation, as runc 1.0 did); kernel not written although its file exists');
  t.same(warnings.length, 1, 'only kernel warns');
  t.match(warnings[0], /^\/linux\/resources\/memory\/kernel is ignored: the kernel no longer enforces kernel memory limits/);

  // Lowering both: the limit must go first, or memsw would drop below the old limit (EINVAL).
  set(e, { memory: { limit: 16 << 20, swap: 32 << 20 } });
  t.same(e.writes(), [`memory.limit_in_bytes=${16 << 20}`, `memory.memsw.limit_in_bytes=${32 << 20}`]);
  // Raising both above the current limit: memsw first, or the new limit would exceed the old memsw.
  set(e, { memory: { limit: 48 << 20, swap: 96 << 20 } });
  t.same(e.writes(), [`memory.memsw.limit_in_bytes=${96 << 20}`, `memory.limit_in_bytes=${48 << 20}`]);

  // -1 with swap unset lifts memsw too (memsw first: the limit may not exceed it).
  set(e, { memory: { limit: -1 } });
  t.same(e.writes(), ['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1']);

  set(e, { memory: { disableOOMKiller: false, reservation: -1 } });
  t.same(e.writes(), ['memory.soft_limit_in_bytes=-1', 'memory.oom_control=0'], 'false turns the OOM killer back on; reservation -1');

  set(e, { memory: { limit: 0, swap: 0, reservation: 0 } });
  t.same(e.writes(), [], '0 means unset, as in runc');

  set(e, { memory: { limit: 9223372036854775807 } });
  t.same(e.writes(), ['memory.limit_in_bytes=9223372036854775808'], 'an int64 beyond 2^53 is written in plain digits (no exponent)');
});

t.test('memory: kernelTCP is applied where the kernel has kmem.tcp, a warning where it has not or refuses', async (t) => {
  const e = env(t);
  t.same(set(e, { memory: { kernelTCP: 8 << 20 } }), [], 'no warning');
  t.same(e.writes(), [`memory.kmem.tcp.limit_in_bytes=${8 << 20}`]);
  t.equal(e.read('memory', 'memory.kmem.tcp.limit_in_bytes'), String(8 << 20), 'read back');
  set(e, { memory: { kernelTCP: -1 } });
  t.same(e.writes(), ['memory.kmem.tcp.limit_in_bytes=-1'], '-1 (unlimited) is written as is');
  t.same(set(e, { memory: { kernelTCP: 0, limit: 4 << 20 } }), []);
  t.same(e.writes(), [`memory.limit_in_bytes=${4 << 20}`], '0 means "not set": nothing written, no warning');

  // The kernel refuses (EBUSY: its sockets hold more than the new limit): the other values are
  // applied and the refusal is a warning with the errno.
  e.failOnce.set('memory.kmem.tcp.limit_in_bytes', 'EBUSY');
  const refused = set(e, { memory: { kernelTCP: 4096, swappiness: 20 } });
  t.same(e.writes(), ['memory.swappiness=20'], 'the rest is written');
  t.equal(refused.length, 1);
  t.match(refused[0], /^\/linux\/resources\/memory\/kernelTCP is not applied: the kernel refused 4096 for memory\.kmem\.tcp\.limit_in_bytes \(EBUSY\): the cgroup's TCP buffers already use more/);
  e.failOnce.set('memory.kmem.tcp.limit_in_bytes', 'EINVAL');
  t.match(set(e, { memory: { kernelTCP: 4096 } }), [/kernelTCP is not applied: .*\(EINVAL\)$/], 'any errno is named');

  // A kernel without the file (no kmem.tcp accounting): nothing written, a warning.
  const noTcp = { ...SEED, memory: { ...SEED.memory } };
  delete noTcp.memory['memory.kmem.tcp.limit_in_bytes'];
  const e2 = env(t, ['memory'], noTcp);
  const missing = set(e2, { memory: { kernelTCP: 8 << 20, limit: 64 << 20 } });
  t.same(e2.writes(), [`memory.limit_in_bytes=${64 << 20}`], 'the limit is written, kmem.tcp is not created');
  t.same(missing, ['/linux/resources/memory/kernelTCP is ignored: this kernel has no kmem.tcp accounting (memory.kmem.tcp.limit_in_bytes is missing)']);
  t.notOk(fs.existsSync(path.join(e2.dir('memory'), 'memory.kmem.tcp.limit_in_bytes')), 'no file made');
});

t.test('memory: a limit above the memsw limit gets an explanation; EBUSY names the usage', async (t) => {
  const e = env(t);
  set(e, { memory: { limit: 64 << 20, swap: 64 << 20 } });
  const err = t.throws(() => set(e, { memory: { limit: 128 << 20 } }));
  t.type(err, CgroupError);
  t.match(err, { errnoCode: 'EINVAL', message: /cannot exceed the memory\+swap limit \(memory\.memsw\.limit_in_bytes is 67108864\); set linux\.resources\.memory\.swap/ });

  e.failOnce.set('memory.limit_in_bytes', 'EBUSY');
  t.throws(() => set(e, { memory: { limit: 1 << 20 } }), { errnoCode: 'EBUSY', message: /uses 1048576 bytes \(peak 2097152\), more than the new limit 1048576/ });
});

t.test('memory: checkBeforeUpdate and missing swap accounting refuse before any write', async (t) => {
  const e = env(t);
  const err = t.throws(() => set(e, { pids: { limit: 9 }, memory: { limit: 512 << 10, checkBeforeUpdate: true } }));
  t.match(err, { code: 'cgroup-limit', message: /^\/linux\/resources\/memory\/limit: the new limit 524288 is below the current usage of 1048576 bytes/ });
  t.same(e.writes(), [], 'pids.max untouched: the check ran before the first write');
  set(e, { memory: { limit: 2 << 20, checkBeforeUpdate: true } });
  t.same(e.writes(), [`memory.limit_in_bytes=${2 << 20}`], 'a limit above the usage passes');

  const noSwap = { ...SEED, memory: { ...SEED.memory } };
  delete noSwap.memory['memory.memsw.limit_in_bytes'];
  const e2 = env(t, ['memory', 'pids'], noSwap);
  t.throws(() => set(e2, { pids: { limit: 9 }, memory: { limit: 1 << 20, swap: 2 << 20 } }), {
    code: 'cgroup-unsupported',
    message: /memory\/swap: this kernel does not account swap per cgroup/,
  });
  t.same(e2.writes(), []);
  const warnings = set(e2, { memory: { limit: 1 << 20, swap: 1 << 20 } });
  t.same(e2.writes(), [`memory.limit_in_bytes=${1 << 20}`], 'swap == limit (no swap) without memsw: limit only...');
  t.match(warnings, [/swap use is not restricted/], '...and a warning');
  set(e2, { memory: { limit: -1 } });
  t.same(e2.writes(), ['memory.limit_in_bytes=-1'], 'unlimited without memsw: no memsw write');
});

t.test('memory: useHierarchy false on a kernel that refuses it is explained', async (t) => {
  const e = env(t);
  e.failOnce.set('memory.use_hierarchy', 'EINVAL');
  t.throws(() => set(e, { memory: { useHierarchy: false } }), { message: /always accounts memory hierarchically/ });
});

t.test('cpu: shares, bandwidth, burst, idle, realtime', async (t) => {
  const e = env(t);
  set(e, { cpu: { shares: 512, quota: 50000, period: 200000, burst: 10000, idle: 0, realtimePeriod: 500000, realtimeRuntime: 1000 } });
  t.same(e.writes(), [
    'cpu.shares=512',
    'cpu.cfs_period_us=200000',
    'cpu.cfs_burst_us=10000',
    'cpu.cfs_quota_us=50000',
    'cpu.idle=0',
    'cpu.rt_period_us=500000', // the new period is above the current runtime: period first
    'cpu.rt_runtime_us=1000',
  ]);
  t.equal(e.read('cpu', 'cpu.shares'), '512');

  // A new period shorter than the current runtime: the runtime goes first.
  set(e, { cpu: { realtimePeriod: 800, realtimeRuntime: 500 } });
  t.same(e.writes(), ['cpu.rt_runtime_us=500', 'cpu.rt_period_us=800']);

  // EINVAL on the period (old quota / new period over the parent's): retried after the quota.
  e.failOnce.set('cpu.cfs_period_us', 'EINVAL');
  set(e, { cpu: { quota: 20000, period: 50000 } });
  t.same(e.writes(), ['cpu.cfs_quota_us=20000', 'cpu.cfs_period_us=50000']);
  // ...but without a quota in the same update there is nothing to wait for.
  e.failOnce.set('cpu.cfs_period_us', 'EINVAL');
  t.throws(() => set(e, { cpu: { period: 50000 } }), { errnoCode: 'EINVAL', message: /cpu\.cfs_period_us: EINVAL/ });
  e.failOnce.set('cpu.cfs_burst_us', 'EINVAL');
  set(e, { cpu: { quota: 30000, burst: 30000 } });
  t.same(e.writes(), ['cpu.cfs_quota_us=30000', 'cpu.cfs_burst_us=30000'], 'burst retried after the quota');

  set(e, { cpu: { quota: -1, idle: 1, shares: 0, period: 0 } });
  t.same(e.writes(), ['cpu.cfs_quota_us=-1', 'cpu.idle=1'], 'quota -1 is written; shares/period 0 mean unset');

  t.throws(() => set(e, { cpu: { shares: 1 } }), { code: 'cgroup-limit', message: /cpu\/shares: 1 is out of range, the minimum allowed cpu\.shares is 2/ });
  t.throws(() => set(e, { cpu: { shares: 300000 } }), { message: /the maximum allowed cpu\.shares is 262144/ });
});

t.test('cpu: kernels without burst, idle or realtime group scheduling', async (t) => {
  const old = { ...SEED, cpu: { 'cpu.shares': '1024', 'cpu.cfs_quota_us': '-1', 'cpu.cfs_period_us': '100000' } };
  const e = env(t, ['cpu', 'pids'], old);
  const warnings = set(e, { cpu: { quota: 50000, burst: 1000, idle: 0, realtimeRuntime: 0 } });
  t.same(e.writes(), ['cpu.cfs_quota_us=50000'], 'burst skipped, idle 0 and runtime 0 need no file');
  t.match(warnings, [/burst is ignored: this kernel has no cpu\.cfs_burst_us/]);
  t.throws(() => set(e, { pids: { limit: 3 }, cpu: { idle: 1 } }), { code: 'cgroup-unsupported', message: /cpu\/idle: this kernel has no cpu\.idle/ });
  t.throws(() => set(e, { pids: { limit: 3 }, cpu: { realtimeRuntime: 950000 } }), { message: /no realtime group scheduling/ });
  t.same(e.writes(), [], 'refused before the pids write');
});

t.test('cpuset: cpus then mems, parent named when the kernel refuses', async (t) => {
  const e = env(t);
  set(e, { cpu: { cpus: '1-2', mems: '0' } });
  t.same(e.writes(), ['cpuset.cpus=1-2', 'cpuset.mems=0']);
  set(e, { cpu: { mems: '0', shares: 100 } });
  t.same(e.writes(), ['cpuset.mems=0', 'cpu.shares=100'], 'cpuset before cpu (runc order), each only what is set');
  e.failOnce.set('cpuset.cpus', 'EINVAL');
  t.throws(() => set(e, { cpu: { cpus: '0-99' } }), { message: /subset of the parent cgroup's cpuset\.cpus \(0-3\)/ });
});

t.test('blkio: BFQ fallback for weights, per-device lines, throttles in order', async (t) => {
  const e = env(t);
  const bio = {
    weight: 300,
    weightDevice: [{ major: 8, minor: 0, weight: 500 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }, { major: 8, minor: 16, rate: 0 }],
    throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
  };
  set(e, { blockIO: bio });
  t.same(e.writes(), [
    'blkio.bfq.weight=300',
    'blkio.bfq.weight_device=8:0 500',
    'blkio.throttle.read_bps_device=8:0 1048576',
    'blkio.throttle.read_bps_device=8:16 0',
    'blkio.throttle.write_bps_device=8:0 2097152',
    'blkio.throttle.read_iops_device=8:0 100',
    'blkio.throttle.write_iops_device=8:0 200',
  ]);

  // With CFQ's files the classic names are used, leaf weights included.
  const cfq = { ...SEED, blkio: { ...SEED.blkio, 'blkio.weight': '500', 'blkio.weight_device': '', 'blkio.leaf_weight': '500', 'blkio.leaf_weight_device': '' } };
  const e2 = env(t, ['blkio'], cfq);
  set(e2, { blockIO: { weight: 200, leafWeight: 100, weightDevice: [{ major: 8, minor: 0, weight: 300, leafWeight: 50 }, { major: 8, minor: 16, leafWeight: 60 }] } });
  t.same(e2.writes(), [
    'blkio.weight=200',
    'blkio.leaf_weight=100',
    'blkio.weight_device=8:0 300',
    'blkio.leaf_weight_device=8:0 50',
    'blkio.leaf_weight_device=8:16 60',
  ]);

  t.throws(() => set(e, { pids: { limit: 3 }, blockIO: { leafWeight: 100 } }), { code: 'cgroup-unsupported', message: /leaf weights need the CFQ/ });
  t.same(e.writes(), []);
  e.failOnce.set('blkio.bfq.weight_device', 'EOPNOTSUPP');
  t.throws(() => set(e, { blockIO: { weightDevice: [{ major: 254, minor: 0, weight: 300 }] } }), { message: /I\/O scheduler does not support per-cgroup weights/ });
  e.failOnce.set('blkio.throttle.read_bps_device', 'ENODEV');
  t.throws(() => set(e, { blockIO: { throttleReadBpsDevice: [{ major: 9, minor: 9, rate: 5 }] } }), { message: /no block device with that major:minor/ });
});

t.test('hugetlb: kernel size names, reservation file when present, unknown size refused', async (t) => {
  const e = env(t);
  set(e, { hugepageLimits: [{ pageSize: '2048KB', limit: 4 << 21 }, { pageSize: '1GB', limit: 0 }] });
  t.same(e.writes(), [
    `hugetlb.2MB.limit_in_bytes=${4 << 21}`,
    `hugetlb.2MB.rsvd.limit_in_bytes=${4 << 21}`,
    'hugetlb.1GB.limit_in_bytes=0', // no rsvd file for 1GB here: fault accounting only
  ]);
  t.throws(() => set(e, { pids: { limit: 3 }, hugepageLimits: [{ pageSize: '64KB', limit: 1 }] }), {
    code: 'cgroup-unsupported',
    message: /hugepageLimits\/0\/pageSize: this host has no 64KB huge pages/,
  });
  t.same(e.writes(), []);
});

t.test('network and rdma', async (t) => {
  const e = env(t);
  set(e, { network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }, { name: 'lo', priority: 1 }] } });
  t.same(e.writes(), ['net_cls.classid=1048577', 'net_prio.ifpriomap=eth0 5', 'net_prio.ifpriomap=lo 1']);
  set(e, { rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 1000 } } });
  t.same(e.writes(), ['rdma.max=mlx5_1 hca_handle=3 hca_object=10000', 'rdma.max=mlx4_0 hca_object=1000']);
  e.failOnce.set('net_prio.ifpriomap', 'ENODEV');
  t.throws(() => set(e, { network: { priorities: [{ name: 'nope0', priority: 1 }] } }), { message: /no network interface "nope0"/ });
});

t.test('a controller the host lacks is refused by name before any write', async (t) => {
  const e = env(t, ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'devices']);
  const cases: Array<[LinuxResources, RegExp]> = [
    [{ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }, /^\/linux\/resources\/hugepageLimits: the hugetlb cgroup controller is not mounted on this host/],
    [{ network: { classID: 1 } }, /^\/linux\/resources\/network\/classID: the net_cls cgroup controller is not mounted/],
    [{ network: { priorities: [{ name: 'lo', priority: 1 }] } }, /^\/linux\/resources\/network\/priorities: the net_prio cgroup controller/],
    [{ rdma: { mlx5_0: { hcaHandles: 1 } } }, /^\/linux\/resources\/rdma: the rdma cgroup controller/],
  ];
  for (const [r, message] of cases) {
    const err = t.throws(() => set(e, { pids: { limit: 3 }, memory: { limit: 1 << 20 }, ...r }));
    t.type(err, CgroupError);
    t.match(err, { code: 'cgroup-missing', message });
  }
  t.same(e.writes(), [], 'nothing written');
  // Fields that ask for nothing need no controller.
  set(e, { network: { classID: 0, priorities: [] }, hugepageLimits: [], rdma: {}, memory: {} });
  t.same(e.writes(), []);
});

t.test('pure refusals and unified on v1', async (t) => {
  const e = env(t);
  t.throws(() => set(e, { pids: { limit: 3 }, unified: { 'memory.high': '1G' } }), UnsupportedError);
  t.throws(() => set(e, { pids: { limit: 3 }, memory: { swappiness: 101 } }), SpecError);
  t.same(e.writes(), []);
  set(e, { pids: { limit: 3 }, unified: {} });
  t.same(e.writes(), ['pids.max=3'], 'an empty unified map is fine');
});
