// Process extras of runtime-spec 1.1-1.3, through the real CLI (root): linux.personality,
// process.scheduler, process.ioPriority, linux.memoryPolicy and process.execCPUAffinity seen from
// inside the container and from the host; LSM labels refused on a host without AppArmor/SELinux;
// runc's sysctl rules (only namespaced keys, each with its own namespace).
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import t from 'tap';
import {
  assertCleanError, assertNoLeaks, bundleFor, cleanupRoot, makeStateRoot, quiet, skipReason, stateOf, tsrun, uniqueId,
} from '../lib/harness';
import type { Test } from 'tap';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

function run(t: Test, script: string, mutate: (c: any) => void) {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', script];
    mutate(c);
  });
  return tsrun(root, ['run', '-b', bundle, uniqueId('px')]);
}

/** `create` only, then `look(pid)` at the init process from the host, then delete. */
function created(t: Test, mutate: (c: any) => void, look: (pid: number) => void): void {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['true'];
    mutate(c);
  });
  const id = uniqueId('pxc');
  const r = tsrun(root, ['create', '-b', bundle, id]);
  t.equal(r.status, 0, r.stderr);
  try {
    const pid = stateOf(root, id)?.pid as number;
    t.ok(pid > 0, 'created with a pid');
    look(pid);
  } finally {
    t.equal(tsrun(root, ['delete', '--force', id]).status, 0, 'deleted');
  }
}

/** Fields of /proc/<pid>/stat, numbered as proc(5) numbers them (1 = pid). */
function statField(text: string, n: number): string {
  const rest = text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
  return rest[n - 3];
}

function refusedAtCreate(t: Test, mutate: (c: any) => void, re: RegExp): void {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    mutate(c);
  });
  const id = uniqueId('pxf');
  assertCleanError(t, tsrun(root, ['create', '-b', bundle, id]), re);
  t.equal(stateOf(root, id), undefined, 'no container left');
}

t.test('personality LINUX32: uname reports a 32-bit machine', { skip: skipReason || (process.arch !== 'x64' && 'x86_64 only (i686 expected)') }, async (t) => {
  const r = run(t, 'uname -m', (c) => (c.linux.personality = { domain: 'LINUX32' }));
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'i686\n');
  const native = run(t, 'uname -m', (c) => (c.linux.personality = { domain: 'LINUX' }));
  t.equal(native.stdout, 'x86_64\n', 'LINUX: the native machine');
  refusedAtCreate(t, (c) => (c.linux.personality = { domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] }), /\/linux\/personality\/flags: personality flags are not supported/);
  assertNoLeaks(t, root);
});

t.test('scheduler: policy and nice inside, and on the init process from the host', { skip: skipReason }, async (t) => {
  // proc(5) stat: field 19 nice, field 41 policy (SCHED_BATCH 3, SCHED_IDLE 5).
  const batch = run(t, 'cat /proc/self/stat', (c) => (c.process.scheduler = { policy: 'SCHED_BATCH', nice: 7 }));
  t.equal(batch.status, 0, batch.stderr);
  t.equal(statField(batch.stdout, 41), '3', 'SCHED_BATCH inside');
  t.equal(statField(batch.stdout, 19), '7', 'nice 7 inside');
  const idle = run(t, 'cat /proc/self/stat', (c) => (c.process.scheduler = { policy: 'SCHED_IDLE' }));
  t.equal(statField(idle.stdout, 41), '5', 'SCHED_IDLE inside');
  const plain = run(t, 'cat /proc/self/stat', () => {});
  t.equal(statField(plain.stdout, 41), '0', 'without the field: SCHED_OTHER');
  created(t, (c) => (c.process.scheduler = { policy: 'SCHED_BATCH', nice: 3, flags: ['SCHED_FLAG_RESET_ON_FORK'] }), (pid) => {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    t.equal(statField(st, 41), '3', 'the created container\'s process already runs SCHED_BATCH');
    t.equal(statField(st, 19), '3', 'with nice 3');
  });
  assertNoLeaks(t, root);
});

t.test('scheduler values the kernel refuses fail create, clearly', { skip: skipReason }, async (t) => {
  refusedAtCreate(t, (c) => (c.process.scheduler = { policy: 'SCHED_ISO' }),
    /container init \(scheduler\): sched_setattr: SCHED_ISO is not implemented by mainline Linux kernels: EINVAL/);
  refusedAtCreate(t, (c) => (c.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 10, deadline: 5, period: 1 }),
    /sched_setattr: the kernel refused the SCHED_DEADLINE parameters.*EINVAL/);
  refusedAtCreate(t, (c) => (c.process.scheduler = { policy: 'SCHED_OTHER', nice: 40 }), /\/process\/scheduler\/nice: must be between -20 and 19/);
  assertNoLeaks(t, root);
});

t.test('ioPriority: read back with ioprio_get (ionice) from the host and inside', { skip: skipReason }, async (t) => {
  const haveIonice = spawnSync('ionice', ['-p', String(process.pid)]).status === 0;
  created(t, (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 }), (pid) => {
    if (!haveIonice) {
      t.comment('no ionice(1) on the host: host view not checked');
      return;
    }
    const r = spawnSync('ionice', ['-p', String(pid)], { encoding: 'utf8' });
    t.equal(r.stdout.trim(), 'best-effort: prio 6', 'host view of the init process');
  });
  const inside = run(t, 'ionice -p $$', (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 }));
  t.equal(inside.status, 0, inside.stderr);
  t.equal(inside.stdout.trim(), 'idle', 'the container process (busybox ionice)');
  const rt = run(t, 'ionice -p $$', (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: 2 }));
  t.equal(rt.stdout.trim(), 'realtime: prio 2', 'IOPRIO_CLASS_RT (root holds CAP_SYS_ADMIN while it is set)');
  refusedAtCreate(t, (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 9 }), /\/process\/ioPriority\/priority: must be between 0 and 7, got 9/);
  assertNoLeaks(t, root);
});

const haveNuma = fs.existsSync('/sys/devices/system/node/node0');
t.test('memoryPolicy: set_mempolicy seen in numa_maps', { skip: skipReason || (!haveNuma && 'no NUMA node 0 in sysfs') }, async (t) => {
  const bind = run(t, 'cat /proc/self/numa_maps', (c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' }));
  t.equal(bind.status, 0, bind.stderr);
  t.match(bind.stdout, /^[0-9a-f]+ bind:0 /m, 'MPOL_BIND on node 0');
  const local = run(t, 'cat /proc/self/numa_maps', (c) => (c.linux.memoryPolicy = { mode: 'MPOL_LOCAL', nodes: '' }));
  t.match(local.stdout, /^[0-9a-f]+ local /m, 'MPOL_LOCAL');
  const inter = run(t, 'cat /proc/self/numa_maps', (c) => (c.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0' }));
  t.match(inter.stdout, /^[0-9a-f]+ interleave:0 /m, 'MPOL_INTERLEAVE');
  const plain = run(t, 'cat /proc/self/numa_maps', () => {});
  t.match(plain.stdout, /^[0-9a-f]+ default /m, 'without the field: the default policy');
  if (!fs.existsSync('/sys/devices/system/node/node63')) {
    refusedAtCreate(t, (c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '63' }),
      /container init \(memory-policy\): set_mempolicy: the kernel refused MPOL_BIND on nodes "63".*EINVAL/);
  }
  refusedAtCreate(t, (c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND' }), /\/linux\/memoryPolicy\/nodes: MPOL_BIND needs at least one node/);
  assertNoLeaks(t, root);
});

t.test('execCPUAffinity: validated, not applied to the container process', { skip: skipReason }, async (t) => {
  const script = 'grep Cpus_allowed_list /proc/self/status';
  const plain = run(t, script, () => {});
  const withAff = run(t, script, (c) => (c.process.execCPUAffinity = { initial: '0', final: '0' }));
  t.equal(withAff.status, 0, withAff.stderr);
  t.equal(withAff.stdout, plain.stdout, 'the init process keeps the affinity it would have had (the field is for exec)');
  refusedAtCreate(t, (c) => (c.process.execCPUAffinity = { initial: '4-2' }), /\/process\/execCPUAffinity\/initial: range "4-2" ends before it starts/);
  assertNoLeaks(t, root);
});

const aa = fs.existsSync('/sys/kernel/security/apparmor');
const se = fs.existsSync('/sys/fs/selinux/enforce');
t.test('LSM labels are refused by name on a host without the LSM', { skip: skipReason || ((aa || se) && 'this host runs AppArmor or SELinux') }, async (t) => {
  refusedAtCreate(t, (c) => (c.process.apparmorProfile = 'docker-default'), /^tsrun create: \/process\/apparmorProfile: cannot be applied: AppArmor is not enabled on this host$/m);
  refusedAtCreate(t, (c) => (c.process.selinuxLabel = 'system_u:system_r:container_t:s0'), /\/process\/selinuxLabel: cannot be applied: SELinux is not enabled on this host/);
  refusedAtCreate(t, (c) => (c.linux.mountLabel = 'system_u:object_r:container_file_t:s0'), /\/linux\/mountLabel: cannot be applied: SELinux is not enabled on this host/);
  const empty = run(t, 'echo ok', (c) => {
    c.process.apparmorProfile = '';
    c.process.selinuxLabel = '';
  });
  t.equal(empty.stdout, 'ok\n', 'empty labels are "unset" and run');
  const features = JSON.parse(tsrun(root, ['features']).stdout);
  t.same([features.linux.apparmor, features.linux.selinux], [{ enabled: false }, { enabled: false }], 'features says so');
  assertNoLeaks(t, root);
});

t.test('sysctl: only namespaced keys, with their namespace (runc rules)', { skip: skipReason }, async (t) => {
  refusedAtCreate(t, (c) => (c.linux.sysctl = { 'vm.swappiness': '10' }),
    /\/linux\/sysctl\/vm.swappiness: is not in a separate kernel namespace \(it would change the host\)/);
  refusedAtCreate(t, (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'network');
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
  }, /\/linux\/sysctl\/net.ipv4.ip_forward: needs a network namespace/);
  refusedAtCreate(t, (c) => {
    c.linux.namespaces = c.linux.namespaces.map((n: any) => (n.type === 'network' ? { type: 'network', path: `/proc/${process.pid}/ns/net` } : n));
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
  }, /\/linux\/sysctl\/net.ipv4.ip_forward: is not allowed in the host network namespace/);
  const before = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const own = run(t, 'cat /proc/sys/net/ipv4/ip_forward', (c) => (c.linux.sysctl = { 'net.ipv4.ip_forward': before.trim() === '1' ? '0' : '1' }));
  t.equal(own.status, 0, own.stderr);
  t.not(own.stdout, before, 'set in the container\'s own network namespace');
  t.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), before, 'the host keeps its value');
  assertNoLeaks(t, root);
});
