// src/launcher/parent/early-plan.ts: which create/run command lines and configs get their init stage
// spawned by the dispatcher, and the spawnKey launchInit compares before adopting it.
import t from 'tap';
import { earlyBundle, earlyPlan, earlyPlanOf, earlyShape, spawnKey } from '../../src/launcher/parent/early-plan';
import { SPEC_VERSION } from '../../src/spec/version';

/** A config of the plain case (what `tsrun spec` writes, terminal off). */
function plain(): Record<string, any> {
  return {
    ociVersion: SPEC_VERSION,
    process: { terminal: false, args: ['sh'], cwd: '/' },
    root: { path: 'rootfs' },
    hooks: { prestart: [{ path: '/bin/true' }] },
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
    },
  };
}

t.test('command lines: the plain create/run ones give their bundle', async (t) => {
  t.equal(earlyBundle('create', ['c1']), '.', 'default bundle: the current directory');
  t.equal(earlyBundle('create', ['--bundle', '/b', 'c1']), '/b');
  t.equal(earlyBundle('create', ['-b', '/b', 'c1']), '/b');
  t.equal(earlyBundle('create', ['--bundle=/b', 'c1']), '/b');
  t.equal(earlyBundle('create', ['c1', '-b', '/b']), '/b', 'flags after the id');
  t.equal(earlyBundle('create', ['--pid-file', '/p', '--no-pivot', '--no-new-keyring', '-b', '/b', 'c1']), '/b', '--pid-file and the switches are served');
  t.equal(earlyBundle('run', ['-d', '--keep', '--detach', '-b', '/b', 'c1']), '/b', "run's switches");
});

t.test('command lines left to the verb', async (t) => {
  for (const [verb, argv, why] of [
    ['create', ['--console-socket', '/s', 'c1'], 'console socket: a terminal'],
    ['create', ['--preserve-fds', '2', 'c1'], '--preserve-fds changes the fd layout'],
    ['create', ['--preserve-fds=0', 'c1'], '--preserve-fds in any form'],
    ['create', ['--help'], 'help'],
    ['create', ['-h', 'c1'], 'short help'],
    ['create', [], 'no id'],
    ['create', ['a', 'b'], 'two ids'],
    ['create', ['--', 'c1'], 'the end-of-flags marker'],
    ['create', ['--bundle'], 'a flag without its value'],
    ['create', ['--bundle=', 'c1'], 'an empty value'],
    ['create', ['-d', 'c1'], "run's switch on create (a usage error)"],
    ['create', ['--detach', 'c1'], "run's switch on create"],
    ['create', ['--frobnicate', 'c1'], 'an unknown flag'],
    ['create', ['-bx', 'c1'], 'short flags run together'],
    ['start', ['c1'], 'not create or run'],
    ['exec', ['c1', 'sh'], 'not create or run'],
  ] as Array<[string, string[], string]>) {
    t.equal(earlyBundle(verb, argv), undefined, why);
  }
});

t.test('configs: the plain case, cgroup left to the init stage', async (t) => {
  const p = earlyPlanOf(plain());
  t.same(p?.nsRequests, [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }]);
  const noProcess = plain();
  delete noProcess.process;
  t.ok(earlyPlanOf(noProcess), 'no process object (validation decides)');
  const noTerminal = plain();
  delete noTerminal.process.terminal;
  t.ok(earlyPlanOf(noTerminal), 'terminal absent is false');
  const mountOnly = plain();
  mountOnly.linux.namespaces = [{ type: 'mount' }];
  t.same(earlyPlanOf(mountOnly)?.nsRequests, [{ type: 'mount' }]);
});

t.test('configs left to the verb', async (t) => {
  const cases: Array<[string, (c: Record<string, any>) => void]> = [
    ['process.terminal', (c) => (c.process.terminal = true)],
    ['a terminal that is not a boolean', (c) => (c.process.terminal = 'yes')],
    ['a joined namespace', (c) => (c.linux.namespaces[1] = { type: 'network', path: '/proc/1/ns/net' })],
    ['a joined namespace with an empty path', (c) => (c.linux.namespaces[1] = { type: 'network', path: '' })],
    ['a joined mount namespace', (c) => (c.linux.namespaces[4] = { type: 'mount', path: '/proc/1/ns/mnt' })],
    ['a joined cgroup namespace', (c) => (c.linux.namespaces[5] = { type: 'cgroup', path: '/proc/1/ns/cgroup' })],
    ['no mount namespace', (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'mount'))],
    ['no namespaces at all', (c) => (c.linux.namespaces = [])],
    ['namespaces absent', (c) => delete c.linux.namespaces],
    ['no linux object', (c) => delete c.linux],
    ['a time namespace', (c) => c.linux.namespaces.push({ type: 'time' })],
    ['time offsets', (c) => (c.linux.timeOffsets = { monotonic: { secs: 1, nanosecs: 0 } })],
    ['a user namespace', (c) => c.linux.namespaces.push({ type: 'user' })],
    ['an unknown type', (c) => c.linux.namespaces.push({ type: 'bogus' })],
    ['a type twice', (c) => c.linux.namespaces.push({ type: 'pid' })],
    ['a namespace that is not an object', (c) => c.linux.namespaces.push('pid')],
    ['namespaces not an array', (c) => (c.linux.namespaces = { type: 'mount' })],
    ['process not an object', (c) => (c.process = 'sh')],
  ];
  for (const [why, mutate] of cases) {
    const c = plain();
    mutate(c);
    t.equal(earlyPlanOf(c), undefined, why);
  }
  t.equal(earlyPlanOf([]), undefined, 'an array');
  t.equal(earlyPlanOf(null), undefined, 'null');
});

t.test('earlyPlan reads <bundle>/config.json and gives up on anything it cannot parse', async (t) => {
  const read = (files: Record<string, string>) => (f: string) => files[f];
  const good = JSON.stringify(plain());
  t.ok(earlyPlan('create', ['-b', '/b', 'c1'], read({ '/b/config.json': good })));
  t.ok(earlyPlan('run', ['-b', '/b/', 'c1'], read({ '/b/config.json': good })), 'path resolved');
  t.equal(earlyPlan('create', ['-b', '/b', 'c1'], read({})), undefined, 'unreadable');
  t.equal(earlyPlan('create', ['-b', '/b', 'c1'], read({ '/b/config.json': '{"linux": ' })), undefined, 'invalid JSON');
  t.equal(earlyPlan('create', ['-b', '/b', 'c1'], read({ '/b/config.json': '\ufeff' + good })), undefined, 'a byte order mark');
  t.equal(earlyPlan('create', ['--preserve-fds', '1', '-b', '/b', 'c1'], read({ '/b/config.json': good })), undefined, 'flags first');
});

t.test('spawnKey: equal for the same spawn, whatever the order; different otherwise', async (t) => {
  const base = { nsRequests: [{ type: 'pid' as const }, { type: 'mount' as const }], preserveFds: 0, terminal: false };
  t.equal(spawnKey(base), spawnKey({ ...base, nsRequests: [{ type: 'mount' }, { type: 'pid' }] }), 'order of the namespaces');
  t.equal(spawnKey(base), spawnKey({ ...base, timeOffsets: undefined }));
  t.not(spawnKey(base), spawnKey({ ...base, nsRequests: [{ type: 'mount' }] }), 'one namespace fewer');
  t.not(spawnKey(base), spawnKey({ ...base, nsRequests: [{ type: 'pid', path: '/proc/1/ns/pid' }, { type: 'mount' }] }), 'joined');
  t.not(spawnKey(base), spawnKey({ ...base, preserveFds: 1 }), 'preserved fds');
  t.not(spawnKey(base), spawnKey({ ...base, terminal: true }), 'terminal');
  t.not(spawnKey(base), spawnKey({ ...base, timeOffsets: { boottime: { secs: 1, nanosecs: 0 } } }), 'time offsets');
  const plan = earlyPlanOf(plain());
  t.ok(plan);
  // What launchInit computes for the same config (convert.ts: cgroup left out, no path).
  t.equal(spawnKey(earlyShape(plan!)), spawnKey({
    nsRequests: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
    timeOffsets: undefined, preserveFds: 0, terminal: false,
  }));
});
