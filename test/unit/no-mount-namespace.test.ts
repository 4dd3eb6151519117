// Mount namespaces in convertSpec: a joined mount namespace that is the runtime's own is refused.
// No root needed.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { SpecError } from '../../src/errors';
import { convertSpec } from '../../src/spec/convert';
import type * as Validate from '../../src/spec/validate';

const repo = path.resolve(__dirname, '../..');
execFileSync(process.execPath, [path.join(repo, 'scripts/gen-validators.mjs')]);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { validateSpec } = require('../../src/spec/validate') as typeof Validate;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const NO_LSM = { apparmor: false, selinux: false };

function config(namespaces: Json[]): Json {
  return {
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } },
    linux: { namespaces },
  };
}

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
