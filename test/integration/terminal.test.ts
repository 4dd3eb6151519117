// process.terminal (config.md "Process": terminal, consoleSize; runtime-linux.md "/dev/console")
// with real containers: `create --console-socket` hands the pty master to a listening client the
// way runc does (one message, body "/dev/ptmx", one fd with SCM_RIGHTS; the client here is a small
// python3 receiver using socket.recv_fds, as containerd's go-runc and conmon receive it), the
// container sees the pty as its stdio, /dev/console and controlling terminal; foreground `run`
// relays the pty under a real terminal (script(1)); runc's two console-socket rules.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import {
  assertCleanError, assertNoLeaks, bundleFor, cleanupRoot, collect, makeStateRoot, quiet, skipReason,
  tsrun, TSRUN, uniqueId, type Result,
} from '../lib/harness';

const root = makeStateRoot();
t.teardown(() => cleanupRoot(root));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-tty-'));
t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));

const haveScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const havePython = spawnSync('python3', ['-c', 'import socket; socket.recv_fds'], { encoding: 'utf8' }).status === 0;

// Listens on argv[1], accepts one connection, receives the master, writes argv[2] into it, then
// reads until EIO (every slave closed: the container exited) and prints one JSON line.
const RECEIVER = `
import json, os, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(1)
print("listening", flush=True)
conn, _ = srv.accept()
msg, fds, flags, _ = socket.recv_fds(conn, 4096, 4)
rest = conn.recv(16)
master = fds[0]
os.write(master, sys.argv[2].encode())
out = b""
while True:
    try:
        d = os.read(master, 4096)
    except OSError as e:
        break
    if not d:
        break
    out += d
print(json.dumps({"msg": msg.decode(), "nfds": len(fds), "flags": flags, "rest": rest.decode(), "out": out.decode()}), flush=True)
`;
const receiverPy = path.join(work, 'receiver.py');
fs.writeFileSync(receiverPy, RECEIVER);

/** Starts the receiver on a fresh socket path and waits until it listens. */
async function startReceiver(input: string): Promise<{ sock: string; done: Promise<Result> }> {
  const sock = path.join(work, `${uniqueId('cs')}.sock`);
  const child = spawn('python3', [receiverPy, sock, input], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = collect(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) resolve();
    });
    child.on('exit', () => reject(new Error('receiver exited before listening')));
  });
  return { sock, done };
}

/** Shell commands printed by the container to describe its terminal, one "key=value" a line. */
const PROBE = [
  'echo tty=$(tty)',
  'echo size=$(stty size)',
  // tty_nr, field 7 of /proc/self/stat (proc(5)): non-zero when there is a controlling terminal.
  'set -- $(cat /proc/self/stat); echo tty_nr=$7',
  'echo console=$(stat -L -c %t:%T /dev/console)',
  'echo pts0=$(stat -L -c %t:%T /dev/pts/0)',
  'echo console_mounts=$(grep -c " /dev/console " /proc/self/mountinfo)',
  'echo owner=$(stat -L -c %u:%g /dev/console)',
  'echo fd0=$(readlink /proc/self/fd/0)',
  'echo fd2=$(readlink /proc/self/fd/2)',
  'read line; echo got=$line',
  'exit 3',
].join('; ');

function kv(out: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of out.split(/\r?\n/)) {
    const m = /^(\w+)=(.*)$/.exec(l.replace(/\r$/, ''));
    if (m) o[m[1]] = m[2];
  }
  return o;
}

t.test('create --console-socket: the master goes to the socket, the container gets the pty', { skip: skipReason || (!havePython && 'python3 with socket.recv_fds needed') }, async (t) => {
  for (const user of [{ uid: 0, gid: 0 }, { uid: 1000, gid: 1000 }]) {
    const bundle = bundleFor(t, (c) => {
      quiet(c);
      c.process.terminal = true;
      c.process.consoleSize = { height: 33, width: 111 };
      c.process.user = user;
      c.process.args = ['sh', '-c', PROBE];
    });
    const id = uniqueId('tty');
    const { sock, done } = await startReceiver('typed-in\n');
    // Pipes on purpose: with a terminal the init stage must not keep create's stdio, or this
    // spawnSync would wait for the container (which waits for `start`) until the timeout.
    const created = spawnSync('/usr/bin/env', ['-u', 'NODE_OPTIONS', TSRUN, '--root', root, 'create', '-b', bundle, '--console-socket', sock, id],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    t.equal(created.error, undefined, 'create returns without waiting for the container');
    t.equal(created.status, 0, created.stderr);
    const started = tsrun(root, ['start', id]);
    t.equal(started.status, 0, started.stderr);
    const r = await done;
    t.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout.split('\n').filter((l) => l.startsWith('{'))[0] ?? '{}') as { msg: string; nfds: number; rest: string; out: string };
    t.equal(got.msg, '/dev/ptmx', 'message body is the master\'s name, as runc sends it');
    t.equal(got.nfds, 1, 'exactly one fd in the control message');
    t.equal(got.rest, '', 'nothing else on the socket');
    const o = kv(got.out);
    t.equal(o.tty, '/dev/pts/0', `tty (uid ${user.uid})`);
    t.equal(o.size, '33 111', 'stty size is consoleSize');
    t.not(o.tty_nr, '0', 'the process has a controlling terminal');
    t.equal(o.tty_nr, String(136 << 8), 'and it is /dev/pts/0 (136:0)');
    t.equal(o.console, '88:0', '/dev/console is the pty slave');
    t.equal(o.pts0, '88:0');
    t.equal(o.console_mounts, '1', '/dev/console is a bind mount');
    t.equal(o.owner?.split(':')[0], String(user.uid), 'the slave belongs to the process uid (runc fixStdioPermissions)');
    t.equal(o.owner?.split(':')[1], '5', 'and keeps the devpts gid (gid=5 in the default /dev/pts mount)');
    t.equal(o.fd0, '/dev/pts/0');
    t.equal(o.fd2, '/dev/pts/0');
    t.equal(o.got, 'typed-in', 'input written to the master reaches the process');
    t.match(got.out, /typed-in\r\n/, 'the pty echoes and maps \\n to \\r\\n (a real terminal line discipline)');
    t.equal(tsrun(root, ['delete', id]).status, 0);
  }
  assertNoLeaks(t, root);
});

t.test('run --detach --console-socket', { skip: skipReason || (!havePython && 'python3 with socket.recv_fds needed') }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.terminal = true;
    c.process.args = ['sh', '-c', 'echo detached-$(tty); read x; echo "x=$x"'];
  });
  const id = uniqueId('ttyd');
  const { sock, done } = await startReceiver('abc\n');
  const r = tsrun(root, ['run', '-d', '-b', bundle, '--console-socket', sock, id]);
  t.equal(r.status, 0, r.stderr);
  const out = await done;
  t.match(out.stdout, /detached-\/dev\/pts\/0/);
  t.match(out.stdout, /x=abc/);
  tsrun(root, ['delete', '--force', id]);
  assertNoLeaks(t, root);
});

t.test('foreground run relays the pty under a real terminal', { skip: skipReason || (!haveScript && 'script(1) from util-linux needed') }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.terminal = true;
    c.process.consoleSize = { height: 10, width: 10 };
    c.process.args = ['sh', '-c', 'echo size=$(stty size); set -- $(cat /proc/self/stat); echo tty_nr=$7; read line; echo got=$line; exit 7'];
  });
  const id = uniqueId('ttyfg');
  // script(1) gives tsrun a terminal; our window size (20x70) replaces consoleSize, as `runc run`
  // resizes to its own terminal; after tsrun, the outer terminal must be back in canonical mode.
  const cmd = `stty rows 20 cols 70; /usr/bin/env -u NODE_OPTIONS ${TSRUN} --root ${root} run -b ${bundle} ${id}; rc=$?; `
    + 'echo; echo outer=$(stty -a | grep -o -- "-\\?icanon"); exit $rc';
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end('hello-relay\n');
  const r = await collect(child);
  const o = kv(r.stdout);
  t.equal(r.status, 7, `exit status of the container process (${r.stderr})`);
  t.equal(o.size, '20 70', 'the pty got our window size');
  t.not(o.tty_nr ?? '0', '0', 'controlling terminal inside');
  t.equal(o.got, 'hello-relay', 'our stdin reached the container');
  t.equal(o.outer, 'icanon', 'our terminal is out of raw mode again');
  t.notMatch(r.stdout, /\r\r\n/, 'no second ONLCR on our side (raw mode clears OPOST, as runc)');
  t.equal(tsrun(root, ['state', id]).status, 1, 'the container is gone');
  assertNoLeaks(t, root);
});

t.test("runc's console-socket rules", { skip: skipReason }, async (t) => {
  const tty = bundleFor(t, (c) => {
    quiet(c);
    c.process.terminal = true;
  });
  const noTty = bundleFor(t, quiet);
  const sock = path.join(work, 'nobody.sock');
  const detachNeeds = /cannot allocate tty if runc will detach without setting console socket/;
  const notDetach = /cannot use console socket if runc will not detach or allocate tty/;
  assertCleanError(t, tsrun(root, ['create', '-b', tty, uniqueId('r1')]), detachNeeds);
  assertCleanError(t, tsrun(root, ['run', '-d', '-b', tty, uniqueId('r2')]), detachNeeds);
  assertCleanError(t, tsrun(root, ['create', '-b', noTty, '--console-socket', sock, uniqueId('r3')]), notDetach);
  assertCleanError(t, tsrun(root, ['run', '-b', tty, '--console-socket', sock, uniqueId('r4')]), notDetach);
  // A socket nobody listens on fails create before there is a container.
  assertCleanError(t, tsrun(root, ['create', '-b', tty, '--console-socket', sock, uniqueId('r5')]), /connect.*nobody\.sock/);
  assertNoLeaks(t, root);
});

t.test('consoleSize too large for a terminal is refused', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.terminal = true;
    c.process.consoleSize = { height: 70000, width: 80 };
  });
  const sock = path.join(work, 'unused.sock');
  assertCleanError(t, tsrun(root, ['create', '-b', bundle, '--console-socket', sock, uniqueId('big')]), /consoleSize\/height/);
  assertNoLeaks(t, root);
});

// exec -t: the exec stage makes the pty in the container's devpts, the exec'd process gets it as
// its controlling terminal and stdio, and the master goes where create's goes.
t.test('exec --tty --detach --console-socket (conmon\'s and containerd\'s way)', { skip: skipReason || (!havePython && 'python3 with socket.recv_fds needed') }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sleep', '600'];
  });
  const id = uniqueId('ttyx');
  t.equal(tsrun(root, ['run', '-d', '-b', bundle, id]).status, 0, 'container runs');
  const { sock, done } = await startReceiver('from-master\n');
  const pidFile = path.join(work, `${id}.pid`);
  const r = tsrun(root, ['exec', '--tty', '--detach', '--console-socket', sock, '--pid-file', pidFile, '-u', '1000', id, 'sh', '-c', PROBE.replace(/echo console.*?; echo owner=[^;]*;/, 'echo owner=$(stat -L -c %u /proc/self/fd/0);')]);
  t.equal(r.status, 0, r.stderr);
  t.ok(Number(fs.readFileSync(pidFile, 'utf8')) > 0, 'pid file written');
  const out = await done;
  const res = JSON.parse(out.stdout.split('\n').find((l) => l.startsWith('{')) ?? '{}') as { msg: string; nfds: number; out: string };
  t.equal(res.msg, '/dev/ptmx', 'runc\'s message body');
  t.equal(res.nfds, 1, 'one fd');
  const o = kv(res.out);
  t.match(o.tty, /^\/dev\/pts\/\d+$/, 'stdin is a pty of the container\'s devpts');
  t.not(o.tty_nr ?? '0', '0', 'it is the controlling terminal');
  t.equal(o.owner, '1000', 'owned by the process\'s user');
  t.equal(o.got, 'from-master', 'input written to the master arrives');
  tsrun(root, ['delete', '--force', id]);
  assertNoLeaks(t, root);
});

t.test('foreground exec -t relays the pty; runc\'s terminal rules for exec', { skip: skipReason || (!haveScript && 'script(1) from util-linux needed') }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sleep', '600'];
  });
  const id = uniqueId('ttyxf');
  t.equal(tsrun(root, ['run', '-d', '-b', bundle, id]).status, 0, 'container runs');
  const cmd = `stty rows 21 cols 71; /usr/bin/env -u NODE_OPTIONS ${TSRUN} --root ${root} exec -t ${id} sh -c 'echo size=$(stty size); set -- $(cat /proc/self/stat); echo tty_nr=$7; read line; echo got=$line; exit 6'; rc=$?; `
    + 'echo; echo outer=$(stty -a | grep -o -- "-\\?icanon"); exit $rc';
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end('hello-exec\n');
  const r = await collect(child);
  const o = kv(r.stdout);
  t.equal(r.status, 6, `exit status of the exec'd process (${r.stderr})`);
  t.equal(o.size, '21 71', 'the pty starts with our window size');
  t.not(o.tty_nr ?? '0', '0', 'controlling terminal inside');
  t.equal(o.got, 'hello-exec', 'our stdin reached the process');
  t.equal(o.outer, 'icanon', 'our terminal is out of raw mode again');
  const d = tsrun(root, ['exec', '-t', '-d', id, 'true']);
  t.equal(d.status, 255);
  t.match(d.stderr, /cannot allocate tty if runc will detach without setting console socket/);
  const s = tsrun(root, ['exec', '--console-socket', '/nonexistent.sock', id, 'true']);
  t.equal(s.status, 255);
  t.match(s.stderr, /cannot use console socket if runc will not detach or allocate tty/);
  tsrun(root, ['delete', '--force', id]);
  assertNoLeaks(t, root);
});

t.test('a relayed terminal needs one of ours: without a controlling terminal, run and exec fail at once', { skip: skipReason }, async (t) => {
  const bundle = bundleFor(t, (c) => {
    quiet(c);
    c.process.terminal = true;
    c.process.args = ['sh'];
  });
  // setsid(1): a new session, so tsrun has no controlling terminal even when the suite runs in one.
  const noTty = (args: string[]) => spawnSync('setsid', ['-w', '/usr/bin/env', '-u', 'NODE_OPTIONS', TSRUN, '--root', root, ...args],
    { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const r = noTty(['run', '-b', bundle, uniqueId('notty')]);
  t.equal(r.status, 1, `run fails instead of waiting forever (${r.error?.message ?? ''})`);
  t.match(r.stderr, /process\.terminal needs a terminal to relay to, and tsrun has none \(open \/dev\/tty: ENXIO\)/);
  const plain = bundleFor(t, (c) => {
    quiet(c);
    c.process.args = ['sleep', '600'];
  });
  const id = uniqueId('notty');
  t.equal(tsrun(root, ['run', '-d', '-b', plain, id]).status, 0);
  const e = noTty(['exec', '-t', id, 'sh']);
  t.equal(e.status, 255, 'exec -t fails too');
  t.match(e.stderr, /needs a terminal to relay to/);
  tsrun(root, ['delete', '--force', id]);
  assertNoLeaks(t, root);
});
