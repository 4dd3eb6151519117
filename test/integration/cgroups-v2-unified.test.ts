// V2CgroupManager on this host's real cgroup2 hierarchy (needs root). This host is hybrid: the
// cgroup2 mount (/sys/fs/cgroup/unified) offers no controller but hugetlb, so what can be checked
// for real is the core interface and hugetlb: create/apply/pids/destroy, cgroup.freeze with a
// process that stops counting, cgroup.kill, the eBPF device program through set(), hugetlb limits
// and the unified map (written, and refused for controllers this host lacks), and the stats
// available without controllers (cpu.stat, pids via cgroup.procs, hugetlb). The other controllers
// are covered against the fake cgroupfs in test/unit/cgroups-v2-*.test.ts.
// create() enables every controller the mount root offers in the root's cgroup.subtree_control
// (as on a real v2 host); teardown puts the root's list back as it was, so nothing is left behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { nodeCgroupFs } from '../../src/cgroups/cgroupfs';
import { detectCgroupLayout } from '../../src/cgroups/detect';
import { killAll } from '../../src/cgroups/kill';
import { hostHugePageSizes } from '../../src/cgroups/v2/hugetlb';
import { V2CgroupManager } from '../../src/cgroups/v2/manager';

function cgroup2Root(): string | undefined {
  try {
    return detectCgroupLayout().unified;
  } catch {
    return undefined;
  }
}
const root = cgroup2Root();
const skip =
  typeof process.getuid !== 'function' || process.getuid() !== 0
    ? 'needs root to create cgroups'
    : root === undefined
      ? 'no cgroup2 hierarchy mounted'
      : !fs.existsSync(path.join(root, 'cgroup.controllers'))
        ? 'cgroup2 mount without cgroup.controllers'
        : false;

const list = (file: string) => fs.readFileSync(file, 'utf8').split(/\s+/).filter(Boolean);
const read = (file: string) => fs.readFileSync(file, 'utf8').trim();
const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
let seq = 0;

/** A manager for a fresh cgroup directly under the cgroup2 root; teardown kills, destroys, restores the root. */
function managed(t: Test, children: ChildProcess[], warnings: string[] = []): { m: V2CgroupManager; dir: string } {
  const mount = root as string;
  const dir = path.join(mount, `tsrun-v2-test-${process.pid}-${seq++}`);
  const rootControl = path.join(mount, 'cgroup.subtree_control');
  const before = new Set(list(rootControl));
  const m = new V2CgroupManager(nodeCgroupFs, { kind: 'v2', paths: { unified: dir }, createdDirs: [] }, { warn: (w) => warnings.push(w) });
  t.teardown(async () => {
    for (const c of children) if (alive(c)) c.kill('SIGKILL');
    await Promise.all(children.filter(alive).map((c) => once(c, 'exit')));
    try {
      if (fs.existsSync(path.join(dir, 'cgroup.freeze'))) fs.writeFileSync(path.join(dir, 'cgroup.freeze'), '0');
      m.destroy();
    } catch (err) {
      t.comment(`teardown destroy: ${String(err)}`);
    }
    for (const c of list(rootControl).filter((c) => !before.has(c))) {
      try {
        fs.writeFileSync(rootControl, `-${c}`);
      } catch (err) {
        t.comment(`could not disable ${c} again at the root: ${String(err)}`);
      }
    }
  });
  return { m, dir };
}

/** A shell waiting for "go", then running `script`; stdout collected in out.text. */
function shell(children: ChildProcess[], script: string): { child: ChildProcess; out: { text: string; err: string }; go: () => void } {
  const child = spawn('sh', ['-c', `read go; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const out = { text: '', err: '' };
  child.stdout?.on('data', (d: Buffer) => (out.text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out.err += d.toString()));
  return { child, out, go: () => child.stdin?.end('go\n') };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('create, apply, pids, freeze and thaw a counting process, kill through cgroup.kill, destroy', { skip }, async (t) => {
  const children: ChildProcess[] = [];
  const { m, dir } = managed(t, children);
  m.create();
  t.ok(fs.statSync(dir).isDirectory(), 'cgroup made');
  const offered = list(path.join(root as string, 'cgroup.controllers'));
  t.same(list(path.join(dir, 'cgroup.controllers')).sort(), offered.sort(), 'every controller the root offers reaches the new cgroup');

  const { child, out, go } = shell(children, 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.02; done');
  m.apply(child.pid as number);
  // Listed before "go": once released, the loop forks `sleep` children into the cgroup too, so a
  // listing taken after go() may hold one of them as well (seen: [pid, pid + 1]).
  t.same(m.pids(), [child.pid], 'pids() lists the process');
  go();
  await sleep(200);
  m.freeze('frozen');
  t.equal(m.freezerState(), 'frozen');
  t.equal(read(path.join(dir, 'cgroup.freeze')), '1');
  await sleep(100);
  const frozenAt = out.text.length;
  await sleep(300);
  t.equal(out.text.length, frozenAt, 'no output while frozen');
  m.freeze('thawed');
  t.equal(m.freezerState(), 'thawed');
  await sleep(300);
  t.ok(out.text.length > frozenAt, 'counting again after thaw');

  const exited = once(child, 'exit');
  killAll(m, nodeCgroupFs);
  const [, signal] = (await exited) as [number | null, string | null];
  t.equal(signal, 'SIGKILL', 'cgroup.kill reached the process');
  m.destroy();
  t.notOk(fs.existsSync(dir), 'cgroup removed');
});

t.test('stats without controllers: cpu.stat usage, pids from cgroup.procs, hugetlb; no OOM kills', { skip }, async (t) => {
  const children: ChildProcess[] = [];
  const { m } = managed(t, children);
  m.create();
  const { child, go } = shell(children, 'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; exec sleep 30');
  m.apply(child.pid as number);
  go();
  await sleep(300);
  const s = m.stats();
  t.ok((s.cpu.usage?.total ?? 0) > 0, `cpu usage counted from cpu.stat: ${s.cpu.usage?.total} ns`);
  t.ok((s.cpu.usage?.user ?? 0) + (s.cpu.usage?.kernel ?? 0) > 0, 'user and system time from user_usec/system_usec');
  // What the stats hold depends on the controllers this cgroup2 root offers (a hybrid host like
  // this project's offers hugetlb alone; a pure v2 host offers memory, pids and more).
  const offered = list(path.join(root as string, 'cgroup.controllers'));
  t.comment(`the cgroup2 root offers: ${offered.join(' ') || '(nothing)'}`);
  if (offered.includes('pids')) t.equal(s.pids.current, 1, 'one process, from pids.current');
  else t.same(s.pids, { current: 1 }, 'one process, counted from cgroup.procs (no pids controller here)');
  if (offered.includes('memory')) t.ok((s.memory.usage?.usage ?? 0) > 0, `memory usage from memory.current: ${s.memory.usage?.usage}`);
  else t.same(s.memory, {}, 'no memory controller, no memory stats');
  const size = hostHugePageSizes()[0];
  if (offered.includes('hugetlb') && size !== undefined) {
    t.same(s.hugetlb[size], { usage: 0, failcnt: 0 }, `hugetlb ${size} from hugetlb.${size}.rsvd.current and .events`);
  }
  t.equal(m.oomKillCount(), 0, offered.includes('memory') ? 'no OOM kill in memory.events' : 'no memory.events: zero');
});

// Huge page sizes depend on the CPU and the kernel (x86-64: 2MB, 1GB; arm64 with 4K pages adds
// 64KB and 32MB; ppc64 has 16MB): the test uses the first size this host has, one it has not, and
// a controller the root does not offer (this project's hybrid hosts offer hugetlb alone).
const offeredAtRoot = skip === false ? list(path.join(root as string, 'cgroup.controllers')) : [];
const pageSize = hostHugePageSizes()[0];
const absentSize = ['16MB', '32MB', '64KB', '512MB', '16GB', '2MB', '1GB'].find((sz) => !hostHugePageSizes().includes(sz));
const absentController = ['memory', 'pids', 'io', 'cpu', 'cpuset', 'rdma', 'misc'].find((c) => !offeredAtRoot.includes(c));
t.test('hugetlb limits and the unified map are written; controllers this host lacks are refused before any write', {
  skip: skip || (!offeredAtRoot.includes('hugetlb') && 'the cgroup2 root does not offer hugetlb here')
    || (pageSize === undefined && 'this kernel has no huge page sizes (/sys/kernel/mm/hugepages is empty)'),
}, async (t) => {
  const { m, dir } = managed(t, []);
  m.create();
  const size = pageSize as string;
  const kib = hugePageKiB(size);
  const max = path.join(dir, `hugetlb.${size}.max`);
  const limit = 4 * kib * 1024;
  t.comment(`huge page size ${size}; absent size ${absentSize ?? '(none)'}; controller not offered: ${absentController ?? '(none)'}`);
  m.set({ hugepageLimits: [{ pageSize: size, limit }] });
  t.equal(read(max), String(limit), `hugetlb.${size}.max`);
  if (fs.existsSync(path.join(dir, `hugetlb.${size}.rsvd.max`))) t.equal(read(path.join(dir, `hugetlb.${size}.rsvd.max`)), String(limit), `hugetlb.${size}.rsvd.max too`);
  m.set({ hugepageLimits: [{ pageSize: `${kib}KB`, limit: 0 }] });
  t.equal(read(max), '0', `"${kib}KB" is the same file as "${size}"`);

  m.set({ unified: { [`hugetlb.${size}.max`]: String(2 * kib * 1024) } });
  t.equal(read(max), String(2 * kib * 1024), 'unified key written');

  if (absentController !== undefined) {
    t.throws(() => m.set({ unified: { [`hugetlb.${size}.max`]: '0', [`${absentController}.max`]: '100000000' } }), {
      code: 'cgroup-missing',
      message: new RegExp(`${absentController}.*not present on this host`),
    });
    t.equal(read(max), String(2 * kib * 1024), 'the refused set wrote nothing, not even the valid key');
  }
  t.throws(() => m.set({ unified: { 'foo.bar': '1' } }), { code: 'cgroup-missing', message: /"foo"/ });
  t.throws(() => m.set({ unified: { '../cgroup.procs': '1' } }), { code: 'invalid-config', pointer: '/linux/resources/unified/..~1cgroup.procs' });
  if (!offeredAtRoot.includes('memory')) {
    t.throws(() => m.set({ memory: { limit: 1e8 } }), { code: 'cgroup-missing', message: /"memory" controller is not available/ });
  }
  if (absentSize !== undefined) {
    t.throws(() => m.set({ hugepageLimits: [{ pageSize: absentSize, limit: 1 }] }), { code: 'cgroup-unsupported', message: /no such huge pages/ });
  }
});

/** "2MB" -> 2048, "1GB" -> 1048576, "64KB" -> 64. */
function hugePageKiB(size: string): number {
  const m = /^(\d+)([KMG])B$/.exec(size);
  if (m === null) throw new Error(`unexpected huge page size ${size}`);
  return Number(m[1]) * { K: 1, M: 1024, G: 1024 * 1024 }[m[2] as 'K' | 'M' | 'G'];
}

t.test('devices through set(): the eBPF program denies what the config denies', { skip }, async (t) => {
  const children: ChildProcess[] = [];
  const { m } = managed(t, children);
  m.create();
  m.set({ devices: [{ allow: false, access: 'rwm' }] });
  const { child, out, go } = shell(children, 'cat /dev/null && echo null-ok; true < /dev/kmsg && echo kmsg-open || echo kmsg-denied');
  m.apply(child.pid as number);
  go();
  await once(child, 'exit');
  t.match(out.text, /null-ok/, 'default device /dev/null works');
  t.match(out.text, /kmsg-denied/, '/dev/kmsg is denied');
  t.match(out.err, /Operation not permitted/);
});
