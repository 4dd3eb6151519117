// The split of create's cgroup join (src/container/cgroup-join.ts) on the fake cgroupfs: which
// directories the init stage joins right after its spawn and which on `hello`, for v1, hybrid and
// v2, with and without memory settings, and for a cgroup that existed before create.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { detectCgroupLayout } from '../../src/cgroups/detect';
import { makeFakeCgroupTree } from '../lib/fake-cgroupfs';
import { cgroupManagerFor } from '../../src/cgroups/manager';
import type { CgroupKind } from '../../src/cgroups/types';
import { planJoin, setsMemory } from '../../src/container/cgroup-join';

function made(t: Test, kind: CgroupKind, cgroupsPath?: string, before?: (root: string) => void) {
  const tree = makeFakeCgroupTree(kind);
  t.teardown(tree.cleanup);
  before?.(tree.root);
  const layout = detectCgroupLayout({ root: tree.root, mountinfo: tree.mountinfo });
  const m = cgroupManagerFor({ id: 'c1', cgroupsPath, layout, fs: tree.fs, deviceFilter: { attach: () => {} } });
  m.create();
  const rel = (dirs: string[]) => dirs.map((d) => path.relative(tree.root, d)).sort();
  return { tree, m, rel };
}

t.test('setsMemory: any memory field or a memory.* unified key', async (t) => {
  t.notOk(setsMemory(undefined));
  t.notOk(setsMemory({ pids: { limit: 1 }, devices: [] }));
  t.notOk(setsMemory({ memory: {} }), 'an empty memory object sets nothing');
  t.ok(setsMemory({ memory: { limit: 8 << 20 } }));
  t.ok(setsMemory({ memory: { reservation: 1 << 20 } }));
  t.ok(setsMemory({ unified: { 'memory.max': '8M' } }));
  t.notOk(setsMemory({ unified: { 'pids.max': '1' } }));
});

t.test('v1 without memory settings: every hierarchy joins early', async (t) => {
  const { m, rel } = made(t, 'v1');
  const plan = planJoin(m, { pids: { limit: 1 } });
  t.same(rel(plan.late), []);
  t.same(rel(plan.early), rel(m.placements().map((p) => p.dir)));
  t.ok(rel(plan.early).includes('memory/tsrun/c1'));
});

t.test('v1 with a memory limit: memory joins on hello, the rest early', async (t) => {
  const { m, rel } = made(t, 'v1');
  const plan = planJoin(m, { memory: { limit: 8 << 20 } });
  t.same(rel(plan.late), ['memory/tsrun/c1']);
  t.ok(rel(plan.early).includes('pids/tsrun/c1'));
  t.equal(plan.early.length + plan.late.length, m.placements().length, 'every directory exactly once');
});

t.test('hybrid with a memory limit: the cgroup2 directory joins early (memory is bound to v1)', async (t) => {
  const { m, rel } = made(t, 'hybrid');
  const plan = planJoin(m, { memory: { limit: 8 << 20 } });
  t.same(rel(plan.late), ['memory/tsrun/c1']);
  t.ok(rel(plan.early).includes('unified/tsrun/c1'));
});

t.test('v2: early without memory settings, on hello with them', async (t) => {
  const { m, rel } = made(t, 'v2');
  t.same(rel(planJoin(m, { pids: { limit: 1 } }).early), ['tsrun/c1']);
  t.same(rel(planJoin(m, { memory: { limit: 8 << 20 } }).late), ['tsrun/c1']);
  t.same(rel(planJoin(m, { unified: { 'memory.high': '8M' } }).late), ['tsrun/c1']);
});

t.test('a cgroup that existed before create (it may hold limits) is joined on hello', async (t) => {
  const { m, rel } = made(t, 'v1', '/existing/c1', (root) => {
    fs.mkdirSync(path.join(root, 'pids/existing/c1'), { recursive: true });
  });
  const plan = planJoin(m, undefined);
  t.same(rel(plan.late), ['pids/existing/c1']);
  t.notOk(rel(plan.early).includes('pids/existing/c1'));
  t.ok(rel(plan.early).includes('freezer/existing/c1'));
});

t.test('apply(pid, dirs) writes only those, and refuses a directory that is not the container\'s', async (t) => {
  const { tree, m } = made(t, 'v1');
  const plan = planJoin(m, { memory: { limit: 8 << 20 } });
  tree.writes.length = 0;
  m.apply(42, plan.early);
  t.same(tree.writes.filter((w) => w.file.endsWith('cgroup.procs')).length, plan.early.length);
  t.notOk(tree.writes.some((w) => w.file.startsWith('memory/')), 'memory not joined yet');
  m.apply(42, plan.late);
  t.ok(tree.writes.some((w) => w.file === 'memory/tsrun/c1/cgroup.procs'), 'memory joined on hello');
  t.throws(() => m.apply(42, ['/sys/fs/cgroup/pids']), /not one of this container's cgroup directories/);
});
