// The cgroup manager on this host's real cgroupfs (needs root): placement in every hierarchy,
// pids and devices limits that the kernel actually enforces, freeze/thaw, killAll, destroy that
// leaves no directory behind. Every test cleans up in t.teardown, even when it fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { CgroupError } from '../../src/cgroups/errors';
import { killAll } from '../../src/cgroups/kill';
import { type CgroupManager, cgroupManagerFor } from '../../src/cgroups/manager';

const notRoot = typeof process.getuid !== 'function' || process.getuid() !== 0;
const noCgroups = !fs.existsSync('/sys/fs/cgroup');
const skip = notRoot ? 'needs root to create cgroups' : noCgroups ? 'no /sys/fs/cgroup on this host' : false;

let seq = 0;
const uniqueId = () => `tsrun-cgtest-${process.pid}-${Date.now()}-${seq++}`;

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** A manager for a fresh id, with a teardown that kills its processes and removes its dirs. */
function managed(t: Test, children: ChildProcess[]): { m: CgroupManager; id: string } {
  const id = uniqueId();
  const m = cgroupManagerFor({ id });
  t.teardown(async () => {
    for (const c of children) if (alive(c)) c.kill('SIGKILL');
    await Promise.all(children.filter(alive).map((c) => once(c, 'exit')));
    try {
      m.destroy();
    } catch (err) {
      t.comment(`teardown destroy: ${String(err)}`);
    }
  });
  return { m, id };
}

/** After destroy: no leaf anywhere, and every created parent is gone unless another cgroup lives in it. */
function assertNothingLeft(t: Test, m: CgroupManager, before: ReturnType<CgroupManager['paths']>): void {
  for (const [ctrl, dir] of Object.entries(before.paths)) t.notOk(fs.existsSync(dir), `${ctrl}: ${dir} removed`);
  for (const dir of before.createdDirs) {
    if (!fs.existsSync(dir)) continue;
    const children = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());
    t.ok(children.length > 0, `${dir} kept only because another cgroup uses it`);
  }
  t.same(m.paths().createdDirs.filter((d) => Object.values(before.paths).includes(d)), [], 'no leaf left in the record');
}

t.test('placement, limits the kernel enforces, freeze, pids, destroy', { skip }, async (t) => {
  const children: ChildProcess[] = [];
  const { m } = managed(t, children);
  m.create();
  const rec = m.paths();
  for (const dir of new Set(Object.values(rec.paths))) t.ok(fs.statSync(dir).isDirectory(), `${dir} created`);
  if (rec.kind === 'hybrid') t.ok(rec.paths.unified?.startsWith('/sys/fs/cgroup/unified/'), 'hybrid also uses the cgroup2 hierarchy');

  // A shell that waits for "go", then probes devices and the pids limit from inside the cgroup.
  const script = [
    'read go',
    'head -c1 /dev/zero >/dev/null && echo zero-ok',
    '(exec 3</dev/kmsg) 2>/dev/null && echo kmsg-open || echo kmsg-denied',
    // sh + 4 sleeps = 5 tasks: the fifth sleep cannot be forked (dash then exits, bash goes on).
    'for i in 1 2 3 4 5 6; do sleep 1 & echo "started $i"; done',
    'wait',
  ].join('\n');
  const sh = spawn('sh', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(sh);
  let out = '';
  let err = '';
  sh.stdout.on('data', (b: Buffer) => (out += b.toString()));
  sh.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const shPid = sh.pid;
  if (shPid === undefined) throw new Error('spawn sh failed');
  m.apply(shPid);

  const inner = path.basename(rec.paths.unified ?? rec.paths.pids ?? '');
  const procCgroup = fs.readFileSync(`/proc/${shPid}/cgroup`, 'utf8');
  for (const line of procCgroup.trim().split('\n')) {
    const [, ctrls, p] = line.split(':');
    const expected = ctrls === '' ? 'unified' : ctrls.split(',')[0];
    if (rec.paths[expected] !== undefined) t.ok(p.endsWith(`/${inner}`), `/proc/pid/cgroup ${ctrls || '0::'} -> ${p}`);
  }

  const v2 = m.kind === 'v2';
  m.set({ pids: { limit: 5 }, ...(v2 ? {} : { devices: [{ allow: false, access: 'rwm' }] }) });
  const pidsDir = v2 ? rec.paths.unified : rec.paths.pids;
  t.equal(fs.readFileSync(path.join(pidsDir ?? '', 'pids.max'), 'utf8').trim(), '5', 'pids.max read back');
  if (!v2) {
    const list = fs.readFileSync(path.join(rec.paths.devices ?? '', 'devices.list'), 'utf8').trim().split('\n');
    t.notOk(list.includes('a *:* rwm'), 'allow-all is gone');
    for (const rule of ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 5:2 rwm', 'c 136:* rwm']) {
      t.ok(list.includes(rule), `devices.list has ${rule}`);
    }
  }
  t.same(m.pids(), [shPid], 'pids() lists the shell');

  sh.stdin.write('go\n');
  await once(sh, 'exit');
  t.match(out, /zero-ok/, '/dev/zero is a default allowed device');
  if (!v2) t.match(out, /kmsg-denied/, '/dev/kmsg (c 1:11) is denied by deny-all');
  t.equal(out.match(/started/g)?.length, 4, `only four sleeps could be forked (pids.max 5); stderr: ${err.trim()}`);
  t.match(err, /fork|resource temporarily unavailable/i, 'the shell reported the failed fork');
  // Let the background sleeps finish so the cgroup is empty again.
  for (const deadline = Date.now() + 5000; m.pids().length > 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
  t.same(m.pids(), [], 'cgroup empty again');

  // Freeze and thaw a long-running process.
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(sleeper);
  const sleepPid = sleeper.pid;
  if (sleepPid === undefined) throw new Error('spawn sleep failed');
  m.apply(sleepPid);
  t.ok(m.pids().includes(sleepPid), 'pids() contains the sleeper');
  t.equal(m.freezerState(), 'thawed', 'thawed to begin with');
  m.freeze('frozen');
  t.equal(m.freezerState(), 'frozen', 'frozen after freeze');
  const freezerFile = v2 ? path.join(rec.paths.unified ?? '', 'cgroup.freeze') : path.join(rec.paths.freezer ?? '', 'freezer.state');
  t.equal(fs.readFileSync(freezerFile, 'utf8').trim(), v2 ? '1' : 'FROZEN', `${freezerFile} says so too`);
  m.freeze('thawed');
  t.equal(m.freezerState(), 'thawed', 'thawed again');

  sleeper.kill('SIGKILL');
  await once(sleeper, 'exit');
  m.destroy();
  assertNothingLeft(t, m, rec);
  t.doesNotThrow(() => m.destroy(), 'destroy is idempotent');
});

t.test('create refuses a cgroup that already holds a process; killAll empties it', { skip }, async (t) => {
  const children: ChildProcess[] = [];
  const { m, id } = managed(t, children);
  m.create();
  const rec = m.paths();
  for (let i = 0; i < 2; i++) {
    const c = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(c);
    if (c.pid === undefined) throw new Error('spawn sleep failed');
    m.apply(c.pid);
  }
  const second = cgroupManagerFor({ id }); // same id, same cgroup
  const err = t.throws(() => second.create());
  t.type(err, CgroupError);
  t.match(err, { code: 'cgroup-busy', message: /already holds processes/ });
  t.same(second.paths().createdDirs, [], 'the refused manager made nothing');

  const exits = children.map((c) => once(c, 'exit'));
  killAll(m);
  const results = (await Promise.all(exits)) as [number | null, NodeJS.Signals | null][];
  t.same(results.map((r) => r[1]), ['SIGKILL', 'SIGKILL'], 'both processes were SIGKILLed');
  m.destroy();
  assertNothingLeft(t, m, rec);
});
