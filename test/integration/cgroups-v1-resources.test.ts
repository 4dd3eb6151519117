// The cgroup v1 resource controllers on this host's real hierarchies (needs root and a v1 or
// hybrid host): for every controller the host mounts, a fresh cgroup gets linux.resources
// values that are read back from the kernel's files; updates that need a write order the kernel
// enforces (memory/memsw, CFS bandwidth); a memory limit the kernel enforces (OOM kill counted
// by oomKillCount() and stats()); stats of a process doing CPU and disk work; and controllers
// the host lacks refused by name with nothing written. Every test destroys its cgroup in
// t.teardown and checks that no directory is left.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { type CgroupLayout, hostCgroupLayout } from '../../src/cgroups/detect';
import { CgroupError } from '../../src/cgroups/errors';
import { killAll } from '../../src/cgroups/kill';
import { type CgroupManager, cgroupManagerFor } from '../../src/cgroups/manager';
import type { LinuxResources } from '../../src/cgroups/types';
import { hostHugePageSizes } from '../../src/cgroups/v2/hugetlb';
import { UnsupportedError } from '../../src/errors';
import { firstCpusetIds, oomMemory, swapEscapesOomReason } from '../lib/harness';

const notRoot = typeof process.getuid !== 'function' || process.getuid() !== 0;
let layout: CgroupLayout | undefined;
try {
  layout = hostCgroupLayout();
} catch {
  layout = undefined;
}
const skip = notRoot
  ? 'needs root to create cgroups'
  : layout === undefined
    ? 'no cgroup filesystem on this host'
    : layout.kind === 'v2'
      ? 'pure cgroup v2 host: the v1 controllers need a v1 or hybrid host'
      : false;
const has = (controller: string) => layout?.v1[controller] !== undefined;
const skipUnless = (controller: string) => skip || (has(controller) ? false : `this host has no ${controller} cgroup hierarchy`);

let seq = 0;
const uniqueId = () => `tsrun-cgv1-${process.pid}-${Date.now()}-${seq++}`;
const UNLIMITED_FLOOR = 2 ** 62; // the kernel prints "unlimited" as PAGE_COUNTER_MAX pages in bytes

function alive(c: ChildProcess): boolean {
  return c.exitCode === null && c.signalCode === null;
}

interface Managed {
  m: CgroupManager;
  children: ChildProcess[];
  /** Contents of a control file of `controller`'s directory, trimmed. */
  read: (controller: string, file: string) => string;
  exists: (controller: string, file: string) => boolean;
  set: (r: LinuxResources) => string[];
  /** Kill everything in the cgroup, destroy it, and assert that none of its directories is left. */
  close: () => Promise<void>;
}

/** SIGKILL every process of the cgroup (children of our shells too) and wait until it is empty. */
async function emptyCgroup(m: CgroupManager): Promise<void> {
  for (const deadline = Date.now() + 10_000; m.pids().length > 0 && Date.now() < deadline; ) {
    killAll(m);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A created cgroup for a fresh id; close() (and, as a fallback, teardown) removes it. */
function managed(t: Test): Managed {
  const m = cgroupManagerFor({ id: uniqueId() });
  const children: ChildProcess[] = [];
  m.create();
  const rec = m.paths();
  let closed = false;
  const shutdown = async () => {
    closed = true;
    await emptyCgroup(m);
    await Promise.all(children.filter(alive).map((c) => once(c, 'exit')));
    m.destroy();
  };
  t.teardown(async () => {
    if (!closed) await shutdown();
  });
  const file = (controller: string, name: string) => path.join(rec.paths[controller] ?? '/nonexistent', name);
  return {
    m,
    children,
    read: (controller, name) => fs.readFileSync(file(controller, name), 'utf8').trim(),
    exists: (controller, name) => fs.existsSync(file(controller, name)),
    set: (r) => {
      const warnings: string[] = [];
      m.set(r, (w) => warnings.push(w));
      return warnings;
    },
    close: async () => {
      await shutdown();
      const left = [...new Set(Object.values(rec.paths))].filter((d) => fs.existsSync(d));
      t.same(left, [], 'no cgroup directory left');
    },
  };
}

/** `sh -c script` placed in the cgroup before it does anything: it waits for a line on stdin. */
function spawnInCgroup(x: Managed, script: string): { child: ChildProcess; go: () => void; output: () => string } {
  const child = spawn('sh', ['-c', `read go; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  x.children.push(child);
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  if (child.pid === undefined) throw new Error('spawn sh failed');
  x.m.apply(child.pid);
  return { child, go: () => child.stdin?.write('go\n'), output: () => out };
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (alive(child)) await once(child, 'exit');
  return { code: child.exitCode, signal: child.signalCode };
}

t.test('memory: every file written, read back, and updated in the order the kernel needs', { skip: skipUnless('memory') }, async (t) => {
  const x = managed(t);
  const memsw = x.exists('memory', 'memory.memsw.limit_in_bytes');
  if (!memsw) t.comment('no memory.memsw.limit_in_bytes (no per-cgroup swap accounting): the memory+swap checks are skipped');
  const MB = 1 << 20;
  const warnings = x.set({
    memory: { limit: 64 * MB, reservation: 32 * MB, ...(memsw ? { swap: 128 * MB } : {}), swappiness: 10, disableOOMKiller: true, useHierarchy: true, kernel: -1 },
  });
  t.equal(x.read('memory', 'memory.limit_in_bytes'), String(64 * MB));
  t.equal(x.read('memory', 'memory.soft_limit_in_bytes'), String(32 * MB));
  if (memsw) t.equal(x.read('memory', 'memory.memsw.limit_in_bytes'), String(128 * MB));
  t.equal(x.read('memory', 'memory.swappiness'), '10');
  t.match(x.read('memory', 'memory.oom_control'), /^oom_kill_disable 1$/m);
  t.equal(x.read('memory', 'memory.use_hierarchy'), '1');
  t.match(warnings, [/memory\/kernel is ignored/], 'kernel memory: a warning, nothing written');

  x.set({ memory: { disableOOMKiller: false } });
  t.match(x.read('memory', 'memory.oom_control'), /^oom_kill_disable 0$/m, 'OOM killer back on');

  if (memsw) {
    // Lowering both below the old limit, then raising both above it: each needs its own order.
    x.set({ memory: { limit: 16 * MB, swap: 32 * MB } });
    t.equal(x.read('memory', 'memory.limit_in_bytes'), String(16 * MB));
    t.equal(x.read('memory', 'memory.memsw.limit_in_bytes'), String(32 * MB));
    x.set({ memory: { limit: 256 * MB, swap: 512 * MB } });
    t.equal(x.read('memory', 'memory.limit_in_bytes'), String(256 * MB));
    t.equal(x.read('memory', 'memory.memsw.limit_in_bytes'), String(512 * MB));
    const err = t.throws(() => x.set({ memory: { limit: 1024 * MB } }), 'a limit above memsw');
    t.match(err, { errnoCode: 'EINVAL', message: /cannot exceed the memory\+swap limit/ });
  }
  x.set({ memory: { limit: -1 } });
  t.ok(Number(x.read('memory', 'memory.limit_in_bytes')) > UNLIMITED_FLOOR, '-1 is unlimited');
  if (memsw) t.ok(Number(x.read('memory', 'memory.memsw.limit_in_bytes')) > UNLIMITED_FLOOR, 'memsw lifted with it');

  // Linux 5.15+ always accounts hierarchically; older kernels accept 0 on a childless cgroup.
  try {
    x.set({ memory: { useHierarchy: false } });
    t.equal(x.read('memory', 'memory.use_hierarchy'), '0');
  } catch (e) {
    t.match(e, { errnoCode: 'EINVAL', message: /always accounts memory hierarchically/ });
  }
  await x.close();
});

// kernelTCP needs the kernel's TCP buffer accounting file; the hierarchy's root has it when its
// cgroups do (memory.rst, "Kernel Memory Extension").
const KMEM_TCP = 'memory.kmem.tcp.limit_in_bytes';
const kmemTcpSkip = skipUnless('memory') || (fs.existsSync(path.join(layout?.v1.memory ?? '/nonexistent', KMEM_TCP))
  ? false
  : `this kernel has no ${KMEM_TCP} (no kmem.tcp accounting): tsrun warns instead, see test/unit/cgroups-v1-controllers.test.ts`);
t.test('memory: kernelTCP is written to memory.kmem.tcp.limit_in_bytes and read back', { skip: kmemTcpSkip }, async (t) => {
  const x = managed(t);
  const MB = 1 << 20;
  t.same(x.set({ memory: { limit: 64 * MB, kernelTCP: 8 * MB } }), [], 'no warning: the kernel took it');
  t.equal(x.read('memory', KMEM_TCP), String(8 * MB), `${KMEM_TCP} read back`);
  t.equal(x.m.stats().memory.kernelTCP?.limit, 8 * MB, 'stats report it as kernelTCP.limit');
  x.set({ memory: { kernelTCP: 16 * MB } });
  t.equal(x.read('memory', KMEM_TCP), String(16 * MB), 'changed on a live cgroup (update)');
  x.set({ memory: { kernelTCP: -1 } });
  t.ok(Number(x.read('memory', KMEM_TCP)) > UNLIMITED_FLOOR, '-1 is unlimited');
  t.equal(x.read('memory', 'memory.limit_in_bytes'), String(64 * MB), 'the memory limit is untouched by it');
  await x.close();
});

t.test('memory: checkBeforeUpdate refuses a limit below the usage and changes nothing', { skip: skipUnless('memory') }, async (t) => {
  const x = managed(t);
  // The shell keeps 4 MiB of "a"s in a variable: charged to this cgroup since it joined first.
  const p = spawnInCgroup(x, 'x=$(head -c 4194304 /dev/zero | tr "\\0" a); echo ready; sleep 30');
  p.go();
  for (const deadline = Date.now() + 10_000; !p.output().includes('ready') && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
  const usage = Number(x.read('memory', 'memory.usage_in_bytes'));
  t.ok(usage > 4 << 20, `usage ${usage} includes the 4 MiB string`);
  const before = x.read('memory', 'memory.limit_in_bytes');
  const err = t.throws(() => x.set({ pids: { limit: 5 }, memory: { limit: 1 << 20, checkBeforeUpdate: true } }));
  t.type(err, CgroupError);
  t.match(err, { code: 'cgroup-limit', message: /below the current usage/ });
  t.equal(x.read('memory', 'memory.limit_in_bytes'), before, 'limit unchanged');
  if (has('pids')) t.equal(x.read('pids', 'pids.max'), 'max', 'pids.max unchanged: refused before any write');
  // Without the check the kernel itself refuses what it cannot reclaim (no swap here): EBUSY, explained.
  const swapTotal = /SwapTotal:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1];
  if (swapTotal === '0') t.throws(() => x.set({ memory: { limit: 1 << 20 } }), { errnoCode: 'EBUSY', message: /could not reclaim enough/ });
  await x.close();
});

const memoryRoot = layout?.v1.memory ?? '/nonexistent';
t.test('memory limit is enforced: allocations past it are OOM-killed and counted', { skip: skipUnless('memory') || swapEscapesOomReason(memoryRoot) }, async (t) => {
  const x = managed(t);
  // On a host with swap, memory+swap is capped at the limit as well (oomMemory): swap is then no
  // escape from the OOM killer, and the refused charges count in memsw's failcnt.
  x.set({ memory: oomMemory(16 << 20, memoryRoot) });
  t.equal(x.m.oomKillCount(), 0, 'no OOM kill yet');
  // A shell that builds a 64 MiB string in a 16 MiB cgroup.
  const sh = spawnInCgroup(x, 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived ${#x}');
  sh.go();
  const r1 = await exitOf(sh.child);
  t.equal(r1.signal, 'SIGKILL', `the shell was killed (${sh.output().trim() || 'no output'})`);
  t.ok(x.m.oomKillCount() >= 1, `oomKillCount() = ${x.m.oomKillCount()}`);
  const mem = x.m.stats().memory;
  t.equal(mem.usage?.limit, 16 << 20, 'stats report the limit');
  const failcnt = (mem.usage?.failcnt ?? 0) + (mem.swap?.failcnt ?? 0);
  t.ok(failcnt > 0, `failcnt > 0 (memory ${mem.usage?.failcnt}, memory+swap ${mem.swap?.failcnt ?? '-'})`);
  t.ok((mem.usage?.max ?? 0) >= 15 << 20, `peak usage ${mem.usage?.max} reached the limit`);

  // A Node process allocating 256 MiB of buffers under a 64 MiB limit meets the same end.
  x.set({ memory: oomMemory(64 << 20, memoryRoot) });
  const before = x.m.oomKillCount();
  const node = spawnInCgroup(x, `exec "${process.execPath}" -e 'const a = []; for (let i = 0; i < 64; i++) a.push(Buffer.alloc(4 << 20, 1)); console.log("survived")'`);
  node.go();
  const r2 = await exitOf(node.child);
  t.equal(r2.signal, 'SIGKILL', 'node was killed');
  t.notMatch(node.output(), /survived/);
  t.ok(x.m.oomKillCount() > before, `oomKillCount() went from ${before} to ${x.m.oomKillCount()}`);
  await x.close();
});

t.test('cpu and cpuset: written and read back; kernel bounds explained', { skip: skipUnless('cpu') }, async (t) => {
  const x = managed(t);
  const burst = x.exists('cpu', 'cpu.cfs_burst_us');
  // Files only some kernels have: burst (Linux 5.14+), rt_* (CONFIG_RT_GROUP_SCHED), idle (5.15+).
  const absent = ['cpu.cfs_burst_us', 'cpu.rt_period_us', 'cpu.idle'].filter((f) => !x.exists('cpu', f));
  if (absent.length > 0) t.comment(`not on this kernel, their checks skipped: ${absent.join(', ')}`);
  x.set({ cpu: { shares: 512, quota: 50000, period: 100000, ...(burst ? { burst: 10000 } : {}) } });
  t.equal(x.read('cpu', 'cpu.shares'), '512');
  t.equal(x.read('cpu', 'cpu.cfs_quota_us'), '50000');
  t.equal(x.read('cpu', 'cpu.cfs_period_us'), '100000');
  if (burst) t.equal(x.read('cpu', 'cpu.cfs_burst_us'), '10000');
  // A shorter period with a quota: the kernel checks each write against the other values.
  x.set({ cpu: { quota: 20000, period: 40000, ...(burst ? { burst: 0 } : {}) } });
  t.equal(x.read('cpu', 'cpu.cfs_quota_us'), '20000');
  t.equal(x.read('cpu', 'cpu.cfs_period_us'), '40000');
  x.set({ cpu: { quota: -1 } });
  t.equal(x.read('cpu', 'cpu.cfs_quota_us'), '-1');
  t.throws(() => x.set({ cpu: { shares: 1 } }), { code: 'cgroup-limit', message: /minimum allowed cpu\.shares is 2/ });
  t.throws(() => x.set({ cpu: { shares: 1 << 20 } }), { message: /maximum allowed cpu\.shares is 262144/ });
  x.set({ cpu: { shares: 1024 } });
  if (x.exists('cpu', 'cpu.rt_period_us')) {
    x.set({ cpu: { realtimePeriod: 500000, realtimeRuntime: 0 } });
    t.equal(x.read('cpu', 'cpu.rt_period_us'), '500000');
    t.equal(x.read('cpu', 'cpu.rt_runtime_us'), '0');
  }
  if (x.exists('cpu', 'cpu.idle')) {
    x.set({ cpu: { idle: 1 } });
    t.equal(x.read('cpu', 'cpu.idle'), '1');
    x.set({ cpu: { idle: 0 } });
    t.equal(x.read('cpu', 'cpu.idle'), '0');
  }
  if (has('cpuset')) {
    const { cpu, mem } = firstCpusetIds(layout?.v1.cpuset);
    x.set({ cpu: { cpus: cpu, mems: mem } });
    t.equal(x.read('cpuset', 'cpuset.cpus'), cpu);
    t.equal(x.read('cpuset', 'cpuset.mems'), mem);
    const beyond = String(os.cpus().length + 64);
    t.throws(() => x.set({ cpu: { cpus: beyond } }), { message: /subset of the parent cgroup's cpuset\.cpus/ });
    t.equal(x.read('cpuset', 'cpuset.cpus'), cpu, 'unchanged after the refusal');
  }
  await x.close();
});

/** A whole block device of this host as "major:minor" (loop and zram devices last), and its scheduler line. */
function blockDevice(): { majmin: string; scheduler: string } | undefined {
  const names = fs.readdirSync('/sys/block').sort((a, b) => Number(/^(loop|zram|ram)/.test(a)) - Number(/^(loop|zram|ram)/.test(b)));
  for (const name of names) {
    try {
      const majmin = fs.readFileSync(`/sys/block/${name}/dev`, 'utf8').trim();
      const scheduler = fs.readFileSync(`/sys/block/${name}/queue/scheduler`, 'utf8').trim();
      return { majmin, scheduler };
    } catch {
      /* next */
    }
  }
  return undefined;
}

/**
 * The I/O weight files this kernel offers in a blkio cgroup: CFQ's blkio.weight (kernels before
 * 5.0, CFQ compiled in), BFQ's blkio.bfq.weight (BFQ built in or its module loaded), or neither
 * (only mq-deadline/kyber/none: blkio then has throttling only). blkio-controller.rst, bfq-iosched.rst.
 */
type WeightCase = { kind: 'cfq'; weight: 'blkio.weight'; device: 'blkio.weight_device'; scheduler: 'cfq' }
  | { kind: 'bfq'; weight: 'blkio.bfq.weight'; device: 'blkio.bfq.weight_device'; scheduler: 'bfq' }
  | { kind: 'none' };
function weightCase(x: Managed): WeightCase {
  if (x.exists('blkio', 'blkio.weight')) return { kind: 'cfq', weight: 'blkio.weight', device: 'blkio.weight_device', scheduler: 'cfq' };
  if (x.exists('blkio', 'blkio.bfq.weight')) return { kind: 'bfq', weight: 'blkio.bfq.weight', device: 'blkio.bfq.weight_device', scheduler: 'bfq' };
  return { kind: 'none' };
}

t.test('blkio: weight applied where the kernel has a weight file, refused clearly where not; throttles read back', { skip: skipUnless('blkio') }, async (t) => {
  const x = managed(t);
  const w = weightCase(x);
  const dev = blockDevice();
  if (w.kind === 'none') {
    t.comment('this host\'s blkio hierarchy has neither blkio.weight (CFQ) nor blkio.bfq.weight (BFQ): weights must be refused before any write');
    const refusal = /^\/linux\/resources\/blockIO\/weight: this kernel has neither blkio\.weight \(CFQ\) nor blkio\.bfq\.weight \(BFQ\)/;
    const err = t.throws(() => x.set({ pids: { limit: 7 }, blockIO: { weight: 200 } }), 'weight refused');
    t.type(err, CgroupError);
    t.match(err, { code: 'cgroup-unsupported', message: refusal });
    if (has('pids')) t.equal(x.read('pids', 'pids.max'), 'max', 'pids.max untouched: refused before the first write');
    if (dev !== undefined) {
      const [major, minor] = dev.majmin.split(':').map(Number);
      t.throws(() => x.set({ blockIO: { weightDevice: [{ major, minor, weight: 300 }] } }), { code: 'cgroup-unsupported', message: refusal }, 'a per-device weight too');
    }
  } else {
    t.comment(`this host's blkio hierarchy has ${w.weight} (${w.kind.toUpperCase()}): the weight must be applied`);
    x.set({ blockIO: { weight: 200 } });
    // CFQ prints the number; BFQ prints "default 200" and then any per-device lines.
    t.match(x.read('blkio', w.weight), /^(default )?200$/m, `${w.weight} is 200`);
    if (dev !== undefined) {
      const [major, minor] = dev.majmin.split(':').map(Number);
      const per = { blockIO: { weightDevice: [{ major, minor, weight: 300 }] } };
      if (dev.scheduler.includes(`[${w.scheduler}]`)) {
        t.comment(`${dev.majmin} runs ${w.scheduler}: the per-device weight must be applied`);
        x.set(per);
        const text = x.exists('blkio', w.device) ? x.read('blkio', w.device) : x.read('blkio', w.weight);
        t.match(text, new RegExp(`^${dev.majmin} 300$`, 'm'), `per-device weight of ${dev.majmin}`);
      } else {
        // blkg_conf_prep(): EOPNOTSUPP when the device's queue does not run the weight policy.
        t.comment(`${dev.majmin} runs "${dev.scheduler}", not ${w.scheduler}: the kernel refuses a per-device weight`);
        t.throws(() => x.set(per), { message: /does not support per-cgroup weights/ }, `${w.kind} weight on a disk without ${w.scheduler}`);
      }
    }
  }
  if (!x.exists('blkio', 'blkio.leaf_weight')) {
    t.throws(() => x.set({ blockIO: { leafWeight: 100 } }), { code: 'cgroup-unsupported', message: /leaf weights need the CFQ I\/O scheduler's blkio\.leaf_weight/ }, 'leaf weights refused without CFQ');
  }
  if (dev === undefined) {
    t.comment('no block device to throttle');
    return x.close();
  }
  const [major, minor] = dev.majmin.split(':').map(Number);
  x.set({
    blockIO: {
      throttleReadBpsDevice: [{ major, minor, rate: 1048576 }],
      throttleWriteBpsDevice: [{ major, minor, rate: 2097152 }],
      throttleReadIOPSDevice: [{ major, minor, rate: 100 }],
      throttleWriteIOPSDevice: [{ major, minor, rate: 50 }],
    },
  });
  t.equal(x.read('blkio', 'blkio.throttle.read_bps_device'), `${dev.majmin} 1048576`);
  t.equal(x.read('blkio', 'blkio.throttle.write_bps_device'), `${dev.majmin} 2097152`);
  t.equal(x.read('blkio', 'blkio.throttle.read_iops_device'), `${dev.majmin} 100`);
  t.equal(x.read('blkio', 'blkio.throttle.write_iops_device'), `${dev.majmin} 50`);
  x.set({ blockIO: { throttleReadBpsDevice: [{ major, minor, rate: 0 }] } });
  t.equal(x.read('blkio', 'blkio.throttle.read_bps_device'), '', 'rate 0 removes the limit');
  t.throws(() => x.set({ blockIO: { throttleReadBpsDevice: [{ major: 4095, minor: 4095, rate: 1 }] } }), { message: /no block device with that major:minor/ });
  await x.close();
});

t.test('controllers this host lacks are refused by name, nothing written; present ones applied', { skip }, async (t) => {
  const x = managed(t);
  // Huge page sizes depend on the CPU and the kernel (x86-64: 2MB and 1GB; arm64 with 64K pages:
  // 512MB...): the first size the host has, from /sys/kernel/mm/hugepages.
  const size = hostHugePageSizes()[0] ?? '2MB';
  const [, n, unit] = /^(\d+)([KMG])B$/.exec(size) ?? ['', '2', 'M'];
  const twoPages = 2 * Number(n) * { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[unit as 'K' | 'M' | 'G'];
  const cases: Array<[string, LinuxResources, (x: Managed) => void]> = [
    ['hugetlb', { hugepageLimits: [{ pageSize: size, limit: twoPages }] }, (y) => t.equal(y.read('hugetlb', `hugetlb.${size}.limit_in_bytes`), String(twoPages), `hugetlb.${size}.limit_in_bytes`)],
    ['net_cls', { network: { classID: 0x100001 } }, (y) => t.equal(y.read('net_cls', 'net_cls.classid'), '1048577')],
    ['net_prio', { network: { priorities: [{ name: 'lo', priority: 5 }] } }, (y) => t.match(y.read('net_prio', 'net_prio.ifpriomap'), /^lo 5$/m)],
    ['rdma', { rdma: { tsrun_nodev: { hcaHandles: 1 } } }, () => t.fail('an rdma device named tsrun_nodev should not exist')],
  ];
  for (const [controller, r, verify] of cases) {
    if (!has(controller)) {
      const err = t.throws(() => x.set({ pids: { limit: 7 }, ...r }), `${controller} absent`);
      t.type(err, CgroupError);
      t.match(err, { code: 'cgroup-missing', message: new RegExp(`^/linux/resources/\\S+: the ${controller} cgroup controller is not mounted on this host`) });
      if (has('pids')) t.equal(x.read('pids', 'pids.max'), 'max', 'pids.max untouched');
    } else if (controller === 'rdma') {
      t.throws(() => x.set(r), CgroupError, 'rdma: an unknown device is refused by the kernel');
    } else if (controller === 'hugetlb' && hostHugePageSizes().length === 0) {
      t.comment('hugetlb is mounted but this kernel has no huge page sizes (/sys/kernel/mm/hugepages is empty): nothing to limit');
    } else {
      x.set(r);
      verify(x);
    }
  }
  const err = t.throws(() => x.set({ pids: { limit: 7 }, unified: { 'pids.max': '7' } }));
  t.type(err, UnsupportedError);
  t.match(err, { pointer: '/linux/resources/unified' });
  await x.close();
});

t.test('stats of a process doing CPU and disk work', { skip }, async (t) => {
  const x = managed(t);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-cgv1-io-'));
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));
  const file = path.join(work, 'data');
  // A 10% CPU quota makes the busy loop get throttled; O_DIRECT writes reach the block layer
  // in the process's own context, so blk-throttle charges them to this cgroup.
  if (has('cpu')) x.set({ cpu: { quota: 10000, period: 100000 } });
  const p = spawnInCgroup(
    x,
    `i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done; dd if=/dev/zero of=${file} bs=65536 count=16 oflag=direct 2>/dev/null && echo io-ok; echo done; sleep 30`,
  );
  p.go();
  for (const deadline = Date.now() + 60_000; !p.output().includes('done') && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
  t.match(p.output(), /done/, 'the work finished');
  const s = x.m.stats();
  if (has('cpuacct')) {
    const u = s.cpu.usage;
    t.ok((u?.total ?? 0) > 10_000_000, `cpu total ${u?.total} ns > 10 ms`);
    t.ok((u?.user ?? 0) + (u?.kernel ?? 0) > 0, `user ${u?.user} + kernel ${u?.kernel} ns`);
    t.ok((u?.percpu ?? []).length >= 1, 'per-CPU usage listed');
    t.equal((u?.percpu ?? []).reduce((a, b) => a + b, 0), u?.total, 'per-CPU times add up to the total');
  }
  if (has('cpu')) {
    t.ok((s.cpu.throttling?.periods ?? 0) > 0, `periods ${s.cpu.throttling?.periods}`);
    t.ok((s.cpu.throttling?.throttledPeriods ?? 0) > 0, `throttled in ${s.cpu.throttling?.throttledPeriods} periods (quota 10%)`);
  }
  if (has('pids')) t.ok((s.pids.current ?? 0) >= 1, `pids.current ${s.pids.current}`);
  if (has('memory')) {
    t.ok((s.memory.usage?.usage ?? 0) > 0, `memory usage ${s.memory.usage?.usage}`);
    t.ok(s.memory.raw !== undefined && 'rss' in s.memory.raw, 'memory.stat in raw');
  }
  if (has('blkio') && p.output().includes('io-ok')) {
    const writes = (s.blkio.ioServiceBytesRecursive ?? []).filter((e) => e.op === 'Write');
    t.ok(writes.some((e) => (e.value ?? 0) >= 1 << 20), `1 MiB of direct writes counted: ${JSON.stringify(writes)}`);
  }
  t.same(JSON.parse(JSON.stringify(s)), s, 'stats serialise to JSON unchanged');
  await x.close();
});
