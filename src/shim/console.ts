// The stdio of a task or exec process with a terminal (CreateTaskRequest/ExecProcessRequest
// .terminal, `ctr run -t`, `ctr task exec -t`). The process's 0-2 are the slave of a pty made in
// the container; its master comes back to the shim (src/api.ts, in-process, where containerd's
// runc shim receives it on a console socket) and the shim copies between it and the client's
// fifos, as the runc shim does (pkg/process/io.go copyConsole): the stdin fifo into the master,
// the master into the stdout fifo (a terminal has no separate stderr). ResizePty sets the
// master's window size (TIOCSWINSZ, which the kernel turns into SIGWINCH for the foreground
// process group, tty_ioctl(4)).
//
// The output fifo is opened O_RDWR, which never blocks (fifo(7)), and is closed when the master
// reports EIO, i.e. when every slave fd is closed (pty(7)): that close is what lets the client
// see EOF. The stdin fifo is read by the same polling relay as a task without a terminal
// (stdio.ts says why), and its EOF does not close the master: like the runc shim, a process that
// reads its terminal then waits, as on a real terminal nobody types on.
import fs = require('node:fs');
import tty = require('node:tty');
import { Writable } from 'node:stream';
import { setWindowSize } from '../linux/pty';
import { pollFifo, type TaskStdio } from './stdio';

export interface ConsoleRelay {
  resize(width: number, height: number): void;
  /** CloseIO: stop copying the stdin fifo. */
  closeStdin(): void;
  /** Waits until the output ended (at most `graceMs`: a child may keep the slave open), then closes. */
  finish(graceMs?: number): Promise<void>;
  /** Closes the master and our fifo ends now. Idempotent. */
  close(): void;
}

/** Takes ownership of `master`. */
export function relayConsole(master: number, paths: TaskStdio): ConsoleRelay {
  const pty = new tty.ReadStream(master);
  let closed = false;
  let outFd: number | undefined;
  let inFd: number | undefined;
  let stdinRelay: { stop(): void; drain(): void } | undefined;
  let endedResolve: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    endedResolve = resolve;
  });
  const closeIn = (): void => {
    // What the client wrote before CloseIO still goes in (stdio.ts pollFifo drain).
    stdinRelay?.drain();
    stdinRelay = undefined;
    if (inFd !== undefined) fs.closeSync(inFd);
    inFd = undefined;
  };
  try {
    if (paths.stdout !== '') outFd = fs.openSync(paths.stdout, fs.constants.O_RDWR);
    if (paths.stdin !== '') inFd = fs.openSync(paths.stdin, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    if (outFd !== undefined) fs.closeSync(outFd);
    pty.destroy();
    throw e;
  }
  // Thread-pool writes: a client that stops reading blocks one of them, never the event loop.
  const out = outFd !== undefined ? fs.createWriteStream('', { fd: outFd, autoClose: true }) : undefined;
  out?.on('error', () => {});
  pty.on('data', (chunk: Buffer) => out?.write(chunk));
  // EIO is how a master reports that the last slave fd closed; EOF and close are the same news.
  const onEnd = (): void => {
    out?.end();
    endedResolve();
  };
  pty.on('error', onEnd);
  pty.on('end', onEnd);
  pty.on('close', onEnd);
  if (inFd !== undefined) {
    // The master is not ended at the stdin fifo's EOF (see the header): final() does nothing.
    const toPty = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (closed) return cb();
        pty.write(chunk, () => cb());
      },
      final(cb) {
        cb();
      },
    });
    stdinRelay = pollFifo(inFd, toPty, () => {
      stdinRelay = undefined;
      if (inFd !== undefined) fs.closeSync(inFd);
      inFd = undefined;
    });
  }
  const close = (): void => {
    if (closed) return;
    closed = true;
    closeIn();
    pty.destroy();
    onEnd();
  };
  return {
    resize(width, height) {
      if (closed || width === 0 || height === 0) return;
      setWindowSize(master, height, width);
    },
    closeStdin: closeIn,
    close,
    async finish(graceMs = 2000) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ended, new Promise<void>((r) => { timer = setTimeout(r, graceMs); })]);
      clearTimeout(timer);
      close();
    },
  };
}
