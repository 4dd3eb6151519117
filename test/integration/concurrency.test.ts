// Many callers at once (root, real containers). Each container has its own default cgroup
// (/tsrun/<id>) below a parent that every create makes, fills (v1 cpuset.cpus/mems) and every
// delete prunes: 30 concurrent create/start/kill/delete lifecycles, 5 rounds, each round starting
// with the /tsrun parents absent, all must succeed and leave nothing. Before the fix 2 of 60 failed
// with "write ... cpuset/tsrun/<id>/cgroup.procs: ENOSPC" (a parent made by another create and not
// yet filled). And 8 concurrent creates of one id: one wins, the others get one clear line.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { assertNoLeaks, bundleFor, cleanupRoot, errorLines, makeStateRoot, quiet, skipReason, stateOf, tsrun } from '../lib/harness';
import { cli, lifecycle } from '../lib/lifecycle';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

const LIFECYCLES = 30;
const ROUNDS = 5;

/** The empty /tsrun parents of every hierarchy, removed; false when one is in use by others. */
function removeParents(): string | false {
  for (const h of fs.readdirSync('/sys/fs/cgroup')) {
    const p = path.join('/sys/fs/cgroup', h, 'tsrun');
    if (!fs.existsSync(p)) continue;
    try {
      fs.rmdirSync(p);
    } catch (e) {
      return `${p} is in use by other containers (${(e as NodeJS.ErrnoException).code}): cannot start a round with it absent`;
    }
  }
  return false;
}

t.test(`${LIFECYCLES} concurrent lifecycles x ${ROUNDS} rounds, the /tsrun parents absent at each start`, { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sleep', '600'];
    delete c.linux.cgroupsPath;
  });
  let ok = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const busy = removeParents();
    if (busy) {
      t.comment(`skipped: ${busy}`);
      t.pass('skipped: the host has other tsrun containers running');
      return;
    }
    const ids = Array.from({ length: LIFECYCLES }, (_, i) => `conc-${process.pid}-${round}-${i}`);
    const errors = (await Promise.all(ids.map((id) => lifecycle(root, bundle, id, 'kill')))).filter((e): e is string => e !== undefined);
    ok += LIFECYCLES - errors.length;
    t.same(errors, [], `round ${round}: every lifecycle succeeds`);
  }
  t.equal(ok, LIFECYCLES * ROUNDS, `${ok}/${LIFECYCLES * ROUNDS} lifecycles succeeded`);
  assertNoLeaks(t, root);
});

t.test('8 concurrent creates of one id: exactly one succeeds, the others say it exists', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sleep', '600'];
  });
  const id = `same-${process.pid}`;
  const results = await Promise.all(Array.from({ length: 8 }, () => cli(root, ['create', '-b', bundle, id])));
  const won = results.filter((r) => r.status === 0);
  t.equal(won.length, 1, 'one create succeeds');
  for (const r of results.filter((x) => x.status !== 0)) {
    t.equal(r.status, 1, 'exit code 1');
    const lines = errorLines(r.stderr);
    t.equal(lines.length, 1, `one line: ${r.stderr}`);
    t.match(lines[0] ?? '', /already exists|exists/, 'says the container exists');
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  t.equal(stateOf(root, id)?.status, 'created', 'the winner is intact');
  t.equal(tsrun(root, ['delete', '--force', id]).status, 0);
  assertNoLeaks(t, root);
});
