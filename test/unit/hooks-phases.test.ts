// src/hooks/phases.ts and start-fifo.ts: the state each phase sees, what the init stage is told,
// how long `start` waits, and the exec fifo's answer format.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { runCreateHooks, runStartContainerHooks } from '../../src/hooks/in-container';
import { runPoststartHooks, runPoststopHooks, runRuntimeCreateHooks, PHASE_STATUS } from '../../src/hooks/phases';
import { baseStateOf, initHooksFor, isHookFailure, startWaitMs, stateOf, ALL_PHASES } from '../../src/hooks/phases';
import { HookError } from '../../src/hooks/run';
import { encodeStartFailure, parseStartReply } from '../../src/hooks/start-fifo';
import { StageError, RuntimeError } from '../../src/errors';
import { buildFeatures } from '../../src/features';
import { SPEC_VERSION } from '../../src/spec/version';

const base = { ociVersion: SPEC_VERSION, id: 'c1', bundle: '/b' };
const h = { path: '/bin/true' };

t.test('state per status, in runtime.md key order; no pid once stopped', async (t) => {
  t.equal(JSON.stringify(stateOf(base, 'creating', 10)), `{"ociVersion":"${SPEC_VERSION}","id":"c1","status":"creating","pid":10,"bundle":"/b"}`);
  t.equal(JSON.stringify(stateOf({ ...base, annotations: { a: 'b' } }, 'running', 5)), `{"ociVersion":"${SPEC_VERSION}","id":"c1","status":"running","pid":5,"bundle":"/b","annotations":{"a":"b"}}`);
  t.equal(JSON.stringify(stateOf(base, 'stopped', 10)), `{"ociVersion":"${SPEC_VERSION}","id":"c1","status":"stopped","bundle":"/b"}`);
  // The state's ociVersion is the spec version the runtime writes it for (runtime.md State: "with
  // which the state complies"; runc sends specs.Version), not the config's.
  t.same(baseStateOf({ ociVersion: '1.0.0', id: 'x', bundle: '/y', annotations: { k: 'v' }, pid: 3 } as never), { ociVersion: SPEC_VERSION, id: 'x', bundle: '/y', annotations: { k: 'v' } });
});

t.test('what the init stage is told', async (t) => {
  t.equal(initHooksFor(undefined, base), undefined);
  t.equal(initHooksFor({ poststart: [h], poststop: [h] }, base), undefined, 'parent-only phases: no init-stage work');
  t.same(initHooksFor({ prestart: [h] }, base), { state: base, runtimeRoundTrip: true, createContainer: [], startContainer: [] });
  t.same(initHooksFor({ createRuntime: [], createContainer: [h] }, base), { state: base, runtimeRoundTrip: false, createContainer: [h], startContainer: [] });
  t.same(initHooksFor({ startContainer: [h] }, base)?.startContainer, [h]);
});

t.test('start waits for startContainer hooks', async (t) => {
  t.equal(startWaitMs(undefined, 30_000), 30_000);
  t.equal(startWaitMs({ startContainer: [{ ...h, timeout: 5 }, { ...h, timeout: 2 }] }, 30_000), 37_000);
  t.equal(startWaitMs({ startContainer: [{ ...h, timeout: 5 }, h] }, 30_000), Infinity, 'a hook without timeout: no bound');
});

t.test('exec fifo answers', async (t) => {
  t.same(parseStartReply('', false), { kind: 'incomplete' });
  t.same(parseStartReply('0', false), { kind: 'started' });
  t.same(parseStartReply('Estart', false), { kind: 'incomplete' }, 'a failure line without its end waits');
  t.same(parseStartReply('Estart', true), { kind: 'failed', message: 'start' }, '...unless the writer is gone');
  t.same(parseStartReply(encodeStartFailure('a\nb').toString(), false), { kind: 'failed', message: 'a b' });
  t.same(parseStartReply('?', false), { kind: 'garbage', text: '?' });
  const long = encodeStartFailure('é'.repeat(10_000));
  t.ok(long.length <= 4096, 'a failure line fits in PIPE_BUF (one atomic write)');
  t.equal(parseStartReply(long.toString(), false).kind, 'failed');
});

t.test('hook failures are recognised wherever they were raised', async (t) => {
  t.ok(isHookFailure(new HookError('prestart', '/x', 'exit status 1')));
  t.ok(isHookFailure(new StageError('hooks', 'container init (hooks): ...', { code: 'hook' })));
  t.notOk(isHookFailure(new RuntimeError('start', 'other')));
  t.notOk(isHookFailure(new Error('x')));
});

t.test('features lists the six phases', async (t) => {
  t.same(buildFeatures().hooks, [...ALL_PHASES]);
  t.same([...ALL_PHASES], ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
});

t.test('the status each phase is given (runc: libcontainer process_linux.go, rootfs_linux.go, standard_init_linux.go, container_linux.go, state_linux.go)', async (t) => {
  t.same(PHASE_STATUS, {
    prestart: 'creating',
    createRuntime: 'creating',
    createContainer: 'creating',
    startContainer: 'created',
    poststart: 'running',
    poststop: 'stopped',
  });
  // Through each runner, with hooks that keep their stdin: status, pid and ociVersion as sent.
  const dir = t.testdir({});
  const dump = (phase: string) => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${path.join(dir, phase)}.json`] });
  const hooks = Object.fromEntries(ALL_PHASES.map((p) => [p, [dump(p)]]));
  const b = baseStateOf({ ociVersion: '1.0.2-dev', id: 'c1', bundle: '/b' } as never);
  runRuntimeCreateHooks(hooks, b, 4242, ['prestart', 'createRuntime']);
  const init = initHooksFor(hooks, b);
  runCreateHooks(init, () => {});
  runStartContainerHooks(init, -1);
  runPoststartHooks(hooks, b, 4242);
  runPoststopHooks(hooks, b, (m) => t.fail(m));
  const seen = (phase: string) => JSON.parse(fs.readFileSync(path.join(dir, `${phase}.json`), 'utf8')) as Record<string, unknown>;
  for (const phase of ALL_PHASES) {
    const s = seen(phase);
    t.equal(s.status, PHASE_STATUS[phase], `${phase}: status ${PHASE_STATUS[phase]}`);
    t.equal(s.ociVersion, SPEC_VERSION, `${phase}: ociVersion is the runtime's`);
  }
  // pid: the runtime's view for runtime-namespace hooks, the container's for the others (runtime.md State).
  t.equal(seen('prestart').pid, 4242);
  t.equal(seen('createRuntime').pid, 4242);
  t.equal(seen('createContainer').pid, process.pid, 'createContainer: the init stage\'s own pid');
  t.equal(seen('startContainer').pid, process.pid, 'startContainer: the init stage\'s own pid');
  t.equal(seen('poststart').pid, 4242);
  t.notOk('pid' in seen('poststop'), 'poststop: no pid');
});
