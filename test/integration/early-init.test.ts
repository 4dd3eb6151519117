// The init stage spawned by the dispatcher before the create/run bundle loads
// (src/launcher/parent/early-stage.ts): with `--debug --log FILE` the dispatcher logs the early stage's
// pid, which tells whether the early path was taken and which process to look for afterwards.
// (a) a config that turns out invalid gives the same one-line error as the normal path (the same
//     command with --preserve-fds 0, which early-plan.ts leaves to the verb) and leaves nothing:
//     the early stage is gone, and no state, cgroup or mount is left;
// (b) the cases it does not serve still work, through the normal path: a terminal with
//     --console-socket, --preserve-fds, a joined namespace, time offsets;
// (c) `run` and `create`+`start` work with the early path, and the container's process is the
//     early stage itself (its pid is the state's);
// and a SIGTERM to `tsrun create` around the early spawn leaves nothing either.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import {
  assertCleanError, assertNoLeaks, bindShared, bundleFor, cleanupRoot, collect, delay, isAlive, makeStateRoot, quiet,
  sharedDir, skipReason, stateOf, tsrun, tsrunSpawn, uniqueId, waitFor, type Result,
} from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-early-'));
t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));

let logs = 0;
function logFile(): string {
  return path.join(work, `log-${++logs}`);
}

/** The pid the dispatcher logged for its early init stage, or undefined (normal path). */
function earlyPid(log: string): number | undefined {
  let text = '';
  try {
    text = fs.readFileSync(log, 'utf8');
  } catch {
    return undefined;
  }
  const m = /init stage spawned early, before the \w+ bundle: pid (\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** `tsrun --debug --log <new file> ...args`; the log file's path comes back with the result. */
function traced(args: string[]): Result & { log: string } {
  const log = logFile();
  return { ...tsrun(root, ['--debug', '--log', log, ...args]), log };
}

/** stderr without the debug/warning lines (there are none without --log; with it they go there). */
const errLine = (r: Result): string => r.stderr.trim();

t.test('run with the early path: the early stage becomes the container\'s process', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', 'echo pid=$$; echo host=$(hostname)'];
    c.hostname = 'early';
  });
  const r = traced(['run', '-b', bundle, uniqueId('erun')]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /pid=1\nhost=early\n/, 'PID 1 of its own pid namespace, with its uts namespace');
  const pid = earlyPid(r.log);
  t.ok(pid, 'the dispatcher spawned the init stage early');
  t.notOk(pid && isAlive(pid), 'and it is gone with the container');
  assertNoLeaks(t, root);
});

t.test('create + start with the early path: the state\'s pid is the early stage', { skip: skipReason }, async (t) => {
  const shared = sharedDir(t);
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', 'echo started > /tmp/out'];
    bindShared(c, shared);
  });
  const id = uniqueId('ecreate');
  const r = traced(['create', '--pid-file', path.join(work, 'pid'), '-b', bundle, id]);
  t.equal(r.status, 0, r.stderr);
  const pid = earlyPid(r.log);
  t.ok(pid, 'spawned early');
  t.equal(stateOf(root, id)?.pid, pid, 'the container\'s pid is the early stage\'s');
  t.equal(fs.readFileSync(path.join(work, 'pid'), 'utf8').trim(), String(pid), '--pid-file is served too');
  t.equal(stateOf(root, id)?.status, 'created');
  t.equal(tsrun(root, ['start', id]).status, 0);
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'), 'ran and stopped');
  t.equal(fs.readFileSync(path.join(shared, 'out'), 'utf8'), 'started\n');
  t.equal(tsrun(root, ['delete', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('an invalid config with the early path: the same error as the normal path, nothing left', { skip: skipReason }, async (t) => {
  const cases: Array<[string, (c: any) => void]> = [
    ['schema', (c) => (c.hostname = 5)],
    ['a named check (sysctl outside a namespace)', (c) => (c.linux.sysctl = { 'vm.swappiness': '10' })],
    ['a missing root filesystem', (c) => (c.root.path = '/nonexistent-tsrun-rootfs')],
    ['a refused field', (c) => (c.linux.intelRdt = { closID: 'x' })],
    ['a mount onto /proc (CVE-2019-19921)', (c) => c.mounts.push({ destination: '/proc/self/x', type: 'tmpfs', source: 'tmpfs' })],
  ];
  for (const [what, mutate] of cases) {
    const bundle = bundleFor(t, (c) => {
      quiet(c);
      mutate(c);
    });
    for (const verb of ['create', 'run']) {
      const early = traced([verb, '-b', bundle, uniqueId('ebad')]);
      const normal = traced([verb, '--preserve-fds', '0', '-b', bundle, uniqueId('ebad')]);
      const pid = earlyPid(early.log);
      t.ok(pid, `${verb}, ${what}: spawned early`);
      t.equal(earlyPid(normal.log), undefined, `${verb}, ${what}: --preserve-fds takes the normal path`);
      assertCleanError(t, early);
      // The ids differ; the messages here do not name them.
      t.equal(errLine(early), errLine(normal), `${verb}, ${what}: the same error (${errLine(early)})`);
      t.notOk(pid && isAlive(pid), `${verb}, ${what}: the early stage is gone`);
      assertNoLeaks(t, root, `${verb}, ${what}: nothing left`);
    }
  }
});

t.test('an id that exists: the early stage of the second create is killed, the first container untouched', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sleep', '1000'];
  });
  const id = uniqueId('edup');
  t.equal(tsrun(root, ['create', '-b', bundle, id]).status, 0);
  const first = stateOf(root, id)?.pid as number;
  const r = traced(['create', '-b', bundle, id]);
  assertCleanError(t, r, /exists/);
  const pid = earlyPid(r.log);
  t.ok(pid, 'spawned early');
  t.notOk(pid && isAlive(pid), 'the early stage is gone');
  t.ok(isAlive(first), 'the existing container lives on');
  t.equal(stateOf(root, id)?.status, 'created');
  t.equal(tsrun(root, ['delete', '--force', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('usage errors with a plain config: killed too', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, quiet);
  const r = traced(['create', '-b', bundle, 'bad/id']);
  assertCleanError(t, r);
  const pid = earlyPid(r.log);
  t.ok(pid, 'spawned early (the id is checked by the verb)');
  t.notOk(pid && isAlive(pid), 'gone');
  assertNoLeaks(t, root);
});

t.test('--preserve-fds: the normal path, the fd reaches the process', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sh', '-c', 'cat <&3'];
  });
  const file = path.join(work, 'fd3');
  fs.writeFileSync(file, 'through fd 3\n');
  const fd = fs.openSync(file, 'r');
  const log = logFile();
  try {
    const r = await collect(tsrunSpawn(root, ['--debug', '--log', log, 'run', '--preserve-fds', '1', '-b', bundle, uniqueId('epfd')], ['ignore', 'pipe', 'pipe', fd]));
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, 'through fd 3\n');
  } finally {
    fs.closeSync(fd);
  }
  t.equal(earlyPid(log), undefined, 'not spawned early');
  assertNoLeaks(t, root);
});

t.test('a joined namespace: the normal path joins it', { skip: skipReason }, async (t) => {
  const holder = uniqueId('eholder');
  const bundleA = bundleFor(t, (c) => {
    quiet(c);
    c.hostname = 'holder';
    c.process.args = ['sleep', '1000'];
  });
  t.equal(tsrun(root, ['create', '-b', bundleA, holder]).status, 0);
  const pidA = stateOf(root, holder)?.pid as number;
  const bundleB = bundleFor(t, (c) => {
    quiet(c);
    delete c.hostname;
    c.process.args = ['hostname'];
    for (const n of c.linux.namespaces) if (n.type === 'uts') n.path = `/proc/${pidA}/ns/uts`;
  });
  const r = traced(['run', '-b', bundleB, uniqueId('ejoin')]);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'holder\n', 'in the holder\'s uts namespace');
  t.equal(earlyPid(r.log), undefined, 'not spawned early');
  t.equal(tsrun(root, ['delete', '--force', holder]).status, 0);
  assertNoLeaks(t, root);
});

const noTimeNs = !fs.existsSync('/proc/self/ns/time') && 'this kernel has no time namespaces';
t.test('time offsets: the normal path writes them', { skip: skipReason || noTimeNs }, async (t) => {
  const offset = 1_000_000;
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.linux.namespaces.push({ type: 'time' });
    c.linux.timeOffsets = { boottime: { secs: offset, nanosecs: 0 } };
    c.process.args = ['cat', '/proc/uptime'];
  });
  const r = traced(['run', '-b', bundle, uniqueId('etime')]);
  t.equal(r.status, 0, r.stderr);
  t.ok(Number(r.stdout.split(' ')[0]) >= offset, `uptime with the offset: ${r.stdout.trim()}`);
  t.equal(earlyPid(r.log), undefined, 'not spawned early');
  assertNoLeaks(t, root);
});

const havePython = spawnSync('python3', ['-c', 'import socket; socket.recv_fds'], { encoding: 'utf8' }).status === 0;
// Accepts one connection on argv[1], receives the pty master, prints what comes out of it.
const RECEIVER = `
import os, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(1)
print("listening", flush=True)
conn, _ = srv.accept()
msg, fds, flags, _ = socket.recv_fds(conn, 4096, 4)
out = b""
while True:
    try:
        d = os.read(fds[0], 4096)
    except OSError:
        break
    if not d:
        break
    out += d
print(out.decode(), flush=True)
`;

t.test('a terminal with --console-socket: the normal path sends the pty master', { skip: skipReason || (!havePython && 'python3 with socket.recv_fds needed') }, async (t) => {
  const py = path.join(work, 'receiver.py');
  fs.writeFileSync(py, RECEIVER);
  const sock = path.join(work, 'console.sock');
  const receiver = spawn('python3', [py, sock], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = collect(receiver);
  await new Promise<void>((resolve, reject) => {
    receiver.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) resolve();
    });
    receiver.on('exit', () => reject(new Error('receiver exited before listening')));
  });
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.terminal = true;
    c.process.args = ['sh', '-c', 'echo tty=$(tty)'];
  });
  const id = uniqueId('etty');
  const r = traced(['run', '-d', '--console-socket', sock, '-b', bundle, id]);
  t.equal(r.status, 0, r.stderr);
  t.equal(earlyPid(r.log), undefined, 'not spawned early');
  const got = await done;
  t.match(got.stdout, /tty=\/dev\/pts\/0/, 'the process has the pty as its terminal');
  t.ok(await waitFor(() => stateOf(root, id)?.status === 'stopped'), 'stopped');
  t.equal(tsrun(root, ['delete', id]).status, 0);
  assertNoLeaks(t, root);
});

t.test('SIGTERM to tsrun create around the early spawn: nothing left', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sleep', '1000'];
  });
  // From the moment the dispatcher logs the early pid: during the verb bundle's load, validation,
  // state and cgroup setup, the protocol. Where a delay lands varies by machine; each must end
  // with nothing left (or a created container, when create won the race).
  for (const ms of [0, 0, 2, 5, 10, 20, 40, 80]) {
    const id = uniqueId(`eterm${ms}`);
    const log = logFile();
    const child = tsrunSpawn(root, ['--debug', '--log', log, 'create', '-b', bundle, id], ['ignore', 'ignore', 'ignore']);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    let pid: number | undefined;
    let gone = false;
    void exited.then(() => (gone = true));
    while (!gone && (pid = earlyPid(log)) === undefined) await delay(1);
    await delay(ms);
    child.kill('SIGTERM');
    const how = await exited;
    t.ok(pid, `after ${ms} ms: spawned early`);
    if (how.code === 0) {
      // create finished before the signal: a created container, whose process is the early stage.
      t.equal(stateOf(root, id)?.pid, pid, `after ${ms} ms: create won the race`);
      t.equal(tsrun(root, ['delete', '--force', id]).status, 0);
    } else {
      t.ok(how.signal === 'SIGTERM' || how.code === 1, `after ${ms} ms: ended by the signal (${how.signal ?? how.code})`);
      t.notOk(pid && isAlive(pid), `after ${ms} ms: the early stage is gone`);
    }
    assertNoLeaks(t, root, `after ${ms} ms: nothing left`);
  }
});
