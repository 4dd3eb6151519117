// pause / resume and kill --all on real containers (root): a counting process stops while the
// container is paused and goes on after resume (read from the host through /proc/<pid>/root, no
// exec needed), `state` and `list` say "paused", the refusals use runc's words, and kill --all
// reaches every process of the cgroup, also while paused. Each test ends with the leak check.
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import {
  assertCleanError, assertNoLeaks, bundleFor, cleanupRoot, delay, isAlive, makeStateRoot, quiet, skipReason, stateOf, tsrun, uniqueId, waitFor,
} from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

/** Counts into /tmp/c (a tmpfs, so nothing is written to the shared rootfs) every 50 ms. */
const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i > /tmp/c; sleep 0.05; done';

function withTmpfs(c: any): void {
  c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
}

/** `run --detach` of `sh -c script`; returns the id and init's host pid. Deleted at teardown. */
function startDetached(t: Test, script: string): { id: string; pid: number } {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    withTmpfs(c);
    c.process.args = ['sh', '-c', script];
  });
  const id = uniqueId('cmd');
  t.teardown(() => tsrun(root, ['delete', '--force', id]));
  const r = tsrun(root, ['run', '--detach', '--bundle', bundle, id]);
  t.equal(r.status, 0, `run --detach: ${r.stderr}`);
  const st = stateOf(root, id);
  if (!st) throw new Error(`no state for ${id}`);
  return { id, pid: st.pid as number };
}

/** A file of the container read from the host through init's root (undefined if missing). */
function readInside(pid: number, file: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/root${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** The counter the container writes; undefined mid-write (echo truncates, then writes). */
function count(pid: number): number | undefined {
  const s = readInside(pid, '/tmp/c')?.trim() ?? '';
  return /^\d+$/.test(s) ? Number(s) : undefined;
}

async function readCount(pid: number): Promise<number> {
  let v: number | undefined;
  await waitFor(() => (v = count(pid)) !== undefined, 5000);
  if (v === undefined) throw new Error('the counter never appeared');
  return v;
}

const freezerState = (id: string) => fs.readFileSync(path.join('/sys/fs/cgroup/freezer/tsrun', id, 'freezer.state'), 'utf8').trim();
const hasV1Freezer = fs.existsSync('/sys/fs/cgroup/freezer');

/** Host pids of the container's processes (`tsrun ps --format json`). */
function psJson(id: string): number[] {
  const r = tsrun(root, ['ps', '--format', 'json', id]);
  if (r.status !== 0) throw new Error(`ps: ${r.stderr}`);
  return JSON.parse(r.stdout) as number[];
}

const cmdline = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
};

t.test('pause stops a counting process, resume continues it', { skip: skipReason }, async (t) => {
  const { id, pid } = startDetached(t, COUNTER);
  const first = await readCount(pid);
  t.ok(await waitFor(() => (count(pid) ?? 0) > first + 2, 10_000), 'the counter runs before pause');

  const p = tsrun(root, ['pause', id]);
  t.equal(p.status, 0, `pause: ${p.stderr}`);
  t.equal(p.stdout + p.stderr, '', 'pause prints nothing');
  t.equal(stateOf(root, id)?.status, 'paused', 'state says paused');
  const list = JSON.parse(tsrun(root, ['list', '--format', 'json']).stdout) as Array<Record<string, unknown>>;
  t.equal(list.find((c) => c.id === id)?.status, 'paused', 'list json says paused');
  t.match(tsrun(root, ['list']).stdout, new RegExp(`^${id}\\s+${pid}\\s+paused\\s`, 'm'), 'list table says paused');
  if (hasV1Freezer) t.equal(freezerState(id), 'FROZEN', 'freezer.state is FROZEN');

  // Compared as raw text: the freeze may have caught the shell between truncate and write.
  const frozenRaw = readInside(pid, '/tmp/c');
  const frozenAt = count(pid) ?? first;
  await delay(600); // twelve loop rounds
  t.equal(readInside(pid, '/tmp/c'), frozenRaw, 'the counter does not move while paused');
  t.ok(isAlive(pid), 'the process is still there');

  assertCleanError(t, tsrun(root, ['pause', id]), /container not running/);
  t.equal(stateOf(root, id)?.status, 'paused', 'a second pause changes nothing');

  const r = tsrun(root, ['resume', id]);
  t.equal(r.status, 0, `resume: ${r.stderr}`);
  t.equal(stateOf(root, id)?.status, 'running', 'running again');
  if (hasV1Freezer) t.equal(freezerState(id), 'THAWED');
  t.ok(await waitFor(() => (count(pid) ?? 0) > frozenAt + 2, 10_000), 'the counter grows after resume');
  assertCleanError(t, tsrun(root, ['resume', id]), /container not paused/);

  t.equal(tsrun(root, ['kill', id, 'KILL']).status, 0);
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'), 'stopped');
  assertCleanError(t, tsrun(root, ['pause', id]), /container not running/);
  assertCleanError(t, tsrun(root, ['resume', id]), /container not paused/);
  t.equal(tsrun(root, ['delete', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('a created container: pause and resume keep it created (runc allows it), start still works', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    withTmpfs(c);
    c.process.args = ['sh', '-c', COUNTER];
  });
  const id = uniqueId('cmd');
  t.teardown(() => tsrun(root, ['delete', '--force', id]));
  t.equal(tsrun(root, ['create', '--bundle', bundle, id]).status, 0);
  assertCleanError(t, tsrun(root, ['resume', id]), /container not paused/);
  t.equal(tsrun(root, ['pause', id]).status, 0, 'pause a created container');
  t.equal(stateOf(root, id)?.status, 'paused');
  // Refused promptly: a frozen init stage cannot open the exec fifo, so a start that waited on it
  // would hang until the timeout (which kills tsrun: status null, not the clean exit 1).
  const t0 = Date.now();
  const refused = tsrun(root, ['start', id], { timeoutMs: 15_000 });
  const took = Date.now() - t0;
  assertCleanError(t, refused, /cannot start a container in the paused state/);
  t.ok(took < 5000, `refused within 5 s (took ${took} ms)`);
  t.equal(stateOf(root, id)?.status, 'paused', 'the refused start changed nothing');
  t.equal(tsrun(root, ['resume', id]).status, 0);
  t.equal(stateOf(root, id)?.status, 'created', 'back to created (the exec fifo is still there)');
  t.equal(tsrun(root, ['start', id]).status, 0, 'start works after resume');
  const pid = stateOf(root, id)?.pid as number;
  t.ok(await waitFor(() => (count(pid) ?? 0) > 2, 10_000), 'the program runs');
  // delete --force of a paused container must not hang on the frozen processes.
  t.equal(tsrun(root, ['pause', id]).status, 0);
  const d = tsrun(root, ['delete', '--force', id], { timeoutMs: 20_000 });
  t.equal(d.status, 0, `delete --force of a paused container: ${d.stderr}`);
  assertNoLeaks(t, root);
});

t.test('pause and resume refuse a missing container and bad arguments', { skip: skipReason }, async (t) => {
  assertCleanError(t, tsrun(root, ['pause', 'no-such-container']), /container "no-such-container" does not exist/);
  assertCleanError(t, tsrun(root, ['resume', 'no-such-container']), /does not exist/);
  assertCleanError(t, tsrun(root, ['pause']), /requires exactly 1 argument/);
  assertCleanError(t, tsrun(root, ['resume', 'a', 'b']), /requires exactly 1 argument/);
  assertNoLeaks(t, root);
});

/** init traps TERM (and survives it); three long sleeps are its children. */
const FAMILY = 'trap "echo init-got-term >> /tmp/log" TERM; sleep 1000 & sleep 1000 & sleep 1000 & while :; do sleep 0.1; done';

async function sleepers(t: Test, id: string, pid: number): Promise<number[]> {
  let found: number[] = [];
  await waitFor(() => (found = psJson(id).filter((p) => p !== pid && cmdline(p) === 'sleep 1000')).length === 3, 10_000);
  t.equal(found.length, 3, 'three sleep 1000 in the container');
  return found;
}

t.test('kill --all reaches every process of the cgroup', { skip: skipReason }, async (t) => {
  const { id, pid } = startDetached(t, FAMILY);
  const sleeps = await sleepers(t, id, pid);

  // Without --all only init gets the signal: it runs its trap, the sleeps live on.
  t.equal(tsrun(root, ['kill', id, 'TERM']).status, 0);
  t.ok(await waitFor(() => /init-got-term/.test(readInside(pid, '/tmp/log') ?? '')), 'init ran its TERM trap');
  await delay(200);
  t.ok(sleeps.every(isAlive), 'plain kill leaves the children alone');

  const r = tsrun(root, ['kill', '--all', id, 'TERM']);
  t.equal(r.status, 0, `kill --all: ${r.stderr}`);
  t.ok(await waitFor(() => sleeps.every((p) => !isAlive(p))), 'every sleep got SIGTERM');
  t.ok(isAlive(pid), 'init trapped it and lives (so each process was signalled, not just init)');
  t.equal(stateOf(root, id)?.status, 'running', 'the container still runs');
  if (hasV1Freezer) t.equal(freezerState(id), 'THAWED', 'the freeze around the signalling was undone');

  t.equal(tsrun(root, ['kill', '-a', id, 'KILL']).status, 0, 'kill -a KILL');
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'), 'stopped after SIGKILL to all');
  t.same(psJson(id), [], 'no process left');
  assertCleanError(t, tsrun(root, ['kill', '--all', id, 'KILL']), /container not running/);
  t.equal(tsrun(root, ['delete', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('kill --all on a paused container: TERM waits for resume, KILL ends it', { skip: skipReason }, async (t) => {
  const { id, pid } = startDetached(t, FAMILY);
  const sleeps = await sleepers(t, id, pid);
  t.equal(tsrun(root, ['pause', id]).status, 0);
  t.equal(tsrun(root, ['kill', '--all', id, 'TERM']).status, 0, 'kill --all TERM while paused');
  await delay(300);
  t.equal(stateOf(root, id)?.status, 'paused', 'still paused: kill --all does not thaw for a catchable signal');
  t.ok(sleeps.every(isAlive), 'frozen processes have not acted on it yet');
  t.equal(tsrun(root, ['resume', id]).status, 0);
  t.ok(await waitFor(() => sleeps.every((p) => !isAlive(p))), 'after resume the pending SIGTERM ends the sleeps');
  t.ok(isAlive(pid), 'init trapped it');

  t.equal(tsrun(root, ['pause', id]).status, 0);
  t.equal(tsrun(root, ['kill', '--all', id, 'SIGKILL']).status, 0, 'kill --all KILL while paused');
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'), 'a paused container dies of SIGKILL (thawed for it)');
  t.equal(tsrun(root, ['delete', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('plain kill SIGKILL of a paused container ends it too', { skip: skipReason }, async (t) => {
  const { id, pid } = startDetached(t, COUNTER);
  await readCount(pid);
  t.equal(tsrun(root, ['pause', id]).status, 0);
  t.equal(tsrun(root, ['kill', id, 'KILL']).status, 0);
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'), 'stopped, not left frozen');
  t.equal(tsrun(root, ['delete', id]).status, 0);
  assertNoLeaks(t, root);
});
