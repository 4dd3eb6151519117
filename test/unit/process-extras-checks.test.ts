// The value checks of src/spec/checks.ts for the process extras (scheduler, ioPriority,
// execCPUAffinity, personality, memoryPolicy) and runc's sysctl rules, through validateSpec as
// `create` runs them; and convertSpec handing the fields to the init stage.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { SpecError } from '../../src/errors';
import { refuseHostNetnsSysctls } from '../../src/spec/checks';
import { convertSpec } from '../../src/spec/convert';
import type * as Validate from '../../src/spec/validate';
import { SPEC_VERSION } from '../../src/spec/version';

const repo = path.resolve(__dirname, '../..');
execFileSync(process.execPath, [path.join(repo, 'scripts/gen-validators.mjs')]);
const { validateSpec } = require('../../src/spec/validate') as typeof Validate;

type Json = any;
function base(): Json {
  return {
    ociVersion: SPEC_VERSION,
    root: { path: 'rootfs' },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } },
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }] },
  };
}
function refusal(change: (c: Json) => void): string {
  const c = base();
  change(c);
  try {
    validateSpec(c);
  } catch (e) {
    if (e instanceof SpecError) return e.message;
    throw e;
  }
  return 'accepted';
}
function accepted(t: Test, change: (c: Json) => void, what: string): void {
  t.equal(refusal(change), 'accepted', what);
}

t.test('the fields are accepted (no longer refused as unsupported)', async (t) => {
  accepted(t, (c) => (c.process.scheduler = { policy: 'SCHED_BATCH', nice: 5 }), 'scheduler');
  accepted(t, (c) => (c.process.scheduler = { policy: 'SCHED_FIFO', priority: 99, flags: ['SCHED_FLAG_RESET_ON_FORK'] }), 'real-time scheduler');
  accepted(t, (c) => (c.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 1e6, deadline: 2e6, period: 3e6 }), 'deadline');
  accepted(t, (c) => (c.process.scheduler = { policy: 'SCHED_ISO' }), 'SCHED_ISO (the kernel judges it)');
  accepted(t, (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 7 }), 'ioPriority');
  accepted(t, (c) => (c.process.execCPUAffinity = { initial: '0-3,7', final: '' }), 'execCPUAffinity');
  accepted(t, (c) => (c.linux.personality = { domain: 'LINUX32' }), 'personality');
  accepted(t, (c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0-1', flags: ['MPOL_F_STATIC_NODES'] }), 'memoryPolicy');
  accepted(t, (c) => (c.linux.memoryPolicy = { mode: 'MPOL_LOCAL', nodes: '' }), 'MPOL_LOCAL with empty nodes');
  accepted(t, (c) => (c.process.apparmorProfile = 'docker-default'), 'apparmorProfile (the host check is at create)');
  accepted(t, (c) => (c.linux.mountLabel = 'system_u:object_r:container_file_t:s0'), 'mountLabel (the host check is at create)');
});

t.test('scheduler values (runc validator rules)', async (t) => {
  const s = (v: Json) => refusal((c) => (c.process.scheduler = v));
  t.equal(s({ policy: 'SCHED_OTHER', nice: 20 }), '/process/scheduler/nice: must be between -20 and 19, got 20');
  t.equal(s({ policy: 'SCHED_OTHER', nice: -21 }), '/process/scheduler/nice: must be between -20 and 19, got -21');
  t.equal(s({ policy: 'SCHED_BATCH', priority: 5 }), '/process/scheduler/priority: can only be set for SCHED_FIFO or SCHED_RR, not SCHED_BATCH');
  t.equal(s({ policy: 'SCHED_RR' }), '/process/scheduler/priority: must be between 1 and 99 for SCHED_RR (sched(7)), got none');
  t.equal(s({ policy: 'SCHED_FIFO', priority: 100 }), '/process/scheduler/priority: must be between 1 and 99 for SCHED_FIFO (sched(7)), got 100');
  t.equal(s({ policy: 'SCHED_OTHER', runtime: 5 }), '/process/scheduler/runtime: can only be set for SCHED_DEADLINE, not SCHED_OTHER');
  t.equal(s({ policy: 'SCHED_IDLE', period: 5 }), '/process/scheduler/period: can only be set for SCHED_DEADLINE, not SCHED_IDLE');
  t.equal(s({ policy: 'SCHED_LOTTERY' }), '/process/scheduler/policy: must be one of SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_ISO, SCHED_IDLE, SCHED_DEADLINE');
});

t.test('ioPriority, execCPUAffinity, personality, memoryPolicy values', async (t) => {
  t.equal(refusal((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: 8 })), '/process/ioPriority/priority: must be between 0 and 7, got 8');
  t.equal(refusal((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: -1 })), '/process/ioPriority/priority: must be between 0 and 7, got -1');
  t.equal(refusal((c) => (c.process.execCPUAffinity = { initial: '3-1' })), '/process/execCPUAffinity/initial: range "3-1" ends before it starts');
  t.equal(refusal((c) => (c.process.execCPUAffinity = { final: '1,,2' })), '/process/execCPUAffinity/final: "" is not a CPU number or range (expected a list like "0-3,7")');
  t.equal(refusal((c) => (c.linux.personality = { domain: 'LINUX', flags: ['UNAME26'] })), '/linux/personality/flags: personality flags are not supported (got UNAME26); runtime-spec defines none');
  t.equal(refusal((c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND' })), '/linux/memoryPolicy/nodes: MPOL_BIND needs at least one node');
  t.equal(refusal((c) => (c.linux.memoryPolicy = { mode: 'MPOL_DEFAULT', nodes: '0' })), '/linux/memoryPolicy/nodes: must be empty with MPOL_DEFAULT');
  t.equal(refusal((c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_RELATIVE_NODES', 'MPOL_F_STATIC_NODES'] })),
    '/linux/memoryPolicy/flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES cannot be combined');
  t.equal(refusal((c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '2-0' })), '/linux/memoryPolicy/nodes: range "2-0" ends before it starts');
});

t.test('sysctl: only namespaced keys, each with its namespace (runc validator)', async (t) => {
  const sys = (kv: Record<string, string>, drop?: string) => refusal((c) => {
    c.linux.sysctl = kv;
    if (drop) c.linux.namespaces = c.linux.namespaces.filter((n: Json) => n.type !== drop);
  });
  t.equal(sys({ 'vm.swappiness': '10' }), '/linux/sysctl/vm.swappiness: is not in a separate kernel namespace (it would change the host)');
  t.equal(sys({ 'kernel.panic': '5' }), '/linux/sysctl/kernel.panic: is not in a separate kernel namespace (it would change the host)');
  t.equal(sys({ 'fs.file-max': '5' }), '/linux/sysctl/fs.file-max: is not in a separate kernel namespace (it would change the host)');
  t.equal(sys({ 'net.ipv4.ip_forward': '1' }, 'network'), '/linux/sysctl/net.ipv4.ip_forward: needs a network namespace (not allowed in the host network namespace)');
  t.equal(sys({ 'net/ipv4/ip_forward': '1' }, 'network'), '/linux/sysctl/net~1ipv4~1ip_forward: needs a network namespace (not allowed in the host network namespace)');
  t.equal(sys({ 'kernel.shmmax': '1' }, 'ipc'), '/linux/sysctl/kernel.shmmax: needs an ipc namespace (not allowed in the host ipc namespace)');
  t.equal(sys({ 'fs.mqueue.msg_max': '1' }, 'ipc'), '/linux/sysctl/fs.mqueue.msg_max: needs an ipc namespace (not allowed in the host ipc namespace)');
  t.equal(sys({ 'kernel.domainname': 'x' }, 'uts'), '/linux/sysctl/kernel.domainname: is not in a separate kernel namespace (it would change the host)');
  t.equal(sys({ 'kernel.hostname': 'x' }), '/linux/sysctl/kernel.hostname: conflicts with the "hostname" field; set that instead');
  t.equal(sys({ 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1', 'kernel.domainname': 'd', 'fs.mqueue.queues_max': '3' }), 'accepted');
});

t.test('sysctl: net.* in a joined network namespace that is the host\'s is refused', async (t) => {
  const spec = (nsPath: string | undefined, sysctl: Record<string, string>): Json => {
    const c = base();
    c.linux.namespaces = c.linux.namespaces.map((n: Json) => (n.type === 'network' && nsPath ? { type: 'network', path: nsPath } : n));
    c.linux.sysctl = sysctl;
    return c;
  };
  const host = (p: string) => p === '/proc/1/ns/net';
  t.throws(() => refuseHostNetnsSysctls(spec('/proc/1/ns/net', { 'net.core.somaxconn': '1' }), host),
    { message: '/linux/sysctl/net.core.somaxconn: is not allowed in the host network namespace (/proc/1/ns/net is the runtime\'s own)' });
  t.doesNotThrow(() => refuseHostNetnsSysctls(spec('/run/netns/other', { 'net.core.somaxconn': '1' }), host), 'another joined namespace');
  t.doesNotThrow(() => refuseHostNetnsSysctls(spec(undefined, { 'net.core.somaxconn': '1' }), host), 'a new namespace');
  t.doesNotThrow(() => refuseHostNetnsSysctls(spec('/proc/1/ns/net', { 'kernel.shmmax': '1' }), host), 'no net.* key');
  // Through convertSpec, with the real nsfs comparison: this process's own namespace is the host's.
  const c = spec(`/proc/${process.pid}/ns/net`, { 'net.ipv4.ip_forward': '1' });
  t.throws(() => convertSpec(c, 'x', '/b', '/b/rootfs', { apparmor: false, selinux: false }), /\/linux\/sysctl\/net.ipv4.ip_forward: is not allowed in the host network namespace/);
});

t.test('convertSpec hands the fields to the init stage', async (t) => {
  const c = base();
  c.process.scheduler = { policy: 'SCHED_IDLE' };
  c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 };
  c.process.execCPUAffinity = { initial: '0' };
  c.process.apparmorProfile = '';
  c.linux.personality = { domain: 'LINUX32' };
  c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
  const conv = convertSpec(validateSpec(c), 'x', '/b', '/b/rootfs', { apparmor: false, selinux: false });
  t.same(conv.init.process?.scheduler, { policy: 'SCHED_IDLE' });
  t.same(conv.init.process?.ioPriority, { class: 'IOPRIO_CLASS_IDLE', priority: 0 });
  t.equal(conv.init.process?.apparmorProfile, undefined, 'an empty profile is no profile');
  t.notOk('execCPUAffinity' in (conv.init.process ?? {}), 'execCPUAffinity is for exec only, not the init process');
  t.same(conv.init.personality, { domain: 'LINUX32' });
  t.same(conv.init.memoryPolicy, { mode: 'MPOL_BIND', nodes: '0' });
});
