// src/sys/koffi.ts: the prebuilt addon through process.dlopen, with require('koffi') as fallback.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addonCandidates, dlopenKoffi, koffi } from '../../src/sys/koffi';

const REPO = path.resolve(__dirname, '..', '..');

t.test('candidates: nearest node_modules first, the prebuilt package before a local build', async (t) => {
  const c = addonCandidates('/a/b/dist', 'linux', 'x64');
  t.equal(c[0], '/a/b/dist/node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node');
  t.equal(c[1], '/a/b/dist/node_modules/koffi/build/koffi/linux_x64/koffi.node');
  t.equal(c[2], '/a/b/node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node');
  t.ok(addonCandidates('/').length >= 2, 'stops at /');
});

const prebuilt = dlopenKoffi(addonCandidates(path.join(REPO, 'dist')));

t.test('the dlopened addon is the API require("koffi") gives', { skip: !prebuilt && 'no prebuilt koffi addon for this platform' }, async (t) => {
  const k = prebuilt as NonNullable<typeof prebuilt>;
  const viaRequire = require('koffi') as Record<string, unknown>;
  for (const name of ['load', 'struct', 'pointer', 'errno', 'decode', 'alloc', 'free', 'address', 'view', 'version']) {
    t.equal(typeof (k as unknown as Record<string, unknown>)[name], typeof viaRequire[name], name);
  }
  t.equal(k.version, viaRequire.version);
  const getpid = k.load('libc.so.6').func('int getpid(void)') as () => number;
  t.equal(getpid(), process.pid);
});

t.test('missing files and a wrong version give undefined (the caller then requires koffi)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-koffi-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  t.equal(dlopenKoffi([path.join(dir, 'none.node')]), undefined);
  const junk = path.join(dir, 'junk.node');
  fs.writeFileSync(junk, 'not an ELF file');
  t.equal(dlopenKoffi([junk]), undefined, 'a file that fails to load');
  const real = addonCandidates(path.join(REPO, 'dist')).filter((f) => fs.existsSync(f));
  if (real.length) t.equal(dlopenKoffi(real, '0.0.0-other'), undefined, 'another version');
});

t.test('koffi() loads koffi at its first call and works (whichever way it was loaded)', async (t) => {
  t.equal(typeof koffi().errno(), 'number');
  t.equal(koffi(), koffi(), 'one instance per process');
});
