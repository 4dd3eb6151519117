// Per-phase timings through the real CLI (src/trace.ts): TSRUN_TRACE=1 prints lines from the tsrun
// process and from the init stage on stderr; --debug turns them into debug log lines (--log,
// --log-format json), the init stage's included; without either there are none. Presence only:
// no timings are asserted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { assertNoLeaks, bundleFor, cleanupRoot, makeStateRoot, quiet, skipReason, tsrun, uniqueId } from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

const script = (t: Parameters<typeof bundleFor>[0]): string => bundleFor(t, (c) => {
  quiet(c);
  c.process.args = ['sh', '-c', 'echo inside; exit 5'];
});

t.test('TSRUN_TRACE=1 tsrun run: phase lines from the parent and the init stage, output unchanged', { skip: skipReason }, async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env, TSRUN_TRACE: '1' };
  const r = tsrun(root, ['run', '--bundle', script(t), uniqueId('trace')], { env });
  t.equal(r.status, 5, 'the container\'s exit status');
  t.equal(r.stdout, 'inside\n');
  const lines = r.stderr.trimEnd().split('\n');
  t.same(lines.filter((l) => !l.startsWith('tsrun trace [')), [], 'nothing else on stderr');
  const parent = lines.filter((l) => /^tsrun trace \[tsrun \d+\] \+\d+\.\d ms: /.test(l));
  const init = lines.filter((l) => /^tsrun trace \[init 1\] \+\d+\.\d ms \(@\d+\.\d ms\): /.test(l));
  for (const phase of ['node started', 'compiled dist/verbs/run.js', 'koffi loaded', 'config validated', 'init stage spawned', 'init stage said hello', 'in its cgroup', 'created', 'container process started', 'container process exited', 'container destroyed', 'exit, status 5']) {
    t.ok(parent.some((l) => l.includes(phase)), `parent: ${phase}`);
  }
  for (const phase of ['node started', 'compiled dist/stages/init.js', 'hello sent', 'bootstrap received', 'mounts done', 'ready sent', 'go received']) {
    t.ok(init.some((l) => l.includes(phase)), `init: ${phase}`);
  }
  assertNoLeaks(t, root);
});

t.test('--debug --log FILE --log-format json: the same phases as debug lines in the log, the init stage\'s too', { skip: skipReason }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-trace-log-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'log.json');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TSRUN_TRACE;
  const r = tsrun(root, ['--debug', '--log', log, '--log-format', 'json', 'run', '--bundle', script(t), uniqueId('trace')], { env });
  t.equal(r.status, 5);
  t.equal(r.stdout, 'inside\n');
  t.equal(r.stderr, '', 'the lines go to the log, not to stderr');
  const entries = fs.readFileSync(log, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string; time: string });
  const traces = entries.filter((e) => e.msg.startsWith('trace ['));
  t.ok(traces.every((e) => e.level === 'debug' && typeof e.time === 'string'));
  t.ok(traces.some((e) => /^trace \[tsrun \d+\] .*: compiled dist\/verbs\/run\.js/.test(e.msg)), 'parent');
  t.ok(traces.some((e) => /^trace \[init 1\] .*: hello sent$/.test(e.msg)), 'init stage, through the channel');
  t.ok(traces.some((e) => /: exit, status 5$/.test(e.msg)));
  assertNoLeaks(t, root);
});

t.test('neither: no trace lines', { skip: skipReason }, async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TSRUN_TRACE;
  const r = tsrun(root, ['run', '--bundle', script(t), uniqueId('trace')], { env });
  t.equal(r.status, 5);
  t.equal(r.stdout, 'inside\n');
  t.equal(r.stderr, '');
  const s = tsrun(root, ['state', 'no-such-container'], { env });
  t.equal(s.stderr, 'tsrun state: container "no-such-container" does not exist\n');
  assertNoLeaks(t, root);
});
