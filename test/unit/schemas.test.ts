// schemas/: the state and features documents validate (and invalid ones fail with a pointer),
// the schemas never forbid unknown properties, and the generated validators need nothing at run
// time beyond ajv's small runtime helpers (no ajv compiler in `create`).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { SpecError } from '../../src/errors';
import type * as Validate from '../../src/spec/validate';
import { SPEC_VERSION } from '../../src/spec/version';

const repo = path.resolve(__dirname, '../..');
execFileSync(process.execPath, [path.join(repo, 'scripts/gen-validators.mjs')]);
const { validateStateDoc, validateFeaturesDoc, isValidState, isValidFeatures } = require('../../src/spec/validate') as typeof Validate;

type Json = any;
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    t.type(e, SpecError);
    return (e as Error).message;
  }
  return 'no error';
}

t.test('state documents (runtime.md State)', async (t) => {
  const created = { ociVersion: SPEC_VERSION, id: 'c1', status: 'created', pid: 4422, bundle: '/containers/c1', annotations: { a: 'b' } };
  t.equal(validateStateDoc(created), created);
  t.ok(isValidState({ ociVersion: SPEC_VERSION, id: 'c1', status: 'stopped', bundle: '/b' }), 'stopped needs no pid');
  t.ok(isValidState({ ociVersion: SPEC_VERSION, id: 'c1', status: 'creating', bundle: '/b' }), 'creating needs no pid');
  t.ok(isValidState({ ...created, private: { startTime: 1 } }), 'extra fields are allowed');
  t.ok(isValidState({ ...created, status: 'paused' }), 'paused: the one status tsrun adds (runtime.md allows new ones)');

  const bad: Array<[Json, string]> = [
    [{ ...created, id: undefined }, '/id: is required'],
    [{ ...created, id: '' }, '/id: must not be empty'],
    [{ ...created, status: 'frozen' }, '/status: must be one of creating, created, running, paused, stopped'],
    [{ ...created, pid: undefined }, '/pid: is required'],
    [{ ...created, status: 'running', pid: undefined }, '/pid: is required'],
    [{ ...created, status: 'paused', pid: undefined }, '/pid: is required'],
    [{ ...created, pid: -1 }, '/pid: must be between 0 and 2147483647'],
    [{ ...created, bundle: 'relative/b' }, '/bundle: must match the pattern ^/'],
    [{ ...created, annotations: { a: 1 } }, '/annotations/a: must be a string'],
    [[], 'the state document must be an object'],
  ];
  for (const [doc, expected] of bad) {
    const clean = JSON.parse(JSON.stringify(doc));
    t.notOk(isValidState(clean), expected);
    t.equal(messageOf(() => validateStateDoc(clean)), expected);
  }
});

t.test('features documents (features.md, features-linux.md)', async (t) => {
  const features = {
    ociVersionMin: '1.0.0',
    ociVersionMax: SPEC_VERSION,
    hooks: ['prestart', 'createRuntime', 'poststop'],
    mountOptions: ['ro', 'rbind'],
    potentiallyUnsafeConfigAnnotations: ['com.example.'],
    annotations: { 'org.example.runtime': 'tsrun' },
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts'],
      capabilities: ['CAP_CHOWN'],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: { enabled: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false, schemata: false },
      mountExtensions: { idmap: { enabled: false } },
      memoryPolicy: { modes: [], flags: [] },
      netDevices: { enabled: false },
      somethingNewer: { x: 1 },
    },
  };
  t.equal(validateFeaturesDoc(features), features);
  t.ok(isValidFeatures({ ociVersionMin: '1.0.0', ociVersionMax: SPEC_VERSION }), 'minimal');
  const bad: Array<[Json, string]> = [
    [{ ociVersionMax: SPEC_VERSION }, '/ociVersionMin: is required'],
    [{ ...features, hooks: 'prestart' }, '/hooks: must be an array'],
    [{ ...features, linux: { cgroup: { v2: 'yes' } } }, '/linux/cgroup/v2: must be a boolean'],
    [{ ...features, linux: { mountExtensions: { idmap: { enabled: 1 } } } }, '/linux/mountExtensions/idmap/enabled: must be a boolean'],
  ];
  for (const [doc, expected] of bad) {
    t.notOk(isValidFeatures(doc), expected);
    t.equal(messageOf(() => validateFeaturesDoc(doc)), expected);
  }
});

t.test('no schema forbids unknown properties (config.md: ignore them)', async (t) => {
  const schemaDir = path.join(repo, 'schemas');
  const files = readdirSync(schemaDir).filter((f) => f.endsWith('.json'));
  t.ok(files.length >= 5, 'schemas are present');
  const offenders: string[] = [];
  const walk = (node: unknown, at: string): void => {
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'additionalProperties' || k === 'unevaluatedProperties') && v === false) offenders.push(at);
      walk(v, `${at}/${k}`);
    }
  };
  for (const f of files) walk(JSON.parse(readFileSync(path.join(schemaDir, f), 'utf8')), f);
  t.same(offenders, []);
});

t.test('generated validators need only ajv runtime helpers', async (t) => {
  const code = readFileSync(path.join(repo, 'src/spec/generated/validators.js'), 'utf8');
  const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  t.same(required.filter((r) => !r.startsWith('ajv/dist/runtime/')), []);
  // The run-time side of spec/ never imports ajv itself: loading ajv and compiling the schemas
  // takes ~200 ms per process here, the precompiled validators ~7 ms (measured on this host).
  for (const f of ['validate.ts', 'checks.ts', 'unsupported.ts', 'load.ts']) {
    const src = readFileSync(path.join(repo, 'src/spec', f), 'utf8');
    t.notMatch(src, /from ['"]ajv/, `${f} does not import ajv`);
  }
});
