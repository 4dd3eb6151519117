// src/cli/output.ts: everything reaches the fd, a full non-blocking pipe is waited for, a reader
// that went away ends the output quietly.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const OUTPUT = path.resolve(__dirname, '..', '..', 'src', 'cli', 'output.ts');
// A child process that loads output.ts through tap's TypeScript loader (the one running us).
function child(code: string, opts: { input?: string; stdio?: 'pipe' } = {}) {
  return spawnSync(process.execPath, [...process.execArgv, '-e', `const o = require(${JSON.stringify(OUTPUT)});\n${code}`], {
    encoding: 'utf8', input: opts.input, maxBuffer: 64 * 1024 * 1024,
  });
}

t.test('writeOut writes all of a large text through a pipe', async (t) => {
  const r = child(`o.writeOut('x'.repeat(4 * 1024 * 1024) + '\\n'); o.writeErr('done\\n');`);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.length, 4 * 1024 * 1024 + 1);
  t.match(r.stderr, /done/);
});

t.test('a non-blocking stdout that fills up (EAGAIN) is waited for, nothing is lost', async (t) => {
  // The writer sets O_NONBLOCK on its stdout pipe itself, then writes more than a pipe holds;
  // the reader (spawnSync) drains it meanwhile.
  const r = child(`
    const net = require('node:net');
    const s = new net.Socket({ fd: 1, readable: false, writable: true }); // libuv makes fd 1 non-blocking
    s.unref();
    o.writeOut('y'.repeat(8 * 1024 * 1024));
    process.exit(0);`);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.length, 8 * 1024 * 1024);
});

t.test('EPIPE: writeOut returns false quietly, the process goes on', async (t) => {
  const r = spawnSync('/bin/sh', ['-c', `${process.execPath} ${process.execArgv.join(' ')} -e '
    const o = require(${JSON.stringify(OUTPUT)});
    // wait until head has gone
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    o.writeOut("a\\n");
    const ok = o.writeOut("b".repeat(1 << 20));
    o.writeErr("result " + ok + "\\n");' | head -c 0`], { encoding: 'utf8' });
  t.match(r.stderr, /result false/);
  t.notMatch(r.stderr, /Error/);
});

t.test('oneLine: an error message quoting a value with control characters stays one line', async (t) => {
  const { oneLine } = await import('../../src/cli/report');
  t.equal(oneLine('got "a\nb\tc\u0007d\u2028e"'), 'got "a\\nb\\tc\\u0007d\\u2028e"');
  t.equal(oneLine('unicode stays: 日本語 🐳'), 'unicode stays: 日本語 🐳');
});
