// A stage that is a child of this process but that libuv did not spawn: one spawned with
// posix_spawn (spawn-stage.ts), or the init stage the trampoline (trampoline.ts) clone(2)s with
// CLONE_PARENT (it must be born after the PID namespace exists, which only the trampoline can
// make inside a user namespace). It is our child as runc's init is runc's, but Node has no
// ChildProcess for it.
// This is the part of ChildProcess the launcher and `create`/`run` use: pid, exitCode/signalCode,
// kill, unref, and the 'exit' event, found by waitpid(WNOHANG) on SIGCHLD. libuv's own SIGCHLD
// handler waits only for the pids it spawned, so it never reaps this one before we do.
import { EventEmitter } from 'node:events';
import { constants as osConstants } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import * as libc from '../../sys/libc';

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(osConstants.signals).map(([k, v]) => [v, k as NodeJS.Signals]));

// One SIGCHLD listener for all of them, not one each: a long-lived process (the shim, a Node
// program using src/api.ts) holds many stages at once, and Node warns past 10 listeners.
const waiting = new Set<AdoptedChild>();
function pollAll(): void {
  for (const c of [...waiting]) c.poll();
}

class AdoptedChild extends EventEmitter {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  /** Keeps the event loop alive while someone may still wait for the exit, as a ChildProcess does. */
  private keepAlive: NodeJS.Timeout | undefined;

  private stdioList: ChildProcess['stdio'] | undefined;

  constructor(readonly pid: number, private readonly makeStdio: () => ChildProcess['stdio']) {
    super();
    if (waiting.size === 0) process.on('SIGCHLD', pollAll);
    waiting.add(this);
    // A slow fallback only: SIGCHLD is what reports the exit. It also holds the loop (a signal
    // listener does not), as an unexited ChildProcess does until unref().
    this.keepAlive = setInterval(() => this.poll(), 1000);
    // It may have exited already, before the listener existed.
    setImmediate(() => this.poll());
  }

  /** Made at the first read (spawn-stage.ts: its sockets load node:net, which can wait). */
  get stdio(): ChildProcess['stdio'] {
    return (this.stdioList ??= this.makeStdio());
  }

  poll(): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    let status: number | undefined;
    try {
      status = libc.waitpidNoHang(this.pid);
    } catch {
      return; // ECHILD: not ours (cannot happen for a CLONE_PARENT child of this process)
    }
    if (status === undefined) return;
    waiting.delete(this);
    if (waiting.size === 0) process.removeListener('SIGCHLD', pollAll);
    clearInterval(this.keepAlive);
    // wait(2) status: low 7 bits the killing signal, else the exit status in bits 8-15.
    const sig = status & 0x7f;
    if (sig === 0) this.exitCode = (status >> 8) & 0xff;
    else this.signalCode = SIGNAL_NAMES.get(sig) ?? 'SIGKILL';
    this.emit('exit', this.exitCode, this.signalCode);
  }

  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (this.exitCode !== null || this.signalCode !== null) return false;
    process.kill(this.pid, signal);
    return true;
  }

  unref(): void {
    clearInterval(this.keepAlive);
  }

  ref(): void {
    if (this.exitCode === null && this.signalCode === null) this.keepAlive = setInterval(() => this.poll(), 1000);
  }
}

/**
 * The ChildProcess view of `pid`, a child of this process; `stdio` gives our ends of its stdio
 * (the trampoline's, whose sockets the child inherited, or spawn-stage.ts's), read once.
 */
export function adoptChild(pid: number, stdio: ChildProcess['stdio'] | (() => ChildProcess['stdio'])): ChildProcess {
  // Only the members above are used by the launcher, create and run (parent.ts, stage-handle.ts).
  return new AdoptedChild(pid, typeof stdio === 'function' ? stdio : () => stdio) as unknown as ChildProcess;
}
