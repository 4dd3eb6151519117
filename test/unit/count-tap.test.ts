// scripts/count-tap.mjs, which scripts/test.sh uses for its closing "N passed, M failed": it must
// count each test once at depth 1 (a file's top-level t.test() calls), never the assertions in
// them, and a failure at any depth, or of a file outside its tests, must count as failed. Checked
// on the TAP that this repo's tap itself writes for toy test files (nested failures, skip, todo,
// a throw at the top level, only top-level assertions, a file that cannot load), and on the shape
// tap gives a file killed by its timeout (recorded from tap 21: a real timeout would take seconds).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';

const REPO = path.resolve(__dirname, '..', '..');
const COUNT = path.join(REPO, 'scripts', 'count-tap.mjs');

function count(tapText: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-count-tap-'));
  try {
    fs.writeFileSync(path.join(dir, 'out.tap'), tapText);
    return execFileSync(process.execPath, [COUNT, path.join(dir, 'out.tap')], { encoding: 'utf8' }).trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const TOYS: Record<string, string> = {
  'a.test.mjs': `import t from 'tap';
t.ok(true, 'a top-level assertion');
t.test('passes', async (t) => { t.ok(true); t.ok(true); t.test('nested pass', async (t) => t.ok(true)); });
t.test('nested failure deep inside', async (t) => {
  t.ok(true, 'fine');
  t.test('group', async (t) => { t.test('leaf', async (t) => { t.equal(1, 2, 'one is not two'); }); });
});
t.test('skipped', { skip: 'no such hardware' }, async (t) => t.ok(true));
t.test('skip inside', async (t) => { t.skip('inner skip'); t.ok(true); });
t.test('todo', { todo: 'not yet' }, async (t) => t.ok(false));
t.test('a name with # SKIP in it', async (t) => t.ok(true));
`,
  'b.test.mjs': `import t from 'tap';
t.test('before the crash', async (t) => t.ok(true));
throw new Error('boom at top level');
`,
  'c.test.mjs': `import t from 'tap';
t.pass('only top-level assertions');
t.equal(1, 2, 'top-level failing assertion');
`,
  'd.test.mjs': `import t from 'tap';
t.test('all fine', async (t) => { for (let i = 0; i < 50; i++) t.ok(true); });
`,
  'e.test.mjs': `import t from 'tap';
import './no-such-module.mjs';
t.test('never runs', async (t) => t.ok(true));
`,
};

t.test('real tap output of toy test files: tests counted once, failures at any depth counted', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-count-tap-toys-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  for (const [name, text] of Object.entries(TOYS)) fs.writeFileSync(path.join(dir, name), text);
  // A fresh tap, not a child of this one: without the variables tap sets for its test processes.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TAP|_TAPJS|TS_NODE)|^NODE_OPTIONS$/.test(k)));
  const files = Object.keys(TOYS).map((f) => path.join(dir, f));
  // cwd: the toy dir, so tap's own result files (.tap/) land there and go with it, not in the repo.
  const r = spawnSync(process.execPath, [path.join(REPO, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), '--reporter=tap', ...files], {
    cwd: dir,
    env,
    encoding: 'utf8',
    timeout: 100_000,
  });
  t.not(r.status, 0, 'tap itself fails the run');
  const tap = r.stdout;
  t.match(tap, /^ {16}not ok 1 - one is not two$/m, 'the toy run has a failing assertion four levels down (file, test, group, leaf)');
  // a: passes, skip inside, the "# SKIP" name (escaped by tap), the top-level assertion -> 4 passed; the nested
  //    failure -> 1 failed; skipped, todo -> 2 skipped.
  // b: one passed, the top-level throw is a failed point at depth 1.
  // c: two top-level assertions, one failed.
  // d: one test (its 50 assertions are not tests).
  // e: cannot load: no point at depth 1, the file's own "not ok" counts once.
  t.equal(count(tap), '7 4 2', 'passed failed skipped');
});

t.test('a file killed by its timeout', async (t) => {
  // tap 21's output for `t.test('hangs', ...)` that never ends, under --timeout=5.
  const killed = [
    'TAP version 14',
    '1..2',
    '# Subtest: x.test.mjs',
    '    # Subtest: fine',
    '        ok 1 - should be equal',
    '        1..1',
    '    ok 1 - fine # time=2ms',
    '    1..1',
    'ok 1 - x.test.mjs # time=20ms',
    '# Subtest: d.test.mjs',
    '    # Subtest: hangs',
    '        ok 1 - should be equal',
    '        not ok 2 - timeout!',
    '          ---',
    '          signal: null',
    '          expired: TAP',
    '          ...',
    '        1..2',
    '    not ok 1 - hangs # time=5020.667ms',
    '      ---',
    '      source: >',
    '        ok 1 - a line of source that looks like a test point',
    '      ...',
    '    1..1',
    '  ---',
    '  signal: SIGALRM',
    '  ...',
    '    # time=5051.167ms',
    'not ok 2 - timeout!',
    '  ---',
    '  expired: d.test.mjs',
    '  ...',
    '# { total: 3, pass: 2, fail: 1 }',
  ].join('\n');
  t.equal(count(killed), '1 1 0', 'the hanging test fails once; YAML is not read as test points');
  t.equal(count(killed.replace('    not ok 1 - hangs', '    ok 1 - hangs')), '2 1 0', 'a timeout outside any test still fails the file once');
});
