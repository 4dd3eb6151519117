// `start`: release a created container's init stage by opening the exec fifo for reading
// (runtime.md "start"). The init stage is blocked opening it for writing; it runs the
// startContainer hooks, writes '0' just before execve (or a failure line, src/hooks/start-fifo.ts),
// and we remove the fifo so the status becomes `running`. Then the poststart hooks run.
import fs = require('node:fs');
import path = require('node:path');
import { containerDir, FIFO_NAME, readRecord, writeRecord, type ContainerRecord } from '../state/store';
import { canStart, isOurProcessAlive } from '../state/status';
import { statusOf } from './state';
import { RuntimeError, SyscallError } from '../errors';
import * as libc from '../sys/libc';
import { POLLHUP, POLLIN } from '../sys/constants';
import { killEverything } from './cleanup';
import { baseStateOf, isHookFailure, runPoststartHooks, startWaitMs } from '../hooks/phases';
import { parseStartReply } from '../hooks/start-fifo';
import { lockContainer } from '../state/lock';
import type { GlobalOptions } from './context';
import { trace } from '../trace';

const START_TIMEOUT_MS = 30_000;

/**
 * A pidfd of the container's init, or -1 when it is gone. Opened first, then checked: a pid
 * recycled before the open has another start time, and after it the pidfd keeps referring to the
 * process it was opened on (pidfd_open(2)).
 */
function initPidfd(rec: ContainerRecord): number {
  let pidfd: number;
  try {
    pidfd = libc.pidfdOpen(rec.pid);
  } catch (e) {
    if (e instanceof SyscallError && e.errnoCode === 'ESRCH') return -1;
    throw e;
  }
  if (isOurProcessAlive(rec.pid, rec.startTime)) return pidfd;
  libc.close(pidfd);
  return -1;
}

/**
 * Opens the fifo, waits for init's answer, removes the fifo. A startContainer hook failure comes
 * back as a RuntimeError with code "hook" (the init stage has exited by then).
 */
export function releaseInit(g: GlobalOptions, rec: ContainerRecord): void {
  const fifo = path.join(containerDir(g.root, rec.id), FIFO_NAME);
  // O_NONBLOCK: the open must not hang if init is gone; poll(2) waits for the answer instead.
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const pidfd = initPidfd(rec);
  try {
    const buf = Buffer.alloc(4096);
    let got = Buffer.alloc(0);
    const deadline = Date.now() + startWaitMs(rec.config.hooks, START_TIMEOUT_MS);
    // One blocking poll(2) on the fifo and on init's pidfd (readable once init has exited) per
    // round, instead of sleeping: `start` has nothing else to do meanwhile. A fifo opened
    // O_NONBLOCK before any writer reports nothing until a writer has come (pipe(7), fifo(7): no
    // POLLHUP before the first writer), then POLLIN for the answer and POLLHUP once init closes
    // it or execs.
    let watchFifo = true;
    for (;;) {
      const left = deadline - Date.now();
      // Init's life is sampled BEFORE the read. Init writes its answer and execs, and a quick
      // program (`true`) can exit at once: sampled after an empty read, that init would be taken
      // for one that died without answering (seen under load: start failed although the program
      // had run). Sampled before, whatever a dead init wrote is already in the pipe for this read.
      let alive = false;
      let fifoEvents = 0;
      if (pidfd >= 0) {
        const [fe, pe] = libc.poll([{ fd: watchFifo ? fd : -1, events: POLLIN }, { fd: pidfd, events: POLLIN }], Math.max(0, left));
        alive = (pe & POLLIN) === 0;
        fifoEvents = fe;
      }
      let n = 0;
      let eagain = false;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        eagain = true;
      }
      if (n > 0) got = Buffer.concat([got, buf.subarray(0, n)]);
      // n === 0 is EOF: no writer now. After POLLHUP a writer came and went.
      const hungUp = n === 0 && !eagain && (fifoEvents & POLLHUP) !== 0;
      const reply = parseStartReply(got.toString('utf8'), (n === 0 && !eagain && got.length > 0) || !alive);
      if (reply.kind === 'started') {
        trace('container process started (init answered on the exec fifo)');
        break;
      }
      if (reply.kind === 'failed') throw new RuntimeError('hook', reply.message);
      if (reply.kind === 'garbage') throw new RuntimeError('start', `unexpected answer from container init on the exec fifo: ${JSON.stringify(reply.text)}`);
      if (!alive) throw new RuntimeError('start', 'container init exited before the container process started');
      if (Date.now() >= deadline) throw new RuntimeError('start', 'timed out waiting for the container process to start');
      // Init closed the fifo with nothing (or half a line) written and lives on: POLLHUP would
      // wake every poll from now on, so wait on its pidfd alone.
      if (hungUp) watchFifo = false;
    }
  } catch (e) {
    // The init stage is gone (or will be killed): a fifo left behind would only confuse status.
    if (isHookFailure(e)) fs.rmSync(fifo, { force: true });
    throw e;
  } finally {
    if (pidfd >= 0) libc.close(pidfd);
    fs.closeSync(fd);
  }
  fs.rmSync(fifo, { force: true });
}

/**
 * poststart in the runtime namespace, after the program started (runtime.md Lifecycle 9). A
 * failure fails `start` and stops the container (v1.3.0; runc terminates its init the same way).
 */
export function runPoststart(rec: ContainerRecord): void {
  runPoststartHooks(rec.config.hooks, baseStateOf(rec), rec.pid);
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
  const refused = canStart(statusOf(g, rec), Boolean(rec.config.process));
  if (refused) throw refused;
  try {
    releaseInit(g, rec);
  } catch (e) {
    // A startContainer hook failed (Lifecycle 7): the program never ran; the container is left
    // stopped, and `delete` destroys it and runs poststop (Lifecycle 11-13), as runc does.
    if (isHookFailure(e)) stopAfterHookFailure(g, rec);
    throw e;
  }
  rec.lastStatus = 'running';
  writeRecord(g.root, rec);
  try {
    runPoststart(rec);
  } catch (e) {
    stopAfterHookFailure(g, rec);
    throw e;
  }
}

function stopAfterHookFailure(g: GlobalOptions, rec: ContainerRecord): void {
  killEverything(rec);
  rec.lastStatus = 'stopped';
  writeRecord(g.root, rec);
}
