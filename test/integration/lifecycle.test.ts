// The OCI lifecycle through the real CLI (runtime.md "Lifecycle" and "Operations"), checked from
// outside (state JSON, list, pid file, exit codes, error lines) and from inside (what the process
// sees). Each test ends with the leak check: no mounts, cgroups, init processes or state dirs.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import {
  assertCleanError, assertNoLeaks, isAlive, bindShared, bundleFor, cleanupRoot, collect, makeStateRoot, pidsInCgroupOf,
  quiet, sharedDir, stateOf, tsrun, tsrunSpawn, uniqueId, skipReason, waitFor,
} from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));

/** The keys of `runc state` (runtime.md "State" plus runc's rootfs, created, owner). */
const STATE_KEYS = ['bundle', 'created', 'id', 'ociVersion', 'owner', 'pid', 'rootfs', 'status'];

/** A container that waits for /tmp/go (the shared dir, created by the test on the host), then exits 0. */
function waitingBundle(tt: Parameters<typeof bundleFor>[0], shared: string): string {
  return bundleFor(tt, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', 'echo $$ > /tmp/inside-pid; while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 0'];
    bindShared(c, shared);
  });
}

t.test('create, state, start, running, exit, stopped, delete', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  const bundle = waitingBundle(t, shared);
  const id = uniqueId('life');
  const pidFile = path.join(shared, 'pidfile');
  // A relative --bundle: the state must still record it absolute (runtime.md "State": bundle is absolute).
  const r = tsrun(root, ['create', '--bundle', path.basename(bundle), '--pid-file', pidFile, id], { cwd: path.dirname(bundle) });
  t.equal(r.status, 0, `create: ${r.stderr}`);
  t.equal(r.stderr, '', 'no warnings with the quiet config');

  const st = stateOf(root, id);
  t.ok(st, 'state works');
  if (!st) return;
  t.same(Object.keys(st).sort(), STATE_KEYS, 'state has exactly runc\'s keys');
  // runc's `state` reports the config's ociVersion (state.go: Config.Version), and so does tsrun.
  t.equal(st.ociVersion, (JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { ociVersion: string }).ociVersion);
  t.equal(st.id, id);
  t.equal(st.status, 'created');
  t.equal(st.bundle, bundle, 'bundle is the absolute path');
  t.ok(path.isAbsolute(st.rootfs) && fs.existsSync(st.rootfs), 'rootfs is an absolute existing path');
  t.ok(!Number.isNaN(Date.parse(st.created)) && /Z$/.test(st.created), 'created is an RFC 3339 time');
  t.equal(st.owner, 'root');
  t.ok(Number.isInteger(st.pid) && st.pid > 0, 'pid is set when created');
  t.equal(fs.readFileSync(pidFile, 'utf8'), String(st.pid), 'pid file holds the host pid');
  t.ok(fs.existsSync(`/proc/${st.pid}`), 'that pid is alive on the host');
  t.notOk(fs.existsSync(path.join(shared, 'inside-pid')), 'the user program has not run yet (runtime.md create)');
  t.not(fs.readlinkSync(`/proc/${st.pid}/ns/pid`), fs.readlinkSync('/proc/self/ns/pid'), 'init is in its own pid namespace');

  // list: table, json, quiet
  const table = tsrun(root, ['list']);
  t.equal(table.status, 0);
  const lines = table.stdout.trimEnd().split('\n');
  t.match(lines[0], /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/, 'runc list header');
  t.ok(lines.some((l) => l.split(/\s+/).slice(0, 4).join(' ') === `${id} ${st.pid} created ${bundle}`), 'table row for the container');
  const json = tsrun(root, ['list', '--format', 'json']);
  t.equal(json.status, 0);
  const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
  t.same(rows.find((x) => x.id === id), st, 'list json row equals state');
  const jsonEq = tsrun(root, ['list', '--format=json']);
  t.same(JSON.parse(jsonEq.stdout), rows, '--format=json works too');
  const q = tsrun(root, ['list', '-q']);
  t.equal(q.stdout, `${id}\n`, 'list -q prints only ids');

  // start: the program runs as PID 1, the status becomes running
  const s = tsrun(root, ['start', id]);
  t.equal(s.status, 0, `start: ${s.stderr}`);
  t.equal(stateOf(root, id)?.status, 'running');
  t.ok(await waitFor(() => fs.existsSync(path.join(shared, 'inside-pid'))), 'the program ran');
  t.equal(fs.readFileSync(path.join(shared, 'inside-pid'), 'utf8').trim(), '1', 'it is PID 1 inside');
  t.equal(stateOf(root, id)?.pid, st.pid, 'same host pid after exec (the init stage became the program)');

  // start again: an error, no effect
  const again = tsrun(root, ['start', id]);
  assertCleanError(t, again, /cannot start an already running container/);
  t.equal(stateOf(root, id)?.status, 'running', 'still running');

  // the process exits on its own
  fs.writeFileSync(path.join(shared, 'go'), '');
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'), 'stopped once the process exits');
  const stopped = stateOf(root, id);
  t.equal(stopped?.pid, 0, 'a stopped container reports pid 0 (as runc does)');
  const startStopped = tsrun(root, ['start', id]);
  assertCleanError(t, startStopped, /cannot start a container that has stopped/);

  const d = tsrun(root, ['delete', id]);
  t.equal(d.status, 0, `delete: ${d.stderr}`);
  const gone = tsrun(root, ['state', id]);
  assertCleanError(t, gone, new RegExp(`container "${id}" does not exist`));
  assertNoLeaks(t, root);
});

t.test('errors on a wrong state: kill stopped, delete running, unknown id, duplicate id', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sleep', '1000'];
  });
  const id = uniqueId('err');
  t.equal(tsrun(root, ['create', '-b', bundle, id]).status, 0);
  const pid = stateOf(root, id)?.pid as number;

  // The same id again: refused, and the existing container is untouched.
  const dup = tsrun(root, ['create', '-b', bundle, id]);
  assertCleanError(t, dup, new RegExp(`container with id exists: ${id}`));
  t.equal(stateOf(root, id)?.status, 'created', 'the first container is still there');
  t.equal(stateOf(root, id)?.pid, pid, 'with the same pid');

  t.equal(tsrun(root, ['start', id]).status, 0);
  const del = tsrun(root, ['delete', id]);
  assertCleanError(t, del, /cannot delete container .* that is not stopped: running/);
  t.equal(stateOf(root, id)?.status, 'running', 'delete without --force had no effect');

  t.equal(tsrun(root, ['kill', id, 'KILL']).status, 0);
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'), 'stopped after SIGKILL');
  const killStopped = tsrun(root, ['kill', id, 'TERM']);
  assertCleanError(t, killStopped, /container not running/);

  t.equal(tsrun(root, ['delete', id]).status, 0, 'a stopped container deletes without --force');

  for (const verb of ['state', 'start', 'kill', 'delete']) {
    const r = tsrun(root, [verb, 'no-such-container']);
    assertCleanError(t, r, /container "no-such-container" does not exist/);
  }
  const forced = tsrun(root, ['delete', '--force', 'no-such-container']);
  t.equal(forced.status, 0, 'delete --force of a missing container exits 0');
  t.equal(forced.stderr, '');
  assertNoLeaks(t, root);
});

t.test('delete --force of a running container kills it', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', 'sleep 1000 & sleep 1000 & wait'];
  });
  const id = uniqueId('force');
  t.equal(tsrun(root, ['run', '--detach', '-b', bundle, id]).status, 0);
  t.ok(await waitFor(() => pidsInCgroupOf(id).length === 3), 'sh and two sleeps run in the cgroup');
  const pids = pidsInCgroupOf(id);
  const r = tsrun(root, ['delete', '--force', id]);
  t.equal(r.status, 0, r.stderr);
  t.same(pids.filter(isAlive), [], 'every process of the container is gone');
  t.same(pidsInCgroupOf(id), []);
  assertNoLeaks(t, root);
});

t.test('run in the foreground returns the exit status', { skip: skipReason }, async (t) => {
  const run = (script: string) => {
    const bundle = bundleFor(t, (c) => {
      quiet(c);
      c.process.args = ['sh', '-c', script];
    });
    return tsrun(root, ['run', '-b', bundle, uniqueId('exit')]);
  };
  const three = run('echo out; echo err >&2; exit 3');
  t.equal(three.status, 3, 'exit 3 -> 3');
  t.equal(three.stdout, 'out\n', 'the container writes to tsrun\'s stdout');
  t.equal(three.stderr, 'err\n', 'and to its stderr');
  t.equal(run('true').status, 0, 'exit 0 -> 0');
  // `kill -9 $$` from inside: PID 1 cannot SIGKILL itself (the kernel drops it), so a child does it
  // to a non-init process: the shell runs the user's work in a child that kills itself.
  const killed = run('sh -c \'kill -9 $$\'; exit $?');
  t.equal(killed.status, 137, 'a shell reports 128+9 for its killed child');
  // The container's own PID 1 killed by a signal: tsrun reports 128+n like runc.
  const id = uniqueId('sig');
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', 'echo ready; while true; do sleep 0.05; done'];
  });
  const child = tsrunSpawn(root, ['run', '-b', bundle, id], ['ignore', 'pipe', 'pipe']);
  const done = collect(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  t.ok(await waitFor(() => out.includes('ready')), 'the container runs');
  t.equal(tsrun(root, ['kill', id, 'KILL']).status, 0);
  const res = await done;
  t.equal(res.status, 137, 'PID 1 killed by SIGKILL -> 137');
  assertNoLeaks(t, root);
});

t.test('run --detach returns while the container runs', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  const bundle = waitingBundle(t, shared);
  const id = uniqueId('detach');
  const pidFile = path.join(shared, 'run.pid');
  const r = tsrun(root, ['run', '-d', '-b', bundle, '--pid-file', pidFile, id]);
  t.equal(r.status, 0, r.stderr);
  t.equal(stateOf(root, id)?.status, 'running');
  t.equal(fs.readFileSync(pidFile, 'utf8'), String(stateOf(root, id)?.pid), 'pid file written by run too');
  t.ok(await waitFor(() => fs.existsSync(path.join(shared, 'inside-pid'))), 'the program runs');
  fs.writeFileSync(path.join(shared, 'go'), '');
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'), 'and stops on its own');
  t.equal(tsrun(root, ['delete', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('kill: signal names with and without SIG, numbers, default TERM', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    // A shell PID 1 with handlers: each caught signal is written to the shared log.
    c.process.args = ['sh', '-c', [
      'trap "echo TERM >> /tmp/log" TERM',
      'trap "echo USR1 >> /tmp/log" USR1',
      'trap "echo HUP >> /tmp/log" HUP',
      'echo ready > /tmp/ready',
      'while true; do sleep 0.05; done',
    ].join('; ')];
    bindShared(c, shared);
  });
  const id = uniqueId('kill');
  t.equal(tsrun(root, ['run', '-d', '-b', bundle, id]).status, 0);
  t.ok(await waitFor(() => fs.existsSync(path.join(shared, 'ready'))), 'handlers installed');
  const log = () => {
    try {
      return fs.readFileSync(path.join(shared, 'log'), 'utf8').trim().split('\n');
    } catch {
      return [];
    }
  };
  const sends: Array<[string[], string]> = [
    [['TERM'], 'TERM'], [['SIGTERM'], 'TERM'], [['15'], 'TERM'], [[], 'TERM'],
    [['USR1'], 'USR1'], [['SIGHUP'], 'HUP'], [['1'], 'HUP'],
  ];
  for (const [i, [args, want]] of sends.entries()) {
    const r = tsrun(root, ['kill', id, ...args]);
    t.equal(r.status, 0, `kill ${args.join(' ') || '(default)'}: ${r.stderr}`);
    t.ok(await waitFor(() => log().length === i + 1), `caught #${i + 1}`);
    t.equal(log()[i], want, `kill ${args.join(' ') || '(default)'} delivers SIG${want}`);
  }
  const bad = tsrun(root, ['kill', id, 'NOPE']);
  assertCleanError(t, bad);
  t.equal(stateOf(root, id)?.status, 'running', 'a bad signal name has no effect');
  t.equal(tsrun(root, ['kill', id, 'SIGKILL']).status, 0);
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'), 'SIGKILL stops it');
  t.equal(tsrun(root, ['delete', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('kill --all reaches every process in the container', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', 'sleep 1000 & sleep 1000 & sleep 1000 & wait'];
  });
  const id = uniqueId('all');
  t.equal(tsrun(root, ['run', '-d', '-b', bundle, id]).status, 0);
  t.ok(await waitFor(() => pidsInCgroupOf(id).length === 4), 'sh and three sleeps');
  // Without --all: TERM goes to PID 1 only, which (no handler, pid-namespace init) ignores it.
  t.equal(tsrun(root, ['kill', id, 'TERM']).status, 0);
  t.equal(pidsInCgroupOf(id).length, 4, 'without --all the sleeps are not signalled');
  // With --all the sleeps die of TERM, `wait` returns and the shell exits.
  t.equal(tsrun(root, ['kill', '--all', id, 'TERM']).status, 0);
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'), 'the container stops');
  t.ok(await waitFor(() => pidsInCgroupOf(id).length === 0), 'no process left in its cgroup');
  t.equal(tsrun(root, ['delete', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('a foreground run forwards signals and returns the container\'s status', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', 'trap "exit 7" TERM; echo ready; while true; do sleep 0.05; done'];
  });
  const id = uniqueId('fwd');
  const child = tsrunSpawn(root, ['run', '-b', bundle, id], ['ignore', 'pipe', 'pipe']);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const done = collect(child);
  t.ok(await waitFor(() => out.includes('ready')), 'the container runs and trapped TERM');
  child.kill('SIGTERM');
  const r = await done;
  t.equal(r.status, 7, `SIGTERM to tsrun reached the container, which exited 7 (${r.stderr})`);
  t.equal(stateOf(root, id), undefined, 'the container was deleted');
  assertNoLeaks(t, root);
});

t.test('--log FILE --log-format json writes runc\'s error lines', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  const logFile = path.join(shared, 'log.json');
  const r = tsrun(root, ['--log', logFile, '--log-format', 'json', 'state', 'missing-one']);
  assertCleanError(t, r, /container "missing-one" does not exist/);
  const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
  t.equal(lines.length, 1, 'one log line');
  t.same(Object.keys(lines[0]).sort(), ['level', 'msg', 'time']);
  t.equal(lines[0].level, 'error');
  t.equal(lines[0].msg, 'container "missing-one" does not exist', 'the message alone, no verb prefix (runc\'s msg)');
  t.ok(!Number.isNaN(Date.parse(lines[0].time)), 'time is a timestamp');
  // --flag=value forms append to the same file.
  const r2 = tsrun(root, [`--log=${logFile}`, '--log-format=json', 'start', 'missing-two']);
  t.equal(r2.status, 1);
  const more = fs.readFileSync(logFile, 'utf8').trim().split('\n');
  t.equal(more.length, 2, 'appended');
  const second = JSON.parse(more[1]) as Record<string, string>;
  t.equal(second.level, 'error');
  t.match(second.msg, /missing-two/);
  // text format
  const textLog = path.join(shared, 'log.txt');
  tsrun(root, ['--log', textLog, 'kill', 'missing-three']);
  t.match(fs.readFileSync(textLog, 'utf8'), /^time="[^"]+" level=error msg=".*missing-three.*"\n$/);
  assertNoLeaks(t, root);
});

t.test('a created container: delete needs --force; relative pid file', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sleep', '1000'];
  });
  const id = uniqueId('created');
  // --pid-file relative to tsrun's cwd, as runc resolves it.
  const r = tsrun(root, ['create', '-b', bundle, '--pid-file', 'rel.pid', id], { cwd: shared });
  t.equal(r.status, 0, r.stderr);
  const pid = stateOf(root, id)?.pid as number;
  t.equal(fs.readFileSync(path.join(shared, 'rel.pid'), 'utf8'), String(pid), 'relative pid file written under the cwd');
  t.ok(isAlive(pid), 'the init stage waits');
  // runtime.md "delete": a container that is not stopped MUST be refused, with no effect (runc
  // deletes a created one anyway; tsrun follows the spec). --force kills the waiting init stage.
  assertCleanError(t, tsrun(root, ['delete', id]), /that is not stopped: created/);
  t.ok(isAlive(pid), 'refused delete had no effect');
  t.equal(stateOf(root, id)?.status, 'created');
  const d = tsrun(root, ['delete', '--force', id]);
  t.equal(d.status, 0, d.stderr);
  t.notOk(isAlive(pid), 'the init stage is gone');
  assertNoLeaks(t, root);
});

t.test('stdio passes through in non-terminal mode', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', 'read line; echo "got $line"; echo "to stderr" >&2'];
  });
  const r = tsrun(root, ['run', '-b', bundle, uniqueId('stdio')], { input: 'hello\n' });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'got hello\n', 'stdin reaches the program, its stdout is tsrun\'s');
  t.equal(r.stderr, 'to stderr\n', 'its stderr is tsrun\'s');
  assertNoLeaks(t, root);
});
