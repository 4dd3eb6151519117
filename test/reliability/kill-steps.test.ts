// Reliability (issue 12, part 8): SIGKILL of tsrun at every step of `create` and of `exec`, in
// the CLI process and in its stage, each followed by `delete --force` (create) or a check that the
// container is still whole and usable (exec), leaving nothing behind. The steps come from the code
// itself: the test-only step hook (src/step-hook.ts) logs every step a first, unharmed run passes
// (TSRUN_TEST_STEP_LOG), and each run after it dies at one of them (TSRUN_TEST_KILL_AT). A step
// added to the code is killed at by the next run of this test without anyone listing it.
// test/integration/faults.test.ts kills create by timing; this one hits each step exactly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import t, { type Test } from 'tap';
import {
  REPO, bundleFor, cleanupRoot, errorLines, makeStateRoot, ownLeaks, pidsInCgroupOf, quiet, skipReason, stateOf, tsrun,
  uniqueId, waitFor,
} from '../lib/harness';
import { cli, type Done } from '../lib/lifecycle';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));
t.setTimeout(1_800_000); // a hang guard only, large enough for a heavily loaded machine

const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-steps-'));
t.teardown(() => fs.rmSync(logDir, { recursive: true, force: true }));
let logs = 0;

/** Runs tsrun with the step hook: its step log and, if `killAt` is given, death at that step. */
async function hooked(args: string[], killAt?: string): Promise<{ r: Done; steps: string[] }> {
  const log = path.join(logDir, `steps-${++logs}`);
  const env: NodeJS.ProcessEnv = { ...process.env, TSRUN_TEST_STEP_LOG: log };
  if (killAt !== undefined) env.TSRUN_TEST_KILL_AT = killAt;
  const r = await cli(root, args, env);
  // The stage may still be writing its last line when the CLI process is gone: read after a bound.
  await waitFor(() => fs.existsSync(log), 2000);
  const steps = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') : [];
  return { r, steps };
}

const roleOf = (label: string): string => label.slice(0, label.indexOf(':'));

/** Unique labels in the order first reached. */
const unique = (steps: string[]): string[] => [...new Set(steps)];

/** The run reached `label` and its process passed no step after it: it died there. */
function diedAt(tt: Test, steps: string[], label: string): void {
  const sameRole = steps.filter((s) => roleOf(s) === roleOf(label));
  tt.equal(sameRole[sameRole.length - 1], label, `${label}: reached, and no later step of ${roleOf(label)} ran (${sameRole.slice(-3).join(' ')})`);
}

/** The one-line contract for a verb that failed because its stage died (status: 1 create, 255 exec). */
function cleanFailure(tt: Test, label: string, r: Done, status: number): void {
  tt.equal(r.status, status, `${label}: exit status ${status} (stderr: ${r.stderr.trim()})`);
  tt.equal(errorLines(r.stderr).length, 1, `${label}: exactly one line on stderr: ${JSON.stringify(r.stderr)}`);
  tt.notMatch(r.stderr, /^\s+at |internal error/m, `${label}: no stack trace`);
}

/** Exec stages of this checkout still alive (host pids): none may outlive its `tsrun exec`. */
function execStages(): string[] {
  const entry = path.join(REPO, 'dist', 'exec.js');
  return spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(entry));
}

t.test('SIGKILL at every step of create, then delete --force: nothing left', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sleep', '1000'];
  });
  const first = uniqueId('kc');
  const listed = await hooked(['create', '-b', bundle, first]);
  t.equal(listed.r.status, 0, `an unharmed create succeeds ${listed.r.stderr.trim()}`);
  t.equal(tsrun(root, ['delete', '--force', first]).status, 0);
  const labels = unique(listed.steps);
  const roles = new Set(labels.map(roleOf));
  t.same([...roles].sort(), ['create', 'init'], `the hook lists steps of the CLI process and the init stage (${labels.length} steps)`);
  let killedCli = 0;
  let killedStage = 0;
  for (const label of labels) {
    const id = uniqueId('kc');
    const { r, steps } = await hooked(['create', '-b', bundle, id], label);
    diedAt(t, steps, label);
    if (roleOf(label) === 'create') {
      t.equal(r.signal, 'SIGKILL', `${label}: tsrun create was killed`);
      killedCli++;
    } else {
      // The init stage died: create reports it in one line, or had returned before (init:go).
      if (r.status !== 0) cleanFailure(t, label, r, 1);
      killedStage++;
    }
    const d = tsrun(root, ['delete', '--force', id]);
    t.equal(d.status, 0, `${label}: delete --force exits 0 ${d.stderr.trim()}`);
    t.equal(d.stderr, '', `${label}: and says nothing`);
    // An init stage whose parent died before `go` exits on its own once its channel closes: a
    // bound for that, then everything must be gone.
    await waitFor(() => ownLeaks(root).processes.length === 0 && pidsInCgroupOf(id).length === 0, 10_000);
    t.same(ownLeaks(root), { mounts: [], cgroups: [], processes: [], state: [] }, `${label}: nothing left`);
  }
  t.comment(`kill-steps create: ${labels.length} steps (${killedCli} in tsrun create, ${killedStage} in the init stage): ${labels.join(' ')}`);
});

t.test('SIGKILL at every step of exec: the container stays whole and usable, no stage left', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sleep', '1000'];
  });
  const id = uniqueId('ke');
  t.equal(tsrun(root, ['create', '-b', bundle, id]).status, 0, 'created');
  t.equal(tsrun(root, ['start', id]).status, 0, 'started');
  const initPid = stateOf(root, id)?.pid as number;
  const files = fs.readdirSync(path.join(root, id)).sort();
  const listed = await hooked(['exec', id, 'true']);
  t.equal(listed.r.status, 0, `an unharmed exec succeeds ${listed.r.stderr.trim()}`);
  const labels = unique(listed.steps);
  const roles = new Set(labels.map(roleOf));
  t.same([...roles].sort(), ['exec', 'exec-stage'], `the hook lists steps of tsrun exec and the exec stage (${labels.length} steps)`);
  let killedCli = 0;
  let killedStage = 0;
  for (const label of labels) {
    const { r, steps } = await hooked(['exec', id, 'true'], label);
    diedAt(t, steps, label);
    if (roleOf(label) === 'exec') {
      t.equal(r.signal, 'SIGKILL', `${label}: tsrun exec was killed`);
      killedCli++;
    } else {
      cleanFailure(t, label, r, 255);
      killedStage++;
    }
    // What the kill interrupted ends on its own (a stage whose channel closed, a `true` that was
    // spawned): a bound for that, then only the container's own process may be in its cgroup.
    await waitFor(() => execStages().length === 0 && pidsInCgroupOf(id).length === 1, 10_000);
    t.same(execStages(), [], `${label}: no exec stage left`);
    t.same(pidsInCgroupOf(id), [initPid], `${label}: only the container's process in its cgroup`);
    t.same(fs.readdirSync(path.join(root, id)).sort(), files, `${label}: no file (fifo, socket) left in the state dir`);
    t.equal(stateOf(root, id)?.status, 'running', `${label}: still running`);
    const again = tsrun(root, ['exec', id, 'true']);
    t.equal(again.status, 0, `${label}: a new exec works ${again.stderr.trim()}`);
  }
  t.equal(tsrun(root, ['delete', '--force', id]).status, 0, 'delete --force');
  t.same(ownLeaks(root), { mounts: [], cgroups: [], processes: [], state: [] }, 'nothing left behind');
  t.comment(`kill-steps exec: ${labels.length} steps (${killedCli} in tsrun exec, ${killedStage} in the exec stage): ${labels.join(' ')}`);
});
