// The init stage spawned by the dispatcher (src/cli/main.ts), before the `create`/`run` verb
// bundle loads: its Node start-up (tens of ms) then overlaps the parent's bundle compile, koffi,
// module init, validation and state/cgroup setup instead of following them. Built as its own
// bundle, dist/early.js, loaded only when main.ts found the plain case (early-plan.ts), so other
// command lines never parse it. The exec stage of a plain `exec` is spawned ahead the same way
// (spawnEarlyExec, early-exec-plan.ts), by the function runExecStage uses (exec-stage-spawn.ts),
// and adopted by runExecStage or disposed of as below.
//
// The stage is spawned by the same function launchInit uses (parent.ts spawnInitStage), after the
// same close_range of inherited fds and inside the same namespace window, with node bound
// read-only in its new mount namespace (CVE-2019-5736). It then waits for `bootstrap` as usual.
// launchInit adopts the stage if its spawnKey matches, and the dispatcher disposes of it
// otherwise: a config that turns out invalid, a usage error, a spawn of another shape. It is
// SIGKILLed and reaped before tsrun exits; it has joined no cgroup and written nothing, and its
// namespaces and the read-only bind mount die with it (it is the only process in them).
import fs = require('node:fs');
import path = require('node:path');
import type { ChildProcess } from 'node:child_process';
import { earlyShape, spawnKey, type EarlyInit, type EarlyPlan } from './early-plan';
import { spawnInitStage } from './parent';
import { spawnExecStage } from './exec-stage-spawn';
import { EXEC_PLAIN_KEY } from './early-exec-plan';
import { trace } from '../../trace';

/** How long a SIGKILLed stage may take to be gone (a bound, not an expected duration). */
const GONE_MS = 5000;

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Is `pid` gone or a zombie (state Z/X in /proc/<pid>/stat)? */
function gone(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}

export class EarlyStage implements EarlyInit {
  private state: 'waiting' | 'taken' | 'dropped' = 'waiting';
  private readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcess, private readonly key: string) {
    // A failed spawn is reported as an 'error' event; unheard, it would crash the dispatcher.
    child.on('error', () => {});
    this.exited = new Promise((resolve) => {
      if (this.isDead()) resolve();
      else child.once('exit', () => resolve());
    });
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  private isDead(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  take(key: string): ChildProcess | undefined {
    if (this.state !== 'waiting') return undefined;
    this.stopListening();
    if (key === this.key && this.child.pid !== undefined && !this.isDead()) {
      this.state = 'taken';
      return this.child;
    }
    this.state = 'dropped';
    this.kill();
    return undefined;
  }

  /**
   * Unless launchInit took it: kill the stage and wait until it is reaped, so that nothing of it
   * is left when tsrun exits. Called by the dispatcher once the verb is done, whatever happened.
   */
  async dispose(): Promise<void> {
    this.stopListening();
    if (this.state === 'taken') return;
    this.state = 'dropped';
    this.kill();
    await Promise.race([this.exited, new Promise<void>((r) => setTimeout(r, GONE_MS).unref())]);
    const ch = this.child.stdio[3];
    if (ch && 'destroy' in ch) ch.destroy();
  }

  private kill(): void {
    if (this.isDead()) return;
    try {
      this.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }

  private stopListening(): void {
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
  }

  /**
   * A SIGINT/SIGTERM before launchInit took the stage: kill it and wait for it, synchronously (a
   * signal handler that exits must not leave it running). When the verb has its own handler
   * (create.ts: it tears down what it made and exits 1), that one runs next; before the verb
   * has one, the signal then does what it did before the stage was spawned early: its default
   * action, the end of tsrun.
   */
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.stopListening();
    this.state = 'dropped';
    this.kill();
    const pid = this.child.pid;
    const deadline = Date.now() + GONE_MS;
    while (pid !== undefined && !gone(pid) && Date.now() < deadline) sleepMs(2);
    // No other listener left: Node has put the default action back (libuv restores SIG_DFL when the
    // last watcher of a signal goes), so this ends tsrun as the signal would have.
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
}

/**
 * Spawns the init stage as `plan` (early-plan.ts, which main.ts consulted) says. Throws when the
 * spawn itself fails (the dispatcher then leaves it all to the verb, which reports the failure as
 * it always has).
 */
export function spawnEarly(plan: EarlyPlan): EarlyStage | undefined {
  const shape = earlyShape(plan);
  // dist/early.js sits next to dist/init.js.
  const child = spawnInitStage({ ...shape, entry: path.join(__dirname, 'init.js') });
  trace('init stage spawned early');
  const early = new EarlyStage(child, spawnKey(shape));
  if (child.pid === undefined) {
    void early.dispose();
    return undefined;
  }
  return early;
}

/**
 * Spawns the exec stage of a plain `exec` (early-exec-plan.ts) as runExecStage would: no extra
 * fds, our stdio, the channel at 3. It waits for its config like any exec stage.
 */
export function spawnEarlyExec(): EarlyStage | undefined {
  // dist/early.js sits next to dist/exec.js.
  const child = spawnExecStage(path.join(__dirname, 'exec.js'), []);
  trace('exec stage spawned early');
  const early = new EarlyStage(child, EXEC_PLAIN_KEY);
  if (child.pid === undefined) {
    void early.dispose();
    return undefined;
  }
  return early;
}
