// src/hooks/run.ts: one hook, run for real on the host with /bin/sh (no root needed): argv with
// args[0] as argv0, env exactly as given, the state JSON on stdin, failures naming path, exit
// status and stderr, the timeout killing the hook and what it forked.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HookError, envObject, hookArgv, runHook, runHooks, runHooksWarnOnly, tidyOutput, type HookState } from '../../src/hooks/run';
import { SPEC_VERSION } from '../../src/spec/version';

const state: HookState = { ociVersion: SPEC_VERSION, id: 'c1', status: 'creating', pid: 42, bundle: '/b', annotations: { 'a.b': 'x y' } };

function tmp(t: Test): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-hooks-unit-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/**
 * The environ a hook saw, minus what tap itself injects into every child it spawns (its
 * processinfo hook adds NODE_OPTIONS and _TAPJS_* even to an explicit env; the real CLI is free of
 * it, and test/integration/hooks.test.ts checks the exact env there).
 */
function environ(file: string): string[] {
  const vars = fs.readFileSync(file, 'utf8').split('\0').filter(Boolean);
  return vars.filter((v) => !v.startsWith('_TAPJS_') && !v.startsWith('NODE_OPTIONS=')).sort();
}

t.test('args[0] is argv0, the rest are the arguments; env is exactly the given one; state on stdin', async (t) => {
  const d = tmp(t);
  const script = `cat > ${d}/stdin; cat /proc/$$/environ > ${d}/env; tr '\\0' '\\n' < /proc/$$/cmdline > ${d}/argv; printf '%s|%s' "$0" "$1" > ${d}/params`;
  runHook('createRuntime', { path: '/bin/sh', args: ['my-argv0', '-c', script, 'zero', 'one two'], env: ['X=1', 'Y=two words', 'EMPTY='] }, state);
  t.same(JSON.parse(fs.readFileSync(`${d}/stdin`, 'utf8')), state, 'the state JSON, whole, on stdin');
  t.same(environ(`${d}/env`), ['EMPTY=', 'X=1', 'Y=two words'], 'only the configured env');
  t.equal(fs.readFileSync(`${d}/argv`, 'utf8').split('\n')[0], 'my-argv0', 'argv[0] from args[0]');
  t.equal(fs.readFileSync(`${d}/params`, 'utf8'), 'zero|one two', 'arguments passed unsplit');
});

t.test('no env: an empty environment, never tsrun\'s own', async (t) => {
  const d = tmp(t);
  process.env.TSRUN_HOOK_UNIT_MARKER = '1';
  t.teardown(() => delete process.env.TSRUN_HOOK_UNIT_MARKER);
  runHook('poststop', { path: '/bin/sh', args: ['sh', '-c', `cat /proc/$$/environ > ${d}/env`] }, state);
  t.same(environ(`${d}/env`), [], 'empty environ (no TSRUN_HOOK_UNIT_MARKER from ours)');
});

t.test('without args, argv is just the path', async (t) => {
  t.same(hookArgv({ path: '/usr/bin/true' }), { file: '/usr/bin/true', argv0: '/usr/bin/true', rest: [] });
  t.same(hookArgv({ path: '/bin/x', args: ['x', '-v'] }), { file: '/bin/x', argv0: 'x', rest: ['-v'] });
  t.doesNotThrow(() => runHook('prestart', { path: '/bin/true' }, state));
});

t.test('a non-zero exit names phase, path, exit status and stderr, on one line', async (t) => {
  const e = t.throws(() => runHook('createRuntime', { path: '/bin/sh', args: ['sh', '-c', 'echo line one >&2; echo line two >&2; exit 7'] }, state)) as HookError;
  t.ok(e instanceof HookError);
  t.equal(e.code, 'hook');
  t.equal(e.exitStatus, 7);
  t.equal(e.message, 'createRuntime hook /bin/sh: exit status 7; stderr: line one | line two');
});

t.test('a hook killed by a signal, and one that cannot be executed', async (t) => {
  t.throws(() => runHook('poststart', { path: '/bin/sh', args: ['sh', '-c', 'kill -TERM $$'] }, state), { message: /poststart hook \/bin\/sh: killed by SIGTERM/ });
  t.throws(() => runHook('prestart', { path: '/nonexistent/hook' }, state), { message: /prestart hook \/nonexistent\/hook: cannot run: ENOENT/ });
  t.throws(() => runHook('prestart', { path: 'relative/hook' }, state), { message: /path is not absolute/ });
});

t.test('a hook that does not read stdin is judged by its exit status', async (t) => {
  const big = { ...state, annotations: { big: 'x'.repeat(200_000) } };
  t.doesNotThrow(() => runHook('prestart', { path: '/bin/true' }, big));
  t.throws(() => runHook('prestart', { path: '/bin/false' }, big), { message: /exit status 1/ });
});

t.test('timeout: the hook and what it forked are killed, and the error names the timeout', async (t) => {
  const d = tmp(t);
  const started = Date.now();
  const e = t.throws(() => runHook('createRuntime', { path: '/bin/sh', args: ['sh', '-c', `echo $$ > ${d}/pid; sleep 100 & echo $! > ${d}/child; wait`], timeout: 1 }, state)) as HookError;
  t.ok(Date.now() - started < 20_000, 'returned long before the hook would have ended');
  t.ok(e.timedOut);
  t.match(e.message, /createRuntime hook \/bin\/sh: timed out: still running after its timeout of 1s, killed/);
  const child = Number(fs.readFileSync(`${d}/child`, 'utf8'));
  let gone = false;
  for (let i = 0; i < 100 && !gone; i++) {
    try {
      const st = fs.readFileSync(`/proc/${child}/stat`, 'utf8');
      gone = /\) [ZX] /.test(st);
    } catch {
      gone = true;
    }
    if (!gone) await new Promise((r) => setTimeout(r, 20));
  }
  t.ok(gone, 'the sleep the hook forked is gone too');
});

t.test('runHooks stops at the first failure; runHooksWarnOnly runs them all and warns', async (t) => {
  const d = tmp(t);
  const mark = (n: string) => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${n} >> ${d}/log`] });
  const fail = { path: '/bin/sh', args: ['sh', '-c', 'echo boom >&2; exit 3'] };
  t.throws(() => runHooks('createRuntime', [mark('a'), fail, mark('b')], state), { message: /exit status 3; stderr: boom/ });
  t.equal(fs.readFileSync(`${d}/log`, 'utf8'), 'a\n', 'listed order, nothing after the failure');
  fs.rmSync(`${d}/log`);
  const warnings: string[] = [];
  runHooksWarnOnly('poststop', [mark('a'), fail, mark('b')], state, (m) => warnings.push(m));
  t.equal(fs.readFileSync(`${d}/log`, 'utf8'), 'a\nb\n', 'the hook after the failing one still ran');
  t.same(warnings, ['poststop hook /bin/sh: exit status 3; stderr: boom']);
  t.doesNotThrow(() => runHooks('poststart', undefined, state));
});

t.test('helpers: env object and output tidying', async (t) => {
  t.same(envObject(['A=1', 'B=x=y', 'C']), { A: '1', B: 'x=y', C: '' });
  t.same(envObject(undefined), {});
  t.equal(tidyOutput('  a\n\n b \n'), 'a | b');
  const long = tidyOutput('x'.repeat(5000));
  t.ok(long.startsWith('...') && long.length === 2003, 'long output keeps its tail');
});
