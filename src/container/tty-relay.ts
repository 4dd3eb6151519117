// Relays between a container's pty master and tsrun's own stdin/stdout, the way `runc run` (and
// `runc exec -t`) does when no --console-socket is given (runc's tty.go): our stdin goes into the
// master, with stdin in raw mode when it is a terminal (so ^C, ^Z and line editing are the
// container's business), everything the container writes comes out on our stdout, and SIGWINCH
// passes our window size on to the pty. Shared by `run` and `exec -t`.
import tty = require('node:tty');
import * as ttySys from '../sys/tty';
import { setWindowSize } from '../linux/pty';

export interface TtyRelayOptions {
  /** Default process.stdin / process.stdout. */
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** fds whose terminal size is ours (the first one that is a tty wins); default 0, 1, 2. */
  sizeFrom?: number[];
  /** The fd of `input`, put in raw mode when it is a terminal; default 0. */
  inputFd?: number;
}

export interface TtyRelay {
  /** Resolves once the master reports EOF or EIO: every slave fd is closed (pty(7)). */
  readonly ended: Promise<void>;
  /**
   * After the container's process has exited: waits until the output ended (what the process
   * wrote before exiting is still in the pty buffer), at most `graceMs` (a child that kept the
   * slave open outlives it), then closes. Always closes, even when the wait is cut short.
   */
  finish(graceMs?: number): Promise<void>;
  /** Stops relaying now: raw mode restored, listeners removed, the master closed. Idempotent. */
  close(): void;
}

/** Our own window size, from the first of `fds` that is a terminal (runc: console.Current()). */
function ownWindowSize(fds: number[]): ttySys.WinSize | undefined {
  for (const fd of fds) {
    try {
      if (ttySys.isatty(fd)) return ttySys.getWinsize(fd);
    } catch {
      // not a terminal after all; try the next
    }
  }
  return undefined;
}

/** Takes ownership of `master`: it is closed by close()/finish(). */
export function startTtyRelay(master: number, opts: TtyRelayOptions = {}): TtyRelay {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const sizeFrom = opts.sizeFrom ?? [0, 1, 2];
  // A tty handle (libuv uv_tty_t, non-blocking, epoll-driven) works on a pty master: it is a
  // terminal (isatty), and libuv does not try to reopen a master by name. node-pty does the same.
  const pty = new tty.ReadStream(master);
  let closed = false;
  let endedResolve: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    endedResolve = resolve;
  });

  const resize = (): void => {
    const size = ownWindowSize(sizeFrom);
    if (!size || size.rows === 0 || size.cols === 0) return;
    try {
      setWindowSize(master, size.rows, size.cols);
    } catch {
      // the pty is gone; the output side notices
    }
  };
  const onInput = (chunk: Buffer | string): void => {
    if (!closed) pty.write(chunk);
  };
  // A terminal on our side goes raw: the container's line discipline does the cooking, as runc's
  // SetRaw on the current console. Restored on every way out: close(), and 'exit' for the paths
  // that end the process without unwinding (process.exit in a signal handler).
  const inputFd = opts.inputFd ?? 0;
  const saved = ttySys.isatty(inputFd) ? ttySys.makeRaw(inputFd) : undefined;
  const restore = (): void => {
    try {
      if (saved) ttySys.restoreTermios(inputFd, saved);
    } catch {
      // stdin already closed
    }
  };
  process.once('exit', restore);

  // Our stdout going away (EPIPE) must not kill tsrun: the container runs on and is waited for.
  // Left in place after close(): a failed write may report its error a tick later.
  output.on('error', () => {});
  pty.on('data', (chunk: Buffer) => output.write(chunk));
  // EIO is how a master reports that the last slave fd closed (the process and its children
  // exited); EOF and close are the same news.
  pty.on('error', () => endedResolve());
  pty.on('end', () => endedResolve());
  pty.on('close', () => endedResolve());
  input.on('data', onInput);
  // runc leaves the master open when our stdin ends: a process reading its terminal then waits,
  // as it would on a real terminal nobody types on.
  input.on('error', () => input.removeListener('data', onInput));
  input.resume();
  process.on('SIGWINCH', resize);
  resize();

  const close = (): void => {
    if (closed) return;
    closed = true;
    process.removeListener('SIGWINCH', resize);
    input.removeListener('data', onInput);
    input.pause();
    restore();
    process.removeListener('exit', restore);
    pty.destroy();
    endedResolve();
  };
  return {
    ended,
    close,
    async finish(graceMs = 2000): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ended, new Promise<void>((r) => { timer = setTimeout(r, graceMs); })]);
      clearTimeout(timer);
      close();
    },
  };
}
