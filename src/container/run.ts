// `run`: create and start in one command. In the foreground it forwards signals to the container
// process, waits for it, removes the container, and returns its exit status (128+n when it was
// killed by signal n), as `runc run` does. With --detach it returns once the process runs.
import { constants as osConstants } from 'node:os';
import { createContainer, type CreateOptions } from './create';
import { releaseInit, runPoststart } from './start';
import { baseStateOf, isHookFailure, runPoststopHooks } from '../hooks/phases';
import type { Hooks } from '../spec/types';
import type { ContainerRecord } from '../state/store';
import { log } from '../log';
import { destroyContainer } from './cleanup';
import { writeRecord } from '../state/store';
import type { GlobalOptions } from './context';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export async function runContainer(g: GlobalOptions, o: CreateOptions & { detach: boolean; keep?: boolean }): Promise<number> {
  // Listen before anything starts: with a listener installed Node never applies a signal's
  // default action, so a SIGTERM that lands between create and start cannot kill tsrun and
  // orphan the container. While `create` runs, its own handler tears down; after, we forward.
  let target = 0;
  const forward = (sig: NodeJS.Signals): void => {
    if (!target) return;
    try {
      process.kill(target, sig);
    } catch {
      // the process is gone; its exit is on the way
    }
  };
  if (!o.detach) for (const s of FORWARDED) process.on(s, forward);
  try {
    return await runForwarding(g, o, (pid) => {
      target = pid;
    });
  } finally {
    for (const s of FORWARDED) process.removeListener(s, forward);
  }
}

async function runForwarding(g: GlobalOptions, o: CreateOptions & { detach: boolean; keep?: boolean }, setTarget: (pid: number) => void): Promise<number> {
  const { record, handle } = await createContainer(g, o);
  setTarget(record.pid);
  handle.send({ type: 'go' });
  try {
    releaseInit(g, record);
  } catch (e) {
    await handle.kill();
    destroyContainer(g.root, record);
    // startContainer failed: Lifecycle 7 continues at 12 (destroy) and 13 (poststop).
    if (isHookFailure(e)) poststop(record);
    throw e;
  }
  record.lastStatus = 'running';
  writeRecord(g.root, record);
  try {
    runPoststart(record);
  } catch (e) {
    // poststart failed (Lifecycle 9): stop the container, destroy it, poststop.
    await handle.kill();
    destroyContainer(g.root, record);
    poststop(record);
    throw e;
  }
  if (o.detach) {
    handle.release();
    return 0;
  }
  const exit = await handle.waitExit();
  handle.release();
  // runc run --keep: leave the stopped container for the caller to inspect and delete.
  if (!o.keep) {
    destroyContainer(g.root, record);
    poststop(record);
  }
  if (exit.signal) return 128 + (osConstants.signals[exit.signal] ?? 0);
  return exit.code ?? 0;
}

/** poststop after the container is gone (runtime.md Lifecycle 13): failures are warnings. */
function poststop(record: ContainerRecord): void {
  runPoststopHooks(record.config.hooks as Hooks | undefined, baseStateOf(record), (m) => log.warn(m));
}
