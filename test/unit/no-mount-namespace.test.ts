// A config without a mount namespace (config-linux.md Namespaces: an unlisted type is inherited
// from the runtime). The field refusals are in validate-checks.test.ts (check no-mount-namespace);
// here: what convertSpec tells the init stage, the refusal of a joined mount namespace that is the
// runtime's own, and the init stage's own guard (prepareRootInPlace refuses to run with anything
// that would mount, whatever the checks let through). No root needed.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { RuntimeError, SpecError } from '../../src/errors';
import { SPEC_VERSION } from '../../src/spec/version';
import { convertSpec } from '../../src/spec/convert';
import { prepareRootInPlace } from '../../src/linux/rootfs';
import { libcSys } from '../../src/sys/libc-sys';
import type { InitConfig } from '../../src/stage-config/init-config';
import type * as Validate from '../../src/spec/validate';
import type * as ValidateProcess from '../../src/spec/validate-process';

const repo = path.resolve(__dirname, '../..');
execFileSync(process.execPath, [path.join(repo, 'scripts/gen-validators.mjs')]);
const { validateSpec } = require('../../src/spec/validate') as typeof Validate;
const { validateProcessDoc } = require('../../src/spec/validate-process') as typeof ValidateProcess;

type Json = any;
const NO_LSM = { apparmor: false, selinux: false };

function config(namespaces: Json[]): Json {
  return {
    ociVersion: SPEC_VERSION,
    root: { path: 'rootfs' },
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } },
    linux: { namespaces },
  };
}

t.test('no "mount" entry: accepted, and the init stage is told to mount nothing', async (t) => {
  const conv = convertSpec(validateSpec(config([{ type: 'pid' }, { type: 'uts' }])), 'x', '/b', '/b/rootfs', NO_LSM);
  t.equal(conv.init.ownMountNs, false, 'ownMountNs');
  t.same(conv.init.mounts, [], 'no mounts');
  t.same(conv.init.maskedPaths, [], 'no masked paths');
  t.same(conv.init.readonlyPaths, [], 'no read-only paths');
  t.equal(conv.init.readonlyRoot, false);
  t.equal(conv.init.rootfsPropagation, undefined);
  t.equal(conv.init.setupDev, true, '/dev is still populated (in root.path itself)');
  t.notOk(conv.nsRequests.some((r) => r.type === 'mount'), 'no mount namespace is made or joined');
});

t.test('a new mount namespace, or one joined by path, is the container\'s own', async (t) => {
  t.equal(convertSpec(validateSpec(config([{ type: 'mount' }])), 'x', '/b', '/b/rootfs', NO_LSM).init.ownMountNs, true);
  // Not this process's namespace (it does not even exist: joining it fails later, with its path).
  const joined = convertSpec(validateSpec(config([{ type: 'mount', path: '/run/no-such-mntns' }])), 'x', '/b', '/b/rootfs', NO_LSM);
  t.equal(joined.init.ownMountNs, true);
  t.same(joined.nsRequests, [{ type: 'mount', path: '/run/no-such-mntns' }]);
});

t.test('joining the runtime\'s own mount namespace by path is refused by name', async (t) => {
  const c = validateSpec(config([{ type: 'pid' }, { type: 'mount', path: '/proc/self/ns/mnt' }]));
  let err: unknown;
  try {
    convertSpec(c, 'x', '/b', '/b/rootfs', NO_LSM);
  } catch (e) {
    err = e;
  }
  t.type(err, SpecError);
  t.equal((err as SpecError).pointer, '/linux/namespaces/1/path');
  t.match((err as Error).message, /^\/linux\/namespaces\/1\/path: \/proc\/self\/ns\/mnt is the runtime's own mount namespace/);
});

t.test('a process checked alone (tsrun exec) is not judged by the namespaces of a config it lacks', async (t) => {
  // Its minimal config lists no namespaces; exec.ts refuses exec -t in a container without a
  // mount namespace itself, from the container's record.
  const p = { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 }, terminal: true, apparmorProfile: 'docker-default' };
  t.doesNotThrow(() => validateProcessDoc(p));
  t.throws(() => validateProcessDoc({ ...p, cwd: 'relative' }), /\/process\/cwd: must be an absolute path/, 'the process checks still run');
});

function initConfig(change: Partial<InitConfig>): InitConfig {
  return {
    id: 'x', rootfs: '/nonexistent/rootfs', readonlyRoot: false, noPivot: false, ownMountNs: false, newCgroupNs: false,
    mounts: [], devices: [], setupDev: true, maskedPaths: [], readonlyPaths: [], sysctl: {}, fifoPath: '/nonexistent/fifo',
    newKeyring: false, preserveFds: 0, ...change,
  };
}

t.test('prepareRootInPlace refuses, before any syscall, whatever would mount on the host', async (t) => {
  const cases: Array<[string, Partial<InitConfig>, RegExp]> = [
    ['a mount', { mounts: [{ destination: '/proc', source: 'proc', type: 'proc', options: [] }] }, /mounts/],
    ['masked paths', { maskedPaths: ['/proc/kcore'] }, /maskedPaths/],
    ['read-only paths', { readonlyPaths: ['/proc/sys'] }, /readonlyPaths/],
    ['a read-only root', { readonlyRoot: true }, /root\.readonly/],
    ['a root propagation', { rootfsPropagation: 'private' }, /rootfsPropagation/],
    ['a terminal', { process: { args: ['sh'], env: [], cwd: '/', uid: 0, gid: 0, additionalGids: [], rlimits: [], noNewPrivileges: false, terminal: true } }, /process\.terminal/],
  ];
  for (const [what, change, field] of cases) {
    let err: unknown;
    try {
      prepareRootInPlace(libcSys, initConfig(change));
    } catch (e) {
      err = e;
    }
    t.type(err, RuntimeError, what);
    // The guard's message, not an ENOENT of the (nonexistent) rootfs: nothing was opened.
    t.match((err as Error).message, /without a mount namespace .* would change the host's mount table/, what);
    t.match((err as Error).message, field, `${what}: names the field`);
  }
});
