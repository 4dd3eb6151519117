// The managers against a fake cgroupfs (test/lib/fake-cgroupfs.ts) for v1, hybrid and v2:
// which dirs are created and removed, what is written where and in which order, refusals, and
// (v2) the device program handed to a recording filter attacher.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { CgroupError } from '../../src/cgroups/errors';
import { detectCgroupLayout } from '../../src/cgroups/detect';
import { removeCreatedDirs } from '../../src/cgroups/dirs';
import { type FakeCgroupTree, makeFakeCgroupTree } from '../lib/fake-cgroupfs';
import { killAll } from '../../src/cgroups/kill';
import { deviceAllowed, deviceFilterProgram, emulateDeviceRules } from '../../src/cgroups/ebpf';
import { ACC_READ, ACC_WRITE } from '../../src/cgroups/ebpf/device-rules';
import { cgroupManagerFor } from '../../src/cgroups/manager';
import type { CgroupKind } from '../../src/cgroups/types';
import { UnsupportedError } from '../../src/errors';

interface Attached {
  dir: string;
  insns: Buffer;
}
function setup(
  t: Test,
  kind: CgroupKind,
): { tree: FakeCgroupTree; attached: Attached[]; make: (id: string, cgroupsPath?: string) => ReturnType<typeof cgroupManagerFor> } {
  const tree = makeFakeCgroupTree(kind);
  t.teardown(tree.cleanup);
  const layout = detectCgroupLayout({ root: tree.root, mountinfo: tree.mountinfo });
  // A recording v2 device filter: the fake cgroupfs is no cgroup2 mount, so bpf(2) cannot attach there.
  const attached: Attached[] = [];
  const deviceFilter = { attach: (dir: string, insns: Buffer) => void attached.push({ dir, insns }) };
  return { tree, attached, make: (id, cgroupsPath) => cgroupManagerFor({ id, cgroupsPath, layout, fs: tree.fs, deviceFilter }) };
}
const read = (tree: FakeCgroupTree, rel: string) => fs.readFileSync(path.join(tree.root, rel), 'utf8').trim();
const exists = (tree: FakeCgroupTree, rel: string) => fs.existsSync(path.join(tree.root, rel));
const V1_DIRS = ['cpu,cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids', 'systemd'];

t.test('v1: create makes the cgroup in every hierarchy and records every dir it made', async (t) => {
  const { tree, make } = setup(t, 'v1');
  const m = make('c1');
  t.equal(m.kind, 'v1');
  m.create();
  for (const d of V1_DIRS) t.ok(exists(tree, `${d}/tsrun/c1`), d);
  const rec = m.paths();
  t.equal(rec.paths.cpu, rec.paths.cpuacct, 'co-mounted controllers share a dir');
  t.equal(rec.paths.pids, path.join(tree.root, 'pids/tsrun/c1'));
  t.equal(rec.createdDirs.length, V1_DIRS.length * 2, 'leaf and the tsrun parent, once per hierarchy');
  t.ok(rec.createdDirs.includes(path.join(tree.root, 'pids/tsrun')), 'intermediate parent recorded');
  t.equal(read(tree, 'cpuset/tsrun/cpuset.cpus'), '0-3', 'cpuset parent inherited');
  t.equal(read(tree, 'cpuset/tsrun/c1/cpuset.mems'), '0', 'cpuset leaf inherited');
  t.same(JSON.parse(JSON.stringify(rec)), rec, 'record survives JSON');
});

t.test('v1: apply, set, freeze, pids', async (t) => {
  const { tree, make } = setup(t, 'v1');
  const m = make('c1');
  m.create();
  tree.writes.length = 0;
  m.apply(4242);
  const procWrites = tree.writes.filter((w) => w.file.endsWith('cgroup.procs'));
  t.same(procWrites.map((w) => w.data), V1_DIRS.map(() => '4242'), 'one write per distinct dir');
  t.equal(read(tree, 'systemd/tsrun/c1/cgroup.procs'), '4242', 'named systemd hierarchy joined too');
  t.same(m.pids(), [4242]);

  tree.writes.length = 0;
  m.set({ pids: { limit: 5 }, devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }] });
  t.equal(read(tree, 'pids/tsrun/c1/pids.max'), '5');
  const dev = tree.writes.filter((w) => w.file.startsWith('devices/'));
  t.same(dev.slice(0, 4), [
    { file: 'devices/tsrun/c1/devices.deny', data: 'a *:* rwm' }, // tsrun's own deny-all start
    { file: 'devices/tsrun/c1/devices.deny', data: 'a *:* rwm' }, // config rule 0
    { file: 'devices/tsrun/c1/devices.allow', data: 'c 10:229 rw' },
    { file: 'devices/tsrun/c1/devices.allow', data: 'c *:* m' },
  ]);
  t.equal(dev.length, 1 + 2 + 10, 'deny-all, the config rules, then the ten defaults');
  m.set({ pids: { limit: -1 } });
  t.equal(read(tree, 'pids/tsrun/c1/pids.max'), 'max');
  m.set({ pids: { limit: 0 } });
  t.equal(read(tree, 'pids/tsrun/c1/pids.max'), '0');

  tree.freezingPolls = 3;
  t.equal(m.freezerState(), 'thawed');
  m.freeze('frozen');
  t.equal(m.freezerState(), 'frozen');
  t.equal(read(tree, 'freezer/tsrun/c1/freezer.state'), 'FROZEN');
  m.freeze('thawed');
  t.equal(m.freezerState(), 'thawed');

  // A sub-cgroup made inside the container counts too.
  fs.mkdirSync(path.join(tree.root, 'pids/tsrun/c1/sub'));
  fs.writeFileSync(path.join(tree.root, 'pids/tsrun/c1/sub/cgroup.procs'), '7\n9\n');
  t.same(m.pids(), [7, 9, 4242]);
});

t.test('v1: a refused resource writes nothing at all', async (t) => {
  const { tree, make } = setup(t, 'v1');
  const m = make('c1');
  m.create();
  tree.writes.length = 0;
  const err = t.throws(() => m.set({ pids: { limit: 5 }, devices: [{ allow: false }], unified: { 'memory.high': '1' } }));
  t.type(err, UnsupportedError);
  t.match(err, { pointer: '/linux/resources/unified' });
  t.throws(() => m.set({ pids: { limit: 5 }, devices: [{ allow: false }, { allow: true, access: 'q' }] }), { pointer: '/linux/resources/devices/1/access', message: /"q"/ });
  t.same(tree.writes, []);
  t.doesNotThrow(() => m.set(undefined));
});

t.test('v1: destroy removes only what create made, deepest first, and is idempotent', async (t) => {
  const { tree, make } = setup(t, 'v1');
  fs.mkdirSync(path.join(tree.root, 'pids/tsrun')); // someone else's parent, in one hierarchy only
  const m = make('c1');
  m.create();
  t.notOk(m.paths().createdDirs.includes(path.join(tree.root, 'pids/tsrun')), 'pre-existing parent not recorded');
  m.apply(99);
  fs.writeFileSync(path.join(tree.root, 'pids/tsrun/c1/cgroup.procs'), ''); // the process exited
  for (const d of V1_DIRS.filter((x) => x !== 'pids')) fs.writeFileSync(path.join(tree.root, d, 'tsrun/c1/cgroup.procs'), '');
  tree.busyRmdirs.set('memory/tsrun/c1', 2); // still exiting for two attempts
  m.destroy();
  for (const d of V1_DIRS) t.notOk(exists(tree, `${d}/tsrun/c1`), `${d} leaf removed`);
  // An empty "tsrun" base is tsrun's own subtree: the last container out removes it, whoever
  // made it (a container deleted earlier, while others still lived in it). See the next test for
  // a parent outside that subtree.
  t.notOk(exists(tree, 'pids/tsrun'), 'the empty shared tsrun base is removed by the last container out');
  for (const d of V1_DIRS.filter((x) => x !== 'pids')) t.notOk(exists(tree, `${d}/tsrun`), `${d} parent tsrun made is removed`);
  t.same(m.paths().createdDirs, []);
  t.doesNotThrow(() => m.destroy(), 'second destroy is a no-op');
  t.ok(exists(tree, 'pids'), 'hierarchy roots untouched');
});

t.test('v1: a parent outside the tsrun subtree that tsrun did not make is kept', async (t) => {
  const { tree, make } = setup(t, 'v1');
  fs.mkdirSync(path.join(tree.root, 'pids/outside'));
  const m = make('c1', '/outside/c1');
  m.create();
  fs.writeFileSync(path.join(tree.root, 'pids/outside/c1/cgroup.procs'), '');
  m.destroy();
  t.notOk(exists(tree, 'pids/outside/c1'), 'leaf removed');
  t.ok(exists(tree, 'pids/outside'), 'someone else\'s parent kept');
});

t.test('v1: a shared parent stays while another container uses it', async (t) => {
  const { tree, make } = setup(t, 'v1');
  const a = make('a');
  a.create();
  const b = make('b');
  b.create();
  t.equal(b.paths().createdDirs.length, V1_DIRS.length, 'b made only its leaves');
  a.destroy();
  t.ok(exists(tree, 'pids/tsrun/b'));
  t.same(a.paths().createdDirs.filter((d) => d.endsWith('/a')), [], 'a removed its leaves');
  t.equal(a.paths().createdDirs.length, V1_DIRS.length, 'a still owns the shared parents, for a later retry');
  b.destroy();
  a.destroy(); // now the parents are empty and a may remove them
  for (const d of V1_DIRS) t.notOk(exists(tree, `${d}/tsrun`), d);
});

t.test('v1: the container sub-cgroups go with its leaf', async (t) => {
  const { tree, make } = setup(t, 'v1');
  const m = make('c1');
  m.create();
  fs.mkdirSync(path.join(tree.root, 'memory/tsrun/c1/inner/deeper'), { recursive: true });
  m.destroy();
  t.notOk(exists(tree, 'memory/tsrun'));
});

t.test('destroy reports a cgroup that stays busy', async (t) => {
  const { tree, make } = setup(t, 'v1');
  const m = make('c1');
  m.create();
  const leaf = path.join(tree.root, 'pids/tsrun/c1');
  fs.writeFileSync(path.join(leaf, 'cgroup.procs'), '123\n');
  const res = removeCreatedDirs(tree.fs, m.paths().createdDirs, new Set(Object.values(m.paths().paths)), 50);
  t.same(res.failures, [`${leaf}: EBUSY`]);
  t.ok(res.remaining.includes(leaf) && res.remaining.includes(path.dirname(leaf)));
  fs.writeFileSync(path.join(leaf, 'cgroup.procs'), '');
  const rebuilt = cgroupManagerFor({ id: 'c1', created: JSON.parse(JSON.stringify(m.paths())), fs: tree.fs });
  rebuilt.destroy();
  t.notOk(exists(tree, 'pids/tsrun'), 'a manager rebuilt from state.json finishes the job');
});

t.test('create refuses a cgroup holding processes or frozen, and leaves nothing behind', async (t) => {
  const { tree, make } = setup(t, 'v1');
  fs.mkdirSync(path.join(tree.root, 'pids/busy'));
  fs.writeFileSync(path.join(tree.root, 'pids/busy/cgroup.procs'), '1234\n');
  const err = t.throws(() => make('x', '/busy').create());
  t.type(err, CgroupError);
  t.match(err, { code: 'cgroup-busy', message: /already holds processes \(1234\)/ });
  t.notOk(exists(tree, 'memory/busy'), 'nothing created in the other hierarchies');

  fs.mkdirSync(path.join(tree.root, 'freezer/cold'));
  fs.writeFileSync(path.join(tree.root, 'freezer/cold/freezer.state'), 'FROZEN');
  fs.writeFileSync(path.join(tree.root, 'freezer/cold/cgroup.procs'), '');
  t.throws(() => make('y', '/cold').create(), /is frozen/);
  t.notOk(exists(tree, 'pids/cold'));
});

t.test('create rolls back its dirs when a later step fails', async (t) => {
  const { tree, make } = setup(t, 'v1');
  fs.writeFileSync(path.join(tree.root, 'cpuset/cpuset.cpus'), ''); // parent has nothing to inherit...
  fs.unlinkSync(path.join(tree.root, 'cpuset/cpuset.mems')); // ...and a file is missing: inheritance fails
  t.throws(() => make('c1').create(), CgroupError);
  for (const d of V1_DIRS) t.notOk(exists(tree, `${d}/tsrun`), d);
});

t.test('set on a host without the controller names it', async (t) => {
  const { tree } = setup(t, 'v1');
  const layout = detectCgroupLayout({ root: tree.root, mountinfo: tree.mountinfo.split('\n').filter((l) => !l.includes(',pids')).join('\n') });
  const m = cgroupManagerFor({ id: 'c1', layout, fs: tree.fs });
  m.create();
  t.throws(() => m.set({ pids: { limit: 3 } }), { code: 'cgroup-missing', message: /pids cgroup controller is not mounted/ });
  t.same(m.pids(), [], 'pids() falls back to another hierarchy');
  m.destroy();
});

t.test('hybrid: also placed in the unified hierarchy, resources and freezer via v1', async (t) => {
  const { tree, make } = setup(t, 'hybrid');
  const m = make('h1', 'group/h1');
  t.equal(m.kind, 'hybrid');
  m.create();
  t.ok(exists(tree, 'unified/tsrun/group/h1'));
  t.equal(read(tree, 'unified/cgroup.subtree_control'), '', 'no controller enabled in the hybrid cgroup2 tree');
  tree.writes.length = 0;
  m.apply(77);
  t.equal(tree.writes[tree.writes.length - 1].file, 'unified/tsrun/group/h1/cgroup.procs', 'unified joined last');
  m.set({ devices: [{ allow: false }], pids: { limit: 10 } });
  t.equal(read(tree, 'pids/tsrun/group/h1/pids.max'), '10');
  t.equal(tree.writes.filter((w) => w.file.startsWith('unified/') && !w.file.endsWith('cgroup.procs')).length, 0);
  m.freeze('frozen');
  t.equal(read(tree, 'freezer/tsrun/group/h1/freezer.state'), 'FROZEN');
  t.equal(read(tree, 'unified/tsrun/group/h1/cgroup.freeze'), '0');
  m.freeze('thawed');
  killAll(m, tree.fs);
  t.equal(read(tree, 'unified/tsrun/group/h1/cgroup.procs'), '', 'killAll used cgroup.kill of the unified cgroup');
  for (const d of [...V1_DIRS, 'unified']) fs.writeFileSync(path.join(tree.root, d, 'tsrun/group/h1/cgroup.procs'), '');
  m.destroy();
  for (const d of [...V1_DIRS, 'unified']) t.notOk(exists(tree, `${d}/tsrun`), d);
});

t.test('v2: controllers enabled down the path, pids, freeze, devices attach a filter', async (t) => {
  const { tree, attached, make } = setup(t, 'v2');
  const m = make('v');
  t.equal(m.kind, 'v2');
  m.create();
  t.same(Object.keys(m.paths().paths), ['unified']);
  t.same(read(tree, 'cgroup.subtree_control').split(' ').sort(), ['cpu', 'cpuset', 'io', 'memory', 'pids']);
  t.same(read(tree, 'tsrun/cgroup.subtree_control').split(' ').sort(), ['cpu', 'cpuset', 'io', 'memory', 'pids']);
  t.equal(read(tree, 'tsrun/v/cgroup.subtree_control'), '', 'nothing enabled in the leaf (no internal processes)');
  m.apply(55);
  t.same(m.pids(), [55]);
  m.set({ pids: { limit: 7 }, devices: [] });
  t.equal(read(tree, 'tsrun/v/pids.max'), '7');
  const leaf = path.join(tree.root, 'tsrun/v');
  t.same(attached.map((a) => a.dir), [leaf], 'an empty device list still attaches a program, to the leaf');
  t.same(attached[0].insns, deviceFilterProgram([]), 'deny-all plus the defaults');
  const rules = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c' as const, major: 10, minor: 229, access: 'rw' }];
  m.set({ devices: rules });
  t.equal(attached.length, 2, 'a second set() attaches again (the attacher replaces the old program)');
  t.equal(attached[1].dir, leaf);
  t.same(attached[1].insns, deviceFilterProgram(rules), 'the program for the config rules plus the defaults');
  t.not(attached[1].insns.toString('hex'), attached[0].insns.toString('hex'), 'the config rule changed the program');
  // What that program means, by the v1 emulator it is built from: /dev/fuse (10:229) rw, not mknod; others denied.
  const state = emulateDeviceRules(rules);
  t.ok(deviceAllowed(state, { type: 'c', major: 10, minor: 229, access: ACC_READ | ACC_WRITE }), '10:229 rw allowed');
  t.notOk(deviceAllowed(state, { type: 'b', major: 8, minor: 0, access: ACC_READ }), 'an unlisted block device denied');
  t.ok(deviceAllowed(state, { type: 'c', major: 1, minor: 3, access: ACC_READ | ACC_WRITE }), '/dev/null (a default) allowed');
  tree.writes.length = 0;
  t.throws(() => m.set({ pids: { limit: 3 }, devices: [{ allow: true, access: 'rq' }] }), { pointer: '/linux/resources/devices/0/access', message: /"rq"/ });
  t.equal(attached.length, 2, 'a bad rule attaches nothing');
  t.same(tree.writes, [], 'and writes nothing');
  m.freeze('frozen');
  t.equal(m.freezerState(), 'frozen');
  t.equal(read(tree, 'tsrun/v/cgroup.freeze'), '1');
  m.freeze('thawed');
  t.equal(m.freezerState(), 'thawed');
  killAll(m, tree.fs);
  t.same(m.pids(), []);
  m.destroy();
  t.notOk(exists(tree, 'tsrun'));
  t.ok(exists(tree, 'cgroup.procs'), 'root untouched');
});

t.test('cgroupManagerFor refuses systemd paths and malformed records', async (t) => {
  const { make, tree } = setup(t, 'v1');
  t.throws(() => make('c1', 'system.slice:tsrun:c1'), UnsupportedError);
  t.throws(() => cgroupManagerFor({ id: 'c1', created: { kind: 'v3' } as never, fs: tree.fs }), { code: 'cgroup-state' });
  t.throws(() => cgroupManagerFor({ id: 'c1', created: { kind: 'v1', paths: {}, createdDirs: ['relative/dir'] }, fs: tree.fs }), {
    code: 'cgroup-state',
  });
  t.throws(() => cgroupManagerFor({ id: 'c1', created: { kind: 'v1', paths: { pids: '/a/../etc' }, createdDirs: [] }, fs: tree.fs }), {
    code: 'cgroup-state',
  });
  const rebuilt = cgroupManagerFor({ id: 'c1', created: { kind: 'v1', paths: { pids: path.join(tree.root, 'pids/x') }, createdDirs: [] }, fs: tree.fs });
  t.throws(() => rebuilt.freeze('frozen'), /freezer cgroup controller is not mounted/);
  t.equal(rebuilt.kind, 'v1');
});

t.test('killAll on v1 (no cgroup.kill): freeze, SIGKILL every listed pid, thaw', async (t) => {
  const { tree, make } = setup(t, 'v1');
  const m = make('k1');
  m.create();
  // A real child of this test stands in for the container's process; only its pid is listed.
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  fs.writeFileSync(path.join(tree.root, 'pids/tsrun/k1/cgroup.procs'), `${child.pid}\n`);
  const exited = once(child, 'exit');
  tree.writes.length = 0;
  killAll(m, tree.fs);
  const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  t.equal(signal, 'SIGKILL');
  t.same(
    tree.writes.filter((w) => w.file.endsWith('freezer.state')).map((w) => w.data),
    ['FROZEN', 'THAWED'],
    'frozen around the signals so nothing forks in between',
  );
});

t.test('v1, concurrent creates: a shared cpuset parent made but not yet filled by another tsrun is filled', async (t) => {
  const { tree, make } = setup(t, 'v1');
  // Another create made cpuset/tsrun (empty cpus and mems, as the kernel makes it) and has not
  // filled it yet: this create finds it there (EEXIST, not its own) and must fill it all the same.
  fs.mkdirSync(path.join(tree.root, 'cpuset/tsrun'));
  fs.writeFileSync(path.join(tree.root, 'cpuset/tsrun/cpuset.cpus'), '');
  fs.writeFileSync(path.join(tree.root, 'cpuset/tsrun/cpuset.mems'), '');
  const m = make('c1');
  m.create();
  t.notOk(m.paths().createdDirs.includes(path.join(tree.root, 'cpuset/tsrun')), 'the parent is not ours');
  t.equal(read(tree, 'cpuset/tsrun/cpuset.cpus'), '0-3', 'filled from its parent by content, whoever made it');
  t.equal(read(tree, 'cpuset/tsrun/c1/cpuset.cpus'), '0-3', 'and the leaf from it');
  t.equal(read(tree, 'cpuset/tsrun/c1/cpuset.mems'), '0');
});

t.test('v1, concurrent deletes: a shared parent another create has just used is kept, without error or wait', async (t) => {
  const { tree, make } = setup(t, 'v1');
  const a = make('a');
  a.create();
  // b's mkdir lands between a's look at the parent and a's rmdir of it: rmdir says EBUSY.
  tree.busyRmdirs.set('pids/tsrun', 1000);
  const started = Date.now();
  const res = removeCreatedDirs(tree.fs, a.paths().createdDirs, new Set(Object.values(a.paths().paths)), 2000);
  t.ok(Date.now() - started < 1000, 'no patient retries on a shared parent');
  t.same(res.failures, [], 'not an error: someone else uses it');
  t.ok(res.remaining.includes(path.join(tree.root, 'pids/tsrun')), 'kept, and still recorded for a later retry');
  t.notOk(exists(tree, 'pids/tsrun/a'), 'the leaf went');
});
