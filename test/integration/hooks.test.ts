// Hooks through the real CLI (config.md "POSIX-platform Hooks", runtime.md "Lifecycle" 3-13):
// each phase once, in order, with the right state on stdin and in the right namespaces; args and
// env exactly as given; timeouts; the failure semantics of v1.3.0; nothing left behind.
// Hook scripts are `/bin/sh -c` one-liners that append "phase status pid uts mnt hostname" to a
// log: on the host for runtime-namespace phases, inside the container for startContainer.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import {
  assertNoLeaks, bindShared, bundleFor, cleanupRoot, makeStateRoot, quiet, sharedDir, stateOf, tsrun, uniqueId,
  skipReason, waitFor, errorLines,
} from '../lib/harness';
import { SPEC_VERSION } from '../../src/spec/version';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

type Json = Record<string, any>;

/** A hook appending "phase status pid uts mnt hostname [busybox]" to `log` (sed, no jq). */
function logHook(phase: string, log: string, extra: Json = {}): Json {
  const script = [
    'read -r s',
    `st=$(echo "$s" | sed -n 's/.*"status":"\\([a-z]*\\)".*/\\1/p')`,
    `pid=$(echo "$s" | sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p')`,
    'bb=; test -f /bin/busybox && bb=busybox',
    `echo "${phase} $st \${pid:--} $(readlink /proc/self/ns/uts) $(readlink /proc/self/ns/mnt) $(hostname) $bb" >> ${log}`,
  ].join('; ');
  return { path: '/bin/sh', args: ['sh', '-c', script], ...extra };
}
function failHook(code: number, msg: string): Json {
  return { path: '/bin/sh', args: ['sh', '-c', `echo ${msg} >&2; exit ${code}`] };
}

function readLog(file: string): string[][] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' '));
  } catch {
    return [];
  }
}

const hostNs = (ns: string) => fs.readlinkSync(`/proc/self/ns/${ns}`);

t.test('every phase once, in order, with its state, in its namespaces', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  const log = path.join(shared, 'log');
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.hostname = 'hooked';
    c.process.args = ['sh', '-c', `while [ ! -e /tmp/go ]; do sleep 0.05; done`];
    bindShared(c, shared);
    c.hooks = {
      prestart: [logHook('prestart', log)],
      createRuntime: [logHook('createRuntime', log), logHook('createRuntime2', log)],
      createContainer: [logHook('createContainer', log)],
      // Resolved and run inside the container: /bin/sh is busybox, /tmp is the shared dir.
      startContainer: [logHook('startContainer', '/tmp/log')],
      poststart: [logHook('poststart', log)],
      poststop: [logHook('poststop', log)],
    };
  });
  const id = uniqueId('hk');
  const r = tsrun(root, ['create', '--bundle', bundle, id]);
  t.equal(r.status, 0, `create: ${r.stderr}`);
  t.equal(r.stderr, '', 'no warnings');
  const st = stateOf(root, id);
  if (!st) {
    t.fail('no state');
    return;
  }
  const pid = String(st.pid);
  const initUts = fs.readlinkSync(`/proc/${st.pid}/ns/uts`);
  const initMnt = fs.readlinkSync(`/proc/${st.pid}/ns/mnt`);
  t.not(initUts, hostNs('uts'), 'the container has its own uts namespace');

  // The status per phase is runc's (src/hooks/phases.ts PHASE_STATUS): creating for the three
  // create-time phases, created for startContainer, running for poststart, stopped for poststop.
  let lines = readLog(log);
  t.same(lines.map((l) => l.slice(0, 3)), [
    ['prestart', 'creating', pid],
    ['createRuntime', 'creating', pid],
    ['createRuntime2', 'creating', pid],
    // "as seen by the container" (runtime.md State): PID 1 of its pid namespace.
    ['createContainer', 'creating', '1'],
  ], 'create ran prestart, createRuntime (listed order), createContainer, with host pid for runtime-ns hooks');
  for (const l of lines.slice(0, 3)) t.same([l[3], l[4]], [hostNs('uts'), hostNs('mnt')], `${l[0]} runs in the runtime's namespaces`);
  t.same([lines[3][3], lines[3][4]], [initUts, initMnt], 'createContainer runs in the container\'s uts and mount namespaces');

  const s = tsrun(root, ['start', id]);
  t.equal(s.status, 0, `start: ${s.stderr}`);
  lines = readLog(log);
  t.same(lines.slice(4).map((l) => l.slice(0, 3)), [['startContainer', 'created', '1'], ['poststart', 'running', pid]], 'start ran startContainer then poststart');
  t.same(lines[4].slice(3), [initUts, initMnt, 'hooked', 'busybox'], 'startContainer: container namespaces, its hostname, its root');
  t.same([lines[5][3], lines[5][4]], [hostNs('uts'), hostNs('mnt')], 'poststart runs in the runtime namespaces');
  t.equal(stateOf(root, id)?.status, 'running');

  fs.writeFileSync(path.join(shared, 'go'), '');
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'), 'stopped');
  t.equal(readLog(log).length, 6, 'no poststop before delete');
  const d = tsrun(root, ['delete', id]);
  t.equal(d.status, 0, `delete: ${d.stderr}`);
  lines = readLog(log);
  t.same(lines.slice(6).map((l) => l.slice(0, 3)), [['poststop', 'stopped', '-']], 'delete ran poststop (state stopped, no pid)');
  assertNoLeaks(t, root);
});

t.test('args and env are passed exactly; tsrun\'s environment is not', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  const script = `cat > ${shared}/stdin; cat /proc/$$/environ > ${shared}/env; tr '\\0' '\\n' < /proc/$$/cmdline > ${shared}/argv`;
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['true'];
    // An older config: the state still says the version tsrun writes it for (runc: specs.Version).
    c.ociVersion = '1.0.0';
    c.annotations = { 'org.example/key': 'a value' };
    c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['custom-argv0', '-c', script, 'zero', 'one two'], env: ['X=1', 'Y=two words'] }] };
  });
  const id = uniqueId('hkenv');
  const r = tsrun(root, ['run', '--bundle', bundle, id], { env: { ...process.env, TSRUN_HOST_ONLY_MARKER: '1' } });
  t.equal(r.status, 0, `run: ${r.stderr}`);
  t.same(fs.readFileSync(`${shared}/env`, 'utf8').split('\0').filter(Boolean), ['X=1', 'Y=two words'], 'env exactly as configured');
  t.same(fs.readFileSync(`${shared}/argv`, 'utf8').split('\n').filter(Boolean), ['custom-argv0', '-c', script, 'zero', 'one two'], 'argv = args (args[0] is argv0)');
  const state = JSON.parse(fs.readFileSync(`${shared}/stdin`, 'utf8')) as Json;
  t.same(Object.keys(state), ['ociVersion', 'id', 'status', 'pid', 'bundle', 'annotations'], 'state keys (runtime.md State)');
  t.match(state, { id, status: 'creating', bundle, annotations: { 'org.example/key': 'a value' } });
  t.equal(state.ociVersion, SPEC_VERSION, "ociVersion: the runtime's, not the config's");
  t.type(state.pid, 'number');
  assertNoLeaks(t, root);
});

t.test('a hook over its timeout is killed and create fails naming the timeout', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.hooks = {
      createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `echo $$ > ${shared}/hookpid; exec sleep 100`], timeout: 1 }],
      poststop: [logHook('poststop', `${shared}/log`)],
    };
  });
  const id = uniqueId('hkto');
  const started = Date.now();
  const r = tsrun(root, ['create', '--bundle', bundle, id]);
  t.ok(Date.now() - started < 30_000, 'create did not wait for the sleep');
  t.equal(r.status, 1);
  t.match(errorLines(r.stderr).join('\n'), /createRuntime hook \/bin\/sh: timed out: still running after its timeout of 1s, killed/);
  const hookPid = Number(fs.readFileSync(`${shared}/hookpid`, 'utf8'));
  t.ok(await waitFor(() => !fs.existsSync(`/proc/${hookPid}`) || /\) [ZX] /.test(fs.readFileSync(`/proc/${hookPid}/stat`, 'utf8'))), 'the hook is gone');
  t.same(readLog(`${shared}/log`).map((l) => l.slice(0, 2)), [['poststop', 'stopped']], 'failed create continues at Lifecycle 12-13: poststop ran');
  assertNoLeaks(t, root);
});

for (const phase of ['prestart', 'createRuntime', 'createContainer']) {
  t.test(`a failing ${phase} hook fails create, later hooks do not run, nothing is left`, { skip: skipReason }, async (t) => {
    const shared = sharedDir(t);
    const log = path.join(shared, 'log');
    const bundle = bundleFor(t, (c) => {
      quiet(c);
      c.hooks = {
        prestart: [logHook('prestart', log)],
        createRuntime: [logHook('createRuntime', log)],
        createContainer: [logHook('createContainer', log)],
        startContainer: [logHook('startContainer', '/tmp/log')],
        poststop: [logHook('poststop', log)],
      };
      c.hooks[phase].push(failHook(3, `${phase}-broke`), logHook(`${phase}-after`, log));
    });
    const id = uniqueId('hkf');
    const r = tsrun(root, ['create', '--bundle', bundle, id]);
    t.equal(r.status, 1, 'create fails');
    const err = errorLines(r.stderr);
    t.equal(err.length, 1, `one error line: ${r.stderr}`);
    t.match(err[0], new RegExp(`${phase} hook /bin/sh: exit status 3; stderr: ${phase}-broke`), 'names phase, path, exit status, stderr');
    const order = ['prestart', 'createRuntime', 'createContainer'];
    const ran = readLog(log).map((l) => l[0]);
    t.same(ran, [...order.slice(0, order.indexOf(phase) + 1), 'poststop'], 'hooks up to the failing one, then poststop');
    t.equal(stateOf(root, id), undefined, 'no container');
    assertNoLeaks(t, root);
  });
}

t.test('a failing startContainer hook fails start; the program never runs; the container is stopped', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  const log = path.join(shared, 'log');
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    bindShared(c, shared);
    c.process.args = ['sh', '-c', 'echo ran > /tmp/program'];
    c.hooks = {
      startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo no-start >&2; exit 4'] }],
      poststart: [logHook('poststart', log)],
      poststop: [logHook('poststop', log)],
    };
  });
  const id = uniqueId('hksc');
  t.equal(tsrun(root, ['create', '--bundle', bundle, id]).status, 0);
  const s = tsrun(root, ['start', id]);
  t.equal(s.status, 1, 'start fails');
  t.match(s.stderr, /startContainer hook \/bin\/sh: exit status 4; stderr: no-start/);
  t.equal(stateOf(root, id)?.status, 'stopped', 'stopped');
  t.notOk(fs.existsSync(path.join(shared, 'program')), 'the program did not run');
  t.same(readLog(log), [], 'no poststart');
  t.equal(tsrun(root, ['delete', id]).status, 0);
  t.same(readLog(log).map((l) => l[0]), ['poststop'], 'delete ran poststop');
  assertNoLeaks(t, root);
});

t.test('a failing poststart hook fails start and stops the container', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sleep', '100'];
    c.hooks = { poststart: [failHook(5, 'poststart-broke')] };
  });
  const id = uniqueId('hkps');
  t.equal(tsrun(root, ['create', '--bundle', bundle, id]).status, 0);
  const s = tsrun(root, ['start', id]);
  t.equal(s.status, 1, 'start fails');
  t.match(s.stderr, /poststart hook \/bin\/sh: exit status 5; stderr: poststart-broke/);
  t.equal(stateOf(root, id)?.status, 'stopped', 'the container was stopped');
  t.equal(tsrun(root, ['delete', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('a failing poststop hook is a warning; later poststop hooks still run', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  const log = path.join(shared, 'log');
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['true'];
    c.hooks = { poststop: [logHook('first', log), failHook(6, 'poststop-broke'), logHook('last', log)] };
  });
  const id = uniqueId('hkpp');
  const r = tsrun(root, ['run', '--bundle', bundle, id]);
  t.equal(r.status, 0, 'run succeeds (foreground run deletes, then poststop)');
  t.match(r.stderr, /level=warning msg=.*poststop hook \/bin\/sh: exit status 6; stderr: poststop-broke/);
  t.same(readLog(log).map((l) => l[0]), ['first', 'last'], 'both other poststop hooks ran');
  assertNoLeaks(t, root);
});

t.test('hooks are the ones stored at create: later config.json edits have no effect', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  const log = path.join(shared, 'log');
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['true'];
    c.hooks = { poststart: [logHook('poststart', log)], poststop: [logHook('poststop', log)] };
  });
  const id = uniqueId('hkst');
  t.equal(tsrun(root, ['create', '--bundle', bundle, id]).status, 0);
  const cfgFile = path.join(bundle, 'config.json');
  const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as Json;
  cfg.hooks = { poststart: [failHook(1, 'edited')], poststop: [failHook(1, 'edited')] };
  fs.writeFileSync(cfgFile, JSON.stringify(cfg));
  t.equal(tsrun(root, ['start', id]).status, 0, 'start uses the stored poststart');
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'));
  const d = tsrun(root, ['delete', id]);
  t.equal(d.status, 0);
  t.equal(d.stderr, '', 'no warning from the edited poststop');
  t.same(readLog(log).map((l) => l[0]), ['poststart', 'poststop']);
  assertNoLeaks(t, root);
});
