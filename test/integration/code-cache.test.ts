// The code cache is an optimisation, never a dependency (issue 11; src/boot/code-cache.ts): real
// tsrun commands (run, create/state/start/delete, an error) give the same output and exit
// status whether the caches of an installed copy are fresh, missing, stale (another Node in the
// header, other bundle bytes), corrupted (V8 rejects them) or unwritable (a read-only install, a
// read-only bind mount). TSRUN_TRACE=1 says which cache each process found, the init stage's
// included: that is how each case checks it tested what it says. No timings are asserted.
//
// Each case works on its own copy of bin/ and dist/ (node_modules linked), so the repository's
// build is never touched.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { assertNoLeaks, bundleFor, cleanupRoot, makeStateRoot, quiet, REPO, skipReason, uniqueId, waitFor } from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

interface Out {
  status: number | null;
  stdout: string;
  /** stderr without the trace lines */
  stderr: string;
  trace: string[];
}

/** `<install>/bin/tsrun --root root ...args` with TSRUN_TRACE=1; output through files (create's container inherits them). */
function tsrunAt(install: string, args: string[]): Out {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-out-'));
  const outFd = fs.openSync(path.join(dir, 'out'), 'w+');
  const errFd = fs.openSync(path.join(dir, 'err'), 'w+');
  try {
    // Without NODE_OPTIONS (tap's hooks, harness.ts) and so without V8 flags.
    const r = spawnSync('/usr/bin/env', ['-u', 'NODE_OPTIONS', path.join(install, 'bin', 'tsrun'), '--root', root, ...args], {
      env: { ...process.env, TSRUN_TRACE: '1' },
      stdio: ['ignore', outFd, errFd],
      timeout: 60_000,
    });
    if (r.error) throw r.error;
    const err = fs.readFileSync(path.join(dir, 'err'), 'utf8').split('\n');
    return {
      status: r.status,
      stdout: fs.readFileSync(path.join(dir, 'out'), 'utf8'),
      stderr: err.filter((l) => !l.startsWith('tsrun trace ')).join('\n'),
      trace: err.filter((l) => l.startsWith('tsrun trace ')),
    };
  } finally {
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What a process said about a bundle's cache: `used`, `built`, `missing`, `stale`, ... */
function cacheSeen(o: Out, bundle: string): string | undefined {
  for (const l of o.trace) {
    const m = l.match(/: compiled (\S+) \(code cache (\w+)\)$/);
    if (m && m[1] === bundle) return m[2];
  }
  return undefined;
}

/** The commands every case runs, and what they printed; `trace` of the `run`. */
async function exercise(t: Test, install: string): Promise<{ outputs: unknown[]; run: Out }> {
  const runBundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', 'echo pid $$; hostname; echo to-stderr >&2; exit 3'];
  });
  const lifeBundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', 'echo started'];
  });
  const outputs: unknown[] = [];
  const keep = (o: Out): Out => {
    outputs.push({ status: o.status, stdout: o.stdout, stderr: o.stderr });
    return o;
  };
  const run = keep(tsrunAt(install, ['run', '--bundle', runBundle, uniqueId('cache')]));
  const id = uniqueId('cache');
  keep(tsrunAt(install, ['create', '--bundle', lifeBundle, id]));
  const st = tsrunAt(install, ['state', id]);
  outputs.push({ status: st.status, state: st.status === 0 ? (({ id: i, status }) => ({ id: i === id, status }))(JSON.parse(st.stdout)) : st.stderr });
  keep(tsrunAt(install, ['start', id]));
  await waitFor(() => {
    const s = tsrunAt(install, ['state', id]);
    return s.status !== 0 || JSON.parse(s.stdout).status === 'stopped';
  });
  keep(tsrunAt(install, ['delete', '--force', id]));
  keep(tsrunAt(install, ['state', id]));
  // The ids differ from case to case; everything else must not.
  return { outputs: JSON.parse(JSON.stringify(outputs).replaceAll(id, '<id>')) as unknown[], run };
}

/** A copy of the installed tsrun (bin/, dist/ with its caches; node_modules linked). */
function copyInstall(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-install-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const d of ['bin', 'dist']) {
    const r = spawnSync('cp', ['-a', path.join(REPO, d), dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cp -a ${d}: ${r.stderr}`);
  }
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/** Every cache file of an install (dist/verbs/*.cache, dist/stages/*.cache). */
function caches(install: string): string[] {
  return ['verbs', 'stages'].flatMap((d) => fs.readdirSync(path.join(install, 'dist', d)).filter((f) => f.endsWith('.cache')).map((f) => path.join(install, 'dist', d, f)));
}

/** Rewrites each cache: `header` maps its header line, `data` its V8 bytes. */
function rewriteCaches(install: string, header: (h: string) => string, data: (d: Buffer) => Buffer = (d) => d): void {
  for (const f of caches(install)) {
    const buf = fs.readFileSync(f);
    const nl = buf.indexOf(10);
    fs.writeFileSync(f, Buffer.concat([Buffer.from(header(buf.toString('latin1', 0, nl)) + '\n', 'latin1'), data(buf.subarray(nl + 1))]));
  }
}

let reference: unknown[] | undefined;
/** The outputs with the repository's own, freshly built install. */
async function expected(t: Test): Promise<unknown[]> {
  reference ??= (await exercise(t, REPO)).outputs;
  return reference;
}

t.test('the reference outputs make sense', { skip: skipReason }, async (t) => {
  const out = await expected(t);
  t.match(out[0], { status: 3, stdout: /^pid 1\ntsrun\n$/, stderr: /^to-stderr\n/ });
  t.match(out[2], { status: 0, state: { id: true, status: 'created' } });
  t.match(out[out.length - 1], { status: 1, stderr: /does not exist/ });
  assertNoLeaks(t, root);
});

t.test('installed by copy (other inodes): same output; the CLI renews the headers for itself and the init stage', { skip: skipReason }, async (t) => {
  const install = copyInstall(t);
  const first = await exercise(t, install);
  t.same(first.outputs, await expected(t));
  t.equal(cacheSeen(first.run, 'dist/verbs/run.js'), 'moved', 'same bytes, other file: used after a hash');
  t.equal(cacheSeen(first.run, 'dist/stages/init.js'), 'stale', 'a stage never hashes');
  const again = await exercise(t, install);
  t.same(again.outputs, await expected(t));
  t.match(cacheSeen(again.run, 'dist/verbs/run.js'), /^(used|built)$/);
  t.equal(cacheSeen(again.run, 'dist/stages/init.js'), 'built', 'renewed by the first run for the stage');
  assertNoLeaks(t, root);
});

t.test('missing: same output; the CLI writes the caches again', { skip: skipReason }, async (t) => {
  const install = copyInstall(t);
  for (const f of caches(install)) fs.rmSync(f);
  const first = await exercise(t, install);
  t.same(first.outputs, await expected(t));
  t.equal(cacheSeen(first.run, 'dist/verbs/run.js'), 'missing');
  t.equal(cacheSeen(first.run, 'dist/stages/init.js'), 'missing');
  const again = await exercise(t, install);
  t.same(again.outputs, await expected(t));
  t.equal(cacheSeen(again.run, 'dist/verbs/run.js'), 'used');
  t.equal(cacheSeen(again.run, 'dist/stages/init.js'), 'built');
  t.same(fs.readdirSync(path.join(install, 'dist', 'verbs')).filter((f) => f.endsWith('.tmp')), [], 'no temp files left');
  assertNoLeaks(t, root);
});

t.test('stale: another Node in the header; same output, and rewritten for this one', { skip: skipReason }, async (t) => {
  const install = copyInstall(t);
  rewriteCaches(install, (h) => h.replace(/ node=\S+/, ' node=v0.0.0'));
  const first = await exercise(t, install);
  t.same(first.outputs, await expected(t));
  t.equal(cacheSeen(first.run, 'dist/verbs/run.js'), 'stale');
  t.equal(cacheSeen(first.run, 'dist/stages/init.js'), 'stale');
  const again = await exercise(t, install);
  t.same(again.outputs, await expected(t));
  t.equal(cacheSeen(again.run, 'dist/stages/init.js'), 'built');
  assertNoLeaks(t, root);
});

t.test('stale: other bundle bytes than the cache was made from; the new code runs', { skip: skipReason }, async (t) => {
  const install = copyInstall(t);
  // Changed in place (same inodes, new times), so the CLI hashes: the bundles get a line more.
  for (const b of ['dist/verbs/run.js', 'dist/stages/init.js', 'dist/verbs/state.js']) fs.appendFileSync(path.join(install, b), '\n// changed after the build\n');
  const first = await exercise(t, install);
  t.same(first.outputs, await expected(t));
  t.equal(cacheSeen(first.run, 'dist/verbs/run.js'), 'stale');
  t.equal(cacheSeen(first.run, 'dist/stages/init.js'), 'stale');
  assertNoLeaks(t, root);
});

t.test('corrupted: a valid header over bytes V8 rejects; same output', { skip: skipReason }, async (t) => {
  const install = copyInstall(t);
  // Header identities are renewed first (a run in the copy), so the bytes are what V8 judges.
  await exercise(t, install);
  rewriteCaches(install, (h) => h, (d) => Buffer.alloc(d.length, 0x5a));
  const first = await exercise(t, install);
  t.same(first.outputs, await expected(t));
  t.equal(cacheSeen(first.run, 'dist/verbs/run.js'), 'rejected');
  t.equal(cacheSeen(first.run, 'dist/stages/init.js'), 'rejected');
  assertNoLeaks(t, root);
});

t.test('unwritable: a read-only install (read-only bind mount) with missing and stale caches; same output, nothing written', { skip: skipReason }, async (t) => {
  const install = copyInstall(t);
  for (const f of caches(install).filter((f) => f.includes(`${path.sep}verbs${path.sep}`))) fs.rmSync(f);
  rewriteCaches(install, (h) => h.replace(/ v8=\S+/, ' v8=0.0'));
  const ro = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-install-ro-'));
  // One teardown, unmount first: tap runs teardowns in the order they were added, and removing
  // the tree through the read-only mount fails.
  t.teardown(() => {
    spawnSync('umount', [ro]);
    fs.rmdirSync(ro);
  });
  const bind = spawnSync('mount', ['--bind', install, ro], { encoding: 'utf8' });
  t.equal(bind.status, 0, bind.stderr);
  const remount = spawnSync('mount', ['-o', 'remount,bind,ro', ro], { encoding: 'utf8' });
  t.equal(remount.status, 0, remount.stderr);
  t.throws(() => fs.writeFileSync(path.join(ro, 'dist', 'probe'), ''), { code: 'EROFS' }, 'the install is read-only');
  const before = spawnSync('find', [install, '-newer', path.join(install, 'dist', 'tsrun.js')], { encoding: 'utf8' }).stdout;
  for (let i = 0; i < 2; i++) {
    const r = await exercise(t, ro);
    t.same(r.outputs, await expected(t), `run ${i + 1}`);
    t.equal(cacheSeen(r.run, 'dist/verbs/run.js'), 'missing');
    t.equal(cacheSeen(r.run, 'dist/stages/init.js'), 'stale');
    t.ok(r.run.trace.some((l) => l.endsWith('could not write dist/verbs/run.js.cache')), 'it tried, and went on');
  }
  t.equal(spawnSync('find', [install, '-newer', path.join(install, 'dist', 'tsrun.js')], { encoding: 'utf8' }).stdout, before, 'nothing written');
  assertNoLeaks(t, root);
});
