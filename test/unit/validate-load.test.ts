// src/spec/load.ts: reading <bundle>/config.json. Missing bundle/config/rootfs and broken JSON give
// one-line errors that name the path (and, for JSON, the line and column).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RuntimeError, SpecError, UnsupportedError } from '../../src/errors';
import type * as Load from '../../src/spec/load';
import { SPEC_VERSION } from '../../src/spec/version';

const repo = path.resolve(__dirname, '../..');
execFileSync(process.execPath, [path.join(repo, 'scripts/gen-validators.mjs')]);
const { loadBundleConfig, locateJsonError, parseJsonFile } = require('../../src/spec/load') as typeof Load;

const CONFIG = {
  ociVersion: SPEC_VERSION,
  root: { path: 'rootfs', readonly: true },
  process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } },
  linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }] },
};

const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'tsrun-load-')));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function bundle(config: unknown | string, rootfs: 'dir' | 'file' | 'none' = 'dir'): string {
  const dir = path.join(tmp, `b${n++}`);
  mkdirSync(dir);
  if (config !== undefined) writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  if (rootfs === 'dir') mkdirSync(path.join(dir, 'rootfs'));
  if (rootfs === 'file') writeFileSync(path.join(dir, 'rootfs'), '');
  return dir;
}
function errorOf(fn: () => unknown): RuntimeError {
  try {
    fn();
  } catch (e) {
    return e as RuntimeError;
  }
  throw new Error('expected an error');
}

t.test('a valid bundle loads, with absolute bundle and rootfs paths', async (t) => {
  const dir = bundle(CONFIG);
  const got = loadBundleConfig(path.relative(process.cwd(), dir));
  t.equal(got.bundle, dir);
  t.equal(got.rootfs, path.join(dir, 'rootfs'));
  t.same(got.spec, CONFIG);
});

t.test('bundle and rootfs paths are resolved through symlinks; absolute root.path works', async (t) => {
  const dir = bundle({ ...CONFIG, root: { path: path.join(tmp, 'shared-rootfs') } }, 'none');
  mkdirSync(path.join(tmp, 'real-rootfs'));
  symlinkSync(path.join(tmp, 'real-rootfs'), path.join(tmp, 'shared-rootfs'));
  symlinkSync(dir, path.join(tmp, 'link-bundle'));
  const got = loadBundleConfig(path.join(tmp, 'link-bundle'));
  t.equal(got.bundle, dir);
  t.equal(got.rootfs, path.join(tmp, 'real-rootfs'));
});

t.test('missing bundle directory', async (t) => {
  const e = errorOf(() => loadBundleConfig(path.join(tmp, 'nope')));
  t.type(e, RuntimeError);
  t.equal(e.code, 'bundle-not-found');
  t.equal(e.message, `bundle ${path.join(tmp, 'nope')}: no such directory`);
});

t.test('missing config.json names the file', async (t) => {
  const dir = bundle(undefined);
  const e = errorOf(() => loadBundleConfig(dir));
  t.equal(e.code, 'config-not-found');
  t.equal(e.message, `${dir}/config.json: no such file (a bundle must contain config.json)`);
});

t.test('broken JSON names the file, line and column on one line', async (t) => {
  const dir = bundle(`{\n  "ociVersion": "${SPEC_VERSION}",\n  "root": {"path": "rootfs"}\n  "process": {}\n}\n`);
  const e = errorOf(() => loadBundleConfig(dir));
  t.type(e, SpecError);
  t.equal(e.code, 'invalid-json');
  t.equal(e.message, `${dir}/config.json: invalid JSON at line 4, column 3: expected ',' or '}' after a property value, found "\\""`);
  t.notMatch(e.message, /\n/);
});

t.test('empty and truncated files', async (t) => {
  t.equal(errorOf(() => parseJsonFile('', '/b/config.json')).message, '/b/config.json: invalid JSON at line 1, column 1: unexpected end of input');
  t.equal(errorOf(() => parseJsonFile('{"a": [1, 2', '/c')).message, "/c: invalid JSON at line 1, column 12: expected ',' or ']' after an array element, found end of input");
});

t.test('a byte order mark is tolerated', async (t) => {
  t.same(parseJsonFile('\ufeff{"a": 1}', '/x'), { a: 1 });
});

t.test('schema errors from a loaded bundle keep their pointer', async (t) => {
  const dir = bundle({ ...CONFIG, process: { ...CONFIG.process, cwd: 'relative' } });
  const e = errorOf(() => loadBundleConfig(dir)) as SpecError;
  t.equal(e.pointer, '/process/cwd');
  t.equal(e.message, '/process/cwd: must be an absolute path, got "relative"');
  const u = errorOf(() => loadBundleConfig(bundle({ ...CONFIG, linux: { ...CONFIG.linux, intelRdt: { closID: 'gold' } } })));
  t.type(u, UnsupportedError);
});

t.test('missing rootfs names the path', async (t) => {
  const dir = bundle(CONFIG, 'none');
  const e = errorOf(() => loadBundleConfig(dir)) as SpecError;
  t.type(e, SpecError);
  t.equal(e.pointer, '/root/path');
  t.equal(e.message, `/root/path: root filesystem ${dir}/rootfs does not exist`);
});

t.test('rootfs that is not a directory', async (t) => {
  const dir = bundle(CONFIG, 'file');
  const e = errorOf(() => loadBundleConfig(dir));
  t.equal(e.message, `/root/path: root filesystem ${dir}/rootfs is not a directory`);
});

t.test('locateJsonError agrees with JSON.parse', async (t) => {
  const valid = ['{}', '[]', ' 1 ', '-0.5e+3', '"a\\u00e9\\n"', '{"a":[true,false,null,{"b":"c"}]}', '\n[1,\n 2]\n'];
  for (const s of valid) {
    JSON.parse(s);
    t.equal(locateJsonError(s), undefined, JSON.stringify(s));
  }
  const invalid: Array<[string, number, string]> = [
    ['{"a": 1,}', 8, 'expected a property name in double quotes, found "}"'],
    ['[1 2]', 3, "expected ',' or ']' after an array element, found \"2\""],
    ["{'a': 1}", 1, 'expected a property name in double quotes, found "\'"'],
    ['{"a" 1}', 5, "expected ':' after the property name, found \"1\""],
    ['[01]', 2, "expected ',' or ']' after an array element, found \"1\""],
    ['"tab\there"', 4, 'control character in string (escape it)'],
    ['"\\x"', 1, 'invalid escape in string'],
    ['"abc', 4, 'unterminated string'],
    ['tru', 0, 'unexpected character "t"'],
    ['{} x', 3, 'unexpected "x" after the end of the document'],
  ];
  for (const [s, pos, reason] of invalid) {
    t.throws(() => JSON.parse(s), SyntaxError, `JSON.parse rejects ${s}`);
    t.same(locateJsonError(s), { pos, reason }, s);
  }
});
