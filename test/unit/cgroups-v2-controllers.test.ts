// Every file the cgroup v2 controllers write, through V2CgroupManager.set() on the fake cgroupfs
// (test/lib/fake-cgroupfs.ts + fake-v2-files.ts): values, conversions, order, refusals.
// A refused config must leave the write log empty.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import type { CgroupFs } from '../../src/cgroups/cgroupfs';
import { cgroupPathsFor } from '../../src/cgroups/cgroups-path';
import { detectCgroupLayout } from '../../src/cgroups/detect';
import { deviceFilterProgram } from '../../src/cgroups/ebpf';
import { CgroupError } from '../../src/cgroups/errors';
import { type FakeCgroupTree, makeFakeCgroupTree } from '../lib/fake-cgroupfs';
import { addV2ControllerFiles, setFakeFile } from '../lib/fake-v2-files';
import { V2CgroupManager } from '../../src/cgroups/v2/manager';
import { SpecError, UnsupportedError } from '../../src/errors';

interface Setup {
  tree: FakeCgroupTree;
  m: V2CgroupManager;
  dir: string;
  attached: Array<{ dir: string; insns: Buffer }>;
  warnings: string[];
  /** Writes since setup, as "file=data" with paths relative to the fake root. */
  log: () => string[];
}

/** A created v2 container cgroup "tsrun/c1" with the usual controller files. */
function setup(t: Test, opts: { extraControllers?: string[]; wrap?: (cfs: CgroupFs) => CgroupFs } = {}): Setup {
  const tree = makeFakeCgroupTree('v2');
  t.teardown(tree.cleanup);
  const extra = opts.extraControllers ?? [];
  if (extra.length > 0) fs.appendFileSync(path.join(tree.root, 'cgroup.controllers'), ` ${extra.join(' ')}`);
  const layout = detectCgroupLayout({ root: tree.root, mountinfo: tree.mountinfo });
  const record = cgroupPathsFor(layout, '/tsrun/c1');
  const attached: Setup['attached'] = [];
  const warnings: string[] = [];
  const cfs = opts.wrap ? opts.wrap(tree.fs) : tree.fs;
  const m = new V2CgroupManager(cfs, record, {
    deviceFilter: { attach: (dir, insns) => attached.push({ dir, insns }) },
    hugePageSizes: () => ['2MB', '1GB'],
    warn: (w) => warnings.push(w),
  });
  m.create();
  const dir = record.paths.unified;
  addV2ControllerFiles(dir, ['memory', 'cpu', 'cpuset', 'io', 'pids', ...extra]);
  tree.writes.length = 0;
  return { tree, m, dir, attached, warnings, log: () => tree.writes.map((w) => `${w.file}=${w.data}`) };
}
const L = 'tsrun/c1/';

t.test('memory: swap, max, low in runc order; conversions; warnings for what v2 ignores', async (t) => {
  const s = setup(t);
  s.m.set({ memory: { limit: 1000, reservation: 500, swap: 3000 } });
  t.same(s.log(), [`${L}memory.swap.max=2000`, `${L}memory.max=1000`, `${L}memory.low=500`], 'swap.max is swap minus limit');
  s.tree.writes.length = 0;
  s.m.set({ memory: { limit: -1 } });
  t.same(s.log(), [`${L}memory.swap.max=max`, `${L}memory.max=max`], '-1: both unlimited');
  s.tree.writes.length = 0;
  s.m.set({ memory: { limit: 4096, swap: 4096 } });
  t.same(s.log(), [`${L}memory.swap.max=0`, `${L}memory.max=4096`], 'swap == limit: no swap');
  s.tree.writes.length = 0;
  s.m.set({ memory: { swappiness: 60, kernel: 1 << 20, kernelTCP: 1 << 20, disableOOMKiller: true, useHierarchy: false } });
  t.same(s.log(), [], 'nothing to write');
  t.equal(s.warnings.length, 5, 'one warning per ignored field');
  t.match(s.warnings.join('\n'), /swappiness is ignored.*\n.*kernel is ignored.*\n.*kernelTCP is ignored.*\n.*disableOOMKiller is ignored.*\n.*always hierarchical/);
  t.throws(() => s.m.set({ memory: { limit: 2000, swap: 1000 } }), { code: 'invalid-config', pointer: '/linux/resources/memory/swap' });
  t.throws(() => s.m.set({ memory: { swap: 1000 } }), /without a memory limit/);
  t.throws(() => s.m.set({ memory: { swappiness: 101 } }), { code: 'invalid-config', pointer: '/linux/resources/memory/swappiness' });
  t.same(s.log(), [], 'refusals wrote nothing');
});

t.test('memory: no swap accounting; checkBeforeUpdate against memory.current', async (t) => {
  const s = setup(t);
  fs.unlinkSync(path.join(s.dir, 'memory.swap.max'));
  s.m.set({ memory: { limit: 1000, swap: -1 } });
  t.same(s.log(), [`${L}memory.max=1000`], 'unlimited swap needs no memory.swap.max');
  t.throws(() => s.m.set({ memory: { limit: 1000, swap: 3000 } }), { code: 'cgroup', errnoCode: 'ENOENT' }, 'a real swap limit does');
  s.tree.writes.length = 0;
  setFakeFile(s.dir, 'memory.current', '5000\n');
  t.throws(() => s.m.set({ pids: { limit: 9 }, memory: { limit: 4000, checkBeforeUpdate: true } }), {
    code: 'cgroup-limit',
    message: /refusing memory limit 4000, lower than the current usage 5000/,
  });
  t.same(s.log(), [], 'checked before the pids write too');
  s.m.set({ memory: { limit: 4000 } });
  t.same(s.log(), [`${L}memory.max=4000`], 'without checkBeforeUpdate the kernel decides (it reclaims)');
  s.tree.writes.length = 0;
  setFakeFile(s.dir, 'memory.swap.current', '2000\n');
  setFakeFile(s.dir, 'memory.swap.max', 'max\n');
  t.throws(() => s.m.set({ memory: { limit: 6000, swap: 6500, checkBeforeUpdate: true } }), /memory\+swap limit 6500, lower than the current usage 7000/);
  s.m.set({ memory: { limit: 6000, swap: 8000, checkBeforeUpdate: true } });
  t.same(s.log(), [`${L}memory.swap.max=2000`, `${L}memory.max=6000`]);
});

t.test('cpu: weight from shares, cpu.max, burst, idle; realtime refused', async (t) => {
  const s = setup(t);
  s.m.set({ cpu: { shares: 1024, quota: 50000, period: 200000, burst: 10000 } });
  t.same(s.log(), [`${L}cpu.weight=100`, `${L}cpu.max.burst=10000`, `${L}cpu.max=50000 200000`]);
  s.tree.writes.length = 0;
  s.m.set({ cpu: { quota: 20000 } });
  t.same(s.log(), [`${L}cpu.max=20000 200000`], 'period kept from the current cpu.max');
  s.tree.writes.length = 0;
  s.m.set({ cpu: { shares: 2, idle: 1 } });
  t.same(s.log(), [`${L}cpu.idle=1`], 'no cpu.weight while idle (the kernel refuses it)');
  s.tree.writes.length = 0;
  s.m.set({ cpu: { shares: 262144, idle: 0 } });
  t.same(s.log(), [`${L}cpu.idle=0`, `${L}cpu.weight=10000`]);
  t.throws(() => s.m.set({ cpu: { realtimeRuntime: 950000, realtimePeriod: 1000000 } }), UnsupportedError);
  t.throws(() => s.m.set({ cpu: { realtimePeriod: 1000000 } }), { code: 'unsupported', pointer: '/linux/resources/cpu/realtimePeriod' });
  t.throws(() => s.m.set({ cpu: { quota: 1000, burst: 2000 } }), { pointer: '/linux/resources/cpu/burst', message: /must not exceed the quota/ });
  t.throws(() => s.m.set({ cpu: { quota: -1, burst: 2000 } }), { code: 'invalid-config', pointer: '/linux/resources/cpu/burst' });
  t.throws(() => s.m.set({ cpu: { idle: 2 } }), { code: 'invalid-config', pointer: '/linux/resources/cpu/idle' });
  s.tree.writes.length = 0;
  s.m.set({ cpu: { realtimeRuntime: 0, realtimePeriod: 0 } });
  t.same(s.log(), [], 'zero realtime values ask for nothing');
});

t.test('cpu: a burst the kernel refuses before the new quota is retried after cpu.max (as runc)', async (t) => {
  let refused = 0;
  const s = setup(t, {
    wrap: (cfs) => ({
      ...cfs,
      write(file, data) {
        if (file.endsWith('cpu.max.burst') && refused++ === 0) {
          throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' });
        }
        cfs.write(file, data);
      },
    }),
  });
  s.m.set({ cpu: { quota: 80000, burst: 60000 } });
  t.same(s.log(), [`${L}cpu.max=80000 100000`, `${L}cpu.max.burst=60000`]);
  refused = 0;
  t.throws(() => s.m.set({ cpu: { burst: 60000 } }), { code: 'cgroup', errnoCode: 'EINVAL' }, 'without a quota to write there is no retry');
});

t.test('cpuset: cpus and mems', async (t) => {
  const s = setup(t);
  s.m.set({ cpu: { cpus: '0-1,3', mems: '0' } });
  t.same(s.log(), [`${L}cpuset.cpus=0-1,3`, `${L}cpuset.mems=0`]);
  s.tree.writes.length = 0;
  s.m.set({ cpu: { cpus: '' } });
  t.same(s.log(), [], 'empty means unset');
  t.throws(() => s.m.set({ cpu: { cpus: '0-3\n+memory' } }), { code: 'invalid-config', pointer: '/linux/resources/cpu/cpus' });
  t.throws(() => s.m.set({ cpu: { mems: 'all' } }), { code: 'invalid-config', pointer: '/linux/resources/cpu/mems' });
});

t.test('io: weights to io.weight (converted) and io.bfq.weight (as is), throttles to io.max', async (t) => {
  const s = setup(t);
  s.m.set({
    blockIO: {
      weight: 500,
      weightDevice: [{ major: 8, minor: 0, weight: 1000 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 0 }],
    },
  });
  t.same(s.log(), [`${L}io.weight=4950`, `${L}io.weight=8:0 10000`, `${L}io.max=8:0 rbps=1048576`, `${L}io.max=8:16 wiops=max`]);
  setFakeFile(s.dir, 'io.bfq.weight', 'default 100\n');
  s.tree.writes.length = 0;
  s.m.set({ blockIO: { weight: 10, weightDevice: [{ major: 8, minor: 0, weight: 300 }] } });
  t.same(s.log(), [`${L}io.weight=1`, `${L}io.weight=8:0 2930`, `${L}io.bfq.weight=10`, `${L}io.bfq.weight=8:0 300`], 'BFQ gets the v1 range unconverted');
  fs.unlinkSync(path.join(s.dir, 'io.weight'));
  setFakeFile(s.dir, 'io.bfq.weight', '100\n');
  s.tree.writes.length = 0;
  t.throws(() => s.m.set({ blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 300 }] } }), /takes no per-device weights/);
  fs.unlinkSync(path.join(s.dir, 'io.bfq.weight'));
  t.throws(() => s.m.set({ blockIO: { weight: 100 } }), { code: 'cgroup-missing', message: /neither io.weight.*nor io.bfq.weight/ });
  t.throws(() => s.m.set({ blockIO: { leafWeight: 300 } }), { code: 'unsupported', pointer: '/linux/resources/blockIO/leafWeight' });
  t.throws(() => s.m.set({ blockIO: { weightDevice: [{ major: 8, minor: 0, leafWeight: 300 }] } }), { code: 'unsupported', pointer: '/linux/resources/blockIO/weightDevice/0/leafWeight' });
  t.throws(() => s.m.set({ blockIO: { weightDevice: [{ major: 8, minor: 0 }] } }), { code: 'invalid-config', pointer: '/linux/resources/blockIO/weightDevice/0' });
  t.throws(() => s.m.set({ blockIO: { weight: 5 } }), { code: 'invalid-config', pointer: '/linux/resources/blockIO/weight' });
  t.throws(() => s.m.set({ blockIO: { throttleReadBpsDevice: [{ major: -1, minor: 0, rate: 1 }] } }), { code: 'invalid-config', pointer: '/linux/resources/blockIO/throttleReadBpsDevice/0/major' });
  t.same(s.log(), []);
});

t.test('hugetlb: .max and .rsvd.max where it exists; sizes normalised; unknown sizes refused first', async (t) => {
  const s = setup(t, { extraControllers: ['hugetlb'] });
  s.m.set({ hugepageLimits: [{ pageSize: '2MB', limit: 209715200 }, { pageSize: '1024MB', limit: 1073741824 }] });
  t.same(s.log(), [`${L}hugetlb.2MB.max=209715200`, `${L}hugetlb.2MB.rsvd.max=209715200`, `${L}hugetlb.1GB.max=1073741824`], '1GB has no rsvd file in this fake');
  s.tree.writes.length = 0;
  t.throws(() => s.m.set({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }, { pageSize: '64KB', limit: 1 }] }), {
    code: 'cgroup-unsupported',
    message: /hugepageLimits\/1\/pageSize: this host has no such huge pages/,
  });
  t.throws(() => s.m.set({ hugepageLimits: [{ pageSize: '2M', limit: 1 }] }), SpecError);
  t.throws(() => s.m.set({ hugepageLimits: [{ pageSize: '../../x', limit: 1 }] }), SpecError);
  t.same(s.log(), []);
});

t.test('rdma: one rdma.max line per device', async (t) => {
  const s = setup(t, { extraControllers: ['rdma'] });
  s.m.set({ rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, rxe3: { hcaObjects: 10000 } } });
  t.same(s.log(), [`${L}rdma.max=mlx5_1 hca_handle=3 hca_object=10000`, `${L}rdma.max=rxe3 hca_object=10000`]);
});

t.test('network (net_cls, net_prio) is refused on v2; empty values pass', async (t) => {
  const s = setup(t);
  t.throws(() => s.m.set({ network: { classID: 1048577 } }), { pointer: '/linux/resources/network/classID', code: 'unsupported' });
  t.throws(() => s.m.set({ network: { priorities: [{ name: 'eth0', priority: 500 }] } }), { code: 'unsupported', pointer: '/linux/resources/network/priorities' });
  s.m.set({ network: { classID: 0, priorities: [] } });
  t.same(s.log(), []);
});

t.test('pids and devices: pids.max, the device program goes to the attacher', async (t) => {
  const s = setup(t);
  const rules = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c' as const, major: 10, minor: 200, access: 'rw' }];
  s.m.set({ pids: { limit: 7 }, devices: rules });
  t.same(s.log(), [`${L}pids.max=7`]);
  t.equal(s.attached.length, 1);
  t.equal(s.attached[0].dir, s.dir, 'attached to the container cgroup');
  t.same(s.attached[0].insns, deviceFilterProgram(rules), 'the program for the rules plus defaults');
  s.m.set({ pids: { limit: -1 } });
  t.equal(s.attached.length, 1, 'no devices field: no program (as on v1)');
  t.throws(() => s.m.set({ pids: { limit: 3 }, devices: [{ allow: true, access: 'rwz' }] }), { code: 'invalid-config', pointer: '/linux/resources/devices/0/access' });
  t.same(s.log(), [`${L}pids.max=7`, `${L}pids.max=max`], 'the bad device rule stopped the pids write too');
});

t.test('unified: written last and line by line; controllers enabled; bad keys and absent controllers refused', async (t) => {
  const s = setup(t);
  s.m.set({ memory: { limit: 1000 }, unified: { 'memory.max': '2000', 'io.max': '259:0 rbps=2097152 wiops=120\n253:0 rbps=2097152 wiops=120' } });
  t.same(s.log(), [
    `${L}memory.max=1000`,
    `${L}memory.max=2000`,
    `${L}io.max=259:0 rbps=2097152 wiops=120`,
    `${L}io.max=253:0 rbps=2097152 wiops=120`,
  ], 'the explicit unified value wins over the converted one');
  // The parent stops passing memory down: set() enables it again before writing.
  s.tree.fs.write(path.join(s.tree.root, 'tsrun/cgroup.subtree_control'), '-memory');
  s.tree.writes.length = 0;
  s.m.set({ unified: { 'memory.high': '5000' } });
  t.same(s.log(), ['tsrun/cgroup.subtree_control=+memory', `${L}memory.high=5000`]);
  s.tree.writes.length = 0;
  for (const key of ['../memory.max', 'memory/../../x', '.', '..', 'nodot', 'cgroup.procs', 'cgroup.subtree_control', 'cgroup.kill', 'cgroup.freeze']) {
    t.throws(() => s.m.set({ unified: { [key]: '1' } }), SpecError, `key ${JSON.stringify(key)} refused`);
  }
  t.throws(() => s.m.set({ unified: { 'memory.high': '' } }), /must not be empty/);
  t.throws(() => s.m.set({ unified: { 'memory.high': '1', 'hugetlb.2MB.max': '1' } }), {
    code: 'cgroup-missing',
    message: /unified\/hugetlb.2MB.max: it refers to the cgroup v2 controller "hugetlb", which is not present/,
  });
  t.same(s.log(), [], 'nothing written for any refusal');
  setFakeFile(s.dir, 'cgroup.max.depth', 'max\n');
  setFakeFile(s.dir, 'irq.pressure', '');
  s.m.set({ unified: { 'cgroup.max.depth': '3', 'irq.pressure': 'full 150000 1000000' } });
  t.same(s.log(), [`${L}cgroup.max.depth=3`, `${L}irq.pressure=full 150000 1000000`], 'core keys, and files of no controller (PSI), are written as given');
});

t.test('a controller that cannot be enabled, or that the host lacks, is an error naming it', async (t) => {
  const s = setup(t, {
    wrap: (cfs) => ({
      ...cfs,
      write(file, data) {
        if (file.endsWith('tsrun/cgroup.subtree_control') && data === '+memory') throw Object.assign(new Error('EBUSY'), { code: 'EBUSY' });
        cfs.write(file, data);
      },
    }),
  });
  s.tree.fs.write(path.join(s.tree.root, 'tsrun/cgroup.subtree_control'), '-memory');
  s.tree.writes.length = 0;
  t.throws(() => s.m.set({ pids: { limit: 4 }, memory: { limit: 1000 } }), {
    code: 'cgroup-missing',
    message: /"memory" controller cannot be enabled in .*tsrun\/cgroup.subtree_control: EBUSY \(that cgroup holds processes itself/,
  });
  t.throws(() => s.m.set({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }), {
    code: 'cgroup-missing',
    message: /the cgroup v2 "hugetlb" controller is not available in/,
  });
  t.same(s.log(), [], 'pids.max untouched: the controller check runs before any write');
  t.type(new CgroupError('x'), CgroupError);
});
