// The exec stage spawned by the dispatcher before the exec bundle loads (early-exec-plan.ts,
// early-stage.ts spawnEarlyExec): with `--debug --log FILE` the dispatcher logs the early stage's
// pid, which tells whether the early path was taken and which process to look for afterwards.
// (a) a plain exec works through it: output, exit status, flags that do not change the spawn;
// (b) an exec that fails its checks gives the error of the normal path and leaves nothing: the
//     early stage is gone;
// (c) the cases it does not serve (a terminal, --preserve-fds, -p, a missing container) take the
//     normal path and still work or fail as before.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { assertNoLeaks, bundleFor, cleanupRoot, isAlive, makeStateRoot, quiet, skipReason, tsrun, uniqueId, waitFor, type Result } from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-early-exec-'));
t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));

let logs = 0;
/** `tsrun --debug --log <new file> ...args`, and the pid of the exec stage it spawned early, if any. */
function traced(args: string[]): Result & { early?: number } {
  const log = path.join(work, `log-${++logs}`);
  const r = tsrun(root, ['--debug', '--log', log, ...args]);
  let text = '';
  try {
    text = fs.readFileSync(log, 'utf8');
  } catch {
    // no log: nothing was logged
  }
  const m = /exec stage spawned early, before the exec bundle: pid (\d+)/.exec(text);
  return { ...r, early: m ? Number(m[1]) : undefined };
}

type TT = Parameters<typeof bundleFor>[0];

/** A running container (`sleep`), deleted at teardown. */
function started(tt: TT): string {
  const bundle = bundleFor(tt, (c) => {
    quiet(c);
    c.process.args = ['sleep', '600'];
  });
  const id = uniqueId('eexec');
  const r = tsrun(root, ['run', '--detach', '--bundle', bundle, id]);
  tt.equal(r.status, 0, `run: ${r.stderr}`);
  tt.teardown(() => {
    tsrun(root, ['delete', '--force', id]);
  });
  return id;
}

async function gone(tt: TT, pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  tt.ok(await waitFor(() => !isAlive(pid), 5000), `the early exec stage ${pid} is gone`);
}

t.test('a plain exec goes through the early stage: output, status, -e/--cwd/-u served', { skip: skipReason }, async (t) => {
  const id = started(t);
  const r = traced(['exec', '-e', 'A=early', '--cwd', '/tmp', '-u', '1000:1000', id, 'sh', '-c', 'echo $A $(pwd) $(id -u):$(id -g); exit 5']);
  t.equal(r.status, 5, r.stderr);
  t.equal(r.stdout, 'early /tmp 1000:1000\n');
  t.ok(r.early, 'the dispatcher spawned the exec stage early');
  await gone(t, r.early);
  const d = traced(['exec', '--detach', id, 'true']);
  t.equal(d.status, 0, d.stderr);
  t.ok(d.early, '--detach is served too');
  await gone(t, d.early);
  t.equal(tsrun(root, ['delete', '--force', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('an exec that fails its checks: the normal path\'s error, and the early stage is gone', { skip: skipReason }, async (t) => {
  const id = started(t);
  // --cwd must be absolute (runtime-spec process.cwd); --preserve-fds 0 takes the normal path.
  const early = traced(['exec', '--cwd', 'relative', id, 'true']);
  const normal = traced(['exec', '--preserve-fds', '0', '--cwd', 'relative', id, 'true']);
  t.ok(early.early, 'spawned early');
  t.notOk(normal.early, '--preserve-fds is left to the verb');
  t.equal(early.status, normal.status, 'same status');
  t.not(early.status, 0);
  t.equal(early.stderr, normal.stderr, 'same message');
  await gone(t, early.early);
  const missing = traced(['exec', id, '/no/such/program']);
  t.equal(missing.status, 255, 'runc\'s exec failure status');
  t.match(missing.stderr, /no such file|not found/i);
  await gone(t, missing.early);
  t.equal(tsrun(root, ['delete', '--force', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('what the early path does not serve still works through the normal path', { skip: skipReason }, async (t) => {
  const id = started(t);
  const proc = path.join(work, 'process.json');
  fs.writeFileSync(proc, JSON.stringify({ args: ['sh', '-c', 'echo from-json'], cwd: '/', user: { uid: 0, gid: 0 }, env: ['PATH=/bin:/usr/bin'] }));
  const p = traced(['exec', '-p', proc, id]);
  t.equal(p.status, 0, p.stderr);
  t.equal(p.stdout, 'from-json\n');
  t.notOk(p.early, '-p: its process may ask for a terminal');
  const fds = traced(['exec', '--preserve-fds', '0', id, 'true']);
  t.equal(fds.status, 0, fds.stderr);
  t.notOk(fds.early, '--preserve-fds');
  const tty = traced(['exec', '-t', id, 'true']);
  t.notOk(tty.early, '-t: a terminal');
  const none = traced(['exec', uniqueId('nosuch'), 'true']);
  t.notOk(none.early, 'no such container: no state to look at');
  t.not(none.status, 0);
  t.equal(tsrun(root, ['delete', '--force', id]).status, 0);
  assertNoLeaks(t, root);
});
