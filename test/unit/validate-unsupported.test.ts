// src/spec/unsupported.ts: every field tsrun does not implement yet is refused by name (an
// UnsupportedError with the JSON pointer), only when it is actually set; and the table and this
// test list stay in step, so deleting a line from UNSUPPORTED forces a test update.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { UnsupportedError } from '../../src/errors';
import { UNSUPPORTED, isSet, matchPointer, refuseUnsupported } from '../../src/spec/unsupported';
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
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }] },
  };
}
const idmap = [{ containerID: 0, hostID: 100000, size: 65536 }];
const NOT_BIND = 'id-mapped mounts (idmap, ridmap, uidMappings/gidMappings) are supported by tsrun for bind mounts only';
function userNs(c: Json): void {
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = idmap;
  c.linux.gidMappings = idmap;
}

// [table path, change, expected message]
const cases: Array<[string, (c: Json) => void, string]> = [
  // A user namespace with maps is implemented (src/launcher/parent/trampoline.ts), and so are id-mapped
  // binds (src/linux/bind-tree.ts); an id-mapped mount of a new filesystem is not.
  ['/mounts/*', (c) => { userNs(c); c.mounts.push({ destination: '/d', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] }); }, `/mounts/1: ${NOT_BIND}`],
  ['/linux/intelRdt', (c) => (c.linux.intelRdt = { closID: 'gold' }), '/linux/intelRdt: is not supported by tsrun yet'],
  ['/linux/netDevices', (c) => (c.linux.netDevices = { eth1: { name: 'eth0' } }), '/linux/netDevices: is not supported by tsrun yet'],
];

t.test('a user namespace with uid/gid maps is not refused', async (t) => {
  const c = base();
  userNs(c);
  t.equal(validateSpec(c), c);
});

t.test('id-mapped binds are not refused: idmap, ridmap, mappings with or without the option, type "bind"', async (t) => {
  const mounts = [
    { destination: '/a', source: '/s', options: ['bind', 'idmap'] },
    { destination: '/b', source: '/s', options: ['rbind', 'ridmap'], uidMappings: idmap, gidMappings: idmap },
    { destination: '/c', source: '/s', options: ['rbind'], uidMappings: idmap, gidMappings: idmap },
    { destination: '/d', type: 'bind', source: '/s', options: ['idmap'] },
  ];
  for (const m of mounts) {
    const c = base();
    userNs(c);
    c.mounts.push(m);
    t.equal(validateSpec(c), c, m.destination);
  }
});

t.test('each unsupported field is refused by name', async (t) => {
  for (const [, change, expected] of cases) {
    const c = base();
    change(c);
    let err: unknown;
    try {
      validateSpec(c);
    } catch (e) {
      err = e;
    }
    t.type(err, UnsupportedError, expected);
    t.equal((err as Error).message, expected);
    t.equal((err as UnsupportedError).code, 'unsupported');
  }
});

t.test('refuseUnsupported alone names each table entry (user namespace checks aside)', async (t) => {
  // Through validateSpec, the id-mapping checks run first; calling refuseUnsupported directly on
  // a config without the user namespace shows the field's own line.
  const direct: Array<[(c: Json) => void, string]> = [
    [(c) => c.mounts.push({ destination: '/d', type: 'tmpfs', uidMappings: idmap }), `/mounts/1: ${NOT_BIND}`],
    [(c) => c.mounts.push({ destination: '/d', type: 'proc', gidMappings: idmap }), `/mounts/1: ${NOT_BIND}`],
    [(c) => c.mounts.push({ destination: '/d', type: 'tmpfs', options: ['ridmap'] }), `/mounts/1: ${NOT_BIND}`],
  ];
  for (const [change, expected] of direct) {
    const c = base();
    change(c);
    t.throws(() => refuseUnsupported(c), { message: expected, constructor: UnsupportedError }, expected);
  }
});

t.test('hooks are accepted (all six phases run, src/hooks/)', async (t) => {
  const hook = [{ path: '/bin/true', args: ['true'], env: ['A=1'], timeout: 5 }];
  const c = base();
  c.hooks = { prestart: hook, createRuntime: hook, createContainer: hook, startContainer: hook, poststart: hook, poststop: hook };
  t.doesNotThrow(() => refuseUnsupported(c));
  t.equal(validateSpec(c), c);
});

t.test('the test cases cover the table exactly', async (t) => {
  t.same(cases.map(([p]) => p).sort(), UNSUPPORTED.map((r) => r.path).sort());
});

t.test('unset, false and empty values are not refused', async (t) => {
  const c = base();
  c.hooks = { prestart: [], poststop: [] };
  c.process.terminal = false;
  c.process.apparmorProfile = '';
  c.process.selinuxLabel = '';
  c.linux.mountLabel = '';
  c.linux.netDevices = {};
  c.linux.uidMappings = undefined;
  c.linux.resources = { devices: [{ allow: false, access: 'rwm' }], pids: { limit: 100 }, memory: {}, unified: {} };
  c.mounts.push({ destination: '/d', source: '/s', options: ['rbind', 'ro'] });
  t.equal(validateSpec(c), c);
});

t.test('every linux.resources field passes validation, unified included', async (t) => {
  // The cgroup manager refuses, at set() time, what the host's layout cannot apply
  // (the validate() of each controller in src/cgroups/v1/ and src/cgroups/v2/).
  const c = base();
  c.linux.resources = {
    memory: { limit: 1 << 30, reservation: 1 << 29, swap: 2 << 30, swappiness: 10, disableOOMKiller: false },
    cpu: { shares: 512, quota: 50000, period: 100000, burst: 10000, cpus: '0', mems: '0' },
    blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] },
    hugepageLimits: [{ pageSize: '2MB', limit: 0 }],
    network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 5 }] },
    rdma: { mlx5_0: { hcaHandles: 1 } },
    unified: { 'memory.high': '1G' },
  };
  t.equal(validateSpec(c), c);
  t.notOk(UNSUPPORTED.some((r) => r.path.startsWith('/linux/resources')), 'no linux.resources rule left in the table');
});

t.test('isSet and matchPointer', async (t) => {
  for (const v of [undefined, null, false, '', [], {}]) t.notOk(isSet(v), JSON.stringify(v) ?? 'undefined');
  for (const v of [true, 0, 'x', [1], { a: 1 }]) t.ok(isSet(v), JSON.stringify(v));
  const doc = { a: [{ b: 1 }, { c: 2 }, { b: 3 }], 'x/y': { '~z': 4 } };
  t.same(matchPointer(doc, '/a/*/b'), [['/a/0/b', 1], ['/a/2/b', 3]]);
  t.same(matchPointer(doc, '/x~1y/~0z'), [['/x~1y/~0z', 4]]);
  t.same(matchPointer(doc, '/nope/*'), []);
});

t.test('linux.seccomp is accepted by validation (compiled by src/security/seccomp.ts at create)', async (t) => {
  const c = base();
  c.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] };
  t.doesNotThrow(() => refuseUnsupported(c));
  t.notOk(UNSUPPORTED.some((r) => r.path.startsWith('/linux/seccomp')), 'no seccomp line in the table');
});
