// src/trace.ts: when trace lines are printed, where they go, and what they look like. Timings are
// never asserted (only that a number is there). Whole-process behaviour (the switch read from the
// environment at load, stderr) runs in a fresh node; the rest through resetTraceForTest.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  configureTrace,
  formatTrace,
  resetTraceForTest,
  setTraceSink,
  stageTraceEnv,
  trace,
  traceEnvOn,
  traceOn,
  traceWho,
} from '../../src/trace';

const SRC = path.resolve(__dirname, '..', '..', 'src', 'trace.ts');

/** Runs `code` (with `tr` = src/trace.ts) in a fresh node with TSRUN_TRACE=`env`. */
function fresh(env: string | undefined, code: string): { stdout: string; stderr: string; status: number | null } {
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e.TSRUN_TRACE;
  delete e.TSRUN_TRACE_ORIGIN;
  if (env !== undefined) e.TSRUN_TRACE = env;
  const r = spawnSync(process.execPath, [...process.execArgv, '-e', `const tr = require(${JSON.stringify(SRC)}); ${code}`], { encoding: 'utf8', env: e });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const LINE = /^tsrun trace \[tsrun \d+\] \+\d+\.\d ms: /;

t.test('the switch: anything but unset, empty and 0', async (t) => {
  t.equal(traceEnvOn(undefined), false);
  t.equal(traceEnvOn(''), false);
  t.equal(traceEnvOn('0'), false);
  t.equal(traceEnvOn('1'), true);
  t.equal(traceEnvOn('yes'), true);
});

t.test('who: the stages by their entry file, the CLI otherwise', async (t) => {
  t.equal(traceWho('/usr/lib/tsrun/dist/init.js', 7), 'init 7');
  t.equal(traceWho('/usr/lib/tsrun/dist/exec.js', 8), 'exec stage 8');
  t.equal(traceWho('/usr/lib/tsrun/bin/tsrun', 9), 'tsrun 9');
  t.equal(traceWho('', 9), 'tsrun 9');
});

t.test('line format: ms since this process started, and for a stage since the command started', async (t) => {
  t.equal(formatTrace('tsrun 5', 12.345, 'koffi loaded'), 'trace [tsrun 5] +12.3 ms: koffi loaded');
  // the stage started 100 ms after the command (time origins 1000 and 1100, epoch ms)
  t.equal(formatTrace('init 1', 20, 'hello sent', 1000, 1100), 'trace [init 1] +20.0 ms (@120.0 ms): hello sent');
});

t.test('TSRUN_TRACE=1: each point is one line on stderr, nothing on stdout', async (t) => {
  const r = fresh('1', `tr.trace('one'); tr.trace('two'); tr.configureTrace(false, () => { throw new Error('not the log'); }); tr.trace('three');`);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  t.equal(lines.length, 3, 'the flags do not turn it off');
  lines.forEach((l, i) => t.match(l, LINE, l) && t.ok(l.endsWith(`: ${['one', 'two', 'three'][i]}`)));
});

t.test('off (no switch, no --debug): nothing printed anywhere', async (t) => {
  const r = fresh(undefined, `tr.trace('early'); tr.configureTrace(false, (m) => process.stdout.write(m)); tr.trace('late'); process.stdout.write(String(tr.traceOn()));`);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr, '');
  t.equal(r.stdout, 'false');
  t.equal(fresh('0', `tr.trace('x'); tr.configureTrace(false, () => {});`).stderr, '');
});

t.test('--debug: the points before the flags were parsed and after go to the debug log, in order', async (t) => {
  resetTraceForTest(undefined, '/x/bin/tsrun');
  t.teardown(() => resetTraceForTest(undefined));
  trace('node started');
  t.equal(traceOn(), true, 'undecided: kept');
  const got: string[] = [];
  configureTrace(true, (m) => got.push(m));
  trace('compiled');
  t.equal(got.length, 2);
  t.match(got[0], /^trace \[tsrun \d+\] \+\d+\.\d ms: node started$/);
  t.match(got[1], /: compiled$/);
  t.same(stageTraceEnv().TSRUN_TRACE, 'debug', 'the stages are told to send their lines to the log');
  t.match(stageTraceEnv().TSRUN_TRACE_ORIGIN, /^\d+(\.\d+)?$/);
});

t.test('a failing sink never fails the caller', async (t) => {
  resetTraceForTest(undefined);
  t.teardown(() => resetTraceForTest(undefined));
  configureTrace(true, () => {
    throw new Error('EPIPE');
  });
  t.doesNotThrow(() => trace('x'));
});

t.test('stage env: empty when off; TSRUN_TRACE=1 is passed on as 1', async (t) => {
  resetTraceForTest(undefined);
  t.teardown(() => resetTraceForTest(undefined));
  configureTrace(false, () => {});
  t.same(stageTraceEnv(), {});
  const r = fresh('1', `process.stdout.write(JSON.stringify(tr.stageTraceEnv()))`);
  t.same(Object.keys(JSON.parse(r.stdout)).sort(), ['TSRUN_TRACE', 'TSRUN_TRACE_ORIGIN']);
  t.equal(JSON.parse(r.stdout).TSRUN_TRACE, '1');
});

t.test('a stage under --debug (TSRUN_TRACE=debug): lines wait for the channel, then go there', async (t) => {
  resetTraceForTest('debug', '/x/dist/init.js');
  t.teardown(() => resetTraceForTest(undefined));
  trace('node started');
  const sent: string[] = [];
  setTraceSink((m) => sent.push(m));
  trace('hello sent');
  t.equal(sent.length, 2);
  t.match(sent[0], /^trace \[init \d+\] \+\d+\.\d ms: node started$/);
  t.match(sent[1], /: hello sent$/);
});

t.test('a stage without the switch: setTraceSink turns it off', async (t) => {
  resetTraceForTest(undefined, '/x/dist/exec.js');
  t.teardown(() => resetTraceForTest(undefined));
  trace('node started');
  const sent: string[] = [];
  setTraceSink((m) => sent.push(m));
  trace('hello sent');
  t.same(sent, []);
  t.equal(traceOn(), false);
});

t.test('a stage with TSRUN_TRACE=1 keeps stderr, with the command origin in its lines', async (t) => {
  const e = `tr.trace('hello sent');`;
  const r = spawnSync(process.execPath, [...process.execArgv, '-e', `const tr = require(${JSON.stringify(SRC)}); tr.setTraceSink(() => { throw new Error('not the channel'); }); ${e}`], {
    encoding: 'utf8',
    env: { ...process.env, TSRUN_TRACE: '1', TSRUN_TRACE_ORIGIN: String(Date.now() - 50) },
  });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /^tsrun trace \[tsrun \d+\] \+\d+\.\d ms \(@\d+\.\d ms\): hello sent\n$/);
});
