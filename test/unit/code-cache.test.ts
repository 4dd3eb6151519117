// src/boot/code-cache.ts: the V8 code cache is an optimisation, never a dependency. Whether the
// cache is missing, stale, rejected, or cannot be written, the bundle runs and gives the same
// result. Each case loads a bundle with a source of its own: V8 keeps compiled scripts in memory
// per process, and a second compile of the same source would never look at the cache.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flushCodeCaches, loadBundle, refreshStageCache, runtimeKey, writeCompiledCache } from '../../src/boot/code-cache';

let n = 0;
/** A directory with a CommonJS bundle whose result depends on require, module and __filename. */
function makeBundle(t: Test): { dir: string; file: string; expected: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-code-cache-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bundle.js');
  const tag = `case-${process.pid}-${++n}`;
  fs.writeFileSync(file, [
    `// ${tag}`,
    `const path = require('node:path');`,
    `function lazy(x) { return [x, path.basename(__filename), typeof module.exports, ${JSON.stringify(tag)}].join(' '); }`,
    `exports.run = (x) => lazy(x * 6);`,
    '',
  ].join('\n'));
  return { dir, file, expected: `42 bundle.js object ${tag}` };
}

function run(file: string, write: boolean, cacheFile?: string): { result: string; cache: string } {
  const r = loadBundle(file, { write, cacheFile });
  return { result: (r.exports as { run: (x: number) => string }).run(7), cache: r.cache };
}

const header = (cacheFile: string): string => fs.readFileSync(cacheFile, 'latin1').split('\n')[0];
const leftovers = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

t.test('missing: the bundle runs from source; the CLI then writes the cache, which the next load uses', async (t) => {
  const { dir, file, expected } = makeBundle(t);
  const first = run(file, true);
  t.same(first, { result: expected, cache: 'missing' });
  t.equal(flushCodeCaches(true), 1, 'written after the run');
  t.match(header(`${file}.cache`), new RegExp(`^${runtimeKey().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} sha1=[0-9a-f]{40} file=\\S+ made=run$`));
  t.same(run(file, true), { result: expected, cache: 'used' });
  t.equal(flushCodeCaches(true), 0, 'a used cache is not written again');
  t.same(leftovers(dir), []);
});

t.test('missing in a stage (write: false): runs, and nothing is written', async (t) => {
  const { dir, file, expected } = makeBundle(t);
  t.same(run(file, false), { result: expected, cache: 'missing' });
  t.equal(flushCodeCaches(true), 0);
  t.same(fs.readdirSync(dir), ['bundle.js']);
});

t.test('stale: another Node, V8 or format in the key; the same result, and the CLI rewrites it', async (t) => {
  const { file, expected } = makeBundle(t);
  t.ok(writeCompiledCache(file));
  const cacheFile = `${file}.cache`;
  const buf = fs.readFileSync(cacheFile);
  const nl = buf.indexOf(10);
  const other = buf.toString('latin1', 0, nl).replace(/ node=\S+/, ' node=v0.0.0');
  fs.writeFileSync(cacheFile, Buffer.concat([Buffer.from(other + '\n', 'latin1'), buf.subarray(nl + 1)]));
  t.same(run(file, true), { result: expected, cache: 'stale' });
  t.equal(flushCodeCaches(true), 1);
  t.match(header(cacheFile), ` node=${process.version} `, 'rewritten for this Node');
});

t.test('stale: the bundle changed since the cache was made; the new code runs', async (t) => {
  const { file } = makeBundle(t);
  t.ok(writeCompiledCache(file));
  // Same length, other content: V8's own check (the source length) would not see it.
  const src = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, src.replace('x * 6', 'x * 5'));
  const r = run(file, false);
  t.equal(r.cache, 'stale');
  t.match(r.result, /^35 bundle\.js object /);
});

t.test('rejected: data V8 refuses behind a valid header; the same result', async (t) => {
  const { file, expected } = makeBundle(t);
  // Made by another process: a compile of this source here would be the one V8 reuses.
  const src = path.resolve(__dirname, '..', '..', 'src', 'boot', 'code-cache.ts');
  const w = spawnSync(process.execPath, [...process.execArgv, '-e', `require(${JSON.stringify(src)}).writeCompiledCache(${JSON.stringify(file)})`], { encoding: 'utf8' });
  t.equal(w.status, 0, w.stderr);
  const cacheFile = `${file}.cache`;
  const buf = fs.readFileSync(cacheFile);
  const nl = buf.indexOf(10);
  fs.writeFileSync(cacheFile, Buffer.concat([buf.subarray(0, nl + 1), Buffer.alloc(buf.length - nl - 1, 0x5a)]));
  t.same(run(file, true), { result: expected, cache: 'rejected' });
  t.equal(flushCodeCaches(true), 1, 'replaced');
});

t.test('unwritable cache directory (a read-only install): the same result, nothing written, nothing left', async (t) => {
  const { dir, file, expected } = makeBundle(t);
  // A path under a regular file cannot be created, for root too.
  fs.writeFileSync(path.join(dir, 'not-a-dir'), '');
  const cacheFile = path.join(dir, 'not-a-dir', 'bundle.js.cache');
  t.same(run(file, true, cacheFile), { result: expected, cache: 'missing' });
  t.equal(flushCodeCaches(true), 0);
  t.same(fs.readdirSync(dir).sort(), ['bundle.js', 'not-a-dir']);
});

t.test('unwritable: a read-only copy (chmod 555) as a non-root uid, with the cache missing and stale', async (t) => {
  const { file, expected } = makeBundle(t);
  const ro = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-code-cache-ro-'));
  t.teardown(() => fs.rmSync(ro, { recursive: true, force: true }));
  fs.chmodSync(ro, 0o755);
  const copy = path.join(ro, 'bundle.js');
  fs.copyFileSync(file, copy);
  // As root, in a child under uid/gid 65534 (nobody): root would write the directory anyway.
  const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const src = path.resolve(__dirname, '..', '..', 'src', 'boot', 'code-cache.ts');
  const probe = (): { result: string; cache: string; wrote: number } => {
    const code = `const c = require(${JSON.stringify(src)}); const r = c.loadBundle(${JSON.stringify(copy)}, { write: true });` +
      ` const result = r.exports.run(7); process.stdout.write(JSON.stringify({ result, cache: r.cache, wrote: c.flushCodeCaches(true) }));`;
    const r = spawnSync(process.execPath, [...process.execArgv, '-e', code], { encoding: 'utf8', ...asUser, env: { ...process.env, HOME: ro } });
    t.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout || '{}');
  };
  fs.chmodSync(ro, 0o555);
  t.same(probe(), { result: expected, cache: 'missing', wrote: 0 });
  t.same(fs.readdirSync(ro), ['bundle.js'], 'nothing written, no temp file');
  fs.chmodSync(ro, 0o755);
  t.ok(writeCompiledCache(copy));
  const buf = fs.readFileSync(`${copy}.cache`);
  const nl = buf.indexOf(10);
  fs.writeFileSync(`${copy}.cache`, Buffer.concat([Buffer.from(buf.toString('latin1', 0, nl).replace(/ v8=\S+/, ' v8=0.0') + '\n', 'latin1'), buf.subarray(nl + 1)]));
  fs.chmodSync(ro, 0o555);
  t.same(probe(), { result: expected, cache: 'stale', wrote: 0 });
  t.same(fs.readdirSync(ro).sort(), ['bundle.js', 'bundle.js.cache']);
  fs.chmodSync(ro, 0o755);
});

t.test('built (made at build time): used; replaced after a successful run only', async (t) => {
  const { file, expected } = makeBundle(t);
  t.ok(writeCompiledCache(file));
  t.match(header(`${file}.cache`), / made=build$/);
  t.same(run(file, true), { result: expected, cache: 'built' });
  t.equal(flushCodeCaches(false), 0, 'not after a failure');
  t.match(header(`${file}.cache`), / made=build$/);
  run(file, true);
  t.equal(flushCodeCaches(true), 1);
  t.match(header(`${file}.cache`), / made=run$/);
});

t.test('moved (touched or copied, same bytes): the CLI checks the content and uses it; a stage does not', async (t) => {
  const { file, expected } = makeBundle(t);
  t.ok(writeCompiledCache(file));
  const later = new Date(Date.now() + 60_000);
  fs.utimesSync(file, later, later);
  t.same(run(file, false), { result: expected, cache: 'stale' }, 'a stage never hashes');
  t.same(run(file, true), { result: expected, cache: 'moved' });
  t.equal(flushCodeCaches(true), 1, 'header renewed');
});

t.test('refreshStageCache (the CLI, for a stage): fresh stays; same bytes in another file renews the header; never under V8 flags', async (t) => {
  const { dir, file, expected } = makeBundle(t);
  t.ok(writeCompiledCache(file));
  t.equal(refreshStageCache(file), 'fresh');
  const later = new Date(Date.now() + 60_000);
  fs.utimesSync(file, later, later);
  t.equal(run(file, false).cache, 'stale', 'the stage cannot use it now');
  t.equal(refreshStageCache(file), 'renewed');
  t.equal(refreshStageCache(file), 'fresh');
  t.same(run(file, false), { result: expected, cache: 'built' }, 'and now it can');
  // A stale key would be recompiled, but not by a process with V8 flags (this one runs under
  // tap's loader): the stage, which has none, would reject that cache.
  const buf = fs.readFileSync(`${file}.cache`);
  const nl = buf.indexOf(10);
  fs.writeFileSync(`${file}.cache`, Buffer.concat([Buffer.from(buf.toString('latin1', 0, nl).replace(/ node=\S+/, ' node=v0.0.0') + '\n', 'latin1'), buf.subarray(nl + 1)]));
  if (process.execArgv.length > 0 || process.env.NODE_OPTIONS) t.equal(refreshStageCache(file), 'left');
  fs.rmSync(`${file}.cache`);
  if (process.execArgv.length > 0 || process.env.NODE_OPTIONS) t.equal(refreshStageCache(file), 'left');
  t.same(leftovers(dir), []);
});
