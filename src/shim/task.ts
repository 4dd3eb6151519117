// The processes of a task as the shim holds them. The init process is the tsrun container the
// shim created in-process (the shim is the parent of its init stage, so it reaps the container's
// process itself and knows its exit status at once). Exec processes are the ones containerd adds
// with Exec and starts with Start (the runc shim's execProcess): made at Exec, spawned at Start,
// reaped by the shim as their subreaper (reaper.ts).
import type { CreatedContainer } from '../api';
import { exitStatusNumber } from '../api';
import type { Process } from '../spec/types';
import type { ConsoleRelay } from './console';
import type { OpenedStdio, TaskStdio } from './stdio';

export interface TaskExit {
  status: number;
  at: Date;
}

/** What a process's stdio is, to the shim: fifos handed over (and a stdin relay), or a terminal's relay. */
export interface ProcessIO {
  closeStdin(): void;
  resize(width: number, height: number): void;
  /** After the exit: lets the output drain (a terminal's), then closes what is left. */
  finish(): Promise<void>;
}

export function fifoIO(io: OpenedStdio): ProcessIO {
  return {
    closeStdin: () => io.closeStdin(),
    resize: () => {},
    finish: async () => io.closeStdin(),
  };
}

export function consoleIO(relay: ConsoleRelay): ProcessIO {
  return {
    closeStdin: () => relay.closeStdin(),
    resize: (w, h) => relay.resize(w, h),
    finish: () => relay.finish(),
  };
}

/** A process's exit: resolved once, by whoever reaps it. */
class ExitLatch {
  exit?: TaskExit;
  readonly exited: Promise<TaskExit>;
  private resolve: (e: TaskExit) => void = () => {};

  constructor() {
    this.exited = new Promise((r) => {
      this.resolve = r;
    });
  }

  set(status: number): TaskExit {
    this.exit ??= { status, at: new Date() };
    this.resolve(this.exit);
    return this.exit;
  }
}

export class ShimTask {
  private readonly latch = new ExitLatch();
  readonly execs = new Map<string, ShimExec>();

  constructor(
    readonly id: string,
    readonly bundle: string,
    readonly root: string,
    readonly stdio: TaskStdio,
    readonly terminal: boolean,
    readonly container: CreatedContainer,
    readonly io: ProcessIO,
    readonly rootfsMounted: boolean,
  ) {
    void container.waitExit().then((e) => this.latch.set(exitStatusNumber(e)));
  }

  get pid(): number {
    return this.container.pid;
  }

  get exit(): TaskExit | undefined {
    return this.latch.exit;
  }

  get exited(): Promise<TaskExit> {
    return this.latch.exited;
  }
}

export class ShimExec {
  private readonly latch = new ExitLatch();
  pid = 0;
  io?: ProcessIO;

  constructor(
    readonly task: ShimTask,
    readonly execId: string,
    readonly spec: Process,
    readonly stdio: TaskStdio,
    readonly terminal: boolean,
  ) {}

  get started(): boolean {
    return this.pid !== 0;
  }

  get exit(): TaskExit | undefined {
    return this.latch.exit;
  }

  get exited(): Promise<TaskExit> {
    return this.latch.exited;
  }

  /** From the raw waitpid(2) status: the code, or 128+n for signal n. */
  setExited(rawStatus: number): TaskExit {
    const sig = rawStatus & 0x7f;
    return this.latch.set(sig === 0 ? (rawStatus >> 8) & 0xff : 128 + sig);
  }

  /** A process that never started (its Start failed, or the task went first): status 255, as runc's. */
  setNeverStarted(): void {
    this.latch.set(255);
  }
}
