// One container as the shim holds it: the tsrun container it created in-process (the shim is the
// parent of its init stage, so it reaps the container's process itself and knows its exit status
// at once), the stdio it handed over, and the exit once it happened.
import type { CreatedContainer } from '../api';
import { exitStatusNumber } from '../api';
import type { OpenedStdio, TaskStdio } from './stdio';

export interface TaskExit {
  status: number;
  at: Date;
}

export class ShimTask {
  exit?: TaskExit;
  /** Resolves with the exit once the container's process is reaped. */
  readonly exited: Promise<TaskExit>;

  constructor(
    readonly id: string,
    readonly bundle: string,
    readonly root: string,
    readonly stdio: TaskStdio,
    readonly container: CreatedContainer,
    readonly io: OpenedStdio,
    readonly rootfsMounted: boolean,
  ) {
    this.exited = container.waitExit().then((e) => {
      this.exit = { status: exitStatusNumber(e), at: new Date() };
      return this.exit;
    });
  }

  get pid(): number {
    return this.container.pid;
  }
}
