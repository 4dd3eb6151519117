// "Bad input and faults" (issue 2): each one gets one clear line on stderr, exit status 1, no stack
// trace, and leaves nothing behind (runtime.md "Errors": an error leaves the environment as if the
// operation had not run). The last test kills `tsrun create` with SIGKILL at several points and
// checks that `delete --force` then clears everything it had made.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import {
  assertCleanError, assertNoLeaks, bundleFor, cleanupRoot, delay, ownLeaks, makeStateRoot, pidsInCgroupOf, quiet,
  skipReason, stateOf, tsrun, tsrunSpawn, uniqueId, waitFor,
} from '../lib/harness';
import { SPEC_VERSION } from '../../src/spec/version';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

/** create must fail cleanly and leave no state dir for the id. */
function refusedCreate(tt: Parameters<typeof assertCleanError>[0], bundle: string, pattern: RegExp): void {
  const id = uniqueId('fault');
  const r = tsrun(root, ['create', '-b', bundle, id]);
  assertCleanError(tt, r, pattern);
  tt.notOk(fs.existsSync(path.join(root, id)), 'no state dir');
}

t.test('bad config.json: malformed JSON, schema violations, missing rootfs, bad cwd, args[0]', { skip: skipReason }, async (t) => {
  const malformed = bundleFor(t);
  fs.writeFileSync(path.join(malformed, 'config.json'), `{ "ociVersion": "${SPEC_VERSION}", "process": `);
  refusedCreate(t, malformed, /config\.json/);

  const noConfig = bundleFor(t);
  fs.rmSync(path.join(noConfig, 'config.json'));
  refusedCreate(t, noConfig, /config\.json/);

  // Schema violations name the JSON path.
  refusedCreate(t, bundleFor(t, (c) => {
    quiet(c);
    c.process.args = 'sh -c true';
  }), /\/process\/args/);
  refusedCreate(t, bundleFor(t, (c) => {
    quiet(c);
    c.hostname = 42;
  }), /\/hostname/);
  refusedCreate(t, bundleFor(t, (c) => {
    quiet(c);
    c.process.user.uid = -1;
  }), /\/process\/user\/uid/);
  refusedCreate(t, bundleFor(t, (c) => {
    quiet(c);
    delete c.ociVersion;
  }), /ociVersion/);

  refusedCreate(t, bundleFor(t, (c) => {
    quiet(c);
    c.root.path = '/nonexistent/rootfs';
  }), /rootfs|root/);

  refusedCreate(t, bundleFor(t, (c) => {
    quiet(c);
    c.process.cwd = 'relative/dir';
  }), /cwd/);
  refusedCreate(t, bundleFor(t, (c) => {
    quiet(c);
    delete c.process.cwd;
  }), /cwd/);

  refusedCreate(t, bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['definitely-not-here'];
  }), /executable file not found in \$PATH/);

  // A field tsrun does not implement yet is refused by name.
  refusedCreate(t, bundleFor(t, (c) => {
    quiet(c);
    c.linux.intelRdt = { closID: 'gold' };
  }), /\/linux\/intelRdt/);
  assertNoLeaks(t, root);
});

t.test('bad command lines', { skip: skipReason }, async (t) => {
  assertCleanError(t, tsrun(root, ['create']), /requires exactly 1 argument/);
  const badFlag = tsrun(root, ['create', '--no-such-flag', 'x']);
  assertCleanError(t, badFlag, /^tsrun create: flag provided but not defined: --no-such-flag\n$/);
  assertCleanError(t, tsrun(root, ['kill']), /argument/);
  assertCleanError(t, tsrun(root, ['create', '-b', '/nonexistent-bundle', uniqueId('nob')]), /nonexistent-bundle/);
  assertCleanError(t, tsrun(root, ['create', '-b', bundleFor(t, quiet), '../escape']), /invalid container id/);
  assertCleanError(t, tsrun(root, ['state', 'a/b']), /invalid container id/);
  assertCleanError(t, tsrun(root, ['frobnicate']));
  assertNoLeaks(t, root);
});

t.test('unknown id, duplicate id, start twice, kill a stopped container', { skip: skipReason }, async (t) => {
  for (const verb of [['state'], ['start'], ['kill'], ['kill', '--all'], ['delete']]) {
    assertCleanError(t, tsrun(root, [...verb, 'nobody-here']), /container "nobody-here" does not exist/);
  }
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', 'exit 0'];
  });
  const id = uniqueId('twice');
  t.equal(tsrun(root, ['create', '-b', bundle, id]).status, 0);
  assertCleanError(t, tsrun(root, ['create', '-b', bundle, id]), /container with id exists/);
  t.equal(tsrun(root, ['start', id]).status, 0);
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'), 'the program exited');
  assertCleanError(t, tsrun(root, ['start', id]), /cannot start a container that has stopped/);
  assertCleanError(t, tsrun(root, ['kill', id, 'KILL']), /container not running/);
  t.equal(tsrun(root, ['delete', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('tsrun create killed with SIGKILL midway: delete --force clears everything', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sleep', '1000'];
  });
  // The delays sweep tsrun's start-up, config loading, the cgroup, the spawn of the init stage and
  // the rootfs build; which step a delay lands on varies by machine, so the message says what was
  // found (no state dir; a record with or without a pid; the status).
  const stageOf = (id: string): string => {
    try {
      const rec = JSON.parse(fs.readFileSync(path.join(root, id, 'state.json'), 'utf8')) as { pid: number; lastStatus: string };
      return `record ${rec.lastStatus}, pid ${rec.pid ? 'set' : 'unset'}, status ${stateOf(root, id)?.status ?? '?'}`;
    } catch {
      return fs.existsSync(path.join(root, id)) ? 'state dir without record' : 'no state dir';
    }
  };
  const delays = [0, 30, 80, 150, 300];
  // Finer around where (on a quiet machine) create goes from loading to building: cgroup mkdirs,
  // spawn, hello, rootfs; then coarser, up to a finished create.
  for (let ms = 50; ms <= 150; ms += 5) delays.push(ms);
  for (let ms = 200; ms <= 600; ms += 100) delays.push(ms);
  for (const ms of delays) {
    const id = uniqueId(`sigkill${ms}`);
    const child = tsrunSpawn(root, ['create', '-b', bundle, id], ['ignore', 'ignore', 'ignore']);
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await delay(ms);
    child.kill('SIGKILL');
    await exited;
    const stage = stageOf(id);
    const r = tsrun(root, ['delete', '--force', id]);
    t.equal(r.status, 0, `killed after ${ms} ms (${stage}): delete --force exits 0 ${r.stderr.trim()}`);
    t.equal(r.stderr, '', 'and says nothing');
    // An init stage whose parent died before `go` exits on its own when its channel closes; give
    // it a moment (a bound, not a measurement), then everything must be gone.
    await waitFor(() => {
      const s = ownLeaks(root);
      return s.processes.length === 0 && pidsInCgroupOf(id).length === 0;
    }, 10_000);
    t.same(pidsInCgroupOf(id), [], `after ${ms} ms: no process in its cgroup`);
    assertNoLeaks(t, root, `after ${ms} ms: nothing left`);
  }
  assertNoLeaks(t, root);
});
