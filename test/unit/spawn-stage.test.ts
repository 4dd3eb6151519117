// src/launcher/parent/spawn-stage.ts: a stage started with posix_spawn gets exactly the fds its stdio
// entries say, whatever numbers they carry, and reports its exit like a ChildProcess. No root:
// the "stage" here is /bin/sh.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { spawnStage } from '../../src/launcher/parent/spawn-stage';
import { RuntimeError } from '../../src/errors';

function exited(c: ChildProcess): Promise<[number | null, string | null]> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) resolve([c.exitCode, c.signalCode]);
    else c.once('exit', (code, sig) => resolve([code, sig]));
  });
}

function readAll(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (out += d));
    s.on('end', () => resolve(out));
  });
}

// The fds of the spawned program itself, written to its fd 3 without opening another one (a shell
// would: dash keeps copies of redirected fds). perl-base is Essential on Debian.
const SHOW_FDS = ['/usr/bin/perl', '-e', 'open(my $o, ">&=", 3) or die; for my $n (0..64) { my $l = readlink("/proc/self/fd/$n"); print $o "$n -> $l\n" if defined $l }'];

t.test('each entry lands on its number; sources are moved first, so none clobbers another', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-spawn-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const a = fs.openSync(path.join(dir, 'a'), 'w');
  const b = fs.openSync(path.join(dir, 'b'), 'w');
  t.teardown(() => {
    fs.closeSync(a);
    fs.closeSync(b);
  });
  // fd 1 of the child is our `b`, fd 2 our `a`, and fd 0 is /dev/null opened at 0: had fd 0's
  // /dev/null been opened before `b` was read from its own number, a swap would show here.
  const c = spawnStage({ argv: SHOW_FDS, stdio: ['ignore', b, a, 'pipe'], env: {}, setsid: false, who: 'the test stage' });
  const out = await readAll(c.stdio[3] as Socket);
  t.same(await exited(c), [0, null]);
  const fds: Record<string, string> = Object.fromEntries([...out.matchAll(/^(\d+) -> (.*)$/gm)].map((m) => [m[1], m[2]]));
  t.equal(fds['0'], '/dev/null');
  t.equal(fds['1'], path.join(dir, 'b'));
  t.equal(fds['2'], path.join(dir, 'a'));
  t.match(fds['3'], /^socket:/, 'the pipe entry is a socket');
  t.same(Object.keys(fds).sort(), ['0', '1', '2', '3'], 'nothing else: the sources moved above the stdio are not inherited');
});

t.test('the environment is only the one given; the exit status comes through', async (t) => {
  const c = spawnStage({ argv: ['/bin/sh', '-c', 'env >&3; exit 7'], stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env: { ONLY: 'this' }, setsid: true, who: 'the test stage' });
  const out = await readAll(c.stdio[3] as Socket);
  t.same(await exited(c), [7, null]);
  t.match(out, /^ONLY=this$/m);
  t.notMatch(out, /^HOME=/m, 'nothing of ours');
});

t.test('setsid: the stage leads a session of its own', async (t) => {
  const c = spawnStage({ argv: ['/bin/sh', '-c', 'cut -d" " -f6 /proc/self/stat >&3'], stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env: {}, setsid: true, who: 'the test stage' });
  const out = await readAll(c.stdio[3] as Socket);
  await exited(c);
  t.equal(Number(out.trim()), c.pid, 'session id = its pid');
});

t.test('kill and signalCode', async (t) => {
  const c = spawnStage({ argv: ['/bin/sh', '-c', 'exec sleep 30'], stdio: ['ignore', 'ignore', 'ignore'], env: {}, setsid: false, who: 'the test stage' });
  t.ok(c.kill('SIGKILL'));
  t.same(await exited(c), [null, 'SIGKILL']);
});

t.test('a program that cannot be started: a spawn error naming the stage, nothing left open', async (t) => {
  const before = fs.readdirSync('/proc/self/fd').length;
  let err: unknown;
  try {
    spawnStage({ argv: ['/nonexistent/node', 'x'], stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: {}, setsid: false, who: 'the test stage' });
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof RuntimeError, 'a RuntimeError');
  t.equal((err as RuntimeError).code, 'spawn');
  t.match((err as Error).message, /^cannot start the test stage: .*ENOENT/);
  t.equal(fs.readdirSync('/proc/self/fd').length, before, 'no fd of ours left behind');
});

t.test('many stages at once: every exit reported, one SIGCHLD listener (no listener-leak warning)', async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w.message);
  };
  process.on('warning', onWarning);
  t.teardown(() => process.removeListener('warning', onWarning));
  const before = process.listenerCount('SIGCHLD');
  const kids = Array.from({ length: 20 }, (_, i) =>
    spawnStage({ argv: ['/bin/sh', '-c', `exit ${i}`], stdio: ['ignore', 'ignore', 'ignore'], env: {}, setsid: false, who: 'the test stage' }));
  t.ok(process.listenerCount('SIGCHLD') <= before + 1, 'at most one listener added');
  const statuses = await Promise.all(kids.map(exited));
  t.same(statuses.map(([code]) => code), Array.from({ length: 20 }, (_, i) => i), 'each exit status, each its own');
  t.equal(process.listenerCount('SIGCHLD'), before, 'the listener goes with the last of them');
  t.same(warnings, [], 'no warning');
});
