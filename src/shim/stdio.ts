// containerd's stdio for a task without a terminal: paths of fifos that the client (ctr, CRI)
// made and holds open (CreateTaskRequest.stdin/stdout/stderr; empty means none).
//   stdout, stderr  opened O_RDWR, which never blocks on a fifo (fifo(7)), and handed to the init
//                   stage as its fd 1/2; our copy is closed once it is spawned, so the client
//                   sees EOF when the container's last writer goes. Like the runc shim, which
//                   also holds a reader of each fifo, a detached container whose client left does
//                   not get SIGPIPE: its writes fill the fifo instead.
//   stdin           relayed: the fifo is read through libuv (a writer may open it after Create;
//                   until one has, epoll reports nothing and no EOF is seen) into a pipe that is
//                   the container's fd 0, closed at the writer's EOF or on CloseIO.
// Other URIs (binary://, file:// from `ctr run --log-uri`) are refused by name.
import fs from 'node:fs';
import net from 'node:net';
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
  let stdinSock: net.Socket | undefined;
  let stdinPipe: Writable | null = null;
  const openOut = (p: string): StdioEntry => {
    if (p === '') return 'ignore';
    const fd = fs.openSync(p, fs.constants.O_RDWR);
    fds.push(fd);
    return fd;
  };
  let stdinFd: number | undefined;
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
        stdinSock = new net.Socket({ fd: stdinFd, readable: true, writable: false });
        stdinFd = undefined;
        // The container may exit without reading: EPIPE on its end is not our error.
        to.on('error', () => {});
        stdinSock.on('error', () => to.end());
        stdinSock.pipe(to);
      },
      closeStdin: () => {
        stdinSock?.destroy();
        stdinPipe?.end();
        if (stdinFd !== undefined) fs.closeSync(stdinFd);
        stdinFd = undefined;
      },
    };
  } catch (e) {
    for (const fd of fds) fs.closeSync(fd);
    if (stdinFd !== undefined) fs.closeSync(stdinFd);
    throw e;
  }
}
