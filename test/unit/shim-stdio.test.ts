// The shim's stdin relay (src/shim/stdio.ts) on real fifos: the client's writer already waiting in
// open(2) when the shim opens the fifo (what ctr does), a writer that comes only later (no EOF
// before it), and CloseIO; each must deliver the data and then EOF.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { mkfifo } from '../../src/sys/libc';
import { openStdio } from '../../src/shim/stdio';

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function relayed(fifo: string): { out: Promise<string>; close: () => void } {
  const io = openStdio({ stdin: fifo, stdout: '', stderr: '' });
  const to = new PassThrough();
  let text = '';
  to.on('data', (c: Buffer) => (text += c.toString()));
  const out = new Promise<string>((resolve) => to.on('end', () => resolve(text)));
  io.relayStdin(to);
  return { out, close: () => io.closeStdin() };
}

t.test('a writer waiting before the shim opens the fifo: data, then EOF', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shim-stdio-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'stdin');
  mkfifo(fifo, 0o600);
  // The shell blocks in open(O_WRONLY) until a reader exists, as ctr's writer does; it closes
  // the fifo a while after its last write, when the reader has drained it.
  spawn('sh', ['-c', `exec > '${fifo}'; printf 'one\\ntwo\\n'; sleep 0.3; printf 'three\\n'; sleep 0.3`], { stdio: ['ignore', 'ignore', 'inherit'] });
  await delay(200);
  const r = relayed(fifo);
  t.teardown(r.close);
  t.equal(await r.out, 'one\ntwo\nthree\n');
});

t.test('a writer that opens only later: no EOF before it, then its data and EOF', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shim-stdio-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'stdin');
  mkfifo(fifo, 0o600);
  const r = relayed(fifo);
  t.teardown(r.close);
  let ended = false;
  void r.out.then(() => (ended = true));
  await delay(150);
  t.notOk(ended, 'no EOF while nobody has connected');
  const w = spawn('sh', ['-c', `exec cat > '${fifo}'`], { stdio: ['pipe', 'ignore', 'inherit'] });
  w.stdin?.end('late\n');
  t.equal(await r.out, 'late\n');
});

t.test('CloseIO ends the container stdin while the writer is still open', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shim-stdio-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'stdin');
  mkfifo(fifo, 0o600);
  const w = spawn('sh', ['-c', `exec cat > '${fifo}'`], { stdio: ['pipe', 'ignore', 'inherit'] });
  t.teardown(() => w.kill());
  w.stdin?.write('partial\n');
  await delay(200);
  const r = relayed(fifo);
  await delay(100);
  r.close();
  t.equal(await r.out, 'partial\n');
});

t.test('CloseIO right after a write the relay has not polled yet: the data, then EOF', async (t) => {
  // ctr calls CloseIO as soon as its own stdin ends, often before the shim's next poll.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shim-stdio-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'stdin');
  mkfifo(fifo, 0o600);
  const r = relayed(fifo);
  t.teardown(r.close);
  // A writer of our own, opened once the relay reads (non-blocking open would fail before).
  const wfd = fs.openSync(fifo, fs.constants.O_WRONLY);
  await delay(100);
  fs.writeSync(wfd, 'typed\n');
  fs.closeSync(wfd);
  r.close();
  t.equal(await r.out, 'typed\n');
});
