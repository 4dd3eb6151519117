// What the CLI prints goes straight to fds 1 and 2 with fs.writeSync. `process.stdout` and
// `process.stderr` are lazy getters that build a stream (tty, pipe or file wrap and the stream
// machinery) on first use: about 2.5 ms for a command that prints one JSON document. writeSync
// also means the text is written when the call returns, so the process may leave with _exit
// right after (exit.ts) without losing it.
import fs = require('node:fs');

// A one-element Int32Array to sleep on: Atomics.wait is a synchronous sleep without a busy loop.
let sleeper: Int32Array | undefined;
function sleepMs(ms: number): void {
  sleeper ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Writes all of `text` to `fd`. A non-blocking pipe that is full (EAGAIN: our fd 1 may share its
 * open file with a reader that set O_NONBLOCK) is retried after a short sleep. A reader that went
 * away (EPIPE: `tsrun list | head -1`; Node ignores SIGPIPE) ends the output quietly, as it would
 * end a Go program's: false is returned. Other errors are thrown.
 */
function writeFd(fd: number, text: string): boolean {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        sleepMs(1);
        continue;
      }
      if (code === 'EPIPE') return false;
      throw e;
    }
  }
  return true;
}

/** Standard output (state, list, spec, features, ps, events, --help, --version); false: EPIPE. */
export function writeOut(text: string): boolean {
  return writeFd(1, text);
}

/** Standard error (the one-line errors): never throws, there is nowhere left to report to. */
export function writeErr(text: string): void {
  try {
    writeFd(2, text);
  } catch {
    // stderr closed or broken: nothing more to say
  }
}
