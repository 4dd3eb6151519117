// src/container/tty-relay.ts between two host ptys: "outer" plays tsrun's own terminal (its slave
// is our stdin and the source of our window size), "inner" plays the container's pty.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import tty from 'node:tty';
import t from 'tap';
import { openPtyPair, setWindowSize, type PtyPair } from '../../src/linux/pty';
import { libcSys } from '../../src/sys/libc-sys';
import * as ttySys from '../../src/sys/tty';
import { startTtyRelay } from '../../src/container/tty-relay';

const skip = fs.existsSync('/dev/ptmx') ? false : 'no /dev/ptmx';

/** `stty -a` of a terminal fd: whether it is in canonical mode. */
function canonical(fd: number): boolean {
  const r = spawnSync('stty', ['-a'], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`stty: ${r.stderr}`);
  return /(^|\s)icanon(\s|$)/.test(r.stdout);
}

/** Is `fd` (still) an open pty master of ours? */
function isPtmx(fd: number): boolean {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`) === '/dev/ptmx';
  } catch {
    return false;
  }
}

/** Resolves with everything `stream` produced once `pattern` matches it. */
function until(read: () => string, pattern: RegExp, onData: (cb: () => void) => void): Promise<string> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (pattern.test(read())) resolve(read());
    };
    onData(check);
    check();
  });
}

t.test('relay: raw input, size and SIGWINCH, both directions, EIO ends it, raw mode restored', { skip }, async (t) => {
  const outer: PtyPair = openPtyPair(libcSys, '/');
  const inner: PtyPair = openPtyPair(libcSys, '/');
  t.teardown(() => [outer.master, outer.slave].forEach((fd) => fs.closeSync(fd)));
  setWindowSize(outer.slave, 20, 70);
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (d: Buffer) => (out += d.toString()));

  t.ok(canonical(outer.slave), 'our terminal starts canonical');
  const relay = startTtyRelay(inner.master, { input, output, sizeFrom: [outer.slave], inputFd: outer.slave });
  t.notOk(canonical(outer.slave), 'raw while relaying');
  t.same(ttySys.getWinsize(inner.slave), { rows: 20, cols: 70 }, 'our size on the container pty from the start');

  setWindowSize(outer.slave, 25, 90);
  process.emit('SIGWINCH' as never);
  t.same(ttySys.getWinsize(inner.slave), { rows: 25, cols: 90 }, 'SIGWINCH passes the new size on');

  // Container side: read its terminal through a tty stream of the slave.
  const slave = new tty.ReadStream(inner.slave);
  let seen = '';
  slave.on('data', (d: Buffer) => (seen += d.toString()));
  input.write('typed line\n');
  t.equal(await until(() => seen, /typed line\n/, (cb) => slave.on('data', cb)), 'typed line\n', 'our input reaches the container');
  fs.writeSync(inner.slave, 'from inside\n');
  await until(() => out, /from inside\r\n/, (cb) => output.on('data', cb));
  t.match(out, /typed line\r\n/, 'the container pty echoes');
  t.match(out, /from inside\r\n/, 'container output reaches our stdout');

  // Every slave fd closed (the process exited): the master reads EIO and the relay ends.
  // (libuv reopens a slave by name for its tty handle: our own fd stays ours to close.)
  slave.destroy();
  fs.closeSync(inner.slave);
  await relay.ended;
  await relay.finish();
  t.ok(canonical(outer.slave), 'raw mode restored');
  t.equal(process.listenerCount('SIGWINCH'), 0, 'SIGWINCH listener removed');
  t.notOk(isPtmx(inner.master), 'the relay closed the master it owned');
});

t.test('finish() closes after the grace period when a slave stays open', { skip }, async (t) => {
  const inner = openPtyPair(libcSys, '/');
  t.teardown(() => fs.closeSync(inner.slave));
  const relay = startTtyRelay(inner.master, { input: new PassThrough(), output: new PassThrough(), sizeFrom: [], inputFd: inner.slave });
  await relay.finish(50);
  t.notOk(isPtmx(inner.master), 'master closed anyway');
  relay.close();
  t.pass('close() after finish() is harmless');
});
