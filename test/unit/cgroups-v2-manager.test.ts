// V2CgroupManager beyond the controller files: stats() and oomKillCount() read from the fake
// cgroupfs in runc's Stats shape, set() reached through the cgroupManagerFor factory, the warn
// parameter, and controller enabling at create.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { cgroupPathsFor } from '../../src/cgroups/cgroups-path';
import { detectCgroupLayout } from '../../src/cgroups/detect';
import { makeFakeCgroupTree } from '../lib/fake-cgroupfs';
import { cgroupManagerFor } from '../../src/cgroups/manager';
import { addV2ControllerFiles, setFakeFile } from '../lib/fake-v2-files';
import { V2CgroupManager } from '../../src/cgroups/v2/manager';
import { UNLIMITED } from '../../src/cgroups/v2/stat-files';

function fakeV2(t: Test, extra: string[] = []) {
  const tree = makeFakeCgroupTree('v2');
  t.teardown(tree.cleanup);
  if (extra.length > 0) fs.appendFileSync(path.join(tree.root, 'cgroup.controllers'), ` ${extra.join(' ')}`);
  const layout = detectCgroupLayout({ root: tree.root, mountinfo: tree.mountinfo });
  return { tree, layout, record: cgroupPathsFor(layout, '/tsrun/s1') };
}

t.test('stats(): every v2 file mapped to runc\'s events shape', async (t) => {
  const { tree, record } = fakeV2(t, ['hugetlb']);
  const m = new V2CgroupManager(tree.fs, record, { hugePageSizes: () => ['2MB', '1GB'] });
  m.create();
  const dir = record.paths.unified;
  t.same(fs.readFileSync(path.join(tree.root, 'tsrun/cgroup.subtree_control'), 'utf8').split(' ').sort(), ['cpu', 'cpuset', 'hugetlb', 'io', 'memory', 'pids'], 'create enabled every offered controller');
  addV2ControllerFiles(dir, ['memory', 'cpu', 'io', 'pids', 'hugetlb']);
  setFakeFile(dir, 'memory.current', '1000\n');
  setFakeFile(dir, 'memory.max', '2000\n');
  setFakeFile(dir, 'memory.peak', '1500\n');
  setFakeFile(dir, 'memory.stat', 'anon 10\nfile 20\nkernel 5\n');
  setFakeFile(dir, 'memory.events', 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n');
  setFakeFile(dir, 'memory.swap.current', '100\n');
  setFakeFile(dir, 'memory.swap.max', '500\n');
  setFakeFile(dir, 'memory.swap.events', 'high 0\nmax 4\nfail 0\n');
  setFakeFile(dir, 'cpu.stat', 'usage_usec 30\nuser_usec 20\nsystem_usec 10\ncore_sched.force_idle_usec 0\nnr_periods 7\nnr_throttled 2\nthrottled_usec 5\nnr_bursts 0\nburst_usec 0\n');
  setFakeFile(dir, 'pids.current', '3\n');
  setFakeFile(dir, 'pids.max', '10\n');
  setFakeFile(dir, 'io.stat', '8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n8:16 rbytes=5 wbytes=6 rios=7 wios=8 dbytes=9 dios=1\n');
  setFakeFile(dir, 'hugetlb.2MB.rsvd.current', '2097152\n');
  setFakeFile(dir, 'hugetlb.2MB.current', '0\n');
  setFakeFile(dir, 'hugetlb.2MB.events', 'max 1\n');
  setFakeFile(dir, 'hugetlb.1GB.current', '1073741824\n');
  t.same(m.stats(), {
    cpu: {
      usage: { total: 30000, kernel: 10000, user: 20000 },
      throttling: { periods: 7, throttledPeriods: 2, throttledTime: 5000 },
    },
    memory: {
      usage: { usage: 1000, limit: 2000, max: 1500, failcnt: 3 },
      raw: { anon: 10, file: 20, kernel: 5 },
      cache: 20,
      swap: { usage: 1100, limit: 2500, failcnt: 4 },
    },
    pids: { current: 3, limit: 10 },
    blkio: {
      ioServiceBytesRecursive: [
        { major: 8, minor: 0, op: 'Read', value: 1 },
        { major: 8, minor: 0, op: 'Write', value: 2 },
        { major: 8, minor: 16, op: 'Read', value: 5 },
        { major: 8, minor: 16, op: 'Write', value: 6 },
      ],
      ioServicedRecursive: [
        { major: 8, minor: 0, op: 'Read', value: 3 },
        { major: 8, minor: 0, op: 'Write', value: 4 },
        { major: 8, minor: 16, op: 'Read', value: 7 },
        { major: 8, minor: 16, op: 'Write', value: 8 },
      ],
    },
    hugetlb: { '2MB': { usage: 2097152, failcnt: 1 }, '1GB': { usage: 1073741824, failcnt: 0 } },
  });
  t.equal(m.oomKillCount(), 2, 'memory.events oom_kill');

  setFakeFile(dir, 'memory.max', 'max\n');
  setFakeFile(dir, 'memory.swap.max', 'max\n');
  setFakeFile(dir, 'pids.max', 'max\n');
  const s = m.stats();
  t.equal(s.memory.usage?.limit, UNLIMITED, '"max" memory limit');
  t.equal(s.memory.swap?.limit, UNLIMITED, 'unlimited swap stays unlimited, not max + memory');
  t.equal(s.pids.limit, UNLIMITED);
  t.ok(JSON.stringify(s).includes(`"limit":${Number.MAX_SAFE_INTEGER}`), 'serialises as an exact integer');
});

t.test('stats(): without controller files only what exists is reported; pids fall back to cgroup.procs', async (t) => {
  const { tree, record } = fakeV2(t);
  const m = new V2CgroupManager(tree.fs, record, { hugePageSizes: () => ['2MB'] });
  m.create();
  const dir = record.paths.unified;
  fs.unlinkSync(path.join(dir, 'pids.max'));
  fs.writeFileSync(path.join(dir, 'cgroup.procs'), '11\n12\n');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub/cgroup.procs'), '13\n');
  t.same(m.stats(), { cpu: {}, memory: {}, pids: { current: 3 }, blkio: {}, hugetlb: {} });
  t.equal(m.oomKillCount(), 0);
});

t.test('the factory builds a v2 manager whose set() applies the v2 controllers', async (t) => {
  const { tree, layout } = fakeV2(t);
  const m = cgroupManagerFor({ id: 'f1', layout, fs: tree.fs });
  m.create();
  const dir = m.paths().paths.unified;
  addV2ControllerFiles(dir, ['memory', 'cpu']);
  const warnings: string[] = [];
  m.set({ memory: { limit: 1 << 20, swappiness: 10 }, cpu: { shares: 512 } }, (w) => warnings.push(w));
  t.equal(fs.readFileSync(path.join(dir, 'memory.max'), 'utf8'), String(1 << 20));
  t.equal(fs.readFileSync(path.join(dir, 'cpu.weight'), 'utf8'), '59', 'shares 512 -> weight 59');
  t.match(warnings, [/swappiness is ignored/], 'warnings go to the warn given to set()');
  m.set(undefined);
});
