// containerd's stdio for a task without a terminal: paths of fifos that the client (ctr, CRI)
// made and holds open (CreateTaskRequest.stdin/stdout/stderr; empty means none).
//   stdout, stderr  opened O_RDWR, which never blocks on a fifo (fifo(7)), and handed to the init
//                   stage as its fd 1/2; our copy is closed once it is spawned, so the client
//                   sees EOF when the container's last writer goes. Like the runc shim, which
//                   also holds a reader of each fifo, a detached container whose client left does
//                   not get SIGPIPE: its writes fill the fifo instead.
//   stdin           relayed into a pipe that is the container's fd 0, closed at the writer's EOF
//                   or on CloseIO. The fifo is read by polling non-blocking read(2)s, not through
//                   epoll: an earlier epoll relay (a net.Socket on the fifo) once never saw the
//                   EOF of ctr's writer under load and `cat` hung (test/clients/
//                   containerd-shim.test.ts; the cause was not pinned down: fifo_poll reports
//                   POLLHUP only for writers newer than the reader, fs/pipe.c, and ctr's writer
//                   is often waiting in open(2) before Create). read(2) needs no such rule: it
//                   returns 0 when no writer is left, which is EOF once a writer has been seen
//                   (EAGAIN or data), and before that only "not connected yet".
// Other URIs (binary://, file:// from `ctr run --log-uri`) are refused by name.
import fs = require('node:fs');
import type { Writable } from 'node:stream';
import type { StdioEntry } from '../api';
import { TtrpcError, Code } from './ttrpc/codes';

export interface TaskStdio {
  stdin: string;
  stdout: string;
  stderr: string;
}

export interface OpenedStdio {
  entries: StdioEntry[];
  /** Our copies of the fds given to the container: closed after the spawn. */
  close(): void;
  /** Starts the stdin relay into the container's fd 0 (when entries[0] is 'pipe'). */
  relayStdin(to: Writable | null): void;
  /** CloseIO: the container's stdin gets EOF. */
  closeStdin(): void;
}

function checkPath(what: string, p: string): void {
  if (p !== '' && !p.startsWith('/')) throw new TtrpcError(Code.UNIMPLEMENTED, `${what} ${JSON.stringify(p)}: only fifo paths are supported by containerd-shim-tsrun-v1 (no binary:// or file:// log URIs yet)`);
}

export function openStdio(s: TaskStdio): OpenedStdio {
  checkPath('stdin', s.stdin);
  checkPath('stdout', s.stdout);
  checkPath('stderr', s.stderr);
  const fds: number[] = [];
  let stdinFd: number | undefined;
  let relay: { stop(): void; drain(): void } | undefined;
  let stdinPipe: Writable | null = null;
  const closeFd = (): void => {
    if (stdinFd !== undefined) fs.closeSync(stdinFd);
    stdinFd = undefined;
  };
  const openOut = (p: string): StdioEntry => {
    if (p === '') return 'ignore';
    const fd = fs.openSync(p, fs.constants.O_RDWR);
    fds.push(fd);
    return fd;
  };
  try {
    if (s.stdin !== '') stdinFd = fs.openSync(s.stdin, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const entries: StdioEntry[] = [stdinFd !== undefined ? 'pipe' : 'ignore', openOut(s.stdout), openOut(s.stderr)];
    return {
      entries,
      close: () => {
        for (const fd of fds.splice(0)) fs.closeSync(fd);
      },
      relayStdin: (to) => {
        if (stdinFd === undefined || !to) return;
        stdinPipe = to;
        // The container may exit without reading: EPIPE on its end is not our error.
        to.on('error', () => {});
        relay = pollFifo(stdinFd, to, () => {
          relay = undefined;
          closeFd();
        });
      },
      closeStdin: () => {
        relay?.drain();
        relay = undefined;
        stdinPipe?.end();
        closeFd();
      },
    };
  } catch (e) {
    for (const fd of fds) fs.closeSync(fd);
    if (stdinFd !== undefined) fs.closeSync(stdinFd);
    throw e;
  }
}

const POLL_MS = 20;
const CHUNK = 64 * 1024;

/** Copies a non-blocking fifo fd into `to` until EOF (see the header), then ends `to`. */
export function pollFifo(fd: number, to: Writable, done: () => void): { stop(): void; drain(): void } {
  const buf = Buffer.allocUnsafe(CHUNK);
  let writerSeen = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
  const tick = (): void => {
    timer = undefined;
    if (stopped) return;
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, CHUNK, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          writerSeen = true;
          break;
        }
        n = 0;
        writerSeen = true;
      }
      if (n === 0) {
        if (!writerSeen) break;
        stop();
        to.end();
        done();
        return;
      }
      writerSeen = true;
      // Backpressure: wait for the container to read before polling on.
      if (!to.write(Buffer.from(buf.subarray(0, n)))) {
        to.once('drain', () => {
          if (!stopped) tick();
        });
        return;
      }
    }
    timer = setTimeout(tick, POLL_MS);
  };
  // CloseIO comes when the client's stdin ended (ctr calls it right after its copy into the fifo
  // saw EOF), often before the next poll: what the client wrote is still in the fifo and must
  // reach the process before its EOF. The runc shim gets the same by holding a writer of its own
  // on the fifo and closing that one on CloseIO, so its copy drains the fifo and then ends.
  const drain = (): void => {
    if (stopped) return;
    stop();
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, CHUNK, null);
      } catch {
        break;
      }
      if (n === 0) break;
      to.write(Buffer.from(buf.subarray(0, n)));
    }
  };
  tick();
  return { stop, drain };
}
