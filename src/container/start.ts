// `start`: release a created container's init stage by opening the exec fifo for reading
// (runtime.md "start"). The init stage is blocked opening it for writing; it writes one byte
// just before execve, and we remove the fifo so the status becomes `running`.
import fs from 'node:fs';
import path from 'node:path';
import { containerDir, FIFO_NAME, readRecord, writeRecord, type ContainerRecord } from '../state/store';
import { isOurProcessAlive } from '../state/status';
import { statusOf } from './state';
import { RuntimeError, StateError } from '../errors';
import { sleepMs } from './cleanup';
import { lockContainer } from '../state/lock';
import type { GlobalOptions } from './context';

const START_TIMEOUT_MS = 30_000;

/** runc's words for each refused status (libcontainer/container_linux.go). */
export function refuseStart(status: string): StateError | undefined {
  if (status === 'created') return undefined;
  if (status === 'stopped') return new StateError('cannot start a container that has stopped');
  if (status === 'running') return new StateError('cannot start an already running container');
  return new StateError(`cannot start a container in the ${status} state`);
}

/** Opens the fifo, waits for init's byte, removes the fifo. */
export function releaseInit(g: GlobalOptions, rec: ContainerRecord): void {
  const fifo = path.join(containerDir(g.root, rec.id), FIFO_NAME);
  // O_NONBLOCK: the open must not hang if init is gone; we poll for the byte instead.
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(1);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      let n = 0;
      try {
        n = fs.readSync(fd, buf, 0, 1, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
      if (n === 1) break;
      // n === 0 means "no writer yet" as well as "writer gone": tell them apart by init's life.
      if (!isOurProcessAlive(rec.pid, rec.startTime)) throw new RuntimeError('start', 'container init exited before the container process started');
      if (Date.now() > deadline) throw new RuntimeError('start', 'timed out waiting for the container process to start');
      sleepMs(1);
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.rmSync(fifo, { force: true });
}

export function startContainer(g: GlobalOptions, id: string): void {
  const unlock = lockContainer(g.root, id);
  try {
    startLocked(g, id);
  } finally {
    unlock();
  }
}

function startLocked(g: GlobalOptions, id: string): void {
  const rec = readRecord(g.root, id);
  // statusOf, not bare facts: a paused (frozen) created container must be refused, not waited on.
  const refused = refuseStart(statusOf(g, rec));
  if (refused) throw refused;
  if (!rec.config.process) throw new StateError('cannot start a container without a process (config.json has no "process")');
  releaseInit(g, rec);
  rec.lastStatus = 'running';
  writeRecord(g.root, rec);
}
